//! `-p [ip:][hostPort:]containerPort[/protocol]`, podman's syntax, ranges included.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};

use serde::{Deserialize, Serialize};

use crate::NetworkError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One published port. `host_port` 0 means "any free port", resolved at create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    pub host_ip: Option<IpAddr>,
    pub host_port: u16,
    pub container_port: u16,
    pub protocol: Protocol,
}

impl PortMapping {
    /// The host address as slirp4netns and `podman port` show it (`0.0.0.0` for all).
    pub fn host_addr(&self) -> IpAddr {
        self.host_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

fn invalid(spec: &str, why: impl Into<String>) -> NetworkError {
    NetworkError::InvalidPort {
        spec: spec.to_string(),
        why: why.into(),
    }
}

/// `80` or `8080-8081`: (first, count).
fn parse_range(spec: &str, part: &str, what: &str) -> Result<(u16, u16), NetworkError> {
    let port = |s: &str| -> Result<u16, NetworkError> {
        match s.parse::<u16>() {
            Ok(0) | Err(_) => Err(invalid(
                spec,
                format!("{what} \"{s}\" is not a port number between 1 and 65535"),
            )),
            Ok(p) => Ok(p),
        }
    };
    match part.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port(a)?, port(b)?);
            if b < a {
                return Err(invalid(
                    spec,
                    format!("{what} range \"{part}\" ends before it starts"),
                ));
            }
            Ok((a, b - a + 1))
        }
        None => Ok((port(part)?, 1)),
    }
}

/// Parses one `-p` value into one mapping per port and protocol.
pub fn parse_port(spec: &str) -> Result<Vec<PortMapping>, NetworkError> {
    if spec.is_empty() {
        return Err(invalid(spec, "empty port mapping"));
    }
    let (addr_ports, protos) = match spec.rsplit_once('/') {
        Some((a, p)) => (a, p),
        None => (spec, "tcp"),
    };
    let mut protocols = Vec::new();
    for p in protos.split(',') {
        protocols.push(match p {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "sctp" => return Err(invalid(spec, "sctp is not supported by slirp4netns")),
            other => return Err(invalid(spec, format!("unknown protocol \"{other}\""))),
        });
    }
    // An IPv6 host address is bracketed: `[::1]:8080:80`.
    let (host_ip, rest) = if let Some(after) = addr_ports.strip_prefix('[') {
        let (ip, rest) = after
            .split_once(']')
            .ok_or_else(|| invalid(spec, "missing ']' after the IPv6 address"))?;
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| invalid(spec, "expected ':' after the host address"))?;
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| invalid(spec, format!("\"{ip}\" is not an IP address")))?;
        (Some(ip), rest.to_string())
    } else {
        (None, addr_ports.to_string())
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip_part, host_part, ctr_part) = match parts.as_slice() {
        [c] => (None, "", *c),
        [h, c] => (None, *h, *c),
        [ip, h, c] if host_ip.is_none() => (Some(*ip), *h, *c),
        _ => {
            return Err(invalid(
                spec,
                "expected [ip:][hostPort:]containerPort[/protocol]",
            ));
        }
    };
    let host_ip = match ip_part {
        Some("") | None => host_ip,
        Some(ip) => Some(
            ip.parse::<IpAddr>()
                .map_err(|_| invalid(spec, format!("\"{ip}\" is not an IP address")))?,
        ),
    };
    let (ctr_first, count) = parse_range(spec, ctr_part, "container port")?;
    let host_first = if host_part.is_empty() {
        None
    } else {
        let (first, host_count) = parse_range(spec, host_part, "host port")?;
        if host_count != count {
            return Err(invalid(
                spec,
                "host and container port ranges have different lengths",
            ));
        }
        Some(first)
    };
    let mut out = Vec::new();
    for protocol in protocols {
        for i in 0..count {
            out.push(PortMapping {
                host_ip,
                host_port: host_first.map(|h| h + i).unwrap_or(0),
                container_port: ctr_first + i,
                protocol,
            });
        }
    }
    Ok(out)
}

