//! `system df`, `system prune`, `system reset`, `system migrate`, `system check` (finding and
//! repairing what a killed burrow leaves) and `system doctor`.

mod common;

use std::time::{Duration, Instant};

use common::Env;

fn storage(env: &Env) -> std::path::PathBuf {
    env.data_dir().join("burrow/storage")
}

// Pins: df counts images and containers, with the image active while a container uses it.
#[test]
fn df_counts_images_and_containers() {
    let env = Env::new().with_busybox();
    let fmt = [
        "system",
        "df",
        "--format",
        "{{.Type}} {{.Total}} {{.Active}}",
    ];
    let before = env.burrow(&fmt).ok();
    assert!(before.stdout.contains("Images 1 0"), "{before}");
    assert!(before.stdout.contains("Containers 0 0"), "{before}");
    env.burrow(&["create", "--name", "d1", "busybox", "true"])
        .ok();
    env.burrow(&["create", "--name", "d2", "busybox", "true"])
        .ok();
    let after = env.burrow(&fmt).ok();
    assert!(after.stdout.contains("Images 1 1"), "{after}");
    assert!(after.stdout.contains("Containers 2 0"), "{after}");
    let table = env.burrow(&["system", "df"]).ok();
    assert!(
        table.lines()[0].starts_with("TYPE") && table.stdout.contains("Local Volumes"),
        "{table}"
    );
    let verbose = env.burrow(&["system", "df", "-v"]).ok();
    assert!(
        verbose.stdout.contains("Containers space usage") && verbose.stdout.contains("d2"),
        "{verbose}"
    );
}

// Pins: prune -f removes stopped containers and keeps a tagged image; -a also removes the
// image once no container uses it; without -f a "no" answer changes nothing.
#[test]
fn prune_removes_stopped_containers_then_unused_images() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "p1", "busybox", "true"])
        .ok();
    let declined = env.burrow_stdin(&["system", "prune"], "n\n").ok();
    assert!(declined.stdout.contains("WARNING!"), "{declined}");
    env.burrow(&["container", "exists", "p1"]).ok();
    let out = env.burrow(&["system", "prune", "-f"]).ok();
    assert!(out.stdout.contains("Deleted Containers"), "{out}");
    env.burrow(&["container", "exists", "p1"]).code(1);
    env.burrow(&["image", "exists", "busybox"]).ok();
    env.burrow(&["system", "prune", "-a", "-f"]).ok();
    env.burrow(&["image", "exists", "busybox"]).code(1);
}

// Pins: reset -f removes every container and image, and burrow works afterwards.
#[test]
fn reset_removes_everything() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "r1", "busybox", "true"])
        .ok();
    env.burrow(&["system", "reset", "-f"]).ok();
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().out(), "");
    assert_eq!(env.burrow(&["images", "-q"]).ok().out(), "");
    env.import_busybox().ok();
    env.burrow(&["run", "--rm", "busybox", "true"]).ok();
}

// Pins: a container whose monitor and process were killed stays recorded "running"; check
// reports it (exit 125), --repair records it exited.
#[test]
fn check_repairs_container_whose_process_is_gone() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "-d", "--name", "ghost", "busybox", "sleep", "1000"])
        .ok();
    let monitor: i32 = env
        .burrow(&["inspect", "--format", "{{.State.ConmonPid}}", "ghost"])
        .ok()
        .out()
        .parse()
        .expect("monitor pid");
    let pid: i32 = env
        .burrow(&["inspect", "--format", "{{.State.Pid}}", "ghost"])
        .ok()
        .out()
        .parse()
        .expect("pid");
    // SAFETY: signals to processes this test started.
    unsafe {
        libc::kill(monitor, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let found = env.burrow(&["system", "check"]).code(125);
    assert!(
        found.stdout.contains("ghost") && found.stdout.contains("process is gone"),
        "{found}"
    );
    let fixed = env.burrow(&["system", "check", "--repair"]).ok();
    assert!(fixed.stdout.contains("repaired"), "{fixed}");
    env.burrow(&["system", "check"])
        .ok()
        .stdout_has("No problems found");
}

// Pins: an orphan layer and a half-written image directory (what a killed load leaves) are
// reported, removed by --repair, and the real image still runs.
#[test]
fn check_repairs_orphan_layer_and_half_written_image() {
    let env = Env::new().with_busybox();
    let hex = "ab".repeat(32);
    let layer = storage(&env).join("layers").join(&hex);
    let image = storage(&env).join("images").join("cd".repeat(32));
    env.sh(&format!(
        "mkdir -p {}/etc {} && echo x > {}/etc/f",
        layer.display(),
        image.display(),
        layer.display()
    ))
    .ok();
    let found = env.burrow(&["system", "check"]).code(125);
    assert!(found.stdout.contains("orphan layer"), "{found}");
    assert!(found.stdout.contains("half-written image"), "{found}");
    env.burrow(&["system", "check", "--repair"]).ok();
    assert!(!layer.exists() && !image.exists());
    env.burrow(&["run", "--rm", "busybox", "true"]).ok();
    env.burrow(&["system", "check", "--quick"]).ok();
}

// Pins: migrate stops running containers (they start again with the current id mappings).
#[test]
fn migrate_stops_running_containers() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "-d", "--name", "m1", "busybox", "sleep", "1000"])
        .ok();
    env.burrow(&["system", "migrate"]).ok();
    let status = env
        .burrow(&["inspect", "--format", "{{.State.Status}}", "m1"])
        .ok();
    assert_eq!(status.out(), "exited");
    env.burrow(&["start", "m1"]).ok();
    env.burrow(&["rm", "-f", "m1"]).ok();
}

// Pins: doctor prints one verdict per prerequisite, a fix command under each failure, and
// exits 1 exactly when something failed; without cgroup v2 the delegation check fails.
#[test]
fn doctor_reports_each_prerequisite_with_a_fix() {
    let env = Env::new();
    let out = env.burrow(&["system", "doctor"]);
    for name in [
        "/etc/subuid",
        "/etc/subgid",
        "newuidmap",
        "newgidmap",
        "user namespaces",
        "/dev/net/tun",
        "/dev/fuse",
        "overlay",
        "slirp4netns",
        "ip and nft",
        "cgroup v2 delegation",
        "XDG_RUNTIME_DIR",
        "/ mounted shared",
    ] {
        assert!(out.stdout.contains(name), "{name} missing\n{out}");
    }
    let lines = out.lines();
    let failures = lines.iter().filter(|l| l.starts_with("[FAIL]")).count();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("[FAIL]") {
            assert!(
                lines
                    .get(i + 1)
                    .is_some_and(|n| n.trim_start().starts_with("fix: ")),
                "{out}"
            );
        }
    }
    assert_eq!(out.status, if failures > 0 { 1 } else { 0 }, "{out}");
    if !std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("[FAIL] cgroup v2 delegation")),
            "{out}"
        );
    }
    let json = env.burrow(&["system", "doctor", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(13), "{json}");
}
