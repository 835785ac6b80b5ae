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

// Pins: a burrow command run by a unit starts the user namespace's pause process in a scope
// of its own, so the unit's end (which kills every process in its cgroup) leaves the
// namespace every other container shares alive.
#[test]
fn the_pause_process_outlives_the_unit_that_started_it() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    // End the pause process, so the unit's command makes a new one.
    m.burrow(&env, &["system", "migrate"]).ok();
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
            "maker",
            &bin,
            "run",
            "--rm",
            "busybox",
            "true",
        ],
    );
    assert!(out.status == 0, "{out:?}\n{}", m.journal(&env));
    let pid_file = env.runtime_dir().join("burrow/pause.pid");
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()));
    let pid = pid.trim();
    let cgroup = m.root(&env, &["cat", &format!("/proc/{pid}/cgroup")]);
    assert!(
        cgroup.status == 0 && cgroup.stdout.contains("burrow-pause-"),
        "the pause process {pid} is gone or still in the unit's cgroup: {cgroup:?}\n{}",
        m.journal(&env)
    );
    m.burrow(&env, &["run", "--rm", "busybox", "echo", "same namespace"])
        .ok()
        .stdout_has("same namespace");
}
