//! The one error type of the storage crate.
//!
//! Every variant names the file, digest or image involved so that a one-line message is enough
//! to act on. This module must never hide an underlying `io::Error` without saying which path
//! it was about.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("reading {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("unknown storage driver {0:?} (expected \"overlay\", \"fuse-overlayfs\" or \"vfs\")")]
    UnknownDriver(String),
    #[error("fuse-overlayfs could not mount {}: {message}", target.display())]
    MountProgram { target: PathBuf, message: String },
    #[error(
        "storage at {root} was created with driver {recorded}, not {requested}: use --storage-driver {recorded}, or remove that directory to start over"
    )]
    DriverMismatch {
        root: PathBuf,
        recorded: String,
        requested: String,
    },
    #[error("{0}: image not known")]
    ImageNotFound(String),
    #[error("{name}: ambiguous, matches images {candidates}")]
    AmbiguousImage { name: String, candidates: String },
    #[error("invalid reference format {name:?}: {reason}")]
    InvalidReference { name: String, reason: String },
    #[error("invalid digest {0:?}")]
    InvalidDigest(String),
    #[error("not a tar archive (docker-archive, oci-archive or tarball): {0}")]
    NotAnArchive(String),
    #[error("unsupported compression {format} in {what}")]
    UnsupportedCompression { format: &'static str, what: String },
    #[error("archive has neither manifest.json (docker-archive) nor index.json (oci-archive)")]
    MissingManifest,
    #[error("archive is missing {0}")]
    MissingBlob(String),
    #[error("invalid {what}: {reason}")]
    InvalidJson { what: String, reason: String },
    #[error("config digest mismatch for {file}: expected {expected}, got {actual}")]
    ConfigDigestMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("digest mismatch for blob {file}: expected {expected}, got {actual}")]
    BlobDigestMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error(
        "diff_id mismatch for layer {layer}: config says {expected}, layer content is {actual}"
    )]
    DiffIdMismatch {
        layer: String,
        expected: String,
        actual: String,
    },
    #[error("image config {config} lists {diff_ids} diff_ids but the manifest has {layers} layers")]
    LayerCountMismatch {
        config: String,
        diff_ids: usize,
        layers: usize,
    },
    #[error("layer {layer}: entry {entry:?} {reason}")]
    UnsafeEntry {
        layer: String,
        entry: String,
        reason: String,
    },
    #[error(
        "potentially insufficient UIDs or GIDs available in user namespace (requested {uid}:{gid} for {path}): {source}"
    )]
    InsufficientIds {
        uid: u64,
        gid: u64,
        path: PathBuf,
        #[source]
        source: nix::Error,
    },
    #[error("{op} {path}: {source}")]
    Sys {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: nix::Error,
    },
    #[error("invalid change \"{line}\": {reason}")]
    InvalidChange { line: String, reason: String },
    #[error("layer {0} is not in the store")]
    LayerNotFound(String),
    #[error(
        "short-name \"{0}\" did not resolve to an alias and no unqualified-search-registries are defined in registries.conf: use a fully-qualified name such as docker.io/library/NAME"
    )]
    NoSearchRegistries(String),
    #[error(
        "short-name \"{name}\" matches several registries ({candidates}) and short-name resolution is enforced without a TTY: use a fully-qualified name, or set short-name-mode=\"permissive\" in registries.conf"
    )]
    AmbiguousShortName { name: String, candidates: String },
    #[error("{name}: registry {registry} is blocked in registries.conf")]
    RegistryBlocked { name: String, registry: String },
    #[error("pinging container registry {registry}: {message}{hint}")]
    RegistryUnreachable {
        registry: String,
        message: String,
        hint: &'static str,
    },
    #[error("authentication to {registry} failed: unauthorized: {hint}")]
    Unauthorized {
        registry: String,
        hint: &'static str,
    },
    #[error("{registry}: {what}: HTTP {status}: {message}")]
    RegistryStatus {
        registry: String,
        what: String,
        status: u16,
        message: String,
    },
    #[error("{0}: manifest unknown: the registry has no such image, tag or digest")]
    ManifestUnknown(String),
    #[error("invalid platform {0:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64")]
    InvalidPlatform(String),
    #[error(
        "{name}: no image in the manifest list for platform {wanted} (it has {available}): choose one with --platform"
    )]
    NoMatchingPlatform {
        name: String,
        wanted: String,
        available: String,
    },
    #[error("unsupported manifest: {0}")]
    UnsupportedManifest(String),
    #[error(
        "{image}: layer {digest} is encrypted ({media_type}): burrow cannot decrypt image layers, with or without --decryption-key"
    )]
    EncryptedLayer {
        image: String,
        digest: String,
        media_type: String,
    },
    #[error("invalid credentials: {0}")]
    InvalidCredentials(String),
    #[error("blob {digest}: the manifest says {expected} bytes, the registry sent {actual}")]
    BlobSize {
        digest: String,
        expected: u64,
        actual: String,
    },
    #[error("{0}")]
    PullFailed(String),
    #[error(
        "layer {0} has no tar-split record (stored by an older burrow): remove the image and pull or load it again"
    )]
    NoTarSplit(String),
    #[error("making the id-mapped copy of the image at {path}: {reason}")]
    MappedCopy { path: PathBuf, reason: String },
    #[error(
        "the image has files owned by {kind} {id}, which the container's user namespace maps neither directly nor as its overflow id 65534"
    )]
    UnmappedOwner { kind: &'static str, id: u32 },
    #[error("mount path {path} contains ',' or ':' which overlay options cannot carry")]
    InvalidMountPath { path: PathBuf },
    #[error("overlay mount options for {target} exceed one page ({len} bytes, {layers} layers)")]
    MountOptionsTooLong {
        target: PathBuf,
        len: usize,
        layers: usize,
    },
    #[error("invalid image filter {filter:?}: {reason}")]
    InvalidFilter { filter: String, reason: String },
    #[error("{0}: tag not known")]
    TagNotKnown(String),
    #[error(
        "unsupported format {0:?} for saving images: use docker-archive, oci-archive or oci-dir"
    )]
    UnsupportedSaveFormat(String),
    #[error("{0}: image not known")]
    ManifestListUnknown(String),
    #[error("{0}: image is not a manifest list")]
    NotAManifestList(String),
    #[error(
        "image name {name:?} is already associated with image {id:?}: that name is already in use"
    )]
    NameInUse { name: String, id: String },
    #[error("no instance matching digest {digest} found in manifest list {list}")]
    InstanceUnknown { list: String, digest: String },
    #[error("invalid policy in {path:?}: {reason}")]
    InvalidPolicy { path: PathBuf, reason: String },
    #[error("Source image rejected: {0}")]
    PolicyRejected(String),
    #[error("{0}")]
    Signature(String),
    #[error("{0}")]
    InvalidTrust(String),
    #[error("writing {what}: {source}")]
    Write {
        what: String,
        #[source]
        source: io::Error,
    },
}

impl StorageError {
    /// JSON that could not be built or read: `what` names the document.
    pub(crate) fn invalid_json(what: &str, e: impl std::fmt::Display) -> Self {
        StorageError::InvalidJson {
            what: what.to_string(),
            reason: e.to_string(),
        }
    }

    /// An I/O error about `path` while doing `op` ("creating", "reading", ...).
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StorageError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// A failed system call about `path`.
    pub(crate) fn sys(op: &'static str, path: impl Into<PathBuf>, source: nix::Error) -> Self {
        StorageError::Sys {
            op,
            path: path.into(),
            source,
        }
    }
}

/// Attaches a path and an operation to `io::Result`s.
pub(crate) trait IoContext<T> {
    fn ctx(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T, StorageError>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T, StorageError> {
        self.map_err(|e| StorageError::io(op, path, e))
    }
}
