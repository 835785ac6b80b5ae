//! Healthchecks: `--health-*` flags, the status a container's checks add up to (inspect,
//! ps, its filter, events), `healthcheck run`, `--health-on-failure`, an image's HEALTHCHECK,
//! and checks run by the monitor's poll loop at no cost between them.

mod common;

use std::time::{Duration, Instant};

use common::Env;

fn health(env: &Env, name: &str) -> String {
    env.burrow(&["inspect", "--format", "{{.State.Health.Status}}", name])
        .ok()
        .out()
        .to_string()
}

#[track_caller]
fn wait_for(env: &Env, name: &str, want: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let have = health(env, name);
        if have == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: health {have}, wanted {want}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn ps_status(env: &Env, name: &str) -> String {
    env.burrow(&[
        "ps",
        "--filter",
        &format!("name=^{name}$"),
        "--format",
        "{{.Status}}",
    ])
    .ok()
    .out()
    .to_string()
}

// Pins: starting -> unhealthy after the retries, healthy once the check passes; inspect, ps,
// the health filter and the health_status events agree; `healthcheck run` exits 0 / 1.
#[test]
fn status_follows_the_check() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "hc",
        "--health-cmd",
        "test -e /tmp/ok",
        "--health-interval",
        "1s",
        "busybox",
        "sleep",
        "100",
    ])
    .ok();
    let first = health(&env, "hc");
    assert!(first == "starting" || first == "unhealthy", "{first}");
    wait_for(&env, "hc", "unhealthy", Duration::from_secs(20));
    assert!(ps_status(&env, "hc").ends_with("(unhealthy)"));
    env.burrow(&[
        "ps",
        "--filter",
        "health=unhealthy",
        "--format",
        "{{.Names}}",
    ])
    .ok()
    .stdout_has("hc");
    env.burrow(&["healthcheck", "run", "hc"])
        .code(1)
        .stdout_has("unhealthy");
    let streak = env
        .burrow(&[
            "inspect",
            "--format",
            "{{.State.Health.FailingStreak}}",
            "hc",
        ])
        .ok();
    assert!(streak.out().parse::<u32>().unwrap() >= 3, "{streak:?}");
    env.burrow(&["exec", "hc", "touch", "/tmp/ok"]).ok();
    env.burrow(&["healthcheck", "run", "hc"]).ok();
    assert_eq!(health(&env, "hc"), "healthy");
    assert!(ps_status(&env, "hc").ends_with("(healthy)"));
    env.burrow(&["ps", "--filter", "health=healthy", "--format", "{{.Names}}"])
        .ok()
        .stdout_has("hc");
    env.burrow(&["inspect", "--format", "{{.Config.Healthcheck.Test}}", "hc"])
        .ok()
        .stdout_has("CMD-SHELL");
    env.burrow(&[
        "events",
        "--stream=false",
        "--filter",
        "event=health_status",
    ])
    .ok()
    .stdout_has("health_status=healthy");
    // Not running: podman's message, exit 125.
    env.burrow(&["stop", "-t", "0", "hc"]).ok();
    env.burrow(&["healthcheck", "run", "hc"])
        .code(125)
        .stderr_has("is not running");
    env.burrow(&["run", "-d", "--name", "plain", "busybox", "sleep", "100"])
        .ok();
    env.burrow(&["healthcheck", "run", "plain"])
        .code(125)
        .stderr_has("has no defined healthcheck");
    env.burrow(&["ps", "--filter", "health=none", "--format", "{{.Names}}"])
        .ok()
        .stdout_has("plain");
    env.burrow(&["rm", "-f", "-a"]).ok();
}

// Pins: --health-on-failure kill ends the container once it turns unhealthy.
#[test]
fn on_failure_kill() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "k",
        "--health-cmd",
        "false",
        "--health-interval",
        "1s",
        "--health-retries",
        "1",
        "--health-on-failure",
        "kill",
        "busybox",
        "sleep",
        "100",
    ])
    .ok();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let st = env
            .burrow(&["inspect", "--format", "{{.State.Status}}", "k"])
            .ok();
        if st.out() == "exited" {
            break;
        }
        assert!(Instant::now() < deadline, "still {}", st.out());
        std::thread::sleep(Duration::from_millis(200));
    }
    env.burrow(&["rm", "-f", "k"]).ok();
}

// Pins: a built image's HEALTHCHECK is the container's; --no-healthcheck drops it;
// --health-interval overrides one field of it.
#[test]
fn image_healthcheck_and_no_healthcheck() {
    let env = Env::new().with_busybox();
    let ctx = env.path("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM busybox\nHEALTHCHECK --interval=5s --retries=2 CMD true\n",
    )
    .unwrap();
    common::make_dir(&ctx, 0o755);
    env.burrow(&["build", "-q", "-t", "hcimg", ctx.to_str().unwrap()])
        .ok();
    env.burrow(&["create", "--name", "a", "hcimg", "sleep", "100"])
        .ok();
    env.burrow(&[
        "inspect", "--format",
        "{{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}}",
        "a",
    ])
    .ok()
    .stdout_has("[CMD-SHELL true] 5000000000 2");
    env.burrow(&[
        "create",
        "--name",
        "b",
        "--health-interval",
        "1m",
        "hcimg",
        "sleep",
        "1",
    ])
    .ok();
    env.burrow(&[
        "inspect",
        "--format",
        "{{.Config.Healthcheck.Interval}}",
        "b",
    ])
    .ok()
    .stdout_has("60000000000");
    env.burrow(&[
        "create",
        "--name",
        "c",
        "--no-healthcheck",
        "hcimg",
        "sleep",
        "1",
    ])
    .ok();
    let c = env.burrow(&["inspect", "c"]).ok();
    assert!(!c.stdout.contains("Healthcheck"), "{c:?}");
}

// Pins: a bad value is one Error line naming the flag, exit 125, nothing created.
#[test]
fn bad_values_are_refused() {
    let env = Env::new().with_busybox();
    for (flag, value) in [
        ("--health-interval", "10"),
        ("--health-timeout", "soon"),
        ("--health-retries", "0"),
        ("--health-on-failure", "explode"),
        ("--health-max-log-count", "lots"),
    ] {
        let out = env.burrow(&["create", "--health-cmd", "true", flag, value, "busybox"]);
        let out = out.code(125).stderr_has(flag);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{out:?}");
        assert!(out.stderr.starts_with("Error: "), "{out:?}");
    }
    let out = env.burrow(&["ps", "-a", "-q"]).ok();
    assert!(out.out().is_empty(), "{out:?}");
}

fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime: fields 14 and 15, 11 and 12 after the command.
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

// Pins: between checks the monitor sleeps in poll: its CPU time does not grow.
#[test]
fn monitor_is_idle_between_checks() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "idle",
        "--health-cmd",
        "true",
        "--health-interval",
        "1h",
        "busybox",
        "sleep",
        "100",
    ])
    .ok();
    wait_for(&env, "idle", "healthy", Duration::from_secs(20));
    let pid = env
        .burrow(&["inspect", "--format", "{{.State.ConmonPid}}", "idle"])
        .ok()
        .out()
        .to_string();
    let before = cpu_ticks(&pid);
    std::thread::sleep(Duration::from_secs(3));
    let after = cpu_ticks(&pid);
    assert!(
        after <= before + 1,
        "monitor used {} ticks while idle",
        after - before
    );
    env.burrow(&["rm", "-f", "idle"]).ok();
}
