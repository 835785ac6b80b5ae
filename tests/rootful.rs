//! burrow run by real root: no user namespace, state under /var/lib/burrow and /run/burrow,
//! host ids unchanged. Skipped when the runner is not root (these tests need it).

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::Command;

use common::Env;

fn root_burrow(env: &Env, args: &[&str], default_paths: bool) -> common::Output {
    let mut cmd = Command::new(common::burrow_bin());
    if !default_paths {
        cmd.arg("--root")
            .arg(env.path("root-data"))
            .arg("--runroot")
            .arg(env.path("root-run"));
    }
    cmd.args(args)
        .env_clear()
        .env("PATH", common::PATH)
        .env("HOME", "/root");
    env.output(cmd)
}

// Pins: as root a container sees the identity uid map, podman's default caps, and files it
// creates on a bind mount belong to real root; image uid 1000 stays 1000 on the host.
#[test]
fn root_runs_without_user_namespace() {
    if common::skip_unless_root() {
        return;
    }
    let env = Env::new();
    let tar = common::busybox_tar().display().to_string();
    root_burrow(&env, &["import", &tar, "busybox"], false).ok();
    let shared = env.path("shared");
    std::fs::create_dir_all(&shared).expect("mkdir");
    let vol = format!("{}:/shared", shared.display());
    let out = root_burrow(
        &env,
        &[
            "run",
            "--rm",
            "-v",
            &vol,
            "busybox",
            "sh",
            "-c",
            "cat /proc/self/uid_map; grep CapEff /proc/self/status; touch /shared/f",
        ],
        false,
    )
    .ok();
    let words: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(words[..3], ["0", "0", "4294967295"], "{out:?}");
    assert!(out.stdout.contains("00000000800405fb"), "{out:?}");
    assert_eq!(std::fs::metadata(shared.join("f")).expect("stat").uid(), 0);
    let layer_home =
        walk_find(&env.path("root-data/storage/layers"), "tester").expect("home/tester in a layer");
    assert_eq!(std::fs::metadata(layer_home).expect("stat").uid(), 1000);
}

fn walk_find(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if e.file_name() == name {
            return Some(p);
        }
        if e.file_type().ok()?.is_dir()
            && let Some(found) = walk_find(&p, name)
        {
            return Some(found);
        }
    }
    None
}

// Pins: root's default state lives under /var/lib/burrow (podman's /var/lib/containers
// counterpart); detached containers and exec work there too.
#[test]
fn root_defaults_to_var_lib_burrow() {
    if common::skip_unless_root() {
        return;
    }
    let env = Env::new();
    let tar = common::busybox_tar().display().to_string();
    let name = format!("rootful-{}", std::process::id());
    let image = format!("localhost/{name}");
    root_burrow(&env, &["import", &tar, &image], true).ok();
    root_burrow(
        &env,
        &["run", "-d", "--name", &name, &image, "sleep", "60"],
        true,
    )
    .ok();
    let dir = root_burrow(&env, &["inspect", "-f", "{{.StaticDir}}", &name], true).ok();
    assert!(
        dir.out().starts_with("/var/lib/burrow/containers/"),
        "{dir:?}"
    );
    let id = root_burrow(&env, &["exec", &name, "id", "-u"], true).ok();
    assert_eq!(id.out(), "0");
    root_burrow(&env, &["rm", "-f", &name], true).ok();
    root_burrow(&env, &["rmi", &image], true).ok();
}
