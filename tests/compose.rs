//! End-to-end tests of `burrow compose`: the counter app (a service built from a Dockerfile
//! that reaches another by name over the project network, a named volume that outlives
//! `down`, a published port), depends_on conditions, scaling, interpolation with `.env`,
//! merged files, profiles, and ps/logs/exec/run/config output, with real containers as the
//! unprivileged test user.

mod common;
#[path = "common/net.rs"]
mod net;

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
