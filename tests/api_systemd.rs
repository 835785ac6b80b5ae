//! The Docker API socket under a real systemd (tests/tools/systemd-machine): the shipped
//! `burrow.socket` listens, the first connection starts `burrow.service`, the docker CLI works
//! through it, the service exits when idle while the socket keeps listening, and the next
//! connection starts it again.

mod common;
#[path = "common/machine.rs"]
mod machine;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Env;
use machine::Machine;

/// burrow-api beside the machine's burrow binary, under a name of its own (parallel tests).
fn machine_api_bin() -> PathBuf {
    let src = PathBuf::from(env!("CARGO_BIN_EXE_burrow")).with_file_name("burrow-api");
    assert!(
        src.is_file(),
        "{} missing: cargo build -p burrow-api",
        src.display()
    );
    let dir = machine::machine_bin()
        .parent()
        .expect("the machine binary's directory")
        .to_path_buf();
    let dst = dir.join(format!("burrow-api-{}", std::process::id()));
    let tmp = dir.join(format!(".burrow-api-{}", std::process::id()));
    std::fs::copy(&src, &tmp).expect("copy burrow-api");
    std::fs::rename(&tmp, &dst).expect("rename burrow-api");
    dst
}

/// Installs the user units as scripts/install does (@@BINDIR@@ -> the binary's directory),
/// with a drop-in for the test's binary names and a short idle time.
fn install_units(m: &Machine, env: &Env, api: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = machine::machine_bin();
    let bindir = bin.parent().expect("bindir").display().to_string();
    for unit in ["burrow.socket", "burrow.service"] {
        let text = std::fs::read_to_string(repo.join("contrib/systemd/user").join(unit))
            .expect("read the shipped unit");
        let text = text.replace("@@BINDIR@@", &bindir);
        put_root(m, env, &format!("/etc/systemd/user/{unit}"), &text);
    }
    let dropin = format!(
        "[Service]\nEnvironment=BURROW_API_BIN={}\nExecStart=\nExecStart={} system service --time 2\n",
        api.display(),
        bin.display()
    );
    put_root(
        m,
        env,
        "/etc/systemd/user/burrow.service.d/test.conf",
        &dropin,
    );
}

fn put_root(m: &Machine, env: &Env, path: &str, text: &str) {
    let script = format!("mkdir -p \"$(dirname {path})\" && cat > {path}");
    let mut cmd = std::process::Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/systemd-machine"),
    );
    cmd.args(["root", m.name(), "sh", "-c", &script]);
    let out = env.output_stdin(cmd, text);
    assert!(out.status == 0, "{out:?}");
}

fn is_active(m: &Machine, env: &Env, unit: &str) -> String {
    m.systemctl(env, &["is-active", unit])
        .stdout
        .trim()
        .to_string()
}

/// Waits until `unit` reports `want` (or panics with the journal).
fn wait_state(m: &Machine, env: &Env, unit: &str, want: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let state = is_active(m, env, unit);
        if state == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{unit} is {state}, want {want}\n{}",
            m.journal(env)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

// Pins: socket activation end to end: socket listening with the service inactive; the first
// request answers and activates the service; docker run works through it; idle -> the service
// exits and the socket still listens; the next request starts it again.
#[test]
fn the_socket_starts_the_service_on_demand_and_it_exits_when_idle() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    let api = machine_api_bin();
    install_units(&m, &env, &api);
    m.systemctl(&env, &["daemon-reload"]).ok();
    let start = m.systemctl(&env, &["start", "burrow.socket"]);
    assert!(start.status == 0, "{start:?}\n{}", m.journal(&env));
    assert_eq!(is_active(&m, &env, "burrow.socket"), "active");
    assert_eq!(is_active(&m, &env, "burrow.service"), "inactive");

    // The socket systemd made: in the manager's runtime dir (%t), owner-only.
    let sock = format!("/run/user/{}/burrow/burrow.sock", env.uid());
    let stat = m.user_plain(&env, "stat", &["-c", "%a %F", &sock]).ok();
    assert_eq!(stat.stdout.trim(), "600 socket");

    let ping = m.user_plain(
        &env,
        "curl",
        &["-sS", "--unix-socket", &sock, "http://d/_ping"],
    );
    assert!(ping.status == 0, "{ping:?}\n{}", m.journal(&env));
    assert_eq!(ping.stdout, "OK");
    assert_eq!(is_active(&m, &env, "burrow.service"), "active");

    let host = format!("DOCKER_HOST=unix://{sock}");
    let out = m.user(
        &env,
        "env",
        &[&host, "docker", "run", "--rm", "busybox", "echo", "hi"],
    );
    assert!(out.status == 0, "{out:?}\n{}", m.journal(&env));
    assert_eq!(out.stdout, "hi\n");

    // Idle (--time 2): the service goes, the socket stays.
    wait_state(
        &m,
        &env,
        "burrow.service",
        "inactive",
        Duration::from_secs(20),
    );
    assert_eq!(is_active(&m, &env, "burrow.socket"), "active");

    let out = m.user(
        &env,
        "env",
        &[&host, "docker", "version", "-f", "{{.Server.Os}}"],
    );
    assert!(out.status == 0, "{out:?}\n{}", m.journal(&env));
    assert_eq!(out.stdout.trim(), "linux");
    assert_eq!(is_active(&m, &env, "burrow.service"), "active");
    wait_state(
        &m,
        &env,
        "burrow.service",
        "inactive",
        Duration::from_secs(20),
    );
    let _ = std::fs::remove_file(api);
}
