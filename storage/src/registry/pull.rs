//! `pull`: a name -> candidates (registries.conf) -> endpoints (mirrors, location) -> the
//! manifest for this platform -> config -> the missing layers, each downloaded, verified
//! against its digest and size, decompressed and extracted in one streaming pass, several
//! at once -> one atomic commit. A pull that fails or is killed at any point leaves the
//! store as it was (everything is staged in a private work dir, see stage.rs). This module
//! must never commit a blob whose digest or size it has not checked.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use oci_spec::image::{Descriptor, ImageConfiguration, ImageManifest};
use sha2::{Digest, Sha256};

use super::auth::{self, Credentials};
use super::client::{Client, TlsOptions, read_small};
use super::conf::{Endpoint, RegistriesConf};
use super::manifest::{self, Fetched, Platform};
use crate::compression::decompress;
use crate::digest::{chain_ids, parse_sha256, sha256_digest};
use crate::error::StorageError;
use crate::index::Image;
use crate::reference::Reference;
use crate::stage::{ExtractedLayer, PendingImage, Staging};
use crate::store::{Driver, Store};

/// How to reach registries: shared by pull, push and login.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    pub conf: RegistriesConf,
    /// `--tls-verify`: `Some(false)` allows plain HTTP and unverified TLS everywhere.
    pub tls_verify: Option<bool>,
    pub cert_dir: Option<PathBuf>,
    /// `--creds`: used instead of the auth files.
    pub creds: Option<Credentials>,
    /// Auth files to read, in order (podman's list, or `--authfile` alone).
    pub auth_files: Vec<PathBuf>,
    /// policy.json, checked before each fully-qualified name is pulled (none: accept).
    pub policy: Option<super::policy::Policy>,
    /// registries.d: where image signatures are read and written.
    pub lookaside: super::signature::Lookaside,
}

impl RegistryOptions {
    /// A client for an endpoint, with its credentials.
    pub fn client(
        &self,
        registry: &str,
        repository: &str,
        insecure: bool,
    ) -> Result<Client, StorageError> {
        let creds = match &self.creds {
            Some(c) => Some(c.clone()),
            None => auth::lookup(&self.auth_files, registry, repository)?,
        };
        let insecure = match self.tls_verify {
            Some(v) => !v,
            None => insecure || self.conf.is_insecure(registry),
        };
        let tls = TlsOptions {
            insecure,
            cert_dir: self.cert_dir.clone(),
        };
        Client::new(registry, &tls, creds)
    }
}

/// Pull settings.
#[derive(Clone, Debug, Default)]
pub struct PullOptions {
    pub registry: RegistryOptions,
    pub platform: Platform,
    /// Whether stdin/stderr is a terminal (podman's short-name prompt rule).
    pub tty: bool,
}

