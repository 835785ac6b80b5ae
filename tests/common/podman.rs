//! The real podman (Debian's 4.3) as the test user, with its own config and storage under the
//! Env's XDG dirs, set up as scripts/bench sets it up fairly: overlay storage, crun, cgroupfs,
//! file events; on a v1/v2 hybrid cgroup layout every controller left on the v2 mount is moved
//! to a v1 hierarchy of its own, since crun refuses containers otherwise.

#![allow(dead_code)] // each test crate uses a different part

use std::path::Path;
use std::process::Command;

use crate::common::{Env, Output, is_root};

/// Runs podman with `args` as the Env's user.
pub fn podman(env: &Env, args: &[&str]) -> Output {
    env.output(env.command("podman", args))
}

/// Why podman cannot run here, or `None` when it is set up (config written, cgroups fixed).
pub fn setup(env: &Env) -> Option<String> {
    if env.command("podman", &["--version"]).output().is_err() {
        return Some("podman is not installed (scripts/setup-host installs it)".to_string());
    }
    if Command::new("crun").arg("--version").output().is_err() {
        return Some("crun is not installed".to_string());
    }
    // podman builds its pods' pause image around catatonit.
    if !Path::new("/usr/bin/catatonit").exists()
        && !Path::new("/usr/libexec/podman/catatonit").exists()
    {
        return Some("catatonit is not installed (scripts/setup-host installs it)".to_string());
    }
    let conf = env.config_dir().join("containers");
    std::fs::create_dir_all(&conf).expect("podman config dir");
    std::fs::write(
        conf.join("storage.conf"),
        "[storage]\ndriver = \"overlay\"\n",
    )
    .expect("storage.conf");
    std::fs::write(
        conf.join("containers.conf"),
        "[engine]\nruntime = \"crun\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n",
    )
    .expect("containers.conf");
    for p in [
        conf.as_path(),
        &conf.join("storage.conf"),
        &conf.join("containers.conf"),
    ] {
        let _ = Command::new("chown")
            .arg(format!("{}:{}", env.uid(), env.gid()))
            .arg(p)
            .status();
    }
    if let Err(why) = move_v2_controllers() {
        return Some(why);
    }
    None
}

/// On a hybrid layout, binds each controller still on the v2 mount to a v1 hierarchy (needs
/// root; the mounts stay for later tests, as with `BENCH_KEEP_CGROUP_FIX`).
fn move_v2_controllers() -> Result<(), String> {
    let root = Path::new("/sys/fs/cgroup");
    let is_v2 = Command::new("stat")
        .args(["-fc", "%T", "/sys/fs/cgroup"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "cgroup2fs")
        .unwrap_or(false);
    if is_v2 {
        return Ok(());
    }
    let Ok(list) = std::fs::read_to_string(root.join("unified/cgroup.controllers")) else {
        return Ok(());
    };
    for c in list.split_whitespace() {
        if !is_root() {
            return Err(format!(
                "cgroup controller {c} sits on the v2 mount and only root can move it"
            ));
        }
        let dir = root.join(c);
        let _ = std::fs::create_dir_all(&dir);
        let ok = Command::new("mount")
            .args(["-t", "cgroup", "-o", c, "none"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!(
                "cannot move cgroup controller {c} off the v2 mount"
            ));
        }
    }
    Ok(())
}

/// Copies burrow's busybox image into podman's storage (`localhost/busybox:latest`).
pub fn load_busybox(env: &Env) {
    let tar = env.path("busybox-image.tar");
    let tar = tar.to_str().expect("utf-8 path");
    env.burrow(&["save", "-o", tar, "busybox"]).ok();
    podman(env, &["load", "-i", tar]).ok();
}
