//! `port`, and the PORTS text `ps` shows.

use clap::Args;
use libpod::{ContainerSummary, Runtime};

use crate::commands::{Failure, Outcome};

/// ps's PORTS column: `0.0.0.0:8080->80/tcp, ...`.
pub(super) fn ports_text(c: &ContainerSummary) -> String {
    c.ports
        .iter()
        .map(|m| {
            format!(
                "{}->{}/{}",
                host_side(m.host_addr(), m.host_port),
                m.container_port,
                m.protocol.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `0.0.0.0:8080`, or `[::1]:8080`.
fn host_side(ip: std::net::IpAddr, port: u16) -> String {
    std::net::SocketAddr::new(ip, port).to_string()
}

#[derive(Args, Debug)]
pub struct PortArgs {
    container: String,
    /// Only this container port (`80` or `80/tcp`)
    private_port: Option<String>,
}

/// podman's `port`: `80/tcp -> 0.0.0.0:8080`, or just the host side for one private port.
pub fn port(rt: &Runtime, a: PortArgs) -> Outcome {
    let c = rt.lookup(&a.container)?;
    let wanted = match &a.private_port {
        Some(p) => {
            let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
            let num: u16 = num.parse().map_err(|_| {
                Failure::new(format!(
                    "invalid port \"{p}\": give a container port number, optionally with /tcp or /udp"
                ))
            })?;
            Some((num, proto.to_string()))
        }
        None => None,
    };
    let mut found = false;
    for m in &c.config.ports {
        let host = host_side(m.host_addr(), m.host_port);
        match &wanted {
            Some((num, proto)) => {
                if m.container_port == *num && m.protocol.as_str() == proto {
                    println!("{host}");
                    found = true;
                }
            }
            None => println!("{}/{} -> {host}", m.container_port, m.protocol.as_str()),
        }
    }
    if let Some((num, proto)) = wanted
        && !found
    {
        return Err(Failure::new(format!(
            "failed to find published port \"{num}/{proto}\""
        )));
    }
    Ok(0)
}
