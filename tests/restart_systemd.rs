//! burrow-restart.service under a real systemd (tests/tools/systemd-machine): after a reboot,
//! containers whose monitors died with the machine are exited, and the unit brings back those
//! with policy `always`, and `unless-stopped` ones the user did not stop.

mod common;
#[path = "common/machine.rs"]
mod machine;

use std::path::Path;
use std::time::{Duration, Instant};

use common::BUSYBOX;
use machine::Machine;

/// The user unit as installed: `@@BINDIR@@` is a directory under `base` whose `burrow` is
/// the machines' binary (whose own file name carries its build).
fn unit_text(base: &Path) -> String {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd/user/burrow-restart.service");
    let text =
        std::fs::read_to_string(&src).expect("read contrib/systemd/user/burrow-restart.service");
    let bindir = base.join("bin");
    std::fs::create_dir_all(&bindir).expect("create the unit's bin directory");
    std::os::unix::fs::symlink(machine::machine_bin(), bindir.join("burrow"))
        .expect("link burrow into the unit's bin directory");
    text.replace("@@BINDIR@@", &bindir.display().to_string())
}

// Pins: the restart unit at boot starts the `always` container and the running
// `unless-stopped` one, and neither the one without a policy nor the `unless-stopped` one the
// user stopped; all four were recorded running or exited by a machine that is gone.
#[test]
fn restart_unit_brings_back_always_containers_after_a_reboot() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    // Installed in the machine's /etc/systemd/user and enabled with --global (machine-local),
    // not in ~/.config/systemd/user: the test user's home is shared by every machine, and a
    // unit enabled there would start in all of them. The drop-in gives the unit this Env's
    // store at boot: the user manager starts it before any `import_env` could (an import after
    // the boot would need a `systemctl --user restart`, `start` being a no-op for the
    // RemainAfterExit unit already active), so the unit is tested as it runs at boot.
    let unit = env.base().join("burrow-restart.service");
    std::fs::write(&unit, unit_text(env.base())).expect("write the unit");
    let mut dropin = String::from("[Service]\n");
    for (k, v) in env.envs() {
        if matches!(
            k.as_str(),
            "HOME" | "XDG_DATA_HOME" | "XDG_CONFIG_HOME" | "XDG_RUNTIME_DIR"
        ) {
            dropin.push_str(&format!("Environment={k}={v}\n"));
        }
    }
    let conf = env.base().join("env.conf");
    std::fs::write(&conf, dropin).expect("write the drop-in");
    let install = format!(
        "set -e; install -m 0644 {} /etc/systemd/user/burrow-restart.service; \
         mkdir -p /etc/systemd/user/burrow-restart.service.d; \
         install -m 0644 {} /etc/systemd/user/burrow-restart.service.d/env.conf; \
         systemctl --global enable burrow-restart.service",
        unit.display(),
        conf.display()
    );
    m.root(&env, &["sh", "-c", &install]).ok();

    for (name, policy) in [
        ("always", "always"),
        ("none", "no"),
        ("kept", "unless-stopped"),
        ("stopped", "unless-stopped"),
    ] {
        m.burrow(
            &env,
            &[
                "run",
                "-d",
                "--name",
                name,
                "--restart",
                policy,
                BUSYBOX,
                "sleep",
                "1000",
            ],
        )
        .ok();
    }
    m.burrow(&env, &["stop", "-t", "0", "stopped"]).ok();

    m.reboot();
    m.import_env(&env);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = m.systemctl(&env, &["is-active", "burrow-restart.service"]);
        if out.stdout.trim() == "active" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "burrow-restart.service is {:?}\n{}",
            out.stdout.trim(),
            m.journal(&env)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let ps = m
        .burrow(&env, &["ps", "-a", "--format", "{{.Names}} {{.State}}"])
        .ok();
    let mut lines: Vec<&str> = ps.stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "always running",
            "kept running",
            "none exited",
            "stopped exited"
        ],
        "{}",
        m.journal(&env)
    );
}
