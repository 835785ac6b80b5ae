//! Rootless networking: `--network` modes, `-p` port mappings, and the helpers that serve a
//! container's network namespace (slirp4netns with port forwarding through its JSON API
//! socket; passt's pasta), plus the generated /etc/hosts and /etc/resolv.conf.
//! Knows nothing of containers or libpod: it is given a pid whose network namespace to serve.
//!
//! Published TCP ports go through burrow's own forwarder (forward.rs, podman's rootlessport
//! and `port_handler=rootlesskit`); UDP and `slirp4netns:port_handler=slirp4netns` through
//! slirp4netns's API.
//!
//! User-defined networks: `bridge` builds bridges, nftables rules and veth pairs inside the
//! per-user rootless netns (which libpod creates and holds), given pids and addresses.

pub mod bridge;
mod etc;
mod forward;
pub mod helpers;
mod mode;
mod pasta;
mod ports;
mod service;
mod slirp;

pub use etc::{HostEntry, hosts_file, parse_add_host, resolv_conf};
pub use forward::Forwarder;
pub use mode::{DEFAULT_MODE, NetworkMode, SlirpOptions};
pub use pasta::{PASTA_DNS, Pasta, StartingPasta};
pub use ports::{PortMapping, Protocol, check_host_port_free, parse_port, pick_free_port};
pub use service::{BridgeForwards, NetService, StartingNet, start};
pub use slirp::{Slirp, StartingSlirp};

/// The resolver slirp4netns answers on with its default network.
pub const SLIRP_DNS: &str = "10.0.2.3";

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("invalid port mapping \"{spec}\": {why}")]
    InvalidPort { spec: String, why: String },
    #[error("invalid network mode \"{mode}\": {why}")]
    InvalidMode { mode: String, why: String },
    #[error("invalid --add-host \"{spec}\": {why}")]
    InvalidHost { spec: String, why: String },
    #[error("cannot publish host port {addr}: bind: address already in use")]
    PortInUse { addr: String },
    #[error(
        "rootlessport cannot expose privileged port {port}, you can add 'net.ipv4.ip_unprivileged_port_start={port}' to /etc/sysctl.conf (currently {start}), or choose a larger port number (>= {start}): listen {addr}: bind: permission denied"
    )]
    PrivilegedPort { port: u16, start: u16, addr: String },
    #[error("cannot bind host port {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("slirp4netns failed to start: {0}")]
    SlirpFailed(String),
    #[error("pasta failed: {0}")]
    PastaFailed(String),
    #[error("user network: {what}: {why}")]
    Bridge { what: String, why: String },
    #[error("slirp4netns API socket {}: {why}", path.display())]
    Api { path: PathBuf, why: String },
}
