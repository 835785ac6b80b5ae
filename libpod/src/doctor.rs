//! `system doctor`: checks each prerequisite of rootless containers on this host and says,
//! for each one that fails, what is wrong and the exact command that fixes it. Runs before
//! (and without) joining the user namespace, since a broken prerequisite is exactly what makes
//! joining fail; it must never change the host itself.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::unistd::{Uid, User};

/// One prerequisite and its verdict.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Check {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Ok")]
    pub ok: bool,
    /// What was found (why it fails, or what satisfies it).
    #[serde(rename = "Detail")]
    pub detail: String,
    /// The command that fixes it (empty when it passes).
    #[serde(rename = "Fix")]
    pub fix: String,
}

fn pass(name: &str, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: true,
        detail: detail.into(),
        fix: String::new(),
    }
}

fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: false,
        detail: detail.into(),
        fix: fix.into(),
    }
}

/// Every check, in the order a user would fix them.
pub fn run() -> Vec<Check> {
    let uid = Uid::current();
    let root = uid.is_root();
    let user = User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string());
    let mut out = Vec::new();
    for (file, flag) in [("/etc/subuid", "subuids"), ("/etc/subgid", "subgids")] {
        let name = format!("subordinate ids in {file}");
        out.push(if root {
            pass(&name, "not needed: running as root")
        } else {
            // Every range is mapped, one after the other: what counts is their sum.
            match crate::userns::subid_ranges(Path::new(file), &user, uid.as_raw()) {
                Ok(ranges) if !ranges.is_empty() => {
                    let total: u64 = ranges.iter().map(|r| u64::from(r.count)).sum();
                    let shown = ranges
                        .iter()
                        .map(|r| {
                            format!(
                                "{}-{}",
                                r.start,
                                u64::from(r.start) + u64::from(r.count) - 1
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    if total >= 65536 {
                        pass(&name, format!("{user} has {shown}"))
                    } else {
                        fail(
                            &name,
                            format!("{user} has only {total} ids; images need 65536"),
                            format!("sudo usermod --add-{flag} 100000-165535 {user}"),
                        )
                    }
                }
                _ => fail(
                    &name,
                    format!("no range for {user}"),
                    format!("sudo usermod --add-{flag} 100000-165535 {user}"),
                ),
            }
        });
    }
    for helper in ["newuidmap", "newgidmap"] {
        let name = format!("{helper} setuid or with file capabilities");
        out.push(if root {
            pass(&name, "not needed: running as root")
        } else {
            match crate::userns::find_setuid_helper(helper) {
                Ok(p) => pass(&name, p.display().to_string()),
                Err(e) => {
                    let fix = if e.to_string().contains("not found") {
                        "sudo apt-get install uidmap".to_string()
                    } else {
                        format!("sudo chmod u+s /usr/bin/{helper}")
                    };
                    fail(&name, e.to_string(), fix)
                }
            }
        });
    }
    out.push(user_namespaces());
    out.push(device(
        "/dev/net/tun",
        "sudo modprobe tun && sudo chmod 0666 /dev/net/tun",
    ));
    out.push(device(
        "/dev/fuse",
        "sudo modprobe fuse && sudo chmod 0666 /dev/fuse",
    ));
    out.push(overlay_in_userns(root));
    out.push(network_helper());
    out.push(user_network_helpers());
    out.push(cgroups(root));
    out.push(runtime_dir(root, uid.as_raw()));
    out.push(shared_root());
    out
}

fn read(p: &str) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

fn user_namespaces() -> Check {
    let name = "user namespaces enabled";
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        return fail(
            name,
            "user.max_user_namespaces is 0",
            "sudo sysctl -w user.max_user_namespaces=28633",
        );
    }
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        return fail(
            name,
            "kernel.unprivileged_userns_clone is 0",
            "sudo sysctl -w kernel.unprivileged_userns_clone=1",
        );
    }
    if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        return fail(
            name,
            "AppArmor restricts unprivileged user namespaces",
            "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
        );
    }
    pass(name, "allowed")
}

fn device(path: &str, fix: &str) -> Check {
    let name = format!("{path} usable");
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(_) => pass(&name, "opens read-write"),
        // The tun device answers EBADFD until an interface is attached: it exists and opened.
        Err(e) if e.raw_os_error() == Some(libc::EBADFD) => pass(&name, "opens read-write"),
        Err(e) => fail(&name, format!("cannot open: {e}"), fix),
    }
}

