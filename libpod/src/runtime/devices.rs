//! `--privileged`: the host's device nodes, bound into the container's /dev. A user namespace
//! may not mknod, so podman rootless bind-mounts each host device (pkg/util
//! AddPrivilegedDevices); burrow does the same, as root too. Only reads /dev: the binds are
//! made by the executor, like any other bind mount.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use nix::unistd::{AccessFlags, access};

use crate::container::Mount;

/// Directories under /dev that hold nothing of the host's for a container (runc's and
/// podman's list): the container has its own pts, shm and mqueue, and fd is a link.
const SKIP_DIRS: &[&str] = &["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts"];

/// Bound into every container's /dev already (executor::mounts::setup_dev).
const DEFAULT_DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// How deep /dev is searched; real trees are 3 levels (/dev/cpu/0/cpuid).
const MAX_DEPTH: u32 = 8;

/// Bind mounts of the host's device nodes for a privileged container, sorted by path. Left
/// out: the devices every container has, /dev/ptmx (the container's own is pts/ptmx), the
/// console and the virtual consoles /dev/ttyN (podman leaves them out rootless: a container
/// could take over the host's terminals), destinations the user mounted something on, and
/// devices the user cannot open at all (the bind would only show a node that fails with
/// EACCES). Symlinks are skipped, as in podman.
pub(crate) fn privileged_device_mounts(user_mounts: &[Mount]) -> Vec<Mount> {
    let mut found = Vec::new();
    collect(Path::new("/dev"), 0, &mut found);
    found.sort();
    found
        .into_iter()
        .filter(|p| !user_mounts.iter().any(|m| m.destination == *p))
        .map(|p| Mount {
            kind: "bind".into(),
            source: p.clone(),
            destination: p,
            ..Mount::default()
        })
        .collect()
}

fn collect(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    // An unreadable directory is skipped, as podman does rootless.
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // file_type() does not follow symlinks.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        let path = entry.path();
        if kind.is_dir() {
            if depth < MAX_DEPTH && !SKIP_DIRS.iter().any(|d| OsStr::new(d) == name) {
                collect(&path, depth + 1, out);
            }
        } else if (kind.is_char_device() || kind.is_block_device())
            && wanted(depth, &name)
            && can_open(&path)
        {
            out.push(path);
        }
    }
}

/// Whether a device directly in /dev (depth 0) or below it is one to bind.
fn wanted(depth: u32, name: &OsStr) -> bool {
    if depth > 0 {
        return true;
    }
    let Some(name) = name.to_str() else {
        return true;
    };
    !(DEFAULT_DEVICES.contains(&name)
        || name == "ptmx"
        || name == "console"
        || is_virtual_console(name))
}

/// `tty1`, `tty63`: a virtual console (not `tty`, `ttyS0` or `ttyUSB0`).
fn is_virtual_console(name: &str) -> bool {
    name.strip_prefix("tty")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether this user may open the node for reading or writing. Runs inside the user
/// namespace, where capabilities give nothing over a host root's node: the answer is the
/// user's own on the host.
fn can_open(path: &Path) -> bool {
    access(path, AccessFlags::R_OK).is_ok() || access(path, AccessFlags::W_OK).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consoles_and_defaults_are_left_out() {
        for name in ["tty1", "tty63", "ptmx", "console", "null", "tty"] {
            assert!(!wanted(0, OsStr::new(name)), "{name}");
        }
        for name in ["ttyS0", "ttyUSB0", "fuse", "kvm", "loop0"] {
            assert!(wanted(0, OsStr::new(name)), "{name}");
        }
        // /dev/net/tun and the like: any name below /dev itself.
        assert!(wanted(1, OsStr::new("tun")));
    }

    #[test]
    fn user_mounts_win() {
        let mine = Mount {
            kind: "bind".into(),
            source: "/tmp/x".into(),
            destination: "/dev/fuse".into(),
            ..Mount::default()
        };
        let devs = privileged_device_mounts(std::slice::from_ref(&mine));
        assert!(devs.iter().all(|m| m.destination != Path::new("/dev/fuse")));
        assert!(devs.iter().all(|m| m.source == m.destination));
    }
}
