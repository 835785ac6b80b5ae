//! User-defined networks: `network create/ls/inspect/rm/prune/connect/disconnect`, what a
//! container on them needs at start (the rootless netns, its bridges, its veths, its
//! published ports) and name resolution by maintained /etc/hosts files: every running
//! container on a network lists the others by name, alias and short id, and those files are
//! rewritten in place whenever a container starts, stops, connects or disconnects.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use crate::container::{Container, Status};
use crate::error::Result;
use crate::network_def::{AttachRequest, Attachment, Network, NetworkConfigError, parse_cidr};
use crate::rootless_netns::{self, RootlessNetns};
use crate::state::NewNetwork;

use super::{Runtime, names};
use crate::clock::now_nanos;

/// Raw options of `network create`, validated by [`Runtime::network_create`].
#[derive(Clone, Debug, Default)]
pub struct NetworkCreateOptions {
    pub name: Option<String>,
    pub driver: Option<String>,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub internal: bool,
    pub labels: Vec<String>,
    pub options: Vec<String>,
    /// `--ignore`: an existing network of that name is returned as is.
    pub ignore: bool,
}

fn key_values(items: &[String]) -> std::collections::BTreeMap<String, String> {
    items
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// podman's `created` field: RFC 3339 with nanoseconds, in local time.
fn rfc3339(nanos: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(nanos)
        .with_timezone(&chrono::Local)
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, false)
}

impl Runtime {
    pub fn network_create(&self, o: &NetworkCreateOptions) -> Result<Network> {
        let name = match &o.name {
            Some(n) => {
                super::names::validate(super::names::NameKind::Network, n)?;
                n.clone()
            }
            None => {
                // podman's default names: podman1, podman2, ...; ours follow the bridges.
                let taken: Vec<String> =
                    self.state.networks()?.into_iter().map(|n| n.name).collect();
                (1..)
                    .map(|i| format!("burrow{i}"))
                    .find(|n| !taken.contains(n))
                    .unwrap_or_default()
            }
        };
        // `--network host` must keep meaning the mode, as podman refuses these names.
        if matches!(
            name.as_str(),
            "none"
                | "host"
                | "bridge"
                | "private"
                | "slirp4netns"
                | "pasta"
                | "container"
                | "ns"
                | "default"
        ) {
            return Err(NetworkConfigError::ReservedName(name).into());
        }
        if let Some(d) = o.driver.as_deref()
            && d != "bridge"
        {
            return Err(NetworkConfigError::Driver(d.to_string()).into());
        }
        if let Ok(existing) = self.state.lookup_network(&name)
            && existing.name == name
        {
            if o.ignore {
                return Ok(existing);
            }
            return Err(NetworkConfigError::Exists(name).into());
        }
        let subnet = match o.subnet.as_deref() {
            Some(s) => {
                Some(parse_cidr(s).ok_or_else(|| NetworkConfigError::Subnet(s.to_string()))?)
            }
            None => None,
        };
        // The rootless netns reaches out through slirp4netns's own 10.0.2.0/24 on tap0.
        if let Some(sn) = subnet
            && crate::network_def::overlaps(sn, (Ipv4Addr::new(10, 0, 2, 0), 24))
        {
            return Err(NetworkConfigError::OverlapsSlirp {
                subnet: sn.0,
                prefix: sn.1,
            }
            .into());
        }
        let gateway = match o.gateway.as_deref() {
            Some(g) => {
                if subnet.is_none() {
                    return Err(NetworkConfigError::GatewayWithoutSubnet.into());
                }
                Some(
                    g.parse::<Ipv4Addr>()
                        .map_err(|_| NetworkConfigError::Gateway(g.to_string()))?,
                )
            }
            None => None,
        };
        let net = self.state.insert_network(NewNetwork {
            id: names::new_id()?,
            name,
            created: now_nanos(),
            subnet,
            gateway,
            internal: o.internal,
            labels: key_values(&o.labels),
            options: key_values(&o.options),
        })?;
        Ok(net)
    }

    pub fn network(&self, name_or_id: &str) -> Result<Network> {
        self.state.lookup_network(name_or_id)
    }

    pub fn networks(&self) -> Result<Vec<Network>> {
        self.state.networks()
    }

