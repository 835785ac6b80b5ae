//! From a container's stored config to what the executor needs: the process (shared by the
//! first process and `exec`), the rootfs mount, the generated /etc files, and config.json.

use std::path::PathBuf;

use std::os::fd::OwnedFd;

use network::NetworkMode;

use crate::container::Container;
use crate::error::{LibpodError, Result};
use crate::executor::{Plan, ProcessPlan, StdioMode};
use crate::security::{self, seccomp::Profile};

use super::Runtime;
use super::resources::with_shm_size;

impl Runtime {
    /// The security-relevant part of a process, compiled in the parent (single-threaded).
    pub(crate) fn process_plan(&self, c: &Container) -> Result<ProcessPlan> {
        let cfg = &c.config;
        let caps = cfg.capabilities()?;
        let profile = match cfg.seccomp.as_str() {
            // podman: --privileged turns seccomp off unless a profile was named explicitly.
            "" if cfg.privileged => Profile::Unconfined,
            "unconfined" => Profile::Unconfined,
            _ if cfg.seccomp_policy == "image" => self.image_seccomp_profile(c)?,
            "" => Profile::Default,
            other => Profile::from_security_opt(other),
        };
        let seccomp = security::bpf::program(&profile, &caps, &self.paths.run.join("seccomp"))?;
        let mut env = cfg.env.clone();
        if !env.iter().any(|e| e.starts_with("HOSTNAME=")) {
            env.push(format!("HOSTNAME={}", cfg.hostname));
        }
        if notify_socket_for(c).is_some() {
            env.push(format!(
                "{}={}",
                crate::sdnotify::ENV,
                crate::sdnotify::CONTAINER_SOCKET
            ));
        }
        // `env` secrets: read now, for this process only, never stored.
        for e in self.secret_env(c)? {
            crate::spec::parse::merge_env(&mut env, &e);
        }
        // An --init-path binary is pid 1 and runs the command after `--` (catatonit's way);
        // burrow's own init then stays out.
        let external_init = cfg.init && !cfg.init_path.is_empty();
        let mut args = cfg.args.clone();
        if external_init {
            let init = crate::container::INIT_PATH_IN_CONTAINER.to_string();
            args.splice(0..0, [init, "--".to_string()]);
        }
        Ok(ProcessPlan {
            args,
            env,
            cwd: cfg.workdir.clone(),
            user: cfg.user.clone(),
            group_add: cfg.group_add.clone(),
            caps,
            no_new_privileges: cfg.no_new_privileges,
            seccomp,
            ulimits: cfg.ulimits.clone(),
            init: cfg.init && !external_init,
            preserve_fds: crate::spec::fds::passed(&cfg.preserve_fd, cfg.preserve_fds),
            umask: crate::spec::parse::umask_bits(&cfg.umask),
        })
    }

