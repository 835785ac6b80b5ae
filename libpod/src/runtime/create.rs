//! `create`: turns a [`ContainerSpec`] into a stored container: resolves the image, merges the
//! defaults (`spec::defaults`), resolves what needs the state (volumes of other containers, the
//! pod, networks, free host ports, devices, named volumes) and records the container in one
//! database row. Nothing is left in the store or the database when any step fails.

use std::path::Path;

use oci_spec::image::Config as ImageConfig;

use crate::container::{Container, ContainerConfig, ContainerState, Mount};
use crate::error::{LibpodError, Result};
use crate::network_def::AttachRequest;
use crate::spec::{ContainerSpec, SpecError, VolumesFrom, defaults, parse};
use crate::state::Owner;

use super::{Runtime, names};
use crate::clock::now_nanos;

impl Runtime {
    /// Creates the container `spec` describes (see [`crate::spec`] for how to fill one) and
    /// returns it as stored, in the created state.
    pub fn create(&self, spec: &ContainerSpec) -> Result<Container> {
        let rootfs = spec.storage.rootfs.as_ref();
        // `--rootfs`: no image, so no image defaults (podman's empty image config).
        let image = match rootfs {
            Some(_) => None,
            None => Some(self.store.lookup(&spec.image)?),
        };
        // The raw JSON too: the image's docker Healthcheck is not in oci_spec's config.
        let config_json = match &image {
            Some(image) => self.store.config_bytes(image)?,
            None => b"{}".to_vec(),
        };
        let ic = match &image {
            Some(image) => {
                let image_config: oci_spec::image::ImageConfiguration =
                    serde_json::from_slice(&config_json).map_err(|e| {
                        storage::StorageError::InvalidJson {
                            what: format!("config of image {}", image.id),
                            reason: e.to_string(),
                        }
                    })?;
                image_config.config().clone().unwrap_or_default()
            }
            None => ImageConfig::default(),
        };
        let health = defaults::health(
            spec,
            crate::spec::health::image_healthcheck(&config_json).as_ref(),
        );

        // Resolve everything before the first write.
        let mut mounts = spec.storage.mounts.clone();
        self.add_volumes_from(&mut mounts, &spec.storage.volumes_from)?;
        let merged = defaults::merge(spec, mounts, &ic, &self.conf.containers)?;
        if self.rootless && !spec.devices.cgroup_rules.is_empty() {
            return Err(SpecError::DeviceCgroupRulesRootless.into());
        }
        let mut resources = spec.resources.limits.clone();
        if resources.needs_cgroup()
            && let Some(w) = crate::cgroups::limits_warning(self.rootless)
        {
            // podman prints this and drops the limits it cannot enforce (inspect shows none);
            // /dev/shm's size, the OOM score and the RDT class need no cgroup and stay.
            crate::warn!("{w}");
            resources = crate::cgroups::Resources {
                oom_score_adj: resources.oom_score_adj,
                shm_size: resources.shm_size,
                rdt_class: resources.rdt_class,
                ..Default::default()
            };
        }
        if resources.blkio_weight != 0 && !crate::cgroups::blkio::weight_supported() {
            // podman's warning: the weight is dropped, the container still runs.
            crate::warn!(
                "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
            );
            resources.blkio_weight = 0;
        }
        crate::cgroups::drop_unsupported(&mut resources);
        let place = self.resolve_placement(spec, &ic)?;
        let ns_modes = self.resolve_namespace_modes(spec)?;
        if place.network == "host"
            && let Some((key, value)) = spec
                .namespaces
                .sysctls
                .iter()
                .find(|(k, _)| k.starts_with("net."))
        {
            return Err(SpecError::SysctlHostNetwork {
                key: key.clone(),
                value: value.clone(),
            }
            .into());
        }
        let userns_mode = match &spec.namespaces.userns {
            Some(m) => m.clone(),
            // A pod member lives in its pod's namespaces: the pod's user namespace if it has
            // one (`pod create --userns`), else the user's.
            None if !place.pod_id.is_empty() => self.pod_member_userns(&place.pod_id)?,
            None => crate::spec::userns::UsernsMode::parse(
                self.conf.containers.userns.as_deref(),
                &[],
                &[],
                None,
                None,
            )?,
        };
        let userns = self.resolve_userns(&userns_mode, &place.network, &place.pod_id, &ns_modes)?;
        let secrets = self.resolve_secrets(&spec.secrets)?;
        let res = &spec.resources;
        if res.cgroup_parent.is_some() || !res.cgroup_conf.is_empty() {
            // Placed where the user asked, or refused now: never silently without a cgroup.
            crate::cgroups::Cgroup::for_container_under(
                "",
                res.cgroup_parent.as_deref().unwrap_or_default(),
                self.rootless,
            )
            .map_err(|e| {
                LibpodError::InvalidState(format!(
                    "--cgroup-parent/--cgroup-conf need cgroups, which this user cannot use: {e} (see `burrow system doctor`)"
                ))
            })?;
        }
        if spec.security.seccomp_from_image {
            super::seccomp_policy::check_image_profile(&spec.image, &ic)?;
        }
        let dependencies = self.resolve_requires(&spec.lifecycle.requires, &place.pod_id)?;
        if spec.lifecycle.replace
            && let Some(n) = &spec.name
            && let Ok(old) = self.state.lookup(n)
            && old.name == *n
        {
            self.remove(&old.id, true, false)?;
        }

        let id = names::new_id()?;
        let devs = super::devices::resolve(
            &spec.devices.devices,
            spec.devices.gpus.as_deref(),
            &self.cdi_dirs,
        )?;
        let mut env = merged.env;
        for e in &devs.env {
            parse::merge_env(&mut env, e);
        }
        if merged.systemd && !env.iter().any(|e| e.starts_with("container_uuid=")) {
            // systemd takes its machine id from this (podman's value: the id's first half).
            env.push(format!("container_uuid={}", &id[..32]));
        }
        let mut mounts = merged.mounts;
        mounts.extend(devs.mounts);
        // Volumes are the last thing created before the row: a failure below drops them.
        let new_volumes = self.resolve_volume_mounts(&mut mounts)?;
        let (p, net) = (&spec.process, &spec.network);
        let config = ContainerConfig {
            image_id: image.as_ref().map(|i| i.id.clone()).unwrap_or_default(),
            image_name: match (&image, rootfs) {
                (Some(image), _) => display_image_name(&spec.image, image),
                (None, Some(r)) => r.path.display().to_string(),
                (None, None) => String::new(),
            },
            args: merged.args,
            cmd: merged.cmd,
            entrypoint: merged.entrypoint,
            env,
            workdir: merged.workdir,
            user: match userns.keep_id_user {
                // keep-id runs as the user unless --user or the image says otherwise.
                Some((u, g)) if merged.user.is_empty() => format!("{u}:{g}"),
                _ => merged.user,
            },
            group_add: p.group_add.clone(),
            hostname: place
                .hostname
                .or_else(|| spec.namespaces.hostname.clone())
                .or_else(|| ns_modes.hostname.clone())
                .unwrap_or_else(|| id[..12].to_string()),
            labels: merged.labels,
            annotations: spec.annotations.clone(),
            mounts,
            read_only: spec.storage.read_only,
            init: merged.init,
            tty: p.tty,
            interactive: p.interactive,
            cap_add: spec.security.cap_add.clone(),
            cap_drop: spec.security.cap_drop.clone(),
            default_caps: merged.default_caps,
            privileged: spec.security.privileged,
            seccomp: merged.seccomp,
            no_new_privileges: spec.security.no_new_privileges,
            mask: spec.security.mask.clone(),
            unmask: spec.security.unmask.clone(),
            stop_signal: merged.stop_signal,
            stop_timeout: p.stop_timeout.unwrap_or(10),
            restart: spec.restart.clone(),
            auto_remove: spec.auto_remove,
            ulimits: merged.ulimits,
            network: place.network,
            ports: place.ports,
            dns: net.dns.clone(),
            dns_search: net.dns_search.clone(),
            dns_options: net.dns_options.clone(),
            add_hosts: net.add_hosts.clone(),
            log_path: spec
                .lifecycle
                .log
                .path
                .clone()
                .unwrap_or_else(|| self.paths.container_dir(&id).join("ctr.log")),
            stdin_open: p.interactive,
            preserve_fds: p.preserve_fds,
            preserve_fd: p.preserve_fd.clone(),
            resources,
            pod: place.pod_id,
            infra: false,
            cgroups: spec.namespaces.cgroups.stored().to_string(),
            cgroupns: spec.namespaces.cgroupns.stored().to_string(),
            devices: devs.devices,
            hooks: devs.hooks,
            temporary: spec.lifecycle.temporary,
            health,
            raw_image_name: if rootfs.is_some() {
                String::new()
            } else {
                spec.image.clone()
            },
            create_command: spec.lifecycle.create_command.clone(),
            sdnotify: spec.lifecycle.sdnotify.stored().to_string(),
            secrets,
            conmon_pidfile: spec.lifecycle.conmon_pidfile.clone(),
            timezone: p.timezone.clone().unwrap_or_default(),
            umask: p.umask.clone().unwrap_or_default(),
            exposed_ports: place.exposed,
            no_hosts: net.no_hosts,
            no_hostname: spec.namespaces.no_hostname,
            hosts_file: net.hosts_file.clone().unwrap_or_default(),
            passwd: p.passwd,
            passwd_entry: p.passwd_entry.clone().unwrap_or_default(),
            group_entry: p.group_entry.clone().unwrap_or_default(),
            host_users: p.host_users.clone(),
            sysctls: spec.namespaces.sysctls.iter().cloned().collect(),
            pidfile: spec.lifecycle.pidfile.clone(),
            timeout: spec.lifecycle.timeout,
            remove_image: spec.lifecycle.remove_image,
            pid_mode: ns_modes.pid,
            ipc_mode: ns_modes.ipc,
            uts_mode: ns_modes.uts,
            log_driver: spec.lifecycle.log.driver.clone(),
            log_size_max: spec.lifecycle.log.max_size,
            log_tag: spec.lifecycle.log.tag.clone(),
            personality: p.personality.clone().unwrap_or_default(),
            dependencies,
            init_path: match &p.init_path {
                Some(path) if merged.init => path.to_string_lossy().into_owned(),
                _ => String::new(),
            },
            chroot_dirs: net.chroot_dirs.clone(),
            rootfs: rootfs
                .map(|r| r.path.display().to_string())
                .unwrap_or_default(),
            rootfs_overlay: rootfs.is_some_and(|r| r.overlay),
            cgroup_parent: res.cgroup_parent.clone().unwrap_or_default(),
            cgroup_conf: res.cgroup_conf.clone(),
            userns: match &userns.joined {
                Some(id) => format!("container:{id}"),
                None if matches!(userns_mode, crate::spec::userns::UsernsMode::Container(_)) => {
                    String::new()
                }
                None => super::userns_mode::stored_name(&userns_mode),
            },
            uid_map: userns.uid_map,
            gid_map: userns.gid_map,
            seccomp_policy: if spec.security.seccomp_from_image {
                "image".to_string()
            } else {
                String::new()
            },
            systemd: merged.systemd,
            shm_size_systemd: p.shm_size_systemd,
        };
        let mut c = Container {
            id: id.clone(),
            name: spec.name.clone().map_or_else(names::random_name, Ok)?,
            created: now_nanos(),
            config,
            state: ContainerState::default(),
        };
        // A generated name has only 32 x 28 combinations, so it collides with an existing one
        // well before 50 containers: draw again (as podman does), with a number appended once
        // plain names keep colliding. A name the user gave is never changed.
        let mut attempt = 0;
        // On user networks the addresses are handed out in the container row's transaction.
        // The row comes first, owned by this process until the container is complete: a
        // command killed anywhere from here on leaves a container the next command removes
        // (`Runtime::collect_garbage`), never a directory no row names.
        let me = self.me();
        let insert = |c: &Container| match &place.user_networks {
            Some(nets) => self
                .state
                .insert_container_on_networks(c, nets, me)
                .map(|_| ()),
            None => self.state.insert_container(c, me),
        };
        while let Err(e) = insert(&c) {
            attempt += 1;
            match e {
                LibpodError::NameInUse(..) if spec.name.is_none() && attempt < 100 => {
                    c.name = names::random_name()?;
                    if attempt > 10 {
                        let n = u16::from_le_bytes(names::random_bytes::<2>()?);
                        c.name.push_str(&(n % 1000).to_string());
                    }
                }
                e => return Err(e.with_cleanup(self.drop_volumes(&new_volumes))),
            }
        }
        if let Err(e) = self.finish_create(&c, spec) {
            let mut undo: Vec<LibpodError> =
                self.remove(&id, true, false).err().into_iter().collect();
            undo.extend(self.drop_volumes(&new_volumes));
            return Err(e.with_cleanup(undo));
        }
        if !spec.lifecycle.start_next && !spec.lifecycle.temporary {
            self.state.set_owner(&id, Owner::NONE)?;
        }
        self.container_event(&c, "create");
        Ok(c)
    }

