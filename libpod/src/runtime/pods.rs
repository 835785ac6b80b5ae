//! Pods: `pod create` (the pod's row and its infra container), the pod-wide lifecycle built on
//! the container calls, and what a member needs from its pod (network, hostname, the infra's
//! namespaces). The infra container is an ordinary container row flagged `infra`, so `ps -a`,
//! the monitor, stop and kill treat it like any other; it has no image and runs burrow's own
//! pause program (see `crate::pod::infra_main`).

use crate::pod::PodError;
use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::container::{Container, ContainerConfig, ContainerState, Status};
use crate::error::{LibpodError, Result};
use crate::events::Event;
use crate::executor::{Plan, ProcessPlan, StdioMode};
use crate::pod::{DEFAULT_SHARE, Pod, PodConfig, PodStatus, parse_share};

use super::{Runtime, names};
use crate::clock::now_nanos;
use crate::spec::{ContainerSpec, parse};

/// Raw options of `pod create`, validated by [`Runtime::pod_create`].
#[derive(Clone, Debug, Default)]
pub struct PodCreateOptions {
    pub name: Option<String>,
    pub publish: Vec<String>,
    pub share: Option<String>,
    pub hostname: Option<String>,
    pub labels: Vec<String>,
    /// `--infra` (podman's default: true).
    pub infra: bool,
    pub infra_name: Option<String>,
    pub add_hosts: Vec<String>,
    pub dns: Vec<String>,
    pub network: Option<String>,
    /// `--replace`: remove an existing pod of the same name (and its containers) first.
    pub replace: bool,
    /// `--infra-conmon-pidfile`: where the infra container's monitor writes its pid.
    pub infra_conmon_pidfile: Option<PathBuf>,
    /// `--exit-policy` (continue or stop).
    pub exit_policy: Option<String>,
    /// The command line of `pod create`, kept for `generate systemd --new`.
    pub create_command: Vec<String>,
    /// `--userns`: the infra container's own user namespace, which every member joins.
    pub userns: Option<String>,
}

/// What a new member container takes from its pod.
pub(super) struct MemberSettings {
    pub pod_id: String,
    /// `container:INFRA` when the pod shares its network.
    pub network: Option<String>,
    /// The pod's hostname when the pod shares its UTS namespace.
    pub hostname: Option<String>,
}

/// The longest hostname sethostname(2) accepts.
const HOST_NAME_MAX: usize = 64;

