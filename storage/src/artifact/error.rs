//! The errors of the artifact store, worded as podman words them.

use std::io;
use std::path::Path;

use crate::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{0}: artifact does not exist")]
    NotFound(String),
    #[error("{0}: artifact already exists")]
    Exists(String),
    #[error("{0}: file already exists in artifact")]
    FileExists(String),
    #[error(
        "duplicate layers org.opencontainers.image.title labels within an artifact not allowed"
    )]
    DuplicateTitle,
    #[error("append option is not compatible with type option")]
    AppendWithType,
    #[error("invalid name: {name:?} cannot contain {c}: artifact blob title invalid")]
    BadTitle { name: String, c: char },
    #[error("the artifact has no blobs, nothing to extract")]
    NoBlobs,
    #[error("cannot specify both digest and title")]
    DigestAndTitle,
    #[error(
        "the artifact consists of several blobs and the target {0:?} is not a directory and neither digest or title was specified to only copy a single blob"
    )]
    SeveralBlobs(String),
    #[error("no blob with the {what} {value:?}")]
    NoSuchBlob { what: &'static str, value: String },
    #[error("more than one match for the {what} {value:?}")]
    AmbiguousBlob { what: &'static str, value: String },
    #[error(
        "{path} is a symbolic link: refusing to write an artifact's file through it, remove it or extract to another directory"
    )]
    SymlinkTarget { path: String },
    #[error("{op} {path}: {message}")]
    Io {
        op: &'static str,
        path: String,
        message: String,
    },
    #[error("invalid artifact {what}: {reason}")]
    Invalid { what: String, reason: String },
    #[error("{0}")]
    Storage(#[from] StorageError),
}

impl ArtifactError {
    /// An I/O error on `path`, in Go's wording (`open /x: no such file or directory`).
    pub fn io(op: &'static str, path: &Path, e: io::Error) -> ArtifactError {
        let message = match e.kind() {
            io::ErrorKind::NotFound => "no such file or directory".to_string(),
            io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            io::ErrorKind::IsADirectory => "is a directory".to_string(),
            _ => {
                let s = e.to_string();
                // "Text (os error N)" -> "text"
                let s = s.split(" (os error").next().unwrap_or(&s).to_string();
                let mut c = s.chars();
                match c.next() {
                    Some(f) => f.to_lowercase().chain(c).collect(),
                    None => s,
                }
            }
        };
        ArtifactError::Io {
            op,
            path: path.display().to_string(),
            message,
        }
    }

    pub fn invalid(what: impl Into<String>, reason: impl std::fmt::Display) -> ArtifactError {
        ArtifactError::Invalid {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}