    /// The containers on a network.
    pub fn network_containers(&self, n: &Network) -> Result<Vec<Container>> {
        let mut out = Vec::new();
        for a in self.state.network_attachments(&n.id)? {
            if let Ok(c) = self.state.lookup(&a.container_id) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// `network inspect`'s object, with podman's field names.
    pub fn network_json(&self, n: &Network) -> Result<Value> {
        let mut containers = serde_json::Map::new();
        for a in self.state.network_attachments(&n.id)? {
            let name = self
                .state
                .lookup(&a.container_id)
                .map(|c| c.name)
                .unwrap_or_default();
            containers.insert(
                a.container_id.clone(),
                json!({
                    "name": name,
                    "interfaces": {
                        a.ifname.clone(): {
                            "subnets": [{"ipnet": format!("{}/{}", a.ip, a.prefix), "gateway": a.gateway.to_string()}],
                            "mac_address": a.mac,
                        }
                    }
                }),
            );
        }
        let mut out = json!({
            "name": n.name,
            "id": n.id,
            "driver": n.config.driver,
            "network_interface": n.config.interface,
            "created": rfc3339(n.created),
            "subnets": [{"subnet": n.config.subnet, "gateway": n.config.gateway}],
            "ipv6_enabled": false,
            "internal": n.config.internal,
            // Names are resolved through maintained /etc/hosts files, not a DNS server.
            "dns_enabled": false,
            "labels": n.config.labels,
            "options": n.config.options,
            "ipam_options": {"driver": "host-local"},
            "containers": containers,
        });
        // podman leaves the key out while the network has none.
        if !n.config.dns_servers.is_empty() {
            out["network_dns_servers"] = json!(n.config.dns_servers);
        }
        Ok(out)
    }

    /// `network rm`: refused while containers use it, unless `force`, which removes them.
    pub fn network_remove(&self, name: &str, force: bool) -> Result<()> {
        let n = self.state.lookup_network(name)?;
        let users = self.network_containers(&n)?;
        if !users.is_empty() {
            if !force {
                return Err(NetworkConfigError::InUse {
                    network: n.name,
                    containers: users.iter().map(|c| c.name.clone()).collect(),
                }
                .into());
            }
            for c in &users {
                // An infra container goes only with its pod, as podman removes it.
                if c.config.infra {
                    self.pod_remove(&c.config.pod, true)?;
                } else if self.state.lookup(&c.id).is_ok() {
                    self.remove(&c.id, true, false)?;
                }
            }
        }
        self.state.remove_network(&n.id)?;
        // The bridge and its rules go too, if the rootless netns runs at all.
        if let Some(ns) = rootless_netns::current(&self.paths.run) {
            let (_, _lock) = rootless_netns::ensure(&self.paths.run)?;
            network::bridge::remove_bridge(ns.pid, &n.config.interface)?;
            network::bridge::sync_bridges(ns.pid, &self.bridge_nets()?, true)?;
        }
        Ok(())
    }

    /// The rootless netns, started if need be, with a bridge for every network; the lock
    /// (second) keeps other burrows from changing its links while the caller holds it.
    fn netns_with_bridges(&self) -> Result<(rootless_netns::RootlessNetns, std::fs::File)> {
        let (ns, lock) = rootless_netns::ensure(&self.paths.run)?;
        network::bridge::sync_bridges(ns.pid, &self.bridge_nets()?, false)?;
        Ok((ns, lock))
    }

    /// Every network as the bridge code sees it.
    pub(super) fn bridge_nets(&self) -> Result<Vec<network::bridge::BridgeNet>> {
        Ok(self
            .state
            .networks()?
            .iter()
            .map(Network::bridge_net)
            .collect())
    }

    /// `network prune`: every network no container uses that `keep` does not keep.
    pub fn network_prune(&self, keep: impl Fn(&Network) -> bool) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for n in self.state.networks()? {
            if keep(&n) || !self.state.network_attachments(&n.id)?.is_empty() {
                continue;
            }
            self.network_remove(&n.id, false)?;
            removed.push(n.name);
        }
        Ok(removed)
    }

    /// `--network NAME[,NAME2]` at create: the networks, or None when the flag names a mode
    /// (slirp4netns, pasta, host, ...). An unknown name fails before anything is written.
    pub(super) fn attach_requests(
        &self,
        asked: Option<&str>,
        aliases: &[String],
        ip: Option<&str>,
    ) -> Result<Option<Vec<AttachRequest>>> {
        let Some(asked) = asked else {
            return Ok(None);
        };
        if asked == "bridge" {
            return Err(NetworkConfigError::NoDefaultBridge.into());
        }
        let kind = asked.split(':').next().unwrap_or(asked);
        if matches!(
            kind,
            "none" | "host" | "private" | "slirp4netns" | "pasta" | "container" | "ns"
        ) {
            return Ok(None);
        }
        let ip = match ip {
            Some(s) => Some(
                s.parse::<Ipv4Addr>()
                    .map_err(|_| NetworkConfigError::Ip(s.to_string()))?,
            ),
            None => None,
        };
        let mut out: Vec<AttachRequest> = Vec::new();
        for name in asked.split(',') {
            let n = self.state.lookup_network(name)?;
            if out.iter().any(|r| r.network_id == n.id) {
                continue;
            }
            out.push(AttachRequest {
                network_id: n.id,
                aliases: aliases.to_vec(),
                // podman: --ip applies to the one network given.
                ip: if asked.contains(',') { None } else { ip },
                mac: None,
            });
        }
        if ip.is_some() && out.len() > 1 {
            return Err(NetworkConfigError::IpWithSeveralNetworks.into());
        }
        Ok(Some(out))
    }

    /// Before a container on user networks starts: the rootless netns (created if needed) with
    /// the bridges and rules of every network, and the container's attachments.
    pub(super) fn prepare_user_networks(
        &self,
        c: &Container,
    ) -> Result<(RootlessNetns, Vec<Attachment>)> {
        let attachments = self.state.container_attachments(&c.id)?;
        if attachments.is_empty() {
            return Err(NetworkConfigError::NoNetwork(c.name.clone()).into());
        }
        let (ns, _lock) = self.netns_with_bridges()?;
        Ok((ns, attachments))
    }

    /// In the start gate (the container's namespace exists, its command waits): the veths,
    /// addresses and routes, then the published ports to its first address.
    pub(super) fn attach_user_networks(
        ns: &RootlessNetns,
        attachments: &[Attachment],
        pid: i32,
        ports: &[network::PortMapping],
    ) -> Result<Option<network::NetService>> {
        for (i, a) in attachments.iter().enumerate() {
            network::bridge::attach(ns.pid, pid, &a.link(i == 0))?;
        }
        if ports.is_empty() {
            return Ok(None);
        }
        let guest = attachments[0].ip;
        Ok(Some(network::NetService::Bridge(
            network::BridgeForwards::publish(
                std::path::Path::new(&format!("/proc/{}/ns/net", ns.pid)),
                &ns.api_socket,
                guest,
                ports,
            )?,
        )))
    }

    /// `network connect [--alias A] [--ip IP] NET CTR`; a running container gets its new
    /// interface at once and the names on the network are updated.
    pub fn network_connect(
        &self,
        net: &str,
        ctr: &str,
        aliases: &[String],
        ip: Option<&str>,
    ) -> Result<()> {
        let n = self.state.lookup_network(net)?;
        let c = self.refresh(self.lookup(ctr)?)?;
        if c.config.network != "bridge" {
            return Err(NetworkConfigError::NotOnUserNetworks {
                container: c.name,
                mode: c.config.network,
            }
            .into());
        }
        let ip = match ip {
            Some(s) => Some(
                s.parse::<Ipv4Addr>()
                    .map_err(|_| NetworkConfigError::Ip(s.to_string()))?,
            ),
            None => None,
        };
        let a = self.state.connect_network(
            &c.id,
            &AttachRequest {
                network_id: n.id.clone(),
                aliases: aliases.to_vec(),
                ip,
                mac: None,
            },
        )?;
        if c.status() == Status::Running {
            let attach = || -> Result<()> {
                let (ns, _lock) = self.netns_with_bridges()?;
                network::bridge::attach(ns.pid, c.state.pid, &a.link(false))?;
                Ok(())
            };
            if let Err(e) = attach() {
                let undo = self.state.disconnect_network(&c.id, &n.id);
                return Err(e.with_cleanup(undo.err().into_iter().collect()));
            }
            self.refresh_network_hosts(&c, std::slice::from_ref(&n.id));
        }
        Ok(())
    }

    /// `network disconnect NET CTR`: the interface goes at once from a running container.
    pub fn network_disconnect(&self, net: &str, ctr: &str) -> Result<()> {
        let n = self.state.lookup_network(net)?;
        let c = self.refresh(self.lookup(ctr)?)?;
        let mine = self.state.container_attachments(&c.id)?;
        let Some(a) = mine.iter().find(|a| a.network_id == n.id) else {
            return Err(NetworkConfigError::NotConnected {
                container: c.name,
                network: n.name,
            }
            .into());
        };
        if c.status() == Status::Running
            && let Some(ns) = rootless_netns::current(&self.paths.run)
        {
            network::bridge::detach(ns.pid, &a.host_veth())?;
        }
        self.state.disconnect_network(&c.id, &n.id)?;
        if c.status() == Status::Running {
            self.refresh_network_hosts(&c, std::slice::from_ref(&n.id));
        }
        Ok(())
    }

    /// The ids of the user networks `c` is on (none for other network modes).
    pub(super) fn container_network_ids(&self, c: &Container) -> Vec<String> {
        if c.config.network != "bridge" {
            return Vec::new();
        }
        self.state
            .container_attachments(&c.id)
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.network_id)
            .collect()
    }

