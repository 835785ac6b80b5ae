//! `image inspect` (and `inspect --type image`) in podman's JSON shape, and `inspect`'s
//! choice between a container and an image.

use super::ImageError;
use serde_json::{Value, json};

use super::Runtime;
use crate::error::{LibpodError, Result};

/// `inspect --type`: what a name may denote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InspectType {
    Container,
    Image,
    /// A container if there is one by that name, else an image.
    All,
}

impl std::str::FromStr for InspectType {
    type Err = LibpodError;
    fn from_str(s: &str) -> Result<InspectType> {
        match s {
            "container" => Ok(InspectType::Container),
            "image" => Ok(InspectType::Image),
            "all" => Ok(InspectType::All),
            _ => Err(ImageError::InspectType(s.to_string()).into()),
        }
    }
}

impl Runtime {
    /// `inspect NAME`: the container's or the image's inspect JSON (with `size`, a
    /// container's SizeRw/SizeRootFs).
    pub fn inspect_object(&self, name: &str, kind: InspectType, size: bool) -> Result<Value> {
        let container = |c: &crate::Container| {
            if size {
                self.inspect_with_size(c)
            } else {
                self.inspect(c)
            }
        };
        match kind {
            InspectType::Container => container(&self.lookup(name)?),
            InspectType::Image => self.inspect_image(name),
            InspectType::All => match self.lookup(name) {
                Ok(c) => container(&c),
                Err(_) => self
                    .inspect_image(name)
                    .map_err(|_| LibpodError::from(ImageError::NoSuchObject(name.to_string()))),
            },
        }
    }

    /// podman's image inspect shape.
    pub fn inspect_image(&self, name: &str) -> Result<Value> {
        let img = self.image(name)?;
        let cfg = self.image_config(&img)?;
        let config = serde_json::to_value(&cfg).unwrap_or(Value::Null);
        let c = config.get("config").cloned().unwrap_or(json!({}));
        let manifest = self.image_manifest_json(&img)?;
        let manifest_type = manifest
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or("application/vnd.oci.image.manifest.v1+json")
            .to_string();
        // podman: an OCI image's comment is its first history entry's; a docker one's is the
        // config's own `comment` field.
        let comment = if manifest_type.contains("docker") {
            config.get("comment").cloned()
        } else {
            config
                .get("history")
                .and_then(|h| h.as_array())
                .and_then(|h| h.first())
                .and_then(|h| h.get("comment"))
                .cloned()
        }
        .unwrap_or(json!(""));
        Ok(json!({
            "Id": img.id,
            "Digest": img.digest,
            "RepoTags": img.names,
            "RepoDigests": repo_digests(&img),
            "Parent": self.image_parent(&img)?.map(|p| p.id).unwrap_or_default(),
            "Comment": comment,
            "Created": img.created.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            "Config": Value::Object(c.as_object().cloned().unwrap_or_default()),
            "Version": "",
            "Author": config.get("author").cloned().unwrap_or(json!("")),
            "Architecture": config.get("architecture").cloned().unwrap_or(json!("")),
            "Os": config.get("os").cloned().unwrap_or(json!("")),
            "Size": img.size,
            "VirtualSize": img.size,
            "GraphDriver": {"Name": self.storage_driver(), "Data": self.graph_data(&img)?},
            "RootFS": {"Type": "layers", "Layers": config.get("rootfs").and_then(|r| r.get("diff_ids")).cloned().unwrap_or(json!([]))},
            "Labels": c.get("Labels").cloned().unwrap_or(Value::Null),
            "Annotations": manifest.get("annotations").cloned().unwrap_or(json!({})),
            "ManifestType": manifest_type,
            "User": c.get("User").cloned().unwrap_or(json!("")),
            "History": config.get("history").cloned().unwrap_or(json!([])),
            "NamesHistory": img.names,
        }))
    }

    /// podman's overlay `GraphDriver.Data`: the top layer as UpperDir, the others as LowerDir.
    fn graph_data(&self, img: &storage::Image) -> Result<Value> {
        if self.storage_driver() == "vfs" {
            return Ok(json!({}));
        }
        let dirs = self.image_layer_dirs(img)?;
        let Some((top, lower)) = dirs.split_first() else {
            return Ok(json!({}));
        };
        let mut data = serde_json::Map::new();
        if !lower.is_empty() {
            let joined: Vec<String> = lower.iter().map(|d| d.display().to_string()).collect();
            data.insert("LowerDir".into(), json!(joined.join(":")));
        }
        data.insert("UpperDir".into(), json!(top.display().to_string()));
        Ok(Value::Object(data))
    }
}

/// `repo@digest` once per repository, as podman's RepoDigests.
fn repo_digests(img: &storage::Image) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in &img.names {
        let d = format!("{}@{}", storage::reference::repository(n), img.digest);
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_type_parses_podman_words() {
        assert_eq!("all".parse::<InspectType>().ok(), Some(InspectType::All));
        assert_eq!(
            "image".parse::<InspectType>().ok(),
            Some(InspectType::Image)
        );
        let e = "volume".parse::<InspectType>().unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid type \"volume\": must be container, image or all"
        );
    }

    #[test]
    fn repo_digests_once_per_repository() {
        let img = storage::Image {
            names: vec![
                "docker.io/library/busybox:latest".into(),
                "docker.io/library/busybox:1".into(),
                "localhost/bb:x".into(),
            ],
            digest: "sha256:abc".into(),
            id: "abc".into(),
            created: chrono::DateTime::UNIX_EPOCH,
            size: 0,
            layers: Vec::new(),
        };
        assert_eq!(
            repo_digests(&img),
            [
                "docker.io/library/busybox@sha256:abc",
                "localhost/bb@sha256:abc"
            ]
        );
    }
}
