//! `network update`: changes the DNS servers of a user-defined network. Containers on it read
//! them when their resolv.conf is next written, that is at their next start.

use std::net::IpAddr;

use super::Runtime;
use crate::error::Result;
use crate::network_def::{Network, NetworkConfigError};

impl Runtime {
    /// Adds `add` to the network's resolvers (once each, in order) and drops `drop`; every
    /// address is checked before anything is stored.
    pub fn network_update(&self, name: &str, add: &[String], drop: &[String]) -> Result<Network> {
        if add.is_empty() && drop.is_empty() {
            return Err(NetworkConfigError::NothingToUpdate.into());
        }
        let mut n = self.state.lookup_network(name)?;
        for ip in add.iter().chain(drop) {
            if ip.parse::<IpAddr>().is_err() {
                return Err(NetworkConfigError::DnsServer(ip.clone()).into());
            }
        }
        let servers = &mut n.config.dns_servers;
        servers.retain(|s| !drop.contains(s));
        for ip in add {
            if !servers.contains(ip) {
                servers.push(ip.clone());
            }
        }
        self.state.update_network_config(&n.id, &n.config)?;
        Ok(n)
    }

    /// The resolvers of the networks `container_id` is on, in the order it joined them; empty
    /// when none of them has any.
    pub(super) fn network_dns_servers(&self, container_id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in self
            .state
            .container_attachments(container_id)
            .unwrap_or_default()
        {
            let Ok(n) = self.state.lookup_network(&a.network_id) else {
                continue;
            };
            for s in n.config.dns_servers {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }
}
