//! `save`: images out of the store as docker-archive, oci-archive or an OCI layout directory,
//! in the layouts containers/image writes (what `podman load` and `docker load` read).
//!
//! Layers go out uncompressed, as the bytes [`Store::layer_tar`] rebuilds: the original layer
//! tars, so they hash to the config's diff IDs and the image ID (the config digest, written
//! verbatim) survives a save + load round trip. This module must never write a layer whose
//! bytes were not checked against its diff ID: a mismatch fails the save.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

use oci_spec::image::MediaType;
use serde_json::json;

use crate::digest::{HashingReader, parse_sha256, sha256_digest, sha256_hex};
use crate::error::{IoContext, StorageError};
use crate::index::Image;
use crate::manifest::{descriptor, image_manifest};
use crate::store::Store;

/// The formats `save` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveFormat {
    DockerArchive,
    OciArchive,
    OciDir,
}

impl std::str::FromStr for SaveFormat {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<SaveFormat, StorageError> {
        match s {
            "docker-archive" => Ok(SaveFormat::DockerArchive),
            "oci-archive" => Ok(SaveFormat::OciArchive),
            "oci-dir" => Ok(SaveFormat::OciDir),
            other => Err(StorageError::UnsupportedSaveFormat(other.to_string())),
        }
    }
}

/// One image to save and the names to record for it (`RepoTags` / `ref.name`).
#[derive(Clone, Debug)]
pub struct SaveItem {
    pub image: Image,
    pub names: Vec<String>,
}

fn write_err(what: &str) -> impl Fn(io::Error) -> StorageError + '_ {
    move |source| StorageError::Write {
        what: what.to_string(),
        source,
    }
}

/// Where archive members go: a tar stream or a directory.
trait Sink {
    fn bytes(&mut self, name: &str, data: &[u8]) -> Result<(), StorageError>;
    fn stream(&mut self, name: &str, size: u64, data: &mut dyn Read) -> Result<(), StorageError>;
}

struct TarSink<W: Write> {
    builder: tar::Builder<W>,
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mtime(0);
    h
}

impl<W: Write> Sink for TarSink<W> {
    fn bytes(&mut self, name: &str, data: &[u8]) -> Result<(), StorageError> {
        let mut h = header(data.len() as u64);
        self.builder
            .append_data(&mut h, name, data)
            .map_err(write_err(name))
    }

    fn stream(&mut self, name: &str, size: u64, data: &mut dyn Read) -> Result<(), StorageError> {
        let mut h = header(size);
        self.builder
            .append_data(&mut h, name, data)
            .map_err(write_err(name))
    }
}

struct DirSink<'a> {
    root: &'a Path,
}

impl Sink for DirSink<'_> {
    fn bytes(&mut self, name: &str, data: &[u8]) -> Result<(), StorageError> {
        self.stream(name, data.len() as u64, &mut &data[..])
    }

    fn stream(&mut self, name: &str, _size: u64, data: &mut dyn Read) -> Result<(), StorageError> {
        let path = self.root.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).ctx("creating", parent)?;
        }
        let mut f = File::create(&path).ctx("creating", &path)?;
        io::copy(data, &mut f).map_err(write_err(name))?;
        Ok(())
    }
}

/// The layers of an image as (chain ID, diff ID, size), bottom first.
fn layers_of(store: &Store, image: &Image) -> Result<Vec<(String, String, u64)>, StorageError> {
    let index = store.read_index()?;
    image
        .layers
        .iter()
        .map(|chain| {
            let r = index
                .layers
                .get(chain)
                .ok_or_else(|| StorageError::LayerNotFound(chain.clone()))?;
            Ok((chain.clone(), r.diff_id.clone(), r.size))
        })
        .collect()
}

