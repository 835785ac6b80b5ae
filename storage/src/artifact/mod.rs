//! OCI artifacts: arbitrary files kept as the layers of an OCI image manifest with an
//! `artifactType`, an empty config and each file's name in its layer's
//! `org.opencontainers.image.title` annotation (podman's `artifact` commands).
//!
//! They live in `ROOT/artifacts/`, an OCI image layout of their own: blobs content-addressed
//! under `blobs/sha256/`, names in `index.json`. Blobs are written to `tmp/` and renamed into
//! place, and `index.json` is replaced by rename last, so a killed command leaves either the
//! old store or the new one (at most unreferenced blobs, collected by the next removal).
//! This module must never follow an artifact's file names outside a target directory.

mod error;
pub mod extract;
mod layout;
mod sniff;
pub mod transfer;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use error::ArtifactError;
pub use layout::ArtifactStore;

/// The config of every artifact podman makes: `{}`.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
pub const EMPTY_DATA: &[u8] = b"{}";
/// A layer's file name.
pub const TITLE: &str = "org.opencontainers.image.title";
/// When the artifact was first made (RFC 3339 with nanoseconds).
pub const CREATED: &str = "org.opencontainers.image.created";

/// An OCI descriptor, fields in the order Go writes them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

impl Descriptor {
    pub fn title(&self) -> Option<&str> {
        self.annotations
            .get(TITLE)
            .map(String::as_str)
            .filter(|t| !t.is_empty())
    }
}

/// An artifact's OCI image manifest, fields in the order Go writes them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactManifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// One artifact of the store.
#[derive(Clone, Debug)]
pub struct Artifact {
    pub name: String,
    /// The manifest's digest (`sha256:...`).
    pub digest: String,
    pub manifest: ArtifactManifest,
}

impl Artifact {
    /// The bytes of all its files.
    pub fn total_size(&self) -> u64 {
        self.manifest.layers.iter().map(|l| l.size).sum()
    }

    /// The `org.opencontainers.image.created` annotation, when present and valid.
    pub fn created(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let s = self.manifest.annotations.get(CREATED)?;
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }
}

/// `artifact add` settings.
#[derive(Clone, Debug, Default)]
pub struct AddOptions {
    /// `--type`: the manifest's artifactType.
    pub artifact_type: Option<String>,
    /// `--annotation`: on the manifest (a new artifact) and on every added layer.
    pub annotations: BTreeMap<String, String>,
    /// `--append`: add files to an existing artifact.
    pub append: bool,
    /// `--replace`: an existing artifact of that name is replaced.
    pub replace: bool,
    /// `--file-type`: the layers' media type instead of detection.
    pub file_type: Option<String>,
}

/// A file to add and the name it is recorded under.
#[derive(Clone, Debug)]
pub struct AddFile {
    pub path: PathBuf,
    pub name: String,
}

impl AddFile {
    pub fn new(path: &Path) -> AddFile {
        AddFile {
            path: path.to_path_buf(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }
}

/// A file's media type as podman detects it (its first 512 bytes).
fn detect_media_type(path: &Path) -> Result<String, ArtifactError> {
    let file = File::open(path).map_err(|e| ArtifactError::io("open", path, e))?;
    let mut head = Vec::with_capacity(sniff::SNIFF_LEN);
    file.take(sniff::SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| ArtifactError::io("read", path, e))?;
    Ok(sniff::detect(&head).to_string())
}

/// A blob's file name inside a target directory: its title, or its digest with `-` for `:`.
/// A title that could name anything but a file directly inside the directory is refused
/// (podman's rule, plus `.`/`..` and NUL).
pub fn blob_file_name(title: Option<&str>, digest: &str) -> Result<String, ArtifactError> {
    let name = match title {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => digest.replace(':', "-"),
    };
    if let Some(c) = name.chars().find(|c| *c == '/' || *c == '\0') {
        return Err(ArtifactError::BadTitle { name, c });
    }
    if name == "." || name == ".." {
        return Err(ArtifactError::BadTitle { name, c: '.' });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_stay_inside_the_directory() {
        assert_eq!(blob_file_name(Some("a.txt"), "sha256:ab").unwrap(), "a.txt");
        assert_eq!(blob_file_name(None, "sha256:ab").unwrap(), "sha256-ab");
        let e = blob_file_name(Some("../../tmp/evil"), "sha256:ab").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid name: \"../../tmp/evil\" cannot contain /: artifact blob title invalid"
        );
        assert!(blob_file_name(Some(".."), "sha256:ab").is_err());
        assert!(blob_file_name(Some("a\0b"), "sha256:ab").is_err());
    }

    #[test]
    fn manifest_serializes_in_go_order() {
        let m = ArtifactManifest {
            schema_version: 2,
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            artifact_type: Some("application/x-test".into()),
            config: Descriptor {
                media_type: EMPTY_MEDIA_TYPE.into(),
                digest: EMPTY_DIGEST.into(),
                size: 2,
                data: Some("e30=".into()),
                ..Descriptor::default()
            },
            layers: vec![],
            subject: None,
            annotations: BTreeMap::new(),
        };
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(
            s,
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/x-test","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},"layers":[]}"#
        );
        assert_eq!(crate::digest::sha256_digest(EMPTY_DATA), EMPTY_DIGEST);
    }
}
