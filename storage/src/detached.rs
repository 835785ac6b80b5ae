//! A container's rootfs as a detached mount: made by burrow, which can walk the store, and
//! handed as a descriptor to a container process whose own user namespace leaves burrow's
//! user out (it could not walk the 0700 data root to mount the layers itself). The process
//! attaches it with `attach`.
//!
//! Never attaches anything in the caller's mount namespace, except fuse-overlayfs' mount for
//! the instant it takes to clone it, under the container's own directory.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::mount::MntFlags;

use crate::error::{IoContext, StorageError};
use crate::rootfs::{self, MountOptions};
use crate::store::{Driver, Store};

// linux/mount.h, stable kernel ABI.
const OPEN_TREE_CLONE: libc::c_uint = 1;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 4;

/// The rootfs of `lowers` (topmost first) over `upper`/`work`, not attached anywhere.
/// `scratch` is a directory of the container's where fuse-overlayfs may mount for a moment.
pub fn rootfs(
    store: &Store,
    lowers: &[PathBuf],
    upper: &Path,
    work: &Path,
    opts: MountOptions,
    scratch: &Path,
) -> Result<OwnedFd, StorageError> {
    match store.driver() {
        Driver::Overlay => {
            rootfs::check_path(upper)?;
            rootfs::check_path(work)?;
            let dirs = rootfs::lower_paths(store, lowers)?;
            rootfs::fsconfig_detached(&dirs, upper, work, store.rootless(), opts.volatile, upper)
        }
        Driver::Vfs => {
            rootfs::populate_vfs(lowers, upper, work)?;
            clone_tree(upper, false)
        }
        Driver::FuseOverlay => {
            // fuse-overlayfs can only mount on a path: mount, clone the mount, detach the
            // original. The clone keeps the file system (and the daemon) alive.
            std::fs::create_dir_all(scratch).ctx("creating", scratch)?;
            rootfs::mount_fuse(store, lowers, upper, work, scratch)?;
            let tree = clone_tree(scratch, false);
            let detached = nix::mount::umount2(scratch, MntFlags::MNT_DETACH)
                .map_err(|e| StorageError::sys("unmounting", scratch, e));
            let tree = tree?;
            detached?;
            Ok(tree)
        }
    }
}

/// A detached copy of the mount at `path` (open_tree OPEN_TREE_CLONE; with `recursive`, the
/// mounts beneath it too), as a close-on-exec descriptor.
pub fn clone_tree(path: &Path, recursive: bool) -> Result<OwnedFd, StorageError> {
    let c =
        CString::new(path.as_os_str().as_bytes()).map_err(|_| StorageError::InvalidMountPath {
            path: path.to_path_buf(),
        })?;
    let mut flags = OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint;
    if recursive {
        flags |= libc::AT_RECURSIVE as libc::c_uint;
    }
    // SAFETY: open_tree reads the NUL-terminated path and returns a new descriptor or -1.
    let rc = unsafe { libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, c.as_ptr(), flags) };
    if rc < 0 {
        return Err(StorageError::sys("open_tree", path, nix::Error::last()));
    }
    // SAFETY: rc is a descriptor open_tree just returned; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(rc as RawFd) })
}

/// Attaches the detached mount `tree` at `target` (move_mount).
pub fn attach(tree: &impl AsRawFd, target: &Path) -> Result<(), StorageError> {
    attach_raw(tree.as_raw_fd(), target)
}

/// [`attach`] by descriptor number: for a child that holds the descriptor without owning it.
pub fn attach_raw(tree: RawFd, target: &Path) -> Result<(), StorageError> {
    let target_c = CString::new(target.as_os_str().as_bytes()).map_err(|_| {
        StorageError::InvalidMountPath {
            path: target.to_path_buf(),
        }
    })?;
    // SAFETY: tree is a detached mount; both strings are NUL-terminated.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree,
            c"".as_ptr(),
            libc::AT_FDCWD,
            target_c.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if rc < 0 {
        return Err(StorageError::sys(
            "attaching the rootfs at",
            target,
            nix::Error::last(),
        ));
    }
    Ok(())
}
