//! Sigstore attachments: an image's sigstore signatures kept in its own repository as an OCI
//! image manifest tagged `sha256-HEX.sig` (HEX: the signed manifest's digest), one layer per
//! signature (the payload blob, with the base64 signature in an annotation), as cosign and
//! containers/image store them. Adding signatures keeps those already there. This module moves
//! bytes; it never decides whether a signature is good (sigstore.rs does).

use serde_json::{Value, json};

use super::client::{Client, read_small};
use super::manifest::{OCI_CONFIG, OCI_MANIFEST};
use super::sigstore::{Attached, PAYLOAD_MEDIA_TYPE, SIGNATURE_ANNOTATION};
use crate::digest::sha256_digest;
use crate::error::StorageError;

/// Largest signature payload or attachment config read.
const MAX_BLOB: u64 = 4 << 20;
/// Most signatures read from one attachment.
const MAX_SIGNATURES: usize = 64;

/// `sha256-HEX.sig`: the tag of the attachment of manifest `digest`.
pub fn tag(digest: &str) -> Result<String, StorageError> {
    match digest.split_once(':') {
        Some((algo, hex))
            if !algo.is_empty()
                && !hex.is_empty()
                && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(format!("{algo}-{hex}.sig"))
        }
        _ => Err(StorageError::Signature(format!(
            "invalid manifest digest {digest:?}"
        ))),
    }
}

fn invalid(what: &str, why: impl std::fmt::Display) -> StorageError {
    StorageError::InvalidJson {
        what: what.to_string(),
        reason: why.to_string(),
    }
}

/// The attachment manifest of `digest` in `repo`, if there is one.
fn manifest(client: &Client, repo: &str, digest: &str) -> Result<Option<Value>, StorageError> {
    let tag = tag(digest)?;
    let what = format!("sigstore attachment {repo}:{tag}");
    match client.manifest(repo, &tag, OCI_MANIFEST) {
        Ok((bytes, _)) => {
            let v: Value = serde_json::from_slice(&bytes).map_err(|e| invalid(&what, e))?;
            if v["mediaType"].as_str().is_some_and(|m| m != OCI_MANIFEST) || !v["layers"].is_array()
            {
                return Err(invalid(&what, "not an OCI image manifest"));
            }
            Ok(Some(v))
        }
        Err(StorageError::ManifestUnknown(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A small blob, checked against its digest.
fn blob(client: &Client, repo: &str, digest: &str) -> Result<Vec<u8>, StorageError> {
    let what = format!("blob {digest}");
    let bytes = read_small(client.blob(repo, digest)?, MAX_BLOB, &what)?;
    if sha256_digest(&bytes) != digest {
        return Err(StorageError::Signature(format!(
            "{what} of {repo}: its content does not match its digest"
        )));
    }
    Ok(bytes)
}

/// The signatures attached to manifest `digest` (none when there is no attachment).
pub fn get(client: &Client, repo: &str, digest: &str) -> Result<Vec<Attached>, StorageError> {
    let Some(m) = manifest(client, repo, digest)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for layer in m["layers"].as_array().into_iter().flatten() {
        if layer["mediaType"].as_str() != Some(PAYLOAD_MEDIA_TYPE) {
            continue;
        }
        let Some(d) = layer["digest"].as_str() else {
            continue;
        };
        out.push(Attached {
            payload: blob(client, repo, d)?,
            signature: layer["annotations"][SIGNATURE_ANNOTATION]
                .as_str()
                .map(str::to_string),
        });
        if out.len() == MAX_SIGNATURES {
            break;
        }
    }
    Ok(out)
}

/// Adds `signatures` to the attachment of manifest `digest` in `repo` (creating it), keeping
/// the signatures already there and not adding one twice.
pub fn put(
    client: &Client,
    repo: &str,
    digest: &str,
    signatures: &[Attached],
) -> Result<(), StorageError> {
    let existing = manifest(client, repo, digest)?;
    let (mut layers, mut config) = match &existing {
        Some(m) => {
            let config_digest = m["config"]["digest"].as_str().ok_or_else(|| {
                invalid("sigstore attachment", "the manifest has no config digest")
            })?;
            let bytes = blob(client, repo, config_digest)?;
            let config: Value = serde_json::from_slice(&bytes)
                .map_err(|e| invalid("sigstore attachment config", e))?;
            (m["layers"].as_array().cloned().unwrap_or_default(), config)
        }
        // What containers/image writes for a new attachment: an empty OCI config whose
        // rootfs lists the payloads.
        None => (
            Vec::new(),
            json!({"architecture": "", "os": "", "config": {}, "rootfs": {"type": "layers", "diff_ids": []}}),
        ),
    };
    if !config["rootfs"]["diff_ids"].is_array() {
        config["rootfs"] = json!({"type": "layers", "diff_ids": []});
    }
    for sig in signatures {
        let payload_digest = sha256_digest(&sig.payload);
        let mut annotations = serde_json::Map::new();
        if let Some(s) = &sig.signature {
            annotations.insert(SIGNATURE_ANNOTATION.to_string(), json!(s));
        }
        let layer = json!({
            "mediaType": PAYLOAD_MEDIA_TYPE,
            "digest": payload_digest,
            "size": sig.payload.len(),
            "annotations": annotations,
        });
        if layers.contains(&layer) {
            continue;
        }
        if !client.has_blob(repo, &payload_digest)? {
            client.upload_blob_bytes(repo, &payload_digest, &sig.payload)?;
        }
        layers.push(layer);
        if let Some(ids) = config["rootfs"]["diff_ids"].as_array_mut() {
            ids.push(json!(payload_digest));
        }
    }
    let config = config.to_string().into_bytes();
    let config_digest = sha256_digest(&config);
    if !client.has_blob(repo, &config_digest)? {
        client.upload_blob_bytes(repo, &config_digest, &config)?;
    }
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": layers,
    });
    client.put_manifest(
        repo,
        &tag(digest)?,
        OCI_MANIFEST,
        manifest.to_string().as_bytes(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_the_digest() {
        assert_eq!(tag("sha256:abc123").unwrap(), "sha256-abc123.sig");
        assert!(tag("sha256:../x").is_err());
        assert!(tag("abc").is_err());
    }
}
