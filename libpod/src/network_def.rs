//! The user-defined network model: what `network create` was told ([`NetworkConfig`], stored
//! as JSON in the `networks` table) and a container's place on one network ([`Attachment`],
//! a row of `container_networks`: its address, MAC, aliases and interface name).
//! Address arithmetic for IPAM lives here too; the allocation itself happens in the state's
//! transaction (see `state::networks`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// What `network create`, `connect`, `disconnect`, `rm` and `--network`/`--ip` at create can
/// refuse (the plumbing in the rootless netns has its own [`network::NetworkError`]).
#[derive(thiserror::Error, Debug)]
pub enum NetworkConfigError {
    #[error(
        "cannot create network with name \"{0}\" because it conflicts with a valid network mode: choose another name"
    )]
    ReservedName(String),
    #[error("unsupported driver {0}: only the bridge driver is available here")]
    Driver(String),
    #[error("network {0} already exists: remove it first (burrow network rm {0}) or pass --ignore")]
    Exists(String),
    #[error("invalid subnet \"{0}\": use an IPv4 CIDR with a prefix of 8 to 30, e.g. 10.90.0.0/24")]
    Subnet(String),
    #[error(
        "subnet {subnet}/{prefix} overlaps 10.0.2.0/24, which the rootless network namespace uses to reach the host: choose another subnet"
    )]
    OverlapsSlirp { subnet: Ipv4Addr, prefix: u8 },
    #[error("--gateway needs --subnet: give the subnet it belongs to")]
    GatewayWithoutSubnet,
    #[error("invalid gateway \"{0}\": not an IPv4 address")]
    Gateway(String),
    #[error(
        "--network bridge: there is no default bridge network here: create one (burrow network create NAME) and use --network NAME"
    )]
    NoDefaultBridge,
    #[error("invalid --ip \"{0}\": not an IPv4 address")]
    Ip(String),
    #[error(
        "--ip can only be used with a single network: connect the others with burrow network connect --ip"
    )]
    IpWithSeveralNetworks,
    #[error(
        "container {container} uses --network {mode}: only a container on user networks can connect to another one"
    )]
    NotOnUserNetworks { container: String, mode: String },
    #[error("container {container} is not connected to network {network}")]
    NotConnected { container: String, network: String },
    #[error("container {0} is on no network: connect it to one (burrow network connect NET {0})")]
    NoNetwork(String),
    /// podman exits 2 for this one (see [`crate::LibpodError::exit_code`]).
    #[error(
        "network {network} is being used by container(s) {}: remove them first, or use -f to remove them too",
        .containers.join(", ")
    )]
    InUse {
        network: String,
        containers: Vec<String>,
    },
    #[error("invalid DNS server \"{0}\": not an IP address")]
    DnsServer(String),
    #[error("network update needs --dns-add or --dns-drop: say what to change")]
    NothingToUpdate,
    #[error("random MAC: {0}")]
    RandomMac(getrandom::Error),
}

/// podman's rootless default subnets start at 10.89.0.0/24 and go up one /24 at a time.
pub const DEFAULT_SUBNET_BASE: Ipv4Addr = Ipv4Addr::new(10, 89, 0, 0);

/// Bridges in the rootless netns are named `burrow1`, `burrow2`, ... (podman: podman1, ...).
pub const BRIDGE_PREFIX: &str = "burrow";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkConfig {
    /// Always "bridge" (the only driver).
    pub driver: String,
    /// The bridge's name in the rootless netns.
    pub interface: String,
    /// "10.89.0.0/24".
    pub subnet: String,
    pub gateway: String,
    pub internal: bool,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    /// The resolvers written into its containers' resolv.conf (`network update --dns-add`);
    /// empty: the rootless netns's own resolver.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<String>,
}

/// One row of the networks table.
#[derive(Clone, Debug)]
pub struct Network {
    pub id: String,
    pub name: String,
    /// Nanoseconds since the epoch.
    pub created: i64,
    pub config: NetworkConfig,
}

impl Network {
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }

    /// The subnet's address and prefix length (validated when the network was created).
    pub fn subnet(&self) -> (Ipv4Addr, u8) {
        parse_cidr(&self.config.subnet).unwrap_or((DEFAULT_SUBNET_BASE, 24))
    }

    pub fn gateway(&self) -> Ipv4Addr {
        self.config
            .gateway
            .parse()
            .unwrap_or_else(|_| nth(self.subnet().0, 1))
    }

    /// What the bridge plumbing needs to build this network.
    pub fn bridge_net(&self) -> network::bridge::BridgeNet {
        let (subnet, prefix) = self.subnet();
        network::bridge::BridgeNet {
            bridge: self.config.interface.clone(),
            subnet,
            prefix,
            gateway: self.gateway(),
            internal: self.config.internal,
        }
    }
}

/// A container's place on one network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub container_id: String,
    pub network_id: String,
    pub network_name: String,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Ipv4Addr,
    pub mac: String,
    pub aliases: Vec<String>,
    /// `eth0`, `eth1`, ... inside the container.
    pub ifname: String,
    /// The bridge of the network in the rootless netns.
    pub bridge: String,
}

