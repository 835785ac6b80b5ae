//! `manifest add` of a registry reference and `manifest push`: an index and its images to one
//! repository. Local instances are pushed as `push` does (their layers compressed, so their
//! manifest digests change and the index sent names the new ones); remote instances are
//! copied blob by blob from their registry. This module must never put the index before
//! every instance it names is in the destination repository.

use std::fs::File;
use std::io;

use super::client::Client;
use super::manifest::{ACCEPT, Fetched, OCI_MANIFEST, Platform, parse, select};
use super::pull::{PullEvent, RegistryOptions, Reporter};
use super::push::{LayerCompression, destination_client, upload_image};
use crate::digest::sha256_digest;
use crate::error::{IoContext, StorageError};
use crate::manifest_list::{Instance, ListPlatform, ManifestList, Source};
use crate::reference::Reference;
use crate::store::Store;

/// The manifest of `name` (fully qualified); when it is an index, the entry for `platform`.
/// Returns the image manifest's bytes, its media type and its `registry/repo@digest`.
fn fetch_image_manifest(
    client: &Client,
    repo: &str,
    name: &str,
    platform: &Platform,
) -> Result<(Vec<u8>, String, String), StorageError> {
    let r = Reference::parse(name)?;
    let wanted = r
        .digest
        .clone()
        .or(r.tag.clone())
        .unwrap_or_else(|| "latest".to_string());
    let (mut bytes, mut ctype) = client.manifest(repo, &wanted, ACCEPT)?;
    if let Fetched::Index(index) = parse(&bytes, &ctype, name)? {
        let digest = select(&index, platform, name)?;
        (bytes, ctype) = client.manifest(repo, &digest, ACCEPT)?;
    }
    let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("mediaType")?.as_str().map(str::to_string))
        .unwrap_or_else(|| {
            ctype
                .split(';')
                .next()
                .unwrap_or(OCI_MANIFEST)
                .trim()
                .to_string()
        });
    let source = format!("{}/{repo}@{}", client.registry(), sha256_digest(&bytes));
    Ok((bytes, media_type, source))
}

/// `manifest add LIST REGISTRY-REFERENCE`: the index entry (platform read from the image's
/// config) and where it comes from.
pub fn remote_instance(
    name: &str,
    registry: &RegistryOptions,
    platform: &Platform,
) -> Result<(Instance, Source), StorageError> {
    let (client, repo) = destination_client(name, registry)?;
    let (bytes, media_type, source) = fetch_image_manifest(&client, &repo, name, platform)?;
    let Fetched::Image(manifest) = parse(&bytes, &media_type, name)? else {
        return Err(StorageError::UnsupportedManifest(format!(
            "{name}: an index inside an index"
        )));
    };
    let config_digest = manifest.config().digest().to_string();
    let config = super::client::read_small(
        client.blob(&repo, &config_digest)?,
        4 << 20,
        &format!("config of {name}"),
    )?;
    let config: serde_json::Value = serde_json::from_slice(&config)
        .map_err(|e| StorageError::invalid_json(&format!("config of {name}"), e))?;
    let field = |k: &str| config.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let instance = Instance {
        media_type,
        digest: sha256_digest(&bytes),
        size: bytes.len() as u64,
        annotations: Default::default(),
        platform: Some(ListPlatform {
            architecture: field("architecture").unwrap_or_default(),
            os: field("os").unwrap_or_default(),
            os_version: field("os.version"),
            os_features: Vec::new(),
            variant: field("variant"),
        }),
    };
    Ok((instance, Source::Remote(source)))
}

