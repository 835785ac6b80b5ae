//! podman `run`/`create` flags, end to end: what the container sees (environment, /etc files,
//! umask, time zone) and what `inspect` shows, plus one `Error:` line and exit 125 with
//! nothing created for a bad value. Every command runs the real binary as the test user.

mod common;

use common::{Env, Output};
use serde_json::Value;

/// `burrow run --rm FLAGS... busybox ARGS...`, checked to succeed.
#[track_caller]
fn run_ok(env: &Env, flags: &[&str], args: &[&str]) -> Output {
    env.burrow(&run_args(flags, args)).ok()
}

fn run_args<'a>(flags: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["run", "--rm"];
    all.extend_from_slice(flags);
    all.push("busybox");
    all.extend_from_slice(args);
    all
}

fn env_lines(out: &Output) -> Vec<String> {
    out.stdout.lines().map(str::to_string).collect()
}

// Pins: --tz binds the zone's file on /etc/localtime (the image has no zoneinfo), `local` takes
// the host's zone, inspect shows Config.Timezone, and a zone the host lacks is refused.
#[test]
fn tz_sets_the_containers_local_time() {
    let env = Env::new().with_busybox();
    let hst = run_ok(&env, &["--tz", "Pacific/Honolulu"], &["date", "+%Z"]);
    assert_eq!(hst.out(), "HST");
    let host_zone = std::process::Command::new("date")
        .arg("+%Z")
        .output()
        .expect("date on the host");
    let host_zone = String::from_utf8_lossy(&host_zone.stdout)
        .trim()
        .to_string();
    let local = run_ok(&env, &["--tz", "local"], &["date", "+%Z"]);
    assert_eq!(local.out(), host_zone);
    let plain = run_ok(&env, &[], &["date", "+%Z"]);
    assert_eq!(plain.out(), "UTC", "without --tz the image's zone stays");
    env.burrow(&[
        "create",
        "--name",
        "tz",
        "--tz",
        "Asia/Tokyo",
        "busybox",
        "date",
        "+%Z",
    ])
    .ok();
    assert_eq!(env.inspect_one("tz")["Config"]["Timezone"], "Asia/Tokyo");
    let started = env.burrow(&["start", "-a", "tz"]).ok();
    assert_eq!(started.out(), "JST");
    env.burrow(&["rm", "tz"]).ok();
    env.refused(
        &run_args(&["--tz", "Mars/Olympus"], &["true"]),
        "unknown time zone Mars/Olympus",
    );
    env.refused(
        &run_args(&["--tz", "../../../etc/passwd"], &["true"]),
        "invalid location name",
    );
}

// Pins: --umask sets the process's file-creation mask (default 0022), shown by inspect; a
// non-octal one is refused with podman's message.
#[test]
fn umask_is_the_processes_creation_mask() {
    let env = Env::new().with_busybox();
    assert_eq!(run_ok(&env, &[], &["sh", "-c", "umask"]).out(), "0022");
    let out = run_ok(
        &env,
        &["--umask", "0077"],
        &["sh", "-c", "umask; touch /tmp/f; stat -c %a /tmp/f"],
    );
    assert_eq!(out.lines(), vec!["0077", "600"]);
    assert_eq!(
        run_ok(&env, &["--umask", "27"], &["sh", "-c", "umask"]).out(),
        "0027"
    );
    env.burrow(&[
        "create", "--name", "u", "--umask", "0002", "busybox", "true",
    ])
    .ok();
    assert_eq!(env.inspect_one("u")["Config"]["Umask"], "0002");
    env.burrow(&["rm", "u"]).ok();
    env.refused(
        &run_args(&["--umask", "9999"], &["true"]),
        "invalid umask string 9999",
    );
}