    /// Where the container lives: its pod, its network (a pod member's comes from its pod),
    /// the user networks it joins (checked to exist) and its published ports (on free host
    /// ports).
    fn resolve_placement(&self, spec: &ContainerSpec, ic: &ImageConfig) -> Result<Placement> {
        let net = &spec.network;
        let member = match &spec.pod {
            Some(p) => Some(self.pod_member_settings(p, spec)?),
            None => None,
        };
        // `--network NAME[,NAME2]`: user-defined networks.
        let mut user_networks = match member.as_ref().and_then(|m| m.network.as_ref()) {
            Some(_) => None,
            None => self.attach_requests(net.mode.as_deref(), &net.aliases, net.ip.as_deref())?,
        };
        super::static_addresses::apply(net, member.is_some(), user_networks.as_deref_mut())?;
        if user_networks.is_none() && (!net.aliases.is_empty() || net.ip.is_some()) {
            return Err(SpecError::NeedsUserNetwork.into());
        }
        let network = match member.as_ref().and_then(|m| m.network.clone()) {
            Some(n) => n,
            None if user_networks.is_some() => "bridge".to_string(),
            None => self.resolve_network(net.mode.as_deref())?,
        };
        // The image's EXPOSE entries, then `--expose` (podman's createPortMappings).
        let mut exposed: Vec<String> = Vec::new();
        for e in ic.exposed_ports().iter().flatten() {
            for port in crate::spec::parse::expose(e).unwrap_or_default() {
                if !exposed.contains(&port) {
                    exposed.push(port);
                }
            }
        }
        for port in &net.expose {
            if !exposed.contains(port) {
                exposed.push(port.clone());
            }
        }
        let publish_exposed: &[String] = if net.publish_all { &exposed } else { &[] };
        let ports = self.resolve_ports(net.publish.clone(), publish_exposed, &network)?;
        let (pod_id, hostname) = member.map(|m| (m.pod_id, m.hostname)).unwrap_or_default();
        Ok(Placement {
            pod_id,
            hostname,
            network,
            user_networks,
            ports,
            exposed,
        })
    }