/// Binds the host side briefly: a port already taken is an error before the container starts.
pub fn check_host_port_free(m: &PortMapping) -> Result<(), NetworkError> {
    let addr = SocketAddr::new(m.host_addr(), m.host_port);
    let res = match m.protocol {
        Protocol::Tcp => TcpListener::bind(addr).map(drop),
        Protocol::Udp => UdpSocket::bind(addr).map(drop),
    };
    res.map_err(|e| bind_error(addr, e))
}

/// What a failed bind of a host port means for the user: a port in use, or (rootless) a port
/// below `net.ipv4.ip_unprivileged_port_start`, named with the sysctl to change as podman does.
pub(crate) fn bind_error(addr: SocketAddr, e: std::io::Error) -> NetworkError {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => NetworkError::PortInUse {
            addr: addr.to_string(),
        },
        std::io::ErrorKind::PermissionDenied => match unprivileged_port_start() {
            Some(start) if addr.port() < start => NetworkError::PrivilegedPort {
                port: addr.port(),
                start,
                addr: addr.to_string(),
            },
            _ => NetworkError::Bind {
                addr: addr.to_string(),
                source: e,
            },
        },
        _ => NetworkError::Bind {
            addr: addr.to_string(),
            source: e,
        },
    }
}

fn unprivileged_port_start() -> Option<u16> {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A free host port for a mapping given without one (`-p 80`), as podman picks one.
pub fn pick_free_port(m: &PortMapping) -> Result<u16, NetworkError> {
    let addr = SocketAddr::new(m.host_addr(), 0);
    let port = match m.protocol {
        Protocol::Tcp => TcpListener::bind(addr).and_then(|l| l.local_addr()),
        Protocol::Udp => UdpSocket::bind(addr).and_then(|s| s.local_addr()),
    };
    port.map(|a| a.port()).map_err(|e| bind_error(addr, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(spec: &str) -> PortMapping {
        let mut v = parse_port(spec).unwrap();
        assert_eq!(v.len(), 1, "{spec}");
        v.remove(0)
    }

    #[test]
    fn container_port_only() {
        let m = one("80");
        assert_eq!((m.host_ip, m.host_port, m.container_port), (None, 0, 80));
        assert_eq!(m.protocol, Protocol::Tcp);
    }

    #[test]
    fn host_and_container() {
        let m = one("8080:80/udp");
        assert_eq!((m.host_port, m.container_port), (8080, 80));
        assert_eq!(m.protocol, Protocol::Udp);
    }

    #[test]
    fn with_ip() {
        let m = one("127.0.0.1:8080:80");
        assert_eq!(m.host_ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(m.host_port, 8080);
        let m = one("127.0.0.1::80");
        assert_eq!((m.host_port, m.container_port), (0, 80));
        let m = one("[::1]:8080:80/tcp");
        assert_eq!(m.host_ip, Some("::1".parse().unwrap()));
        assert_eq!((m.host_port, m.container_port), (8080, 80));
    }

    #[test]
    fn ranges() {
        let v = parse_port("8080-8081:80-81").unwrap();
        let pairs: Vec<_> = v.iter().map(|m| (m.host_port, m.container_port)).collect();
        assert_eq!(pairs, vec![(8080, 80), (8081, 81)]);
        assert!(parse_port("8080-8082:80-81").is_err());
        assert!(parse_port("81-80").is_err());
    }

    #[test]
    fn both_protocols() {
        let v = parse_port("53:53/tcp,udp").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].protocol, Protocol::Udp);
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "abc",
            "0",
            "70000",
            "8080:",
            "1:2:3:4",
            "80/icmp",
            "x.y:80:80",
            "80/sctp",
        ] {
            let e = parse_port(bad).unwrap_err().to_string();
            assert!(e.contains("invalid port mapping"), "{bad}: {e}");
        }
    }
}
