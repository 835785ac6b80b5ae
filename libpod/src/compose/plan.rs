//! A service's container as libpod's typed [`ContainerSpec`]: its flags in the same words as
//! `burrow run`'s (so every value is checked by the one parser in `spec/`), the
//! `com.docker.compose.*` labels, and the config hash that decides whether `up` recreates it.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::interpolate::parse_env_file;
use super::labels;
use super::model::{Condition, Port, Scalar, Service, ServiceVolume};
use super::{CResult, ComposeError, Project};
use crate::spec::{ContainerSpec, CreateOptions};

/// The named volume a service mount uses, if it is one (not a bind, tmpfs or anonymous one).
pub fn named_volume(v: &ServiceVolume) -> Option<String> {
    match v {
        ServiceVolume::Short(s) => {
            let (src, rest) = s.split_once(':')?;
            (!rest.is_empty() && !is_path(src)).then(|| src.to_string())
        }
        ServiceVolume::Long(l) => (l.kind == "volume").then(|| l.source.clone()).flatten(),
    }
}

fn is_path(s: &str) -> bool {
    s.starts_with('/') || s.starts_with('.') || s.starts_with('~')
}

/// The image a service runs: its `image:`, else the one `build` makes, `<project>-<service>`.
pub fn image_name(p: &Project, service: &str, s: &Service) -> String {
    s.image
        .clone()
        .unwrap_or_else(|| format!("{}-{service}", p.name))
}

/// How many containers the service wants: `--scale`, else `deploy.replicas`, else `scale`.
pub fn replicas(s: &Service, scale: &BTreeMap<String, u32>, name: &str) -> u32 {
    scale
        .get(name)
        .copied()
        .or(s.deploy.as_ref().and_then(|d| d.replicas))
        .or(s.scale)
        .unwrap_or(1)
}

