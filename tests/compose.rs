//! End-to-end tests of `burrow compose`: the counter app (a service built from a Dockerfile
//! that reaches another by name over the project network, a named volume that outlives
//! `down`, a published port), depends_on conditions, scaling, interpolation with `.env`,
//! merged files, profiles, and ps/logs/exec/run/config output, with real containers as the
//! unprivileged test user.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/net.rs"]
mod net;
#[path = "common/registry.rs"]
mod registry;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{Env, Output, burrow_bin};
use net::{free_port, http_get, wait_http};

/// Writes a project directory (files relative to it, readable by the test user; `.cgi` files
/// executable).
fn project(env: &Env, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = env.path(name);
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    for (rel, content) in files {
        let p = dir.join(rel);
        let mut d = p.parent().unwrap().to_path_buf();
        fs::create_dir_all(&d).unwrap();
        while d != dir {
            fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
            d = d.parent().unwrap().to_path_buf();
        }
        fs::write(&p, content).unwrap();
        let mode = if rel.ends_with(".cgi") || rel.contains("cgi-bin") {
            0o755
        } else {
            0o644
        };
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }
    dir
}

/// `burrow compose ARGS` run in `dir`.
fn compose(env: &Env, dir: &Path, args: &[&str]) -> Output {
    let mut full = vec!["compose"];
    full.extend_from_slice(args);
    let mut cmd = env.command(burrow_bin(), &full);
    cmd.current_dir(dir);
    env.output(cmd)
}

const WEB_CGI: &str = "#!/bin/sh
n=$(wget -q -O- http://counter:6379/cgi-bin/incr)
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo \"hits: $n\"
";

const INCR_CGI: &str = "#!/bin/sh
n=$(cat /data/count 2>/dev/null || echo 0)
n=$((n+1))
echo $n > /data/count
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo $n
";

const DOCKERFILE: &str = "FROM localhost/busybox
COPY count.cgi /www/cgi-bin/count
RUN chmod 755 /www/cgi-bin/count && echo '<h1>counter</h1>' > /www/index.html
CMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]
";

const COUNTER_COMPOSE: &str = "version: '3.8'
services:
  web:
    build: ./web
    init: true
    ports:
      - \"${WEB_PORT}:80\"
    depends_on:
      - counter
  counter:
    image: localhost/busybox
    init: true
    command: httpd -f -p 6379 -h /srv
    volumes:
      - ./counter:/srv:ro
      - data:/data
volumes:
  data:
";

