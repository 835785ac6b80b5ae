//! Mapped layer copies: an image's layers merged into one directory whose files carry the
//! owners a container's user namespace needs (what containers/storage makes when it cannot
//! idmap-mount: a user namespace cannot idmap-mount a file system it does not own). Made once
//! per top layer and mapping, in a work directory and renamed into place, so a command killed
//! mid-copy leaves nothing that looks complete; removed with the layer.
//!
//! The merge needs the layers mounted: that happens in a forked child with a mount namespace
//! of its own, so nothing is ever mounted in the caller's.

use std::fs;
use std::path::{Path, PathBuf};

use nix::unistd::{ForkResult, fork};

use crate::copy::{OwnerMap, copy_tree_owned};
use crate::error::{IoContext, StorageError};
use crate::layer::remove_any;
use crate::store::{Driver, Store};
use crate::workdir::WorkDir;

const DIR: &str = "mapped";
/// The exit code of the copying child for an [`StorageError::UnmappedOwner`].
const EXIT_UNMAPPED: i32 = 3;

/// New owners for a mapped copy's files: (uid, gid) of the image to (uid, gid) on disk, or
/// the `("uid" | "gid", id)` that the container's namespace cannot own.
pub type MappedOwners<'a> = &'a dyn Fn(u32, u32) -> Result<(u32, u32), (&'static str, u32)>;

/// `ROOT/mapped/TOPHEX-KEY`, the copy of the layers topped by `top` for mapping `key`.
pub fn mapped_path(store: &Store, top: &Path, key: &str) -> PathBuf {
    let hex = top
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "empty".to_string());
    store.root().join(DIR).join(format!("{hex}-{key}"))
}

/// The mapped copy of `lowers` (topmost first) for `key`, made now if it is missing.
/// Must be called while the process is single-threaded (it forks).
pub fn ensure(
    store: &Store,
    lowers: &[PathBuf],
    key: &str,
    owners: MappedOwners<'_>,
) -> Result<PathBuf, StorageError> {
    let top = lowers.first().map_or(Path::new("empty"), PathBuf::as_path);
    let dest = mapped_path(store, top, key);
    if dest.is_dir() {
        return Ok(dest);
    }
    let parent = store.root().join(DIR);
    fs::create_dir_all(&parent).ctx("creating", &parent)?;
    let work = store.work_dir()?;
    let staging = work.child("mapped");
    fs::create_dir_all(&staging).ctx("creating", &staging)?;
    let copy = staging.join("root");
    // The first id that cannot be owned fails the copy once it is done (the copy is never
    // put in place); its files meanwhile belong to the user.
    let unmapped = std::cell::Cell::new(None);
    let owner_map = |u: u32, g: u32| {
        owners(u, g).unwrap_or_else(|bad| {
            if unmapped.get().is_none() {
                unmapped.set(Some(bad));
            }
            (0, 0)
        })
    };
    let checked = |copied: Result<(), StorageError>| {
        copied?;
        match unmapped.get() {
            Some((kind, id)) => Err(StorageError::UnmappedOwner { kind, id }),
            None => Ok(()),
        }
    };
    let made = if store.driver() == Driver::Vfs || lowers.len() <= 1 {
        // A vfs layer is a complete snapshot, and a single layer has nothing to merge.
        checked(match lowers.first() {
            Some(l) => copy_tree_owned(l, &copy, Some(&owner_map)),
            None => fs::create_dir(&copy).ctx("creating", &copy),
        })
    } else {
        merged_copy(store, lowers, &staging, &copy, &owner_map, &checked)
    };
    if let Err(e) = made {
        let _ = remove_any(&staging);
        return Err(e);
    }
    match fs::rename(&copy, &dest) {
        Ok(()) => {}
        // Another command made it meanwhile: theirs is as good as ours.
        Err(_) if dest.is_dir() => {}
        Err(e) => return Err(StorageError::io("renaming into place", dest, e)),
    }
    let _ = remove_any(&staging);
    Ok(dest)
}

