//! `push`: an image's layers (rebuilt byte for byte from their tar-split records, so the
//! config's diff_ids still hold), compressed with gzip or zstd while hashing, uploaded unless
//! the registry has them, then the config and an OCI manifest under the tag. This module must
//! never upload a layer whose rebuilt tar does not match its diff ID (LayerTar checks it).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::client::Client;
use super::manifest::{OCI_CONFIG, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, OCI_MANIFEST};
use super::pull::{PullEvent, RegistryOptions, Reporter};
use crate::digest::sha256_digest;
use crate::error::{IoContext, StorageError};
use crate::index::Image;
use crate::reference::Reference;
use crate::store::Store;

/// `--compression-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LayerCompression {
    #[default]
    Gzip,
    Zstd,
}

impl std::str::FromStr for LayerCompression {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<Self, StorageError> {
        match s {
            "gzip" => Ok(LayerCompression::Gzip),
            "zstd" | "zstd:chunked" => Ok(LayerCompression::Zstd),
            other => Err(StorageError::UnsupportedCompression {
                format: "requested",
                what: format!("--compression-format {other} (use gzip or zstd)"),
            }),
        }
    }
}

impl LayerCompression {
    fn media_type(self) -> &'static str {
        match self {
            LayerCompression::Gzip => OCI_LAYER_GZIP,
            LayerCompression::Zstd => OCI_LAYER_ZSTD,
        }
    }
}

/// A writer that hashes and counts what passes to the file.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Compresses the layer's tar into `path`; returns (digest, size) of the compressed blob.
fn compress_layer(
    store: &Store,
    chain_id: &str,
    compression: LayerCompression,
    path: &Path,
) -> Result<(String, u64), StorageError> {
    let mut tar = store.layer_tar(chain_id)?;
    let file = File::create(path).ctx("creating", path)?;
    let mut out = HashingWriter {
        inner: BufWriter::new(file),
        hasher: Sha256::new(),
        count: 0,
    };
    let read_err = |source| StorageError::Read {
        what: format!("layer {chain_id}"),
        source,
    };
    match compression {
        LayerCompression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
            io::copy(&mut tar, &mut enc).map_err(read_err)?;
            enc.finish().ctx("writing", path)?;
        }
        LayerCompression::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(&mut out, 3).ctx("writing", path)?;
            io::copy(&mut tar, &mut enc).map_err(read_err)?;
            enc.finish().ctx("writing", path)?;
        }
    }
    out.flush().ctx("writing", path)?;
    Ok((
        format!("sha256:{}", hex::encode(out.hasher.finalize())),
        out.count,
    ))
}

/// The client and repository of a push destination (fully qualified): the location itself,
/// never a mirror.
pub(crate) fn destination_client(
    dest: &str,
    registry: &RegistryOptions,
) -> Result<(Client, String), StorageError> {
    let ep = registry
        .conf
        .endpoints(dest, registry.tls_verify == Some(false))?
        .pop()
        .ok_or_else(|| StorageError::PullFailed(format!("{dest}: no endpoint")))?;
    let client = registry.client(&ep.registry, &ep.repository, ep.insecure)?;
    Ok((client, ep.repository))
}

/// Uploads the image's layers and config to `repo`; returns the OCI manifest's bytes (not yet
/// put).
pub(crate) fn upload_image(
    store: &Store,
    image: &Image,
    client: &Client,
    repo: &str,
    compression: LayerCompression,
    report: &dyn Reporter,
) -> Result<Vec<u8>, StorageError> {
    let work = store.work_dir()?;
    let mut layers = Vec::new();
    for chain in &image.layers {
        let path = work.child("blob");
        let (digest, size) = compress_layer(store, chain, compression, &path)?;
        if client.has_blob(repo, &digest)? {
            report.event(PullEvent::BlobExists(&digest));
        } else {
            report.event(PullEvent::BlobStart {
                digest: &digest,
                size,
            });
            client.upload_blob(repo, &digest, &path)?;
            report.event(PullEvent::BlobDone(&digest));
        }
        let _ = std::fs::remove_file(&path);
        layers.push(json!({"mediaType": compression.media_type(), "digest": digest, "size": size}));
    }

    let config = store.config_bytes(image)?;
    let config_digest = sha256_digest(&config);
    report.event(PullEvent::Config(&config_digest));
    if !client.has_blob(repo, &config_digest)? {
        let path = work.child("config");
        std::fs::write(&path, &config).ctx("writing", &path)?;
        client.upload_blob(repo, &config_digest, &path)?;
    }
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": layers,
    });
    serde_json::to_vec(&manifest).map_err(|e| StorageError::InvalidJson {
        what: "manifest".to_string(),
        reason: e.to_string(),
    })
}

/// Pushes `image` to the registry reference `dest` (fully qualified). Returns the digest of
/// the manifest the registry now holds.
pub fn push(
    store: &Store,
    image: &Image,
    dest: &str,
    registry: &RegistryOptions,
    compression: LayerCompression,
    report: &dyn Reporter,
) -> Result<String, StorageError> {
    let r = Reference::parse(dest)?;
    let (client, repo) = destination_client(dest, registry)?;
    let bytes = upload_image(store, image, &client, &repo, compression, report)?;
    let digest = sha256_digest(&bytes);
    let reference = r.tag.clone().unwrap_or_else(|| match &r.digest {
        Some(_) => digest.clone(),
        None => "latest".to_string(),
    });
    report.event(PullEvent::Writing);
    client.put_manifest(&repo, &reference, OCI_MANIFEST, &bytes)?;
    Ok(digest)
}

/// `push --sign-by-sigstore-private-key`: signs `dest` (fully qualified, just pushed) at
/// manifest `digest` with `key` and adds the signature to the image's sigstore attachment.
pub fn attach_sigstore_signature(
    dest: &str,
    digest: &str,
    key: &super::sigstore::PrivateKey,
    registry: &RegistryOptions,
    creator: &str,
) -> Result<(), StorageError> {
    let payload = super::sigstore::payload(dest, digest, creator);
    let signature = Some(key.sign(&payload));
    let (client, repo) = destination_client(dest, registry)?;
    super::attachments::put(
        &client,
        &repo,
        digest,
        &[super::sigstore::Attached { payload, signature }],
    )
}