/// What a pull reports as it goes (the CLI prints it, or not).
pub enum PullEvent<'a> {
    Trying(&'a str),
    BlobExists(&'a str),
    BlobStart { digest: &'a str, size: u64 },
    BlobBytes { digest: &'a str, done: u64 },
    BlobDone(&'a str),
    Config(&'a str),
    Writing,
}

pub trait Reporter: Sync {
    fn event(&self, event: PullEvent<'_>);
}

/// Reports nothing (`-q`).
pub struct Quiet;
impl Reporter for Quiet {
    fn event(&self, _: PullEvent<'_>) {}
}

/// Layers downloaded at once (podman's default is 6; two cores here).
const PARALLEL_LAYERS: usize = 4;
const MAX_CONFIG: u64 = 16 * 1024 * 1024;

/// Pulls `name` (short or fully qualified, by tag or digest) into the store.
pub fn pull(
    store: &Store,
    name: &str,
    opts: &PullOptions,
    report: &dyn Reporter,
) -> Result<Image, StorageError> {
    let candidates = opts.registry.conf.candidates(name, opts.tty)?;
    let mut errors = Vec::new();
    for cand in &candidates {
        report.event(PullEvent::Trying(cand));
        match pull_name(store, cand, opts, report) {
            Ok(img) => return Ok(img),
            Err(e) if candidates.len() == 1 => return Err(e),
            Err(e) => errors.push(format!("{cand}: {e}")),
        }
    }
    Err(StorageError::PullFailed(format!(
        "{name}: no candidate could be pulled: {}",
        errors.join("; ")
    )))
}

/// One fully-qualified name: its endpoints in order (a failing mirror falls through).
fn pull_name(
    store: &Store,
    full: &str,
    opts: &PullOptions,
    report: &dyn Reporter,
) -> Result<Image, StorageError> {
    let signed_by = match &opts.registry.policy {
        Some(p) => p.check_docker(full)?,
        None => Vec::new(),
    };
    let endpoints = opts
        .registry
        .conf
        .endpoints(full, opts.registry.tls_verify == Some(false))?;
    let mut last = None;
    for ep in &endpoints {
        match pull_from(store, full, ep, &signed_by, opts, report) {
            Ok(img) => return Ok(img),
            Err(e) if ep.mirror => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| StorageError::PullFailed(format!("{full}: no endpoint"))))
}

fn pull_from(
    store: &Store,
    full: &str,
    ep: &Endpoint,
    signed_by: &[super::signature::SignedBy],
    opts: &PullOptions,
    report: &dyn Reporter,
) -> Result<Image, StorageError> {
    let r = Reference::parse(full)?;
    let client = opts
        .registry
        .client(&ep.registry, &ep.repository, ep.insecure)?;
    let repo = ep.repository.as_str();
    let reference = r
        .digest
        .clone()
        .or_else(|| r.tag.clone())
        .unwrap_or_else(|| "latest".to_string());

    let (mut bytes, ctype) = client.manifest(repo, &reference, manifest::ACCEPT)?;
    if let Some(d) = &r.digest {
        check_digest(d, &bytes, "manifest")?;
    }
    // Signatures name the manifest the reference points at (a list's own, for a list).
    if !signed_by.is_empty() {
        let digest = sha256_digest(&bytes);
        for req in signed_by {
            super::signature::verify(&opts.registry.lookaside, full, &digest, req)?;
        }
    }
    let image_manifest = match manifest::parse(&bytes, &ctype, full)? {
        Fetched::Image(m) => m,
        Fetched::Index(index) => {
            let digest = manifest::select(&index, &opts.platform, full)?;
            let (b, ctype) = client.manifest(repo, &digest, manifest::ACCEPT)?;
            check_digest(&digest, &b, "manifest")?;
            bytes = b;
            match manifest::parse(&bytes, &ctype, full)? {
                Fetched::Image(m) => m,
                Fetched::Index(_) => {
                    return Err(StorageError::UnsupportedManifest(format!(
                        "{full}: a manifest list inside a manifest list"
                    )));
                }
            }
        }
    };

    // ocicrypt's layers (`...+encrypted`): refused before any blob is fetched, as nothing
    // here can decrypt them and storing the ciphertext as a layer would corrupt the image.
    if let Some(l) = image_manifest
        .layers()
        .iter()
        .find(|l| l.media_type().to_string().ends_with("+encrypted"))
    {
        return Err(StorageError::EncryptedLayer {
            image: full.to_string(),
            digest: l.digest().to_string(),
            media_type: l.media_type().to_string(),
        });
    }
    let config_desc = image_manifest.config();
    let config_digest = config_desc.digest().to_string();
    parse_sha256(&config_digest)?;
    let config_bytes = {
        let body = client.blob(repo, &config_digest)?;
        let mut v = Verifier::new(body, &config_digest, config_desc.size(), None);
        let data = read_small(&mut v, MAX_CONFIG, "image config")?;
        v.finish()?;
        data
    };
    let config: ImageConfiguration =
        serde_json::from_slice(&config_bytes).map_err(|e| StorageError::InvalidJson {
            what: format!("config of {full}"),
            reason: e.to_string(),
        })?;
    let diff_ids = config.rootfs().diff_ids().clone();
    let layers = image_manifest.layers();
    if diff_ids.len() != layers.len() {
        return Err(StorageError::LayerCountMismatch {
            config: config_digest,
            diff_ids: diff_ids.len(),
            layers: layers.len(),
        });
    }
    let chains = chain_ids(&diff_ids)?;

    let mut staging = Staging::new(store)?;
    let mut todo = Vec::new();
    for (i, desc) in layers.iter().enumerate() {
        if staging.has_layer(&chains[i]) {
            report.event(PullEvent::BlobExists(desc.digest().as_ref()));
        } else {
            todo.push(i);
        }
    }
    let job = |i: usize, staging: &Staging<'_>| -> Result<ExtractedLayer, StorageError> {
        let parent = i.checked_sub(1).map(|p| chains[p].as_str());
        fetch_layer(
            &client,
            repo,
            &layers[i],
            parent,
            &diff_ids[i],
            staging,
            report,
        )
    };
    if store.driver() == Driver::Vfs {
        // vfs layers are snapshots of their parent: one after the other, in order.
        for i in todo {
            let l = job(i, &staging)?;
            staging.insert_layer(l);
        }
    } else {
        for l in run_parallel(&todo, &staging, &job)? {
            staging.insert_layer(l);
        }
    }
    report.event(PullEvent::Config(&config_digest));
    report.event(PullEvent::Writing);

    // By digest, podman records no tag: the name is kept as repo@digest.
    let name = match (&r.tag, &r.digest) {
        (None, Some(_)) => full.to_string(),
        _ => full.to_string(),
    };
    staging.add_image(PendingImage {
        config: config_bytes,
        manifest: bytes,
        names: vec![name],
        layers: chains,
        created: config
            .created()
            .as_deref()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
            .map_or_else(Utc::now, |d| d.with_timezone(&Utc)),
    });
    staging
        .commit()?
        .into_iter()
        .next()
        .ok_or_else(|| StorageError::PullFailed(format!("{full}: nothing was stored")))
}

/// Runs `job` over `items` on up to PARALLEL_LAYERS scoped threads; results in item order.
/// The first error wins (the others finish their current layer and stop).
fn run_parallel<'s, F>(
    items: &[usize],
    staging: &Staging<'s>,
    job: &F,
) -> Result<Vec<ExtractedLayer>, StorageError>
where
    F: Fn(usize, &Staging<'s>) -> Result<ExtractedLayer, StorageError> + Sync,
{
    if items.len() <= 1 {
        return items.iter().map(|&i| job(i, staging)).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<ExtractedLayer, StorageError>>>> =
        Mutex::new(items.iter().map(|_| None).collect());
    let failed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..PARALLEL_LAYERS.min(items.len()) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= items.len() || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = job(items[k], staging);
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if let Ok(mut v) = results.lock() {
                        v[k] = Some(r);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let mut out = Vec::new();
    let mut first_err = None;
    for r in results {
        match r {
            Some(Ok(l)) => out.push(l),
            Some(Err(e)) => {
                first_err.get_or_insert(e);
            }
            None => {}
        }
    }
    match first_err {
        Some(e) => Err(e),
        None if out.len() == items.len() => Ok(out),
        None => Err(StorageError::PullFailed(
            "a layer download stopped".to_string(),
        )),
    }
}

/// Downloads, verifies and extracts one layer in a single pass, on two threads: one receives
/// and hashes the compressed bytes, the other inflates, hashes (diff ID) and writes files.
/// Each alone is mostly SHA-256; together they use both cores on one big layer.
fn fetch_layer(
    client: &Client,
    repo: &str,
    desc: &Descriptor,
    parent: Option<&str>,
    diff_id: &str,
    staging: &Staging<'_>,
    report: &dyn Reporter,
) -> Result<ExtractedLayer, StorageError> {
    let digest = desc.digest().to_string();
    parse_sha256(&digest)?;
    report.event(PullEvent::BlobStart {
        digest: &digest,
        size: desc.size(),
    });
    let body = client.blob(repo, &digest)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(CHUNKS_IN_FLIGHT);
    let (received, layer) = std::thread::scope(|s| {
        let digest = &digest;
        let receiver = s.spawn(move || -> Result<(), StorageError> {
            let mut verifier = Verifier::new(body, digest, desc.size(), Some(report));
            loop {
                let mut chunk = vec![0u8; CHUNK];
                match read_up_to(&mut verifier, &mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        chunk.truncate(n);
                        if tx.send(Ok(chunk)).is_err() {
                            // The extracting side stopped: its error is the one to report.
                            return Ok(());
                        }
                    }
                    Err(e) => {
                        let kind = e.kind();
                        let text = e.to_string();
                        let _ = tx.send(Err(io::Error::new(kind, text)));
                        return Err(StorageError::Read {
                            what: format!("blob {digest}"),
                            source: e,
                        });
                    }
                }
            }
            drop(tx);
            verifier.finish()
        });
        let mut stream = ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        };
        let layer = decompress(&mut stream, &format!("layer {digest}"))
            .and_then(|plain| staging.extract_layer(plain, parent, Some(diff_id), digest));
        // Whatever the inflater left (gzip trailer, padding) still counts for the digest.
        let drained = io::copy(&mut stream, &mut io::sink());
        drop(stream);
        let received = receiver.join().unwrap_or_else(|_| {
            Err(StorageError::PullFailed(format!(
                "blob {digest}: download thread failed"
            )))
        });
        (
            received.and(drained.map(|_| ()).map_err(|source| StorageError::Read {
                what: format!("blob {digest}"),
                source,
            })),
            layer,
        )
    });
    // A short or lying blob also breaks the tar: report what really happened.
    received?;
    let layer = layer?;
    report.event(PullEvent::BlobDone(&digest));
    Ok(layer)
}

/// Bytes handed from the receiving thread to the extracting one.
const CHUNK: usize = 256 * 1024;
const CHUNKS_IN_FLIGHT: usize = 16;

/// Fills `buf` as far as the stream allows (fewer bytes only at its end).
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The extracting side of the channel, as a `Read`.
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(c)) => {
                    self.chunk = c;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0), // sender finished
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Hashes and counts a blob while it streams; more bytes than the manifest says is an error
/// at once, and `finish` checks the count and digest.
struct Verifier<'a, R> {
    inner: R,
    digest: String,
    expected: u64,
    count: u64,
    hasher: Sha256,
    report: Option<&'a dyn Reporter>,
    reported: u64,
}

impl<'a, R: Read> Verifier<'a, R> {
    fn new(inner: R, digest: &str, expected: u64, report: Option<&'a dyn Reporter>) -> Self {
        Verifier {
            inner,
            digest: digest.to_string(),
            expected,
            count: 0,
            hasher: Sha256::new(),
            report,
            reported: 0,
        }
    }

    fn finish(mut self) -> Result<(), StorageError> {
        let mut probe = [0u8; 1];
        let extra = self.inner.read(&mut probe).unwrap_or(0);
        if self.count != self.expected || extra > 0 {
            return Err(StorageError::BlobSize {
                digest: self.digest,
                expected: self.expected,
                actual: if extra > 0 {
                    format!("more than {}", self.count)
                } else {
                    self.count.to_string()
                },
            });
        }
        let actual = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        if actual != self.digest {
            return Err(StorageError::BlobDigestMismatch {
                file: self.digest.clone(),
                expected: self.digest,
                actual,
            });
        }
        Ok(())
    }
}

impl<R: Read> Read for Verifier<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!(
                        "blob {} after {} of {} bytes: {e}",
                        self.digest, self.count, self.expected
                    ),
                ));
            }
        };
        self.count += n as u64;
        if self.count > self.expected {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "blob {} is larger than the {} bytes its manifest says",
                    self.digest, self.expected
                ),
            ));
        }
        self.hasher.update(&buf[..n]);
        if let Some(r) = self.report
            && (self.count - self.reported >= 1 << 20 || self.count == self.expected)
        {
            self.reported = self.count;
            r.event(PullEvent::BlobBytes {
                digest: &self.digest,
                done: self.count,
            });
        }
        Ok(n)
    }
}