    /// The files of a container whose row exists: its directories, the cidfile, config.json.
    fn finish_create(&self, c: &Container, spec: &ContainerSpec) -> Result<()> {
        let dir = self.paths.container_dir(&c.id);
        for sub in ["upper", "work"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(|e| LibpodError::io(format!("create {}", dir.join(sub).display()), e))?;
        }
        if let Some(cidfile) = &spec.lifecycle.cidfile {
            write_cidfile(cidfile, &c.id)?;
        }
        self.write_spec(c)
    }

    /// `--volumes-from`: the other containers' mounts (not their tmpfs) the container does not
    /// mount itself, with `:ro`/`:rw` applied.
    fn add_volumes_from(&self, mounts: &mut Vec<Mount>, from: &[VolumesFrom]) -> Result<()> {
        for f in from {
            let other = self.lookup(&f.container)?;
            for m in other.config.mounts.iter().filter(|m| m.kind != "tmpfs") {
                if mounts.iter().any(|o| o.destination == m.destination) {
                    continue;
                }
                let mut m = m.clone();
                match f.read_only {
                    Some(true) => {
                        m.options.retain(|o| o != "rw");
                        if !m.read_only() {
                            m.options.push("ro".into());
                        }
                    }
                    Some(false) => m.options.retain(|o| o != "ro"),
                    None => {}
                }
                mounts.push(m);
            }
        }
        Ok(())
    }
}

