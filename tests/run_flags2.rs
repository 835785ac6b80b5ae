//! More podman `run`/`create` flags, end to end: container dependencies, pull retries, the
//! image's volumes, the init binary, seccomp from the image, cgroup placement and which streams
//! a foreground run connects. Each checks what a user would notice, and a bad value gives one
//! `Error:` line and exit 125 with nothing created. Every command runs the real binary as the
//! test user.

mod common;

use common::{Env, Output};
use serde_json::Value;

/// A refused command: exit 125, exactly one line on stderr, starting `Error:` and containing
/// `needle`, and no container made or removed.
#[track_caller]
fn refused(env: &Env, args: &[&str], needle: &str) -> Output {
    let before = env.burrow(&["ps", "-a", "-q"]).ok();
    let out = env.burrow(args).code(125);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected\n{out:?}");
    assert!(
        lines[0].starts_with("Error: ") && lines[0].contains(needle),
        "expected an Error: line naming {needle:?}\n{out:?}"
    );
    let ps = env.burrow(&["ps", "-a", "-q"]).ok();
    assert_eq!(
        ps.out(),
        before.out(),
        "a refused command changed the containers"
    );
    out
}

/// `inspect NAME`, the one object.
#[track_caller]
fn inspect(env: &Env, name: &str) -> Value {
    let out = env.burrow(&["inspect", name]).ok();
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("inspect did not print JSON: {e}\n{out:?}"));
    doc[0].clone()
}

fn state(env: &Env, name: &str) -> String {
    env.burrow(&["inspect", "--format", "{{.State.Status}}", name])
        .ok()
        .out()
        .to_string()
}

// Pins: --requires starts the required containers (and theirs) first, inspect lists them in
// Dependencies, a required container cannot be removed while its dependent exists, and an
// unknown one is refused at create.
#[test]
fn requires_starts_dependencies_first_and_guards_their_removal() {
    let env = Env::new().with_busybox();
    let db = env
        .burrow(&["create", "--name", "db", "busybox", "sleep", "300"])
        .ok()
        .out()
        .to_string();
    let cache = env
        .burrow(&[
            "create",
            "--name",
            "cache",
            "--requires",
            "db",
            "busybox",
            "sleep",
            "300",
        ])
        .ok()
        .out()
        .to_string();
    env.burrow(&[
        "create",
        "--name",
        "app",
        "--requires",
        "cache,db",
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    assert_eq!(
        inspect(&env, "app")["Dependencies"],
        serde_json::json!([cache, db])
    );
    assert_eq!(inspect(&env, "db")["Dependencies"], serde_json::json!([]));

    env.burrow(&["start", "app"]).ok();
    for name in ["db", "cache", "app"] {
        assert_eq!(state(&env, name), "running", "{name} was not started");
    }

    let out = env.burrow(&["rm", "-f", "db"]).code(125);
    assert!(
        out.stderr
            .contains("has dependent containers which must be removed before it")
            && out.stderr.contains(&cache),
        "{out:?}"
    );
    assert_eq!(
        state(&env, "db"),
        "running",
        "a refused rm stopped the container"
    );
    env.burrow(&["rm", "-f", "app"]).ok();
    env.burrow(&["rm", "-f", "cache"]).ok();
    env.burrow(&["rm", "-f", "db"]).ok();

    refused(
        &env,
        &["create", "--requires", "nosuch", "busybox", "true"],
        "\"nosuch\" is not a valid container, cannot be used as a dependency",
    );
}

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("its address").port()
}

// Pins: --retry N / --retry-delay D retry run's pull on a registry error that may pass, with
// podman's warning for each retry and the wait between them; --retry 0 tries once; a bad delay
// is refused before anything is pulled.
#[test]
fn retry_and_retry_delay_apply_to_runs_pull() {
    let env = Env::new().with_busybox();
    let image = format!("127.0.0.1:{}/nothing/here:latest", closed_port());
    let started = std::time::Instant::now();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--tls-verify=false",
            "--retry",
            "2",
            "--retry-delay",
            "300ms",
            &image,
            "true",
        ])
        .code(125);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("Failed, retrying in 300ms ..."))
        .collect();
    assert_eq!(warnings.len(), 2, "two retries expected\n{out:?}");
    assert!(
        warnings[0].contains("(1/2)") && warnings[1].contains("(2/2)"),
        "{out:?}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(600),
        "no wait between tries"
    );
    assert!(
        out.stderr
            .lines()
            .last()
            .unwrap_or("")
            .starts_with("Error: "),
        "{out:?}"
    );

    let once = env
        .burrow(&[
            "create",
            "--tls-verify=false",
            "--retry",
            "0",
            &image,
            "true",
        ])
        .code(125);
    assert!(
        !once.stderr.contains("retrying"),
        "--retry 0 retried\n{once:?}"
    );

    refused(
        &env,
        &["create", "--retry-delay", "soon", "busybox", "true"],
        "invalid --retry-delay \"soon\"",
    );
    env.burrow(&["create", "--retry=many", "busybox", "true"])
        .code(125)
        .stderr_has("--retry");
}