impl Runtime {
    /// `pod create`: validates everything, then records the pod and its infra container. Nothing
    /// is left behind when a step fails.
    pub fn pod_create(&self, o: &PodCreateOptions) -> Result<Pod> {
        let name = match &o.name {
            Some(n) => {
                names::validate(names::NameKind::Pod, n)?;
                n.clone()
            }
            None => names::random_name()?,
        };
        if let Some(p) = &o.exit_policy
            && !crate::pod::EXIT_POLICIES.contains(&p.as_str())
        {
            return Err(PodError::ExitPolicy(p.clone()).into());
        }
        let replaced = match self.state.lookup_pod(&name) {
            Ok(p) if p.name == name && !o.replace => {
                return Err(PodError::NameInUse(name.to_string()).into());
            }
            Ok(p) if p.name == name => Some(p.id),
            _ => None,
        };
        let mut share = match &o.share {
            // podman: `+ns` adds to the default set instead of replacing it.
            Some(s) if s.starts_with('+') => {
                let mut all: Vec<String> = DEFAULT_SHARE.iter().map(|s| s.to_string()).collect();
                for ns in parse_share(s)? {
                    if !all.contains(&ns) {
                        all.push(ns);
                    }
                }
                all
            }
            Some(s) => parse_share(s)?,
            None => DEFAULT_SHARE.iter().map(|s| s.to_string()).collect(),
        };
        if !o.infra {
            if !o.publish.is_empty() {
                return Err(PodError::PortsWithoutInfra.into());
            }
            if o.network.is_some() {
                return Err(PodError::NetworkWithoutInfra.into());
            }
            if o.share
                .as_deref()
                .is_some_and(|s| !share.is_empty() && s != "none")
            {
                return Err(PodError::ShareWithoutInfra.into());
            }
            share.clear();
        }
        if !o.publish.is_empty() && !share.iter().any(|s| s == "net") {
            return Err(PodError::PortsWithoutSharedNetwork.into());
        }
        if let Some(n) = &o.infra_name {
            names::validate(names::NameKind::Container, n)?;
        }
        let userns = self.pod_userns(o.userns.as_deref(), o.infra)?;
        // `--replace`: the old pod goes once the new one's flags are known to be valid.
        if let Some(id) = replaced {
            self.pod_remove(&id, true)?;
        }
        // `--network NAME`: the infra container joins user networks, the pod's name an alias
        // of it there.
        let user_nets =
            self.attach_requests(o.network.as_deref(), std::slice::from_ref(&name), None)?;
        let network = match &user_nets {
            Some(_) => "bridge".to_string(),
            None => self.resolve_network(o.network.as_deref())?,
        };
        if matches!(
            network::NetworkMode::parse(&network)?,
            network::NetworkMode::Container(_)
        ) {
            return Err(PodError::ContainerNetwork.into());
        }
        let ports = self.resolve_ports(parse::ports(&o.publish)?, &[], &network)?;
        parse::dns_and_hosts(&o.dns, &o.add_hosts)?;
        let (dns, add_hosts) = (o.dns.clone(), o.add_hosts.clone());
        let labels: BTreeMap<String, String> = o
            .labels
            .iter()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        let id = names::new_id()?;
        let mut pod = Pod {
            id,
            created: now_nanos(),
            config: PodConfig {
                // The pod's name is its default hostname, cut to the kernel's 64 bytes (as
                // podman cuts a hostname taken from a container's name): names may be longer,
                // and sethostname refuses them, so no member could start.
                hostname: o
                    .hostname
                    .clone()
                    .unwrap_or_else(|| name.chars().take(HOST_NAME_MAX).collect()),
                labels,
                share,
                infra: o.infra,
                infra_id: String::new(),
                network,
                ports,
                add_hosts,
                dns,
                create_command: o.create_command.clone(),
                exit_policy: o.exit_policy.clone().unwrap_or_default(),
            },
            name,
        };
        // The infra container first, owned by this process until the pod row exists too: a
        // `pod create` killed anywhere in between leaves an infra container the next command
        // removes with its pod (`Runtime::collect_garbage`), never half a pod.
        if o.infra {
            let c = self.create_infra(
                &pod,
                o.infra_name.as_deref(),
                user_nets.as_deref(),
                o.infra_conmon_pidfile.as_deref(),
                userns,
            )?;
            pod.config.infra_id = c.id;
        }
        if let Err(e) = self.state.insert_pod(&pod) {
            if o.infra {
                let _ = self.remove_container(&pod.config.infra_id, true, false, true);
            }
            return Err(e);
        }
        if o.infra {
            self.state
                .set_owner(&pod.config.infra_id, crate::state::Owner::NONE)?;
        }
        self.pod_event(&pod, "create");
        Ok(pod)
    }

