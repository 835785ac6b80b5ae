//! Image commands as the engine offers them: the store does the work; libpod adds what
//! only it knows (which containers use an image).

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
        Ok(self.store.load(reader)?)
    }

    pub fn import(
        &self,
        reader: impl Read,
        reference: Option<&str>,
        changes: &[String],
        message: Option<&str>,
    ) -> Result<storage::Image> {
        Ok(self.store.import(reader, reference, changes, message)?)
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
    pub fn remove_image(&self, name: &str, force: bool) -> Result<RemovedImage> {
        let image = self.store.lookup(name)?;
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
            out.untagged.push(full);
            return Ok(out);
        }
        let users = self.state.containers_using_image(&image.id)?;
        if !users.is_empty() {
            if !force {
                return Err(LibpodError::InvalidState(format!(
                    "image used by {}: image is in use by a container: consider listing external containers and force-removing image",
                    users[0].id
                )));
            }
            for c in &users {
                self.remove(&c.id, true, false)?;
            }
        }
        self.store.remove_image(&image)?;
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
        }
        Ok(())
    }

    pub fn storage_driver(&self) -> &'static str {
        self.store.driver().as_str()
    }
}
