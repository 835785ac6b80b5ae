//! Generated units under a real systemd (tests/tools/systemd-machine): a `--new` unit starts
//! the container with its monitor as the unit's main process (Type=notify, READY from the
//! monitor), systemd restarts it when the container dies, stopping removes it, and an
//! enabled unit comes back after a reboot.

mod common;
#[path = "common/machine.rs"]
mod machine;

use std::time::{Duration, Instant};

use machine::Machine;

fn show(m: &Machine, env: &common::Env, unit: &str, prop: &str) -> String {
    m.systemctl(env, &["show", "-p", prop, "--value", unit])
        .ok()
        .out()
        .to_string()
}

/// Removes the unit's links from the user's (host-shared) ~/.config/systemd/user, also when
/// the test fails half-way.
struct Links(std::path::PathBuf);

impl Drop for Links {
    fn drop(&mut self) {
        let Some(name) = self.0.file_name() else {
            return;
        };
        let user = &common::test_user().name;
        let Some(home) = std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
            p.lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() > 5 && f[0] == user)
                .map(|f| std::path::PathBuf::from(f[5]))
        }) else {
            return;
        };
        for dir in ["", "default.target.wants"] {
            let _ = std::fs::remove_file(home.join(".config/systemd/user").join(dir).join(name));
        }
    }
}

/// Waits until `check` holds (systemd restarts asynchronously).
#[track_caller]
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn new_unit_runs_restarts_stops_and_comes_back_after_a_reboot() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    // Unit names are unique per test run: the user's ~/.config/systemd/user is the host's.
    let name = format!("gen{}", std::process::id());
    let unit = format!("container-{name}.service");
    let dir = env.path("units");
    common::make_dir(&dir, 0o777);
    m.burrow(
        &env,
        &["create", "--name", &name, "busybox", "sleep", "1000"],
    )
    .ok();
    let out = m
        .sh(
            &env,
            &format!(
                "cd {} && $BURROW generate systemd --new --files --name {name}",
                dir.display()
            ),
        )
        .ok();
    let file = dir.join(&unit);
    let _links = Links(file.clone());
    assert_eq!(out.out(), file.display().to_string());
    m.burrow(&env, &["rm", &name]).ok();
    // `link` puts the file in the manager's search path wherever it lies.
    m.systemctl(&env, &["link", &file.display().to_string()])
        .ok();
    let started = m.systemctl(&env, &["start", &unit]);
    assert!(started.status == 0, "{started:?}\n{}", m.journal(&env));
    assert_eq!(show(&m, &env, &unit, "ActiveState"), "active");
    let running = m
        .burrow(&env, &["ps", "--format", "{{.Names}}"])
        .ok()
        .stdout;
    assert!(running.lines().any(|l| l == name), "{running}");
    let monitor = m
        .burrow(&env, &["inspect", "-f", "{{.State.ConmonPid}}", &name])
        .ok()
        .out()
        .to_string();
    assert_eq!(show(&m, &env, &unit, "MainPID"), monitor);

    // The container dies: the monitor exits with its status and Restart=on-failure acts.
    let pid = m
        .burrow(&env, &["inspect", "-f", "{{.State.Pid}}", &name])
        .ok()
        .out()
        .to_string();
    m.user(&env, "kill", &["-9", &pid]).ok();
    wait_for("the restart", || {
        show(&m, &env, &unit, "NRestarts") != "0"
            && show(&m, &env, &unit, "ActiveState") == "active"
    });
    let new_pid = m
        .burrow(&env, &["inspect", "-f", "{{.State.Pid}}", &name])
        .ok()
        .out()
        .to_string();
    assert_ne!(new_pid, pid);

    // Stopping the unit removes the container (--new).
    m.systemctl(&env, &["stop", &unit]).ok();
    let all = m
        .burrow(&env, &["ps", "-a", "--format", "{{.Names}}"])
        .ok()
        .stdout;
    assert!(!all.lines().any(|l| l == name), "{all}");

    // Enabled, it is started again at boot. The user manager starts default.target before
    // this test can give it the Env's HOME and XDG directories (import_env), so that first
    // start runs burrow against the user's own store, where no busybox image exists, and
    // fails; once the directories are imported, a restart of the enabled unit (what a login
    // session's manager would have done with the right environment from the start) runs it
    // against the Env's store.
    m.systemctl(&env, &["enable", &file.display().to_string()])
        .ok();
    m.reboot();
    assert_eq!(m.systemctl(&env, &["is-enabled", &unit]).out(), "enabled");
    m.import_env(&env);
    let _ = m.systemctl(&env, &["reset-failed", &unit]);
    let restarted = m.systemctl(&env, &["restart", &unit]);
    assert!(restarted.status == 0, "{restarted:?}\n{}", m.journal(&env));
    wait_for("the unit after the reboot", || {
        show(&m, &env, &unit, "ActiveState") == "active"
    });
    let running = m
        .burrow(&env, &["ps", "--format", "{{.Names}}"])
        .ok()
        .stdout;
    assert!(
        running.lines().any(|l| l == name),
        "{running}\n{}",
        m.journal(&env)
    );
    m.systemctl(&env, &["disable", "--now", &unit]).ok();
}