/// GET /cgi-bin/count on the web service; the body's `hits: N` line.
fn hit(port: u16) -> String {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .and_then(|mut s| {
                s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                    .ok()?;
                s.write_all(b"GET /cgi-bin/count HTTP/1.0\r\n\r\n").ok()?;
                let mut out = String::new();
                s.read_to_string(&mut out).ok()?;
                out.lines()
                    .find(|l| l.starts_with("hits: ") && l.len() > 6)
                    .map(str::to_string)
            });
        if let Some(line) = got {
            return line;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "web never answered with a count"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn counter_app_counts_across_down_and_up() {
    let env = Env::new().with_busybox();
    let port = free_port();
    let dir = project(
        &env,
        "counterapp",
        &[
            ("compose.yaml", COUNTER_COMPOSE),
            (".env", &format!("WEB_PORT={port}\n")),
            ("web/Dockerfile", DOCKERFILE),
            ("web/count.cgi", WEB_CGI),
            ("counter/cgi-bin/incr", INCR_CGI),
        ],
    );
    let up = compose(&env, &dir, &["up", "-d"]).ok();
    for line in [
        " ✔ Network counterapp_default  Created",
        " ✔ Volume \"counterapp_data\"  Created",
        " ✔ Container counterapp-counter-1  Started",
        " ✔ Container counterapp-web-1  Started",
    ] {
        assert!(
            up.stderr.contains(line),
            "missing {line:?} in {}",
            up.stderr
        );
    }
    // The counter starts before web (depends_on).
    let c = up.stderr.find("counterapp-counter-1  Started").unwrap();
    let w = up.stderr.find("counterapp-web-1  Started").unwrap();
    assert!(c < w, "{}", up.stderr);
    // The built image answers from the host on the published port.
    assert!(wait_http(port, "counter").contains("<h1>counter</h1>"));
    assert_eq!(hit(port), "hits: 1");
    assert_eq!(hit(port), "hits: 2");

    let ps = compose(&env, &dir, &["ps"]).ok();
    let header = ps.lines()[0]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(header, "NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS");
    assert!(ps.stdout.contains("counterapp-web-1"), "{}", ps.stdout);
    assert!(
        ps.stdout.contains(&format!("0.0.0.0:{port}->80/tcp")),
        "{}",
        ps.stdout
    );
    // Labels tools read.
    env.burrow(&[
        "ps",
        "--filter",
        "label=com.docker.compose.project=counterapp",
        "--filter",
        "label=com.docker.compose.service=web",
        "--format",
        "{{.Names}} {{index .Labels \"com.docker.compose.container-number\"}} {{index .Labels \"com.docker.compose.oneoff\"}}",
    ])
    .ok()
    .stdout_has("counterapp-web-1 1 False");

    // A second `up -d` with nothing changed leaves the containers running as they are.
    let again = compose(&env, &dir, &["up", "-d"]).ok();
    assert!(
        again.stderr.contains("counterapp-web-1  Running"),
        "{}",
        again.stderr
    );
    assert!(!again.stderr.contains("Created"), "{}", again.stderr);

    let down = compose(&env, &dir, &["down"]).ok();
    assert!(
        down.stderr
            .contains(" ✔ Container counterapp-web-1  Removed"),
        "{}",
        down.stderr
    );
    assert!(
        down.stderr
            .contains(" ✔ Network counterapp_default  Removed"),
        "{}",
        down.stderr
    );
    assert!(http_get(port).is_none_or(|r| !r.contains("hits")));
    env.burrow(&["volume", "exists", "counterapp_data"]).ok();
    env.burrow(&["network", "exists", "counterapp_default"])
        .code(1);
    assert_eq!(
        compose(&env, &dir, &["ps", "-a", "-q"]).ok().stdout.trim(),
        ""
    );

    compose(&env, &dir, &["up", "-d"]).ok();
    assert_eq!(hit(port), "hits: 3");

    let down = compose(&env, &dir, &["down", "-v"]).ok();
    assert!(
        down.stderr.contains(" ✔ Volume counterapp_data  Removed"),
        "{}",
        down.stderr
    );
    env.burrow(&["volume", "exists", "counterapp_data"]).code(1);
}

const ORDERED: &str = "services:
  db:
    image: localhost/busybox
    init: true
    command: sh -c 'echo db up; sleep 2; touch /tmp/ready; exec sleep 300'
    healthcheck:
      test: [\"CMD\", \"test\", \"-e\", \"/tmp/ready\"]
      interval: 1s
      retries: 30
  migrate:
    image: localhost/busybox
    command: [\"sh\", \"-c\", \"echo migrated\"]
    depends_on:
      db:
        condition: service_healthy
  app:
    image: localhost/busybox
    init: true
    command: sh -c 'echo app $$GREETING; exec sleep 300'
    environment:
      GREETING: ${GREETING:-hello}
      FROM_DOTENV: ${DOTENV_VAR}
      UNSET_DASH: ${NOPE-dash}
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
";

#[test]
fn depends_on_conditions_scale_exec_run_logs() {
    let env = Env::new().with_busybox();
    let dir = project(
        &env,
        "ordered",
        &[
            ("compose.yaml", ORDERED),
            (".env", "DOTENV_VAR=fromdotenv\nGREETING=overridden\n"),
        ],
    );
    let mut env = env;
    // The process environment wins over .env.
    env.set_env("GREETING", "hello");
    let up = compose(&env, &dir, &["up", "-d"]).ok();
    let at = |s: &str| {
        up.stderr
            .find(s)
            .unwrap_or_else(|| panic!("no {s:?} in {}", up.stderr))
    };
    assert!(at("ordered-db-1  Healthy") < at("ordered-migrate-1  Started"));
    assert!(at("ordered-migrate-1  Exited") < at("ordered-app-1  Started"));

    // Interpolation: the caller's variable over .env, .env alone, `-` default for unset.
    compose(
        &env,
        &dir,
        &[
            "exec",
            "-T",
            "app",
            "sh",
            "-c",
            "echo $GREETING $FROM_DOTENV $UNSET_DASH",
        ],
    )
    .ok()
    .stdout_has("hello fromdotenv dash");
    // Services find each other by name on the project network.
    compose(
        &env,
        &dir,
        &["exec", "-T", "app", "grep", "-w", "db", "/etc/hosts"],
    )
    .ok();

    // A one-off container: its own name, its env, gone afterwards with --rm.
    compose(
        &env,
        &dir,
        &[
            "run",
            "--rm",
            "-T",
            "-e",
            "X=1",
            "app",
            "sh",
            "-c",
            "echo run $X $GREETING $HOSTNAME",
        ],
    )
    .ok()
    .stdout_has("run 1 hello");
    let all = compose(&env, &dir, &["ps", "-a", "--format", "json"]).ok();
    assert!(!all.stdout.contains("-run-"), "{}", all.stdout);
    let rows: Vec<serde_json::Value> = all
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{}", all.stdout);
    let migrate = rows.iter().find(|r| r["Service"] == "migrate").unwrap();
    assert_eq!(migrate["State"], "exited");
    assert_eq!(migrate["ExitCode"], 0);

    // A detached one-off with its own entrypoint, labelled as a one-off; `down` removes it.
    let run = compose(
        &env,
        &dir,
        &[
            "run",
            "-d",
            "--entrypoint",
            "sh",
            "app",
            "-c",
            "echo detached; sleep 30",
        ],
    )
    .ok();
    let oneoff = run.stdout.trim().to_string();
    assert!(oneoff.starts_with("ordered-app-run-"), "{}", run.stdout);
    env.burrow(&[
        "inspect",
        "--format",
        "{{index .Config.Labels \"com.docker.compose.oneoff\"}}",
        &oneoff,
    ])
    .ok()
    .stdout_has("True");

    // Scale out and back in.
    compose(&env, &dir, &["up", "-d", "--scale", "app=3"]).ok();
    // The one-off is listed too, as docker compose lists it; the replicas are 1..3.
    let ps = compose(&env, &dir, &["ps", "app"]).ok();
    for n in 1..=3 {
        assert!(
            ps.stdout.contains(&format!("ordered-app-{n} ")),
            "{}",
            ps.stdout
        );
    }
    assert_eq!(ps.lines().len(), 5, "{}", ps.stdout);
    compose(
        &env,
        &dir,
        &["exec", "-T", "--index", "3", "app", "hostname"],
    )
    .ok();
    let down_scale = compose(&env, &dir, &["up", "-d", "--scale", "app=1"]).ok();
    assert!(
        down_scale.stderr.contains("ordered-app-3  Removed"),
        "{}",
        down_scale.stderr
    );

    // Logs with compose's prefixes.
    let logs = compose(&env, &dir, &["logs", "app", "db"]).ok();
    assert!(
        logs.stdout.contains("app-1  | app hello"),
        "{}",
        logs.stdout
    );
    assert!(logs.stdout.contains("db-1   | db up"), "{}", logs.stdout);
    compose(&env, &dir, &["logs", "--no-log-prefix", "migrate"])
        .ok()
        .stdout_has("migrated");

    let services = compose(&env, &dir, &["config", "--services"]).ok();
    assert_eq!(services.lines(), vec!["db", "migrate", "app"]);
    compose(&env, &dir, &["config"])
        .ok()
        .stdout_has("name: ordered")
        .stdout_has("FROM_DOTENV: fromdotenv")
        .stdout_has("condition: service_healthy")
        .stdout_has("name: ordered_default")
        .stdout_has("    command:\n      - sh\n      - \"-c\"\n");

    compose(&env, &dir, &["stop", "app"])
        .ok()
        .stderr_has("ordered-app-1  Stopped");
    compose(&env, &dir, &["start", "app"])
        .ok()
        .stderr_has("ordered-app-1  Started");
    compose(&env, &dir, &["down", "-t", "1"])
        .ok()
        .stderr_has(&format!("{oneoff}  Removed"));
    assert_eq!(
        compose(&env, &dir, &["ps", "-a", "-q"]).ok().stdout.trim(),
        ""
    );
}

const BASE: &str = "services:
  web:
    image: localhost/busybox
    init: true
    command: sleep 300
    environment: [A=1]
    labels:
      tier: front
  debug:
    image: localhost/busybox
    init: true
    command: sleep 300
    profiles: [debug]
";

const OVERRIDE: &str = "services:
  web:
    environment:
      B: '2'
    command: [\"sh\", \"-c\", \"echo A=$$A B=$$B; exec sleep 300\"]
  extra:
    extends: web
    environment:
      C: '3'
";

#[test]
fn merged_files_profiles_extends_and_bad_input() {
    let env = Env::new().with_busybox();
    let dir = project(
        &env,
        "Merge.App",
        &[
            ("base.yaml", BASE),
            ("override.yaml", OVERRIDE),
            (
                "bad.yaml",
                "services:\n  web:\n    image: localhost/busybox\n    imagee: x\n",
            ),
            (
                "badtype.yaml",
                "services:\n  web:\n    image: localhost/busybox\n    ports: {a: b}\n",
            ),
            (
                "required.yaml",
                "services:\n  web:\n    image: ${IMG:?set IMG to an image}\n",
            ),
        ],
    );
    let f = ["-f", "base.yaml", "-f", "override.yaml"];
    let with = |args: &[&str]| -> Vec<String> {
        f.iter().chain(args.iter()).map(|s| s.to_string()).collect()
    };
    let cfg = compose(
        &env,
        &dir,
        &with(&["config"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .ok();
    // The project name is the directory's, normalised; env lists merged; command replaced.
    assert!(cfg.stdout.contains("name: mergeapp"), "{}", cfg.stdout);
    assert!(
        cfg.stdout.contains("A: \"1\"") || cfg.stdout.contains("A: '1'"),
        "{}",
        cfg.stdout
    );
    assert!(
        cfg.stdout.contains("B: \"2\"") || cfg.stdout.contains("B: '2'"),
        "{}",
        cfg.stdout
    );
    assert!(!cfg.stdout.contains("debug"), "{}", cfg.stdout);

    let args = with(&["up", "-d"]);
    compose(
        &env,
        &dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .ok();
    let ps = compose(
        &env,
        &dir,
        &with(&["ps", "--format", "json"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .ok();
    assert!(ps.stdout.contains("mergeapp-web-1"), "{}", ps.stdout);
    assert!(ps.stdout.contains("mergeapp-extra-1"), "{}", ps.stdout);
    assert!(!ps.stdout.contains("debug"), "{}", ps.stdout);
    let exec = with(&["exec", "-T", "extra", "sh", "-c", "echo $A $B $C"]);
    compose(
        &env,
        &dir,
        &exec.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .ok()
    .stdout_has("1 2 3");
    env.burrow(&[
        "inspect",
        "--format",
        "{{index .Config.Labels \"tier\"}}",
        "mergeapp-web-1",
    ])
    .ok()
    .stdout_has("front");

    // A profile enables its services.
    let mut pargs = vec!["--profile", "debug"];
    pargs.extend_from_slice(&f);
    pargs.extend_from_slice(&["up", "-d"]);
    compose(&env, &dir, &pargs)
        .ok()
        .stderr_has("mergeapp-debug-1  Started");

    // Bad files: one Error line naming file, service and key; nothing created.
    for (file, want) in [
        (
            "bad.yaml",
            "bad.yaml: services.web.imagee: unknown field `imagee`",
        ),
        ("badtype.yaml", "badtype.yaml: services.web.ports:"),
        (
            "required.yaml",
            "services.web.image: required variable IMG is missing a value: set IMG to an image",
        ),
    ] {
        let out = compose(&env, &dir, &["-f", file, "-p", "badproj", "up", "-d"]).code(125);
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}", out.stderr);
        assert!(
            lines[0].starts_with("Error: ") && lines[0].contains(want),
            "{}",
            out.stderr
        );
    }
    env.burrow(&["network", "exists", "badproj_default"])
        .code(1);

    let mut dargs = vec!["--profile", "debug"];
    dargs.extend_from_slice(&f);
    dargs.extend_from_slice(&["down", "-t", "1"]);
    compose(&env, &dir, &dargs)
        .ok()
        .stderr_has("mergeapp-debug-1  Removed");
}

const LIFECYCLE: &str = "services:
  web:
    build:
      context: .
      dockerfile: Containerfile.web
      args:
        GREETING: built-arg
    init: true
    environment:
      VERSION: '1'
    ports:
      - target: 80
        published: \"${PORT}\"
        host_ip: 127.0.0.1
    secrets:
      - dbpass
    configs:
      - source: motd
        target: /etc/motd
    volumes:
      - type: tmpfs
        target: /scratch
      - type: bind
        source: ./share
        target: /share
        read_only: true
    healthcheck:
      test: wget -q -O- http://127.0.0.1/ || exit 1
      interval: 1s
  side:
    image: localhost/busybox
    init: true
    command: sleep 300
secrets:
  dbpass:
    file: ./pass.txt
configs:
  motd:
    file: ./motd.txt
";

const CONTAINERFILE: &str = "FROM localhost/busybox
ARG GREETING
RUN mkdir /www && echo \"$GREETING\" > /www/index.html
CMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]
";

#[test]
fn build_secrets_configs_lifecycle_and_recreate() {
    let mut env = Env::new().with_busybox();
    let port = free_port();
    env.set_env("PORT", &port.to_string());
    let dir = project(
        &env,
        "life",
        &[
            ("compose.yaml", LIFECYCLE),
            ("Containerfile.web", CONTAINERFILE),
            ("pass.txt", "s3cret\n"),
            ("motd.txt", "welcome\n"),
            ("share/file", "shared\n"),
        ],
    );
    compose(&env, &dir, &["build"])
        .ok()
        .stderr_has("Service web  Built");
    compose(&env, &dir, &["up", "-d", "--wait"])
        .ok()
        .stderr_has("life-web-1  Healthy");
    assert!(wait_http(port, "built-arg").contains("built-arg"));
    compose(
        &env,
        &dir,
        &[
            "exec", "-T", "web", "sh", "-c",
            "cat /run/secrets/dbpass /etc/motd /share/file; grep -c ' /scratch tmpfs' /proc/mounts; echo $VERSION",
        ],
    )
    .ok()
    .stdout_has("s3cret\nwelcome\nshared\n1\n1");
    // The secret never reaches the container's config.
    let inspect = env.burrow(&["inspect", "life-web-1"]).ok();
    assert!(!inspect.stdout.contains("s3cret"));

    compose(&env, &dir, &["port", "web", "80"])
        .ok()
        .stdout_has(&format!("127.0.0.1:{port}"));
    compose(&env, &dir, &["images"]).ok().stdout_has("life-web");
    compose(&env, &dir, &["top", "web"])
        .ok()
        .stdout_has("httpd");
    // pause needs a cgroup (v2 delegated to the user); where there is none, libpod's error.
    let pause = compose(&env, &dir, &["pause", "side"]);
    if pause.status == 0 {
        assert!(
            pause.stderr.contains("life-side-1  Paused"),
            "{}",
            pause.stderr
        );
        compose(&env, &dir, &["ps", "side"])
            .ok()
            .stdout_has("Paused");
        compose(&env, &dir, &["unpause", "side"]).ok();
    } else {
        assert!(pause.stderr.contains("needs cgroups"), "{}", pause.stderr);
    }
    compose(&env, &dir, &["kill", "side"])
        .ok()
        .stderr_has("life-side-1  Killed");
    // kill returns once the signal is sent; the monitor records the exit just after.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ps = compose(&env, &dir, &["ps", "-a", "side"]).ok();
        if ps.stdout.contains("Exited (137)") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", ps.stdout);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    compose(&env, &dir, &["restart", "side"])
        .ok()
        .stderr_has("life-side-1  Started");
    compose(&env, &dir, &["rm", "-s", "-f", "side"])
        .ok()
        .stderr_has("life-side-1  Removed");

    // A changed service is recreated; an unchanged one is left alone.
    compose(&env, &dir, &["up", "-d"]).ok();
    fs::write(
        dir.join("compose.yaml"),
        LIFECYCLE.replace("VERSION: '1'", "VERSION: '2'"),
    )
    .unwrap();
    let up = compose(&env, &dir, &["up", "-d"]).ok();
    assert!(up.stderr.contains("life-web-1  Recreated"), "{}", up.stderr);
    assert!(up.stderr.contains("life-side-1  Running"), "{}", up.stderr);
    compose(
        &env,
        &dir,
        &["exec", "-T", "web", "sh", "-c", "echo $VERSION"],
    )
    .ok()
    .stdout_has("2");
    compose(&env, &dir, &["up", "-d", "--force-recreate", "side"])
        .ok()
        .stderr_has("life-side-1  Recreated");

    // --no-recreate keeps a changed container; --build rebuilds, and a new image recreates.
    fs::write(
        dir.join("compose.yaml"),
        LIFECYCLE.replace("VERSION: '1'", "VERSION: '3'"),
    )
    .unwrap();
    let keep = compose(&env, &dir, &["up", "-d", "--no-recreate"]).ok();
    assert!(
        keep.stderr.contains("life-web-1  Running"),
        "{}",
        keep.stderr
    );
    fs::write(
        dir.join("compose.yaml"),
        LIFECYCLE.replace("VERSION: '1'", "VERSION: '2'"),
    )
    .unwrap();
    fs::write(
        dir.join("Containerfile.web"),
        CONTAINERFILE.replace(
            "> /www/index.html",
            "> /www/index.html && echo v2 >> /www/index.html",
        ),
    )
    .unwrap();
    let rebuilt = compose(&env, &dir, &["up", "-d", "--build", "web"]).ok();
    assert!(
        rebuilt.stderr.contains("Service web  Built"),
        "{}",
        rebuilt.stderr
    );
    assert!(
        rebuilt.stderr.contains("life-web-1  Recreated"),
        "{}",
        rebuilt.stderr
    );
    assert!(wait_http(port, "v2").contains("v2"));
    compose(
        &env,
        &dir,
        &[
            "exec",
            "-T",
            "-u",
            "nobody",
            "-w",
            "/tmp",
            "web",
            "sh",
            "-c",
            "id -un; pwd",
        ],
    )
    .ok()
    .stdout_has("nobody\n/tmp");

    // A service dropped from the file leaves an orphan until --remove-orphans.
    let without_side = LIFECYCLE.replace("VERSION: '1'", "VERSION: '2'");
    let without_side = without_side.split("  side:").next().unwrap().to_string()
        + "secrets:\n  dbpass:\n    file: ./pass.txt\nconfigs:\n  motd:\n    file: ./motd.txt\n";
    fs::write(dir.join("compose.yaml"), without_side).unwrap();
    compose(&env, &dir, &["up", "-d"])
        .ok()
        .stderr_has("Found orphan containers ([life-side-1])");
    compose(&env, &dir, &["up", "-d", "--remove-orphans"])
        .ok()
        .stderr_has("life-side-1  Removed");

    let down = compose(&env, &dir, &["down", "--rmi", "local", "-t", "1"]).ok();
    assert!(
        down.stderr.contains("Image life-web  Removed"),
        "{}",
        down.stderr
    );
    env.burrow(&["image", "exists", "life-web"]).code(1);
    env.burrow(&["secret", "exists", "life_dbpass"]).code(1);
}

#[test]
fn foreground_up_streams_logs_and_stops_on_interrupt() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let env = Env::new().with_busybox();
    let dir = project(
        &env,
        "fg",
        &[(
            "compose.yaml",
            "services:\n  hello:\n    image: localhost/busybox\n    init: true\n    command: sh -c 'echo hello from fg; exec sleep 300'\n",
        )],
    );
    let mut cmd = env.command(burrow_bin(), &["compose", "up"]);
    cmd.current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert_eq!(first, "hello-1  | hello from fg");
    // SAFETY: signals our own child process, still unreaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    compose(&env, &dir, &["ps", "-a"]).ok().stdout_has("Exited");
    compose(&env, &dir, &["down"]).ok();
}

const NETWORKS: &str = "name: netapp
services:
  db:
    image: localhost/busybox
    init: true
    command: sleep 300
    networks:
      back:
        aliases: [database]
        ipv4_address: 10.89.77.10
  app:
    image: localhost/busybox
    init: true
    command: sleep 300
    networks: [back, front]
  lone:
    image: localhost/busybox
    init: true
    command: sleep 300
networks:
  back:
    ipam:
      config:
        - subnet: 10.89.77.0/24
  front: {}
";

#[test]
fn declared_networks_aliases_and_fixed_address() {
    let env = Env::new().with_busybox();
    let dir = project(&env, "nets", &[("compose.yaml", NETWORKS)]);
    let up = compose(&env, &dir, &["up", "-d"]).ok();
    for n in ["netapp_back", "netapp_front", "netapp_default"] {
        assert!(
            up.stderr.contains(&format!("Network {n}  Created")),
            "{}",
            up.stderr
        );
    }
    compose(&env, &dir, &["exec", "-T", "db", "ip", "-4", "addr"])
        .ok()
        .stdout_has("10.89.77.10/24");
    // The service name and its alias resolve on the shared network; `lone` is elsewhere.
    compose(
        &env,
        &dir,
        &[
            "exec",
            "-T",
            "app",
            "sh",
            "-c",
            "grep -w database /etc/hosts && grep -w db /etc/hosts",
        ],
    )
    .ok()
    .stdout_has("10.89.77.10");
    compose(
        &env,
        &dir,
        &["exec", "-T", "lone", "grep", "-w", "db", "/etc/hosts"],
    )
    .code(1);
    let down = compose(&env, &dir, &["down", "-t", "1"]).ok();
    for n in ["netapp_back", "netapp_front", "netapp_default"] {
        assert!(
            down.stderr.contains(&format!("Network {n}  Removed")),
            "{}",
            down.stderr
        );
    }
}

#[test]
fn build_push_and_pull_through_a_registry() {
    let reg = registry::Registry::start();
    let mut env = Env::new().with_busybox();
    let image = reg.image("compose/app:1");
    let dir = project(
        &env,
        "pushapp",
        &[
            (
                "compose.yaml",
                &format!(
                    "services:\n  app:\n    build: .\n    image: {image}\n    command: cat /hi\n"
                ),
            ),
            (
                "Containerfile",
                "FROM localhost/busybox\nRUN echo built > /hi\n",
            ),
            (
                "registries.conf",
                &format!(
                    "[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
                    reg.host()
                ),
            ),
        ],
    );
    env.set_env(
        "CONTAINERS_REGISTRIES_CONF",
        &dir.join("registries.conf").display().to_string(),
    );
    compose(&env, &dir, &["build", "-q"])
        .ok()
        .stderr_has("Service app  Built");
    compose(&env, &dir, &["push"])
        .ok()
        .stderr_has(&format!("Image {image}  Pushed"));
    assert_eq!(reg.tags("compose/app"), vec!["1"]);
    env.burrow(&["rmi", &image]).ok();
    compose(&env, &dir, &["pull"])
        .ok()
        .stderr_has(&format!("Image {image}  Pulled"));
    // `run` of the pulled image (no build: it is there).
    compose(&env, &dir, &["run", "--rm", "-T", "app"])
        .ok()
        .stdout_has("built");
    compose(&env, &dir, &["down", "--rmi", "all"])
        .ok()
        .stderr_has(&format!("Image {image}  Removed"));
}

// Pins: a compose project moves to Kubernetes YAML unchanged: `kube generate` of the
// project's containers gives one pod (with a Service for the published port) that
// `kube play` runs after `compose down`, answering on the same port with the same env.
#[test]
fn compose_project_exports_to_kubernetes_yaml() {
    let env = Env::new().with_busybox();
    let port = free_port();
    let yml = format!(
        "services:
  web:
    image: localhost/busybox
    environment:
      MSG: exported
    command: [\"sh\", \"-c\", \"mkdir -p /www; echo from-compose-$$MSG > /www/index.html; exec httpd -f -p 8080 -h /www\"]
    ports:
      - \"{port}:8080\"
  side:
    image: localhost/busybox
    command: [\"sleep\", \"1000\"]
"
    );
    let dir = project(&env, "exportapp", &[("compose.yaml", &yml)]);
    compose(&env, &dir, &["up", "-d"]).ok();
    wait_http(port, "from-compose-exported");
    let ids = compose(&env, &dir, &["ps", "-q"]).ok();
    let ids: Vec<&str> = ids.lines();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let yaml_path = env.path("exportapp.yaml");
    let mut args = vec!["kube", "generate", "-s", "-f", yaml_path.to_str().unwrap()];
    args.extend(ids.iter().copied());
    env.burrow(&args).ok();
    compose(&env, &dir, &["down"]).ok();
    let yaml = fs::read_to_string(&yaml_path).unwrap();
    assert!(
        yaml.contains("kind: Pod") && yaml.contains("kind: Service"),
        "{yaml}"
    );
    let played = env
        .burrow(&["kube", "play", yaml_path.to_str().unwrap()])
        .ok();
    assert!(played.stdout.contains("Pod:"), "{played:?}");
    wait_http(port, "from-compose-exported");
    let running = env
        .burrow(&["ps", "--filter", "status=running", "--format", "{{.Names}}"])
        .ok();
    assert!(running.lines().len() >= 2, "{running:?}");
    env.burrow(&["kube", "down", yaml_path.to_str().unwrap()])
        .ok();
    assert!(env.burrow(&["ps", "-aq"]).ok().stdout.is_empty());
}

// Pins: services that do not depend on each other start together, as docker compose starts
// them: one that cannot start fails `up` and names its error, and the others still run.
#[test]
fn independent_services_start_together_despite_one_failing() {
    let env = Env::new().with_busybox();
    let yml = "services:
  a:
    image: localhost/busybox
    command: [\"sleep\", \"1000\"]
  b:
    image: localhost/busybox
    command: [\"/no/such/program\"]
  c:
    image: localhost/busybox
    command: [\"sleep\", \"1000\"]
";
    let dir = project(&env, "together", &[("compose.yaml", yml)]);
    compose(&env, &dir, &["up", "-d"])
        .fails()
        .stderr_has("/no/such/program");
    let running = env
        .burrow(&["ps", "--format", "{{.Names}} {{.State}}"])
        .ok();
    assert!(
        running.stdout.contains("together-a-1 running")
            && running.stdout.contains("together-c-1 running"),
        "{}",
        running.stdout
    );
    compose(&env, &dir, &["down", "-t", "0"]).ok();
}
