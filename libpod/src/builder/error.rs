//! The error a build reports: one line for the user and the exit code podman would give.

use crate::error::LibpodError;

/// A build failure as the user sees it: one line, and podman's exit code (125, or a failing
/// RUN's own status).
#[derive(Debug)]
pub struct BuildError {
    pub message: String,
    pub code: i32,
}

impl BuildError {
    pub(super) fn new(message: impl Into<String>) -> BuildError {
        BuildError {
            message: message.into(),
            code: 125,
        }
    }
}

impl From<LibpodError> for BuildError {
    fn from(e: LibpodError) -> BuildError {
        BuildError {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<storage::StorageError> for BuildError {
    fn from(e: storage::StorageError) -> BuildError {
        BuildError::new(e.to_string())
    }
}

pub(super) type BResult<T> = std::result::Result<T, BuildError>;