/// What [`Runtime::resolve_placement`] found.
struct Placement {
    /// The pod's id, empty for none.
    pod_id: String,
    /// The pod's hostname when the pod shares its UTS namespace.
    hostname: Option<String>,
    network: String,
    user_networks: Option<Vec<AttachRequest>>,
    ports: Vec<network::PortMapping>,
    /// Exposed ports, "PORT/PROTO", image's then `--expose`.
    exposed: Vec<String>,
}

/// What `ps` shows in its IMAGE column: the image's own name, fully qualified.
fn display_image_name(asked: &str, image: &storage::Image) -> String {
    if image.id.starts_with(asked) {
        return image
            .names
            .first()
            .cloned()
            .unwrap_or_else(|| image.id.clone());
    }
    image
        .names
        .iter()
        .find(|n| n.ends_with(asked) || n.contains(&format!("/{asked}:")))
        .or(image.names.first())
        .cloned()
        .unwrap_or_else(|| asked.to_string())
}

fn write_cidfile(path: &Path, id: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| LibpodError::io(format!("create cidfile {}", path.display()), e))?;
    f.write_all(id.as_bytes())
        .map_err(|e| LibpodError::io(format!("write cidfile {}", path.display()), e))
}

impl Runtime {
    /// `--network`, validated, with podman's default for a rootless container (slirp4netns;
    /// as root too, there being no bridge networks yet). `container:NAME` is stored with the
    /// other container's id, so renaming it later does not break this one.
    pub(super) fn resolve_network(&self, asked: Option<&str>) -> Result<String> {
        let network = asked.unwrap_or(network::DEFAULT_MODE);
        match network::NetworkMode::parse(network)? {
            network::NetworkMode::Container(target) => {
                let t = self
                    .state
                    .lookup(&target)
                    .map_err(|_| SpecError::NetnsContainer(target.clone()))?;
                Ok(format!("container:{}", t.id))
            }
            network::NetworkMode::Ns(path) if !path.exists() => {
                Err(SpecError::NetnsPath(path).into())
            }
            _ => Ok(network.to_string()),
        }
    }