/// A hash of what the service asks for, without its replica count: `up` recreates a container
/// only when this changed (docker compose's `config-hash`).
pub fn config_hash(s: &Service) -> String {
    let mut s = s.clone();
    s.scale = None;
    if let Some(d) = &mut s.deploy {
        d.replicas = None;
    }
    let text = serde_json::to_string(&s).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The container name of replica `number`.
pub fn container_name(p: &Project, service: &str, s: &Service, number: u32) -> String {
    match &s.container_name {
        Some(n) => n.clone(),
        None => format!("{}-{service}-{number}", p.name),
    }
}

/// A one-off container's (`compose run`) or a replica's settings beyond the service's own.
#[derive(Clone, Debug, Default)]
pub struct Instance {
    pub number: u32,
    /// `compose run`: its name, and that it is a one-off.
    pub oneoff_name: Option<String>,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: Vec<String>,
    pub remove: bool,
    pub tty: Option<bool>,
    pub interactive: bool,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub ports: bool,
}

fn scalar(s: &Option<Scalar>) -> Option<String> {
    s.as_ref().map(Scalar::to_string)
}

fn port_flag(p: &Port) -> String {
    match p {
        Port::Short(s) => s.to_string(),
        Port::Long(l) => {
            let mut out = String::new();
            if let Some(ip) = &l.host_ip {
                out.push_str(ip);
                out.push(':');
            }
            if let Some(p) = &l.published {
                out.push_str(&p.to_string());
                out.push(':');
            } else if l.host_ip.is_some() {
                out.push(':');
            }
            out.push_str(&l.target.to_string());
            if let Some(proto) = &l.protocol {
                out.push('/');
                out.push_str(proto);
            }
            out
        }
    }
}

/// `-v`/`--tmpfs` words for one service mount.
fn mount_flags(p: &Project, v: &ServiceVolume, volumes: &mut Vec<String>, tmpfs: &mut Vec<String>) {
    match v {
        ServiceVolume::Short(s) => {
            let parts: Vec<&str> = s.splitn(3, ':').collect();
            match parts.as_slice() {
                [dst] => volumes.push((*dst).to_string()),
                [src, rest @ ..] => {
                    let src = if is_path(src) {
                        p.path(src).display().to_string()
                    } else {
                        p.volume_name(src)
                    };
                    volumes.push(format!("{src}:{}", rest.join(":")));
                }
                [] => {}
            }
        }
        ServiceVolume::Long(l) => {
            let ro = if l.read_only == Some(true) { ":ro" } else { "" };
            match (l.kind.as_str(), &l.source) {
                ("tmpfs", _) => {
                    let size = l
                        .tmpfs
                        .as_ref()
                        .and_then(|t| t.size.as_ref())
                        .map(|s| format!(":size={s}"))
                        .unwrap_or_default();
                    tmpfs.push(format!("{}{size}", l.target));
                }
                ("bind", Some(src)) => {
                    volumes.push(format!("{}:{}{ro}", p.path(src).display(), l.target))
                }
                ("volume", Some(src)) => {
                    volumes.push(format!("{}:{}{ro}", p.volume_name(src), l.target))
                }
                _ => volumes.push(l.target.clone()),
            }
        }
    }
}

/// The bind-mount sources of a service that do not exist yet (docker compose creates them
/// as directories for the short syntax).
pub fn missing_bind_sources(p: &Project, s: &Service) -> Vec<std::path::PathBuf> {
    s.volumes
        .iter()
        .filter_map(|v| match v {
            ServiceVolume::Short(s) => {
                let (src, _) = s.split_once(':')?;
                is_path(src).then(|| p.path(src))
            }
            ServiceVolume::Long(_) => None,
        })
        .filter(|p| !p.exists())
        .collect()
}

/// The service's environment: its `env_file`s, then `environment` (a key without a value takes
/// the caller's, or is left out).
pub fn environment(p: &Project, service: &str, s: &Service) -> CResult<Vec<String>> {
    let mut env: Vec<String> = Vec::new();
    let set = |env: &mut Vec<String>, k: &str, v: Option<&str>| {
        let v = match v {
            Some(v) => v.to_string(),
            None => match p.vars.get(k) {
                Some(v) => v.clone(),
                None => return,
            },
        };
        env.retain(|e| e.split('=').next() != Some(k));
        env.push(format!("{k}={v}"));
    };
    if let Some(files) = &s.env_file {
        for (f, required) in files.files() {
            let path = p.path(&f);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    for (k, v) in parse_env_file(&text) {
                        set(&mut env, &k, v.as_deref());
                    }
                }
                Err(_) if !required => {}
                Err(e) => {
                    return Err(ComposeError::Service {
                        service: service.to_string(),
                        message: format!("env_file {}: {e}", path.display()),
                    });
                }
            }
        }
    }
    for (k, v) in &s.environment {
        set(&mut env, k, v.as_ref().map(Scalar::to_string).as_deref());
    }
    Ok(env)
}

/// Go-style durations compose uses (`1m30s`, `10s`, `500ms`) in whole seconds, rounded up.
fn seconds(d: &str) -> Option<u32> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = d.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push('s');
            chars.next();
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
    }
    if !num.is_empty() {
        total += num.parse::<f64>().ok()?;
    }
    Some(total.ceil() as u32)
}

