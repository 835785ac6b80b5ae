//! `--mac-address`, `--ip6` and `--link-local-ip` against the network the container gets,
//! with podman's rules (cmd/podman/common/netflags.go): they are per-network options of a
//! bridge network, refused with another mode given explicitly, taken by the one user network
//! when there is exactly one, and, as podman does, left unused by the rootless default mode
//! (slirp4netns/pasta has no per-network options). burrow's networks are IPv4 only, so an IPv6
//! or link-local address on one is refused rather than dropped.

use crate::error::Result;
use crate::network_def::AttachRequest;
use crate::spec::{NetworkSpec, SpecError};

/// Checks the flags for the network the container gets; `user` holds its user networks'
/// requests (`None`: a mode such as slirp4netns), `in_pod` whether the pod decides the network.
pub(super) fn apply(
    net: &NetworkSpec,
    in_pod: bool,
    user: Option<&mut [AttachRequest]>,
) -> Result<()> {
    let given: Vec<&'static str> = [
        ("mac-address", net.mac_address.is_some()),
        ("ip6", net.ip6.is_some()),
        ("link-local-ip", !net.link_local_ips.is_empty()),
    ]
    .into_iter()
    .filter_map(|(flag, set)| set.then_some(flag))
    .collect();
    let Some(&first) = given.first() else {
        return Ok(());
    };
    match user {
        Some(reqs) => {
            if net.ip6.is_some() {
                return Err(SpecError::NetFlagUnsupported("ip6").into());
            }
            if !net.link_local_ips.is_empty() {
                return Err(SpecError::NetFlagUnsupported("link-local-ip").into());
            }
            if reqs.len() != 1 {
                return Err(SpecError::NetFlagSingleNetwork(first).into());
            }
            reqs[0].mac = net.mac_address.clone();
            Ok(())
        }
        // The default mode: podman puts the options on a "default" network that slirp4netns
        // and pasta never read.
        None if net.mode.is_none() && !in_pod => Ok(()),
        None if net.mode.as_deref() == Some("bridge") => Ok(()),
        None => Err(SpecError::NetFlagNeedsBridge(first).into()),
    }
}
