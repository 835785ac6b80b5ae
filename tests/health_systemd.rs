//! Healthchecks under a real systemd (tests/tools/systemd-machine): where the user's manager
//! answers, burrow runs the checks from a transient timer, as podman does, and removes it
//! with the container.

mod common;
#[path = "common/machine.rs"]
mod machine;

use std::time::{Duration, Instant};

use machine::Machine;

// Pins: the timer exists while the container runs, drives the status to unhealthy, and is
// gone after `rm -f`.
#[test]
fn transient_timer_runs_the_checks() {
    let m = Machine::boot();
    let mut env = m.env();
    // The user's bus (the Env's own XDG_RUNTIME_DIR has none).
    let bus = format!("unix:path=/run/user/{}/bus", env.uid());
    env.set_env("DBUS_SESSION_BUS_ADDRESS", &bus);
    m.import_busybox(&env);
    let id = m
        .burrow(
            &env,
            &[
                "run",
                "-d",
                "--name",
                "hc",
                "--health-cmd",
                "false",
                "--health-interval",
                "1s",
                "--health-retries",
                "2",
                "busybox",
                "sleep",
                "300",
            ],
        )
        .ok()
        .out()
        .to_string();
    let timers = m
        .systemctl(&env, &["list-timers", "--all", "--no-pager"])
        .ok();
    assert!(
        timers.stdout.contains(&format!("{id}.timer")),
        "{timers:?}\n{}",
        m.journal(&env)
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = m
            .burrow(
                &env,
                &["inspect", "--format", "{{.State.Health.Status}}", "hc"],
            )
            .ok();
        if h.out() == "unhealthy" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {}\n{}",
            h.out(),
            m.journal(&env)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    m.burrow(&env, &["rm", "-f", "hc"]).ok();
    let timers = m
        .systemctl(&env, &["list-timers", "--all", "--no-pager"])
        .ok();
    assert!(!timers.stdout.contains(&id), "{timers:?}");
}
