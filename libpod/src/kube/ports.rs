//! The host ports a played pod publishes: the containers' `hostPort`s, the `nodePort`s of the
//! Services that select it, and `--publish`, in `-p` syntax for `pod create`.

use std::collections::BTreeMap;

use super::document::Workload;
use super::types;

/// The container port and protocol of a `-p` value (`[[IP:]HOST:]CTR[/PROTO]`).
fn container_side(p: &str) -> (String, String) {
    let (ports, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    let ctr = ports.rsplit(':').next().unwrap_or(ports);
    (ctr.to_string(), proto.to_ascii_lowercase())
}

/// podman's `--publish` for `kube play`: merged with the YAML's ports, and over a YAML port of
/// the same container port.
pub fn merge_publish(yaml: Vec<String>, flags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = yaml
        .into_iter()
        .filter(|y| !flags.iter().any(|f| container_side(f) == container_side(y)))
        .collect();
    out.extend(flags.iter().cloned());
    out
}

/// The pod's published ports: each container port with a hostPort, and each NodePort of a
/// Service selecting the pod (podman publishes the nodePort on the host).
pub fn of(w: &Workload, services: &[&types::Service], all: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut named: BTreeMap<String, u16> = BTreeMap::new();
    for c in &w.spec.containers {
        for p in &c.ports {
            if let Some(n) = &p.name {
                named.insert(n.clone(), p.container_port);
            }
            let host = match p.host_port.filter(|h| *h != 0) {
                Some(h) => h,
                None if all => p.container_port,
                None => continue,
            };
            let proto = p.protocol.as_deref().unwrap_or("TCP").to_ascii_lowercase();
            let ip = p
                .host_ip
                .as_deref()
                .filter(|i| !i.is_empty())
                .map(|i| format!("{i}:"))
                .unwrap_or_default();
            out.push(format!("{ip}{host}:{}/{proto}", p.container_port));
        }
    }
    for s in services {
        let selects = !s.spec.selector.is_empty()
            && s.spec
                .selector
                .iter()
                .all(|(k, v)| w.labels.get(k) == Some(v));
        if !selects {
            continue;
        }
        for p in &s.spec.ports {
            let Some(node) = p.node_port.filter(|n| *n != 0) else {
                continue;
            };
            let target = match &p.target_port {
                Some(serde_json::Value::String(name)) => named.get(name).copied(),
                Some(v) => v.as_u64().and_then(|n| u16::try_from(n).ok()),
                None => Some(p.port),
            }
            .unwrap_or(p.port);
            let proto = p.protocol.as_deref().unwrap_or("TCP").to_ascii_lowercase();
            let mapping = format!("{node}:{target}/{proto}");
            if !out.contains(&mapping) {
                out.push(mapping);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_flags_override_yaml_ports() {
        let merged = merge_publish(
            vec!["8080:80/tcp".to_string(), "5353:53/udp".to_string()],
            &["127.0.0.1:9090:80".to_string()],
        );
        assert_eq!(merged, ["5353:53/udp", "127.0.0.1:9090:80"]);
    }
}
