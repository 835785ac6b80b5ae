//! The OCI image manifests the store writes itself: for a loaded docker-archive (which has
//! none), an import, a commit and a saved OCI layout. Each describes the config blob and the
//! uncompressed layers the store holds, so its bytes are the same whichever path made it.
//! This module must never describe a compressed blob: registry manifests are pushed as built
//! in `registry::push`.

use oci_spec::image::{Descriptor, ImageManifestBuilder, MediaType};

use crate::digest::sha256_digest;
use crate::error::StorageError;

/// A descriptor of `size` bytes with `digest` (`sha256:HEX`).
pub(crate) fn descriptor(
    media_type: MediaType,
    size: u64,
    digest: &str,
) -> Result<Descriptor, StorageError> {
    let d = oci_spec::image::Digest::try_from(digest)
        .map_err(|_| StorageError::InvalidDigest(digest.to_string()))?;
    Ok(Descriptor::new(media_type, size, d))
}

/// The serialized schema-2 OCI manifest of the image whose config is `config` and whose
/// layers are `layers` (bottom first). `what` names the manifest in an error.
pub(crate) fn image_manifest(
    config: &[u8],
    layers: Vec<Descriptor>,
    what: &str,
) -> Result<Vec<u8>, StorageError> {
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(
            MediaType::ImageConfig,
            config.len() as u64,
            &sha256_digest(config),
        )?)
        .layers(layers)
        .build()
        .map_err(|e| StorageError::invalid_json(what, e))?;
    serde_json::to_vec(&manifest).map_err(|e| StorageError::invalid_json(what, e))
}
