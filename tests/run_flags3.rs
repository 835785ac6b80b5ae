//! podman `run`/`create` fidelity, end to end: a container from an exploded root filesystem
//! (`--rootfs`), extra host descriptors (`--preserve-fd`), and the log drivers that hand the
//! streams elsewhere. Each checks what a user would notice, and a bad value gives one `Error:`
//! line and exit 125 with nothing created. Every command runs the real binary as the test user.

mod common;

use common::{Env, Output, busybox_tar};
use serde_json::Value;

/// A refused command: exit 125, exactly one line on stderr, starting `Error:` and containing
/// `needle`, and no container made or removed.
#[track_caller]
fn refused(env: &Env, args: &[&str], needle: &str) -> Output {
    let before = env.burrow(&["ps", "-a", "-q"]).ok();
    let out = env.burrow(args).code(125);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected\n{out:?}");
    assert!(
        lines[0].starts_with("Error: ") && lines[0].contains(needle),
        "expected an Error: line naming {needle:?}\n{out:?}"
    );
    let ps = env.burrow(&["ps", "-a", "-q"]).ok();
    assert_eq!(
        ps.out(),
        before.out(),
        "a refused command changed the containers"
    );
    out
}

/// `inspect NAME`, the one object.
#[track_caller]
fn inspect(env: &Env, name: &str) -> Value {
    let out = env.burrow(&["inspect", name]).ok();
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("inspect did not print JSON: {e}\n{out:?}"));
    doc[0].clone()
}

/// An exploded busybox root filesystem owned by the test user, at `<HOME>/<name>`.
fn exploded_busybox(env: &Env, name: &str) -> String {
    let dir = env.home().join(name);
    env.sh(&format!(
        "mkdir -p {d} && tar -xf {t} -C {d} && echo original > {d}/marker",
        d = dir.display(),
        t = busybox_tar().display()
    ))
    .ok();
    dir.display().to_string()
}

// Pins: --rootfs runs a container from a directory instead of an image, writes go into the
// directory, `:O` keeps the directory unchanged, inspect shows podman's ImageName/Rootfs, and a
// missing directory is refused with podman's lstat message.
#[test]
fn rootfs_runs_from_a_directory_and_overlay_keeps_it_unchanged() {
    let env = Env::new();
    let dir = exploded_busybox(&env, "root");

    env.burrow(&[
        "run",
        "--name",
        "plain",
        "--rootfs",
        &dir,
        "sh",
        "-c",
        "cat /marker; echo written > /marker",
    ])
    .ok()
    .stdout_has("original");
    let marker = env.home().join("root/marker");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "written\n");
    let doc = inspect(&env, "plain");
    assert_eq!(doc["ImageName"], dir.as_str(), "{doc}");
    assert_eq!(doc["Rootfs"], dir.as_str(), "{doc}");
    assert_eq!(doc["Image"], "", "{doc}");
    env.burrow(&["ps", "-a", "--format", "{{.Image}}"])
        .ok()
        .stdout_has(&dir);

    std::fs::write(&marker, "original\n").unwrap();
    let over = format!("{dir}:O");
    env.burrow(&[
        "run",
        "--rm",
        "--rootfs",
        &over,
        "sh",
        "-c",
        "echo changed > /marker; touch /new; cat /marker",
    ])
    .ok()
    .stdout_has("changed");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "original\n");
    assert!(
        !env.home().join("root/new").exists(),
        ":O wrote into the directory"
    );

    // A relative path is resolved against the current directory (the test user's HOME).
    env.burrow(&["run", "--rm", "--rootfs", "root", "cat", "/marker"])
        .ok()
        .stdout_has("original");

    refused(
        &env,
        &["run", "--rootfs", "/no/such/rootfs", "true"],
        "lstat /no/such/rootfs: no such file or directory",
    );
    refused(
        &env,
        &["create", "--rootfs", &format!("{dir}:Z"), "true"],
        "--rootfs",
    );
}
