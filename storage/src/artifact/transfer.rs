//! `artifact push` and `artifact pull`: an artifact's manifest and blobs moved as they are
//! (no recompression, so its digest is the same on both sides). Push uploads the blobs the
//! registry lacks, then the manifest; pull verifies every blob's digest before the manifest
//! is recorded, so a failed pull leaves the store as it was.

use super::{ArtifactError, ArtifactManifest, ArtifactStore};
use crate::digest::sha256_digest;
use crate::reference::Reference;
use crate::registry::client::read_small;
use crate::registry::manifest::{OCI_INDEX, OCI_MANIFEST};
use crate::registry::pull::{PullEvent, RegistryOptions, Reporter};
use crate::registry::push::destination_client;

/// The tag or digest a fully qualified name points at.
fn reference_of(full: &str) -> Result<String, ArtifactError> {
    let r = Reference::parse(full)?;
    Ok(r.digest.or(r.tag).unwrap_or_else(|| "latest".to_string()))
}

/// Pushes artifact `name` to `dest` (fully qualified). Returns the manifest digest.
pub fn push(
    store: &ArtifactStore,
    name: &str,
    dest: &str,
    registry: &RegistryOptions,
    report: &dyn Reporter,
) -> Result<String, ArtifactError> {
    let _lock = store.read_lock()?;
    let art = ArtifactStore::find(&store.list_unlocked()?, name)?;
    let manifest_path = store.blob_path(&art.digest)?;
    let bytes =
        std::fs::read(&manifest_path).map_err(|e| ArtifactError::io("read", &manifest_path, e))?;
    let reference = reference_of(dest)?;
    let (client, repo) = destination_client(dest, registry)?;
    let config = &art.manifest.config.digest;
    for (digest, is_config) in art
        .manifest
        .layers
        .iter()
        .map(|l| (&l.digest, false))
        .chain(std::iter::once((config, true)))
    {
        if client.has_blob(&repo, digest)? {
            report.event(PullEvent::BlobExists(digest));
            continue;
        }
        let path = store.blob_path(digest)?;
        if is_config {
            report.event(PullEvent::Config(digest));
        } else {
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            report.event(PullEvent::BlobStart { digest, size });
        }
        client.upload_blob(&repo, digest, &path)?;
        if !is_config {
            report.event(PullEvent::BlobDone(digest));
        }
    }
    report.event(PullEvent::Writing);
    let media_type = if art.manifest.media_type.is_empty() {
        OCI_MANIFEST
    } else {
        art.manifest.media_type.as_str()
    };
    client.put_manifest(&repo, &reference, media_type, &bytes)?;
    Ok(art.digest)
}

/// Pulls `full` (fully qualified) from its registry and stores it as artifact `name`,
/// replacing one of that name. Returns the manifest digest.
pub fn pull(
    store: &ArtifactStore,
    name: &str,
    full: &str,
    registry: &RegistryOptions,
    report: &dyn Reporter,
) -> Result<String, ArtifactError> {
    let reference = reference_of(full)?;
    let (client, repo) = destination_client(full, registry)?;
    let (bytes, ctype) =
        client.manifest(&repo, &reference, &format!("{OCI_MANIFEST}, {OCI_INDEX}"))?;
    let digest = sha256_digest(&bytes);
    if reference.starts_with("sha256:") && reference != digest {
        return Err(ArtifactError::invalid(
            format!("manifest of {full}"),
            format!("the registry sent {digest}, expected {reference}"),
        ));
    }
    let manifest: ArtifactManifest = serde_json::from_slice(&bytes)
        .map_err(|e| ArtifactError::invalid(format!("manifest of {full}"), e))?;
    let media_type = if manifest.media_type.is_empty() {
        ctype
            .split(';')
            .next()
            .unwrap_or(OCI_MANIFEST)
            .trim()
            .to_string()
    } else {
        manifest.media_type.clone()
    };
    if media_type != OCI_MANIFEST {
        return Err(ArtifactError::invalid(
            format!("manifest of {full}"),
            format!("{media_type} is not an OCI image manifest"),
        ));
    }
    let _lock = store.write_lock()?;
    let config = &manifest.config.digest;
    for (d, is_config) in manifest
        .layers
        .iter()
        .map(|l| (&l.digest, false))
        .chain(std::iter::once((config, true)))
    {
        if store.has_blob(d) {
            report.event(PullEvent::BlobExists(d));
            continue;
        }
        let what = format!("blob {d} of {full}");
        if is_config {
            report.event(PullEvent::Config(d));
            let data = read_small(client.blob(&repo, d)?, 4 << 20, &what)?;
            store.put_blob(&data[..], Some(d), &what)?;
        } else {
            let size = manifest
                .layers
                .iter()
                .find(|l| &l.digest == d)
                .map_or(0, |l| l.size);
            report.event(PullEvent::BlobStart { digest: d, size });
            store.put_blob(client.blob(&repo, d)?, Some(d), &what)?;
            report.event(PullEvent::BlobDone(d));
        }
    }
    report.event(PullEvent::Writing);
    // The manifest is kept byte for byte, so its digest is the registry's.
    store.commit(name, &bytes, &media_type)
}
