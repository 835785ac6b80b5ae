//! Mounting an image's layers as a container root file system.
//!
//! Overlay: `lowerdir` lists the layers topmost first through short `l/` symlinks (as podman
//! does) so long stacks stay under the one-page limit of mount options; rootless mounts pass
//! `userxattr` so overlayfs reads `user.overlay.*` instead of `trusted.overlay.*`.
//! Vfs: the topmost layer (a complete snapshot) is copied into `upper` once, then bind-mounted.
//! Called inside the container's fresh mount namespace or the user's long-lived one: this
//! module must never change mount propagation nor unmount anything it was not asked to.

use std::ffi::{CStr, CString};
use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};

use crate::copy::copy_tree;
use crate::digest::is_hex64;
use crate::error::{IoContext, StorageError};
use crate::layer::remove_any;
use crate::store::{Driver, SHORT_LINK_LEN, Store};

/// Marker (in `work`, never visible in the rootfs) that `upper` holds the vfs copy.
const VFS_POPULATED: &str = "burrow-vfs-populated";
/// Mount option strings are copied into one page by the kernel.
const MAX_OPTIONS: usize = 4095;

/// How a rootfs is mounted beyond its layers.
#[derive(Clone, Copy, Debug, Default)]
pub struct MountOptions {
    /// overlayfs `volatile`: no sync of the upper dir at unmount. For containers removed when
    /// they exit (`--rm`), whose writes nobody will read again; saves milliseconds per run.
    pub volatile: bool,
}

/// Mounts `lowers` (topmost first) with `upper`/`work` at `target`.
pub fn mount(
    store: &Store,
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
) -> Result<(), StorageError> {
    mount_with(store, lowers, upper, work, target, MountOptions::default())
}

/// [`mount`] with options.
pub fn mount_with(
    store: &Store,
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
    opts: MountOptions,
) -> Result<(), StorageError> {
    match store.driver() {
        Driver::Overlay => mount_overlay(store, lowers, upper, work, target, opts),
        Driver::Vfs => mount_vfs(lowers, upper, work, target),
        Driver::FuseOverlay => mount_fuse(store, lowers, upper, work, target),
    }
}

/// Detaches the mount at `target` (lazily, so busy files do not block cleanup).
pub fn unmount(target: &Path) -> Result<(), StorageError> {
    nix::mount::umount2(target, MntFlags::MNT_DETACH)
        .map_err(|e| StorageError::sys("unmounting", target, e))
}

pub(crate) fn check_path(p: &Path) -> Result<(), StorageError> {
    let bytes = p.as_os_str().as_encoded_bytes();
    if bytes.contains(&b',') || bytes.contains(&b':') {
        return Err(StorageError::InvalidMountPath {
            path: p.to_path_buf(),
        });
    }
    Ok(())
}

/// The short name of a store layer dir (`l/XXXX`, relative to the store root), creating the
/// link if it is missing; `None` for a directory that is not a store layer.
fn short_name(store: &Store, lower: &Path) -> Result<Option<String>, StorageError> {
    let layers = store.root().join("layers");
    let Some(hex) = lower
        .strip_prefix(&layers)
        .ok()
        .and_then(|rest| rest.to_str())
        .filter(|h| is_hex64(h))
    else {
        return Ok(None);
    };
    let short = format!("l/{}", &hex[..SHORT_LINK_LEN]);
    let link = store.root().join(&short);
    let expected = Path::new("../layers").join(hex);
    if fs::symlink_metadata(&link).is_err() {
        match std::os::unix::fs::symlink(&expected, &link) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StorageError::io("creating link", link, e)),
        }
    }
    // A link of another layer with the same prefix is never followed: use the full path.
    if fs::read_link(&link).ok().as_deref() != Some(expected.as_path()) {
        return Ok(None);
    }
    Ok(Some(short))
}

fn mount_overlay(
    store: &Store,
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
    mopts: MountOptions,
) -> Result<(), StorageError> {
    let empty;
    let lowers: &[PathBuf] = if lowers.is_empty() {
        // overlayfs needs a lowerdir; an image without layers gets an empty one.
        empty = [store.root().join("empty")];
        fs::create_dir_all(&empty[0]).ctx("creating", &empty[0])?;
        &empty
    } else {
        lowers
    };
    for p in lowers.iter().map(PathBuf::as_path).chain([upper, work]) {
        check_path(p)?;
    }
    let mut absolute = Vec::new();
    let mut relative = Vec::new();
    for lower in lowers {
        match short_name(store, lower)? {
            Some(short) => {
                absolute.push(store.root().join(&short).display().to_string());
                relative.push(short);
            }
            None => {
                absolute.push(lower.display().to_string());
                relative.push(lower.display().to_string());
            }
        }
    }
    let opts = format!(
        "lowerdir={}{}",
        absolute.join(":"),
        tail_options(store, upper, work, mopts.volatile)
    );
    if opts.len() <= MAX_OPTIONS {
        return legacy_mount(&opts, target);
    }
    // Too long for one page. Linux 6.8+ takes one `lowerdir+` per layer through the new
    // mount API; older kernels get podman's trick of paths relative to the store root.
    match fsconfig_mount(
        &absolute,
        upper,
        work,
        store.rootless(),
        mopts.volatile,
        target,
    ) {
        Ok(()) => Ok(()),
        Err(first) => {
            let opts = format!(
                "lowerdir={}{}",
                relative.join(":"),
                tail_options(store, upper, work, mopts.volatile)
            );
            if opts.len() > MAX_OPTIONS {
                return Err(match first {
                    StorageError::Sys {
                        source: nix::Error::ENOSYS | nix::Error::EINVAL,
                        ..
                    } => StorageError::MountOptionsTooLong {
                        target: target.to_path_buf(),
                        len: opts.len(),
                        layers: lowers.len(),
                    },
                    other => other,
                });
            }
            relative_mount(store.root(), &opts, target)
        }
    }
}

