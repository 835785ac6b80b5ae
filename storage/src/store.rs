//! The store: where images and layers live on disk, and the operations libpod calls.
//!
//! ```text
//! ROOT/driver            "overlay" or "vfs", recorded at first open
//! ROOT/index.json        image + layer records (see index.rs), index.lock guards writes
//! ROOT/layers/HEX        an extracted layer, HEX = its chain ID
//! ROOT/l/SHORT           short symlink to ../layers/HEX for overlay lowerdir lists
//! ROOT/tar-split/HEX.gz  how to rebuild layer HEX's original tar (see tarsplit.rs)
//! ROOT/images/ID/        config.json and manifest.json of image ID
//! ROOT/tmp/              work dirs of running loads/imports (stale ones removed at open)
//! ```
//! This module must never expose a layer or image before it is complete: everything is built
//! in `tmp/` and renamed into place under the index lock (see stage.rs).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use oci_spec::image::{ImageConfiguration, ImageManifest};

use crate::digest::{is_hex64, parse_sha256};
use crate::error::{IoContext, StorageError};
use crate::index::{Image, Index, IndexLock};
use crate::reference;
use crate::workdir::{self, WorkDir};

/// How image layers become a container's root file system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// Native overlayfs; layers are extracted once and stacked as lowerdirs.
    Overlay,
    /// Copies: each layer is a full snapshot (its parent plus its diff, whiteouts applied).
    Vfs,
    /// The same layers as Overlay, mounted by the `fuse-overlayfs` program: for kernels or
    /// file systems where native overlay is refused inside a user namespace.
    FuseOverlay,
}

impl Driver {
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Overlay => "overlay",
            Driver::Vfs => "vfs",
            Driver::FuseOverlay => "fuse-overlayfs",
        }
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Driver {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<Driver, StorageError> {
        match s.trim() {
            "overlay" | "overlay2" => Ok(Driver::Overlay),
            "vfs" => Ok(Driver::Vfs),
            "fuse-overlayfs" | "fuse" => Ok(Driver::FuseOverlay),
            other => Err(StorageError::UnknownDriver(other.to_string())),
        }
    }
}

/// An opened image store.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
    driver: Driver,
    rootless: bool,
}

/// Length of the short link names in `l/`: 26 hex chars, as podman's link ids.
pub(crate) const SHORT_LINK_LEN: usize = 26;

