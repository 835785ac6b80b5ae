//! Private scratch directories under the store's `tmp/`, where layers are extracted and
//! image files written before being renamed into place.
//!
//! Each work dir `tmp/<name>` has a lock file `tmp/<name>.lock` held (`File::lock`) for as
//! long as its owner lives; the kernel drops the lock when the process dies. At open, any work
//! dir whose lock can be taken is a leftover of an interrupted load/import and is removed.
//! A lock file is created under a dot-name, locked, then renamed, so a cleaner never sees an
//! unlocked live one. This module must never remove a work dir whose lock is held.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{IoContext, StorageError};
use crate::layer::remove_any;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The file in a work dir naming what its commit renamed into the store.
const JOURNAL: &str = "commit.journal";

/// A live work dir; removed (best effort) when dropped.
pub struct WorkDir {
    dir: PathBuf,
    lock_path: PathBuf,
    _lock: File,
}

impl WorkDir {
    pub fn create(tmp_root: &Path) -> Result<WorkDir, StorageError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "{}-{nanos:x}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let pending = tmp_root.join(format!(".{name}.lock"));
        let lock_path = tmp_root.join(format!("{name}.lock"));
        let lock = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&pending)
            .ctx("creating", &pending)?;
        lock.lock().ctx("locking", &pending)?;
        fs::rename(&pending, &lock_path).ctx("renaming", &pending)?;
        let dir = tmp_root.join(&name);
        fs::create_dir(&dir).ctx("creating", &dir)?;
        Ok(WorkDir {
            dir,
            lock_path,
            _lock: lock,
        })
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where a commit records what it is about to rename out of this work dir (see
    /// `clean_stale`).
    pub fn journal(&self) -> PathBuf {
        self.dir.join(JOURNAL)
    }

    /// A fresh, unused path inside the work dir.
    pub fn child(&self, prefix: &str) -> PathBuf {
        self.dir.join(format!(
            "{prefix}-{}",
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        // Best effort: whatever is left is removed by the next `clean_stale`.
        let _ = remove_any(&self.dir);
        let _ = fs::remove_file(&self.lock_path);
    }
}

/// Removes work dirs of processes that are gone. Cheap when `tmp/` is empty (the usual case).
/// A dead work dir that holds a commit journal was killed in the middle of its commit:
/// `roll_back` gets the journal first, to remove what was renamed into the store but never
/// made it into the index.
pub fn clean_stale(tmp_root: &Path, roll_back: &dyn Fn(&Path)) -> Result<(), StorageError> {
    let entries = match fs::read_dir(tmp_root) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StorageError::io("reading", tmp_root, e)),
    };
    let mut locked_names = Vec::new();
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.ctx("reading", tmp_root)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        match name.strip_suffix(".lock") {
            Some(stem) => locked_names.push(stem.to_string()),
            None => dirs.push(name),
        }
    }
    for stem in &locked_names {
        let lock_path = tmp_root.join(format!("{stem}.lock"));
        let Ok(file) = File::open(&lock_path) else {
            continue;
        };
        if file.try_lock().is_ok() {
            // Owner is gone: dir first, then its lock file.
            let dir = tmp_root.join(stem);
            if dir.join(JOURNAL).exists() {
                roll_back(&dir.join(JOURNAL));
            }
            remove_any(&dir).ctx("removing", &dir)?;
            let _ = fs::remove_file(&lock_path);
        }
    }
    for name in dirs {
        if !locked_names.contains(&name) {
            // A dir without a lock file: its cleaner died between the two removals.
            let dir = tmp_root.join(&name);
            if dir.join(JOURNAL).exists() {
                roll_back(&dir.join(JOURNAL));
            }
            remove_any(&dir).ctx("removing", &dir)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_dirs_survive_and_stale_ones_go() {
        let t = tempfile::tempdir().unwrap();
        let live = WorkDir::create(t.path()).unwrap();
        fs::write(live.path().join("x"), b"x").unwrap();
        // A leftover of a dead process: unlocked lock file plus dir, and a bare dir.
        fs::create_dir(t.path().join("dead")).unwrap();
        fs::write(t.path().join("dead.lock"), b"").unwrap();
        fs::create_dir_all(t.path().join("orphan/deep")).unwrap();
        clean_stale(t.path(), &|_| {}).unwrap();
        assert!(live.path().join("x").exists());
        assert!(!t.path().join("dead").exists());
        assert!(!t.path().join("dead.lock").exists());
        assert!(!t.path().join("orphan").exists());
        let p = live.path().to_path_buf();
        drop(live);
        assert!(!p.exists());
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_dead_commit_is_rolled_back_before_its_dir_goes() {
        let t = tempfile::tempdir().unwrap();
        let live = WorkDir::create(t.path()).unwrap();
        fs::write(live.journal(), "layer live\n").unwrap();
        fs::create_dir(t.path().join("dead")).unwrap();
        fs::write(t.path().join("dead.lock"), b"").unwrap();
        fs::write(t.path().join("dead").join(JOURNAL), "layer abc\n").unwrap();
        let seen = std::cell::RefCell::new(Vec::new());
        clean_stale(t.path(), &|j| {
            seen.borrow_mut().push(fs::read_to_string(j).unwrap())
        })
        .unwrap();
        // Only the dead one's journal, never a live commit's.
        assert_eq!(*seen.borrow(), vec!["layer abc\n".to_string()]);
        assert!(!t.path().join("dead").exists());
    }
}
