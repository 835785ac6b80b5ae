//! `load`: docker-archive and oci-archive tarballs (plain or gzip) into the store.
//!
//! The input may be a pipe and its members come in any order (docker puts manifest.json
//! last), so the outer tar is first spooled into the load's work dir: regular members become
//! numbered files, symlink members (older docker saves link duplicate layers) become entries
//! in a name map. Member names are only ever map keys: nothing is created under a name taken
//! from the archive. Then every image is staged (config verified against its digest, layers
//! verified against the config's diff_ids while they extract) and committed at once.
//! This module must never trust a digest or a name from the archive without checking it.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use serde::Deserialize;

use crate::compression::decompress;
use crate::digest::{HashingReader, chain_ids, is_hex64, parse_sha256, sha256_digest, sha256_hex};
use crate::error::{IoContext, StorageError};
use crate::index::Image;
use crate::manifest::{descriptor, image_manifest};
use crate::reference;
use crate::registry::manifest::goarch;
use crate::stage::{PendingImage, Staging};
use crate::store::Store;

enum Member {
    File(PathBuf),
    Link(String),
}

/// The spooled members of the outer archive.
struct Spool {
    members: HashMap<String, Member>,
}

fn clean_member_name(raw: &[u8]) -> String {
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in raw.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            _ => parts.push(c),
        }
    }
    String::from_utf8_lossy(&parts.join(&b'/')).into_owned()
}