// Pins: --expose shows in Config.ExposedPorts (and unpublished in NetworkSettings.Ports), and
// -P publishes the exposed ports on free host ports.
#[test]
fn expose_and_publish_all() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "ex",
        "--expose",
        "8080",
        "--expose",
        "5353-5354/udp",
        "-p",
        "9090:90",
        "busybox",
        "true",
    ])
    .ok();
    let v = env.inspect_one("ex");
    let exposed: Vec<&String> = v["Config"]["ExposedPorts"]
        .as_object()
        .expect("ExposedPorts")
        .keys()
        .collect();
    assert_eq!(
        exposed,
        vec!["5353/udp", "5354/udp", "8080/tcp", "90/tcp"],
        "{v}"
    );
    assert_eq!(v["NetworkSettings"]["Ports"]["8080/tcp"], Value::Null);
    assert_eq!(
        v["NetworkSettings"]["Ports"]["90/tcp"][0]["HostPort"], "9090",
        "{v}"
    );
    env.burrow(&[
        "create", "--name", "pa", "--expose", "8080", "-P", "busybox", "true",
    ])
    .ok();
    let v = env.inspect_one("pa");
    let host_port = v["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostPort"]
        .as_str()
        .unwrap_or_else(|| panic!("-P did not publish 8080: {v}"))
        .to_string();
    assert!(host_port.parse::<u16>().is_ok_and(|p| p > 0), "{v}");
    let port = env.burrow(&["port", "pa"]).ok();
    assert!(
        port.stdout
            .contains(&format!("8080/tcp -> 0.0.0.0:{host_port}")),
        "{port:?}"
    );
    for bad in ["0", "80/icmp", "http"] {
        env.refused(
            &run_args(&["--expose", bad], &["true"]),
            &format!("invalid --expose \"{bad}\""),
        );
    }
}

// Pins: --unsetenv drops a default variable, --unsetenv-all drops them all (PATH included) but
// keeps -e, --env-merge rewrites a default with its old value.
#[test]
fn unsetenv_and_env_merge() {
    let env = Env::new().with_busybox();
    let out = run_ok(&env, &["--unsetenv", "container"], &["env"]);
    let lines = env_lines(&out);
    assert!(lines.iter().any(|l| l.starts_with("PATH=")), "{out:?}");
    assert!(
        !lines.iter().any(|l| l.starts_with("container=")),
        "{out:?}"
    );
    let out = run_ok(&env, &["--unsetenv-all", "-e", "TERM=abc"], &["/bin/env"]);
    let lines = env_lines(&out);
    assert!(lines.contains(&"TERM=abc".to_string()), "{out:?}");
    for gone in ["PATH=", "container="] {
        assert!(!lines.iter().any(|l| l.starts_with(gone)), "{out:?}");
    }
    let out = run_ok(
        &env,
        &[
            "--env-merge",
            "PATH=${PATH}:/opt/bin",
            "--env-merge",
            "hello=${hello}-some",
        ],
        &["env"],
    );
    let lines = env_lines(&out);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("PATH=") && l.ends_with(":/opt/bin")),
        "{out:?}"
    );
    assert!(lines.contains(&"hello=-some".to_string()), "{out:?}");
    env.burrow(&[
        "create",
        "--name",
        "m",
        "--unsetenv",
        "container",
        "busybox",
        "true",
    ])
    .ok();
    let v = env.inspect_one("m");
    let envs: Vec<&str> = v["Config"]["Env"]
        .as_array()
        .expect("Env")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!envs.iter().any(|e| e.starts_with("container=")), "{v}");
    env.refused(
        &run_args(&["--env-merge", "novalue"], &["true"]),
        "--env-merge",
    );
}