    pub(crate) fn launch_plan<'a>(&'a self, c: &Container, stdio: StdioMode) -> Result<Plan<'a>> {
        if c.config.infra {
            return self.infra_plan(c, stdio);
        }
        let pod_ns = self.pod_namespaces_to_join(c)?;
        let own_ns = self.own_namespaces(c)?;
        // `--rootfs`: the directory is the only lower (`:O`) or is bound as it is.
        let rootfs_dir = (!c.config.rootfs.is_empty()).then(|| PathBuf::from(&c.config.rootfs));
        let lowers = match &rootfs_dir {
            Some(dir) => vec![dir.clone()],
            None => {
                let image = self.store.lookup(&c.config.image_id)?;
                self.mapped_lowers(c, self.store.layer_dirs(&image)?)?
            }
        };
        let bind_rootfs = rootfs_dir.is_some() && !c.config.rootfs_overlay;
        let dir = self.paths.container_dir(&c.id);
        let upper = dir.join("upper");
        let work = dir.join("work");
        if !c.config.uid_map.is_empty() {
            super::userns_mode::own_container_dirs(c, &[&upper, &work])?;
        }
        let mode = c.config.network_mode()?;
        let (mut etc_files, hosts_image_base) = self.write_etc_files(c, &mode)?;
        // `--chrootdirs`: the managed /etc files are bound into each chroot too, as podman's.
        let mut in_chroots = Vec::new();
        for dir in &c.config.chroot_dirs {
            for (src, dest) in &etc_files {
                if matches!(
                    dest.as_str(),
                    "/etc/hosts" | "/etc/resolv.conf" | "/etc/hostname"
                ) {
                    in_chroots.push((src.clone(), format!("{}{dest}", dir.trim_end_matches('/'))));
                }
            }
        }
        etc_files.extend(in_chroots);
        let join_net = self.netns_to_join(c, &mode)?;
        let join_user = self.userns_to_join(c)?;
        let privileged = c.config.privileged;
        let (masked_paths, readonly_paths) =
            security::masked_and_readonly(privileged, &c.config.mask, &c.config.unmask);
        let mount_opts = storage::rootfs::MountOptions {
            volatile: c.config.auto_remove,
        };
        let mut mounts = with_shm_size(c, self.plan_mounts(c)?);
        if c.config.systemd {
            // First: a user's mount under /run or /tmp, the notify socket and secrets go
            // over them (mounts are made in order).
            let mut tmpfs = crate::spec::systemd::tmpfs_mounts(&mounts, c.config.shm_size_systemd);
            tmpfs.append(&mut mounts);
            mounts = tmpfs;
        }
        if let Some(socket) = notify_socket_for(c) {
            mounts.push(crate::container::Mount {
                kind: "bind".into(),
                source: socket,
                destination: crate::sdnotify::CONTAINER_SOCKET.into(),
                ..Default::default()
            });
        }
        if !c.config.devices.is_empty() {
            // `--device` and CDI nodes first: a user's mount on the same path comes later and
            // wins.
            let mut devs = super::devices::device_mounts(&c.config.devices);
            devs.append(&mut mounts);
            mounts = devs;
        }
        if privileged {
            // The host's devices first, as podman orders them: a user's mount on the same
            // path was left out of them and wins.
            let mut devices = super::devices::privileged_device_mounts(&mounts);
            devices.append(&mut mounts);
            mounts = devices;
        }
        // containers-mounts.conf: for paths no mount above covers.
        mounts.extend(crate::mounts_conf::mounts(self.rootless, &mounts));
        // `mount` secrets last: over any user mount on /run.
        mounts.extend(self.secret_mounts(c)?);
        // A namespace where the user's own id is not mapped cannot reach burrow's directories
        // by path: the data root is made searchable, the rest is handed over as descriptors.
        let mut keep_fds = Vec::new();
        super::userns_mode::data_private(&self.paths.data)?;
        let unmapped = super::userns_mode::user_unmapped(c);
        if unmapped {
            for (src, _) in etc_files.iter_mut() {
                *src = super::userns_mode::via_fd(src, &mut keep_fds)?;
            }
            for m in mounts.iter_mut().filter(|m| {
                m.kind == "bind"
                    && (m.source.starts_with(&self.paths.run)
                        || m.source.starts_with(&self.paths.data))
            }) {
                m.source = super::userns_mode::via_fd(&m.source, &mut keep_fds)?;
            }
        }
        // Nor could its process walk the store to mount its layers: the rootfs is mounted
        // here, detached, and attached by the process at a place it can reach.
        let (rootfs, detached) = if unmapped {
            let tree = match rootfs_dir.as_ref().filter(|_| bind_rootfs) {
                Some(d) => storage::detached::clone_tree(d, true)?,
                None => storage::detached::rootfs(
                    &self.store,
                    &lowers,
                    &upper,
                    &work,
                    mount_opts,
                    &dir.join("fuse-mnt"),
                )?,
            };
            let raw = std::os::fd::AsRawFd::as_raw_fd(&tree);
            keep_fds.push(tree);
            let anchor = super::userns_mode::rootfs_anchor(c, &dir.join("nsroot"))?;
            (anchor.join("rootfs"), Some((raw, anchor)))
        } else {
            let rootfs = self.paths.rootfs_mountpoint();
            if !rootfs.is_dir() {
                std::fs::create_dir_all(&rootfs)
                    .map_err(|e| LibpodError::io(format!("create {}", rootfs.display()), e))?;
            }
            (rootfs, None)
        };
        let detached_root = detached.as_ref().map(|(fd, _)| *fd);
        Ok(Plan {
            rootfs,
            rootfs_anchor: detached.map(|(_, anchor)| anchor),
            mount_rootfs: Box::new(move |target| {
                if let Some(tree) = detached_root {
                    return storage::detached::attach_raw(tree, target).map_err(|e| e.to_string());
                }
                if bind_rootfs {
                    return bind_dir(&lowers[0], target);
                }
                storage::rootfs::mount_with(&self.store, &lowers, &upper, &work, target, mount_opts)
                    .map_err(|e| e.to_string())
            }),
            hostname: c.config.hostname.clone(),
            etc_files,
            mounts,
            read_only: c.config.read_only,
            new_net: !matches!(
                mode,
                NetworkMode::Host | NetworkMode::Container(_) | NetworkMode::Ns(_)
            ),
            join_net,
            join_ipc: own_ns.join_ipc.or(pod_ns.ipc),
            join_uts: own_ns.join_uts.or(pod_ns.uts),
            join_cgroup: pod_ns.cgroup,
            join_pid: own_ns.join_pid.or(pod_ns.pid),
            infra: false,
            privileged,
            cgroupns_host: c.config.cgroupns == "host",
            // Only containers with CDI hooks pay for their state document.
            hook_state: if c.config.hooks.is_empty() {
                String::new()
            } else {
                serde_json::json!({
                    "ociVersion": "1.0.2",
                    "id": c.id,
                    "status": "created",
                    "pid": "{pid}",
                    "bundle": self.paths.container_dir(&c.id),
                    "annotations": c.config.annotations,
                })
                .to_string()
                .replace("\"{pid}\"", "{pid}")
            },
            hooks: c.config.hooks.clone(),
            masked_paths,
            readonly_paths,
            process: self.process_plan(c)?,
            stdio,
            passwd: self.passwd_plan(c)?,
            hosts_image_base,
            sysctls: c.config.sysctls.clone().into_iter().collect(),
            host_pid: own_ns.host_pid,
            host_ipc: own_ns.host_ipc,
            host_uts: own_ns.host_uts,
            keep_fds,
            // A namespace of its own, mapped at clone; `--userns container:` joins one.
            userns: (!c.config.uid_map.is_empty() && join_user.is_none()).then(|| {
                crate::executor::UsernsMaps {
                    uid_map: crate::userns::maps::proc_text(&c.config.uid_map),
                    gid_map: crate::userns::maps::proc_text(&c.config.gid_map),
                }
            }),
            join_user,
            // PER_LINUX32 (0x0008) and PER_LINUX (0), as the kernel numbers them.
            personality: match c.config.personality.as_str() {
                "LINUX32" => Some(0x0008),
                "LINUX" => Some(0),
                _ => None,
            },
        })
    }

    /// The network namespace `container:ID` or `ns:PATH` names, opened now so that a stopped
    /// container or a missing file fails the start with a clear error.
    pub(super) fn netns_to_join(
        &self,
        c: &Container,
        mode: &NetworkMode,
    ) -> Result<Option<OwnedFd>> {
        let path = match mode {
            NetworkMode::Container(id) => {
                let other = self.lookup(id)?;
                if other.status() != crate::container::Status::Running {
                    return Err(LibpodError::InvalidState(format!(
                        "cannot join the network namespace of container {}: it is not running: start it first",
                        other.name
                    )));
                }
                PathBuf::from(format!("/proc/{}/ns/net", other.state.pid))
            }
            NetworkMode::Ns(p) => p.clone(),
            _ => return Ok(None),
        };
        let f = std::fs::File::open(&path).map_err(|e| {
            LibpodError::io(
                format!(
                    "open the network namespace {} for container {}",
                    path.display(),
                    c.name
                ),
                e,
            )
        })?;
        Ok(Some(f.into()))
    }

    /// /etc/hostname, /etc/hosts and /etc/resolv.conf for the container, kept where podman
    /// keeps them: in the runroot (a tmpfs under a normal login), rewritten at every start.
    /// `container:ID` shares the other container's hosts and resolv.conf files, as podman does.
    pub(super) fn write_etc_files(
        &self,
        c: &Container,
        mode: &NetworkMode,
    ) -> Result<(EtcFiles, Option<usize>)> {
        let dir = self.paths.userdata_dir(&c.id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| LibpodError::io(format!("create {}", dir.display()), e))?;
        let cfg = &c.config;
        let host = &cfg.hostname;
        // `--no-hostname`: no file, the image's /etc/hostname stays.
        let hostname_file = (!cfg.no_hostname).then(|| format!("{host}\n"));
        let mut files: Vec<(&str, Option<String>, &str)> =
            vec![("hostname", hostname_file, "/etc/hostname")];
        if let NetworkMode::Container(id) = mode {
            let other = self.paths.userdata_dir(id);
            let mut out = Vec::new();
            for (name, dest) in [("hosts", "/etc/hosts"), ("resolv.conf", "/etc/resolv.conf")] {
                if name == "resolv.conf" && cfg.dns.iter().any(|d| d == "none") {
                    continue;
                }
                if name == "hosts" && cfg.no_hosts {
                    continue;
                }
                out.push((other.join(name), dest.to_string()));
            }
            if !cfg.no_hostname {
                let p = dir.join("hostname");
                std::fs::write(&p, format!("{host}\n"))
                    .map_err(|e| LibpodError::io(format!("write {}", p.display()), e))?;
                out.insert(0, (p, "/etc/hostname".to_string()));
            }
            out.extend(self.localtime_file(c)?);
            return Ok((out, None));
        }
        let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let extra = cfg
            .add_hosts
            .iter()
            .filter_map(|h| network::parse_add_host(h).ok())
            .collect::<Vec<_>>();
        let names = vec![host.clone(), c.name.clone()];
        let (own_ip, host_internal, dns): (Option<String>, Option<String>, Vec<String>) = match mode
        {
            NetworkMode::Slirp4netns(o) => (
                Some(o.container_ip().to_string()),
                // The gateway is the host's loopback only when allowed; otherwise the
                // host is reached on its own address, through slirp4netns's NAT.
                if o.allow_host_loopback {
                    Some(o.gateway().to_string())
                } else {
                    local_ip()
                },
                vec![o.dns().to_string()],
            ),
            // pasta gives the container the host's own address.
            NetworkMode::Pasta(_) => (local_ip(), None, vec![network::PASTA_DNS.to_string()]),
            // User networks: the rootless netns's slirp4netns resolves, reached through the
            // masquerade; the host on its own address, as with slirp4netns.
            // A network's own resolvers (`network update --dns-add`) replace it.
            NetworkMode::Bridge => {
                let mut dns = self.network_dns_servers(&c.id);
                if dns.is_empty() {
                    dns.push(network::SLIRP_DNS.to_string());
                }
                (None, local_ip(), dns)
            }
            NetworkMode::Host => (None, None, Vec::new()),
            // Loopback only: no resolver can be reached.
            _ => (Some("127.0.1.1".to_string()), None, Vec::new()),
        };
        let extra: Vec<network::HostEntry> = extra
            .into_iter()
            .map(|mut e| {
                if e.ip == "host-gateway" {
                    e.ip = host_internal.clone().unwrap_or_else(|| "127.0.0.1".into());
                }
                e
            })
            .collect();
        // The `--add-host` lines lead the file; a `--hosts-file` base goes right after them.
        let extra_len: usize = extra
            .iter()
            .map(|e| format!("{}\t{}\n", e.ip, e.names.join(" ")).len())
            .sum();
        let base = match cfg.hosts_file.as_str() {
            "" | "none" | "image" => None,
            path => Some(std::fs::read_to_string(path).map_err(|e| {
                LibpodError::io(format!("read the --hosts-file {path} of {}", c.name), e)
            })?),
        };
        let mut hosts = if *mode == NetworkMode::Bridge {
            self.user_network_hosts(c, host_internal.as_deref())
        } else if *mode == NetworkMode::Host {
            let own: String = extra
                .iter()
                .map(|e| format!("{}\t{}\n", e.ip, e.names.join(" ")))
                .collect();
            if cfg.hosts_file.is_empty() {
                own + &std::fs::read_to_string("/etc/hosts").unwrap_or_default()
            } else {
                own
            }
        } else {
            let own = own_ip.map(|ip| network::HostEntry { ip, names });
            network::hosts_file(&extra, own.as_ref(), host_internal.as_deref())
        };
        if let Some(mut base) = base {
            if !base.is_empty() && !base.ends_with('\n') {
                base.push('\n');
            }
            let at = extra_len.min(hosts.len());
            hosts.insert_str(at, &base);
        }
        let hosts_image_base = (cfg.hosts_file == "image" && !cfg.no_hosts).then_some(extra_len);
        // `--no-hosts`: no file, the image's /etc/hosts stays.
        files.push(("hosts", (!cfg.no_hosts).then_some(hosts), "/etc/hosts"));
        let resolv = if cfg.dns.iter().any(|d| d == "none") {
            None
        } else if *mode == NetworkMode::Host
            && cfg.dns.is_empty()
            && cfg.dns_search.is_empty()
            && cfg.dns_options.is_empty()
        {
            Some(host_resolv)
        } else {
            // Search domains and options follow the host's unless given.
            let from_host = |key: &str| -> Vec<String> {
                host_resolv
                    .lines()
                    .filter_map(|l| l.strip_prefix(key))
                    .flat_map(|rest| rest.split_whitespace().map(str::to_string))
                    .collect()
            };
            let servers = if cfg.dns.is_empty() {
                dns
            } else {
                cfg.dns.clone()
            };
            let search = if cfg.dns_search.is_empty() {
                from_host("search ")
            } else {
                cfg.dns_search.clone()
            };
            let options = if cfg.dns_options.is_empty() {
                from_host("options ")
            } else {
                cfg.dns_options.clone()
            };
            Some(network::resolv_conf(&servers, &search, &options))
        };
        files.push(("resolv.conf", resolv, "/etc/resolv.conf"));
        let mut out = Vec::new();
        for (name, content, dest) in files {
            let Some(content) = content else { continue };
            let p = dir.join(name);
            std::fs::write(&p, content)
                .map_err(|e| LibpodError::io(format!("write {}", p.display()), e))?;
            out.push((p, dest.to_string()));
        }
        out.extend(self.localtime_file(c)?);
        Ok((out, hosts_image_base))
    }

    /// The passwd and group entries to add at start, unless `--passwd=false`; host accounts
    /// (`--hostuser`, and the host's name for a numeric `--user`) are looked up here.
    fn passwd_plan(&self, c: &Container) -> Result<Option<crate::executor::passwd::PasswdPlan>> {
        use crate::executor::passwd::{HostUser, PasswdPlan};
        let cfg = &c.config;
        if cfg.passwd == Some(false) || (cfg.user.is_empty() && cfg.host_users.is_empty()) {
            return Ok(None);
        }
        let host_user = |u: nix::unistd::User| HostUser {
            name: u.name,
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
            gecos: u.gecos.to_string_lossy().into_owned(),
            home: u.dir.display().to_string(),
        };
        let mut host_users = Vec::new();
        for u in &cfg.host_users {
            host_users.push(host_user(crate::spec::parse::host_user(u)?));
        }
        let keep_id = self.is_keep_id(c);
        if keep_id {
            host_users.extend(super::userns_mode::keep_id_account(c).map(host_user));
        }
        let uid = cfg.user.split(':').next().unwrap_or("");
        let host_account_of_uid = uid
            .parse::<u32>()
            .ok()
            .and_then(|n| nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(n)).ok()?)
            .map(host_user);
        let workdir = if cfg.workdir.is_empty() {
            "/".to_string()
        } else {
            cfg.workdir.clone()
        };
        Ok(Some(PasswdPlan {
            user: cfg.user.clone(),
            workdir,
            passwd_entry: cfg.passwd_entry.clone(),
            group_entry: cfg.group_entry.clone(),
            host_users,
            host_account_of_uid,
            mount_destinations: cfg.mounts.iter().map(|m| m.destination.clone()).collect(),
            copy_dir: cfg.read_only.then(|| self.paths.userdata_dir(&c.id)),
            keep_home: keep_id,
        }))
    }

    /// `--tz`: a copy of the host's zone file, bound on /etc/localtime (podman binds such a
    /// copy when the image has no zoneinfo of its own; a copy works whether it has or not).
    fn localtime_file(&self, c: &Container) -> Result<Option<(PathBuf, String)>> {
        if c.config.timezone.is_empty() {
            return Ok(None);
        }
        let src = crate::spec::parse::zoneinfo_file(&c.config.timezone);
        let dest = self.paths.userdata_dir(&c.id).join("localtime");
        std::fs::copy(&src, &dest).map_err(|e| {
            LibpodError::io(
                format!(
                    "setting timezone for container {}: copy {}",
                    c.name,
                    src.display()
                ),
                e,
            )
        })?;
        Ok(Some((dest, "/etc/localtime".to_string())))
    }

    /// config.json: the OCI runtime spec of the container, for `inspect` and external tools.
    pub(crate) fn write_spec(&self, c: &Container) -> Result<()> {
        let at = crate::spec::oci::Locations {
            rootfs: &self.paths.rootfs_mountpoint(),
            userdata: &self.paths.userdata_dir(&c.id),
        };
        crate::spec::oci::write(c, &at, &self.paths.container_dir(&c.id).join("config.json"))
    }
}

