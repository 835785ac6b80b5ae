//! `pod clone`: a new pod with another's configuration (share, network, ports, DNS, hosts,
//! labels, exit policy) and a clone of each of its containers, as podman's pod clone does;
//! the options given override the source's.

use super::Runtime;
use super::pods::PodCreateOptions;
use crate::container::Container;
use crate::error::Result;
use crate::pod::Pod;
use crate::runtime::CloneOptions;

/// What `pod clone` may change, and what it does afterwards.
#[derive(Clone, Debug, Default)]
pub struct PodCloneOptions {
    /// The clone's name (default: podman's `NAME-clone`, `NAME-clone1`, ...).
    pub name: Option<String>,
    pub hostname: Option<String>,
    /// `KEY=VALUE` labels added to (or replacing) the source's.
    pub labels: Vec<String>,
    pub infra_name: Option<String>,
    pub infra_conmon_pidfile: Option<std::path::PathBuf>,
    /// Remove the source pod and its containers once cloned.
    pub destroy: bool,
    /// Start the clone.
    pub start: bool,
}

impl Runtime {
    /// Creates the clone and its members; the source is left as it is unless `destroy`.
    pub fn pod_clone(&self, source: &str, o: &PodCloneOptions) -> Result<Pod> {
        let src = self.pod(source)?;
        let cfg = &src.config;
        let members: Vec<Container> = self
            .pod_containers(&src)?
            .into_iter()
            .filter(|c| !c.config.infra)
            .collect();
        let network = if cfg.infra && cfg.network == "bridge" {
            let nets: Vec<String> = self
                .state
                .container_attachments(&cfg.infra_id)?
                .into_iter()
                .map(|a| a.network_name)
                .collect();
            (!nets.is_empty()).then(|| nets.join(","))
        } else if cfg.infra {
            Some(cfg.network.clone())
        } else {
            None
        };
        let default_hostname: String = src.name.chars().take(64).collect();
        let mut labels: Vec<String> = cfg.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        labels.extend(o.labels.iter().cloned());
        let share = match (cfg.infra, cfg.share.is_empty()) {
            (false, _) => None,
            (true, true) => Some("none".to_string()),
            (true, false) => Some(cfg.share.join(",")),
        };
        let create = PodCreateOptions {
            name: Some(match &o.name {
                Some(n) => n.clone(),
                None => self.pod_clone_name(&src.name),
            }),
            publish: cfg.ports.iter().map(port_spec).collect(),
            share,
            hostname: o
                .hostname
                .clone()
                .or_else(|| (cfg.hostname != default_hostname).then(|| cfg.hostname.clone())),
            labels,
            infra: cfg.infra,
            infra_name: o.infra_name.clone(),
            add_hosts: cfg.add_hosts.clone(),
            dns: cfg.dns.clone(),
            network,
            replace: false,
            infra_conmon_pidfile: o.infra_conmon_pidfile.clone(),
            exit_policy: (!cfg.exit_policy.is_empty()).then(|| cfg.exit_policy.clone()),
            create_command: Vec::new(),
            userns: self.pod_clone_userns(&cfg.infra_id),
        };
        if let Some(n) = &o.name {
            super::names::validate(super::names::NameKind::Pod, n)?;
            if self.state.lookup_pod(n).is_ok_and(|p| p.name == *n) {
                return Err(crate::pod::PodError::NameInUse(n.clone()).into());
            }
        }
        // Its host ports stay the source's: a source that is going anyway frees them first.
        if o.destroy && !cfg.ports.is_empty() {
            self.pod_stop(&src.id, None)?;
        }
        let pod = self.pod_create(&create)?;
        let old_net = format!("container:{}", cfg.infra_id);
        let new_net = format!("container:{}", pod.config.infra_id);
        let new_maps = match self.state.lookup(&pod.config.infra_id) {
            Ok(infra) => (infra.config.uid_map, infra.config.gid_map),
            Err(_) => Default::default(),
        };
        for m in &members {
            let cloned = self.container_clone_with(&m.id, &CloneOptions::default(), |c| {
                c.pod = pod.id.clone();
                if c.network == old_net {
                    c.network = new_net.clone();
                }
                // Members of a pod made with `--userns` join the new infra's namespace.
                if c.userns == old_net {
                    c.userns = new_net.clone();
                    (c.uid_map, c.gid_map) = new_maps.clone();
                }
                if c.hostname == cfg.hostname && pod.config.shares("uts") {
                    c.hostname = pod.config.hostname.clone();
                }
                for d in &mut c.dependencies {
                    if *d == cfg.infra_id {
                        *d = pod.config.infra_id.clone();
                    }
                }
            });
            if let Err(e) = cloned {
                return Err(
                    e.with_cleanup(self.pod_remove(&pod.id, true).err().into_iter().collect())
                );
            }
        }
        if o.destroy {
            self.pod_remove(&src.id, true)?;
        }
        if o.start {
            self.pod_start(&pod.id)?;
        }
        Ok(pod)
    }

    /// The source pod's `--userns`, for the clone's infra to make a namespace of its own the
    /// same way (`auto` takes a fresh range).
    fn pod_clone_userns(&self, infra_id: &str) -> Option<String> {
        let infra = self.state.lookup(infra_id).ok()?;
        let cfg = &infra.config;
        match cfg.userns.as_str() {
            "" => None,
            // keep-id's uid=/gid=: the container ids the user's own id maps to.
            "keep-id" => {
                let own = |m: &[crate::spec::userns::IdMap]| {
                    crate::userns::maps::to_container(m, 0).unwrap_or(0)
                };
                Some(format!(
                    "keep-id:uid={},gid={}",
                    own(&cfg.uid_map),
                    own(&cfg.gid_map)
                ))
            }
            mode => Some(mode.to_string()),
        }
    }

    /// podman's default: `NAME-clone`, then `NAME-clone1`, `NAME-clone2`, ... until free.
    fn pod_clone_name(&self, source: &str) -> String {
        super::clone::clone_name(source, |n| {
            self.state.lookup_pod(n).is_ok_and(|p| p.name == n)
        })
    }
}

/// A stored mapping as `-p` takes it.
fn port_spec(m: &network::PortMapping) -> String {
    match m.host_ip {
        Some(ip) => format!("{ip}:{}:{}/{}", m.host_port, m.container_port, m.protocol),
        None => format!("{}:{}/{}", m.host_port, m.container_port, m.protocol),
    }
}