    /// `-p` and `-P`: parsed, given a host port where none was named, and checked free on
    /// the host, so a taken port fails the create instead of the start.
    pub(super) fn resolve_ports(
        &self,
        mut ports: Vec<network::PortMapping>,
        exposed: &[String],
        network: &str,
    ) -> Result<Vec<network::PortMapping>> {
        // -P: each EXPOSEd "80/tcp" the user did not publish explicitly, on a free port.
        for e in exposed {
            for m in network::parse_port(e)? {
                if !ports
                    .iter()
                    .any(|p| p.container_port == m.container_port && p.protocol == m.protocol)
                {
                    ports.push(m);
                }
            }
        }
        if ports.is_empty() {
            return Ok(ports);
        }
        let mode = network::NetworkMode::parse(network)?;
        if !mode.can_publish() {
            let why = match mode {
                network::NetworkMode::Container(_) => {
                    "the network namespace belongs to another container: publish the ports on that container"
                }
                _ => {
                    "the container has no network to forward them to (use --network slirp4netns or pasta)"
                }
            };
            return Err(SpecError::CannotPublish {
                network: network.to_string(),
                why,
            }
            .into());
        }
        for (i, m) in ports.iter().enumerate() {
            if m.host_port != 0
                && ports[..i]
                    .iter()
                    .any(|o| o.host_port == m.host_port && o.protocol == m.protocol)
            {
                return Err(SpecError::PortTwice(format!("{}/{}", m.host_port, m.protocol)).into());
            }
        }
        for m in &mut ports {
            if m.host_port == 0 {
                m.host_port = network::pick_free_port(m)?;
            }
            network::check_host_port_free(m)?;
        }
        Ok(ports)
    }
}
