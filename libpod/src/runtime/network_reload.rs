//! `network reload`: what a firewall reload wipes, loaded again. A bridge container's
//! network lives in the rootless netns (its bridges and nftables table); slirp4netns and
//! pasta keep their own state, which nothing outside can wipe, so podman refuses them.

use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::rootless_netns;

use super::Runtime;

impl Runtime {
    /// Reloads the network of a running (or initialized) bridge container, as podman's
    /// ReloadNetwork; the error says why not for any other.
    pub fn network_reload(&self, name: &str) -> Result<Container> {
        let c = self.lookup(name)?;
        if !matches!(c.status(), Status::Running | Status::Initialized) {
            return Err(LibpodError::InvalidState(
                "cannot reload network unless container network has been configured: container state improper".into(),
            ));
        }
        if c.config.network_mode()? != network::NetworkMode::Bridge {
            return Err(LibpodError::InvalidState(format!(
                "{:?} is not supported: invalid network mode",
                c.config.network
            )));
        }
        // The netns runs while a bridge container does; its lock serializes with `run`.
        if rootless_netns::current(&self.paths.run).is_some() {
            let (ns, _lock) = rootless_netns::ensure(&self.paths.run)?;
            network::bridge::sync_bridges(ns.pid, &self.bridge_nets()?, true)?;
        }
        Ok(c)
    }
}