/// fuse-overlayfs takes overlay's options; it daemonizes once the mount is in place and
/// exits when it is unmounted (or when the container's pid namespace, where it was started,
/// ends). Its own whiteout reading matches the overlay layers (0:0 devices, opaque xattrs).
pub(crate) fn mount_fuse(
    store: &Store,
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
) -> Result<(), StorageError> {
    let dirs = lower_paths(store, lowers)?;
    check_path(upper)?;
    check_path(work)?;
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        dirs.join(":"),
        upper.display(),
        work.display()
    );
    let out = std::process::Command::new("fuse-overlayfs")
        .arg("-o")
        .arg(&opts)
        .arg(target)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| StorageError::io("running fuse-overlayfs for", target.to_path_buf(), e))?;
    if !out.status.success() {
        return Err(StorageError::MountProgram {
            target: target.to_path_buf(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

/// Whether native overlayfs can be mounted here (inside the user namespace when rootless):
/// mounts a tiny overlay under `scratch` and unmounts it again.
pub fn native_overlay_works(scratch: &Path, rootless: bool) -> bool {
    let dirs = ["lower", "upper", "work", "merged"].map(|d| scratch.join(d));
    if dirs.iter().any(|d| fs::create_dir_all(d).is_err()) {
        return false;
    }
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}{}",
        dirs[0].display(),
        dirs[1].display(),
        dirs[2].display(),
        if rootless { ",userxattr" } else { "" }
    );
    let ok = legacy_mount(&opts, &dirs[3]).is_ok();
    if ok {
        let _ = nix::mount::umount2(&dirs[3], MntFlags::MNT_DETACH);
    }
    let _ = fs::remove_dir_all(scratch);
    ok
}

/// Whether fuse-overlayfs can run: the program is installed and /dev/fuse is usable.
pub fn fuse_overlay_available() -> bool {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("fuse-overlayfs").is_file()))
        .unwrap_or(false);
    on_path
        && fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/fuse")
            .is_ok()
}

fn tail_options(store: &Store, upper: &Path, work: &Path, volatile: bool) -> String {
    format!(
        ",upperdir={},workdir={}{}{}",
        upper.display(),
        work.display(),
        if store.rootless() { ",userxattr" } else { "" },
        if volatile { ",volatile" } else { "" }
    )
}

fn legacy_mount(opts: &str, target: &Path) -> Result<(), StorageError> {
    nix::mount::mount(
        Some("overlay"),
        target,
        Some("overlay"),
        MsFlags::empty(),
        Some(opts),
    )
    .map_err(|e| StorageError::sys("mounting overlay on", target, e))
}

/// Mounts with lowerdir paths relative to `root`, which the kernel resolves against the
/// current directory. The directory is process wide (unless CLONE_FS was unshared), so this
/// is only for the single-threaded container setup; it is restored before returning.
fn relative_mount(root: &Path, opts: &str, target: &Path) -> Result<(), StorageError> {
    let target = if target.is_relative() {
        std::env::current_dir()
            .ctx("resolving", target)?
            .join(target)
    } else {
        target.to_path_buf()
    };
    let cwd = fs::File::open(".").ctx("opening", ".")?;
    nix::unistd::chdir(root).map_err(|e| StorageError::sys("chdir", root, e))?;
    let result = legacy_mount(opts, &target);
    nix::unistd::fchdir(&cwd).map_err(|e| StorageError::sys("restoring cwd from", root, e))?;
    result
}

// Constants of the new mount API (linux/mount.h), stable kernel ABI.
const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;
const FSCONFIG_SET_FLAG: libc::c_uint = 0;
const FSCONFIG_SET_STRING: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;

fn cstr(s: &str, path: &Path) -> Result<CString, StorageError> {
    CString::new(s).map_err(|_| StorageError::InvalidMountPath {
        path: path.to_path_buf(),
    })
}

