//! Rootless networking: `-p` port mappings and slirp4netns (user-mode networking for a
//! container's network namespace, with port forwarding through its JSON API socket).
//! Knows nothing of containers or libpod: it is given a pid whose network namespace to serve.

mod ports;
mod slirp;

pub use ports::{PortMapping, Protocol, check_host_port_free, parse_port, pick_free_port};
pub use slirp::{SLIRP_DNS, Slirp};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("invalid port mapping \"{spec}\": {why}")]
    InvalidPort { spec: String, why: String },
    #[error("cannot publish host port {addr}: bind: address already in use")]
    PortInUse { addr: String },
    #[error("cannot bind host port {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("slirp4netns: {what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("slirp4netns failed to start: {0}")]
    SlirpFailed(String),
    #[error("slirp4netns API socket {}: {why}", path.display())]
    Api { path: PathBuf, why: String },
}
