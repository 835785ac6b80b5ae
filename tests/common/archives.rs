//! Builders for the image archives the image tests feed to `burrow load` and `burrow import`:
//! plain layer tars (including hostile entries the `tar` crate's safe API refuses to write),
//! docker-archives and oci-archives. Digests come from the host's `sha256sum`, so the tests
//! need no hashing crate. Nothing here runs burrow.
#![allow(dead_code)] // each test uses a different part of the builders

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

/// Hex sha256 of `data` (via `sha256sum`).
pub fn sha256_hex(data: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot run sha256sum");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("sha256sum output");
    writer
        .join()
        .expect("sha256sum writer")
        .expect("write to sha256sum");
    assert!(out.status.success(), "sha256sum failed");
    let text = String::from_utf8(out.stdout).expect("sha256sum prints ASCII");
    let hex = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(hex.len(), 64, "unexpected sha256sum output {text:?}");
    hex
}

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// A layer tar written entry by entry. Names are written verbatim into the header (no
/// cleaning), so hostile names such as `../x` or `/x` can be produced.
pub struct LayerBuilder {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for LayerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LayerBuilder {
    pub fn new() -> LayerBuilder {
        LayerBuilder {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    fn append(
        &mut self,
        name: &str,
        kind: tar::EntryType,
        mode: u32,
        owner: (u64, u64),
        link: Option<&str>,
        data: &[u8],
    ) -> &mut Self {
        let mut header = tar::Header::new_gnu();
        {
            // The raw name field: `set_path` would refuse `..` and strip nothing we want kept.
            let gnu = header.as_gnu_mut().expect("gnu header");
            assert!(name.len() < gnu.name.len(), "name too long: {name}");
            gnu.name.fill(0);
            gnu.name[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(link) = link {
                assert!(link.len() < gnu.linkname.len(), "link too long: {link}");
                gnu.linkname.fill(0);
                gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
        }
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(owner.0);
        header.set_gid(owner.1);
        header.set_mtime(946_684_800);
        header.set_size(data.len() as u64);
        header.set_cksum();
        self.builder
            .append(&header, data)
            .expect("append to in-memory tar");
        self
    }

    /// A directory owned by root.
    pub fn dir(&mut self, name: &str, mode: u32) -> &mut Self {
        self.append(name, tar::EntryType::Directory, mode, (0, 0), None, &[])
    }

    /// A regular file owned by root.
    pub fn file(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Self {
        self.file_owned(name, mode, (0, 0), data)
    }

    /// A regular file owned by `owner` (uid, gid).
    pub fn file_owned(
        &mut self,
        name: &str,
        mode: u32,
        owner: (u64, u64),
        data: &[u8],
    ) -> &mut Self {
        self.append(name, tar::EntryType::Regular, mode, owner, None, data)
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.append(
            name,
            tar::EntryType::Symlink,
            0o777,
            (0, 0),
            Some(target),
            &[],
        )
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.append(name, tar::EntryType::Link, 0o644, (0, 0), Some(target), &[])
    }

    /// A character device node (the test uses /dev/null's numbers, 1:3).
    pub fn char_device(&mut self, name: &str, major: u32, minor: u32) -> &mut Self {
        let mut header = tar::Header::new_gnu();
        header.set_path(name).expect("device name");
        header.set_entry_type(tar::EntryType::Char);
        header.set_mode(0o666);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(946_684_800);
        header.set_size(0);
        header.set_device_major(major).expect("major");
        header.set_device_minor(minor).expect("minor");
        header.set_cksum();
        self.builder
            .append(&header, &[][..])
            .expect("append to in-memory tar");
        self
    }

    /// The OCI whiteout `DIR/.wh.NAME`, deleting `DIR/NAME` of the layers below.
    pub fn whiteout(&mut self, dir: &str, name: &str) -> &mut Self {
        let path = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&path, 0o644, b"")
    }

    /// The finished tar.
    pub fn finish(&mut self) -> Vec<u8> {
        let builder = std::mem::replace(&mut self.builder, tar::Builder::new(Vec::new()));
        builder.into_inner().expect("finish in-memory tar")
    }
}

/// An image to pack: its plain (uncompressed) layer tars, bottom first, and its command.
pub struct ImageSpec {
    pub layers: Vec<Vec<u8>>,
    pub cmd: Vec<String>,
}

impl ImageSpec {
    pub fn new(layers: Vec<Vec<u8>>) -> ImageSpec {
        ImageSpec {
            layers,
            cmd: vec!["/bin/sh".to_string()],
        }
    }

    /// The image config JSON; `diff_ids` overrides the computed ones (to forge mismatches).
    pub fn config(&self, diff_ids: Option<Vec<String>>) -> Vec<u8> {
        let diff_ids =
            diff_ids.unwrap_or_else(|| self.layers.iter().map(|l| sha256_digest(l)).collect());
        let config = json!({
            "created": "2024-01-02T03:04:05Z",
            "architecture": goarch(),
            "os": "linux",
            "config": {
                "Cmd": self.cmd,
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": self.layers.iter().map(|_| json!({"created_by": "test"})).collect::<Vec<_>>(),
        });
        serde_json::to_vec(&config).expect("config json")
    }
}

/// The GOARCH name of this machine, as image configs spell it.
pub fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Members of an outer archive: (name, content).
pub type Members = Vec<(String, Vec<u8>)>;

/// A tar of `members` (regular files, owned by root, directories implied).
pub fn pack(members: &Members) -> Vec<u8> {
    let mut b = LayerBuilder::new();
    for (name, data) in members {
        b.file(name, 0o644, data);
    }
    b.finish()
}

/// The members of a docker-archive (`docker save` layout) for `image` tagged `repo_tags`.
/// `config` replaces the config bytes (written under the digest of the *original* config, to
/// forge a config digest mismatch).
pub fn docker_members(image: &ImageSpec, repo_tags: &[&str], config: Option<Vec<u8>>) -> Members {
    let real_config = image.config(None);
    let config_name = format!("{}.json", sha256_hex(&real_config));
    let mut members = Members::new();
    let mut layer_names = Vec::new();
    for layer in &image.layers {
        let name = format!("{}/layer.tar", sha256_hex(layer));
        if !layer_names.contains(&name) {
            members.push((name.clone(), layer.clone()));
        }
        layer_names.push(name);
    }
    members.push((config_name.clone(), config.unwrap_or(real_config)));
    let manifest = json!([{
        "Config": config_name,
        "RepoTags": repo_tags,
        "Layers": layer_names,
    }]);
    members.push((
        "manifest.json".to_string(),
        serde_json::to_vec(&manifest).expect("manifest json"),
    ));
    members
}

/// A docker-archive of `image` tagged `repo_tags`.
pub fn docker_archive(image: &ImageSpec, repo_tags: &[&str]) -> Vec<u8> {
    pack(&docker_members(image, repo_tags, None))
}

/// The members of an oci-archive of `image` (config from `config`, else computed), named by
/// the `org.opencontainers.image.ref.name` annotation when `ref_name` is given.
pub fn oci_members(image: &ImageSpec, ref_name: Option<&str>, config: Option<Vec<u8>>) -> Members {
    let config = config.unwrap_or_else(|| image.config(None));
    let mut members = Members::new();
    let blob = |data: &[u8]| format!("blobs/sha256/{}", sha256_hex(data));
    members.push((
        "oci-layout".to_string(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    let mut layer_descs = Vec::new();
    for layer in &image.layers {
        members.push((blob(layer), layer.clone()));
        layer_descs.push(json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": sha256_digest(layer),
            "size": layer.len(),
        }));
    }
    members.push((blob(&config), config.clone()));
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256_digest(&config),
            "size": config.len(),
        },
        "layers": layer_descs,
    }))
    .expect("manifest json");
    members.push((blob(&manifest), manifest.clone()));
    let mut desc = json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": sha256_digest(&manifest),
        "size": manifest.len(),
    });
    if let Some(name) = ref_name {
        desc["annotations"] = json!({"org.opencontainers.image.ref.name": name});
    }
    let index = json!({"schemaVersion": 2, "manifests": [desc]});
    members.push((
        "index.json".to_string(),
        serde_json::to_vec(&index).expect("index json"),
    ));
    members
}

/// An oci-archive of `image`.
pub fn oci_archive(image: &ImageSpec, ref_name: Option<&str>) -> Vec<u8> {
    pack(&oci_members(image, ref_name, None))
}