// Pins: --env-host copies the caller's whole environment (under -e); --http-proxy (on by
// default) copies only the proxy variables, and --http-proxy=false none of them.
#[test]
fn env_host_and_http_proxy() {
    let env = Env::new()
        .with_busybox()
        .with_env("http_proxy", "http://proxy.example:3128")
        .with_env("NO_PROXY", "localhost")
        .with_env("CALLER_ONLY", "caller");
    let out = run_ok(&env, &[], &["env"]);
    let lines = env_lines(&out);
    assert!(
        lines.contains(&"http_proxy=http://proxy.example:3128".to_string()),
        "{out:?}"
    );
    assert!(lines.contains(&"NO_PROXY=localhost".to_string()), "{out:?}");
    assert!(
        !lines.iter().any(|l| l.starts_with("CALLER_ONLY=")),
        "{out:?}"
    );
    let out = run_ok(&env, &["--http-proxy=false"], &["env"]);
    assert!(!out.stdout.contains("proxy.example"), "{out:?}");
    let out = run_ok(&env, &["--env-host", "-e", "CALLER_ONLY=flag"], &["env"]);
    let lines = env_lines(&out);
    assert!(lines.contains(&"CALLER_ONLY=flag".to_string()), "{out:?}");
    assert!(lines.contains(&"LANG=C.UTF-8".to_string()), "{out:?}");
    assert!(
        lines.contains(&"http_proxy=http://proxy.example:3128".to_string()),
        "{out:?}"
    );
}

// Pins: --no-hosts and --no-hostname keep the image's files; --hosts-file puts a host file
// (or the image's, `image`) under burrow's entries, after --add-host; conflicts are refused.
#[test]
fn hosts_and_hostname_files() {
    let env = Env::new().with_busybox();
    let generated = run_ok(&env, &[], &["cat", "/etc/hosts"]);
    assert!(generated.stdout.contains("localhost"), "{generated:?}");
    // The test image has its own /etc/hosts (localhost only) and /etc/hostname ("busybox").
    let image_hosts = run_ok(
        &env,
        &["--no-hosts", "--hostname", "given"],
        &["cat", "/etc/hosts"],
    );
    assert_eq!(
        image_hosts.lines(),
        vec![
            "127.0.0.1\tlocalhost",
            "::1\tlocalhost ip6-localhost ip6-loopback"
        ]
    );
    let with_hosts = run_ok(&env, &["--hostname", "given"], &["cat", "/etc/hosts"]);
    assert!(with_hosts.stdout.contains("given"), "{with_hosts:?}");
    let image_hostname = run_ok(
        &env,
        &["--no-hostname", "--hostname", "given"],
        &["sh", "-c", "cat /etc/hostname; hostname"],
    );
    assert_eq!(image_hostname.lines(), vec!["busybox", "given"]);
    let base = env.path("base-hosts");
    std::fs::write(&base, "10.1.2.3\tfrom-base\n").unwrap();
    let base_s = base.display().to_string();
    let out = run_ok(
        &env,
        &["--hosts-file", &base_s, "--add-host", "added:10.9.9.9"],
        &["cat", "/etc/hosts"],
    );
    let lines = out.lines();
    assert_eq!(lines[0], "10.9.9.9\tadded", "{out:?}");
    assert_eq!(lines[1], "10.1.2.3\tfrom-base", "{out:?}");
    assert!(out.stdout.contains("localhost"), "{out:?}");
    // An image with its own /etc/hosts, as `--hosts-file image` reads it.
    let ctx = env.path("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM busybox\nCOPY hosts /etc/hosts\n",
    )
    .unwrap();
    std::fs::write(ctx.join("hosts"), "10.7.7.7 in-image\n").unwrap();
    env.burrow(&["build", "-q", "-t", "withhosts", &ctx.display().to_string()])
        .ok();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--no-hosts",
            "withhosts",
            "cat",
            "/etc/hosts",
        ])
        .ok();
    assert_eq!(out.out(), "10.7.7.7 in-image");
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--hosts-file",
            "image",
            "--add-host",
            "added:10.9.9.9",
            "withhosts",
            "cat",
            "/etc/hosts",
        ])
        .ok();
    let lines = out.lines();
    assert_eq!(lines[0], "10.9.9.9\tadded", "{out:?}");
    assert_eq!(lines[1], "10.7.7.7 in-image", "{out:?}");
    assert!(out.stdout.contains("localhost"), "{out:?}");
    env.burrow(&[
        "create",
        "--name",
        "hf",
        "--hosts-file",
        "none",
        "busybox",
        "true",
    ])
    .ok();
    let v = env.inspect_one("hf");
    assert_eq!(v["HostConfig"]["HostsFile"], "none");
    assert_eq!(v["UseImageHosts"], false);
    env.refused(
        &run_args(&["--no-hosts", "--add-host", "a:10.0.0.1"], &["true"]),
        "cannot add to /etc/hosts if using image's /etc/hosts",
    );
    env.refused(
        &run_args(&["--hosts-file", "relative/file"], &["true"]),
        "--hosts-file",
    );
}

