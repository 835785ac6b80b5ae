//! `generate spec`: a container or pod as podman's SpecGenerator (PodSpecGenerator) JSON, the
//! body podman's libpod API takes to create one like it. Only the fields burrow records are
//! written, under podman's names; a field podman would leave at its zero value is omitted, as
//! its `omitempty` tags do.

use serde_json::{Map, Value, json};

use crate::container::{Container, Mount};
use crate::error::Result;
use crate::pod::Pod;
use crate::runtime::Runtime;
use crate::runtime::clone::clone_name;

use super::GenerateError;

impl Runtime {
    /// The JSON of the container or pod named `name`; with `rename`, a new name that is free
    /// (`NAME-clone`, `NAME-clone1`...), as podman's for a copy to be made from it.
    pub fn generate_spec(&self, name: &str, rename: bool) -> Result<Value> {
        let (mut spec, new_name) = if let Ok(c) = self.lookup(name) {
            let free = |n: &str| self.lookup(n).is_ok();
            (
                container_spec(&c),
                rename.then(|| clone_name(&c.name, free)),
            )
        } else if let Ok(p) = self.pod(name) {
            let free = |n: &str| self.pod(n).is_ok();
            (pod_spec(&p), rename.then(|| clone_name(&p.name, free)))
        } else {
            return Err(GenerateError::NoSuchEntity(name.to_string()).into());
        };
        if let Some(n) = new_name {
            spec.insert("name".into(), json!(n));
        }
        Ok(Value::Object(spec))
    }
}

/// Puts `value` under `key` unless it is empty (podman's `omitempty`).
fn put(m: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_u64() == Some(0),
    };
    if !empty {
        m.insert(key.to_string(), value);
    }
}

/// A namespace as specgen's `{"nsmode": ..., "value": ...}` from burrow's stored mode ("" is
/// podman's "default").
fn namespace(mode: &str) -> Value {
    let (nsmode, value) = match mode.split_once(':') {
        Some(("container", v)) => ("container", v),
        Some(("ns", v)) => ("path", v),
        Some((m, v)) => (m, v),
        None if mode.is_empty() => ("default", ""),
        None => (mode, ""),
    };
    let mut ns = Map::new();
    ns.insert("nsmode".into(), json!(nsmode));
    put(&mut ns, "value", json!(value));
    Value::Object(ns)
}

/// The network namespace: burrow's user networks are podman's "bridge" with `Networks`.
fn network(mode: &str) -> (Value, Value) {
    match mode {
        "" | "slirp4netns" | "pasta" | "host" | "none" | "private" => (
            namespace(if mode.is_empty() { "slirp4netns" } else { mode }),
            Value::Null,
        ),
        m if m.starts_with("container:") || m.starts_with("ns:") => (namespace(m), Value::Null),
        nets => {
            let mut networks = Map::new();
            for n in nets.split(',').filter(|n| !n.is_empty()) {
                networks.insert(n.to_string(), json!({}));
            }
            (json!({"nsmode": "bridge"}), Value::Object(networks))
        }
    }
}

/// The network fields containers and pods share.
fn put_network(
    s: &mut Map<String, Value>,
    mode: &str,
    mappings: &[network::PortMapping],
    dns: &[String],
    add_hosts: &[String],
) {
    let (netns, networks) = network(mode);
    put(s, "netns", netns);
    put(s, "portmappings", ports(mappings));
    put(s, "Networks", networks);
    put(s, "dns_server", json!(dns));
    put(s, "hostadd", json!(add_hosts));
}

fn ports(ports: &[network::PortMapping]) -> Value {
    ports
        .iter()
        .map(|p| {
            json!({
                "host_ip": p.host_ip.map(|a| a.to_string()).unwrap_or_default(),
                "container_port": p.container_port,
                "host_port": p.host_port,
                "range": 1,
                "protocol": p.protocol.as_str(),
            })
        })
        .collect()
}

/// OCI mounts (binds, tmpfs) and named volumes, each in its own specgen list.
fn mounts(all: &[Mount]) -> (Value, Value) {
    let mut oci = Vec::new();
    let mut volumes = Vec::new();
    for m in all {
        match m.kind.as_str() {
            "volume" => volumes.push(json!({
                "Name": m.name,
                "Dest": m.destination,
                "Options": m.options,
            })),
            "image" => {}
            kind => oci.push(json!({
                "destination": m.destination,
                "type": kind,
                "source": m.source,
                "options": m.options,
            })),
        }
    }
    (Value::Array(oci), Value::Array(volumes))
}

