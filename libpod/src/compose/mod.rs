//! Compose projects, built in: the Compose Specification as docker compose v2 reads it,
//! loaded ([`project`]: files, `.env`, interpolation, merging, `extends`, profiles), planned
//! ([`plan`]: each service's containers as a [`crate::spec::ContainerSpec`]) and driven
//! ([`up`], [`down`], [`ops`]) through the same Runtime calls as the CLI's commands. It never
//! talks to an engine of its own: every container, network, volume, build and secret is made
//! by libpod's ordinary API, labelled `com.docker.compose.*` as docker compose labels them.

pub mod down;
mod extends;
mod file;
pub mod interpolate;
pub mod labels;
pub mod logs;
pub mod merge;
pub mod model;
pub mod ops;
pub mod plan;
pub mod project;
mod toplevel;
pub mod up;

pub use project::{LoadOptions, Project};

/// What went wrong with a compose project.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error(
        "no configuration file provided: not found (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml in {0})"
    )]
    NoFile(String),
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Yaml { file: String, message: String },
    /// A key of the file that compose does not know, or a value of the wrong type.
    #[error("{file}: {at}: {message}")]
    Key {
        file: String,
        at: String,
        message: String,
    },
    #[error("{file}: {at}: {message}")]
    Interpolate {
        file: String,
        at: String,
        message: String,
    },
    #[error("service {service:?}: {message}")]
    Service { service: String, message: String },
    #[error("no such service: {0}")]
    NoSuchService(String),
    #[error("{0}")]
    Other(String),
}

pub type CResult<T> = std::result::Result<T, ComposeError>;
