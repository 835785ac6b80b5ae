//! The store's one small index file (`index.json`): image records and layer records.
//!
//! Readers read it without locking (it is only ever replaced by an atomic rename, so a reader
//! sees the old or the new version, never a mix). Writers take `index.lock` with
//! `File::lock`, re-read, change, write `index.json.tmp`, fsync and rename. This module must
//! never write the index in place, and never parse image configs: `images()` must stay fast.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{IoContext, StorageError};

/// An image as libpod sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Config digest hex, 64 chars.
    pub id: String,
    /// Normalised names, e.g. `localhost/busybox:latest`.
    pub names: Vec<String>,
    /// `sha256:` of the stored manifest.
    pub digest: String,
    pub created: DateTime<Utc>,
    /// Unpacked bytes: the sum of the layers' uncompressed tar sizes.
    pub size: u64,
    /// Chain IDs (`sha256:...`), bottom layer first.
    pub layers: Vec<String>,
}

/// One extracted layer, keyed in the index by its chain ID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    pub diff_id: String,
    /// Length of the uncompressed layer tar.
    pub size: u64,
}

/// The whole index file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Index {
    pub version: u32,
    pub images: Vec<Image>,
    pub layers: BTreeMap<String, LayerRecord>,
}

const INDEX_VERSION: u32 = 1;

impl Index {
    /// Reads `path`; a missing file is an empty index.
    pub fn read(path: &Path) -> Result<Index, StorageError> {
        let data = match fs::read(path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Index {
                    version: INDEX_VERSION,
                    ..Index::default()
                });
            }
            Err(e) => return Err(StorageError::io("reading", path, e)),
        };
        serde_json::from_slice(&data).map_err(|e| StorageError::InvalidJson {
            what: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Gives `name` to image `id` alone: an image that had it loses it (podman's behaviour).
    pub fn assign_name(&mut self, id: &str, name: &str) {
        for img in &mut self.images {
            if img.id != id {
                img.names.retain(|n| n != name);
            } else if !img.names.iter().any(|n| n == name) {
                img.names.push(name.to_string());
            }
        }
    }

    /// The record of image `id`, to change before the index is written back.
    pub fn image_mut(&mut self, id: &str) -> Result<&mut Image, StorageError> {
        self.images
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or_else(|| StorageError::ImageNotFound(id.to_string()))
    }

    /// True if any image other than `except` uses layer `chain_id`.
    pub fn layer_in_use(&self, chain_id: &str, except: &str) -> bool {
        self.images
            .iter()
            .any(|i| i.id != except && i.layers.iter().any(|l| l == chain_id))
    }
}

/// The held write lock on the index. Dropping it releases the lock.
pub struct IndexLock {
    _file: File,
    index_path: PathBuf,
}

impl IndexLock {
    /// Blocks until this process holds the exclusive lock.
    pub fn acquire(lock_path: &Path, index_path: &Path) -> Result<IndexLock, StorageError> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path)
            .ctx("opening", lock_path)?;
        file.lock().ctx("locking", lock_path)?;
        Ok(IndexLock {
            _file: file,
            index_path: index_path.to_path_buf(),
        })
    }

    pub fn read(&self) -> Result<Index, StorageError> {
        Index::read(&self.index_path)
    }

    /// Replaces the index atomically (temp file, fsync, rename).
    pub fn write(&self, index: &Index) -> Result<(), StorageError> {
        let tmp = self.index_path.with_extension("json.tmp");
        let data = serde_json::to_vec(index).map_err(|e| StorageError::InvalidJson {
            what: tmp.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut f = File::create(&tmp).ctx("creating", &tmp)?;
        f.write_all(&data).ctx("writing", &tmp)?;
        f.sync_all().ctx("syncing", &tmp)?;
        drop(f);
        fs::rename(&tmp, &self.index_path).ctx("replacing", &self.index_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, names: &[&str], layers: &[&str]) -> Image {
        Image {
            id: id.to_string(),
            names: names.iter().map(|s| s.to_string()).collect(),
            digest: String::new(),
            created: DateTime::<Utc>::UNIX_EPOCH,
            size: 0,
            layers: layers.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn names_move_between_images() {
        let mut idx = Index::default();
        idx.images.push(image("a", &["x:1"], &[]));
        idx.images.push(image("b", &[], &[]));
        idx.assign_name("b", "x:1");
        assert!(idx.images[0].names.is_empty());
        assert_eq!(idx.images[1].names, vec!["x:1"]);
        idx.assign_name("b", "x:1");
        assert_eq!(idx.images[1].names.len(), 1);
    }

    #[test]
    fn layer_use_counts_other_images() {
        let mut idx = Index::default();
        idx.images.push(image("a", &[], &["l1", "l2"]));
        idx.images.push(image("b", &[], &["l1"]));
        assert!(idx.layer_in_use("l1", "a"));
        assert!(!idx.layer_in_use("l2", "a"));
    }

    #[test]
    fn write_is_atomic_and_readable() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("index.json");
        assert!(Index::read(&path).unwrap().images.is_empty());
        let lock = IndexLock::acquire(&t.path().join("index.lock"), &path).unwrap();
        let mut idx = lock.read().unwrap();
        idx.images.push(image("a", &["n"], &[]));
        lock.write(&idx).unwrap();
        assert!(!path.with_extension("json.tmp").exists());
        assert_eq!(Index::read(&path).unwrap().images[0].names, vec!["n"]);
    }

    #[test]
    fn concurrent_writers_do_not_lose_updates() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("index.json");
        let lock_path = t.path().join("index.lock");
        std::thread::scope(|s| {
            for w in 0..4 {
                let (path, lock_path) = (&path, &lock_path);
                s.spawn(move || {
                    for i in 0..10 {
                        // Each thread opens its own lock file description, like a process.
                        let lock = IndexLock::acquire(lock_path, path).unwrap();
                        let mut idx = lock.read().unwrap();
                        idx.images.push(image(&format!("{w}-{i}"), &[], &[]));
                        lock.write(&idx).unwrap();
                    }
                });
            }
        });
        assert_eq!(Index::read(&path).unwrap().images.len(), 40);
    }
}