// Pins: a numeric --user the image lacks gets a passwd (and group) entry, --passwd-entry and
// --group-entry shape them, --passwd=false adds none, --hostuser copies a host account.
#[test]
fn passwd_and_group_entries() {
    let env = Env::new().with_busybox();
    let out = run_ok(
        &env,
        &["--user", "4242:4343", "-w", "/tmp"],
        &[
            "sh",
            "-c",
            "grep 4242 /etc/passwd; grep 4343 /etc/group; whoami; echo $HOME",
        ],
    );
    assert_eq!(
        out.lines(),
        vec![
            "4242:*:4242:4343:container user:/tmp:/bin/sh",
            "4343:x:4343:4242",
            "4242",
            "/tmp"
        ]
    );
    let out = run_ok(
        &env,
        &[
            "--user",
            "4242",
            "--passwd-entry",
            "$USERNAME:x:$UID:$GID:$NAME:$HOME:/bin/false",
        ],
        &["grep", "4242", "/etc/passwd"],
    );
    assert_eq!(out.out(), "4242:x:4242:0:container user:/:/bin/false");
    let out = run_ok(
        &env,
        &[
            "--user",
            "4242:777",
            "--group-entry",
            "grp$GID:x:$GID:$USERLIST",
        ],
        &["grep", "777", "/etc/group"],
    );
    assert_eq!(out.out(), "grp777:x:777:4242");
    let out = run_ok(
        &env,
        &["--user", "4242", "--passwd=false"],
        &["sh", "-c", "grep -c 4242 /etc/passwd; true"],
    );
    assert_eq!(out.out(), "0");
    // --read-only: the entries go into copies bound over the image's files.
    let out = run_ok(
        &env,
        &["--user", "4242", "--read-only"],
        &["grep", "4242", "/etc/passwd"],
    );
    assert_eq!(out.out(), "4242:*:4242:0:container user:/:/bin/sh");
    let me = env.user();
    let out = run_ok(
        &env,
        &["--hostuser", &me.name],
        &["grep", &format!(":{}:", me.uid), "/etc/passwd"],
    );
    assert!(
        out.out()
            .starts_with(&format!("{}:*:{}:{}:", me.name, me.uid, me.gid)),
        "{out:?}"
    );
    env.refused(
        &run_args(&["--hostuser", "no-such-user-here"], &["true"]),
        "--hostuser",
    );
    env.burrow(&[
        "create",
        "--name",
        "np",
        "--passwd=false",
        "busybox",
        "true",
    ])
    .ok();
    assert_eq!(env.inspect_one("np")["Config"]["Passwd"], false);
}

// Pins: --sysctl sets namespaced kernel parameters in the container's own namespaces (shown by
// inspect), refuses the ones podman refuses, and net.* with --network host.
#[test]
fn sysctls_in_the_containers_namespaces() {
    let env = Env::new().with_busybox();
    let out = run_ok(
        &env,
        &[
            "--sysctl",
            "net.ipv4.ip_forward=1",
            "--sysctl",
            "kernel.shmmax=123456",
        ],
        &[
            "sh",
            "-c",
            "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax",
        ],
    );
    assert_eq!(out.lines(), vec!["1", "123456"]);
    // The host's own values are untouched.
    let host = std::fs::read_to_string("/proc/sys/kernel/shmmax").unwrap();
    assert_ne!(host.trim(), "123456");
    env.burrow(&[
        "create",
        "--name",
        "sc",
        "--sysctl",
        "net.ipv4.ping_group_range=0 1000",
        "busybox",
        "true",
    ])
    .ok();
    assert_eq!(
        env.inspect_one("sc")["HostConfig"]["Sysctls"]["net.ipv4.ping_group_range"],
        "0 1000"
    );
    env.refused(
        &run_args(&["--sysctl", "kernel.hostname=x"], &["true"]),
        "sysctl 'kernel.hostname' is not allowed",
    );
    env.refused(
        &run_args(&["--sysctl", "net.ipv4.ip_forward"], &["true"]),
        "sysctl values must be in the form of KEY=VALUE",
    );
    env.refused(
        &run_args(
            &["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"],
            &["true"],
        ),
        "can't be set since Network Namespace set to host",
    );
}

