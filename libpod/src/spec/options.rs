//! [`CreateOptions`]: the `create`/`run` flags as the user typed them, and their one parse into
//! a [`ContainerSpec`].

use std::path::PathBuf;

use crate::container::{Mount, RestartPolicy};
use crate::error::{LibpodError, Result};
use crate::runtime::names;

use super::{
    ContainerSpec, DeviceSpec, LifecycleSpec, NamespaceSpec, NetworkSpec, ProcessSpec,
    ResourceSpec, SecuritySpec, SpecError, StorageSpec, parse,
};

/// The flags of `create`/`run` as strings, as given on the command line.
#[derive(Clone, Debug, Default)]
pub struct CreateOptions {
    pub image: String,
    pub command: Vec<String>,
    pub name: Option<String>,
    pub entrypoint: Option<String>,
    pub env: Vec<String>,
    pub env_files: Vec<PathBuf>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub group_add: Vec<String>,
    pub hostname: Option<String>,
    pub labels: Vec<String>,
    pub label_files: Vec<PathBuf>,
    pub annotations: Vec<String>,
    pub volumes: Vec<String>,
    /// `--mount type=...,src=...,dst=...`.
    pub mounts: Vec<String>,
    /// `--volumes-from CTR[:ro|rw]`.
    pub volumes_from: Vec<String>,
    pub tmpfs: Vec<String>,
    /// `--read-only[=BOOL]`; `None`: containers.conf's `read_only`.
    pub read_only: Option<bool>,
    /// podman's --read-only-tmpfs: with --read-only, /tmp, /var/tmp and /run stay writable.
    pub read_only_tmpfs: bool,
    pub init: bool,
    pub tty: bool,
    pub interactive: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    pub security_opt: Vec<String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<u32>,
    pub restart: Option<String>,
    pub rm: bool,
    /// `--cgroups`: enabled (default), disabled, no-conmon, split.
    pub cgroups: Option<String>,
    /// `--cgroupns`: private (default) or host.
    pub cgroupns: Option<String>,
    /// `--device`: host paths or CDI names.
    pub devices: Vec<String>,
    /// `--gpus`: NVIDIA GPUs through CDI (`all`, a count, `device=0,1`).
    pub gpus: Option<String>,
    /// See [`LifecycleSpec::start_next`].
    pub start_next: bool,
    /// See [`LifecycleSpec::temporary`].
    pub temporary: bool,
    pub ulimits: Vec<String>,
    pub network: Option<String>,
    /// `-p [ip:][hostPort:]containerPort[/protocol]`.
    pub publish: Vec<String>,
    /// `-P`: publish every port the image EXPOSEs on a free host port.
    pub publish_all: bool,
    /// `--dns`, `--dns-search`, `--dns-option`, `--add-host`.
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    pub add_hosts: Vec<String>,
    pub replace: bool,
    pub cidfile: Option<PathBuf>,
    pub preserve_fds: u32,
    /// `--preserve-fd FD[,FD]`, each flag as given.
    pub preserve_fd: Vec<String>,
    /// --memory, --cpus, ... as given.
    pub resources: crate::cgroups::ResourceOptions,
    /// `--pod NAME`: join an existing pod (`new:NAME` is resolved by the caller).
    pub pod: Option<String>,
    /// `--network-alias`: more names for the container on each user network.
    pub network_aliases: Vec<String>,
    /// `--ip`: a fixed address on the (single) user network.
    pub ip: Option<String>,
    /// `--health-*` and `--no-healthcheck`.
    pub health: super::HealthOptions,
    /// The command line that created the container (podman's CreateCommand), for
    /// `generate systemd --new`; empty when not created from a command line.
    pub create_command: Vec<String>,
    /// `--sdnotify`: conmon (default), container, healthy, ignore.
    pub sdnotify: Option<String>,
    /// `--secret NAME[,type=mount|env][,target=...][,uid=][,gid=][,mode=]`.
    pub secrets: Vec<String>,
    /// `--tz`: a zone name or `local`.
    pub tz: Option<String>,
    /// `--umask`: octal, 0022 by default.
    pub umask: Option<String>,
    /// `--expose PORT[-END][/PROTO]`.
    pub expose: Vec<String>,
    /// `--unsetenv`, `--unsetenv-all`, `--env-host`, `--env-merge`, `--http-proxy`.
    pub unsetenv: Vec<String>,
    pub unsetenv_all: bool,
    pub env_host: bool,
    pub env_merge: Vec<String>,
    pub http_proxy: bool,
    /// `--no-hosts`, `--no-hostname`, `--hosts-file`.
    pub no_hosts: bool,
    pub no_hostname: bool,
    pub hosts_file: Option<String>,
    /// `--passwd`, `--passwd-entry`, `--group-entry`, `--hostuser`.
    pub passwd: Option<bool>,
    pub passwd_entry: Option<String>,
    pub group_entry: Option<String>,
    pub host_users: Vec<String>,
    /// `--sysctl KEY=VALUE`, `--pidfile`, `--timeout`, `--rmi` (run -d).
    pub sysctls: Vec<String>,
    pub pidfile: Option<PathBuf>,
    pub timeout: u32,
    pub remove_image: bool,
    /// `--pid`, `--ipc`, `--uts`: private, host, container:NAME, ns:PATH (ipc: shareable).
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub uts: Option<String>,
    /// `--log-driver`, `--log-opt NAME=VALUE`.
    pub log_driver: Option<String>,
    pub log_opts: Vec<String>,
    /// `--personality LINUX|LINUX32`.
    pub personality: Option<String>,
    /// `--requires CTR[,CTR]`, each flag as given.
    pub requires: Vec<String>,
    /// `--image-volume bind|tmpfs|ignore`.
    pub image_volume: Option<String>,
    /// `--init-path PATH`.
    pub init_path: Option<PathBuf>,
    /// `--rootfs`: `image` is `PATH[:O]`, an exploded root filesystem.
    pub rootfs: bool,
    /// `--seccomp-policy default|image`.
    pub seccomp_policy: Option<String>,
    /// `--chrootdirs DIR[,DIR]`.
    pub chroot_dirs: Vec<String>,
    /// `--mac-address`, `--ip6`, `--link-local-ip`.
    pub mac_address: Option<String>,
    pub ip6: Option<String>,
    pub link_local_ips: Vec<String>,
    /// `--cgroup-parent PATH`, `--cgroup-conf KEY=VALUE`.
    pub cgroup_parent: Option<String>,
    pub cgroup_conf: Vec<String>,
    /// `--systemd true|false|always`, `--shm-size-systemd SIZE`.
    pub systemd: Option<String>,
    pub shm_size_systemd: Option<String>,
    /// `--conmon-pidfile PATH`.
    pub conmon_pidfile: Option<PathBuf>,
    /// `--device-cgroup-rule RULE`.
    pub device_cgroup_rules: Vec<String>,
    /// `--userns MODE`, `--uidmap`/`--gidmap CONTAINER:HOST:SIZE`, `--subuidname`,
    /// `--subgidname`.
    pub userns: Option<String>,
    pub uidmap: Vec<String>,
    pub gidmap: Vec<String>,
    pub subuidname: Option<String>,
    pub subgidname: Option<String>,
}

