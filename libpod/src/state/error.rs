//! What the state database refuses beyond a failed SQL statement (that is
//! [`crate::LibpodError::State`]): a name or address already taken, a prefix that names more
//! than one thing, a subnet that cannot be had, a record that cannot be encoded. Each variant
//! carries the names and addresses involved; the text is podman's where podman has one.

use std::net::Ipv4Addr;

#[derive(thiserror::Error, Debug)]
pub enum StateError {
    /// A record's JSON column could not be written.
    #[error("{source}")]
    Encode {
        /// Which column: "container config", "network config", ...
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("more than one result for {kind} ID prefix \"{prefix}\": use a longer prefix")]
    AmbiguousPrefix { kind: &'static str, prefix: String },
    #[error(
        "adding pod to state: name \"{0}\" is in use: pod already exists: remove it first (burrow pod rm {0})"
    )]
    PodExists(String),
    #[error("volume with name {0} already exists: volume already exists")]
    VolumeExists(String),
    #[error("network {0} already exists: remove it first (burrow network rm {0})")]
    NetworkExists(String),
    #[error(
        "subnet {subnet}/{prefix} is already used on the host or by another config: network {network} has {network_subnet}"
    )]
    SubnetInUse {
        subnet: Ipv4Addr,
        prefix: u8,
        /// The network that has it, and its subnet as stored.
        network: String,
        network_subnet: String,
    },
    #[error("could not find a free subnet in 10.89.0.0/16: give one with --subnet")]
    NoFreeSubnet,
    #[error("gateway {gateway} is not a host address of subnet {subnet}/{prefix}")]
    GatewayOutsideSubnet {
        gateway: Ipv4Addr,
        subnet: Ipv4Addr,
        prefix: u8,
    },
    #[error("container {container} is already connected to network {network}")]
    AlreadyConnected { container: String, network: String },
    #[error("requested IP address {ip} is not a free host address of network {network} ({subnet})")]
    IpOutsideNetwork {
        ip: Ipv4Addr,
        network: String,
        subnet: String,
    },
    #[error(
        "requested IP address {ip} is already allocated on network {network}: choose another one"
    )]
    IpTaken { ip: Ipv4Addr, network: String },
    #[error("IPAM error: failed to find free IP in range {subnet}: network {network} is full")]
    NetworkFull { network: String, subnet: String },
}

impl StateError {
    /// For `map_err`: the JSON of `what` could not be written.
    pub(crate) fn encode(what: &'static str) -> impl FnOnce(serde_json::Error) -> StateError {
        move |source| StateError::Encode { what, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The texts are podman's (or burrow's documented ones): scripts and tests match on them.
    #[test]
    fn messages_name_what_is_taken() {
        let subnet = StateError::SubnetInUse {
            subnet: Ipv4Addr::new(10, 89, 0, 0),
            prefix: 16,
            network: "a".into(),
            network_subnet: "10.89.0.0/24".into(),
        };
        assert_eq!(
            subnet.to_string(),
            "subnet 10.89.0.0/16 is already used on the host or by another config: network a has 10.89.0.0/24"
        );
        assert_eq!(
            StateError::NetworkExists("n".into()).to_string(),
            "network n already exists: remove it first (burrow network rm n)"
        );
        assert_eq!(
            StateError::PodExists("p".into()).to_string(),
            "adding pod to state: name \"p\" is in use: pod already exists: remove it first (burrow pod rm p)"
        );
        assert_eq!(
            StateError::AmbiguousPrefix {
                kind: "container",
                prefix: "ab".into()
            }
            .to_string(),
            "more than one result for container ID prefix \"ab\": use a longer prefix"
        );
    }
}
