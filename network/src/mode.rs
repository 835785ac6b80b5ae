//! `--network MODE` as podman spells it: none, host, slirp4netns[:OPTIONS], pasta[:OPTIONS],
//! container:NAME, ns:PATH. Parsed at create (so a typo fails there) and again at start.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::NetworkError;

/// The mode a rootless container gets when `--network` is not given.
pub const DEFAULT_MODE: &str = "slirp4netns";

/// slirp4netns's options (podman's `slirp4netns:OPT=VAL,...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlirpOptions {
    /// Let the container reach the host's loopback through the gateway address (10.0.2.2).
    pub allow_host_loopback: bool,
    pub enable_ipv6: bool,
    /// The network slirp4netns serves; the container gets .100, the gateway .2, DNS .3.
    pub cidr: (Ipv4Addr, u8),
    pub mtu: u32,
    pub outbound_addr: Option<String>,
    pub outbound_addr6: Option<String>,
    /// `port_handler=slirp4netns`: publish TCP ports through slirp4netns's API rather than
    /// burrow's forwarder (podman's `rootlesskit` default; see forward.rs).
    pub slirp_port_handler: bool,
}

impl Default for SlirpOptions {
    fn default() -> Self {
        SlirpOptions {
            allow_host_loopback: false,
            enable_ipv6: false,
            cidr: (Ipv4Addr::new(10, 0, 2, 0), 24),
            // podman's default MTU for slirp4netns.
            mtu: 65520,
            outbound_addr: None,
            outbound_addr6: None,
            slirp_port_handler: false,
        }
    }
}

impl SlirpOptions {
    fn nth(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.cidr.0) + n)
    }
    /// The container's address (`--configure` gives it .100 of the network).
    pub fn container_ip(&self) -> Ipv4Addr {
        self.nth(100)
    }
    /// The gateway, which is also the host's loopback when `allow_host_loopback`.
    pub fn gateway(&self) -> Ipv4Addr {
        self.nth(2)
    }
    /// slirp4netns's built-in resolver, forwarding to the host's.
    pub fn dns(&self) -> Ipv4Addr {
        self.nth(3)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkMode {
    /// A network namespace with loopback only.
    None,
    /// The host's network namespace.
    Host,
    Slirp4netns(SlirpOptions),
    /// passt's `pasta`, with extra arguments passed through as podman does.
    Pasta(Vec<String>),
    /// The network namespace of another container (by name or id).
    Container(String),
    /// An existing network namespace file.
    Ns(PathBuf),
    /// User-defined networks (`--network NAME[,NAME2]`): which ones is the engine's record,
    /// the stored mode only says "bridge".
    Bridge,
}

fn bad(mode: &str, why: impl Into<String>) -> NetworkError {
    NetworkError::InvalidMode {
        mode: mode.to_string(),
        why: why.into(),
    }
}

fn parse_bool(mode: &str, key: &str, v: &str) -> Result<bool, NetworkError> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(
            mode,
            format!("{key} must be true or false, not \"{v}\""),
        )),
    }
}

fn parse_slirp(mode: &str, opts: &str) -> Result<SlirpOptions, NetworkError> {
    let mut o = SlirpOptions::default();
    for kv in opts.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| bad(mode, format!("option \"{kv}\" must be KEY=VALUE")))?;
        match k {
            "allow_host_loopback" => o.allow_host_loopback = parse_bool(mode, k, v)?,
            "enable_ipv6" => o.enable_ipv6 = parse_bool(mode, k, v)?,
            "port_handler" => {
                o.slirp_port_handler = v == "slirp4netns";
                if !matches!(v, "slirp4netns" | "rootlesskit") {
                    return Err(bad(
                        mode,
                        format!("port_handler must be slirp4netns or rootlesskit, not \"{v}\""),
                    ));
                }
            }
            "cidr" => {
                let (ip, len) = v
                    .split_once('/')
                    .ok_or_else(|| bad(mode, format!("cidr \"{v}\" must be ADDRESS/LENGTH")))?;
                let ip: Ipv4Addr = ip
                    .parse()
                    .map_err(|_| bad(mode, format!("cidr \"{v}\": not an IPv4 address")))?;
                let len: u8 = len
                    .parse()
                    .ok()
                    .filter(|l| (1..=25).contains(l))
                    .ok_or_else(|| {
                        bad(mode, format!("cidr \"{v}\": prefix length must be 1 to 25"))
                    })?;
                let mask = u32::MAX << (32 - len);
                o.cidr = (Ipv4Addr::from(u32::from(ip) & mask), len);
            }
            "mtu" => {
                o.mtu = v
                    .parse()
                    .ok()
                    .filter(|m| (68..=65521).contains(m))
                    .ok_or_else(|| bad(mode, format!("mtu \"{v}\" must be 68 to 65521")))?;
            }
            "outbound_addr" => o.outbound_addr = Some(v.to_string()),
            "outbound_addr6" => o.outbound_addr6 = Some(v.to_string()),
            _ => {
                return Err(bad(
                    mode,
                    format!(
                        "unknown slirp4netns option \"{k}\": use allow_host_loopback, cidr, enable_ipv6, mtu, outbound_addr, outbound_addr6 or port_handler"
                    ),
                ));
            }
        }
    }
    Ok(o)
}