/// Streams one layer's tar into `sink` as `name`, checking its length and digest.
fn put_layer(
    store: &Store,
    sink: &mut dyn Sink,
    name: &str,
    (chain, diff_id, size): &(String, String, u64),
) -> Result<(), StorageError> {
    let tar = store.layer_tar(chain)?;
    let mut hashing = HashingReader::new(tar);
    sink.stream(name, *size, &mut hashing)?;
    let (actual, len) = hashing.finish().map_err(|source| StorageError::Read {
        what: format!("layer {diff_id}"),
        source,
    })?;
    if &actual != diff_id || len != *size {
        return Err(StorageError::DiffIdMismatch {
            layer: chain.clone(),
            expected: diff_id.clone(),
            actual,
        });
    }
    Ok(())
}

/// Writes `items` as one docker-archive (several images share layer files).
pub fn save_docker_archive(
    store: &Store,
    items: &[SaveItem],
    out: impl Write,
) -> Result<(), StorageError> {
    let mut sink = TarSink {
        builder: tar::Builder::new(out),
    };
    let mut written = std::collections::HashSet::new();
    let mut manifest = Vec::new();
    for item in items {
        let config = store.config_bytes(&item.image)?;
        let config_name = format!("{}.json", sha256_hex(&config));
        let mut layer_names = Vec::new();
        for layer in layers_of(store, &item.image)? {
            let name = format!("{}.tar", parse_sha256(&layer.1)?);
            if written.insert(name.clone()) {
                put_layer(store, &mut sink, &name, &layer)?;
            }
            layer_names.push(name);
        }
        if written.insert(config_name.clone()) {
            sink.bytes(&config_name, &config)?;
        }
        manifest.push(json!({
            "Config": config_name,
            "RepoTags": item.names,
            "Layers": layer_names,
        }));
    }
    let data = serde_json::to_vec(&manifest)
        .map_err(|e| StorageError::invalid_json("manifest.json", e))?;
    sink.bytes("manifest.json", &data)?;
    sink.builder.finish().map_err(write_err("archive"))
}

/// The OCI layout of one image: blobs, `oci-layout`, `index.json`.
fn save_oci(store: &Store, item: &SaveItem, sink: &mut dyn Sink) -> Result<(), StorageError> {
    let config = store.config_bytes(&item.image)?;
    let config_digest = sha256_digest(&config);
    let layers = layers_of(store, &item.image)?;
    let mut descriptors = Vec::new();
    for layer in &layers {
        descriptors.push(descriptor(MediaType::ImageLayer, layer.2, &layer.1)?);
    }
    let manifest = image_manifest(&config, descriptors, "manifest")?;
    let manifest_digest = sha256_digest(&manifest);

    sink.bytes("oci-layout", br#"{"imageLayoutVersion": "1.0.0"}"#)?;
    for layer in &layers {
        let name = format!("blobs/sha256/{}", parse_sha256(&layer.1)?);
        put_layer(store, sink, &name, layer)?;
    }
    sink.bytes(
        &format!("blobs/sha256/{}", parse_sha256(&config_digest)?),
        &config,
    )?;
    sink.bytes(
        &format!("blobs/sha256/{}", parse_sha256(&manifest_digest)?),
        &manifest,
    )?;
    let mut desc = json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest_digest,
        "size": manifest.len(),
    });
    if let Some(name) = item.names.first() {
        let annotations: BTreeMap<&str, &str> =
            [("org.opencontainers.image.ref.name", name.as_str())].into();
        desc["annotations"] = json!(annotations);
    }
    let index = json!({"schemaVersion": 2, "manifests": [desc]});
    let data =
        serde_json::to_vec(&index).map_err(|e| StorageError::invalid_json("index.json", e))?;
    sink.bytes("index.json", &data)
}

/// Writes one image as an oci-archive.
pub fn save_oci_archive(
    store: &Store,
    item: &SaveItem,
    out: impl Write,
) -> Result<(), StorageError> {
    let mut sink = TarSink {
        builder: tar::Builder::new(out),
    };
    save_oci(store, item, &mut sink)?;
    sink.builder.finish().map_err(write_err("archive"))
}

/// Writes one image as an OCI layout directory at `dir` (created if missing).
pub fn save_oci_dir(store: &Store, item: &SaveItem, dir: &Path) -> Result<(), StorageError> {
    fs::create_dir_all(dir).ctx("creating", dir)?;
    save_oci(store, item, &mut DirSink { root: dir })
}
