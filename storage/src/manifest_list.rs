//! Manifest lists kept locally (`manifest create/add/annotate/remove/rm`): an OCI image index
//! under a name, plus where each instance's manifest comes from (a local image, or a registry
//! reference) so that `manifest push` can send the images with the index.
//!
//! ```text
//! ROOT/manifest-lists/ID.json   {id, names, index, sources}
//! ```
//! Each record is replaced by an atomic rename under `manifest-lists/lock`. This module must
//! never change an image: the instances only point at images by ID.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::digest::{is_hex64, sha256_digest, sha256_hex};
use crate::error::{IoContext, StorageError};
use crate::index::Image;
use crate::reference;
use crate::registry::manifest::{OCI_INDEX, OCI_MANIFEST};
use crate::store::Store;

/// An instance's platform, with Go's field names and order (as `podman manifest inspect`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPlatform {
    pub architecture: String,
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// One entry of the index: a descriptor of an image manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<ListPlatform>,
}

/// The index itself, as `manifest inspect` prints it and `manifest push` sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListIndex {
    pub schema_version: u32,
    pub media_type: String,
    pub manifests: Vec<Instance>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// Where an instance's manifest and blobs are found at push time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A local image, by ID: pushed (its layers compressed) before the index.
    Local(String),
    /// A registry reference (fully qualified, by digest): copied blob by blob.
    Remote(String),
}

/// A stored manifest list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestList {
    pub id: String,
    pub names: Vec<String>,
    pub index: ListIndex,
    /// Instance digest → source.
    #[serde(default)]
    pub sources: BTreeMap<String, Source>,
}

/// What `manifest add` and `manifest annotate` set on an instance.
#[derive(Clone, Debug, Default)]
pub struct InstanceOptions {
    pub arch: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
    pub os_version: Option<String>,
    pub features: Vec<String>,
    pub annotations: Vec<(String, String)>,
}

impl InstanceOptions {
    fn apply(&self, inst: &mut Instance) {
        let p = inst.platform.get_or_insert_with(ListPlatform::default);
        if let Some(a) = &self.arch {
            p.architecture = a.clone();
        }
        if let Some(o) = &self.os {
            p.os = o.clone();
        }
        if let Some(v) = &self.variant {
            p.variant = Some(v.clone()).filter(|v| !v.is_empty());
        }
        if let Some(v) = &self.os_version {
            p.os_version = Some(v.clone()).filter(|v| !v.is_empty());
        }
        if !self.features.is_empty() {
            p.os_features = self.features.clone();
        }
        for (k, v) in &self.annotations {
            inst.annotations.insert(k.clone(), v.clone());
        }
    }
}

impl ManifestList {
    /// The index as `manifest inspect` prints it: Go's `json.MarshalIndent(.., "", "    ")`.
    pub fn index_json(&self) -> Result<String, StorageError> {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        self.index
            .serialize(&mut ser)
            .map_err(|e| StorageError::invalid_json("manifest list", e))?;
        String::from_utf8(out).map_err(|e| StorageError::invalid_json("manifest list", e))
    }

    /// Adds (or replaces, by digest) an instance with its source; returns its digest.
    pub fn add(&mut self, mut inst: Instance, source: Source, opts: &InstanceOptions) -> String {
        opts.apply(&mut inst);
        let digest = inst.digest.clone();
        // Adding an instance again replaces it where it is.
        match self.index.manifests.iter_mut().find(|m| m.digest == digest) {
            Some(m) => *m = inst,
            None => self.index.manifests.push(inst),
        }
        self.sources.insert(digest.clone(), source);
        digest
    }

    fn instance_mut(&mut self, digest: &str) -> Result<&mut Instance, StorageError> {
        let name = self.display_name();
        self.index
            .manifests
            .iter_mut()
            .find(|m| m.digest == digest)
            .ok_or(StorageError::InstanceUnknown {
                list: name,
                digest: digest.to_string(),
            })
    }

    /// `manifest annotate LIST DIGEST`.
    pub fn annotate(&mut self, digest: &str, opts: &InstanceOptions) -> Result<(), StorageError> {
        opts.apply(self.instance_mut(digest)?);
        Ok(())
    }

    /// `manifest annotate --index`: annotations of the index itself.
    pub fn annotate_index(&mut self, annotations: &[(String, String)]) {
        for (k, v) in annotations {
            self.index.annotations.insert(k.clone(), v.clone());
        }
    }

    /// `manifest remove LIST DIGEST`.
    pub fn remove(&mut self, digest: &str) -> Result<(), StorageError> {
        self.instance_mut(digest)?;
        self.index.manifests.retain(|m| m.digest != digest);
        self.sources.remove(digest);
        Ok(())
    }

