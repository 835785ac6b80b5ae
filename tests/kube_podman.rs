//! Kubernetes YAML between burrow and the real podman (4.3, as the test user with its own
//! storage): what burrow generates plays in podman, what podman generates plays in burrow.

mod common;
#[path = "common/net.rs"]
mod net;
#[path = "common/podman.rs"]
mod podman;

use common::Env;
use net::{free_port, wait_http};
use podman::podman;

const HTTPD: &str =
    "mkdir -p /www && echo hello-$MSG > /www/index.html && exec httpd -f -p 80 -h /www";

/// An Env with busybox in both engines, or `None` (said why) when podman cannot run here.
fn both() -> Option<Env> {
    let env = Env::new().with_busybox();
    if let Some(why) = podman::setup(&env) {
        eprintln!("skipped: {why}");
        return None;
    }
    podman::load_busybox(&env);
    Some(env)
}

// Pins: burrow's `kube generate --service` of a running container and its named volume plays
// in podman (`podman kube play`): podman's container runs with the env, answers on the
// published port and has the PVC's volume; `podman kube down` removes it.
#[test]
fn burrow_yaml_plays_in_podman() {
    let Some(env) = both() else { return };
    let port = free_port();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        &format!("{port}:80"),
        "-e",
        "MSG=burrow2podman",
        "-v",
        "kvol:/data",
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ])
    .ok();
    let yaml = env.path("web.yaml");
    let yaml = yaml.to_str().expect("utf-8 path");
    env.burrow(&["kube", "generate", "--service", "-f", yaml, "web", "kvol"])
        .ok();
    env.burrow(&["rm", "-f", "web"]).ok();

    let play = podman(&env, &["kube", "play", yaml]);
    assert_eq!(
        play.status,
        0,
        "{play:?}\n{}",
        std::fs::read_to_string(yaml).unwrap_or_default()
    );
    let ps = podman(&env, &["ps", "--format", "{{.Names}} {{.Status}}"]).ok();
    assert!(ps.stdout.contains("web-pod-web Up"), "{ps:?}");
    assert!(
        wait_http(port, "hello-burrow2podman").contains("hello-burrow2podman"),
        "podman's container does not answer on {port}"
    );
    let mounted = podman(
        &env,
        &[
            "exec",
            "web-pod-web",
            "sh",
            "-c",
            "echo $MSG > /data/x && cat /data/x",
        ],
    )
    .ok();
    assert_eq!(mounted.stdout, "burrow2podman\n");
    podman(&env, &["volume", "exists", "kvol"]).ok();
    podman(&env, &["kube", "down", yaml]).ok();
    let left = podman(&env, &["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert!(!left.stdout.contains("web-pod"), "{left:?}");
}

// Pins: podman's `kube generate -s` of a podman container and its volume plays in burrow: same
// env, same port, the PVC as a named volume, container `<pod>-<name>`; burrow's kube down
// removes it.
#[test]
fn podman_yaml_plays_in_burrow() {
    let Some(env) = both() else { return };
    let port = free_port();
    podman(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "pweb",
            "-p",
            &format!("{port}:80"),
            "-e",
            "MSG=podman2burrow",
            "-v",
            "pvol:/data",
            "localhost/busybox:latest",
            "sh",
            "-c",
            HTTPD,
        ],
    )
    .ok();
    podman(&env, &["exec", "pweb", "sh", "-c", "echo kept > /data/f"]).ok();
    let yaml = podman(&env, &["kube", "generate", "-s", "pweb", "pvol"])
        .ok()
        .stdout;
    podman(&env, &["rm", "-f", "-t", "0", "pweb"]).ok();
    let file = env.path("pweb.yaml");
    std::fs::write(&file, &yaml).expect("write yaml");
    let file = file.to_str().expect("utf-8 path");

    let play = env.burrow(&["kube", "play", file]);
    assert_eq!(play.status, 0, "{play:?}\n{yaml}");
    let ps = env.burrow(&["ps", "--format", "{{.Names}}"]).ok();
    assert!(ps.stdout.contains("pweb-pod-pweb"), "{ps:?}\n{yaml}");
    assert!(
        wait_http(port, "hello-podman2burrow").contains("hello-podman2burrow"),
        "burrow's container does not answer on {port}\n{yaml}"
    );
    // The PVC is a burrow volume of the same name, mounted where podman had it.
    let data = env
        .burrow(&[
            "exec",
            "pweb-pod-pweb",
            "sh",
            "-c",
            "echo $MSG > /data/f && cat /data/f",
        ])
        .ok();
    assert_eq!(data.stdout, "podman2burrow\n");
    env.burrow(&["volume", "exists", "pvol"]).ok();
    env.burrow(&["kube", "down", file]).ok();
    assert_eq!(
        env.burrow(&["ps", "-a", "--format", "{{.Names}}"])
            .ok()
            .stdout,
        ""
    );
}
