//! Staging: new layers are extracted and new image files written inside a private work dir,
//! then `commit` renames them into place and updates the index under its lock, in one step.
//!
//! A load or import that fails (or is killed) before `commit` leaves the store exactly as it
//! was: nothing outside `tmp/` changed. This module must never rename anything into
//! `layers/` or `images/` outside `commit`, nor commit an image whose layers are not present.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::copy::copy_tree;
use crate::digest::{sha256_digest, sha256_hex};
use crate::error::{IoContext, StorageError};
use crate::index::{Image, Index, LayerRecord};
use crate::layer::{self, ExtractOptions, Extracted, Whiteouts};
use crate::store::{Driver, Store};
use crate::workdir::WorkDir;

struct PendingLayer {
    chain_id: String,
    record: LayerRecord,
    dir: PathBuf,
    /// Its tar-split record (see tarsplit.rs).
    split: PathBuf,
}

/// A layer extracted in the work dir, not yet part of the staging (see `insert_layer`).
pub(crate) struct ExtractedLayer(PendingLayer);

/// An image to add: its config and manifest bytes, names and chain IDs (bottom first).
pub(crate) struct PendingImage {
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
    pub names: Vec<String>,
    pub layers: Vec<String>,
    pub created: DateTime<Utc>,
}

/// New layers and images waiting for `commit`.
pub(crate) struct Staging<'s> {
    store: &'s Store,
    work: WorkDir,
    /// The index as it was when staging began (to skip layers already present).
    known: Index,
    layers: Vec<PendingLayer>,
    by_chain: HashMap<String, usize>,
    images: Vec<PendingImage>,
}

