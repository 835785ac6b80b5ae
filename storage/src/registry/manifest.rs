//! Manifests as registries serve them: OCI and docker schema-2 image manifests, OCI indexes
//! and docker manifest lists, and choosing one platform's manifest from a list. The two
//! families have the same JSON shape, so oci-spec's types read both.

use oci_spec::image::{ImageIndex, ImageManifest};

use crate::error::StorageError;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// The Accept header of a manifest request: every kind burrow reads.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// GOARCH name of the machine we run on.
pub(crate) fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// A platform to select from an index (`--platform`, `--os`, `--arch`, `--variant`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Default for Platform {
    /// The host's platform, in Go's names as images use them.
    fn default() -> Platform {
        Platform {
            os: "linux".to_string(),
            architecture: goarch().to_string(),
            variant: None,
        }
    }
}

impl Platform {
    /// `OS/ARCH[/VARIANT]`.
    pub fn parse(spec: &str) -> Result<Platform, StorageError> {
        let parts: Vec<&str> = spec.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(variant.to_string()).filter(|v| !v.is_empty()),
            }),
            _ => Err(StorageError::InvalidPlatform(spec.to_string())),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// What a manifest request returned.
pub enum Fetched {
    Image(Box<ImageManifest>),
    Index(Box<ImageIndex>),
}

/// Parses by the declared media type (body first, then the Content-Type header).
pub fn parse(bytes: &[u8], content_type: &str, what: &str) -> Result<Fetched, StorageError> {
    let bad = |reason: String| StorageError::InvalidJson {
        what: format!("manifest of {what}"),
        reason,
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    let declared = value
        .get("mediaType")
        .and_then(|v| v.as_str())
        .unwrap_or(content_type.split(';').next().unwrap_or("").trim())
        .to_string();
    let is_index = declared == OCI_INDEX
        || declared == DOCKER_LIST
        || (declared.is_empty() && value.get("manifests").is_some());
    if is_index {
        return serde_json::from_value(value)
            .map(|i| Fetched::Index(Box::new(i)))
            .map_err(|e| bad(e.to_string()));
    }
    if value.get("schemaVersion").and_then(|v| v.as_u64()) == Some(1) {
        return Err(StorageError::UnsupportedManifest(format!(
            "{what}: docker schema 1 manifests are deprecated and not supported"
        )));
    }
    serde_json::from_value(value)
        .map(|m| Fetched::Image(Box::new(m)))
        .map_err(|e| bad(e.to_string()))
}

/// The digest of the entry of `index` for `want`. A missing variant matches any (podman
/// prefers the exact variant when there is one).
pub fn select(index: &ImageIndex, want: &Platform, what: &str) -> Result<String, StorageError> {
    let mut fallback = None;
    for m in index.manifests() {
        let Some(p) = m.platform() else { continue };
        if p.os().to_string() != want.os || p.architecture().to_string() != want.architecture {
            continue;
        }
        match (&want.variant, p.variant()) {
            (Some(w), Some(v)) if w == v => return Ok(m.digest().to_string()),
            (Some(_), Some(_)) => {}
            (None, None) => return Ok(m.digest().to_string()),
            _ => {
                fallback.get_or_insert_with(|| m.digest().to_string());
            }
        }
    }
    fallback.ok_or_else(|| StorageError::NoMatchingPlatform {
        name: what.to_string(),
        wanted: want.to_string(),
        available: index
            .manifests()
            .iter()
            .filter_map(|m| m.platform().as_ref())
            .map(|p| {
                let mut s = format!("{}/{}", p.os(), p.architecture());
                if let Some(v) = p.variant() {
                    s.push('/');
                    s.push_str(v);
                }
                s
            })
            .collect::<Vec<_>>()
            .join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
      "manifests":[
        {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,
         "digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111",
         "platform":{"architecture":"arm","os":"linux","variant":"v7"}},
        {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,
         "digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222",
         "platform":{"architecture":"amd64","os":"linux"}}]}"#;

    #[test]
    fn manifest_lists_select_by_platform() {
        let Fetched::Index(idx) = parse(LIST.as_bytes(), "", "x").unwrap() else {
            panic!("not an index");
        };
        let amd = Platform::parse("linux/amd64").unwrap();
        assert!(select(&idx, &amd, "x").unwrap().starts_with("sha256:2222"));
        let arm = Platform::parse("linux/arm/v7").unwrap();
        assert!(select(&idx, &arm, "x").unwrap().starts_with("sha256:1111"));
        let err = select(&idx, &Platform::parse("linux/s390x").unwrap(), "x").unwrap_err();
        assert!(
            err.to_string().contains("linux/arm/v7, linux/amd64"),
            "{err}"
        );
        assert!(Platform::parse("linux").is_err());
    }
}
