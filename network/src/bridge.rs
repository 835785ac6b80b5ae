//! User-defined bridge networks, rootless, as podman builds them: inside one per-user network
//! namespace (the "rootless netns", served by one slirp4netns on `tap0` for outbound traffic)
//! there is one Linux bridge per network with the gateway address on it, an nftables table
//! (masquerade out of tap0, no forwarding between networks, none out of an `--internal` one),
//! and per container a veth pair: one end on the bridge, the other the container's `ethN`.
//!
//! Plain functions given namespace pids, names and addresses: this module knows nothing of
//! containers or their state, and never decides what goes where.
//!
//! The links and rules are set up by running `ip` (iproute2) and `nft` inside the namespace
//! (a child that `setns()`s into it before exec) rather than by netlink from Rust: no
//! synchronous netlink crate covering both links and nftables is well kept, and rtnetlink
//! needs tokio, whose worker threads would break burrow's user-namespace joins. Each command
//! group is one `ip -batch -` or `nft -f -` run, a few milliseconds.

use std::fs::File;
use std::io::Write;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Command, Stdio};

use crate::NetworkError;

/// The interface slirp4netns creates in the rootless netns: the way out.
pub const UPLINK: &str = "tap0";

/// One network's bridge, as the rootless netns must have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeNet {
    /// The bridge interface (`burrow1`, ...).
    pub bridge: String,
    pub subnet: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Ipv4Addr,
    /// No traffic leaves the network (podman's `--internal`).
    pub internal: bool,
}

/// One container's link to one network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub bridge: String,
    /// The end left on the bridge in the rootless netns (at most 15 bytes).
    pub host_veth: String,
    /// The interface name inside the container (`eth0`, `eth1`, ...).
    pub ifname: String,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Ipv4Addr,
    pub mac: String,
    /// Route everything through this network's gateway (the container's first network).
    pub default_route: bool,
}

fn fail(what: impl Into<String>, why: impl Into<String>) -> NetworkError {
    NetworkError::Bridge {
        what: what.into(),
        why: why.into(),
    }
}

/// Runs `prog args` with `input` on stdin inside the network namespace of `netns_pid`.
/// The caller must be in the user namespace owning that network namespace.
pub fn run_in_netns(
    netns_pid: i32,
    prog: &str,
    args: &[&str],
    input: &str,
) -> Result<(), NetworkError> {
    let what = format!(
        "{prog} {} in the network namespace of {netns_pid}",
        args.join(" ")
    );
    let ns: OwnedFd = File::open(format!("/proc/{netns_pid}/ns/net"))
        .map_err(|e| fail(&what, format!("open its namespace: {e}")))?
        .into();
    let raw = ns.as_raw_fd();
    let path = crate::helpers::helper_path(prog).ok_or_else(|| {
        fail(
            &what,
            format!(
                "{prog} not found on PATH nor in /usr/sbin or /sbin: install iproute2 and nftables"
            ),
        )
    })?;
    let mut cmd = Command::new(path);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: runs in the forked child before exec and only calls setns, which is
    // async-signal-safe. The descriptor is ours and open until the child is spawned.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            if libc::setns(raw, libc::CLONE_NEWNET) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| fail(&what, format!("{e} (install iproute2 and nftables)")))?;
    drop(ns);
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail(&what, e.to_string()))?;
    if !out.status.success() {
        return Err(fail(
            what,
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(())
}

/// The interfaces of the network namespace of `pid`, read from /proc (no process needed).
pub fn interfaces(pid: i32) -> Vec<String> {
    std::fs::read_to_string(format!("/proc/{pid}/net/dev"))
        .unwrap_or_default()
        .lines()
        .skip(2)
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim().to_string()))
        .collect()
}

/// Creates the bridges of `nets` the rootless netns lacks and, when one was created or
/// `rules_changed`, loads the nftables table for all of `nets` (which must be every network).
/// The caller serializes calls (two processes adding the same bridge would fail).
pub fn sync_bridges(
    rootless_pid: i32,
    nets: &[BridgeNet],
    rules_changed: bool,
) -> Result<(), NetworkError> {
    let have = interfaces(rootless_pid);
    let mut batch = String::new();
    for n in nets.iter().filter(|n| !have.contains(&n.bridge)) {
        batch.push_str(&format!(
            "link add {b} type bridge\naddr add {gw}/{p} dev {b}\nlink set {b} up\n",
            b = n.bridge,
            gw = n.gateway,
            p = n.prefix
        ));
    }
    if !batch.is_empty() {
        run_in_netns(rootless_pid, "ip", &["-batch", "-"], &batch)?;
    }
    if !batch.is_empty() || rules_changed {
        run_in_netns(rootless_pid, "nft", &["-f", "-"], &nft_ruleset(nets))?;
    }
    Ok(())
}