impl Spool {
    fn read(reader: impl Read, staging: &Staging<'_>) -> Result<Spool, StorageError> {
        let plain = decompress(reader, "archive")?;
        let mut archive = tar::Archive::new(plain);
        let read_err = |source| StorageError::Read {
            what: "archive".to_string(),
            source,
        };
        let mut members = HashMap::new();
        let entries = archive.entries().map_err(read_err)?;
        for (n, entry) in entries.enumerate() {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) if n == 0 => return Err(StorageError::NotAnArchive(e.to_string())),
                Err(e) => return Err(read_err(e)),
            };
            let name = clean_member_name(&entry.path_bytes());
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let path = staging.scratch("member");
                    let mut f = File::create(&path).ctx("creating", &path)?;
                    io::copy(&mut entry, &mut f).map_err(read_err)?;
                    members.insert(name, Member::File(path));
                }
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry.link_name_bytes().unwrap_or_default();
                    let target = if entry.header().entry_type() == tar::EntryType::Link
                        || target.starts_with(b"/")
                    {
                        clean_member_name(&target)
                    } else {
                        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                        let mut joined = dir.as_bytes().to_vec();
                        joined.push(b'/');
                        joined.extend_from_slice(&target);
                        clean_member_name(&joined)
                    };
                    members.insert(name, Member::Link(target));
                }
                _ => {}
            }
        }
        if members.is_empty() {
            return Err(StorageError::NotAnArchive(
                "no files in archive".to_string(),
            ));
        }
        Ok(Spool { members })
    }

    fn path(&self, name: &str) -> Result<&Path, StorageError> {
        let mut name = clean_member_name(name.as_bytes());
        for _ in 0..16 {
            match self.members.get(&name) {
                Some(Member::File(p)) => return Ok(p),
                Some(Member::Link(t)) => name = t.clone(),
                None => break,
            }
        }
        Err(StorageError::MissingBlob(name))
    }

    fn has(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }

    fn open(&self, name: &str) -> Result<File, StorageError> {
        let p = self.path(name)?;
        File::open(p).ctx("opening", p)
    }

    fn bytes(&self, name: &str) -> Result<Vec<u8>, StorageError> {
        let p = self.path(name)?;
        fs::read(p).ctx("reading", p)
    }

    /// A blob of an oci-archive, checked against its digest.
    fn blob(&self, digest: &str) -> Result<Vec<u8>, StorageError> {
        let name = format!("blobs/sha256/{}", parse_sha256(digest)?);
        let data = self.bytes(&name)?;
        let actual = sha256_digest(&data);
        if actual != digest {
            return Err(StorageError::BlobDigestMismatch {
                file: name,
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(data)
    }
}

impl Store {
    /// `load`: every image of a docker-archive or oci-archive, plain or gzip. Returns the
    /// images loaded.
    pub fn load(&self, reader: impl Read) -> Result<Vec<Image>, StorageError> {
        let mut staging = Staging::new(self)?;
        let spool = Spool::read(reader, &staging)?;
        if spool.has("manifest.json") {
            load_docker(&spool, &mut staging)?;
        } else if spool.has("index.json") {
            load_oci(&spool, &mut staging)?;
        } else {
            return Err(StorageError::MissingManifest);
        }
        staging.commit()
    }
}

fn json<T: for<'de> Deserialize<'de>>(data: &[u8], what: &str) -> Result<T, StorageError> {
    serde_json::from_slice(data).map_err(|e| StorageError::InvalidJson {
        what: what.to_string(),
        reason: e.to_string(),
    })
}

pub(crate) fn created_of(config: &ImageConfiguration) -> DateTime<Utc> {
    config
        .created()
        .as_deref()
        .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

/// Stages the layers of `config` in order; `extract(staging, i, parent, diff_id)` is called
/// only for layers neither stored nor staged yet.
fn stage_layers(
    staging: &mut Staging<'_>,
    config: &ImageConfiguration,
    config_name: &str,
    layer_names: &[String],
    mut extract: impl FnMut(&mut Staging<'_>, usize, Option<&str>, &str) -> Result<String, StorageError>,
) -> Result<Vec<String>, StorageError> {
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != layer_names.len() {
        return Err(StorageError::LayerCountMismatch {
            config: config_name.to_string(),
            diff_ids: diff_ids.len(),
            layers: layer_names.len(),
        });
    }
    let chains = chain_ids(diff_ids)?;
    for i in 0..chains.len() {
        if staging.has_layer(&chains[i]) {
            continue;
        }
        let parent = i.checked_sub(1).map(|p| chains[p].as_str());
        extract(staging, i, parent, &diff_ids[i])?;
    }
    Ok(chains)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// `abc...def.json` or `blobs/sha256/abc...def` → the hex digest the name claims.
fn digest_in_name(name: &str) -> Option<&str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.strip_suffix(".json").unwrap_or(base);
    is_hex64(stem).then_some(stem)
}

fn load_docker(spool: &Spool, staging: &mut Staging<'_>) -> Result<(), StorageError> {
    let entries: Vec<DockerEntry> = json(&spool.bytes("manifest.json")?, "manifest.json")?;
    for entry in entries {
        let config_bytes = spool.bytes(&entry.config)?;
        let id = sha256_hex(&config_bytes);
        if let Some(claimed) = digest_in_name(&entry.config)
            && claimed != id
        {
            return Err(StorageError::ConfigDigestMismatch {
                file: entry.config.clone(),
                expected: format!("sha256:{claimed}"),
                actual: format!("sha256:{id}"),
            });
        }
        let config: ImageConfiguration = json(&config_bytes, &entry.config)?;
        let chains = stage_layers(
            staging,
            &config,
            &entry.config,
            &entry.layers,
            |staging, i, parent, diff_id| {
                let name = &entry.layers[i];
                let plain = decompress(spool.open(name)?, name)?;
                staging.add_layer(plain, parent, Some(diff_id), name)
            },
        )?;
        // docker-archive has no registry manifest: describe the uncompressed layers, which
        // is what the store holds (and what `save` can reproduce).
        let mut layers = Vec::new();
        for (chain, diff_id) in chains.iter().zip(config.rootfs().diff_ids()) {
            let size = staging.layer_record(chain).map_or(0, |r| r.size);
            layers.push(descriptor(MediaType::ImageLayer, size, diff_id)?);
        }
        let manifest_bytes = image_manifest(
            &config_bytes,
            layers,
            &format!("manifest for {}", entry.config),
        )?;
        let names = entry
            .repo_tags
            .unwrap_or_default()
            .iter()
            .map(|t| reference::normalize_docker(t))
            .collect::<Result<Vec<_>, _>>()?;
        staging.add_image(PendingImage {
            created: created_of(&config),
            config: config_bytes,
            manifest: manifest_bytes,
            names,
            layers: chains,
        });
    }
    Ok(())
}

const INDEX_MEDIA_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

fn load_oci(spool: &Spool, staging: &mut Staging<'_>) -> Result<(), StorageError> {
    let index: ImageIndex = json(&spool.bytes("index.json")?, "index.json")?;
    for desc in index.manifests() {
        let names = names_of(desc)?;
        load_oci_descriptor(spool, staging, desc, names, 0)?;
    }
    Ok(())
}

fn names_of(desc: &Descriptor) -> Result<Vec<String>, StorageError> {
    let Some(ann) = desc.annotations() else {
        return Ok(Vec::new());
    };
    // Annotations are free text (often a bare tag such as "v1.0-RC"): a value that is not an
    // image name leaves the image untagged rather than failing the load.
    if let Some(Ok(n)) = ann
        .get("io.containerd.image.name")
        .map(|n| reference::normalize_docker(n))
    {
        return Ok(vec![n]);
    }
    Ok(ann
        .get("org.opencontainers.image.ref.name")
        .and_then(|n| reference::normalize_local(n).ok())
        .into_iter()
        .collect())
}

fn load_oci_descriptor(
    spool: &Spool,
    staging: &mut Staging<'_>,
    desc: &Descriptor,
    names: Vec<String>,
    depth: usize,
) -> Result<(), StorageError> {
    let digest = desc.digest().to_string();
    let data = spool.blob(&digest)?;
    if INDEX_MEDIA_TYPES.contains(&desc.media_type().to_string().as_str()) {
        if depth > 2 {
            return Err(StorageError::InvalidJson {
                what: digest,
                reason: "image indexes nested too deeply".to_string(),
            });
        }
        let nested: ImageIndex = json(&data, &digest)?;
        let chosen =
            pick_platform(nested.manifests()).ok_or_else(|| StorageError::InvalidJson {
                what: digest.clone(),
                reason: "no manifest for this platform".to_string(),
            })?;
        return load_oci_descriptor(spool, staging, chosen, names, depth + 1);
    }
    let manifest: ImageManifest = json(&data, &digest)?;
    let config_digest = manifest.config().digest().to_string();
    let config_bytes = spool.blob(&config_digest).map_err(|e| match e {
        StorageError::BlobDigestMismatch {
            file,
            expected,
            actual,
        } => StorageError::ConfigDigestMismatch {
            file,
            expected,
            actual,
        },
        other => other,
    })?;
    let config: ImageConfiguration = json(&config_bytes, &config_digest)?;
    let layer_names: Vec<String> = manifest
        .layers()
        .iter()
        .map(|l| l.digest().to_string())
        .collect();
    let chains = stage_layers(
        staging,
        &config,
        &config_digest,
        &layer_names,
        |staging, i, parent, diff_id| {
            let blob_digest = &layer_names[i];
            let name = format!("blobs/sha256/{}", parse_sha256(blob_digest)?);
            let mut hashing = HashingReader::new(spool.open(&name)?);
            let chain = {
                let plain = decompress(&mut hashing, &name)?;
                staging.add_layer(plain, parent, Some(diff_id), &name)?
            };
            let (actual, _) = hashing.finish().map_err(|source| StorageError::Read {
                what: name.clone(),
                source,
            })?;
            if &actual != blob_digest {
                return Err(StorageError::BlobDigestMismatch {
                    file: name,
                    expected: blob_digest.clone(),
                    actual,
                });
            }
            Ok(chain)
        },
    )?;
    staging.add_image(PendingImage {
        created: created_of(&config),
        config: config_bytes,
        manifest: data,
        names,
        layers: chains,
    });
    Ok(())
}

fn pick_platform(manifests: &[Descriptor]) -> Option<&Descriptor> {
    if manifests.len() == 1 {
        return manifests.first();
    }
    manifests.iter().find(|m| {
        m.platform().as_ref().is_some_and(|p| {
            p.architecture().to_string() == goarch() && p.os().to_string() == "linux"
        })
    })
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;