fn check_digest(expected: &str, bytes: &[u8], what: &str) -> Result<(), StorageError> {
    parse_sha256(expected)?;
    let actual = sha256_digest(bytes);
    if actual != expected {
        return Err(StorageError::BlobDigestMismatch {
            file: what.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

/// The digest of the manifest `name` points to now, without pulling (`--pull newer`).
pub fn remote_digest(name: &str, opts: &PullOptions) -> Result<String, StorageError> {
    let full = opts
        .registry
        .conf
        .candidates(name, opts.tty)?
        .into_iter()
        .next()
        .ok_or_else(|| StorageError::NoSearchRegistries(name.to_string()))?;
    let r = Reference::parse(&full)?;
    let ep = opts
        .registry
        .conf
        .endpoints(&full, opts.registry.tls_verify == Some(false))?
        .pop()
        .ok_or_else(|| StorageError::PullFailed(format!("{full}: no endpoint")))?;
    let client = opts
        .registry
        .client(&ep.registry, &ep.repository, ep.insecure)?;
    let reference = r.digest.or(r.tag).unwrap_or_else(|| "latest".to_string());
    let (bytes, ctype) = client.manifest(&ep.repository, &reference, manifest::ACCEPT)?;
    Ok(match manifest::parse(&bytes, &ctype, &full)? {
        Fetched::Image(_) => sha256_digest(&bytes),
        Fetched::Index(index) => manifest::select(&index, &opts.platform, &full)?,
    })
}

/// The manifest type recorded for an image pulled with `m` (for `inspect`).
pub fn manifest_media_type(m: &ImageManifest) -> String {
    m.media_type()
        .as_ref()
        .map_or_else(|| manifest::OCI_MANIFEST.to_string(), |t| t.to_string())
}