    /// The instance whose digest is `digest`, or whose source is the local image `image`.
    pub fn find_instance(&self, digest_or_image: &str) -> Option<&Instance> {
        self.index.manifests.iter().find(|m| {
            m.digest == digest_or_image
                || matches!(self.sources.get(&m.digest), Some(Source::Local(id)) if id == digest_or_image)
        })
    }

    fn display_name(&self) -> String {
        self.names
            .first()
            .cloned()
            .unwrap_or_else(|| self.id.clone())
    }
}

/// The index entry of a local image: its stored manifest's digest and size, the platform from
/// its config.
pub fn local_instance(store: &Store, image: &Image) -> Result<Instance, StorageError> {
    let manifest = store.manifest_bytes(image)?;
    let config = store.config(image)?;
    Ok(Instance {
        media_type: OCI_MANIFEST.to_string(),
        digest: sha256_digest(&manifest),
        size: manifest.len() as u64,
        annotations: BTreeMap::new(),
        platform: Some(ListPlatform {
            architecture: config.architecture().to_string(),
            os: config.os().to_string(),
            os_version: config.os_version().clone(),
            os_features: config.os_features().clone().unwrap_or_default(),
            variant: config.variant().clone(),
        }),
    })
}

impl Store {
    fn lists_dir(&self) -> PathBuf {
        self.root().join("manifest-lists")
    }

    /// Every stored manifest list.
    pub fn manifest_lists(&self) -> Result<Vec<ManifestList>, StorageError> {
        let dir = self.lists_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StorageError::io("reading", dir, e)),
        };
        let mut lists = Vec::new();
        for entry in entries {
            let path = entry.ctx("reading", &dir)?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let data = fs::read(&path).ctx("reading", &path)?;
            let list: ManifestList = serde_json::from_slice(&data)
                .map_err(|e| StorageError::invalid_json(&path.display().to_string(), e))?;
            lists.push(list);
        }
        lists.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(lists)
    }

    /// Every stored list as the image row `images` shows for it, as podman lists them: its
    /// names and ID, the digest and size of its index as pushed (compact JSON), created when
    /// its record was last written, and no layers.
    pub fn manifest_list_images(&self) -> Result<Vec<Image>, StorageError> {
        let dir = self.lists_dir();
        let mut out = Vec::new();
        for l in self.manifest_lists()? {
            let json = serde_json::to_vec(&l.index)
                .map_err(|e| StorageError::invalid_json("manifest list", e))?;
            let path = dir.join(format!("{}.json", l.id));
            let created = fs::metadata(&path)
                .and_then(|m| m.modified())
                .map(chrono::DateTime::<chrono::Utc>::from)
                .unwrap_or_default();
            out.push(Image {
                id: l.id,
                names: l.names,
                digest: sha256_digest(&json),
                created,
                size: json.len() as u64,
                layers: Vec::new(),
            });
        }
        Ok(out)
    }

    /// A list by name (normalized as image names are), full ID or unique ID prefix. An image
    /// of that name is `NotAManifestList`.
    pub fn lookup_manifest_list(&self, name: &str) -> Result<ManifestList, StorageError> {
        let lists = self.manifest_lists()?;
        let wanted = reference::normalize_local(name).ok();
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        let by_name = lists.iter().find(|l| {
            l.names
                .iter()
                .any(|n| Some(n) == wanted.as_ref() || n == name)
        });
        if let Some(l) = by_name {
            return Ok(l.clone());
        }
        let by_id: Vec<&ManifestList> =
            if hex.len() >= 3 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                lists.iter().filter(|l| l.id.starts_with(hex)).collect()
            } else {
                Vec::new()
            };
        if let [one] = by_id.as_slice() {
            return Ok((*one).clone());
        }
        if self.lookup(name).is_ok() {
            return Err(StorageError::NotAManifestList(name.to_string()));
        }
        Err(StorageError::ManifestListUnknown(name.to_string()))
    }

    /// `manifest create NAME`: an empty OCI index under NAME (normalized). Refused when an
    /// image or another list has the name.
    pub fn create_manifest_list(&self, name: &str) -> Result<ManifestList, StorageError> {
        let full = reference::normalize_local(name)?;
        let dir = self.lists_dir();
        fs::create_dir_all(&dir).ctx("creating", &dir)?;
        let _lock = lock(&dir)?;
        if let Some(l) = self
            .manifest_lists()?
            .into_iter()
            .find(|l| l.names.contains(&full))
        {
            return Err(StorageError::NameInUse {
                name: full,
                id: l.id,
            });
        }
        if let Some(img) = self.images()?.into_iter().find(|i| i.names.contains(&full)) {
            return Err(StorageError::NameInUse {
                name: full,
                id: img.id,
            });
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let id = sha256_hex(format!("{full}\n{now}\n{}", std::process::id()).as_bytes());
        debug_assert!(is_hex64(&id));
        let list = ManifestList {
            id,
            names: vec![full],
            index: ListIndex {
                schema_version: 2,
                media_type: OCI_INDEX.to_string(),
                manifests: Vec::new(),
                annotations: BTreeMap::new(),
            },
            sources: BTreeMap::new(),
        };
        write_list(&dir, &list)?;
        Ok(list)
    }

    /// Writes the list's record (temp file + rename, under the lists' lock).
    pub fn save_manifest_list(&self, list: &ManifestList) -> Result<(), StorageError> {
        let dir = self.lists_dir();
        fs::create_dir_all(&dir).ctx("creating", &dir)?;
        let _lock = lock(&dir)?;
        write_list(&dir, list)
    }

    /// Re-reads the list `name` under the lists' lock, changes it with `f` and writes it:
    /// two concurrent `manifest add`s both land. Nothing is written when `f` fails.
    pub fn update_manifest_list(
        &self,
        name: &str,
        f: impl FnOnce(&mut ManifestList) -> Result<(), StorageError>,
    ) -> Result<ManifestList, StorageError> {
        let dir = self.lists_dir();
        fs::create_dir_all(&dir).ctx("creating", &dir)?;
        let _lock = lock(&dir)?;
        let mut list = self.lookup_manifest_list(name)?;
        f(&mut list)?;
        write_list(&dir, &list)?;
        Ok(list)
    }

    /// `manifest rm`: the list's record only (its images stay, as in podman).
    pub fn remove_manifest_list(&self, list: &ManifestList) -> Result<(), StorageError> {
        let dir = self.lists_dir();
        let _lock = lock(&dir)?;
        let path = dir.join(format!("{}.json", list.id));
        fs::remove_file(&path).ctx("removing", &path)
    }
}

