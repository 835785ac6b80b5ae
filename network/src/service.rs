//! The helper serving a network namespace (slirp4netns or pasta), behind one handle, so a
//! container and a pod's infra process start and stop their network the same way.

use std::path::Path;

use crate::{NetworkError, NetworkMode, Pasta, PortMapping, Slirp, StartingPasta, StartingSlirp};

/// A helper that was started and is still configuring the namespace.
pub enum StartingNet {
    Slirp(StartingSlirp, Vec<PortMapping>),
    Pasta(StartingPasta),
}

/// A running helper; stopping or dropping it ends the helper and frees the host ports.
pub enum NetService {
    Slirp(Slirp),
    Pasta(Pasta),
}

/// Starts the helper `mode` needs for the namespace of `netns_pid`, without waiting for it
/// (None for modes without a helper: none, host, container:, ns:). `run_dir` holds its API
/// socket or pid file, named after `key`; keep `key` short (a socket path is < 108 bytes).
pub fn start(
    mode: &NetworkMode,
    netns_pid: i32,
    run_dir: &Path,
    key: &str,
    ports: &[PortMapping],
) -> Result<Option<StartingNet>, NetworkError> {
    Ok(match mode {
        NetworkMode::Slirp4netns(o) => {
            let sock = run_dir.join(format!("slirp-{key}.sock"));
            Some(StartingNet::Slirp(
                Slirp::spawn(netns_pid, &sock, o)?,
                ports.to_vec(),
            ))
        }
        NetworkMode::Pasta(args) => {
            let pid_file = run_dir.join(format!("pasta-{key}.pid"));
            Some(StartingNet::Pasta(Pasta::spawn(
                netns_pid, &pid_file, args, ports,
            )?))
        }
        _ => None,
    })
}

impl StartingNet {
    /// Waits until the namespace is configured and the ports are published.
    pub fn wait(self) -> Result<NetService, NetworkError> {
        match self {
            StartingNet::Slirp(s, ports) => {
                let slirp = s.wait()?;
                for m in &ports {
                    slirp.add_hostfwd(m)?;
                }
                Ok(NetService::Slirp(slirp))
            }
            StartingNet::Pasta(p) => Ok(NetService::Pasta(p.wait()?)),
        }
    }
}

impl NetService {
    /// Publishes one more port (slirp4netns only: pasta takes its ports at start).
    pub fn add_hostfwd(&self, m: &PortMapping) -> Result<(), NetworkError> {
        match self {
            NetService::Slirp(s) => s.add_hostfwd(m),
            NetService::Pasta(_) => Err(NetworkError::PastaFailed(
                "pasta cannot publish a port after it started".into(),
            )),
        }
    }

    pub fn stop(self) {
        drop(self)
    }
}