    /// The infra container's row: no image, burrow's pause program, the pod's network, ports,
    /// hostname, DNS and extra hosts (the members share its /etc/hosts and resolv.conf).
    fn create_infra(
        &self,
        pod: &Pod,
        name: Option<&str>,
        user_nets: Option<&[crate::network_def::AttachRequest]>,
        conmon_pidfile: Option<&std::path::Path>,
        userns: (String, crate::userns::maps::Resolved),
    ) -> Result<Container> {
        let id = names::new_id()?;
        let config = ContainerConfig {
            args: vec!["burrow-infra".to_string()],
            workdir: "/".to_string(),
            hostname: pod.config.hostname.clone(),
            default_caps: self.conf.containers.default_capabilities.clone(),
            stop_signal: "SIGTERM".to_string(),
            stop_timeout: 10,
            network: pod.config.network.clone(),
            ports: pod.config.ports.clone(),
            dns: pod.config.dns.clone(),
            add_hosts: pod.config.add_hosts.clone(),
            log_path: self.paths.container_dir(&id).join("ctr.log"),
            pod: pod.id.clone(),
            infra: true,
            conmon_pidfile: conmon_pidfile.map(PathBuf::from),
            userns: userns.0,
            uid_map: userns.1.uid_map,
            gid_map: userns.1.gid_map,
            ..ContainerConfig::default()
        };
        let c = Container {
            name: name
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}-infra", pod.short_id())),
            id: id.clone(),
            created: now_nanos(),
            config,
            state: ContainerState::default(),
        };
        let me = self.me();
        match user_nets {
            Some(nets) => self
                .state
                .insert_container_on_networks(&c, nets, me)
                .map(|_| ())?,
            None => self.state.insert_container(&c, me)?,
        };
        let dir = self.paths.container_dir(&id);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            let _ = self.remove_container(&id, true, false, true);
            return Err(LibpodError::io(format!("create {}", dir.display()), e));
        }
        self.container_event(&c, "create");
        Ok(c)
    }

    /// The infra container's launch: no rootfs, no image, no security profile (it runs only
    /// burrow's own pause loop); its /etc files are written for the members to share.
    pub(super) fn infra_plan<'a>(&'a self, c: &Container, stdio: StdioMode) -> Result<Plan<'a>> {
        let mode = c.config.network_mode()?;
        self.write_etc_files(c, &mode)?;
        Ok(Plan {
            rootfs: PathBuf::new(),
            mount_rootfs: Box::new(|_| Ok(())),
            hostname: c.config.hostname.clone(),
            etc_files: Vec::new(),
            mounts: Vec::new(),
            read_only: false,
            new_net: mode != network::NetworkMode::Host,
            join_net: None,
            join_ipc: None,
            join_uts: None,
            join_cgroup: None,
            join_pid: None,
            infra: true,
            privileged: false,
            cgroupns_host: false,
            hooks: Vec::new(),
            hook_state: String::new(),
            masked_paths: Vec::new(),
            readonly_paths: Vec::new(),
            process: ProcessPlan {
                args: c.config.args.clone(),
                env: Vec::new(),
                cwd: "/".to_string(),
                user: String::new(),
                group_add: Vec::new(),
                caps: Default::default(),
                no_new_privileges: false,
                seccomp: None,
                ulimits: Vec::new(),
                init: false,
                preserve_fds: Vec::new(),
                umask: 0o022,
            },
            stdio,
            passwd: None,
            hosts_image_base: None,
            sysctls: Vec::new(),
            host_pid: false,
            host_ipc: false,
            host_uts: false,
            personality: None,
            userns: (!c.config.uid_map.is_empty()).then(|| crate::executor::UsernsMaps {
                uid_map: crate::userns::maps::proc_text(&c.config.uid_map),
                gid_map: crate::userns::maps::proc_text(&c.config.gid_map),
            }),
            keep_fds: Vec::new(),
            rootfs_anchor: None,
            join_user: None,
        })
    }

    /// `--pod NAME` on create/run: the member's network and hostname, refusing what podman
    /// refuses on a member (its own ports or network when the pod shares its network).
    pub(super) fn pod_member_settings(
        &self,
        name: &str,
        spec: &ContainerSpec,
    ) -> Result<MemberSettings> {
        let pod = self.state.lookup_pod(name)?;
        let mut m = MemberSettings {
            pod_id: pod.id.clone(),
            network: None,
            hostname: None,
        };
        if pod.config.shares("net") {
            if !spec.network.publish.is_empty() || spec.network.publish_all {
                return Err(PodError::MemberPorts.into());
            }
            if spec.network.mode.is_some() {
                return Err(PodError::MemberNetwork.into());
            }
            m.network = Some(format!("container:{}", pod.config.infra_id));
        }
        if pod.config.shares("uts") {
            if spec.namespaces.hostname.is_some() {
                return Err(PodError::MemberHostname.into());
            }
            m.hostname = Some(pod.config.hostname.clone());
        }
        Ok(m)
    }

    /// Starts a member's infra container first when it is not running, as podman does.
    pub(super) fn ensure_pod_infra(&self, c: &Container) -> Result<()> {
        if c.config.pod.is_empty() || c.config.infra {
            return Ok(());
        }
        let pod = self.state.lookup_pod(&c.config.pod)?;
        if !pod.config.infra {
            return Ok(());
        }
        let infra = self.lookup(&pod.config.infra_id)?;
        match infra.status() {
            Status::Running => Ok(()),
            Status::Paused => Err(LibpodError::InvalidState(format!(
                "pod {} is paused: unpause it first (burrow pod unpause {})",
                pod.name, pod.name
            ))),
            _ => self.start_detached(&infra),
        }
    }

    /// The infra container's namespaces a pod member joins (besides the network's, which
    /// goes through `--network container:`): those the pod shares.
    pub(super) fn pod_namespaces_to_join(&self, c: &Container) -> Result<PodNamespaces> {
        if c.config.pod.is_empty() || c.config.infra {
            return Ok(PodNamespaces::default());
        }
        let pod = self.state.lookup_pod(&c.config.pod)?;
        if !["ipc", "uts", "cgroup", "pid"]
            .iter()
            .any(|ns| pod.config.shares(ns))
        {
            return Ok(PodNamespaces::default());
        }
        let infra = self.lookup(&pod.config.infra_id)?;
        if infra.status() != Status::Running {
            return Err(LibpodError::InvalidState(format!(
                "the infra container of pod {} is not running: start the pod (burrow pod start {})",
                pod.name, pod.name
            )));
        }
        let open = |ns: &str| -> Result<Option<OwnedFd>> {
            if !pod.config.shares(ns) {
                return Ok(None);
            }
            let path = format!("/proc/{}/ns/{ns}", infra.state.pid);
            let f = std::fs::File::open(&path).map_err(|e| {
                LibpodError::io(format!("open the {ns} namespace of pod {}", pod.name), e)
            })?;
            Ok(Some(f.into()))
        };
        Ok(PodNamespaces {
            ipc: open("ipc")?,
            uts: open("uts")?,
            cgroup: open("cgroup")?,
            pid: open("pid")?,
        })
    }

    pub fn pod(&self, name_or_id: &str) -> Result<Pod> {
        self.state.lookup_pod(name_or_id)
    }

    pub fn pods(&self) -> Result<Vec<Pod>> {
        self.state.pods()
    }

    /// A pod's containers, infra included, oldest first, with stale records repaired.
    pub fn pod_containers(&self, pod: &Pod) -> Result<Vec<Container>> {
        self.state
            .pod_members(&pod.id)?
            .into_iter()
            .map(|c| self.refresh(c))
            .collect()
    }

    pub fn pod_status(&self, pod: &Pod) -> Result<PodStatus> {
        let statuses: Vec<Status> = self
            .pod_containers(pod)?
            .iter()
            .map(|c| c.status())
            .collect();
        Ok(PodStatus::from_members(&statuses))
    }

    /// `pod start`: the infra container, then every member that is not running.
    pub fn pod_start(&self, name: &str) -> Result<Pod> {
        let pod = self.pod(name)?;
        let members = self.pod_containers(&pod)?;
        if members.is_empty() {
            return Err(LibpodError::InvalidState(format!(
                "no containers in pod {} to start: add one with burrow run --pod {}",
                pod.name, pod.name
            )));
        }
        let (infra, rest): (Vec<Container>, Vec<Container>) =
            members.into_iter().partition(|c| c.config.infra);
        let mut errors = Vec::new();
        // The infra first (the members join its namespaces), then every member at once: their
        // monitors start side by side and their reports are read after (podman starts a
        // pod's containers in parallel too).
        for group in [infra, rest] {
            let mut pending = Vec::new();
            for c in &group {
                if matches!(c.status(), Status::Running | Status::Paused) {
                    continue;
                }
                // The infra may have been started by the first member already.
                let c = self.refresh(self.state.lookup(&c.id)?)?;
                if c.status() == Status::Running {
                    continue;
                }
                if c.status() == Status::Initialized {
                    if let Err(e) = self.start_detached(&c) {
                        errors.push(format!("{}: {e}", c.name));
                    }
                    continue;
                }
                match self.spawn_monitor(&c, false) {
                    Ok(p) => pending.push((c.name.clone(), p)),
                    Err(e) => errors.push(format!("{}: {e}", c.name)),
                }
            }
            for (name, p) in pending {
                if let Err(e) = p.finish() {
                    errors.push(format!("{name}: {e}"));
                }
            }
        }
        self.pod_result(&pod, "start", errors)
    }

    /// `pod stop`: the members, then the infra container (its network is theirs).
    pub fn pod_stop(&self, name: &str, timeout: Option<u32>) -> Result<Pod> {
        let pod = self.pod(name)?;
        let members = self.pod_containers(&pod)?;
        let mut errors = Vec::new();
        // Members together (one shared timeout), then the infra that holds their namespaces.
        for group in [
            members
                .iter()
                .filter(|c| !c.config.infra)
                .collect::<Vec<_>>(),
            members.iter().filter(|c| c.config.infra).collect(),
        ] {
            let ids: Vec<String> = group.iter().map(|c| c.id.clone()).collect();
            for (c, res) in group.iter().zip(self.stop_many(&ids, timeout, true)) {
                if let Err(e) = res {
                    errors.push(format!("{}: {e}", c.name));
                }
            }
        }
        self.pod_result(&pod, "stop", errors)
    }

    /// `--exit-policy=stop`: called by a member's monitor once that member has exited for
    /// good; stops the infra container when no other member is still running. Every monitor
    /// records its own exit before it looks at the others, so of two members ending together
    /// at least the later one sees both gone.
    pub(crate) fn apply_pod_exit_policy(&self, c: &Container) {
        if c.config.pod.is_empty() || c.config.infra {
            return;
        }
        let Ok(pod) = self.pod(&c.config.pod) else {
            return;
        };
        if pod.config.exit_policy != "stop" || pod.config.infra_id.is_empty() {
            return;
        }
        let Ok(members) = self.pod_containers(&pod) else {
            return;
        };
        let busy = members.iter().any(|m| {
            !m.config.infra
                && matches!(
                    m.status(),
                    Status::Running | Status::Paused | Status::Stopping
                )
        });
        if !busy {
            // Nobody is left to report a failure to; the pod shows as exited either way.
            let _ = self.stop(&pod.config.infra_id, None);
        }
    }

    /// `pod kill`: the signal to every running container of the pod, the infra last.
    pub fn pod_kill(&self, name: &str, signal: &str) -> Result<Pod> {
        let pod = self.pod(name)?;
        parse::signal(signal)?;
        let members = self.pod_containers(&pod)?;
        let running: Vec<&Container> = members
            .iter()
            .filter(|c| !c.config.infra)
            .chain(members.iter().filter(|c| c.config.infra))
            .filter(|c| matches!(c.status(), Status::Running | Status::Paused))
            .collect();
        if running.is_empty() {
            return Err(LibpodError::InvalidState(format!(
                "pod {} has no running containers to kill: start it first",
                pod.name
            )));
        }
        let mut errors = Vec::new();
        for c in running {
            if let Err(e) = self.kill(&c.id, signal) {
                errors.push(format!("{}: {e}", c.name));
            }
        }
        self.pod_result(&pod, "kill", errors)
    }

    /// `pod pause` / `pod unpause`: every running (paused) container of the pod.
    pub fn pod_pause(&self, name: &str, pause: bool) -> Result<Pod> {
        let pod = self.pod(name)?;
        let mut errors = Vec::new();
        for c in self.pod_containers(&pod)? {
            let r = match (pause, c.status()) {
                (true, Status::Running) => self.pause(&c.id).map(drop),
                (false, Status::Paused) => self.unpause(&c.id).map(drop),
                _ => Ok(()),
            };
            if let Err(e) = r {
                errors.push(format!("{}: {e}", c.name));
            }
        }
        self.pod_result(&pod, if pause { "pause" } else { "unpause" }, errors)
    }

    /// `pod rm`: refuses a pod with running containers unless forced; removes the members,
    /// then the infra container, then the pod. Failures are collected, the rest still goes.
    pub fn pod_remove(&self, name: &str, force: bool) -> Result<Pod> {
        let pod = self.pod(name)?;
        let members = self.pod_containers(&pod)?;
        if !force
            && let Some(c) = members
                .iter()
                .find(|c| matches!(c.status(), Status::Running | Status::Paused))
        {
            return Err(LibpodError::InvalidState(format!(
                "pod {} has containers that are not ready to be removed: cannot remove container {} as it is running - running or paused containers cannot be removed without force: container state improper",
                pod.id, c.id
            )));
        }
        // The infra container belongs to this process while the pod goes: killed anywhere
        // below, the next command finishes the removal (`Runtime::collect_garbage`). It goes
        // last, after the pod's row, so there is never a pod without its infra container.
        let infra = members.iter().find(|c| c.config.infra);
        if let Some(i) = infra {
            self.state.set_owner(&i.id, self.me())?;
        }
        let mut errors = Vec::new();
        for c in members.iter().filter(|c| !c.config.infra) {
            if let Err(e) = self.remove_container(&c.id, true, false, true) {
                errors.push(format!("{}: {e}", c.name));
            }
        }
        if !errors.is_empty() {
            if let Some(i) = infra {
                let _ = self.state.set_owner(&i.id, crate::state::Owner::NONE);
            }
            return self.pod_result(&pod, "remove", errors);
        }
        self.state.remove_pod(&pod.id)?;
        if let Some(i) = infra
            && let Err(e) = self.remove_container(&i.id, true, false, true)
        {
            errors.push(format!("{}: {e}", i.name));
        }
        self.pod_result(&pod, "remove", errors)
    }

    /// `pod prune`: every pod with no running or paused container, with its containers.
    pub fn pod_prune(&self) -> Result<Vec<Pod>> {
        let mut removed = Vec::new();
        for pod in self.pods()? {
            let busy = self
                .pod_containers(&pod)?
                .iter()
                .any(|c| matches!(c.status(), Status::Running | Status::Paused));
            if !busy {
                removed.push(self.pod_remove(&pod.id, false)?);
            }
        }
        Ok(removed)
    }

    /// `pod top`: the processes of every running container of the pod, one header.
    pub fn pod_top(&self, name: &str, descriptors: &[String]) -> Result<Vec<Vec<String>>> {
        let pod = self.pod(name)?;
        let mut rows: Vec<Vec<String>> = Vec::new();
        for c in self.pod_containers(&pod)? {
            if c.status() != Status::Running {
                continue;
            }
            let mut t = self.top(&c.id, descriptors)?;
            if rows.is_empty() {
                rows.append(&mut t);
            } else {
                rows.extend(t.into_iter().skip(1));
            }
        }
        if rows.is_empty() {
            return Err(LibpodError::InvalidState(format!(
                "pod {} is not running: no processes to show (start it with burrow pod start {})",
                pod.name, pod.name
            )));
        }
        Ok(rows)
    }

    /// `pod inspect`: podman 5's fields.
    pub fn pod_inspect(&self, pod: &Pod) -> Result<Value> {
        let members = self.pod_containers(pod)?;
        let statuses: Vec<Status> = members.iter().map(|c| c.status()).collect();
        let mut bindings = serde_json::Map::new();
        for m in &pod.config.ports {
            let key = format!("{}/{}", m.container_port, m.protocol.as_str());
            let entry = bindings.entry(key).or_insert_with(|| json!([]));
            if let Some(a) = entry.as_array_mut() {
                a.push(json!({
                    "HostIp": m.host_ip.map(|i| i.to_string()).unwrap_or_default(),
                    "HostPort": m.host_port.to_string(),
                }));
            }
        }
        Ok(json!({
            "Id": pod.id,
            "Name": pod.name,
            "Created": super::inspect::time_string(pod.created),
            "ExitPolicy": if pod.config.exit_policy.is_empty() { "continue" } else { pod.config.exit_policy.as_str() },
            "CreateCommand": pod.config.create_command,
            "State": PodStatus::from_members(&statuses).as_str(),
            "Hostname": pod.config.hostname,
            "Labels": pod.config.labels,
            "CreateCgroup": false,
            "CreateInfra": pod.config.infra,
            "InfraContainerId": pod.config.infra_id,
            "InfraConfig": {
                "PortBindings": bindings,
                "HostNetwork": pod.config.network == "host",
                "NetworkOptions": {},
                "Networks": [pod.config.network],
                "DNSServer": pod.config.dns,
                "HostAdd": pod.config.add_hosts,
            },
            "SharedNamespaces": pod.config.share,
            "NumContainers": members.len(),
            "Containers": members.iter().map(|c| json!({
                "Id": c.id,
                "Name": c.name,
                "State": c.status().as_str(),
            })).collect::<Vec<_>>(),
        }))
    }

    /// Records the pod event and turns the collected member failures into one error.
    fn pod_result(&self, pod: &Pod, status: &str, errors: Vec<String>) -> Result<Pod> {
        if errors.is_empty() {
            self.pod_event(pod, status);
            return Ok(pod.clone());
        }
        Err(LibpodError::InvalidState(format!(
            "{status} pod {}: {}",
            pod.name,
            errors.join("; ")
        )))
    }

    fn pod_event(&self, pod: &Pod, status: &str) {
        let mut ev = Event::new("pod", status, &pod.id).name(&pod.name);
        ev.attributes = pod.config.labels.clone();
        self.events.write(&ev);
    }
}

/// A pod's namespaces a member joins (None: the member gets its own).
#[derive(Default)]
pub(super) struct PodNamespaces {
    pub ipc: Option<OwnedFd>,
    pub uts: Option<OwnedFd>,
    pub cgroup: Option<OwnedFd>,
    pub pid: Option<OwnedFd>,
}
