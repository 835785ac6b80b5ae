//! Lock files that serialize burrow processes around one shared resource (the pause process,
//! the rootless netns): created if missing, never truncated, held with an exclusive `flock`
//! for as long as the returned file lives. The descriptor is close-on-exec (std opens every
//! file with O_CLOEXEC), so no child ever inherits the lock.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{LibpodError, Result};

/// Opens (creating it if needed) the lock file at `path` and waits for its exclusive lock.
pub(crate) fn lock_exclusive(path: &Path) -> Result<File> {
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| LibpodError::io(format!("open {}", path.display()), e))?;
    lock.lock()
        .map_err(|e| LibpodError::io(format!("lock {}", path.display()), e))?;
    Ok(lock)
}
