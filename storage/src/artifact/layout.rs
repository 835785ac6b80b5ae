//! The artifact store on disk: an OCI image layout (`oci-layout`, `index.json`,
//! `blobs/sha256/`) under `ROOT/artifacts`, guarded by `index.lock` (shared for reads,
//! exclusive for changes). A change writes its blobs first, then swaps `index.json` by rename;
//! nothing is ever visible half-written. It must never remove a blob that a listed manifest
//! still names.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;

use super::{
    AddFile, AddOptions, Artifact, ArtifactError, ArtifactManifest, CREATED, Descriptor,
    EMPTY_DATA, EMPTY_DIGEST, EMPTY_MEDIA_TYPE, TITLE, detect_media_type,
};
use crate::digest::{HashingReader, is_hex64, sha256_digest};
use crate::registry::manifest::OCI_MANIFEST;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Largest manifest read back from the store.
const MAX_MANIFEST: u64 = 4 << 20;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `ROOT/artifacts`.
pub struct ArtifactStore {
    dir: PathBuf,
}

/// Held while the store is read or changed.
pub(crate) struct Lock(#[allow(dead_code)] File);

/// `index.json`'s entries: the name and manifest descriptor of each artifact, in order.
type Entries = Vec<(String, Descriptor)>;

impl ArtifactStore {
    /// The store of the image store at `root`; nothing is created until something is added.
    pub fn new(root: &Path) -> ArtifactStore {
        ArtifactStore {
            dir: root.join("artifacts"),
        }
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// `blobs/sha256/HEX` of a digest (refused unless it is a sha256 digest).
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf, ArtifactError> {
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|h| is_hex64(h))
            .ok_or_else(|| ArtifactError::invalid("digest", format!("{digest:?}")))?;
        Ok(self.dir.join("blobs/sha256").join(hex))
    }

    /// A shared lock, or `None` when the store was never created (nothing to read).
    pub(crate) fn read_lock(&self) -> Result<Option<Lock>, ArtifactError> {
        let path = self.dir.join("index.lock");
        match File::open(&path) {
            Ok(f) => {
                f.lock_shared()
                    .map_err(|e| ArtifactError::io("lock", &path, e))?;
                Ok(Some(Lock(f)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ArtifactError::io("open", &path, e)),
        }
    }

    /// The exclusive lock, creating the layout on first use. Leftovers of killed commands in
    /// `tmp/` are removed: no one else writes there while this lock is held.
    pub(crate) fn write_lock(&self) -> Result<Lock, ArtifactError> {
        for d in [self.dir.join("blobs/sha256"), self.tmp_dir()] {
            fs::create_dir_all(&d).map_err(|e| ArtifactError::io("create", &d, e))?;
        }
        let path = self.dir.join("index.lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ArtifactError::io("open", &path, e))?;
        f.lock().map_err(|e| ArtifactError::io("lock", &path, e))?;
        if let Ok(rd) = fs::read_dir(self.tmp_dir()) {
            for e in rd.flatten() {
                let _ = fs::remove_file(e.path());
            }
        }
        let layout = self.dir.join("oci-layout");
        if !layout.exists() {
            self.write_atomic(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        Ok(Lock(f))
    }

    fn tmp_file(&self) -> PathBuf {
        self.tmp_dir().join(format!(
            "{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// Writes `path` whole or not at all (temp file in `tmp/`, fsync, rename).
    fn write_atomic(&self, path: &Path, data: &[u8]) -> Result<(), ArtifactError> {
        let tmp = self.tmp_file();
        let mut f = File::create(&tmp).map_err(|e| ArtifactError::io("create", &tmp, e))?;
        f.write_all(data)
            .and_then(|_| f.sync_all())
            .map_err(|e| ArtifactError::io("write", &tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| ArtifactError::io("rename", path, e))
    }

    /// Stores a blob read from `r`; with `expected`, the content must hash to it.
    /// Returns (digest, size).
    pub(crate) fn put_blob(
        &self,
        r: impl Read,
        expected: Option<&str>,
        what: &str,
    ) -> Result<(String, u64), ArtifactError> {
        let tmp = self.tmp_file();
        let mut f = File::create(&tmp).map_err(|e| ArtifactError::io("create", &tmp, e))?;
        let mut hashing = HashingReader::new(r);
        let copied = io::copy(&mut hashing, &mut f).and_then(|_| f.sync_all());
        if let Err(e) = copied {
            let _ = fs::remove_file(&tmp);
            return Err(ArtifactError::invalid(what, format!("reading: {e}")));
        }
        let (digest, size) = hashing
            .finish()
            .map_err(|e| ArtifactError::invalid(what, e))?;
        if let Some(want) = expected
            && want != digest
        {
            let _ = fs::remove_file(&tmp);
            return Err(ArtifactError::invalid(
                what,
                format!("content has digest {digest}, expected {want}"),
            ));
        }
        let path = self.blob_path(&digest)?;
        fs::rename(&tmp, &path).map_err(|e| ArtifactError::io("rename", &path, e))?;
        Ok((digest, size))
    }

    pub(crate) fn put_bytes(&self, data: &[u8]) -> Result<String, ArtifactError> {
        let digest = sha256_digest(data);
        let path = self.blob_path(&digest)?;
        if !path.exists() {
            self.write_atomic(&path, data)?;
        }
        Ok(digest)
    }

    pub(crate) fn has_blob(&self, digest: &str) -> bool {
        self.blob_path(digest).is_ok_and(|p| p.is_file())
    }

    fn entries(&self) -> Result<Entries, ArtifactError> {
        let path = self.index_path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ArtifactError::io("read", &path, e)),
        };
        let index: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ArtifactError::invalid(path.display().to_string(), e))?;
        let mut out = Vec::new();
        for m in index
            .get("manifests")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
        {
            let d: Descriptor = serde_json::from_value(m.clone())
                .map_err(|e| ArtifactError::invalid(path.display().to_string(), e))?;
            let name = d.annotations.get(REF_NAME).cloned().unwrap_or_default();
            out.push((name, d));
        }
        Ok(out)
    }

    fn write_entries(&self, entries: &Entries) -> Result<(), ArtifactError> {
        let index = json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": entries.iter().map(|(_, d)| d).collect::<Vec<_>>(),
        });
        let bytes = serde_json::to_vec(&index).map_err(|e| ArtifactError::invalid("index", e))?;
        self.write_atomic(&self.index_path(), &bytes)
    }

    fn load(&self, name: &str, d: &Descriptor) -> Result<Artifact, ArtifactError> {
        let path = self.blob_path(&d.digest)?;
        let f = File::open(&path).map_err(|e| ArtifactError::io("open", &path, e))?;
        let mut bytes = Vec::new();
        f.take(MAX_MANIFEST)
            .read_to_end(&mut bytes)
            .map_err(|e| ArtifactError::io("read", &path, e))?;
        let manifest: ArtifactManifest = serde_json::from_slice(&bytes)
            .map_err(|e| ArtifactError::invalid(format!("manifest of {name}"), e))?;
        Ok(Artifact {
            name: name.to_string(),
            digest: d.digest.clone(),
            manifest,
        })
    }

    pub(crate) fn list_unlocked(&self) -> Result<Vec<Artifact>, ArtifactError> {
        self.entries()?
            .iter()
            .map(|(n, d)| self.load(n, d))
            .collect()
    }

    /// Every artifact, in the order they were stored.
    pub fn list(&self) -> Result<Vec<Artifact>, ArtifactError> {
        let Some(_lock) = self.read_lock()? else {
            return Ok(Vec::new());
        };
        self.list_unlocked()
    }

    /// By exact name first, then by full or partial manifest digest (podman's order).
    pub(crate) fn find(all: &[Artifact], name_or_digest: &str) -> Result<Artifact, ArtifactError> {
        if let Some(a) = all.iter().find(|a| a.name == name_or_digest) {
            return Ok(a.clone());
        }
        let hex = name_or_digest
            .strip_prefix("sha256:")
            .unwrap_or(name_or_digest);
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hit = all.iter().find(|a| {
                a.digest
                    .strip_prefix("sha256:")
                    .is_some_and(|h| h.starts_with(hex))
            });
            if let Some(a) = hit {
                return Ok(a.clone());
            }
        }
        Err(ArtifactError::NotFound(name_or_digest.to_string()))
    }

    /// One artifact by name or digest.
    pub fn lookup(&self, name_or_digest: &str) -> Result<Artifact, ArtifactError> {
        let _lock = self.read_lock()?;
        Self::find(&self.list_unlocked()?, name_or_digest)
    }

    /// Records `manifest` under `name` (replacing an artifact of that name) and returns its
    /// digest. Its blobs must already be stored. Caller holds the write lock.
    pub(crate) fn commit(
        &self,
        name: &str,
        manifest_bytes: &[u8],
        media_type: &str,
    ) -> Result<String, ArtifactError> {
        let digest = self.put_bytes(manifest_bytes)?;
        let mut entries = self.entries()?;
        let descriptor = Descriptor {
            media_type: media_type.to_string(),
            digest: digest.clone(),
            size: manifest_bytes.len() as u64,
            annotations: BTreeMap::from([(REF_NAME.to_string(), name.to_string())]),
            ..Descriptor::default()
        };
        match entries.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = descriptor,
            None => entries.push((name.to_string(), descriptor)),
        }
        self.write_entries(&entries)?;
        self.collect_garbage(&entries);
        Ok(digest)
    }

    /// `artifact add`: returns the new manifest's digest.
    pub fn add(
        &self,
        name: &str,
        files: &[AddFile],
        opts: &AddOptions,
    ) -> Result<String, ArtifactError> {
        if opts.append && opts.artifact_type.is_some() {
            return Err(ArtifactError::AppendWithType);
        }
        crate::reference::Reference::parse(name)?;
        // Every file is checked before anything is written.
        for f in files {
            let meta = fs::metadata(&f.path).map_err(|e| ArtifactError::io("stat", &f.path, e))?;
            if meta.is_dir() {
                return Err(ArtifactError::io(
                    "read",
                    &f.path,
                    io::Error::from(io::ErrorKind::IsADirectory),
                ));
            }
        }
        let _lock = self.write_lock()?;
        let all = self.list_unlocked()?;
        let existing = Self::find(&all, name).ok().filter(|a| a.name == name);
        let mut manifest = match (&existing, opts.append) {
            (Some(a), true) => a.manifest.clone(),
            (None, true) => return Err(ArtifactError::NotFound(name.to_string())),
            (Some(_), false) if !opts.replace => {
                return Err(ArtifactError::Exists(name.to_string()));
            }
            _ => {
                let mut annotations = opts.annotations.clone();
                annotations.insert(
                    CREATED.to_string(),
                    crate::timefmt::rfc3339_nano(chrono::Utc::now()),
                );
                ArtifactManifest {
                    schema_version: 2,
                    media_type: OCI_MANIFEST.to_string(),
                    artifact_type: opts.artifact_type.clone().filter(|t| !t.is_empty()),
                    config: Descriptor {
                        media_type: EMPTY_MEDIA_TYPE.to_string(),
                        digest: EMPTY_DIGEST.to_string(),
                        size: EMPTY_DATA.len() as u64,
                        data: Some("e30=".to_string()),
                        ..Descriptor::default()
                    },
                    layers: Vec::new(),
                    subject: None,
                    annotations,
                }
            }
        };
        let mut names: HashSet<String> = manifest
            .layers
            .iter()
            .filter_map(|l| l.title().map(str::to_string))
            .collect();
        for f in files {
            if !names.insert(f.name.clone()) {
                return Err(ArtifactError::FileExists(f.name.clone()));
            }
        }
        if let Some(title) = opts.annotations.get(TITLE)
            && (files.len() > 1 || manifest.layers.iter().any(|l| l.title() == Some(title)))
        {
            return Err(ArtifactError::DuplicateTitle);
        }
        for f in files {
            let mut annotations = opts.annotations.clone();
            annotations
                .entry(TITLE.to_string())
                .or_insert_with(|| f.name.clone());
            let media_type = match &opts.file_type {
                Some(t) if !t.is_empty() => t.clone(),
                _ => detect_media_type(&f.path)?,
            };
            let file = File::open(&f.path).map_err(|e| ArtifactError::io("open", &f.path, e))?;
            let (digest, size) = self.put_blob(file, None, &f.path.display().to_string())?;
            manifest.layers.push(Descriptor {
                media_type,
                digest,
                size,
                annotations,
                ..Descriptor::default()
            });
        }
        self.put_bytes(EMPTY_DATA)?;
        let bytes = serde_json::to_vec(&manifest)
            .map_err(|e| ArtifactError::invalid(format!("manifest of {name}"), e))?;
        self.commit(name, &bytes, OCI_MANIFEST)
    }

    /// `artifact rm`: returns the removed manifest's digest.
    pub fn remove(&self, name_or_digest: &str) -> Result<String, ArtifactError> {
        if !self.index_path().exists() {
            return Err(ArtifactError::NotFound(name_or_digest.to_string()));
        }
        let _lock = self.write_lock()?;
        let a = Self::find(&self.list_unlocked()?, name_or_digest)?;
        let mut entries = self.entries()?;
        entries.retain(|(n, _)| n != &a.name);
        self.write_entries(&entries)?;
        self.collect_garbage(&entries);
        Ok(a.digest)
    }

    /// Removes blobs no listed manifest names (left by removals, replacements, appends and
    /// killed commands). Best effort: a blob that stays is only wasted space.
    fn collect_garbage(&self, entries: &Entries) {
        let mut keep: HashSet<String> = HashSet::new();
        for (n, d) in entries {
            keep.insert(d.digest.clone());
            match self.load(n, d) {
                Ok(a) => {
                    keep.insert(a.manifest.config.digest.clone());
                    keep.extend(a.manifest.layers.iter().map(|l| l.digest.clone()));
                }
                // An unreadable manifest: keep everything rather than guess.
                Err(_) => return,
            }
        }
        let Ok(rd) = fs::read_dir(self.dir.join("blobs/sha256")) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !keep.contains(&format!("sha256:{name}")) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, data: &[u8]) -> AddFile {
        let p = dir.join(name);
        fs::write(&p, data).unwrap();
        AddFile::new(&p)
    }

    #[test]
    fn add_append_remove_collects_blobs() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ArtifactStore::new(tmp.path());
        assert!(store.list().unwrap().is_empty());
        let a = file(tmp.path(), "a.txt", b"hello\n");
        let b = file(tmp.path(), "b.bin", b"\x00\x01");
        let d1 = store
            .add(
                "localhost/t/one:1",
                std::slice::from_ref(&a),
                &AddOptions::default(),
            )
            .unwrap();
        let again = store.add(
            "localhost/t/one:1",
            std::slice::from_ref(&a),
            &AddOptions::default(),
        );
        assert!(matches!(again, Err(ArtifactError::Exists(_))));
        let app = AddOptions {
            append: true,
            ..AddOptions::default()
        };
        assert!(matches!(
            store.add("localhost/t/one:1", std::slice::from_ref(&a), &app),
            Err(ArtifactError::FileExists(_))
        ));
        let d2 = store.add("localhost/t/one:1", &[b], &app).unwrap();
        assert_ne!(d1, d2);
        let art = store.lookup(&d2[7..19]).unwrap();
        assert_eq!(art.manifest.layers.len(), 2);
        assert_eq!(
            art.manifest.layers[0].media_type,
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            art.manifest.layers[1].media_type,
            "application/octet-stream"
        );
        assert_eq!(art.total_size(), 8);
        assert!(art.created().is_some());
        // The old manifest went with the append.
        assert!(!store.blob_path(&d1).unwrap().exists());
        assert_eq!(store.remove("localhost/t/one:1").unwrap(), d2);
        let left = fs::read_dir(tmp.path().join("artifacts/blobs/sha256"))
            .unwrap()
            .count();
        assert_eq!(left, 0);
        assert!(matches!(
            store.remove("localhost/t/one:1"),
            Err(ArtifactError::NotFound(_))
        ));
    }

    #[test]
    fn missing_file_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ArtifactStore::new(tmp.path());
        let e = store
            .add(
                "localhost/t/x",
                &[AddFile::new(&tmp.path().join("nope"))],
                &AddOptions::default(),
            )
            .unwrap_err();
        assert!(e.to_string().ends_with("nope: no such file or directory"));
        assert!(!tmp.path().join("artifacts").exists());
    }
}
