//! Where quadlet files are found (podman 5's search paths, rootless and root), and loading
//! them with their drop-ins. The first file of a name wins, as in podman: a user's file
//! hides an administrator's of the same name.

use std::collections::{BTreeMap, HashSet};
use std::ffi::CStr;
use std::path::{Path, PathBuf};

use super::{Kind, Quadlet, QuadletError};

/// Administrator's quadlet files.
pub const ADMIN_DIR: &str = "/etc/containers/systemd";
/// The distribution's quadlet files.
pub const DISTRO_DIR: &str = "/usr/share/containers/systemd";
/// Quadlet files that last until reboot.
pub const TEMP_DIR: &str = "/run/containers/systemd";

/// The user's config directory: `$XDG_CONFIG_HOME` when set, else `~/.config` from the
/// password database (generators run with a minimal environment, without HOME).
pub fn config_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| Path::new(x).is_absolute()) {
        return PathBuf::from(x);
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(passwd_home)
        .unwrap_or_else(|| PathBuf::from("/"));
    home.join(".config")
}

fn passwd_home() -> Option<PathBuf> {
    // SAFETY: getpwuid returns a pointer into static storage or null; this process reads it
    // at once, before any other call could overwrite it, and starts no threads.
    unsafe {
        let pw = libc::getpwuid(libc::geteuid());
        if pw.is_null() || (*pw).pw_dir.is_null() {
            return None;
        }
        let dir = CStr::from_ptr((*pw).pw_dir).to_string_lossy().into_owned();
        Some(PathBuf::from(dir))
    }
}

/// Where `quadlet install` puts files: the user's `~/.config/containers/systemd`, or
/// /etc/containers/systemd for root.
pub fn install_dir(user: bool) -> PathBuf {
    if user {
        config_dir().join("containers/systemd")
    } else {
        PathBuf::from(ADMIN_DIR)
    }
}

/// The directories searched, in priority order, subdirectories included.
/// `QUADLET_UNIT_DIRS` (colon-separated) replaces them all, as in podman.
pub fn unit_dirs(user: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dirs) = std::env::var_os("QUADLET_UNIT_DIRS").filter(|d| !d.is_empty()) {
        for d in std::env::split_paths(&dirs).filter(|d| d.is_absolute()) {
            walk(&mut out, &d, &|_| true);
        }
        return out;
    }
    let users = Path::new(ADMIN_DIR).join("users");
    if user {
        if let Some(rt) = std::env::var_os("XDG_RUNTIME_DIR").filter(|r| !r.is_empty()) {
            walk(
                &mut out,
                &Path::new(&rt).join("containers/systemd"),
                &|_| true,
            );
        }
        walk(&mut out, &install_dir(true), &|_| true);
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() }.to_string();
        for base in [ADMIN_DIR, DISTRO_DIR] {
            let users = Path::new(base).join("users");
            // users/ itself and its non-numeric subdirectories apply to every user;
            // users/UID only to that user.
            let shared = |p: &Path| {
                p.strip_prefix(&users)
                    .ok()
                    .and_then(|rest| rest.components().next())
                    .is_none_or(|c| {
                        !c.as_os_str()
                            .to_string_lossy()
                            .bytes()
                            .all(|b| b.is_ascii_digit())
                    })
            };
            walk(&mut out, &users, &shared);
            walk(&mut out, &users.join(&uid), &|_| true);
        }
    } else {
        let not_users = |p: &Path| {
            !p.starts_with(&users) && !p.starts_with(Path::new(DISTRO_DIR).join("users"))
        };
        for d in [TEMP_DIR, ADMIN_DIR, DISTRO_DIR] {
            walk(&mut out, Path::new(d), &not_users);
        }
    }
    out
}

/// Adds `dir` and its subdirectories (not drop-in `.d` ones) that `keep` accepts.
fn walk(out: &mut Vec<PathBuf>, dir: &Path, keep: &dyn Fn(&Path) -> bool) {
    if out.iter().any(|d| d == dir) || !keep(dir) {
        return;
    }
    if dir.extension().is_some_and(|e| e == "d") {
        return;
    }
    out.push(dir.to_path_buf());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    for d in subdirs {
        walk(out, &d, keep);
    }
}

/// Every quadlet file in `dirs` (first of a name wins), with drop-ins merged; files that
/// cannot be read or parsed are reported and skipped.
pub fn load(dirs: &[PathBuf]) -> (Vec<Quadlet>, Vec<QuadletError>) {
    let mut seen = HashSet::new();
    let mut quadlets = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| Kind::of_file(n).is_some())
            .collect();
        names.sort();
        for name in names {
            if seen.contains(&name) {
                continue;
            }
            let path = dir.join(&name);
            match read(&path).and_then(|text| Quadlet::parse(&path, &text)) {
                Ok(mut q) => {
                    seen.insert(name);
                    if let Err(e) = merge_dropins(&mut q, dirs) {
                        errors.push(e);
                    }
                    quadlets.push(q);
                }
                Err(e) => errors.push(e),
            }
        }
    }
    (quadlets, errors)
}

fn read(path: &Path) -> Result<String, QuadletError> {
    std::fs::read_to_string(path).map_err(|source| QuadletError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The drop-in directories of `web-app.container`, least specific first:
/// `container.d`, `web-.container.d`, `web-app.container.d` (systemd's rules).
pub(super) fn dropin_dirs(name: &str, kind: Kind) -> Vec<String> {
    let mut dirs = vec![format!("{}.d", kind.ext())];
    let base = name
        .strip_suffix(&format!(".{}", kind.ext()))
        .unwrap_or(name);
    for (i, _) in base.match_indices('-') {
        dirs.push(format!("{}-.{}.d", &base[..i], kind.ext()));
    }
    dirs.push(format!("{name}.d"));
    dirs
}

/// Merges `*.conf` drop-ins, in name order; a name in an earlier search directory hides
/// the same name in later ones.
fn merge_dropins(q: &mut Quadlet, dirs: &[PathBuf]) -> Result<(), QuadletError> {
    let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
    for sub in dropin_dirs(&q.name, q.kind) {
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir.join(&sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.ends_with(".conf") {
                    found.entry(n).or_insert_with(|| e.path());
                }
            }
        }
    }
    for path in found.values() {
        let text = read(path)?;
        q.merge_dropin(path, &text)?;
    }
    Ok(())
}