/// Copies the image manifest `source` (`registry/repo@digest`) and its blobs into `repo`.
fn copy_remote(
    store: &Store,
    source: &str,
    registry: &RegistryOptions,
    dest: &Client,
    repo: &str,
    report: &dyn Reporter,
) -> Result<(), StorageError> {
    let (src, src_repo) = destination_client(source, registry)?;
    let r = Reference::parse(source)?;
    let digest = r.digest.unwrap_or_default();
    let (bytes, ctype) = src.manifest(&src_repo, &digest, ACCEPT)?;
    if sha256_digest(&bytes) != digest {
        return Err(StorageError::PullFailed(format!(
            "{source}: the registry sent a manifest with another digest"
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| StorageError::invalid_json(&format!("manifest of {source}"), e))?;
    let mut blobs: Vec<String> = Vec::new();
    if let Some(d) = value.pointer("/config/digest").and_then(|v| v.as_str()) {
        blobs.push(d.to_string());
    }
    for l in value
        .get("layers")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(d) = l.get("digest").and_then(|v| v.as_str()) {
            blobs.push(d.to_string());
        }
    }
    let work = store.work_dir()?;
    for blob in &blobs {
        if dest.has_blob(repo, blob)? {
            report.event(PullEvent::BlobExists(blob));
            continue;
        }
        let path = work.child("blob");
        let mut file = File::create(&path).ctx("creating", &path)?;
        io::copy(&mut src.blob(&src_repo, blob)?, &mut file).map_err(|e| StorageError::Read {
            what: format!("blob {blob} of {source}"),
            source: e,
        })?;
        drop(file);
        report.event(PullEvent::BlobStart {
            digest: blob,
            size: 0,
        });
        dest.upload_blob(repo, blob, &path)?;
        report.event(PullEvent::BlobDone(blob));
        let _ = std::fs::remove_file(&path);
    }
    let media_type = value
        .get("mediaType")
        .and_then(|v| v.as_str())
        .unwrap_or(ctype.split(';').next().unwrap_or(OCI_MANIFEST));
    dest.put_manifest(repo, &digest, media_type, &bytes)?;
    Ok(())
}

/// `manifest push LIST DEST`: every instance, then the index under DEST's tag (or by
/// digest). Returns the index's digest.
pub fn push_list(
    store: &Store,
    list: &ManifestList,
    dest: &str,
    registry: &RegistryOptions,
    compression: LayerCompression,
    report: &dyn Reporter,
) -> Result<String, StorageError> {
    let r = Reference::parse(dest)?;
    let (client, repo) = destination_client(dest, registry)?;
    let mut index = list.index.clone();
    for inst in &mut index.manifests {
        match list.sources.get(&inst.digest) {
            Some(Source::Local(id)) => {
                let image = store.lookup(id)?;
                let bytes = upload_image(store, &image, &client, &repo, compression, report)?;
                let digest = sha256_digest(&bytes);
                client.put_manifest(&repo, &digest, OCI_MANIFEST, &bytes)?;
                inst.media_type = OCI_MANIFEST.to_string();
                inst.digest = digest;
                inst.size = bytes.len() as u64;
            }
            Some(Source::Remote(source)) => {
                copy_remote(store, source, registry, &client, &repo, report)?;
            }
            // An instance without a source (a record from elsewhere) must already be there.
            None => {}
        }
    }
    let bytes =
        serde_json::to_vec(&index).map_err(|e| StorageError::invalid_json("manifest list", e))?;
    let digest = sha256_digest(&bytes);
    let reference = r.tag.clone().unwrap_or_else(|| match &r.digest {
        Some(_) => digest.clone(),
        None => "latest".to_string(),
    });
    report.event(PullEvent::Writing);
    client.put_manifest(&repo, &reference, &index.media_type, &bytes)?;
    Ok(digest)
}

/// `manifest inspect REGISTRY-REFERENCE`: the manifest (list or image) as the registry has
/// it, printed as `manifest inspect` prints a local list.
pub fn remote_manifest_json(
    name: &str,
    registry: &RegistryOptions,
) -> Result<String, StorageError> {
    let (client, repo) = destination_client(name, registry)?;
    let r = Reference::parse(name)?;
    let wanted = r.digest.or(r.tag).unwrap_or_else(|| "latest".to_string());
    let (bytes, _) = client.manifest(&repo, &wanted, ACCEPT)?;
    let bad = |e: serde_json::Error| StorageError::invalid_json(&format!("manifest of {name}"), e);
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    match serde_json::from_slice::<crate::manifest_list::ListIndex>(&bytes) {
        Ok(index) => serde::Serialize::serialize(&index, &mut ser).map_err(bad)?,
        Err(_) => {
            let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(bad)?;
            serde::Serialize::serialize(&v, &mut ser).map_err(bad)?
        }
    }
    String::from_utf8(out).map_err(|e| StorageError::invalid_json(name, e))
}

/// The digest of the manifest `name` (fully qualified) points to in its registry, and, when
/// that is an index, the digests of its entries (`image sign --all`).
pub fn remote_manifest_digests(
    name: &str,
    registry: &RegistryOptions,
) -> Result<(String, Vec<String>), StorageError> {
    let (client, repo) = destination_client(name, registry)?;
    let r = Reference::parse(name)?;
    let wanted = r.digest.or(r.tag).unwrap_or_else(|| "latest".to_string());
    let (bytes, _) = client.manifest(&repo, &wanted, ACCEPT)?;
    let instances = serde_json::from_slice::<crate::manifest_list::ListIndex>(&bytes)
        .map(|index| index.manifests.into_iter().map(|m| m.digest).collect())
        .unwrap_or_default();
    Ok((crate::digest::sha256_digest(&bytes), instances))
}

/// `manifest add --all LIST REGISTRY-REFERENCE`: every entry of the reference's index (or
/// the one image when it is not an index), platforms as the index states them.
pub fn remote_instances_all(
    name: &str,
    registry: &RegistryOptions,
) -> Result<Vec<(Instance, Source)>, StorageError> {
    let (client, repo) = destination_client(name, registry)?;
    let r = Reference::parse(name)?;
    let wanted = r.digest.or(r.tag).unwrap_or_else(|| "latest".to_string());
    let (bytes, ctype) = client.manifest(&repo, &wanted, ACCEPT)?;
    if let Fetched::Image(_) = parse(&bytes, &ctype, name)? {
        return Ok(vec![remote_instance(name, registry, &Platform::default())?]);
    }
    let index: crate::manifest_list::ListIndex = serde_json::from_slice(&bytes)
        .map_err(|e| StorageError::invalid_json(&format!("manifest list of {name}"), e))?;
    Ok(index
        .manifests
        .into_iter()
        .map(|inst| {
            let source = format!("{}/{repo}@{}", client.registry(), inst.digest);
            (inst, Source::Remote(source))
        })
        .collect())
}
