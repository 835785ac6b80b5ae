//! The helper serving a network namespace (slirp4netns or pasta), behind one handle, so a
//! container and a pod's infra process start and stop their network the same way.

use std::path::Path;

use crate::{
    Forwarder, NetworkError, NetworkMode, Pasta, PortMapping, Protocol, Slirp, StartingPasta,
    StartingSlirp,
};

/// A helper that was started and is still configuring the namespace.
pub enum StartingNet {
    /// slirp4netns, the forwarder serving the TCP ports, the ports slirp4netns must publish.
    Slirp(StartingSlirp, Option<Forwarder>, Vec<PortMapping>),
    Pasta(StartingPasta),
}

/// A running helper; stopping or dropping it ends the helper and frees the host ports.
pub enum NetService {
    Slirp(Slirp, Option<Forwarder>),
    Pasta(Pasta),
    /// A container on user-defined networks: its published ports (the veths go with the
    /// container's namespace).
    Bridge(BridgeForwards),
}

/// The published ports of a container on user networks: TCP through burrow's forwarder,
/// which connects from inside the rootless netns to the container's address; UDP through the
/// rootless netns's slirp4netns (`add_hostfwd` to the container's address). Dropping it frees
/// the host ports.
pub struct BridgeForwards {
    forwarder: Option<Forwarder>,
    api_socket: std::path::PathBuf,
    udp_ids: Vec<u64>,
}

impl BridgeForwards {
    /// Publishes `ports` to `guest`, whose network namespace is `rootless_netns`; on a
    /// failure the ones already published are freed again.
    pub fn publish(
        rootless_netns: &Path,
        api_socket: &Path,
        guest: std::net::Ipv4Addr,
        ports: &[PortMapping],
    ) -> Result<BridgeForwards, NetworkError> {
        let mut f = BridgeForwards {
            forwarder: Forwarder::spawn(rootless_netns, guest.into(), ports)?,
            api_socket: api_socket.to_path_buf(),
            udp_ids: Vec::new(),
        };
        for m in ports.iter().filter(|m| m.protocol == Protocol::Udp) {
            f.udp_ids
                .push(crate::slirp::api_add_hostfwd(api_socket, m, guest)?);
        }
        Ok(f)
    }
}

impl Drop for BridgeForwards {
    fn drop(&mut self) {
        for id in self.udp_ids.drain(..) {
            let _ = crate::slirp::api_remove_hostfwd(&self.api_socket, id);
        }
        drop(self.forwarder.take());
    }
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
            // The forwarder first: it binds the host ports, so a taken one fails before
            // slirp4netns is started.
            let (forwarder, via_slirp) = if o.slirp_port_handler {
                (None, ports.to_vec())
            } else {
                let netns = std::path::PathBuf::from(format!("/proc/{netns_pid}/ns/net"));
                let fwd = Forwarder::spawn(&netns, o.container_ip().into(), ports)?;
                let udp = ports.iter().filter(|m| m.protocol == Protocol::Udp);
                (fwd, udp.cloned().collect())
            };
            Some(StartingNet::Slirp(
                Slirp::spawn(netns_pid, &sock, o)?,
                forwarder,
                via_slirp,
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
            StartingNet::Slirp(s, forwarder, ports) => {
                let slirp = s.wait()?;
                for m in &ports {
                    slirp.add_hostfwd(m)?;
                }
                Ok(NetService::Slirp(slirp, forwarder))
            }
            StartingNet::Pasta(p) => Ok(NetService::Pasta(p.wait()?)),
        }
    }
}

impl NetService {
    /// Publishes one more port (slirp4netns only: pasta takes its ports at start).
    pub fn add_hostfwd(&self, m: &PortMapping) -> Result<(), NetworkError> {
        match self {
            NetService::Slirp(s, _) => s.add_hostfwd(m),
            NetService::Pasta(_) => Err(NetworkError::PastaFailed(
                "pasta cannot publish a port after it started".into(),
            )),
            NetService::Bridge(f) => Err(NetworkError::Api {
                path: f.api_socket.clone(),
                why: "a container on a user network takes its ports at start".into(),
            }),
        }
    }

    pub fn stop(self) {
        drop(self)
    }
}
