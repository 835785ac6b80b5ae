//! `system check` for the store: what a killed process can leave behind. The index is the
//! truth; a layer directory, tar-split record, image directory or short link it does not
//! mention is an orphan (a commit or removal interrupted between its rename and its index
//! write), and an image whose layer directory is missing cannot be run. With `repair`, orphans
//! are deleted and broken images dropped from the index, under the index lock. This module
//! must never delete anything the index refers to.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use crate::error::StorageError;
use crate::store::Store;

/// One problem found, and whether it was fixed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub what: String,
    pub repaired: bool,
}

impl Store {
    /// Compares the store's directories with its index; `quick` skips nothing here (layer
    /// contents are not re-hashed either way) but is accepted for podman compatibility.
    pub fn check(&self, repair: bool) -> Result<Vec<Finding>, StorageError> {
        // The lock keeps a concurrent load from committing while we decide what is orphaned.
        let lock = self.lock()?;
        let mut index = lock.read()?;
        let mut findings = Vec::new();
        let known_layers: HashSet<String> = index
            .layers
            .keys()
            .filter_map(|c| c.strip_prefix("sha256:").map(str::to_string))
            .collect();
        let known_images: HashSet<&str> = index.images.iter().map(|i| i.id.as_str()).collect();
        let mut remove = |path: &Path, what: String| {
            let repaired = repair
                && if path.is_dir() && !path.is_symlink() {
                    fs::remove_dir_all(path).is_ok()
                } else {
                    fs::remove_file(path).is_ok()
                };
            findings.push(Finding { what, repaired });
        };
        for e in read_dir(&self.root().join("layers")) {
            let name = e.file_name().to_string_lossy().into_owned();
            if !known_layers.contains(&name) {
                remove(&e.path(), format!("orphan layer {name} (not in the index)"));
            }
        }
        for e in read_dir(&self.root().join("tar-split")) {
            let name = e.file_name().to_string_lossy().into_owned();
            let hex = name.trim_end_matches(".gz");
            if !known_layers.contains(hex) {
                remove(
                    &e.path(),
                    format!("orphan tar-split record {name} (no such layer)"),
                );
            }
        }
        for e in read_dir(&self.root().join("l")) {
            if fs::metadata(e.path()).is_err() {
                let name = e.file_name().to_string_lossy().into_owned();
                remove(&e.path(), format!("dangling layer link l/{name}"));
            }
        }
        for e in read_dir(&self.root().join("images")) {
            let name = e.file_name().to_string_lossy().into_owned();
            if !known_images.contains(name.as_str()) {
                remove(
                    &e.path(),
                    format!("half-written image {name} (not in the index)"),
                );
            }
        }
        let mut broken = Vec::new();
        for img in &index.images {
            let missing_layer = img
                .layers
                .iter()
                .any(|c| self.layer_path(c).map(|p| !p.is_dir()).unwrap_or(true));
            let missing_files = !self.image_dir(&img.id).join("config.json").is_file();
            if missing_layer || missing_files {
                broken.push(img.id.clone());
            }
        }
        for id in &broken {
            findings.push(Finding {
                what: format!("image {id} is incomplete (a layer or its config is missing)"),
                repaired: repair,
            });
        }
        if repair && !broken.is_empty() {
            index.images.retain(|i| !broken.contains(&i.id));
            let used: HashSet<String> = index
                .images
                .iter()
                .flat_map(|i| i.layers.iter().cloned())
                .collect();
            index.layers.retain(|c, _| used.contains(c));
            lock.write(&index)?;
            for id in &broken {
                let _ = fs::remove_dir_all(self.image_dir(id));
            }
        }
        Ok(findings)
    }
}

fn read_dir(dir: &Path) -> Vec<fs::DirEntry> {
    fs::read_dir(dir)
        .map(|rd| rd.flatten().collect())
        .unwrap_or_default()
}