/// Deletes a network's bridge (its containers' veths go with it).
pub fn remove_bridge(rootless_pid: i32, bridge: &str) -> Result<(), NetworkError> {
    if !interfaces(rootless_pid).iter().any(|i| i == bridge) {
        return Ok(());
    }
    run_in_netns(rootless_pid, "ip", &["link", "del", bridge], "")
}

/// The whole `ip burrow` table, replaced atomically by one `nft -f` (the first two lines make
/// the delete succeed whether or not the table existed).
pub fn nft_ruleset(nets: &[BridgeNet]) -> String {
    let mut fwd = String::new();
    let mut nat = String::new();
    for n in nets {
        // Bridged traffic between containers of one network never reaches this hook; routed
        // traffic from a bridge to itself (hairpin through the gateway) is allowed.
        fwd.push_str(&format!(
            "    iifname \"{b}\" oifname \"{b}\" accept\n",
            b = n.bridge
        ));
        if !n.internal {
            fwd.push_str(&format!(
                "    iifname \"{b}\" oifname \"{UPLINK}\" accept\n",
                b = n.bridge
            ));
            nat.push_str(&format!(
                "    ip saddr {}/{} oifname \"{UPLINK}\" masquerade\n",
                n.subnet, n.prefix
            ));
        }
    }
    format!(
        "table ip burrow {{}}\ndelete table ip burrow\ntable ip burrow {{\n  chain forward {{\n    type filter hook forward priority filter; policy drop;\n    ct state established,related accept\n    # Published ports: slirp4netns forwards host connections in through tap0.\n    iifname \"{UPLINK}\" accept\n{fwd}  }}\n  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n{nat}  }}\n}}\n"
    )
}

/// Creates the container's veth pair: `host_veth` on the bridge in the rootless netns, the peer
/// moved into the network namespace of `container_pid` as `ifname` with its address, and, for
/// the first network, the default route. A stale `host_veth` of an earlier run goes first.
pub fn attach(rootless_pid: i32, container_pid: i32, link: &Link) -> Result<(), NetworkError> {
    if interfaces(rootless_pid).contains(&link.host_veth) {
        // The veth of this container's previous run, whose namespace the kernel is still
        // tearing down: it may remove the pair between the look and the delete, which is as
        // good, so a failed delete is not an error (the add below says if it is still there).
        let _ = run_in_netns(rootless_pid, "ip", &["link", "del", &link.host_veth], "");
    }
    // The peer is created directly in the container's namespace, so its name never clashes
    // with another container's eth0 here.
    let outer = format!(
        "link add {v} type veth peer name {i} address {mac} netns {pid}\nlink set {v} master {b}\nlink set {v} up\n",
        v = link.host_veth,
        i = link.ifname,
        mac = link.mac,
        pid = container_pid,
        b = link.bridge
    );
    run_in_netns(rootless_pid, "ip", &["-batch", "-"], &outer)?;
    let mut inner = format!(
        "addr add {ip}/{p} dev {i}\nlink set {i} up\n",
        ip = link.ip,
        p = link.prefix,
        i = link.ifname
    );
    if link.default_route {
        inner.push_str(&format!("route add default via {}\n", link.gateway));
    }
    run_in_netns(container_pid, "ip", &["-batch", "-"], &inner)
}

/// Removes a container's link to a network (`network disconnect` of a running container).
pub fn detach(rootless_pid: i32, host_veth: &str) -> Result<(), NetworkError> {
    if !interfaces(rootless_pid).iter().any(|i| i == host_veth) {
        return Ok(());
    }
    run_in_netns(rootless_pid, "ip", &["link", "del", host_veth], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruleset_isolates_and_masquerades() {
        let nets = [
            BridgeNet {
                bridge: "burrow1".into(),
                subnet: Ipv4Addr::new(10, 89, 0, 0),
                prefix: 24,
                gateway: Ipv4Addr::new(10, 89, 0, 1),
                internal: false,
            },
            BridgeNet {
                bridge: "burrow2".into(),
                subnet: Ipv4Addr::new(10, 89, 1, 0),
                prefix: 24,
                gateway: Ipv4Addr::new(10, 89, 1, 1),
                internal: true,
            },
        ];
        let r = nft_ruleset(&nets);
        assert!(r.contains("policy drop"), "{r}");
        assert!(r.contains("ip saddr 10.89.0.0/24 oifname \"tap0\" masquerade"));
        assert!(r.contains("iifname \"burrow1\" oifname \"tap0\" accept"));
        // The internal network neither leaves nor is masqueraded.
        assert!(!r.contains("iifname \"burrow2\" oifname \"tap0\""));
        assert!(!r.contains("10.89.1.0/24"));
        // No rule lets one network forward into another.
        assert!(!r.contains("iifname \"burrow1\" oifname \"burrow2\""));
    }
}
