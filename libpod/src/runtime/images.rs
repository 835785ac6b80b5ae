//! Image commands as the engine offers them: the store does the work; libpod adds what
//! only it knows (which containers use an image).

use super::ImageError;
use std::io::Read;

use crate::error::{LibpodError, Result};

use super::Runtime;

/// What `rmi` did, in podman's words.
#[derive(Debug, Default)]
pub struct RemovedImage {
    pub untagged: Vec<String>,
    pub deleted: Option<String>,
}

impl Runtime {
    pub fn load(&self, reader: impl Read) -> Result<Vec<storage::Image>> {
        crate::trust::check_load()?;
        let images = self.store.load(reader)?;
        for i in &images {
            self.image_event(&i.id, i.names.first().map_or("", |n| n.as_str()), "load");
        }
        Ok(images)
    }

    pub fn import(
        &self,
        reader: impl Read,
        reference: Option<&str>,
        changes: &[String],
        message: Option<&str>,
    ) -> Result<storage::Image> {
        let image = self.store.import(reader, reference, changes, message)?;
        self.image_event(
            &image.id,
            image.names.first().map_or("", |n| n.as_str()),
            "import",
        );
        Ok(image)
    }

    pub fn images(&self) -> Result<Vec<storage::Image>> {
        Ok(self.store.images()?)
    }

    pub fn image(&self, name: &str) -> Result<storage::Image> {
        Ok(self.store.lookup(name)?)
    }

    pub fn image_config(
        &self,
        image: &storage::Image,
    ) -> Result<oci_spec::image::ImageConfiguration> {
        Ok(self.store.config(image)?)
    }

    /// `rmi NAME`: a name of an image with several names only untags it; the last name (or
    /// an id) deletes it. An image used by a container is refused unless forced, and forcing
    /// removes those containers first, as podman does.
    /// A manifest list's name or ID removes that list (its images stay), as podman's `rmi`.
    pub fn remove_image(&self, name: &str, force: bool) -> Result<RemovedImage> {
        let image = match self.store.lookup(name) {
            Ok(image) => image,
            Err(e) => match self.store.lookup_manifest_list(name) {
                Ok(_) => {
                    let list = self.manifest_rm(name)?;
                    return Ok(RemovedImage {
                        untagged: list.names,
                        deleted: Some(list.id),
                    });
                }
                Err(_) => return Err(e.into()),
            },
        };
        let by_name = !image.id.starts_with(name);
        let mut out = RemovedImage::default();
        if by_name && image.names.len() > 1 && !force {
            let full = image
                .names
                .iter()
                .find(|n| {
                    storage::reference::candidates(name)
                        .map(|c| c.contains(n))
                        .unwrap_or(false)
                        || *n == name
                })
                .cloned()
                .unwrap_or_else(|| name.to_string());
            self.store.untag(&image, &full)?;
            self.image_event(&image.id, &full, "untag");
            out.untagged.push(full);
            return Ok(out);
        }
        let users = self.state.containers_using_image(&image.id)?;
        if !users.is_empty() {
            if !force {
                return Err(LibpodError::InUse(format!(
                    "image used by {}: image is in use by a container: consider listing external containers and force-removing image",
                    users[0].id
                )));
            }
            for c in &users {
                self.remove(&c.id, true, false)?;
            }
        }
        self.store.remove_image(&image)?;
        for n in &image.names {
            self.image_event(&image.id, n, "untag");
        }
        self.image_event(
            &image.id,
            image.names.first().map_or("", |n| n.as_str()),
            "remove",
        );
        out.untagged = image.names.clone();
        out.deleted = Some(image.id.clone());
        Ok(out)
    }
}

impl Runtime {
    pub fn tag(&self, name: &str, new_names: &[String]) -> Result<()> {
        let image = self.store.lookup(name)?;
        for n in new_names {
            self.store.tag(&image, n)?;
            let full = storage::reference::normalize_local(n).unwrap_or_else(|_| n.clone());
            self.image_event(&image.id, &full, "tag");
        }
        Ok(())
    }

    pub fn storage_driver(&self) -> &'static str {
        self.store.driver().as_str()
    }
}

