//! `untag`: removing names from an image exactly as podman does (a name the image does not
//! carry is an error; no names given removes them all). Names arrive already normalised.
//! This module must never touch layers or image files: only the names in the index change.

use crate::error::StorageError;
use crate::index::Image;
use crate::store::Store;

impl Store {
    /// Removes `names` (normalised, e.g. `localhost/x:latest`) from `image`, or every name when
    /// `names` is empty. Nothing changes if one of them is not a name of the image.
    pub fn remove_names(&self, image: &Image, names: &[String]) -> Result<(), StorageError> {
        let lock = self.lock()?;
        let mut index = lock.read()?;
        let record = index.image_mut(&image.id)?;
        if names.is_empty() {
            record.names.clear();
        } else {
            if let Some(missing) = names.iter().find(|n| !record.names.contains(n)) {
                return Err(StorageError::TagNotKnown(missing.clone()));
            }
            record.names.retain(|n| !names.contains(n));
        }
        lock.write(&index)
    }
}
