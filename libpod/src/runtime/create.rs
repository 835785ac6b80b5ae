//! `create`: validates what the user asked for, merges it with the image's config following
//! docker's rules, and records the container in one database row. Nothing is written to the
//! store or the database when validation fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::container::{Container, ContainerConfig, ContainerState, Mount, RestartPolicy, Ulimit};
use crate::error::{LibpodError, Result};
use crate::state::Owner;

use super::{Runtime, names};
use crate::clock::now_nanos;

/// Raw options from `create`/`run`, validated by [`Runtime::create`].
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
    pub read_only: bool,
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
    /// The caller starts the container right after (`run`, a build step): it belongs to this
    /// process until it runs, so a killed `run` leaves no half-made container behind.
    pub start_next: bool,
    /// A build's working container: it belongs to the build process for its whole life and
    /// goes with it.
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
    /// --memory, --cpus, ... as given; validated here.
    pub resources: crate::cgroups::ResourceOptions,
    /// `--pod NAME`: join an existing pod (`new:NAME` is resolved by the caller).
    pub pod: Option<String>,
    /// `--network-alias`: more names for the container on each user network.
    pub network_aliases: Vec<String>,
    /// `--ip`: a fixed address on the (single) user network.
    pub ip: Option<String>,
}

impl Runtime {
    pub fn create(&self, opts: &CreateOptions) -> Result<Container> {
        let image = self.store.lookup(&opts.image)?;
        let image_config = self.store.config(&image)?;
        let ic = image_config.config().clone().unwrap_or_default();

        // Validate everything before the first write.
        let name = match &opts.name {
            Some(n) => {
                names::validate(names::NameKind::Container, n)?;
                n.clone()
            }
            None => names::random_name()?,
        };
        let restart = match &opts.restart {
            Some(r) => RestartPolicy::parse(r).map_err(LibpodError::InvalidArgument)?,
            None => RestartPolicy::default(),
        };
        if opts.rm && !matches!(restart.name.as_str(), "" | "no") {
            return Err(LibpodError::InvalidArgument(
                "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\"".into(),
            ));
        }
        let stop_signal = match opts.stop_signal.as_deref().or(ic.stop_signal().as_deref()) {
            Some(s) => {
                parse_signal(s)?;
                s.to_string()
            }
            None => "SIGTERM".to_string(),
        };
        let mut mounts: Vec<Mount> = Vec::new();
        for v in &opts.volumes {
            mounts.push(parse_volume(v)?);
        }
        for m in &opts.mounts {
            mounts.push(crate::volume::parse_mount_flag(m)?);
        }
        for t in &opts.tmpfs {
            mounts.push(crate::volume::parse_tmpfs_flag(t)?);
        }
        for (i, m) in mounts.iter().enumerate() {
            if mounts[..i].iter().any(|o| o.destination == m.destination) {
                return Err(LibpodError::InvalidArgument(format!(
                    "{}: duplicate mount destination: give each mount its own container path",
                    m.destination.display()
                )));
            }
        }
        for from in &opts.volumes_from {
            let (ctr, mode) = match from.split_once(':') {
                Some((c, m)) => (c, Some(m)),
                None => (from.as_str(), None),
            };
            if !matches!(mode, None | Some("ro") | Some("rw") | Some("z")) {
                return Err(LibpodError::InvalidArgument(format!(
                    "invalid --volumes-from \"{from}\": use CONTAINER[:ro|rw]"
                )));
            }
            let other = self.lookup(ctr)?;
            for m in other.config.mounts.iter().filter(|m| m.kind != "tmpfs") {
                if mounts.iter().any(|o| o.destination == m.destination) {
                    continue;
                }
                let mut m = m.clone();
                match mode {
                    Some("ro") => {
                        m.options.retain(|o| o != "rw");
                        if !m.read_only() {
                            m.options.push("ro".into());
                        }
                    }
                    Some("rw") => m.options.retain(|o| o != "ro"),
                    _ => {}
                }
                mounts.push(m);
            }
        }
        // The image's VOLUME entries not covered by a mount become anonymous volumes.
        let mut image_volumes: Vec<&String> = ic
            .volumes()
            .as_ref()
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        image_volumes.sort();
        for path in image_volumes {
            if !mounts.iter().any(|m| m.destination == Path::new(path)) {
                mounts.push(Mount {
                    kind: "volume".into(),
                    destination: PathBuf::from(path),
                    ..Mount::default()
                });
            }
        }
        if opts.read_only && opts.read_only_tmpfs {
            for dir in ["/tmp", "/var/tmp", "/run"] {
                if !mounts.iter().any(|m| m.destination == Path::new(dir)) {
                    mounts.push(parse_tmpfs(&format!("{dir}:rw,nosuid,nodev")));
                }
            }
        }
        // containers.conf's default_ulimits, then --ulimit (the later one per name wins).
        let mut ulimits: Vec<crate::container::Ulimit> = Vec::new();
        for u in self
            .conf
            .containers
            .default_ulimits
            .iter()
            .chain(opts.ulimits.iter())
        {
            let u = parse_ulimit(u)?;
            ulimits.retain(|x| x.name != u.name);
            ulimits.push(u);
        }
        let mut resources = crate::cgroups::Resources::default().merged(&opts.resources)?;
        let (cgroups, cgroupns) = cgroup_modes(opts)?;
        if cgroups == "disabled" && resources.needs_cgroup() {
            return Err(LibpodError::InvalidArgument(
                "resource limits need a cgroup: they cannot be set with --cgroups=disabled".into(),
            ));
        }
        if resources.needs_cgroup()
            && let Some(w) = crate::cgroups::limits_warning(self.rootless)
        {
            // podman prints this and drops the limits it cannot enforce (inspect shows none);
            // /dev/shm's size and the OOM score need no cgroup and stay.
            eprintln!("{w}");
            resources = crate::cgroups::Resources {
                oom_score_adj: resources.oom_score_adj,
                shm_size: resources.shm_size,
                ..Default::default()
            };
        }
        // A pod member's network, hostname and ports come from its pod (see runtime::pods).
        let member = match &opts.pod {
            Some(p) => Some(self.pod_member_settings(p, opts)?),
            None => None,
        };
        // `--network NAME[,NAME2]`: user-defined networks, checked to exist before any write.
        let user_networks = match member.as_ref().and_then(|m| m.network.as_ref()) {
            Some(_) => None,
            None => self.attach_requests(
                opts.network.as_deref(),
                &opts.network_aliases,
                opts.ip.as_deref(),
            )?,
        };
        if user_networks.is_none() && (!opts.network_aliases.is_empty() || opts.ip.is_some()) {
            return Err(LibpodError::InvalidArgument(
                "--network-alias and --ip need a user-defined network: create one (burrow network create NAME) and use --network NAME".into(),
            ));
        }
        let network = match member.as_ref().and_then(|m| m.network.clone()) {
            Some(n) => n,
            None if user_networks.is_some() => "bridge".to_string(),
            None => self.resolve_network(opts.network.as_deref())?,
        };
        let exposed: Vec<String> = if opts.publish_all {
            ic.exposed_ports()
                .as_ref()
                .map(|e| e.to_vec())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let ports = self.resolve_ports(&opts.publish, &exposed, &network)?;
        let (dns, add_hosts) = validate_dns_hosts(opts)?;
        let mut seccomp = self
            .conf
            .containers
            .seccomp_profile
            .clone()
            .unwrap_or_default();
        let mut no_new_privileges = false;
        for s in &opts.security_opt {
            match s.split_once(['=', ':']) {
                Some(("seccomp", v)) => {
                    if v != "unconfined" && !Path::new(v).is_file() {
                        return Err(LibpodError::InvalidArgument(format!(
                            "seccomp profile \"{v}\" not found: give an existing JSON file or \"unconfined\""
                        )));
                    }
                    seccomp = v.to_string();
                }
                Some(("no-new-privileges", v)) => no_new_privileges = v != "false",
                Some(("label", _))
                | Some(("apparmor", _))
                | Some(("mask", _))
                | Some(("unmask", _)) => {}
                None if s == "no-new-privileges" => no_new_privileges = true,
                _ => {
                    return Err(LibpodError::InvalidArgument(format!(
                        "invalid --security-opt \"{s}\": use seccomp=unconfined|PATH or no-new-privileges"
                    )));
                }
            }
        }
        // Capabilities are checked now so a typo fails `create`, not `start`.
        let defaults = &self.conf.containers;
        crate::security::capabilities::resolve_with_defaults(
            defaults.default_capabilities.as_deref(),
            &opts.cap_add,
            &opts.cap_drop,
            opts.privileged,
        )?;

        // containers.conf's env first: the image's and the user's override it.
        let mut env: Vec<String> = Vec::new();
        for e in defaults.env.iter().chain(ic.env().iter().flatten()) {
            merge_env(&mut env, e);
        }
        for f in &opts.env_files {
            for line in read_lines(f, "env file")? {
                merge_env(&mut env, &line);
            }
        }
        for e in &opts.env {
            merge_env(&mut env, e);
        }
        // The defaults podman adds, recorded so `inspect` shows the environment the process gets.
        if !env.iter().any(|e| e.starts_with("PATH=")) {
            env.insert(
                0,
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            );
        }
        if opts.tty && !env.iter().any(|e| e.starts_with("TERM=")) {
            env.push("TERM=xterm".to_string());
        }
        if !env.iter().any(|e| e.starts_with("container=")) {
            env.push("container=burrow".to_string());
        }
        let mut labels: BTreeMap<String, String> = ic
            .labels()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        for f in &opts.label_files {
            for line in read_lines(f, "label file")? {
                let (k, v) = line.split_once('=').unwrap_or((&line, ""));
                labels.insert(k.to_string(), v.to_string());
            }
        }
        for l in &opts.labels {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            labels.insert(k.to_string(), v.to_string());
        }
        let annotations = opts
            .annotations
            .iter()
            .map(|a| {
                let (k, v) = a.split_once('=').unwrap_or((a, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        // docker's rules: --entrypoint replaces the image's entrypoint and drops its cmd;
        // a command after the image replaces the image's cmd.
        let (entrypoint, cmd) = match &opts.entrypoint {
            Some(ep) => {
                let ep = if ep.is_empty() {
                    Vec::new()
                } else if ep.trim_start().starts_with('[') {
                    serde_json::from_str(ep).map_err(|e| {
                        LibpodError::InvalidArgument(format!("invalid --entrypoint \"{ep}\": {e}"))
                    })?
                } else {
                    vec![ep.clone()]
                };
                (ep, opts.command.clone())
            }
            None => {
                let cmd = if opts.command.is_empty() {
                    ic.cmd().clone().unwrap_or_default()
                } else {
                    opts.command.clone()
                };
                (ic.entrypoint().clone().unwrap_or_default(), cmd)
            }
        };
        let args: Vec<String> = entrypoint.iter().chain(cmd.iter()).cloned().collect();
        if args.is_empty() {
            return Err(LibpodError::InvalidArgument(format!(
                "no command or entrypoint provided, and no CMD or ENTRYPOINT from image {}",
                opts.image
            )));
        }

        if opts.replace
            && let Some(n) = &opts.name
            && let Ok(old) = self.state.lookup(n)
            && old.name == *n
        {
            self.remove(&old.id, true, false)?;
        }

        let id = names::new_id()?;
        let devs = super::devices::resolve(&opts.devices, opts.gpus.as_deref(), &self.cdi_dirs)?;
        for e in &devs.env {
            merge_env(&mut env, e);
        }
        mounts.extend(devs.mounts);
        // Volumes are the last thing created before the row: a failure below drops them.
        let new_volumes = self.resolve_volume_mounts(&mut mounts)?;
        let config = ContainerConfig {
            image_id: image.id.clone(),
            image_name: display_image_name(&opts.image, &image),
            args,
            cmd,
            entrypoint,
            env,
            workdir: opts
                .workdir
                .clone()
                .or_else(|| ic.working_dir().clone().filter(|w| !w.is_empty()))
                .unwrap_or_else(|| "/".to_string()),
            user: opts
                .user
                .clone()
                .or_else(|| ic.user().clone())
                .unwrap_or_default(),
            group_add: opts.group_add.clone(),
            hostname: member
                .as_ref()
                .and_then(|m| m.hostname.clone())
                .or_else(|| opts.hostname.clone())
                .unwrap_or_else(|| id[..12].to_string()),
            labels,
            annotations,
            mounts,
            read_only: opts.read_only,
            init: opts.init || self.conf.containers.init,
            tty: opts.tty,
            interactive: opts.interactive,
            cap_add: opts.cap_add.clone(),
            cap_drop: opts.cap_drop.clone(),
            default_caps: self.conf.containers.default_capabilities.clone(),
            privileged: opts.privileged,
            seccomp,
            no_new_privileges,
            stop_signal,
            stop_timeout: opts.stop_timeout.unwrap_or(10),
            restart,
            auto_remove: opts.rm,
            ulimits,
            network,
            ports,
            dns,
            dns_search: opts.dns_search.clone(),
            dns_options: opts.dns_options.clone(),
            add_hosts,
            log_path: self.paths.container_dir(&id).join("ctr.log"),
            stdin_open: opts.interactive,
            preserve_fds: opts.preserve_fds,
            resources,
            pod: member.map(|m| m.pod_id).unwrap_or_default(),
            infra: false,
            cgroups,
            cgroupns,
            devices: devs.devices,
            hooks: devs.hooks,
            temporary: opts.temporary,
        };
        let mut c = Container {
            id: id.clone(),
            name,
            created: now_nanos(),
            config,
            state: ContainerState::default(),
        };
        let dir = self.paths.container_dir(&id);
        // A generated name has only 32 x 28 combinations, so it collides with an existing one
        // well before 50 containers: draw again (as podman does), with a number appended once
        // plain names keep colliding. A name the user gave is never changed.
        let mut attempt = 0;
        // On user networks the addresses are handed out in the container row's transaction.
        // The row comes first, owned by this process until the container is complete: a
        // command killed anywhere from here on leaves a container the next command removes
        // (`Runtime::collect_garbage`), never a directory no row names.
        let me = self.me();
        let insert = |c: &Container| match &user_networks {
            Some(nets) => self
                .state
                .insert_container_on_networks(c, nets, me)
                .map(|_| ()),
            None => self.state.insert_container(c, me),
        };
        while let Err(e) = insert(&c) {
            attempt += 1;
            match e {
                LibpodError::NameInUse(..) if opts.name.is_none() && attempt < 100 => {
                    c.name = names::random_name()?;
                    if attempt > 10 {
                        let n = u16::from_le_bytes(names::random_bytes::<2>()?);
                        c.name.push_str(&(n % 1000).to_string());
                    }
                }
                e => {
                    self.drop_volumes(&new_volumes);
                    return Err(e);
                }
            }
        }
        for sub in ["upper", "work"] {
            if let Err(e) = std::fs::create_dir_all(dir.join(sub)) {
                let _ = self.remove(&id, true, false);
                self.drop_volumes(&new_volumes);
                return Err(LibpodError::io(
                    format!("create {}", dir.join(sub).display()),
                    e,
                ));
            }
        }
        if let Some(cidfile) = &opts.cidfile
            && let Err(e) = write_cidfile(cidfile, &id)
        {
            let _ = self.remove(&id, true, false);
            self.drop_volumes(&new_volumes);
            return Err(e);
        }
        if let Err(e) = self.write_spec(&c) {
            let _ = self.remove(&id, true, false);
            self.drop_volumes(&new_volumes);
            return Err(e);
        }
        if !opts.start_next && !opts.temporary {
            self.state.set_owner(&id, Owner::NONE)?;
        }
        self.container_event(&c, "create");
        Ok(c)
    }
}

/// `--cgroups` and `--cgroupns` as stored: "" for the defaults. burrow has no conmon and its
/// monitor never joins the container's cgroup, so `no-conmon` and `split` behave as enabled.
fn cgroup_modes(opts: &CreateOptions) -> Result<(String, String)> {
    let cgroups = match opts.cgroups.as_deref().unwrap_or("enabled") {
        "enabled" => String::new(),
        m @ ("disabled" | "no-conmon" | "split") => m.to_string(),
        other => {
            return Err(LibpodError::InvalidArgument(format!(
                "invalid cgroup mode {other:?}: use enabled, disabled, no-conmon or split"
            )));
        }
    };
    let cgroupns = match opts.cgroupns.as_deref().unwrap_or("private") {
        "private" => String::new(),
        "host" => "host".to_string(),
        other => {
            return Err(LibpodError::InvalidArgument(format!(
                "invalid --cgroupns {other:?}: use private or host"
            )));
        }
    };
    Ok((cgroups, cgroupns))
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

fn read_lines(path: &Path, what: &str) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LibpodError::io(format!("read {what} {}", path.display()), e))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// `-e KEY=VALUE` sets, `-e KEY` copies the caller's value (or drops it if unset).
fn merge_env(env: &mut Vec<String>, entry: &str) {
    let (key, value) = match entry.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => match std::env::var(entry) {
            Ok(v) => (entry.to_string(), v),
            Err(_) => return,
        },
    };
    env.retain(|e| e.split_once('=').map(|(k, _)| k) != Some(key.as_str()));
    env.push(format!("{key}={value}"));
}

/// `-v SRC:DST[:OPTS]`, `-v NAME:DST[:OPTS]`, `-v DST` (see [`crate::volume`]).
pub fn parse_volume(v: &str) -> Result<Mount> {
    crate::volume::parse_volume_flag(v)
}

fn parse_tmpfs(t: &str) -> Mount {
    let (dst, opts) = t.split_once(':').unwrap_or((t, ""));
    Mount {
        kind: "tmpfs".into(),
        source: PathBuf::from("tmpfs"),
        destination: PathBuf::from(dst),
        options: opts
            .split(',')
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect(),
        ..Mount::default()
    }
}

/// `--ulimit nofile=1024:2048`, `--ulimit nproc=-1` (unlimited).
pub fn parse_ulimit(u: &str) -> Result<Ulimit> {
    let bad = || {
        LibpodError::InvalidArgument(format!(
            "invalid ulimit \"{u}\": use NAME=SOFT[:HARD], e.g. nofile=1024:2048"
        ))
    };
    let (name, vals) = u.split_once('=').ok_or_else(bad)?;
    crate::executor::rlimit_resource(name).ok_or_else(|| {
        LibpodError::InvalidArgument(format!(
            "invalid ulimit \"{u}\": unknown resource \"{name}\""
        ))
    })?;
    let num = |s: &str| -> Result<u64> {
        if s == "-1" || s == "unlimited" {
            Ok(libc::RLIM_INFINITY)
        } else {
            s.parse().map_err(|_| bad())
        }
    };
    let (soft, hard) = match vals.split_once(':') {
        Some((s, h)) => (num(s)?, num(h)?),
        None => (num(vals)?, num(vals)?),
    };
    if soft > hard {
        return Err(LibpodError::InvalidArgument(format!(
            "invalid ulimit \"{u}\": the soft limit must not exceed the hard limit"
        )));
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

/// "SIGTERM", "TERM", "15" → the signal.
pub fn parse_signal(s: &str) -> Result<nix::sys::signal::Signal> {
    use std::str::FromStr;
    let bad = || {
        LibpodError::InvalidArgument(format!(
            "invalid signal \"{s}\": use a name like SIGTERM or a number"
        ))
    };
    if let Ok(n) = s.parse::<i32>() {
        return nix::sys::signal::Signal::try_from(n).map_err(|_| bad());
    }
    let up = s.to_ascii_uppercase();
    let full = if up.starts_with("SIG") {
        up
    } else {
        format!("SIG{up}")
    };
    nix::sys::signal::Signal::from_str(&full).map_err(|_| bad())
}

/// `--dns` (IP addresses, or `none` alone) and `--add-host` (NAME:IP), checked at create.
pub(super) fn validate_dns_hosts(opts: &CreateOptions) -> Result<(Vec<String>, Vec<String>)> {
    if opts.dns.iter().any(|d| d == "none") && opts.dns.len() > 1 {
        return Err(LibpodError::InvalidArgument(
            "--dns none cannot be combined with other --dns servers".into(),
        ));
    }
    for d in &opts.dns {
        if d != "none" && d.parse::<std::net::IpAddr>().is_err() {
            return Err(LibpodError::InvalidArgument(format!(
                "invalid --dns \"{d}\": not an IP address (or \"none\")"
            )));
        }
    }
    for h in &opts.add_hosts {
        network::parse_add_host(h)?;
    }
    Ok((opts.dns.clone(), opts.add_hosts.clone()))
}

impl Runtime {
    /// `--network`, validated, with podman's default for a rootless container (slirp4netns;
    /// as root too, there being no bridge networks yet). `container:NAME` is stored with the
    /// other container's id, so renaming it later does not break this one.
    pub(super) fn resolve_network(&self, asked: Option<&str>) -> Result<String> {
        let network = asked.unwrap_or(network::DEFAULT_MODE);
        match network::NetworkMode::parse(network)? {
            network::NetworkMode::Container(target) => {
                let t = self.state.lookup(&target).map_err(|_| {
                    LibpodError::InvalidArgument(format!(
                        "looking up container to share net namespace with: no container with name or ID \"{target}\" found: no such container"
                    ))
                })?;
                Ok(format!("container:{}", t.id))
            }
            network::NetworkMode::Ns(path) if !path.exists() => {
                Err(LibpodError::InvalidArgument(format!(
                    "network namespace {} does not exist: give the path of an existing one",
                    path.display()
                )))
            }
            _ => Ok(network.to_string()),
        }
    }

    /// `-p` and `-P`: parsed, given a host port where none was named, and checked free on
    /// the host, so a taken port fails the create instead of the start.
    pub(super) fn resolve_ports(
        &self,
        publish: &[String],
        exposed: &[String],
        network: &str,
    ) -> Result<Vec<network::PortMapping>> {
        let mut ports = Vec::new();
        for spec in publish {
            ports.extend(network::parse_port(spec)?);
        }
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
            return Err(LibpodError::InvalidArgument(format!(
                "cannot publish ports with --network {network}: {why}"
            )));
        }
        for (i, m) in ports.iter().enumerate() {
            if m.host_port != 0
                && ports[..i]
                    .iter()
                    .any(|o| o.host_port == m.host_port && o.protocol == m.protocol)
            {
                return Err(LibpodError::InvalidArgument(format!(
                    "host port {}/{} is published more than once",
                    m.host_port, m.protocol
                )));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_tmpfs_ulimits_signals() {
        let m = parse_volume("/tmp:/data:ro").unwrap();
        assert!(m.read_only());
        assert!(parse_volume("/tmp:relative").is_err());
        assert!(parse_volume("/tmp:/d:bogus").is_err());
        assert!(parse_volume("/does/not/exist:/d").is_err());
        let t = parse_tmpfs("/run:size=1m,noexec");
        assert_eq!(t.options, vec!["size=1m", "noexec"]);
        let u = parse_ulimit("nofile=10:20").unwrap();
        assert_eq!((u.soft, u.hard), (10, 20));
        assert!(parse_ulimit("nofile=20:10").is_err());
        assert!(parse_ulimit("bogus=1").is_err());
        assert_eq!(
            parse_signal("term").unwrap(),
            nix::sys::signal::Signal::SIGTERM
        );
        assert_eq!(
            parse_signal("9").unwrap(),
            nix::sys::signal::Signal::SIGKILL
        );
        assert!(parse_signal("SIGNOPE").is_err());
    }

    #[test]
    fn env_merge_overrides() {
        let mut env = vec!["PATH=/bin".to_string(), "A=1".to_string()];
        merge_env(&mut env, "A=2");
        merge_env(&mut env, "B=x=y");
        assert_eq!(env, vec!["PATH=/bin", "A=2", "B=x=y"]);
    }
}