impl Attachment {
    /// The veth end left on the bridge: unique per container and interface, 15 bytes at most.
    pub fn host_veth(&self) -> String {
        let id = &self.container_id[..9.min(self.container_id.len())];
        let n = self.ifname.trim_start_matches("eth");
        format!("veth{id}{n}")
    }

    pub fn link(&self, default_route: bool) -> network::bridge::Link {
        network::bridge::Link {
            bridge: self.bridge.clone(),
            host_veth: self.host_veth(),
            ifname: self.ifname.clone(),
            ip: self.ip,
            prefix: self.prefix,
            gateway: self.gateway,
            mac: self.mac.clone(),
            default_route,
        }
    }
}

/// What a container asks of one network at create or connect time.
#[derive(Clone, Debug, Default)]
pub struct AttachRequest {
    pub network_id: String,
    pub aliases: Vec<String>,
    /// `--ip`: a fixed address instead of the next free one.
    pub ip: Option<Ipv4Addr>,
    /// `--mac-address`: a fixed MAC instead of a random one.
    pub mac: Option<String>,
}

pub(crate) fn nth(base: Ipv4Addr, n: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(base).wrapping_add(n))
}

/// "10.89.0.0/24" → (10.89.0.0, 24), host bits cleared; prefixes 8 to 30 (a bridge network
/// needs room for a gateway and a container).
pub fn parse_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (ip, len) = s.split_once('/')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    let len: u8 = len.parse().ok().filter(|l| (8..=30).contains(l))?;
    let mask = u32::MAX << (32 - len);
    Some((Ipv4Addr::from(u32::from(ip) & mask), len))
}

pub fn contains(subnet: (Ipv4Addr, u8), ip: Ipv4Addr) -> bool {
    let mask = u32::MAX << (32 - subnet.1);
    u32::from(ip) & mask == u32::from(subnet.0)
}

pub fn overlaps(a: (Ipv4Addr, u8), b: (Ipv4Addr, u8)) -> bool {
    let len = a.1.min(b.1);
    let mask = u32::MAX << (32 - len);
    u32::from(a.0) & mask == u32::from(b.0) & mask
}

/// The first free address of `subnet` for a container: after the network address, skipping
/// the gateway and every `used` one, before the broadcast address.
pub fn next_free_ip(
    subnet: (Ipv4Addr, u8),
    gateway: Ipv4Addr,
    used: &[Ipv4Addr],
) -> Option<Ipv4Addr> {
    let size = 1u32 << (32 - subnet.1);
    (1..size - 1)
        .map(|n| nth(subnet.0, n))
        .find(|ip| *ip != gateway && !used.contains(ip))
}

/// A random MAC address, locally administered and unicast (as netavark makes them).
pub fn random_mac() -> Result<String> {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).map_err(NetworkConfigError::RandomMac)?;
    b[0] = (b[0] & 0xfe) | 0x02;
    Ok(b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_and_ipam() {
        let s = parse_cidr("10.89.3.77/24").unwrap();
        assert_eq!(s, (Ipv4Addr::new(10, 89, 3, 0), 24));
        assert!(parse_cidr("10.89.3.0").is_none());
        assert!(parse_cidr("10.89.3.0/31").is_none());
        assert!(parse_cidr("300.1.1.1/24").is_none());
        let gw = Ipv4Addr::new(10, 89, 3, 1);
        assert_eq!(next_free_ip(s, gw, &[]), Some(Ipv4Addr::new(10, 89, 3, 2)));
        assert_eq!(
            next_free_ip(s, gw, &[Ipv4Addr::new(10, 89, 3, 2)]),
            Some(Ipv4Addr::new(10, 89, 3, 3))
        );
        let tiny = parse_cidr("10.0.0.0/30").unwrap();
        let used = [Ipv4Addr::new(10, 0, 0, 2)];
        assert_eq!(next_free_ip(tiny, Ipv4Addr::new(10, 0, 0, 1), &used), None);
        assert!(overlaps(s, parse_cidr("10.89.0.0/16").unwrap()));
        assert!(!overlaps(s, parse_cidr("10.89.4.0/24").unwrap()));
        assert!(contains(s, Ipv4Addr::new(10, 89, 3, 254)));
    }

    #[test]
    fn random_macs() {
        let m = random_mac().unwrap();
        assert_eq!(m.len(), 17);
        let first = u8::from_str_radix(&m[..2], 16).unwrap();
        assert_eq!(first & 0x03, 0x02, "{m}");
    }

    #[test]
    fn veth_names_fit() {
        let a = Attachment {
            container_id: "0123456789abcdef".into(),
            network_id: String::new(),
            network_name: String::new(),
            ip: Ipv4Addr::new(10, 89, 0, 2),
            prefix: 24,
            gateway: Ipv4Addr::new(10, 89, 0, 1),
            mac: String::new(),
            aliases: vec![],
            ifname: "eth1".into(),
            bridge: "burrow1".into(),
        };
        assert_eq!(a.host_veth(), "veth0123456781");
        assert!(a.host_veth().len() <= 15);
    }
}
