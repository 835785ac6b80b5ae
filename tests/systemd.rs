//! burrow under a real systemd (tests/tools/systemd-machine): containers run from the test
//! user's systemd manager, and across reboots.

mod common;
#[path = "common/machine.rs"]
mod machine;

use machine::Machine;

// Pins: the harness itself: a container runs inside a booted machine, from a command and from
// a transient user unit, and the user's store survives a reboot.
#[test]
fn containers_run_under_the_user_manager_and_survive_a_reboot() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    let out = m
        .burrow(&env, &["run", "--rm", "busybox", "echo", "inside"])
        .ok();
    assert_eq!(out.stdout, "inside\n");
    let bin = machine::machine_bin().display().to_string();
    let out = m.user_plain(
        &env,
        "systemd-run",
        &[
            "--user",
            "--wait",
            "--collect",
            "--quiet",
            "--unit",
            "t1",
            &bin,
            "run",
            "--name",
            "from-unit",
            "busybox",
            "true",
        ],
    );
    assert!(out.status == 0, "{out:?}\n{}", m.journal(&env));
    m.burrow(&env, &["inspect", "-f", "{{.State.ExitCode}}", "from-unit"])
        .ok()
        .stdout_has("0");
    m.reboot();
    m.import_env(&env);
    m.burrow(&env, &["ps", "-a", "--format", "{{.Names}}"])
        .ok()
        .stdout_has("from-unit");
}
