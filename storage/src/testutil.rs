//! Test helpers: tar archives built in memory with raw (possibly hostile) names, which the
//! tar crate's safe setters would refuse. Test-only; must never be compiled into the library.

use std::io::Write;

use flate2::write::GzEncoder;
use tar::{EntryType, Header};

/// Builds a tar stream entry by entry.
pub struct TarBuilder {
    inner: tar::Builder<Vec<u8>>,
}

fn header(name: &str, kind: EntryType, mode: u32, size: u64) -> Header {
    let mut h = Header::new_ustar();
    let bytes = name.as_bytes();
    assert!(
        bytes.len() < 100,
        "test names must fit the ustar name field"
    );
    h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_600_000_000);
    h
}

impl Default for TarBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TarBuilder {
    pub fn new() -> Self {
        TarBuilder {
            inner: tar::Builder::new(Vec::new()),
        }
    }

    fn push(&mut self, mut h: Header, data: &[u8]) -> &mut Self {
        h.set_cksum();
        self.inner
            .append(&h, data)
            .expect("append to in-memory tar");
        self
    }

    fn with_link(name: &str, kind: EntryType, target: &str) -> Header {
        let mut h = header(name, kind, 0o777, 0);
        let t = target.as_bytes();
        h.as_old_mut().linkname[..t.len()].copy_from_slice(t);
        h
    }

    pub fn dir(&mut self, name: &str, mode: u32) -> &mut Self {
        self.push(header(name, EntryType::Directory, mode, 0), b"")
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.file_with(name, data, 0o644, 0, 0)
    }

    pub fn file_with(
        &mut self,
        name: &str,
        data: &[u8],
        mode: u32,
        uid: u64,
        gid: u64,
    ) -> &mut Self {
        let mut h = header(name, EntryType::Regular, mode, data.len() as u64);
        h.set_uid(uid);
        h.set_gid(gid);
        self.push(h, data)
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.push(Self::with_link(name, EntryType::Symlink, target), b"")
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.push(Self::with_link(name, EntryType::Link, target), b"")
    }

    pub fn device(&mut self, name: &str, kind: EntryType, major: u32, minor: u32) -> &mut Self {
        let mut h = header(name, kind, 0o666, 0);
        h.set_device_major(major).expect("ustar has device fields");
        h.set_device_minor(minor).expect("ustar has device fields");
        self.push(h, b"")
    }

    pub fn finish(&mut self) -> Vec<u8> {
        let inner = std::mem::replace(&mut self.inner, tar::Builder::new(Vec::new()));
        inner.into_inner().expect("finish in-memory tar")
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// An image config JSON with these diff_ids (of the given plain layer tars).
pub fn config_json(layers: &[Vec<u8>], cmd: &str) -> Vec<u8> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| crate::digest::sha256_digest(l))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-02T03:04:05Z",
        "config": {"Cmd": [cmd]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .expect("serialise test config")
}

/// Adds a regular member with an arbitrary name to an outer archive.
pub fn member(b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
    let mut h = Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(EntryType::Regular);
    b.append_data(&mut h, name, data).expect("append member");
}

/// A docker-archive (`docker save` layout) of one image; `gzip_layers` compresses the
/// layer members. Returns (archive, image id).
pub fn docker_archive(
    layers: &[Vec<u8>],
    tags: &[&str],
    gzip_layers: bool,
    cmd: &str,
) -> (Vec<u8>, String) {
    let config = config_json(layers, cmd);
    let id = crate::digest::sha256_hex(&config);
    let mut b = tar::Builder::new(Vec::new());
    let mut names = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let name = format!("layer{i}/layer.tar");
        let data = if gzip_layers { gzip(l) } else { l.clone() };
        member(&mut b, &name, &data);
        names.push(name);
    }
    member(&mut b, &format!("{id}.json"), &config);
    let manifest =
        serde_json::json!([{"Config": format!("{id}.json"), "RepoTags": tags, "Layers": names}]);
    member(&mut b, "manifest.json", manifest.to_string().as_bytes());
    (b.into_inner().expect("finish archive"), id)
}

/// An oci-archive of one image with gzip layers, named by `ref_name` if given.
/// Returns (archive, image id).
pub fn oci_archive(layers: &[Vec<u8>], ref_name: Option<&str>) -> (Vec<u8>, String) {
    use crate::digest::{sha256_digest, sha256_hex};
    let config = config_json(layers, "/bin/oci");
    let mut b = tar::Builder::new(Vec::new());
    member(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    let blob = |b: &mut tar::Builder<Vec<u8>>, data: &[u8]| {
        member(b, &format!("blobs/sha256/{}", sha256_hex(data)), data);
        (sha256_digest(data), data.len())
    };
    let (config_digest, config_size) = blob(&mut b, &config);
    let mut descs = Vec::new();
    for l in layers {
        let (d, size) = blob(&mut b, &gzip(l));
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": size
        }));
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": descs,
    }))
    .expect("serialise manifest");
    let (m_digest, m_size) = blob(&mut b, &manifest);
    let mut desc = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": m_digest, "size": m_size,
    });
    if let Some(n) = ref_name {
        desc["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": n});
    }
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [desc]});
    member(&mut b, "index.json", index.to_string().as_bytes());
    (b.into_inner().expect("finish archive"), sha256_hex(&config))
}

/// Root of the initial user namespace (not merely uid 0 inside a user namespace): only then
/// may tests create devices, set trusted.* xattrs or chown to arbitrary ids.
pub fn real_root() -> bool {
    nix::unistd::Uid::effective().is_root()
        && std::fs::read_to_string("/proc/self/uid_map")
            .is_ok_and(|m| m.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
}

/// The `rootless` values a test can exercise here: real root can do both.
pub fn rootless_modes() -> &'static [bool] {
    if real_root() { &[false, true] } else { &[true] }
}
