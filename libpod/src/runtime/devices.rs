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

/// A `--device` that cannot be given to a container.
#[derive(thiserror::Error, Debug)]
pub enum DeviceError {
    #[error(
        "invalid device {0:?}: use HOST[:CONTAINER][:PERMISSIONS] with absolute paths and permissions from rwm, or a CDI name vendor.com/class=name"
    )]
    Syntax(String),
    #[error("stat {host}: {error}: the device does not exist")]
    Missing { host: String, error: std::io::Error },
}

/// `--device` and `--gpus`, resolved at create: host paths (`HOST[:CONTAINER][:PERMS]`, a
/// directory meaning every device under it) and CDI names (`vendor.com/class=name`).
#[derive(Debug, Default)]
pub(crate) struct ResolvedDevices {
    pub devices: Vec<crate::container::DeviceMapping>,
    /// What CDI specs add besides device nodes.
    pub env: Vec<String>,
    pub mounts: Vec<Mount>,
    pub hooks: Vec<crate::cdi::Hook>,
}

pub(crate) fn resolve(
    specs: &[String],
    gpus: Option<&str>,
    cdi_dirs: &[PathBuf],
) -> crate::error::Result<ResolvedDevices> {
    use crate::container::DeviceMapping;
    let mut out = ResolvedDevices::default();
    let mut cdi_names = Vec::new();
    if let Some(g) = gpus {
        cdi_names.extend(crate::cdi::gpus_to_devices(g)?);
    }
    for spec in specs {
        if crate::cdi::is_cdi_name(spec) {
            cdi_names.push(spec.clone());
            continue;
        }
        let mut parts = spec.splitn(3, ':');
        let host = parts.next().unwrap_or_default();
        let (container, perms) = match (parts.next(), parts.next()) {
            (None, _) => (host, "rwm"),
            (Some(p), None) if is_perms(p) => (host, p),
            (Some(c), None) => (c, "rwm"),
            (Some(c), Some(p)) => (c, p),
        };
        if !host.starts_with('/') || !container.starts_with('/') || !is_perms(perms) {
            return Err(DeviceError::Syntax(spec.clone()).into());
        }
        let meta = fs::metadata(host).map_err(|error| DeviceError::Missing {
            host: host.to_string(),
            error,
        })?;
        let mut nodes = Vec::new();
        if meta.is_dir() {
            collect(Path::new(host), 0, &mut nodes);
        } else {
            nodes.push(PathBuf::from(host));
        }
        for n in nodes {
            let rel = n.strip_prefix(host).unwrap_or(Path::new(""));
            out.devices.push(DeviceMapping {
                path_on_host: n.clone(),
                path_in_container: if rel.as_os_str().is_empty() {
                    PathBuf::from(container)
                } else {
                    Path::new(container).join(rel)
                },
                cgroup_permissions: perms.to_string(),
            });
        }
    }
    if !cdi_names.is_empty() {
        let registry = crate::cdi::Registry::load(&crate::cdi::spec_dirs(cdi_dirs))?;
        let edits = registry.resolve(&cdi_names)?;
        crate::cdi::check_host_paths(&edits)?;
        for n in &edits.device_nodes {
            out.devices.push(DeviceMapping {
                path_on_host: PathBuf::from(n.host_path()),
                path_in_container: PathBuf::from(&n.path),
                cgroup_permissions: n.permissions.clone().unwrap_or_else(|| "rwm".into()),
            });
        }
        out.env = edits.env;
        out.hooks = edits.hooks;
        out.mounts = edits
            .mounts
            .iter()
            .map(|m| Mount {
                kind: "bind".into(),
                source: PathBuf::from(&m.host_path),
                destination: PathBuf::from(&m.container_path),
                options: m
                    .options
                    .iter()
                    .filter(|o| !matches!(o.as_str(), "bind" | "rbind"))
                    .cloned()
                    .collect(),
                ..Mount::default()
            })
            .collect();
    }
    Ok(out)
}

fn is_perms(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
}

/// The bind mounts that put a container's devices in place.
pub(crate) fn device_mounts(devices: &[crate::container::DeviceMapping]) -> Vec<Mount> {
    devices
        .iter()
        .map(|d| Mount {
            kind: "bind".into(),
            source: d.path_on_host.clone(),
            destination: d.path_in_container.clone(),
            options: if d.cgroup_permissions.contains('w') {
                Vec::new()
            } else {
                vec!["ro".into()]
            },
            ..Mount::default()
        })
        .collect()
}