// Pins: the container's pid goes to --pidfile (or the userdata pidfile inspect names) at start.
#[test]
fn pidfile_holds_the_containers_pid() {
    let env = Env::new().with_busybox();
    let file = env.home().join("ctr.pid");
    let file_s = file.display().to_string();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "p",
        "--pidfile",
        &file_s,
        "busybox",
        "sleep",
        "100",
    ])
    .ok();
    let v = env.inspect_one("p");
    let pid = v["State"]["Pid"].as_i64().expect("a pid").to_string();
    assert_eq!(v["PidFile"], file_s.as_str());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pid);
    env.burrow(&["run", "-d", "--name", "q", "busybox", "sleep", "100"])
        .ok();
    let v = env.inspect_one("q");
    let path = v["PidFile"].as_str().expect("PidFile").to_string();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        v["State"]["Pid"].as_i64().unwrap().to_string()
    );
    env.burrow(&["rm", "-f", "-t", "0", "p", "q"]).ok();
}

// Pins: --timeout kills a container still running after N seconds (exit 137, as conmon's).
#[test]
fn timeout_kills_a_long_run() {
    let env = Env::new().with_busybox();
    let started = std::time::Instant::now();
    let out = env.burrow(&run_args(&["--timeout", "1"], &["sleep", "30"]));
    assert_eq!(out.status, 137, "{out:?}");
    // Well under the 30 s the command would take (a loaded machine makes start-up slow).
    assert!(started.elapsed().as_secs() < 25, "{out:?}");
    run_ok(&env, &["--timeout", "10"], &["true"]);
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "t",
        "--timeout",
        "1",
        "busybox",
        "sleep",
        "30",
    ])
    .ok();
    assert_eq!(env.inspect_one("t")["Config"]["Timeout"], 1);
    let waited = env.burrow(&["wait", "t"]).ok();
    assert_eq!(waited.out(), "137");
}

