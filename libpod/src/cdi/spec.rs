//! The Container Device Interface spec file (JSON or YAML), as the CDI specification
//! (github.com/cncf-tags/container-device-interface, SPEC.md) defines it: a `kind`
//! (`vendor.com/class`), devices with their container edits, and edits common to all of them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CdiError;

/// One spec file.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    pub cdi_version: String,
    pub kind: String,
    #[serde(default)]
    pub devices: Vec<DeviceSpec>,
    #[serde(default, skip_serializing_if = "ContainerEdits::is_empty")]
    pub container_edits: ContainerEdits,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSpec {
    pub name: String,
    #[serde(default)]
    pub container_edits: ContainerEdits,
}

/// What a device adds to a container.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerEdits {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_nodes: Vec<DeviceNode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<CdiMount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_gids: Vec<u32>,
}

impl ContainerEdits {
    pub fn is_empty(&self) -> bool {
        self == &ContainerEdits::default()
    }

    /// `other` added after these (a device's edits after its spec's).
    pub fn append(&mut self, other: &ContainerEdits) {
        self.env.extend(other.env.iter().cloned());
        self.device_nodes.extend(other.device_nodes.iter().cloned());
        self.mounts.extend(other.mounts.iter().cloned());
        self.hooks.extend(other.hooks.iter().cloned());
        self.additional_gids
            .extend(other.additional_gids.iter().copied());
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeviceNode {
    /// The path in the container (and on the host, unless `host_path` says otherwise).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub major: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_mode: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
}

impl DeviceNode {
    pub fn host_path(&self) -> &str {
        self.host_path.as_deref().unwrap_or(&self.path)
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CdiMount {
    pub host_path: String,
    pub container_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// An OCI hook the spec asks for.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Hook {
    pub hook_name: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
}

/// Reads one spec file: `.json` as JSON, `.yaml`/`.yml` as YAML.
pub fn read(path: &Path) -> Result<Spec, CdiError> {
    let text = std::fs::read_to_string(path).map_err(|e| CdiError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    // One line: serde-saphyr's messages go on with a snippet of the input.
    let parse_err = |message: String| CdiError::Parse {
        path: path.to_path_buf(),
        message: message
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string(),
    };
    let spec: Spec = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => serde_json::from_str(&text).map_err(|e| parse_err(e.to_string()))?,
        _ => serde_saphyr::from_str(&text).map_err(|e| parse_err(e.to_string()))?,
    };
    validate(&spec).map_err(parse_err)?;
    Ok(spec)
}

/// The spec's own rules: a qualified kind, device names, absolute paths.
fn validate(spec: &Spec) -> Result<(), String> {
    let (vendor, class) = spec
        .kind
        .split_once('/')
        .ok_or_else(|| format!("kind {:?} is not vendor/class", spec.kind))?;
    if !valid_vendor(vendor) || !valid_class(class) {
        return Err(format!("kind {:?} is not vendor/class", spec.kind));
    }
    for d in &spec.devices {
        if !valid_device_name(&d.name) {
            return Err(format!("invalid device name {:?}", d.name));
        }
    }
    let all = std::iter::once(&spec.container_edits)
        .chain(spec.devices.iter().map(|d| &d.container_edits));
    for e in all {
        for n in &e.device_nodes {
            if !n.path.starts_with('/') || !n.host_path().starts_with('/') {
                return Err(format!("device node {:?}: paths must be absolute", n.path));
            }
        }
        for m in &e.mounts {
            if !m.container_path.starts_with('/') {
                return Err(format!(
                    "mount {:?}: the container path must be absolute",
                    m.container_path
                ));
            }
        }
        for h in &e.hooks {
            if !HOOK_NAMES.contains(&h.hook_name.as_str()) {
                return Err(format!("unknown hook {:?}", h.hook_name));
            }
        }
    }
    Ok(())
}

/// The OCI hook points a CDI spec may name.
pub const HOOK_NAMES: &[&str] = &[
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

fn valid_vendor(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

fn valid_class(c: &str) -> bool {
    valid_vendor(c)
}

/// A device name: letters, digits and `_.:-`, starting and ending with a letter or digit.
pub fn valid_device_name(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-'))
}

/// `vendor.com/class=name` split in (kind, name), if `s` is a qualified CDI device name.
pub fn parse_qualified(s: &str) -> Option<(&str, &str)> {
    let (kind, name) = s.split_once('=')?;
    let (vendor, class) = kind.split_once('/')?;
    (valid_vendor(vendor) && valid_class(class) && valid_device_name(name)).then_some((kind, name))
}

/// Spec files directly in `dir`, in name order.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml" | "yml")
            )
        })
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
cdiVersion: "0.6.0"
kind: "example.com/test"
containerEdits:
  env: ["COMMON=1"]
devices:
  - name: dev0
    containerEdits:
      deviceNodes:
        - path: /dev/vendor0
          hostPath: /dev/null
      env: ["X=hello"]
      mounts:
        - hostPath: /etc/hostname
          containerPath: /mnt/h
          options: ["ro", "bind"]
"#;

    #[test]
    fn yaml_and_json_specs_parse_alike() {
        let t = tempfile::tempdir().unwrap();
        let y = t.path().join("a.yaml");
        std::fs::write(&y, YAML).unwrap();
        let spec = read(&y).unwrap();
        assert_eq!(spec.kind, "example.com/test");
        assert_eq!(
            spec.devices[0].container_edits.device_nodes[0].host_path(),
            "/dev/null"
        );
        let j = t.path().join("b.json");
        std::fs::write(&j, serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(read(&j).unwrap(), spec);
    }

    #[test]
    fn bad_specs_are_refused_with_the_file_named() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("bad.yaml");
        std::fs::write(&p, "cdiVersion: 0.6.0\nkind: nokind\n").unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("bad.yaml") && e.contains("vendor/class"), "{e}");
        std::fs::write(&p, "cdiVersion: [").unwrap();
        assert!(read(&p).is_err());
    }

    #[test]
    fn qualified_names() {
        assert_eq!(
            parse_qualified("nvidia.com/gpu=all"),
            Some(("nvidia.com/gpu", "all"))
        );
        assert_eq!(parse_qualified("/dev/fuse"), None);
        assert_eq!(parse_qualified("nvidia.com/gpu"), None);
        assert_eq!(parse_qualified("a/b=c:d"), Some(("a/b", "c:d")));
    }
}