impl NetworkMode {
    pub fn parse(mode: &str) -> Result<NetworkMode, NetworkError> {
        let (kind, opts) = match mode.split_once(':') {
            Some((k, o)) => (k, Some(o)),
            None => (mode, None),
        };
        match (kind, opts) {
            ("none", None) => Ok(NetworkMode::None),
            ("host", None) => Ok(NetworkMode::Host),
            // podman's "private" is the default network.
            ("private", None) => NetworkMode::parse(DEFAULT_MODE),
            ("slirp4netns", o) => Ok(NetworkMode::Slirp4netns(parse_slirp(
                mode,
                o.unwrap_or(""),
            )?)),
            ("pasta", o) => Ok(NetworkMode::Pasta(
                o.unwrap_or("")
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            )),
            ("container", Some(name)) if !name.is_empty() => {
                Ok(NetworkMode::Container(name.to_string()))
            }
            ("container", _) => Err(bad(mode, "use container:NAME")),
            ("ns", Some(path)) if path.starts_with('/') => Ok(NetworkMode::Ns(path.into())),
            ("ns", _) => Err(bad(mode, "use ns:PATH with an absolute path")),
            ("none" | "host", Some(_)) => Err(bad(mode, format!("{kind} takes no options"))),
            ("bridge", None) => Ok(NetworkMode::Bridge),
            _ => Err(bad(
                mode,
                "use none, host, slirp4netns[:OPTIONS], pasta[:OPTIONS], container:NAME or ns:PATH",
            )),
        }
    }

    /// A helper process (slirp4netns, pasta) serves the container's own network namespace,
    /// so `-p` can be honoured.
    pub fn can_publish(&self) -> bool {
        matches!(
            self,
            NetworkMode::Slirp4netns(_) | NetworkMode::Pasta(_) | NetworkMode::Bridge
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(NetworkMode::parse("none").unwrap(), NetworkMode::None);
        assert_eq!(NetworkMode::parse("host").unwrap(), NetworkMode::Host);
        // The stored mode of a container on user networks (which ones: the engine's record).
        assert_eq!(NetworkMode::parse("bridge").unwrap(), NetworkMode::Bridge);
        assert!(NetworkMode::parse("bridge").unwrap().can_publish());
        assert_eq!(
            NetworkMode::parse("private").unwrap(),
            NetworkMode::Slirp4netns(SlirpOptions::default())
        );
        assert_eq!(
            NetworkMode::parse("container:web").unwrap(),
            NetworkMode::Container("web".into())
        );
        assert_eq!(
            NetworkMode::parse("pasta:-t,8080").unwrap(),
            NetworkMode::Pasta(vec!["-t".into(), "8080".into()])
        );
        assert!(matches!(
            NetworkMode::parse("ns:/run/netns/x").unwrap(),
            NetworkMode::Ns(_)
        ));
        for bad in [
            "bogus",
            "container:",
            "ns:relative",
            "host:x",
            "slirp4netns:nope=1",
            "slirp4netns:mtu=abc",
            "slirp4netns:allow_host_loopback=yes",
            "slirp4netns:cidr=10.0.0.0",
        ] {
            let e = NetworkMode::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn slirp_addresses_follow_cidr() {
        let NetworkMode::Slirp4netns(o) =
            NetworkMode::parse("slirp4netns:cidr=10.5.0.7/24,allow_host_loopback=true,mtu=1500")
                .unwrap()
        else {
            panic!("not slirp")
        };
        assert_eq!(o.container_ip(), Ipv4Addr::new(10, 5, 0, 100));
        assert_eq!(o.gateway(), Ipv4Addr::new(10, 5, 0, 2));
        assert_eq!(o.dns(), Ipv4Addr::new(10, 5, 0, 3));
        assert!(o.allow_host_loopback);
        assert_eq!(o.mtu, 1500);
        let d = SlirpOptions::default();
        assert_eq!(d.container_ip().to_string(), "10.0.2.100");
    }
}