    /// `inspect`'s NetworkSettings.Networks of a container, podman's way.
    pub fn container_networks_json(&self, c: &Container) -> Value {
        let running = c.status() == Status::Running;
        let mut map = serde_json::Map::new();
        for a in self.state.container_attachments(&c.id).unwrap_or_default() {
            map.insert(
                a.network_name.clone(),
                json!({
                    "EndpointID": "",
                    "Gateway": if running { a.gateway.to_string() } else { String::new() },
                    "IPAddress": if running { a.ip.to_string() } else { String::new() },
                    "IPPrefixLen": if running { a.prefix } else { 0 },
                    "IPv6Gateway": "",
                    "GlobalIPv6Address": "",
                    "GlobalIPv6PrefixLen": 0,
                    "MacAddress": if running { a.mac.clone() } else { String::new() },
                    "NetworkID": a.network_id,
                    "DriverOpts": null,
                    "IPAMConfig": null,
                    "Links": null,
                    "Aliases": std::iter::once(c.short_id().to_string()).chain(a.aliases.iter().cloned()).collect::<Vec<_>>(),
                }),
            );
        }
        Value::Object(map)
    }

    /// Each container's network names (`ps`'s NETWORKS column).
    pub fn network_names_by_container(
        &self,
    ) -> Result<std::collections::HashMap<String, Vec<String>>> {
        self.state.network_names_by_container()
    }