/// Generated files and where they are bound: (host file, container path).
pub(super) type EtcFiles = Vec<(PathBuf, String)>;

/// The host's address on its default route (podman's util.GetLocalIP): what the container
/// reaches the host on when the host's loopback is not forwarded. connect() on a UDP socket
/// sends nothing; it only picks the route.
pub(super) fn local_ip() -> Option<String> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("8.8.8.8:53").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then(|| ip.to_string())
}

/// `--sdnotify=container` under a `Type=notify` unit: the unit's notify socket, which the
/// container gets at podman's path. An abstract socket lives in the host's network namespace,
/// out of the container's reach, so only a path socket is passed.
fn notify_socket_for(c: &Container) -> Option<std::path::PathBuf> {
    if c.config.sdnotify != crate::sdnotify::SdNotifyMode::Container.stored() {
        return None;
    }
    crate::sdnotify::socket_from_env()
        .filter(|s| !s.as_encoded_bytes().starts_with(b"@"))
        .map(std::path::PathBuf::from)
}

/// `--rootfs PATH` without `:O`: the directory itself is the container's root, as podman's.
/// It is opened without following a last-component symlink and bound through its descriptor,
/// so a link put in its place after create cannot move the container onto another directory.
fn bind_dir(source: &std::path::Path, target: &std::path::Path) -> std::result::Result<(), String> {
    use nix::fcntl::{OFlag, open};
    use nix::mount::{MsFlags, mount};
    use std::os::fd::AsRawFd;
    let dir = open(
        source,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| {
        format!(
            "rootfs {}: {e}: it must be the directory given at create (not removed or replaced by a link)",
            source.display()
        )
    })?;
    let via = format!("/proc/self/fd/{}", dir.as_raw_fd());
    mount(
        Some(via.as_str()),
        target,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("bind-mounting rootfs {}: {e}", source.display()))
}