/// `--new` for a pod: the pod unit creates the pod (its main process the infra container's
/// monitor), the member's unit joins it by the pod id file, and stopping the pod unit stops
/// and removes both.
#[test]
fn new_pod_units_create_run_and_remove_the_pod() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    let pod = format!("gp{}", std::process::id());
    let member = format!("gm{}", std::process::id());
    let pod_unit = format!("pod-{pod}.service");
    let member_unit = format!("container-{member}.service");
    let dir = env.path("units");
    common::make_dir(&dir, 0o777);
    m.burrow(&env, &["pod", "create", "--name", &pod]).ok();
    m.burrow(
        &env,
        &[
            "create", "--pod", &pod, "--name", &member, "busybox", "sleep", "1000",
        ],
    )
    .ok();
    m.sh(
        &env,
        &format!(
            "cd {} && $BURROW generate systemd --new --files --name {pod}",
            dir.display()
        ),
    )
    .ok();
    let files = [dir.join(&pod_unit), dir.join(&member_unit)];
    let _links: Vec<Links> = files.iter().map(|f| Links(f.clone())).collect();
    m.burrow(&env, &["pod", "rm", "-f", &pod]).ok();
    for f in &files {
        m.systemctl(&env, &["link", &f.display().to_string()]).ok();
    }
    let started = m.systemctl(&env, &["start", &pod_unit]);
    assert!(started.status == 0, "{started:?}\n{}", m.journal(&env));
    wait_for("the member's unit", || {
        show(&m, &env, &member_unit, "ActiveState") == "active"
    });
    assert_eq!(show(&m, &env, &pod_unit, "ActiveState"), "active");
    let running = m
        .burrow(&env, &["ps", "--format", "{{.Names}}"])
        .ok()
        .stdout;
    assert!(running.lines().any(|l| l == member), "{running}");
    let infra = m
        .burrow(
            &env,
            &["pod", "inspect", "-f", "{{.InfraContainerId}}", &pod],
        )
        .ok()
        .out()
        .to_string();
    let monitor = m
        .burrow(&env, &["inspect", "-f", "{{.State.ConmonPid}}", &infra])
        .ok()
        .out()
        .to_string();
    assert_eq!(show(&m, &env, &pod_unit, "MainPID"), monitor);

    m.systemctl(&env, &["stop", &pod_unit]).ok();
    assert_eq!(show(&m, &env, &member_unit, "ActiveState"), "inactive");
    assert!(m.burrow(&env, &["pod", "exists", &pod]).status != 0);
    let all = m
        .burrow(&env, &["ps", "-a", "--format", "{{.Names}}"])
        .ok()
        .stdout;
    assert!(!all.lines().any(|l| l == member), "{all}");
}