fn write_list(dir: &std::path::Path, list: &ManifestList) -> Result<(), StorageError> {
    let path = dir.join(format!("{}.json", list.id));
    let tmp = dir.join(format!(".{}.tmp-{}", list.id, std::process::id()));
    let data =
        serde_json::to_vec(list).map_err(|e| StorageError::invalid_json("manifest list", e))?;
    fs::write(&tmp, data).ctx("writing", &tmp)?;
    fs::rename(&tmp, &path).ctx("renaming", &path)
}

/// The lists' lock, released when the file is dropped.
fn lock(dir: &std::path::Path) -> Result<File, StorageError> {
    let path = dir.join("lock");
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .ctx("opening", &path)?;
    f.lock().ctx("locking", &path)?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> ManifestList {
        ManifestList {
            id: "a".repeat(64),
            names: vec!["localhost/l:latest".into()],
            index: ListIndex {
                schema_version: 2,
                media_type: OCI_INDEX.into(),
                manifests: Vec::new(),
                annotations: BTreeMap::new(),
            },
            sources: BTreeMap::new(),
        }
    }

    fn inst(d: &str) -> Instance {
        Instance {
            media_type: OCI_MANIFEST.into(),
            digest: d.into(),
            size: 10,
            annotations: BTreeMap::new(),
            platform: Some(ListPlatform {
                architecture: "amd64".into(),
                os: "linux".into(),
                ..ListPlatform::default()
            }),
        }
    }

    #[test]
    fn add_annotate_remove_and_go_field_order() {
        let mut l = list();
        let opts = InstanceOptions {
            arch: Some("arm64".into()),
            variant: Some("v8".into()),
            annotations: vec![("k".into(), "v".into())],
            ..Default::default()
        };
        let d = l.add(inst("sha256:1"), Source::Local("x".into()), &opts);
        l.add(
            inst("sha256:1"),
            Source::Local("x".into()),
            &InstanceOptions::default(),
        );
        assert_eq!(l.index.manifests.len(), 1, "same digest replaces");
        l.annotate(&d, &opts).unwrap();
        let json = l.index_json().unwrap();
        let pos = |s: &str| json.find(s).unwrap();
        assert!(pos("\"schemaVersion\"") < pos("\"mediaType\""));
        assert!(pos("\"digest\"") < pos("\"size\"") && pos("\"size\"") < pos("\"platform\""));
        assert!(json.contains("\n    \"manifests\""), "{json}");
        assert!(json.contains("\"variant\": \"v8\""), "{json}");
        assert!(l.annotate("sha256:2", &opts).is_err());
        l.remove(&d).unwrap();
        assert!(l.index.manifests.is_empty() && l.sources.is_empty());
        assert!(
            l.remove(&d)
                .unwrap_err()
                .to_string()
                .contains("no instance matching")
        );
    }
}
