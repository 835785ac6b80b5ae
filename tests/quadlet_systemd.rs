//! Quadlet under a real systemd (tests/tools/systemd-machine): the user manager runs burrow
//! as its generator, and a `.container` file becomes a service that runs and serves.

mod common;
#[path = "common/machine.rs"]
mod machine;

use machine::Machine;

const WEB: &str = "[Unit]\n\
Description=quadlet web\n\
\n\
[Container]\n\
Image=localhost/busybox\n\
Exec=sh -c \"echo hello-quadlet > /tmp/index.html && exec httpd -f -p 80 -h /tmp\"\n\
PublishPort=18080:80\n\
\n\
[Install]\n\
WantedBy=default.target\n";

// Pins: quadlet file -> daemon-reload -> the service runs the container and it serves; stop removes the container.
#[test]
fn quadlet_container_runs_as_a_user_service() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    let bin = machine::machine_bin().display().to_string();
    let uid = env.uid();
    // The user manager finds generators in /etc/systemd/user-generators; the generator has
    // no XDG_CONFIG_HOME of this Env, so the file goes where podman's look for this user.
    let script = format!(
        "mkdir -p /etc/systemd/user-generators /etc/containers/systemd/users/{uid} && \
         ln -sf {bin} /etc/systemd/user-generators/burrow-user-generator && \
         cat > /etc/containers/systemd/users/{uid}/web.container"
    );
    let mut cmd = std::process::Command::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/systemd-machine"),
    );
    cmd.args(["root", m.name(), "sh", "-c", &script]);
    let out = env.output_stdin(cmd, WEB);
    assert!(out.status == 0, "{out:?}");

    m.systemctl(&env, &["daemon-reload"]).ok();
    let cat = m.systemctl(&env, &["cat", "web.service"]);
    assert!(cat.status == 0, "{cat:?}\n{}", m.journal(&env));
    assert!(
        cat.stdout
            .contains(&format!("ExecStart={bin} run --name systemd-%N")),
        "{cat:?}"
    );
    let start = m.systemctl(&env, &["start", "web.service"]);
    assert!(start.status == 0, "{start:?}\n{}", m.journal(&env));
    m.systemctl(&env, &["is-active", "web.service"])
        .ok()
        .stdout_has("active");

    let mut served = None;
    for _ in 0..50 {
        let out = m.user(&env, "wget", &["-qO-", "http://127.0.0.1:18080/"]);
        if out.status == 0 {
            served = Some(out.stdout);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        served.as_deref(),
        Some("hello-quadlet\n"),
        "{}",
        m.journal(&env)
    );
    m.burrow(&env, &["ps", "--format", "{{.Names}}"])
        .ok()
        .stdout_has("systemd-web");

    m.systemctl(&env, &["stop", "web.service"]).ok();
    let left = m.burrow(&env, &["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert!(!left.stdout.contains("systemd-web"), "{left:?}");
}
