//! A `.kube` quadlet unit under a real systemd (tests/tools/systemd-machine): the generator
//! turns it into a `Type=notify` service running `burrow kube play --replace
//! --service-container=true FILE`; the pod runs while the service is active and `kube down`
//! (ExecStopPost) removes it when the service stops.

mod common;
#[path = "common/machine.rs"]
mod machine;

use machine::Machine;

const YAML: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: kweb
spec:
  containers:
  - name: srv
    image: localhost/busybox
    command: ["sh", "-c", "echo hello-kube-unit > /tmp/index.html && exec httpd -f -p 80 -h /tmp"]
    ports:
    - containerPort: 80
      hostPort: 18081
"#;

// Pins: .kube file -> daemon-reload -> start: the pod runs and serves, the unit is active
// (systemd follows the infra container's monitor) -> stop: the pod and its containers are gone.
#[test]
fn kube_unit_plays_and_downs_the_yaml() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    let bin = machine::machine_bin().display().to_string();
    let uid = env.uid();
    let yaml = env.path("kweb.yaml");
    std::fs::write(&yaml, YAML).expect("write yaml");
    let _ = std::process::Command::new("chown")
        .arg(format!("{uid}:{}", env.gid()))
        .arg(&yaml)
        .status();
    let unit = format!("[Kube]\nYaml={}\n", yaml.display());
    let script = format!(
        "mkdir -p /etc/systemd/user-generators /etc/containers/systemd/users/{uid} && \
         ln -sf {bin} /etc/systemd/user-generators/burrow-user-generator && \
         cat > /etc/containers/systemd/users/{uid}/kweb.kube"
    );
    let mut cmd = std::process::Command::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/systemd-machine"),
    );
    cmd.args(["root", m.name(), "sh", "-c", &script]);
    let out = env.output_stdin(cmd, unit);
    assert!(out.status == 0, "{out:?}");

    m.systemctl(&env, &["daemon-reload"]).ok();
    let cat = m.systemctl(&env, &["cat", "kweb.service"]);
    assert!(cat.status == 0, "{cat:?}\n{}", m.journal(&env));
    assert!(
        cat.stdout
            .contains("kube play --replace --service-container=true"),
        "{cat:?}"
    );
    let start = m.systemctl(&env, &["start", "kweb.service"]);
    assert!(start.status == 0, "{start:?}\n{}", m.journal(&env));
    m.systemctl(&env, &["is-active", "kweb.service"])
        .ok()
        .stdout_has("active");
    let mut served = None;
    for _ in 0..50 {
        let out = m.user(&env, "wget", &["-qO-", "http://127.0.0.1:18081/"]);
        if out.status == 0 {
            served = Some(out.stdout);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        served.as_deref(),
        Some("hello-kube-unit\n"),
        "{}",
        m.journal(&env)
    );
    m.burrow(&env, &["pod", "ps", "--format", "{{.Name}} {{.Status}}"])
        .ok()
        .stdout_has("kweb Running");
    // Still active a moment later: systemd follows the pod, not the exited `kube play`.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let active = m.systemctl(&env, &["is-active", "kweb.service"]);
    assert_eq!(active.stdout.trim(), "active", "{}", m.journal(&env));

    m.systemctl(&env, &["stop", "kweb.service"]).ok();
    let left = m.burrow(&env, &["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(left.stdout, "", "{left:?}\n{}", m.journal(&env));
    let pods = m.burrow(&env, &["pod", "ps", "--format", "{{.Name}}"]).ok();
    assert_eq!(pods.stdout, "", "{pods:?}");
}
