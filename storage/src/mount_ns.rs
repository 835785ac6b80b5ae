//! A mount namespace of a process's own: what it mounts there never shows in (or needs
//! removing from) the namespace it came from, and goes away with the process.

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

/// Unshares this (single-threaded) process's mount namespace and makes it private.
pub fn enter_private() -> nix::Result<()> {
    unshare(CloneFlags::CLONE_NEWNS)?;
    make_private()
}

/// Stops every mount under `/` of this process's namespace from propagating to its peers (a
/// namespace fresh from clone or unshare still shares the events of the one it copied).
pub fn make_private() -> nix::Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
}