impl TryFrom<&CreateOptions> for ContainerSpec {
    type Error = LibpodError;

    /// Every flag checked, in one place: nothing is created when this fails.
    fn try_from(o: &CreateOptions) -> Result<ContainerSpec> {
        if let Some(n) = &o.name {
            names::validate(names::NameKind::Container, n)?;
        }
        let restart = match &o.restart {
            Some(r) => RestartPolicy::parse(r).map_err(SpecError::Restart)?,
            None => RestartPolicy::default(),
        };
        if o.rm && !matches!(restart.name.as_str(), "" | "no") {
            return Err(SpecError::RemoveWithRestart.into());
        }
        if let Some(s) = &o.stop_signal {
            parse::signal_number(s)?;
        }
        let mut mounts: Vec<Mount> = Vec::new();
        for v in &o.volumes {
            mounts.push(crate::volume::parse_volume_flag(v)?);
        }
        for m in &o.mounts {
            mounts.push(crate::volume::parse_mount_flag(m)?);
        }
        for t in &o.tmpfs {
            mounts.push(crate::volume::parse_tmpfs_flag(t)?);
        }
        for (i, m) in mounts.iter().enumerate() {
            if mounts[..i].iter().any(|o| o.destination == m.destination) {
                return Err(SpecError::DuplicateMount(m.destination.clone()).into());
            }
        }
        let volumes_from = o
            .volumes_from
            .iter()
            .map(|f| parse::volumes_from(f))
            .collect::<std::result::Result<_, _>>()?;
        let ulimits = o
            .ulimits
            .iter()
            .map(|u| parse::ulimit(u))
            .collect::<std::result::Result<_, _>>()?;
        let limits = crate::cgroups::Resources::default().merged(&o.resources)?;
        let cgroups = parse::cgroups_mode(o.cgroups.as_deref())?;
        let cgroupns = parse::cgroupns_mode(o.cgroupns.as_deref())?;
        let any_userns_flag = o.userns.is_some()
            || !o.uidmap.is_empty()
            || !o.gidmap.is_empty()
            || o.subuidname.is_some()
            || o.subgidname.is_some();
        let userns = if any_userns_flag {
            Some(super::userns::UsernsMode::parse(
                o.userns.as_deref(),
                &o.uidmap,
                &o.gidmap,
                o.subuidname.as_deref(),
                o.subgidname.as_deref(),
            )?)
        } else {
            None
        };
        if cgroups == super::CgroupsMode::Disabled && limits.needs_cgroup() {
            return Err(SpecError::LimitsWithoutCgroup.into());
        }
        let (cgroup_parent, cgroup_conf) =
            parse::cgroup_placement(&o.cgroup_parent, &o.cgroup_conf)?;
        if cgroups == super::CgroupsMode::Disabled
            && (cgroup_parent.is_some() || !cgroup_conf.is_empty())
        {
            return Err(SpecError::CgroupPlacementWithoutCgroup.into());
        }
        let (mac_address, ip6, link_local_ips) =
            parse::static_addresses(&o.mac_address, &o.ip6, &o.link_local_ips)?;
        let chroot_dirs = parse::comma_list(&o.chroot_dirs);
        if let Some(bad) = chroot_dirs
            .iter()
            .find(|d| !d.starts_with('/') || d.split('/').any(|c| c == ".."))
        {
            return Err(SpecError::ChrootDir(bad.clone()).into());
        }
        let publish = parse::ports(&o.publish)?;
        parse::dns_and_hosts(&o.dns, &o.add_hosts)?;
        let sec = parse::security_opts(&o.security_opt)?;
        let mut env = Vec::new();
        for f in &o.env_files {
            for line in parse::read_lines(f, "env file")? {
                parse::merge_env(&mut env, &line);
            }
        }
        for e in &o.env {
            parse::merge_env(&mut env, e);
        }
        let mut labels = std::collections::BTreeMap::new();
        for f in &o.label_files {
            parse::key_values(
                &mut labels,
                parse::read_lines(f, "label file")?
                    .iter()
                    .map(String::as_str),
            );
        }
        parse::key_values(&mut labels, o.labels.iter().map(String::as_str));
        let mut annotations = std::collections::BTreeMap::new();
        parse::key_values(&mut annotations, o.annotations.iter().map(String::as_str));
        let entrypoint = o.entrypoint.as_deref().map(parse::entrypoint).transpose()?;
        let health = super::HealthSpec::try_from(&o.health)?;
        let sdnotify = match o.sdnotify.as_deref() {
            None => crate::sdnotify::SdNotifyMode::default(),
            Some(m) => crate::sdnotify::SdNotifyMode::parse(m)
                .ok_or_else(|| SpecError::SdNotify(m.to_string()))?,
        };
        let secrets = o
            .secrets
            .iter()
            .map(|s| parse::secret(s))
            .collect::<std::result::Result<_, _>>()?;
        let umask = o.umask.as_deref().map(parse::umask).transpose()?;
        let timezone = o.tz.as_deref().map(parse::timezone).transpose()?;
        let mut expose: Vec<String> = Vec::new();
        for e in &o.expose {
            for port in parse::expose(e)? {
                if !expose.contains(&port) {
                    expose.push(port);
                }
            }
        }
        if o.no_hosts && !o.add_hosts.is_empty() {
            return Err(SpecError::AddHostWithNoHosts.into());
        }
        if o.no_hosts && o.hosts_file.is_some() {
            return Err(SpecError::HostsFileWithNoHosts.into());
        }
        if let Some(h) = &o.hosts_file {
            parse::hosts_file(h)?;
        }
        for u in &o.host_users {
            parse::host_user(u)?;
        }
        let sysctls = parse::sysctls(&o.sysctls)?;
        if let Some(p) = &o.personality
            && !matches!(p.as_str(), "LINUX" | "LINUX32")
        {
            return Err(SpecError::Personality(p.clone()).into());
        }
        let log = super::logging::LogSpec::parse(o.log_driver.as_deref(), &o.log_opts)?;
        let ns = |flag: &'static str, v: &Option<String>| {
            super::namespaces::NsMode::parse(flag, v.as_deref().unwrap_or(""))
        };
        let (pid, ipc, uts) = (
            ns("--pid", &o.pid)?,
            ns("--ipc", &o.ipc)?,
            ns("--uts", &o.uts)?,
        );
        if o.hostname.is_some() && uts == super::namespaces::NsMode::Host {
            return Err(SpecError::HostnameWithHostUts.into());
        }
        if o.hostname.is_some() && !uts.is_private() {
            return Err(SpecError::HostnameWithJoinedUts.into());
        }
        if let Some(path) = &o.init_path
            && !path.exists()
        {
            return Err(SpecError::InitPath(path.clone()).into());
        }
        if o.init && !pid.is_private() {
            return Err(SpecError::InitWithoutPidNs.into());
        }
        let absolute = |p: &PathBuf| {
            if p.is_absolute() {
                p.clone()
            } else {
                std::env::current_dir().unwrap_or_default().join(p)
            }
        };
        let pidfile = o.pidfile.as_ref().map(absolute);
        let conmon_pidfile = o.conmon_pidfile.as_ref().map(absolute);
        let preserve_fd = super::fds::parse_preserve_fd(&o.preserve_fd)?;
        if o.start_next {
            // `run`: the descriptors must be there now; they are handed on at once.
            super::fds::check_inherited(&preserve_fd, o.preserve_fds)?;
        }
        if o.group_add.len() > 1
            && o.group_add
                .iter()
                .any(|g| g == crate::executor::KEEP_GROUPS)
        {
            return Err(SpecError::KeepGroups.into());
        }
        let systemd = o
            .systemd
            .as_deref()
            .map(super::systemd::SystemdMode::parse)
            .transpose()?
            .unwrap_or_default();
        let shm_size_systemd = match &o.shm_size_systemd {
            Some(v) => crate::cgroups::limits::parse_size("shm-size-systemd", v)
                .map_err(|_| SpecError::ShmSizeSystemd(v.clone()))?,
            None => 0,
        };
        Ok(ContainerSpec {
            image: o.image.clone(),
            name: o.name.clone(),
            process: ProcessSpec {
                command: o.command.clone(),
                entrypoint,
                env,
                workdir: o.workdir.clone(),
                user: o.user.clone(),
                group_add: o.group_add.clone(),
                tty: o.tty,
                interactive: o.interactive,
                init: o.init,
                preserve_fds: o.preserve_fds,
                preserve_fd,
                stop_signal: o.stop_signal.clone(),
                stop_timeout: o.stop_timeout,
                env_merge: o.env_merge.clone(),
                unset_env: o.unsetenv.clone(),
                unset_env_all: o.unsetenv_all,
                env_host: o.env_host,
                http_proxy: o.http_proxy,
                umask,
                timezone,
                passwd: o.passwd,
                passwd_entry: o.passwd_entry.clone(),
                group_entry: o.group_entry.clone(),
                host_users: o.host_users.clone(),
                personality: o.personality.clone(),
                // Bound at every start: a relative path means the caller's directory now.
                init_path: o
                    .init_path
                    .as_ref()
                    .map(|p| std::env::current_dir().unwrap_or_default().join(p)),
                systemd,
                shm_size_systemd,
            },
            storage: StorageSpec {
                mounts,
                volumes_from,
                read_only: o.read_only.unwrap_or(false),
                read_only_tmpfs: o.read_only_tmpfs,
                image_volume: o
                    .image_volume
                    .as_deref()
                    .map(super::ImageVolumeMode::parse)
                    .transpose()?
                    .unwrap_or_default(),
                rootfs: if o.rootfs {
                    Some(super::rootfs::Rootfs::parse(&o.image)?)
                } else {
                    None
                },
            },
            security: SecuritySpec {
                cap_add: o.cap_add.clone(),
                cap_drop: o.cap_drop.clone(),
                privileged: o.privileged,
                seccomp: sec.seccomp,
                no_new_privileges: sec.no_new_privileges,
                mask: sec.mask,
                unmask: sec.unmask,
                seccomp_from_image: match o.seccomp_policy.as_deref() {
                    None | Some("default") => false,
                    Some("image") => true,
                    Some(other) => return Err(SpecError::SeccompPolicy(other.to_string()).into()),
                },
            },
            namespaces: NamespaceSpec {
                hostname: o.hostname.clone(),
                cgroups,
                cgroupns,
                no_hostname: o.no_hostname,
                sysctls,
                pid,
                ipc,
                uts,
                userns,
            },
            network: NetworkSpec {
                mode: o.network.clone(),
                publish,
                publish_all: o.publish_all,
                dns: o.dns.clone(),
                dns_search: o.dns_search.clone(),
                dns_options: o.dns_options.clone(),
                add_hosts: o.add_hosts.clone(),
                aliases: o.network_aliases.clone(),
                ip: o.ip.clone(),
                expose,
                no_hosts: o.no_hosts,
                hosts_file: o.hosts_file.clone(),
                mac_address,
                ip6,
                link_local_ips,
                chroot_dirs,
            },
            resources: ResourceSpec {
                limits,
                ulimits,
                cgroup_parent,
                cgroup_conf,
            },
            devices: DeviceSpec {
                devices: o.devices.clone(),
                gpus: o.gpus.clone(),
                cgroup_rules: o
                    .device_cgroup_rules
                    .iter()
                    .map(|r| super::device_rules::parse(r))
                    .collect::<std::result::Result<_, _>>()?,
            },
            restart,
            auto_remove: o.rm,
            labels,
            annotations,
            pod: o.pod.clone(),
            lifecycle: LifecycleSpec {
                replace: o.replace,
                cidfile: o.cidfile.clone(),
                start_next: o.start_next,
                temporary: o.temporary,
                create_command: o.create_command.clone(),
                sdnotify,
                pidfile,
                timeout: o.timeout,
                remove_image: o.remove_image,
                log,
                requires: parse::comma_list(&o.requires),
                conmon_pidfile,
            },
            health,
            secrets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(o: CreateOptions) -> Result<ContainerSpec> {
        ContainerSpec::try_from(&o)
    }

    #[test]
    fn flags_become_typed_fields() {
        let s = spec(CreateOptions {
            image: "busybox".into(),
            entrypoint: Some("[\"sh\",\"-c\"]".into()),
            env: vec!["A=1".into(), "A=2".into()],
            labels: vec!["k=v".into(), "flag".into()],
            ulimits: vec!["nofile=5:6".into()],
            cgroups: Some("disabled".into()),
            publish: vec!["8080:80".into()],
            restart: Some("on-failure:3".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.process.entrypoint, Some(vec!["sh".into(), "-c".into()]));
        assert_eq!(s.process.env, vec!["A=2"]);
        assert_eq!(s.labels.get("flag").map(String::as_str), Some(""));
        assert_eq!(s.resources.ulimits[0].hard, 6);
        assert_eq!(s.namespaces.cgroups, super::super::CgroupsMode::Disabled);
        assert_eq!(s.network.publish[0].container_port, 80);
        assert_eq!(s.restart.max_retries, 3);
    }

    #[test]
    fn bad_flags_are_refused_before_anything_is_made() {
        let bad = [
            CreateOptions {
                rm: true,
                restart: Some("always".into()),
                ..Default::default()
            },
            CreateOptions {
                volumes: vec!["/tmp:/d".into(), "/tmp:/d".into()],
                ..Default::default()
            },
            CreateOptions {
                cgroups: Some("disabled".into()),
                resources: crate::cgroups::ResourceOptions {
                    memory: Some("64m".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
            CreateOptions {
                name: Some("bad name".into()),
                ..Default::default()
            },
            CreateOptions {
                stop_signal: Some("SIGNOPE".into()),
                ..Default::default()
            },
        ];
        for o in bad {
            assert!(spec(o.clone()).is_err(), "{o:?}");
        }
    }
}