// Pins: run --rmi removes the image after the container (implies --rm), and only warns when
// another container still uses it.
#[test]
fn rmi_removes_the_image_after_the_run() {
    let env = Env::new().with_busybox();
    let tar = common::busybox_tar().display().to_string();
    env.burrow(&["import", &tar, "solo"]).ok();
    run_ok(&env, &[], &["true"]);
    env.burrow(&["run", "--rmi", "solo", "true"]).ok();
    env.burrow(&["image", "exists", "solo"]).code(1);
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().out(), "");
    env.burrow(&["import", &tar, "kept"]).ok();
    env.burrow(&["create", "--name", "user", "kept", "true"])
        .ok();
    let out = env.burrow(&["run", "--rmi", "kept", "true"]).ok();
    assert!(out.stderr.contains("in use by a container"), "{out:?}");
    env.burrow(&["image", "exists", "kept"]).ok();
    env.burrow(&["rm", "user"]).ok();
    env.burrow(&["run", "-d", "--rmi", "kept", "true"]).ok();
    let mut gone = false;
    for _ in 0..50 {
        if env.burrow(&["image", "exists", "kept"]).status == 1 {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(gone, "run -d --rmi left the image");
}

/// `readlink /proc/self/ns/KIND` as the test runner sees it (the host's namespace).
fn host_ns(kind: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{kind}"))
        .unwrap()
        .display()
        .to_string()
}

// Pins: --pid/--ipc/--uts host keep the host's namespaces (hostname included, and --hostname
// with it is refused); container:NAME joins another container's; inspect shows the modes.
#[test]
fn pid_ipc_uts_namespaces() {
    let env = Env::new().with_busybox();
    let out = run_ok(
        &env,
        &["--pid", "host", "--ipc", "host", "--uts", "host"],
        &[
            "sh",
            "-c",
            "for n in pid ipc uts; do readlink /proc/self/ns/$n; done; hostname; test -d /proc/1",
        ],
    );
    let host_name = nix::unistd::gethostname().unwrap();
    assert_eq!(
        out.lines(),
        vec![
            host_ns("pid"),
            host_ns("ipc"),
            host_ns("uts"),
            host_name.to_string_lossy().to_string()
        ]
    );
    let own = run_ok(&env, &[], &["readlink", "/proc/self/ns/pid"]);
    assert_ne!(own.out(), host_ns("pid"));
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "a",
        "--hostname",
        "ahost",
        "busybox",
        "sleep",
        "100",
    ])
    .ok();
    let ns_of_a = |kind: &str| {
        env.burrow(&["exec", "a", "readlink", &format!("/proc/self/ns/{kind}")])
            .ok()
            .out()
            .to_string()
    };
    let out = run_ok(
        &env,
        &[
            "--pid",
            "container:a",
            "--ipc",
            "container:a",
            "--uts",
            "container:a",
        ],
        &[
            "sh",
            "-c",
            "for n in pid ipc uts; do readlink /proc/self/ns/$n; done; hostname; ps -o args | grep -c '[s]leep 100'",
        ],
    );
    assert_eq!(
        out.lines(),
        vec![
            ns_of_a("pid"),
            ns_of_a("ipc"),
            ns_of_a("uts"),
            "ahost".to_string(),
            "1".to_string()
        ]
    );
    env.burrow(&[
        "create",
        "--name",
        "b",
        "--pid",
        "container:a",
        "--ipc",
        "host",
        "busybox",
        "true",
    ])
    .ok();
    let v = env.inspect_one("b");
    let a_id = env.inspect_one("a")["Id"].as_str().unwrap().to_string();
    assert_eq!(v["HostConfig"]["PidMode"], format!("container:{a_id}"));
    assert_eq!(v["HostConfig"]["IpcMode"], "host");
    assert_eq!(v["HostConfig"]["UTSMode"], "private");
    env.burrow(&["rm", "-f", "-t", "0", "a"]).ok();
    // The other container is gone: the start says so.
    env.burrow(&["start", "b"]).code(125);
    env.burrow(&["rm", "b"]).ok();
    env.refused(
        &run_args(&["--uts", "host", "--hostname", "x"], &["true"]),
        "cannot set hostname when running in the host UTS namespace",
    );
    env.refused(
        &run_args(&["--pid", "bogus"], &["true"]),
        "invalid --pid \"bogus\"",
    );
    env.refused(
        &run_args(&["--ipc", "container:nope"], &["true"]),
        "no container with name or ID \"nope\" found",
    );
    env.refused(
        &run_args(&["--uts", "ns:/no/such/ns"], &["true"]),
        "does not exist",
    );
}