/// Where `save` writes: a stream (file or stdout) for archives, a directory for `oci-dir`.
pub enum SaveDest<'a> {
    Stream(&'a mut dyn std::io::Write),
    Dir(&'a std::path::Path),
}

/// An image `image mount` mounted, and where.
#[derive(Debug, Clone)]
pub struct MountedImage {
    pub image: storage::Image,
    pub path: std::path::PathBuf,
}

impl Runtime {
    /// `images --filter ...`; without `all`, intermediate images (untagged parents of other
    /// images) are hidden as podman does.
    pub fn images_filtered(&self, filters: &[String], all: bool) -> Result<Vec<storage::Image>> {
        let mut parsed = self.store.parse_image_filters(filters)?;
        if !all {
            parsed.hide_intermediate();
        }
        // Manifest lists are listed beside the images, as podman does.
        let mut images = self.store.images()?;
        images.extend(self.store.manifest_list_images()?);
        Ok(self.store.filter_images(images, &parsed)?)
    }

    /// `untag IMAGE [NAME...]`: names are normalised as podman's (`x` → `localhost/x:latest`);
    /// none given removes every name.
    pub fn untag(&self, name: &str, names: &[String]) -> Result<storage::Image> {
        let image = self.store.lookup(name)?;
        let full = names
            .iter()
            .map(|n| storage::reference::normalize_local(n))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        self.store.remove_names(&image, &full)?;
        let removed: Vec<&String> = if full.is_empty() {
            image.names.iter().collect()
        } else {
            full.iter().filter(|n| image.names.contains(n)).collect()
        };
        for n in removed {
            self.image_event(&image.id, n, "untag");
        }
        Ok(image)
    }

    /// The parent image of `image` (podman's inspect `Parent`), if present.
    pub fn image_parent(&self, image: &storage::Image) -> Result<Option<storage::Image>> {
        Ok(self.store.parent(image)?)
    }

    pub fn image_history(&self, name: &str) -> Result<Vec<storage::history::HistoryEntry>> {
        let image = self.store.lookup(name)?;
        Ok(self.store.history(&image)?)
    }

    pub fn image_layer_stack(
        &self,
        image: &storage::Image,
    ) -> Result<Vec<storage::history::TreeLayer>> {
        Ok(self.store.layer_stack(image)?)
    }

    pub fn image_descendants(&self, image: &storage::Image) -> Result<Vec<storage::Image>> {
        Ok(self.store.descendants(image)?)
    }

    /// `image prune`: dangling images (untagged, nothing built on them), or with `all` every
    /// image no container uses; repeated until nothing more goes, since removing a child can
    /// leave its untagged parent dangling. Returns the removed IDs.
    pub fn prune_images(&self, all: bool) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        loop {
            let images = self.store.images()?;
            let mut progress = false;
            for img in &images {
                if !self.state.containers_using_image(&img.id)?.is_empty() {
                    continue;
                }
                if !all && (!img.names.is_empty() || self.store.has_children(img, &images)?) {
                    continue;
                }
                self.store.remove_image(img)?;
                removed.push(img.id.clone());
                progress = true;
            }
            if !progress || all {
                return Ok(removed);
            }
        }
    }

    /// What `save` writes for `names`: without `multi`, the first image with the other
    /// arguments as extra tags (podman's rule); with `multi`, each image with the name it was
    /// asked by. An image asked by ID gets no name from it.
    pub fn save_items(
        &self,
        names: &[String],
        multi: bool,
    ) -> Result<Vec<storage::save::SaveItem>> {
        let resolve = |input: &str| -> Result<(storage::Image, Option<String>)> {
            let image = self.store.lookup(input)?;
            let by_id = image.id.starts_with(input.trim_start_matches("sha256:"));
            if by_id {
                return Ok((image, None));
            }
            let wanted = storage::reference::candidates(input).unwrap_or_default();
            let name = image
                .names
                .iter()
                .find(|n| wanted.contains(n) || *n == input)
                .or_else(|| {
                    let suffix = format!("/{input}");
                    image.names.iter().find(|n| n.ends_with(&suffix))
                })
                .cloned();
            Ok((image, name))
        };
        let Some(first) = names.first() else {
            return Err(ImageError::NothingToSave.into());
        };
        if !multi {
            let (image, name) = resolve(first)?;
            let mut tags: Vec<String> = name.into_iter().collect();
            for extra in &names[1..] {
                let t = storage::reference::normalize_docker(extra)?;
                if !tags.contains(&t) {
                    tags.push(t);
                }
            }
            return Ok(vec![storage::save::SaveItem { image, names: tags }]);
        }
        let mut items: Vec<storage::save::SaveItem> = Vec::new();
        for n in names {
            let (image, name) = resolve(n)?;
            match items.iter_mut().find(|i| i.image.id == image.id) {
                Some(item) => item.names.extend(name.filter(|x| !item.names.contains(x))),
                None => items.push(storage::save::SaveItem {
                    image,
                    names: name.into_iter().collect(),
                }),
            }
        }
        Ok(items)
    }

    /// `save` of resolved items.
    pub fn save(
        &self,
        items: &[storage::save::SaveItem],
        format: storage::save::SaveFormat,
        dest: SaveDest<'_>,
    ) -> Result<()> {
        use storage::save::SaveFormat;
        if items.len() > 1 && format != SaveFormat::DockerArchive {
            return Err(ImageError::MultiImageFormat.into());
        }
        match (format, dest) {
            (SaveFormat::DockerArchive, SaveDest::Stream(w)) => {
                storage::save::save_docker_archive(&self.store, items, w)?
            }
            (SaveFormat::OciArchive, SaveDest::Stream(w)) => {
                storage::save::save_oci_archive(&self.store, &items[0], w)?
            }
            (SaveFormat::OciDir, SaveDest::Dir(d)) => {
                storage::save::save_oci_dir(&self.store, &items[0], d)?
            }
            _ => {
                return Err(ImageError::OutputKind.into());
            }
        }
        for i in items {
            let name = i.names.first().or(i.image.names.first());
            self.image_event(&i.image.id, name.map_or("", |n| n.as_str()), "save");
        }
        Ok(())
    }

    /// `export`: the container's file system (image layers plus its changes) as a tar.
    pub fn export(&self, name: &str, out: &mut dyn std::io::Write) -> Result<()> {
        let c = self.lookup(name)?;
        let merged = self.paths.container_dir(&c.id).join("merged");
        let was_mounted = super::is_mountpoint(&merged);
        let root = self.mount(&c.id)?;
        let result = storage::dirtar::tar_dir_owned(&root, out, &|u, g| {
            super::userns_mode::owner_in_container(&c, u, g)
        });
        if !was_mounted {
            // Leave the container as we found it; a failed unmount only leaks a mount.
            let _ = storage::rootfs::unmount(&root);
        }
        Ok(result?)
    }

    fn image_mount_dir(&self, id: &str) -> std::path::PathBuf {
        self.paths.data.join("image-mounts").join(id)
    }

    /// `image mount`: the image's layers, read-only, in the user's long-lived mount namespace
    /// (like `mount` for containers: visible inside `burrow unshare`).
    pub fn mount_image(&self, name: &str) -> Result<std::path::PathBuf> {
        let image = self.store.lookup(name)?;
        let dir = self.image_mount_dir(&image.id);
        let merged = dir.join("merged");
        for d in [&merged, &dir.join("upper"), &dir.join("work")] {
            std::fs::create_dir_all(d)
                .map_err(|e| LibpodError::io(format!("create {}", d.display()), e))?;
        }
        if !super::is_mountpoint(&merged) {
            let lowers = self.store.layer_dirs(&image)?;
            storage::rootfs::mount(
                &self.store,
                &lowers,
                &dir.join("upper"),
                &dir.join("work"),
                &merged,
            )?;
            // Images are read-only, as podman mounts them; the kernel may refuse to remount
            // some FUSE mounts read-only, which leaves a writable view of a private upper dir.
            let _ = nix::mount::mount(
                None::<&str>,
                &merged,
                None::<&str>,
                nix::mount::MsFlags::MS_REMOUNT
                    | nix::mount::MsFlags::MS_BIND
                    | nix::mount::MsFlags::MS_RDONLY,
                None::<&str>,
            );
        }
        Ok(merged)
    }

    /// `image unmount`: returns the image's ID. An image that is not mounted is an error.
    pub fn unmount_image(&self, name: &str) -> Result<String> {
        let image = self.store.lookup(name)?;
        let dir = self.image_mount_dir(&image.id);
        let merged = dir.join("merged");
        if !super::is_mountpoint(&merged) {
            return Err(LibpodError::InvalidState(format!(
                "image {} is not mounted",
                image.id
            )));
        }
        storage::rootfs::unmount(&merged)?;
        // The upper and work dirs only ever held overlay bookkeeping: drop them.
        let _ = std::fs::remove_dir_all(&dir);
        Ok(image.id)
    }

    /// Every image currently mounted by `image mount`.
    pub fn mounted_images(&self) -> Result<Vec<MountedImage>> {
        let mut out = Vec::new();
        for image in self.store.images()? {
            let path = self.image_mount_dir(&image.id).join("merged");
            if super::is_mountpoint(&path) {
                out.push(MountedImage { image, path });
            }
        }
        Ok(out)
    }
}

impl Runtime {
    /// The stored manifest of an image as JSON (for inspect's `ManifestType`/`Annotations`).
    pub fn image_manifest_json(&self, image: &storage::Image) -> Result<serde_json::Value> {
        let data = self.store.manifest_bytes(image)?;
        serde_json::from_slice(&data).map_err(|e| {
            LibpodError::from(storage::StorageError::InvalidJson {
                what: format!("manifest of image {}", image.id),
                reason: e.to_string(),
            })
        })
    }

    /// The image's layer directories, topmost first (inspect's `GraphDriver.Data`).
    pub fn image_layer_dirs(&self, image: &storage::Image) -> Result<Vec<std::path::PathBuf>> {
        Ok(self.store.layer_dirs(image)?)
    }
}