/// Mounts the layers in a child's own mount namespace and copies the merged view.
fn merged_copy(
    store: &Store,
    lowers: &[PathBuf],
    staging: &Path,
    copy: &Path,
    owners: OwnerMap<'_>,
    checked: &dyn Fn(Result<(), StorageError>) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let (merged, upper, work) = (
        staging.join("merged"),
        staging.join("upper"),
        staging.join("work"),
    );
    for d in [&merged, &upper, &work] {
        fs::create_dir_all(d).ctx("creating", d)?;
    }
    // Close-on-exec: fuse-overlayfs, started by the child, daemonizes; a write end it
    // inherited would keep the read below waiting for ever.
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| StorageError::sys("pipe", staging, e))?;
    // SAFETY: the caller is single-threaded (burrow starts no threads), so the child may
    // allocate; it leaves with _exit.
    match unsafe { fork() }.map_err(|e| StorageError::sys("fork", staging, e))? {
        ForkResult::Child => {
            drop(r);
            let res = (|| {
                // A mount namespace of our own: the merged view never shows in the caller's,
                // and goes away with this process.
                crate::mount_ns::enter_private()
                    .map_err(|e| StorageError::sys("a private mount namespace", staging, e))?;
                crate::rootfs::mount(store, lowers, &upper, &work, &merged)?;
                let copied = checked(copy_tree_owned(&merged, copy, Some(owners)));
                // Unmounted on every path: fuse-overlayfs' daemon ends with its mount, not
                // with this process.
                let unmounted = crate::rootfs::unmount(&merged);
                copied.and(unmounted)
            })();
            let code = match res {
                Ok(()) => 0,
                Err(StorageError::UnmappedOwner { kind, id }) => {
                    let _ = nix::unistd::write(&w, format!("{kind} {id}").as_bytes());
                    EXIT_UNMAPPED
                }
                Err(e) => {
                    let _ = nix::unistd::write(&w, e.to_string().as_bytes());
                    1
                }
            };
            // SAFETY: leave without running the parent's exit handlers.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop(w);
            let mut msg = String::new();
            let _ = std::io::Read::read_to_string(&mut fs::File::from(r), &mut msg);
            let status = nix::sys::wait::waitpid(child, None);
            match status {
                Ok(nix::sys::wait::WaitStatus::Exited(_, 0)) => Ok(()),
                Ok(nix::sys::wait::WaitStatus::Exited(_, EXIT_UNMAPPED)) => {
                    let (kind, id) = msg.split_once(' ').unwrap_or_default();
                    Err(StorageError::UnmappedOwner {
                        kind: if kind == "gid" { "gid" } else { "uid" },
                        id: id.parse().unwrap_or(u32::MAX),
                    })
                }
                _ => Err(StorageError::MappedCopy {
                    path: copy.to_path_buf(),
                    reason: if msg.is_empty() {
                        format!("{status:?}")
                    } else {
                        msg
                    },
                }),
            }
        }
    }
}

/// Removes every mapped copy made from layer directory `top` (its layer is being removed).
/// Each is renamed into `work` first, as layers are: a removal killed half-way must leave
/// nothing at the copy's path, which `ensure` would take for a complete copy.
pub fn remove_for_layer(store: &Store, top: &Path, work: &WorkDir) {
    let Some(hex) = top.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(store.root().join(DIR)) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name()
            .to_string_lossy()
            .starts_with(&format!("{hex}-"))
        {
            let _ = discard(&e.path(), work);
        }
    }
}

/// Renames `path` into `work`, out of sight at once, then deletes it.
fn discard(path: &Path, work: &WorkDir) -> Result<(), StorageError> {
    let gone = work.child("rm-mapped");
    fs::rename(path, &gone).ctx("removing", path)?;
    remove_any(&gone).ctx("removing", &gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Pins M1: a removal that stops half-way (here: a mount point inside that cannot be
    // removed, as a killed `rmi` would) left a partial copy in place, which `ensure` then used.
    #[test]
    fn a_removal_cut_short_leaves_no_copy_behind() {
        if !crate::rootfs::tests::private_mount_ns() {
            return;
        }
        let t = tempfile::tempdir().unwrap();
        let store = Store::open(&t.path().join("s"), Driver::Vfs, false).unwrap();
        let top = store.root().join("layers").join("ab".repeat(32));
        let copy = mapped_path(&store, &top, "k1");
        let busy = copy.join("busy");
        fs::create_dir_all(&busy).unwrap();
        fs::write(copy.join("file"), b"x").unwrap();
        nix::mount::mount(
            Some("tmpfs"),
            &busy,
            Some("tmpfs"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        )
        .unwrap();
        let work = store.work_dir().unwrap();
        remove_for_layer(&store, &top, &work);
        assert!(
            !copy.exists(),
            "a partial copy stayed at {}",
            copy.display()
        );
        let _ = nix::mount::umount2(&busy, nix::mount::MntFlags::MNT_DETACH);
        let mut moved = fs::read_dir(work.path()).unwrap().flatten();
        let moved = moved
            .next()
            .expect("the copy moved into the work dir")
            .path();
        let _ = nix::mount::umount2(&moved.join("busy"), nix::mount::MntFlags::MNT_DETACH);
    }
}