/// The container of one service instance as a spec, ready for `Runtime::create`.
pub fn spec(p: &Project, service: &str, inst: &Instance) -> crate::Result<ContainerSpec> {
    let s = p
        .model
        .services
        .get(service)
        .ok_or_else(|| ComposeError::NoSuchService(service.to_string()))?;
    let bad = |message: String| ComposeError::Service {
        service: service.to_string(),
        message,
    };
    let mut o = CreateOptions {
        image: image_name(p, service, s),
        name: Some(
            inst.oneoff_name
                .clone()
                .unwrap_or_else(|| container_name(p, service, s, inst.number)),
        ),
        command: inst
            .command
            .clone()
            .or_else(|| s.command.as_ref().map(|c| c.words()))
            .unwrap_or_default(),
        workdir: inst.workdir.clone().or_else(|| s.working_dir.clone()),
        user: inst.user.clone().or_else(|| s.user.clone()),
        hostname: s.hostname.clone(),
        restart: if inst.oneoff_name.is_some() {
            None
        } else {
            restart_policy(s)
        },
        rm: inst.remove,
        tty: inst.tty.or(s.tty).unwrap_or(false),
        interactive: inst.interactive || s.stdin_open.unwrap_or(false),
        init: s.init.unwrap_or(false),
        privileged: s.privileged.unwrap_or(false),
        read_only: s.read_only,
        cap_add: s.cap_add.clone(),
        cap_drop: s.cap_drop.clone(),
        security_opt: s.security_opt.clone(),
        stop_signal: s.stop_signal.clone(),
        stop_timeout: s.stop_grace_period.as_deref().and_then(seconds),
        dns: s.dns.as_ref().map(|d| d.items()).unwrap_or_default(),
        add_hosts: s
            .extra_hosts
            .iter()
            .map(|h| h.replacen('=', ":", 1))
            .collect(),
        ..CreateOptions::default()
    };
    o.env = environment(p, service, s)?;
    for e in &inst.env {
        crate::spec::parse::merge_env(&mut o.env, e);
    }
    let mut labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    labels.extend([
        format!("{}={}", labels::PROJECT, p.name),
        format!("{}={service}", labels::SERVICE),
        format!("{}={}", labels::NUMBER, inst.number),
        format!(
            "{}={}",
            labels::ONEOFF,
            if inst.oneoff_name.is_some() {
                "True"
            } else {
                "False"
            }
        ),
        format!("{}={}", labels::WORKING_DIR, p.working_dir.display()),
        format!(
            "{}={}",
            labels::CONFIG_FILES,
            p.config_files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
        format!("{}={}", labels::CONFIG_HASH, config_hash(s)),
        format!("{}={}", labels::VERSION, labels::COMPOSE_VERSION),
    ]);
    if s.build.is_some() {
        labels.push(format!("{}={}", labels::IMAGE, image_name(p, service, s)));
    }
    o.labels = labels;
    for v in &s.volumes {
        mount_flags(p, v, &mut o.volumes, &mut o.tmpfs);
    }
    if let Some(t) = &s.tmpfs {
        o.tmpfs.extend(t.items());
    }
    for c in &s.configs {
        let u = c.long();
        let file = p
            .model
            .configs
            .get(&u.source)
            .and_then(|d| d.file.clone())
            .ok_or_else(|| {
                bad(format!(
                    "config {} is not file-based: only `file:` configs are supported",
                    u.source
                ))
            })?;
        let target = u.target.unwrap_or_else(|| format!("/{}", u.source));
        o.volumes
            .push(format!("{}:{target}:ro", p.path(&file).display()));
    }
    for sec in &s.secrets {
        let u = sec.long();
        let mut flag = format!("{},type=mount", p.scoped(&u.source));
        flag.push_str(&format!(
            ",target={}",
            u.target.as_deref().unwrap_or(&u.source)
        ));
        for (k, v) in [("uid", &u.uid), ("gid", &u.gid), ("mode", &u.mode)] {
            if let Some(v) = v {
                flag.push_str(&format!(",{k}={v}"));
            }
        }
        o.secrets.push(flag);
    }
    if inst.oneoff_name.is_none() || inst.ports {
        o.publish = s.ports.iter().map(port_flag).collect();
    }
    match s.network_mode.as_deref() {
        Some(m) if m.starts_with("service:") => {
            let other = &m["service:".len()..];
            let os = p
                .model
                .services
                .get(other)
                .ok_or_else(|| bad(format!("network_mode names undefined service {other}")))?;
            o.network = Some(format!("container:{}", container_name(p, other, os, 1)));
        }
        Some(m) => o.network = Some(m.to_string()),
        None => {
            let nets: Vec<String> = if s.networks.is_empty() {
                vec!["default".into()]
            } else {
                let mut n: Vec<(&String, i64)> = s
                    .networks
                    .iter()
                    .map(|(k, v)| (k, v.as_ref().and_then(|v| v.priority).unwrap_or(0)))
                    .collect();
                n.sort_by_key(|(_, prio)| -prio);
                n.into_iter().map(|(k, _)| k.clone()).collect()
            };
            o.network = Some(
                nets.iter()
                    .map(|n| p.network_name(n))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            let mut aliases = vec![service.to_string()];
            for a in s.networks.values().flatten() {
                aliases.extend(a.aliases.iter().cloned());
                if o.ip.is_none() {
                    o.ip.clone_from(&a.ipv4_address);
                }
            }
            o.network_aliases = aliases;
        }
    }
    if let Some(h) = &s.healthcheck {
        if h.disable == Some(true) {
            o.health.disable = true;
        } else {
            o.health.cmd = match &h.test {
                Some(super::model::StringOrList::List(l))
                    if l.first().is_some_and(|f| f == "NONE") =>
                {
                    o.health.disable = true;
                    None
                }
                Some(super::model::StringOrList::List(l)) => serde_json::to_string(l).ok(),
                Some(super::model::StringOrList::Str(s)) => Some(s.clone()),
                None => None,
            };
            o.health.interval.clone_from(&h.interval);
            o.health.timeout.clone_from(&h.timeout);
            o.health.start_period.clone_from(&h.start_period);
            o.health.retries = h.retries.map(|r| r.to_string());
        }
    }
    let limits = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.limits.as_ref());
    o.resources.memory = limits
        .and_then(|l| scalar(&l.memory))
        .or_else(|| scalar(&s.mem_limit));
    o.resources.cpus = limits
        .and_then(|l| scalar(&l.cpus))
        .or_else(|| scalar(&s.cpus));
    o.resources.shm_size = scalar(&s.shm_size);
    o.resources.memory_reservation = scalar(&s.mem_reservation);
    o.resources.memory_swap = scalar(&s.memswap_limit);
    o.resources.cpu_shares = scalar(&s.cpu_shares);
    o.resources.cpuset_cpus = scalar(&s.cpuset);
    o.resources.oom_score_adj = scalar(&s.oom_score_adj);
    o.ulimits = s
        .ulimits
        .iter()
        .map(|(k, u)| match u {
            super::model::Ulimit::Single(n) => format!("{k}={n}:{n}"),
            super::model::Ulimit::Pair { soft, hard } => format!("{k}={soft}:{hard}"),
        })
        .collect();
    o.devices.clone_from(&s.devices);
    o.group_add = s.group_add.iter().map(Scalar::to_string).collect();
    o.dns_search = s.dns_search.as_ref().map(|d| d.items()).unwrap_or_default();
    o.dns_options.clone_from(&s.dns_opt);
    o.annotations = s
        .annotations
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    // `userns_mode`: podman-compose passes it as `--userns`.
    o.userns = scalar(&s.userns_mode);
    o.resources.pids_limit = limits
        .and_then(|l| scalar(&l.pids))
        .or_else(|| scalar(&s.pids_limit));
    let mut spec = ContainerSpec::try_from(&o).map_err(|e| bad(e.to_string()))?;
    if let Some(ep) = inst
        .entrypoint
        .clone()
        .or_else(|| s.entrypoint.as_ref().map(|e| e.words()))
    {
        spec.process.entrypoint = Some(ep);
    }
    Ok(spec)
}

fn restart_policy(s: &Service) -> Option<String> {
    if let Some(r) = &s.restart {
        return Some(r.clone());
    }
    let cond = s
        .deploy
        .as_ref()?
        .restart_policy
        .as_ref()?
        .get("condition")?
        .as_str()?;
    Some(match cond {
        "any" => "always".into(),
        "none" => "no".into(),
        other => other.to_string(),
    })
}

/// What `up` waits for before starting a service: each dependency and its condition.
pub fn dependencies(s: &Service) -> Vec<(String, Condition)> {
    s.depends_on
        .iter()
        .map(|(k, d)| (k.clone(), d.condition))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(seconds("10s"), Some(10));
        assert_eq!(seconds("1m30s"), Some(90));
        assert_eq!(seconds("500ms"), Some(1));
        assert_eq!(seconds("7"), Some(7));
        assert_eq!(seconds("1x"), None);
    }

    #[test]
    fn long_ports() {
        let l: Port = serde_json::from_value(serde_json::json!(
            {"target": 80, "published": 8080, "host_ip": "127.0.0.1", "protocol": "udp"}
        ))
        .unwrap();
        assert_eq!(port_flag(&l), "127.0.0.1:8080:80/udp");
        let l: Port = serde_json::from_value(serde_json::json!({"target": 80})).unwrap();
        assert_eq!(port_flag(&l), "80");
    }

    #[test]
    fn named_volumes_are_told_from_binds() {
        let v = |s: &str| named_volume(&ServiceVolume::Short(s.into()));
        assert_eq!(v("data:/data"), Some("data".into()));
        assert_eq!(v("./d:/data"), None);
        assert_eq!(v("/abs:/data:ro"), None);
        assert_eq!(v("/data"), None);
    }
}