impl Store {
    /// Opens (creating if needed) the store at `root`. `rootless`: running inside a user
    /// namespace as a non-root user (selects `user.overlay.*` xattrs, skips device nodes).
    pub fn open(root: &Path, driver: Driver, rootless: bool) -> Result<Store, StorageError> {
        let store = Store {
            root: root.to_path_buf(),
            driver,
            rootless,
        };
        let driver_file = root.join("driver");
        match fs::read_to_string(&driver_file) {
            Ok(recorded) => {
                if recorded.trim() != driver.as_str() {
                    return Err(StorageError::DriverMismatch {
                        root: root.to_path_buf(),
                        recorded: recorded.trim().to_string(),
                        requested: driver.to_string(),
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                for dir in ["layers", "images", "tmp", "l"] {
                    let p = root.join(dir);
                    fs::create_dir_all(&p).ctx("creating", &p)?;
                }
                // Two first commands may race here: each writes its own temp file, and the
                // loser of the rename accepts the winner's record if it names the same driver.
                let tmp = root
                    .join("tmp")
                    .join(format!(".driver-{}", std::process::id()));
                fs::write(&tmp, driver.as_str()).ctx("writing", &tmp)?;
                if let Err(e) = fs::rename(&tmp, &driver_file) {
                    let _ = fs::remove_file(&tmp);
                    match Store::recorded_driver(root) {
                        Some(d) if d == driver => {}
                        _ => return Err(StorageError::io("writing", driver_file, e)),
                    }
                }
            }
            Err(e) => return Err(StorageError::io("reading", driver_file, e)),
        }
        workdir::clean_stale(&store.tmp_dir(), &|journal| {
            crate::stage::roll_back(&store, journal)
        })?;
        Ok(store)
    }

    /// The driver a store was created with, if it exists: the choice made at first use.
    pub fn recorded_driver(root: &Path) -> Option<Driver> {
        fs::read_to_string(root.join("driver")).ok()?.parse().ok()
    }

    pub fn driver(&self) -> Driver {
        self.driver
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn rootless(&self) -> bool {
        self.rootless
    }

    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub(crate) fn index_path(&self) -> PathBuf {
        self.root.join("index.json")
    }

    pub(crate) fn lock(&self) -> Result<IndexLock, StorageError> {
        IndexLock::acquire(&self.root.join("index.lock"), &self.index_path())
    }

    pub(crate) fn read_index(&self) -> Result<Index, StorageError> {
        Index::read(&self.index_path())
    }

    pub(crate) fn work_dir(&self) -> Result<WorkDir, StorageError> {
        WorkDir::create(&self.tmp_dir())
    }

    /// `ROOT/layers/HEX` for a chain ID `sha256:HEX`.
    pub fn layer_path(&self, chain_id: &str) -> Result<PathBuf, StorageError> {
        Ok(self.root.join("layers").join(parse_sha256(chain_id)?))
    }

    /// `ROOT/tar-split/HEX.gz`, the record that rebuilds a layer's original tar.
    pub(crate) fn tar_split_path(&self, chain_id: &str) -> Result<PathBuf, StorageError> {
        Ok(crate::tarsplit::record_path(
            &self.root,
            parse_sha256(chain_id)?,
        ))
    }

    /// The layer's original uncompressed tar, byte for byte (its digest is the layer's diff
    /// ID, checked at the end of the stream): what `save` and `push` send.
    pub fn layer_tar(&self, chain_id: &str) -> Result<crate::tarsplit::LayerTar, StorageError> {
        let index = self.read_index()?;
        let record = index
            .layers
            .get(chain_id)
            .ok_or_else(|| StorageError::LayerNotFound(chain_id.to_string()))?;
        crate::tarsplit::LayerTar::open(
            &self.tar_split_path(chain_id)?,
            &self.layer_path(chain_id)?,
            &record.diff_id,
        )
    }

    /// `ROOT/l/SHORT`, the short link to a layer for overlay lowerdir lists.
    pub(crate) fn short_link(&self, chain_id: &str) -> Result<PathBuf, StorageError> {
        let hex = parse_sha256(chain_id)?;
        Ok(self.root.join("l").join(&hex[..SHORT_LINK_LEN]))
    }

    pub(crate) fn image_dir(&self, id: &str) -> PathBuf {
        self.root.join("images").join(id)
    }

    /// All images, in the order they were added. Reads only the index.
    pub fn images(&self) -> Result<Vec<Image>, StorageError> {
        Ok(self.read_index()?.images)
    }

    /// By full id, unique id prefix (≥ 3 chars, `sha256:` optional), full name, or short name
    /// (`busybox` → `localhost/busybox:latest`, then `docker.io/library/busybox:latest`, then
    /// a unique image whose repository ends in `/busybox`).
    pub fn lookup(&self, name_or_id: &str) -> Result<Image, StorageError> {
        let index = self.read_index()?;
        lookup_in(&index.images, name_or_id)
    }

    /// One of the files in `ROOT/images/ID/`, as stored.
    fn image_file(&self, image: &Image, file: &str) -> Result<Vec<u8>, StorageError> {
        let path = self.image_dir(&image.id).join(file);
        fs::read(&path).ctx("reading", &path)
    }

    pub fn config_bytes(&self, image: &Image) -> Result<Vec<u8>, StorageError> {
        self.image_file(image, "config.json")
    }

    pub fn config(&self, image: &Image) -> Result<ImageConfiguration, StorageError> {
        parse_image_json(&self.config_bytes(image)?, "config", image)
    }

    pub fn manifest_bytes(&self, image: &Image) -> Result<Vec<u8>, StorageError> {
        self.image_file(image, "manifest.json")
    }

    pub fn manifest(&self, image: &Image) -> Result<ImageManifest, StorageError> {
        parse_image_json(&self.manifest_bytes(image)?, "manifest", image)
    }

    /// Sets annotations on the image's manifest (`build --annotation`). The image ID (the
    /// config's digest) stays; its manifest digest changes.
    pub fn annotate(
        &self,
        image: &Image,
        annotations: &std::collections::HashMap<String, String>,
    ) -> Result<Image, StorageError> {
        let mut manifest = self.manifest(image)?;
        let mut all = manifest.annotations().clone().unwrap_or_default();
        all.extend(annotations.iter().map(|(k, v)| (k.clone(), v.clone())));
        manifest.set_annotations(Some(all));
        let bytes = serde_json::to_vec(&manifest).map_err(|e| {
            StorageError::invalid_json(&format!("manifest of image {}", image.id), e)
        })?;
        let lock = self.lock()?;
        let mut index = lock.read()?;
        let record = index.image_mut(&image.id)?;
        let path = self.image_dir(&image.id).join("manifest.json");
        let tmp = path.with_extension("json.tmp");
        fs::write(&tmp, &bytes).ctx("writing", &tmp)?;
        fs::rename(&tmp, &path).ctx("replacing", &path)?;
        record.digest = crate::digest::sha256_digest(&bytes);
        let updated = record.clone();
        lock.write(&index)?;
        Ok(updated)
    }

    /// Adds `name` (normalised as `localhost/NAME:latest` when unqualified). Another image
    /// holding the name loses it.
    pub fn tag(&self, image: &Image, name: &str) -> Result<(), StorageError> {
        let name = reference::normalize_local(name)?;
        let lock = self.lock()?;
        let mut index = lock.read()?;
        if !index.images.iter().any(|i| i.id == image.id) {
            return Err(StorageError::ImageNotFound(image.id.clone()));
        }
        index.assign_name(&image.id, &name);
        lock.write(&index)
    }

    /// Removes `name` (short names resolved as in [`Store::lookup`]) from the image.
    pub fn untag(&self, image: &Image, name: &str) -> Result<(), StorageError> {
        let lock = self.lock()?;
        let mut index = lock.read()?;
        let record = index.image_mut(&image.id)?;
        let wanted = reference::candidates(name)?;
        let pos = wanted
            .iter()
            .find_map(|w| record.names.iter().position(|n| n == w))
            .ok_or_else(|| StorageError::ImageNotFound(format!("{name} on image {}", image.id)))?;
        record.names.remove(pos);
        lock.write(&index)
    }

    /// Removes the image record, its files, and every layer no other image uses.
    pub fn remove_image(&self, image: &Image) -> Result<(), StorageError> {
        let lock = self.lock()?;
        let mut index = lock.read()?;
        let pos = index
            .images
            .iter()
            .position(|i| i.id == image.id)
            .ok_or_else(|| StorageError::ImageNotFound(image.id.clone()))?;
        let record = index.images.remove(pos);
        let mut unused = Vec::new();
        for chain in &record.layers {
            if !index.layer_in_use(chain, &record.id) && index.layers.remove(chain).is_some() {
                unused.push(chain.clone());
            }
        }
        lock.write(&index)?;
        // The index no longer mentions them: move them out of sight atomically, then delete.
        // A crash here leaves unreferenced directories, which a later commit replaces.
        let work = self.work_dir()?;
        let mut errors = Vec::new();
        for chain in &unused {
            let path = self.layer_path(chain)?;
            crate::mapped::remove_for_layer(self, &path, &work);
            if let Err(e) = fs::rename(&path, work.child("rm")) {
                errors.push(StorageError::io("removing", path, e));
            }
            let _ = fs::remove_file(self.tar_split_path(chain)?);
            let link = self.short_link(chain)?;
            let ours = Path::new("../layers").join(parse_sha256(chain)?);
            if fs::read_link(&link).ok().as_deref() == Some(ours.as_path()) {
                let _ = fs::remove_file(&link);
            }
        }
        let dir = self.image_dir(&record.id);
        if let Err(e) = fs::rename(&dir, work.child("rm")) {
            errors.push(StorageError::io("removing", dir, e));
        }
        drop(lock);
        drop(work);
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The extracted layer directories of an image, topmost first (overlay lowerdir order).
    /// With the vfs driver each one is a complete snapshot, so the first alone is the rootfs.
    pub fn layer_dirs(&self, image: &Image) -> Result<Vec<PathBuf>, StorageError> {
        image
            .layers
            .iter()
            .rev()
            .map(|c| self.layer_path(c))
            .collect()
    }
}

/// `what` ("config", "manifest") of `image`, parsed from its stored bytes.
fn parse_image_json<T: serde::de::DeserializeOwned>(
    data: &[u8],
    what: &str,
    image: &Image,
) -> Result<T, StorageError> {
    serde_json::from_slice(data)
        .map_err(|e| StorageError::invalid_json(&format!("{what} of image {}", image.id), e))
}

/// The lookup rules of [`Store::lookup`] over a list of images.
pub(crate) fn lookup_in(images: &[Image], name_or_id: &str) -> Result<Image, StorageError> {
    let not_found = || StorageError::ImageNotFound(name_or_id.to_string());
    let ambiguous = |found: Vec<&Image>| StorageError::AmbiguousImage {
        name: name_or_id.to_string(),
        candidates: found
            .iter()
            .map(|i| &i.id[..12])
            .collect::<Vec<_>>()
            .join(", "),
    };

    let id_part = name_or_id.strip_prefix("sha256:").unwrap_or(name_or_id);
    if id_part.len() >= 3 && id_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        let id_part = id_part.to_ascii_lowercase();
        let found: Vec<&Image> = images
            .iter()
            .filter(|i| i.id.starts_with(&id_part))
            .collect();
        match found.len() {
            1 => return Ok(found[0].clone()),
            0 => {}
            _ if is_hex64(&id_part) => return Ok(found[0].clone()),
            _ => return Err(ambiguous(found)),
        }
    }

    let Ok(candidates) = reference::candidates(name_or_id) else {
        return Err(not_found());
    };
    for cand in &candidates {
        if let Some(img) = images.iter().find(|i| i.names.iter().any(|n| n == cand)) {
            return Ok(img.clone());
        }
        if let Some((repo, digest)) = cand.split_once('@') {
            let repo = reference::repository(repo);
            if let Some(img) = images.iter().find(|i| {
                i.digest == digest && i.names.iter().any(|n| reference::repository(n) == repo)
            }) {
                return Ok(img.clone());
            }
        }
    }

    // A short name may also mean any registry's image of that repository: quay.io/x/busybox.
    let parsed = reference::Reference::parse(name_or_id).map_err(|_| not_found())?;
    if parsed.domain.is_some() || parsed.digest.is_some() {
        return Err(not_found());
    }
    let tag = parsed.tag.as_deref().unwrap_or("latest");
    let suffix = format!("/{}:{tag}", parsed.path);
    let found: Vec<&Image> = images
        .iter()
        .filter(|i| i.names.iter().any(|n| n.ends_with(&suffix)))
        .collect();
    match found.len() {
        0 => Err(not_found()),
        1 => Ok(found[0].clone()),
        _ => Err(ambiguous(found)),
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