/// fsopen/fsconfig/fsmount/move_mount with one `lowerdir+` per layer: no length limit.
fn fsconfig_mount(
    lowers: &[String],
    upper: &Path,
    work: &Path,
    userxattr: bool,
    volatile: bool,
    target: &Path,
) -> Result<(), StorageError> {
    let mnt_fd = fsconfig_detached(lowers, upper, work, userxattr, volatile, target)?;
    crate::detached::attach(&mnt_fd, target)
}

/// An overlay mount made with the new mount API and not attached anywhere: one `lowerdir+`
/// per layer. `what` only names the mount in errors.
pub(crate) fn fsconfig_detached(
    lowers: &[String],
    upper: &Path,
    work: &Path,
    userxattr: bool,
    volatile: bool,
    what: &Path,
) -> Result<OwnedFd, StorageError> {
    let err = |op: &'static str| StorageError::sys(op, what, nix::Error::last());
    // SAFETY: the argument is a valid NUL-terminated string; the result is checked.
    let fd = unsafe { libc::syscall(libc::SYS_fsopen, c"overlay".as_ptr(), FSOPEN_CLOEXEC) };
    if fd < 0 {
        return Err(err("fsopen overlay for"));
    }
    // SAFETY: fsopen returned a new descriptor that nothing else owns.
    let fs_fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    let set = |cmd: libc::c_uint, key: &CStr, value: Option<&CStr>| -> Result<(), StorageError> {
        let value_ptr = value.map_or(std::ptr::null(), CStr::as_ptr);
        // SAFETY: fs_fd is open; key/value are NUL-terminated or null as the command expects.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                fs_fd.as_raw_fd(),
                cmd,
                key.as_ptr(),
                value_ptr,
                0,
            )
        };
        if rc < 0 {
            Err(err("fsconfig for"))
        } else {
            Ok(())
        }
    };
    for lower in lowers {
        set(
            FSCONFIG_SET_STRING,
            c"lowerdir+",
            Some(&cstr(lower, Path::new(lower))?),
        )?;
    }
    set(
        FSCONFIG_SET_STRING,
        c"upperdir",
        Some(&cstr(&upper.display().to_string(), upper)?),
    )?;
    set(
        FSCONFIG_SET_STRING,
        c"workdir",
        Some(&cstr(&work.display().to_string(), work)?),
    )?;
    if userxattr {
        set(FSCONFIG_SET_FLAG, c"userxattr", None)?;
    }
    if volatile {
        set(FSCONFIG_SET_FLAG, c"volatile", None)?;
    }
    // SAFETY: fs_fd is open; the command takes no key or value.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fs_fd.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_char>(),
            0,
        )
    };
    if rc < 0 {
        return Err(err("creating overlay for"));
    }
    // SAFETY: fs_fd is a configured file system context.
    let mfd = unsafe { libc::syscall(libc::SYS_fsmount, fs_fd.as_raw_fd(), FSMOUNT_CLOEXEC, 0) };
    if mfd < 0 {
        return Err(err("fsmount for"));
    }
    // SAFETY: fsmount returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(mfd as RawFd) })
}

/// The overlay's `lowerdir+` values: the layers' short `l/` links where they exist.
pub(crate) fn lower_paths(store: &Store, lowers: &[PathBuf]) -> Result<Vec<String>, StorageError> {
    let mut out = Vec::new();
    for lower in lowers {
        check_path(lower)?;
        out.push(match short_name(store, lower)? {
            Some(short) => store.root().join(short).display().to_string(),
            None => lower.display().to_string(),
        });
    }
    if out.is_empty() {
        // overlayfs needs a lowerdir; an image without layers gets an empty one.
        let empty = store.root().join("empty");
        fs::create_dir_all(&empty).ctx("creating", &empty)?;
        out.push(empty.display().to_string());
    }
    Ok(out)
}

fn mount_vfs(
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    target: &Path,
) -> Result<(), StorageError> {
    populate_vfs(lowers, upper, work)?;
    nix::mount::mount(
        Some(upper),
        target,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| StorageError::sys("bind-mounting", target, e))
}

/// Copies the topmost vfs layer (a complete snapshot) into `upper`, once.
pub(crate) fn populate_vfs(
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
) -> Result<(), StorageError> {
    fs::create_dir_all(work).ctx("creating", work)?;
    let marker = work.join(VFS_POPULATED);
    if fs::symlink_metadata(&marker).is_err() {
        // Copy into work first and rename: an interrupted copy never looks complete.
        let staging = work.join("vfs-copy");
        remove_any(&staging).ctx("removing", &staging)?;
        match lowers.first() {
            Some(top) => copy_tree(top, &staging)?,
            None => fs::create_dir(&staging).ctx("creating", &staging)?,
        }
        remove_any(upper).ctx("replacing", upper)?;
        fs::rename(&staging, upper).ctx("renaming into place", upper)?;
        fs::write(&marker, b"").ctx("writing", &marker)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "rootfs_tests.rs"]
pub(crate) mod tests;