impl<'s> Staging<'s> {
    pub fn new(store: &'s Store) -> Result<Staging<'s>, StorageError> {
        Ok(Staging {
            store,
            work: store.work_dir()?,
            known: store.read_index()?,
            layers: Vec::new(),
            by_chain: HashMap::new(),
            images: Vec::new(),
        })
    }

    /// A scratch path inside the work dir.
    pub fn scratch(&self, prefix: &str) -> PathBuf {
        self.work.child(prefix)
    }

    /// True if the layer is in the store or already staged: no need to extract it again.
    pub fn has_layer(&self, chain_id: &str) -> bool {
        self.known.layers.contains_key(chain_id) || self.by_chain.contains_key(chain_id)
    }

    /// The record of a staged or stored layer.
    pub fn layer_record(&self, chain_id: &str) -> Option<&LayerRecord> {
        match self.by_chain.get(chain_id) {
            Some(&i) => Some(&self.layers[i].record),
            None => self.known.layers.get(chain_id),
        }
    }

    /// Extracts the plain tar `reader` as the layer on top of `parent` (a chain ID).
    /// With `expected_diff_id` the content must hash to it. Returns the layer's chain ID.
    pub fn add_layer(
        &mut self,
        reader: impl Read,
        parent: Option<&str>,
        expected_diff_id: Option<&str>,
        name: &str,
    ) -> Result<String, StorageError> {
        let layer = self.extract_layer(reader, parent, expected_diff_id, name)?;
        Ok(self.insert_layer(layer))
    }

    /// The extraction half of [`Staging::add_layer`]: needs only `&self`, so several layers
    /// can extract on threads at once (overlay layers do not depend on each other).
    pub fn extract_layer(
        &self,
        reader: impl Read,
        parent: Option<&str>,
        expected_diff_id: Option<&str>,
        name: &str,
    ) -> Result<ExtractedLayer, StorageError> {
        let dir = self.work.child("layer");
        let whiteouts = match (self.store.driver(), parent) {
            (Driver::Overlay | Driver::FuseOverlay, _) => Whiteouts::Overlay,
            (Driver::Vfs, None) => Whiteouts::Delete,
            (Driver::Vfs, Some(p)) => {
                // vfs: a layer is its parent's snapshot with this diff applied.
                let parent_dir = match self.by_chain.get(p) {
                    Some(&i) => self.layers[i].dir.clone(),
                    None => self.store.layer_path(p)?,
                };
                copy_tree(&parent_dir, &dir)?;
                Whiteouts::Delete
            }
        };
        if !dir.exists() {
            fs::create_dir(&dir).ctx("creating", &dir)?;
        }
        let opts = ExtractOptions {
            whiteouts,
            rootless: self.store.rootless(),
        };
        let split = self.work.child("split");
        let Extracted { diff_id, size } = layer::extract(reader, &dir, opts, name, Some(&split))?;
        if let Some(expected) = expected_diff_id
            && expected != diff_id
        {
            return Err(StorageError::DiffIdMismatch {
                layer: name.to_string(),
                expected: expected.to_string(),
                actual: diff_id,
            });
        }
        let chain_id = match parent {
            None => diff_id.clone(),
            Some(p) => sha256_digest(format!("{p} {diff_id}").as_bytes()),
        };
        Ok(ExtractedLayer(PendingLayer {
            chain_id,
            record: LayerRecord { diff_id, size },
            dir,
            split,
        }))
    }

    /// Adds an extracted layer to what `commit` renames into place; returns its chain ID.
    pub fn insert_layer(&mut self, layer: ExtractedLayer) -> String {
        let layer = layer.0;
        let chain_id = layer.chain_id.clone();
        if !self.has_layer(&chain_id) {
            self.by_chain.insert(chain_id.clone(), self.layers.len());
            self.layers.push(layer);
        }
        chain_id
    }

    pub fn add_image(&mut self, image: PendingImage) {
        self.images.push(image);
    }

    /// Adds `image` and commits: the one new image of a commit or an import. `what` names it
    /// should the index not list it afterwards.
    pub fn commit_one(mut self, image: PendingImage, what: &str) -> Result<Image, StorageError> {
        self.add_image(image);
        self.commit()?
            .into_iter()
            .next()
            .ok_or_else(|| StorageError::ImageNotFound(what.to_string()))
    }

    /// Renames staged layers and image files into place and records them in the index, all
    /// under the index lock. Returns the committed images (with their final names).
    pub fn commit(self) -> Result<Vec<Image>, StorageError> {
        let store = self.store;
        let lock = store.lock()?;
        let mut index = lock.read()?;
        // What is about to be renamed into place, written before the first rename: if this
        // process dies before the index names it all, the next command removes it
        // (`roll_back`), so no half-written image or orphan layer is ever left.
        let mut journal = String::new();
        for layer in &self.layers {
            if !index.layers.contains_key(&layer.chain_id) {
                journal.push_str(&format!("layer {}\n", layer.chain_id));
            }
        }
        for img in &self.images {
            journal.push_str(&format!("image {}\n", sha256_hex(&img.config)));
        }
        let journal_path = self.work.journal();
        fs::write(&journal_path, &journal).ctx("writing", &journal_path)?;
        match self.rename_into_place(&mut index) {
            Ok(out) => {
                lock.write(&index)?;
                Ok(out
                    .iter()
                    .filter_map(|id| index.images.iter().find(|i| &i.id == id).cloned())
                    .collect())
            }
            Err(e) => {
                // Nothing of this commit may stay behind the index's back.
                if let Ok(on_disk) = lock.read() {
                    remove_uncommitted(store, &on_disk, &journal);
                }
                Err(e)
            }
        }
    }

    /// The renames of `commit`, recorded in `index` (which the caller writes).
    fn rename_into_place(&self, index: &mut Index) -> Result<Vec<String>, StorageError> {
        let store = self.store;
        for layer in &self.layers {
            if index.layers.contains_key(&layer.chain_id) {
                continue; // another process committed it meanwhile; ours is discarded
            }
            let target = store.layer_path(&layer.chain_id)?;
            if fs::symlink_metadata(&target).is_ok() {
                // Not in the index, so a leftover of an interrupted removal: replace it.
                fs::rename(&target, self.work.child("stale")).ctx("replacing", &target)?;
            }
            // The record first: a layer in the index always has one.
            let split = store.tar_split_path(&layer.chain_id)?;
            if let Some(parent) = split.parent() {
                fs::create_dir_all(parent).ctx("creating", parent)?;
            }
            fs::rename(&layer.split, &split).ctx("renaming into place", &split)?;
            fs::rename(&layer.dir, &target).ctx("renaming into place", &target)?;
            // The short link for overlay lowerdir lists. If another layer shares the prefix
            // its link is kept; rootfs falls back to the full path for this one.
            let link = store.short_link(&layer.chain_id)?;
            let rel = PathBuf::from("../layers").join(target.file_name().unwrap_or_default());
            if fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(&rel, &link).ctx("creating link", &link)?;
            }
            index
                .layers
                .insert(layer.chain_id.clone(), layer.record.clone());
        }
        let mut out = Vec::new();
        for img in &self.images {
            let id = sha256_hex(&img.config);
            if !index.images.iter().any(|i| i.id == id) {
                let missing = img.layers.iter().find(|c| !index.layers.contains_key(*c));
                if let Some(c) = missing {
                    return Err(StorageError::LayerNotFound(c.clone()));
                }
                let staged = self.work.child("image");
                fs::create_dir(&staged).ctx("creating", &staged)?;
                let config = staged.join("config.json");
                fs::write(&config, &img.config).ctx("writing", &config)?;
                let manifest = staged.join("manifest.json");
                fs::write(&manifest, &img.manifest).ctx("writing", &manifest)?;
                let dir = store.image_dir(&id);
                if fs::symlink_metadata(&dir).is_ok() {
                    fs::rename(&dir, self.work.child("stale")).ctx("replacing", &dir)?;
                }
                fs::rename(&staged, &dir).ctx("renaming into place", &dir)?;
                index.images.push(Image {
                    id: id.clone(),
                    names: Vec::new(),
                    digest: sha256_digest(&img.manifest),
                    created: img.created,
                    size: img
                        .layers
                        .iter()
                        .map(|c| index.layers.get(c).map_or(0, |r| r.size))
                        .sum(),
                    layers: img.layers.clone(),
                });
            }
            for name in &img.names {
                index.assign_name(&id, name);
            }
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }
}

/// Undoes a commit killed before it wrote the index: every layer and image its journal names
/// that the index does not know is removed, under the index lock (so no live commit is
/// touched: it holds that lock from its first rename to its index write).
pub(crate) fn roll_back(store: &Store, journal: &Path) {
    let Ok(text) = fs::read_to_string(journal) else {
        return;
    };
    let Ok(lock) = store.lock() else {
        return;
    };
    let Ok(index) = lock.read() else {
        return;
    };
    remove_uncommitted(store, &index, &text);
}

/// Removes what a journal names and `index` does not know.
fn remove_uncommitted(store: &Store, index: &Index, journal: &str) {
    for line in journal.lines() {
        match line.split_once(' ') {
            Some(("layer", chain)) if !index.layers.contains_key(chain) => {
                let Ok(dir) = store.layer_path(chain) else {
                    continue;
                };
                // The short link is ours if it names this layer's directory.
                if let Ok(link) = store.short_link(chain)
                    && let Some(name) = dir.file_name()
                    && fs::read_link(&link).is_ok_and(|t| t.file_name() == Some(name))
                {
                    let _ = fs::remove_file(link);
                }
                let _ = crate::layer::remove_any(&dir);
                if let Ok(split) = store.tar_split_path(chain) {
                    let _ = fs::remove_file(split);
                }
            }
            Some(("image", id))
                if !index.images.iter().any(|i| i.id == id)
                    && id.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                let _ = crate::layer::remove_any(&store.image_dir(id));
            }
            _ => {}
        }
    }
}