// Pins: the cgroup flags are checked as podman checks them; rootless on a host whose cgroups
// cannot be delegated they get podman's warning and are dropped, as --memory is.
#[test]
fn cgroup_flags_rootless() {
    let env = Env::new().with_busybox();
    for (flags, needle) in [
        (
            &["--cpu-quota", "10"][..],
            "CPU cfs quota can not be less than 1ms",
        ),
        (
            &["--cpu-period", "10"][..],
            "CPU cfs period can not be less than 1ms",
        ),
        (
            &["--cpus", "1", "--cpu-quota", "50000"][..],
            "--cpus conflicts with --cpu-period",
        ),
        (
            &["--memory-swappiness", "200"][..],
            "valid memory swappiness range is 0-100",
        ),
        (
            &["--blkio-weight", "5"][..],
            "range of blkio weight is from 10 to 1000",
        ),
        (&["--cpuset-mems", "99"][..], "memory node 99 is not online"),
        (
            &["--device-read-bps", "/dev/null:1mb"][..],
            "/dev/null is not a block device",
        ),
        (&["--device-write-iops", "/dev/null"][..], "use PATH:RATE"),
    ] {
        env.refused(&run_args(flags, &["true"]), needle);
    }
    let delegated = env
        .burrow(&["system", "doctor"])
        .lines()
        .iter()
        .any(|l| l.starts_with("[ ok ] cgroup v2 delegation"));
    if delegated {
        return;
    }
    let out = env
        .burrow(&[
            "run",
            "--name",
            "w",
            "--cpu-period",
            "50000",
            "--cpu-quota",
            "25000",
            "--cpuset-mems",
            "0",
            "--memory-swappiness",
            "10",
            "--oom-kill-disable",
            "busybox",
            "echo",
            "hi",
        ])
        .ok();
    assert_eq!(out.out(), "hi");
    assert!(
        out.stderr.contains("Resource limits are not supported"),
        "{out:?}"
    );
    let hc = &env.inspect_one("w")["HostConfig"];
    assert_eq!(hc["CpuQuota"], 0, "{hc}");
    assert_eq!(hc["OomKillDisable"], false, "{hc}");
}