    /// The /etc/hosts lines naming the other running containers on `c`'s networks: their
    /// address on the shared network, name, aliases there and short id.
    fn peer_host_lines(&self, c: &Container) -> String {
        let mut out = String::new();
        let Ok(mine) = self.state.container_attachments(&c.id) else {
            return out;
        };
        for a in &mine {
            for b in self
                .state
                .network_attachments(&a.network_id)
                .unwrap_or_default()
            {
                if b.container_id == c.id {
                    continue;
                }
                let Ok(peer) = self.state.lookup(&b.container_id) else {
                    continue;
                };
                if peer.status() != Status::Running {
                    continue;
                }
                let mut names = vec![peer.name.clone()];
                names.extend(b.aliases.iter().cloned());
                names.push(peer.short_id().to_string());
                out.push_str(&format!("{}\t{}\n", b.ip, names.join(" ")));
            }
        }
        out
    }

    /// The whole /etc/hosts of a container on user networks: `--add-host` entries, localhost,
    /// its own names on its first network, the other containers, host.containers.internal.
    pub(super) fn user_network_hosts(&self, c: &Container, host_internal: Option<&str>) -> String {
        let extra: Vec<network::HostEntry> = c
            .config
            .add_hosts
            .iter()
            .filter_map(|h| network::parse_add_host(h).ok())
            .map(|mut e| {
                if e.ip == "host-gateway" {
                    e.ip = host_internal.unwrap_or("127.0.0.1").to_string();
                }
                e
            })
            .collect();
        let own = self
            .state
            .container_attachments(&c.id)
            .ok()
            .and_then(|v| v.into_iter().next())
            .map(|a| network::HostEntry {
                ip: a.ip.to_string(),
                names: vec![c.config.hostname.clone(), c.name.clone()],
            });
        let mut text = network::hosts_file(&extra, own.as_ref(), None);
        text.push_str(&self.peer_host_lines(c));
        if let Some(ip) = host_internal {
            text.push_str(&format!(
                "{ip}\thost.containers.internal host.docker.internal\n"
            ));
        }
        text
    }

    /// After `c` started or stopped (or joined or left `extra_networks`): rewrites the hosts
    /// file of `c` and of every running container sharing a network with it. In place (open,
    /// truncate, write): the file is bind-mounted into each container by inode, so a renamed
    /// new file would never be seen. Best effort: a failure leaves a stale name, not an error.
    pub(super) fn refresh_network_hosts(&self, c: &Container, extra_networks: &[String]) {
        if c.config.network != "bridge" {
            return;
        }
        let mut nets: Vec<String> = self
            .state
            .container_attachments(&c.id)
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.network_id)
            .collect();
        nets.extend(extra_networks.iter().cloned());
        let mut todo: Vec<String> = vec![c.id.clone()];
        for n in &nets {
            for b in self.state.network_attachments(n).unwrap_or_default() {
                if !todo.contains(&b.container_id) {
                    todo.push(b.container_id);
                }
            }
        }
        // A container that left the network is no longer its member but still needs its
        // own file rewritten (done above through todo[0]).
        let host_internal = super::process::local_ip();
        for id in todo {
            let Ok(peer) = self.state.lookup(&id) else {
                continue;
            };
            if peer.status() != Status::Running {
                continue;
            }
            let path = self.paths.userdata_dir(&peer.id).join("hosts");
            if !path.exists() {
                continue;
            }
            let text = self.user_network_hosts(&peer, host_internal.as_deref());
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
        }
    }
}