/// Mounts a tiny overlay in a new user namespace, in a child process (this one stays as it
/// was).
fn overlay_in_userns(root: bool) -> Check {
    let name = "overlay mountable in a user namespace";
    let scratch = std::env::temp_dir().join(format!("burrow-doctor-{}", std::process::id()));
    // SAFETY: the CLI is single-threaded here; the child only makes namespaces and mounts.
    let ok = match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            let uid = nix::unistd::getuid().as_raw();
            let gid = nix::unistd::getgid().as_raw();
            let mut flags = nix::sched::CloneFlags::CLONE_NEWNS;
            if !root {
                flags |= nix::sched::CloneFlags::CLONE_NEWUSER;
            }
            let mut ok = nix::sched::unshare(flags).is_ok();
            if ok && !root {
                // Deny setgroups before writing gid_map, as the kernel requires.
                ok = std::fs::write("/proc/self/setgroups", "deny").is_ok()
                    && std::fs::write("/proc/self/uid_map", format!("0 {uid} 1")).is_ok()
                    && std::fs::write("/proc/self/gid_map", format!("0 {gid} 1")).is_ok();
            }
            let ok = ok && storage::rootfs::native_overlay_works(&scratch, !root);
            // SAFETY: leave the child without running the parent's exit handlers.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => matches!(
            nix::sys::wait::waitpid(child, None),
            Ok(nix::sys::wait::WaitStatus::Exited(_, 0))
        ),
        Err(_) => false,
    };
    let _ = std::fs::remove_dir_all(&scratch);
    if ok {
        return pass(name, "native overlay works");
    }
    if storage::rootfs::fuse_overlay_available() {
        return pass(name, "native overlay refused; fuse-overlayfs will be used");
    }
    fail(
        name,
        "the kernel refuses overlay in a user namespace (needs Linux 5.11+) and fuse-overlayfs is missing; burrow falls back to the slow vfs driver",
        "sudo apt-get install fuse-overlayfs",
    )
}

fn on_path(prog: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(prog))
            .find(|p| p.is_file())
    })
}

/// `ip` and `nft`, which user networks run (found outside PATH too, as burrow does).
fn user_network_helpers() -> Check {
    let name = "ip and nft present (user networks)";
    let missing: Vec<&str> = network::helpers::USER_NETWORK_HELPERS
        .iter()
        .filter(|(prog, _)| network::helpers::helper_path(prog).is_none())
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        let found: Vec<String> = network::helpers::USER_NETWORK_HELPERS
            .iter()
            .filter_map(|(prog, _)| network::helpers::helper_path(prog))
            .map(|p| p.display().to_string())
            .collect();
        pass(name, found.join(", "))
    } else {
        fail(
            name,
            "missing: burrow network create and --network NAME cannot work",
            format!("sudo apt-get install {}", missing.join(" ")),
        )
    }
}

fn network_helper() -> Check {
    let name = "slirp4netns or pasta present";
    match on_path("slirp4netns").or_else(|| on_path("pasta")) {
        Some(p) => pass(name, p.display().to_string()),
        None => fail(
            name,
            "neither is on PATH: --network slirp4netns and -p cannot work",
            "sudo apt-get install slirp4netns",
        ),
    }
}

fn cgroups(root: bool) -> Check {
    let name = "cgroup v2 delegation (resource limits, stats, pause)";
    match crate::cgroups::base(!root) {
        Ok((layout, dirs)) => pass(
            name,
            format!(
                "{} under {}",
                if layout == crate::cgroups::Layout::Unified {
                    "cgroup v2"
                } else {
                    "cgroup v1"
                },
                dirs.first()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default()
            ),
        ),
        Err(e) => {
            let fix = if crate::cgroups::layout() == Some(crate::cgroups::Layout::Unified) {
                "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload"
                    .to_string()
            } else {
                "boot with cgroup v2: sudo grubby --update-kernel=ALL --args=systemd.unified_cgroup_hierarchy=1 (or add it to GRUB_CMDLINE_LINUX) and reboot".to_string()
            };
            fail(name, e.to_string(), fix)
        }
    }
}

fn runtime_dir(root: bool, uid: u32) -> Check {
    let name = "XDG_RUNTIME_DIR";
    if root {
        return pass(name, "not needed: running as root (/run/burrow)");
    }
    let fix = format!(
        "sudo loginctl enable-linger {uid} (or: sudo install -d -m 0700 -o {uid} /run/user/{uid} && export XDG_RUNTIME_DIR=/run/user/{uid})"
    );
    let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) else {
        return fail(name, "not set: burrow falls back to /tmp", fix);
    };
    let p = Path::new(&dir);
    match std::fs::metadata(p) {
        Ok(m) if m.uid() == uid && m.is_dir() => pass(name, p.display().to_string()),
        Ok(_) => fail(
            name,
            format!("{} is not a directory owned by uid {uid}", p.display()),
            fix,
        ),
        Err(e) => fail(name, format!("{}: {e}", p.display()), fix),
    }
}

fn shared_root() -> Check {
    let name = "/ mounted shared";
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let root = info.lines().find(|l| l.split(' ').nth(4) == Some("/"));
    match root {
        Some(l)
            if l.split(" - ")
                .next()
                .is_some_and(|head| head.split(' ').skip(6).any(|f| f.starts_with("shared:"))) =>
        {
            pass(name, "shared propagation")
        }
        Some(_) => fail(
            name,
            "/ has private propagation: volume mounts made later do not reach containers",
            "sudo mount --make-rshared /",
        ),
        None => fail(
            name,
            "/ not found in /proc/self/mountinfo",
            "sudo mount --make-rshared /",
        ),
    }
}