// Pins: as root the cgroup flags land in the container's cgroup files.
#[test]
fn cgroup_flags_as_root() {
    if common::skip_unless_root() {
        return;
    }
    let env = Env::new();
    let tar = common::busybox_tar().display().to_string();
    common::root_burrow(&env, &["import", &tar, "busybox"]).ok();
    let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let block = ["/dev/vda", "/dev/sda", "/dev/nvme0n1"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let mut args = vec![
        "run",
        "-d",
        "--cpu-period",
        "50000",
        "--cpu-quota",
        "25000",
        "--cpuset-mems",
        "0",
        "--memory",
        "64m",
        "--memory-swappiness",
        "10",
        "--oom-kill-disable",
    ];
    let bps;
    let iops;
    if let Some(dev) = block {
        bps = format!("{dev}:1mb");
        iops = format!("{dev}:100");
        args.extend(["--device-read-bps", &bps, "--device-write-iops", &iops]);
    }
    args.extend(["busybox", "sleep", "1000"]);
    let id = common::root_burrow(&env, &args).ok().out().to_string();
    let file = |controller: &str, name: &str| {
        let p = if v2 {
            std::path::Path::new("/sys/fs/cgroup/burrow")
                .join(&id)
                .join(name)
        } else {
            std::path::Path::new("/sys/fs/cgroup")
                .join(controller)
                .join("burrow")
                .join(&id)
                .join(name)
        };
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .trim()
            .to_string()
    };
    if v2 {
        assert_eq!(file("cpu", "cpu.max"), "25000 50000");
    } else {
        assert_eq!(file("cpu", "cpu.cfs_period_us"), "50000");
        assert_eq!(file("cpu", "cpu.cfs_quota_us"), "25000");
        assert_eq!(file("memory", "memory.swappiness"), "10");
        assert!(file("memory", "memory.oom_control").contains("oom_kill_disable 1"));
    }
    assert_eq!(file("cpuset", "cpuset.mems"), "0");
    if let Some(dev) = block {
        use std::os::unix::fs::MetadataExt;
        let rdev = std::fs::metadata(dev).unwrap().rdev();
        let (ma, mi) = (libc::major(rdev), libc::minor(rdev));
        if v2 {
            let io = file("io", "io.max");
            assert!(io.contains(&format!("{ma}:{mi} rbps=1048576")), "{io}");
        } else {
            assert_eq!(
                file("blkio", "blkio.throttle.read_bps_device"),
                format!("{ma}:{mi} 1048576")
            );
            assert_eq!(
                file("blkio", "blkio.throttle.write_iops_device"),
                format!("{ma}:{mi} 100")
            );
        }
    }
    let out = common::root_burrow(&env, &["inspect", &id]).ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let hc = &v[0]["HostConfig"];
    assert_eq!(hc["CpuPeriod"], 50000, "{hc}");
    assert_eq!(hc["CpuQuota"], 25000, "{hc}");
    assert_eq!(hc["MemorySwappiness"], 10, "{hc}");
    assert_eq!(hc["OomKillDisable"], true, "{hc}");
    common::root_burrow(&env, &["rm", "-f", "-t", "0", &id]).ok();
}

// Pins: --log-driver none keeps no log (logs refuses with podman's message), json-file is
// k8s-file, --log-opt path= moves the file, max-size= makes it start over, tag= shows in
// inspect; unsupported drivers and options are refused.
#[test]
fn log_driver_and_options() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "quiet",
        "--log-driver",
        "none",
        "busybox",
        "echo",
        "hi",
    ])
    .ok()
    .stdout_has("hi");
    let out = env.burrow(&["logs", "quiet"]).code(125);
    assert!(
        out.stderr
            .contains("this container is using the 'none' log driver, cannot read logs"),
        "{out:?}"
    );
    assert_eq!(
        env.inspect_one("quiet")["HostConfig"]["LogConfig"]["Type"],
        "none"
    );
    let file = env.home().join("my.log");
    let file_s = file.display().to_string();
    let path_opt = format!("path={file_s}");
    env.burrow(&[
        "run",
        "--name",
        "moved",
        "--log-driver",
        "json-file",
        "--log-opt",
        &path_opt,
        "--log-opt",
        "tag=mytag",
        "busybox",
        "echo",
        "to-the-file",
    ])
    .ok();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(" stdout F to-the-file"), "{text}");
    assert_eq!(env.burrow(&["logs", "moved"]).ok().out(), "to-the-file");
    let lc = &env.inspect_one("moved")["HostConfig"]["LogConfig"];
    assert_eq!(lc["Type"], "k8s-file");
    assert_eq!(lc["Path"], file_s.as_str());
    assert_eq!(lc["Tag"], "mytag");
    // Each line is one ~55-byte entry (written apart): with a 200-byte cap the file starts over
    // and ends with the last.
    env.burrow(&[
        "run",
        "--name",
        "capped",
        "--log-opt",
        "max-size=200",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i; usleep 20000; done",
    ])
    .ok();
    let logs = env.burrow(&["logs", "capped"]).ok();
    assert!(logs.out().ends_with("line10"), "{logs:?}");
    assert!(!logs.stdout.contains("line1\n"), "{logs:?}");
    assert_eq!(
        env.inspect_one("capped")["HostConfig"]["LogConfig"]["Size"],
        "200B"
    );
    env.refused(
        &run_args(&["--log-driver", "syslog"], &["true"]),
        "invalid --log-driver \"syslog\"",
    );
    env.refused(
        &run_args(&["--log-opt", "color=red"], &["true"]),
        "invalid --log-opt \"color=red\"",
    );
}

// Pins: --personality LINUX32 makes a 64-bit host look 32-bit to the container (uname -m).
#[test]
fn personality_sets_the_execution_domain() {
    let env = Env::new().with_busybox();
    let native = run_ok(&env, &[], &["uname", "-m"]).out().to_string();
    let linux32 = run_ok(&env, &["--personality", "LINUX32"], &["uname", "-m"]);
    match native.as_str() {
        "x86_64" => assert_eq!(linux32.out(), "i686"),
        "aarch64" => assert_eq!(linux32.out(), "armv8l"),
        _ => {}
    }
    assert_eq!(
        run_ok(&env, &["--personality", "LINUX"], &["uname", "-m"]).out(),
        native
    );
    env.refused(
        &run_args(&["--personality", "BSD"], &["true"]),
        "invalid --personality \"BSD\"",
    );
}