fn container_spec(c: &Container) -> Map<String, Value> {
    let cfg = &c.config;
    let mut s = Map::new();
    put(&mut s, "name", json!(c.name));
    put(&mut s, "pod", json!(cfg.pod));
    put(&mut s, "entrypoint", json!(cfg.entrypoint));
    put(&mut s, "command", json!(cfg.cmd));
    let env: Map<String, Value> = cfg
        .env
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), json!(v)),
            None => (kv.clone(), json!("")),
        })
        .collect();
    put(&mut s, "env", Value::Object(env));
    put(&mut s, "terminal", json!(cfg.tty));
    put(&mut s, "stdin", json!(cfg.stdin_open || cfg.interactive));
    put(&mut s, "labels", json!(cfg.labels));
    put(&mut s, "annotations", json!(cfg.annotations));
    if let Ok(sig) = crate::spec::parse::signal(&cfg.stop_signal) {
        put(&mut s, "stop_signal", json!(sig as i32));
    }
    put(&mut s, "stop_timeout", json!(cfg.stop_timeout));
    put(&mut s, "timeout", json!(cfg.timeout));
    put(&mut s, "raw_image_name", json!(cfg.raw_image_name));
    if !cfg.restart.name.is_empty() && cfg.restart.name != "no" {
        put(&mut s, "restart_policy", json!(cfg.restart.name));
        put(&mut s, "restart_tries", json!(cfg.restart.max_retries));
    }
    put(&mut s, "remove", json!(cfg.auto_remove));
    put(&mut s, "removeImage", json!(cfg.remove_image));
    put(&mut s, "sdnotifyMode", json!(cfg.sdnotify));
    put(&mut s, "pidns", namespace(&cfg.pid_mode));
    put(&mut s, "utsns", namespace(&cfg.uts_mode));
    put(&mut s, "hostname", json!(cfg.hostname));
    put(&mut s, "sysctl", json!(cfg.sysctls));
    put(&mut s, "containerCreateCommand", json!(cfg.create_command));
    put(&mut s, "image", json!(cfg.image_id));
    put(&mut s, "rootfs", json!(cfg.rootfs));
    let (oci, volumes) = mounts(&cfg.mounts);
    put(&mut s, "mounts", oci);
    put(&mut s, "volumes", volumes);
    put(&mut s, "init", json!(cfg.init));
    put(&mut s, "init_path", json!(cfg.init_path));
    put(&mut s, "work_dir", json!(cfg.workdir));
    put(&mut s, "ipcns", namespace(&cfg.ipc_mode));
    put(&mut s, "privileged", json!(cfg.privileged));
    put(&mut s, "user", json!(cfg.user));
    put(&mut s, "groups", json!(cfg.group_add));
    put(&mut s, "cap_add", json!(cfg.cap_add));
    put(&mut s, "cap_drop", json!(cfg.cap_drop));
    put(&mut s, "seccomp_policy", json!(cfg.seccomp_policy));
    put(&mut s, "no_new_privileges", json!(cfg.no_new_privileges));
    put(&mut s, "read_only_filesystem", json!(cfg.read_only));
    put(&mut s, "umask", json!(cfg.umask));
    put(&mut s, "mask", json!(cfg.mask));
    put(&mut s, "unmask", json!(cfg.unmask));
    put(&mut s, "userns", namespace(&cfg.userns));
    put(&mut s, "cgroupns", namespace(&cfg.cgroupns));
    put(&mut s, "cgroup_parent", json!(cfg.cgroup_parent));
    put_network(&mut s, &cfg.network, &cfg.ports, &cfg.dns, &cfg.add_hosts);
    put(&mut s, "dns_search", json!(cfg.dns_search));
    put(&mut s, "dns_option", json!(cfg.dns_options));
    put(&mut s, "timezone", json!(cfg.timezone));
    put(&mut s, "personality", personality(&cfg.personality));
    s
}

/// `--personality LINUX32`: specgen's `{"domain": ...}`.
fn personality(p: &str) -> Value {
    if p.is_empty() {
        Value::Null
    } else {
        json!({ "domain": p })
    }
}

fn pod_spec(p: &Pod) -> Map<String, Value> {
    let cfg = &p.config;
    let mut s = Map::new();
    put(&mut s, "name", json!(p.name));
    put(&mut s, "hostname", json!(cfg.hostname));
    put(&mut s, "labels", json!(cfg.labels));
    put(&mut s, "no_infra", json!(!cfg.infra));
    put(&mut s, "shared_namespaces", json!(cfg.share));
    put(&mut s, "exit_policy", json!(cfg.exit_policy));
    put(&mut s, "pod_create_command", json!(cfg.create_command));
    put_network(&mut s, &cfg.network, &cfg.ports, &cfg.dns, &cfg.add_hosts);
    s
}
