//! `run` and `create`: their flags, and the `CreateOptions` they fill.

use std::path::PathBuf;

use clap::Args;
use libpod::Runtime;
use libpod::runtime::{AttachOptions, CreateOptions};

use crate::commands::{Failure, Outcome};

/// `-h` is `--hostname` here, as in podman; help is `--help` only.
#[derive(Args, Debug, Clone)]
#[command(disable_help_flag = true)]
pub struct CreateArgs {
    /// Print help
    #[arg(long = "help", action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// Assign a name to the container
    #[arg(long)]
    name: Option<String>,
    /// Set environment variables in container
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    env_file: Vec<PathBuf>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// Add additional groups to the primary container process
    #[arg(long = "group-add")]
    group_add: Vec<String>,
    /// Set container hostname
    #[arg(short = 'h', long)]
    hostname: Option<String>,
    /// Set metadata on container
    #[arg(short = 'l', long = "label")]
    label: Vec<String>,
    /// Read in a line delimited file of labels
    #[arg(long = "label-file")]
    label_file: Vec<PathBuf>,
    /// Add annotations to container (key=value)
    #[arg(long)]
    annotation: Vec<String>,
    /// Bind mount a volume into the container (HOST-DIR|VOLUME-NAME:CONTAINER-DIR[:OPTIONS])
    #[arg(short = 'v', long = "volume")]
    volume: Vec<String>,
    /// Attach a filesystem mount to the container (type=bind|volume|tmpfs|image,src=,dst=,...)
    #[arg(long)]
    mount: Vec<String>,
    /// Mount volumes from the specified container(s) (CONTAINER[:ro|rw])
    #[arg(long = "volumes-from")]
    volumes_from: Vec<String>,
    /// Mount a temporary filesystem (tmpfs) into a container
    #[arg(long)]
    tmpfs: Vec<String>,
    /// Make containers root filesystem read-only
    #[arg(long = "read-only", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = clap::ArgAction::Set, value_name = "BOOL")]
    read_only: Option<bool>,
    /// When running --read-only containers mount read-write tmpfs on /run, /tmp and /var/tmp
    #[arg(long = "read-only-tmpfs", default_value_t = true, action = clap::ArgAction::Set)]
    read_only_tmpfs: bool,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long)]
    init: bool,
    /// Allocate a pseudo-TTY for container
    #[arg(short = 't', long)]
    tty: bool,
    /// Make STDIN available to the contained process
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Add capabilities to the container
    #[arg(long = "cap-add")]
    cap_add: Vec<String>,
    /// Drop capabilities from the container
    #[arg(long = "cap-drop")]
    cap_drop: Vec<String>,
    /// Give extended privileges to container
    #[arg(long)]
    privileged: bool,
    /// Add a host device (HOST[:CONTAINER][:PERMISSIONS]) or a CDI device (vendor.com/class=name)
    #[arg(long = "device", value_name = "DEVICE")]
    device: Vec<String>,
    /// GPU devices to add to the container ('all' to pass all GPUs), through CDI
    #[arg(long, value_name = "GPUS")]
    gpus: Option<String>,
    /// Control container cgroup configuration ("enabled"|"disabled"|"no-conmon"|"split")
    #[arg(long, value_name = "MODE")]
    cgroups: Option<String>,
    /// Cgroup namespace to use ("private"|"host")
    #[arg(long, value_name = "MODE")]
    cgroupns: Option<String>,
    /// Security Options (seccomp=unconfined|PATH, no-new-privileges)
    #[arg(long = "security-opt")]
    security_opt: Vec<String>,
    /// Signal to stop a container. Default is SIGTERM
    #[arg(long = "stop-signal")]
    stop_signal: Option<String>,
    /// Timeout (in seconds) that containers stopped by user command have to exit
    #[arg(long = "stop-timeout")]
    stop_timeout: Option<u32>,
    /// Restart policy to apply when a container exits ("always"|"no"|"on-failure"|"unless-stopped")
    #[arg(long)]
    restart: Option<String>,
    /// Remove container and any anonymous unnamed volume associated with the container after exit
    #[arg(long)]
    rm: bool,
    /// Ulimit options
    #[arg(long)]
    ulimit: Vec<String>,
    /// Connect a container to a network (NAME[,NAME2] of user networks, slirp4netns[:OPTIONS], pasta[:OPTIONS], none, host, container:NAME, ns:PATH)
    #[arg(long, alias = "net")]
    network: Option<String>,
    /// Add a network-scoped alias for the container (user networks)
    #[arg(long = "network-alias")]
    network_alias: Vec<String>,
    /// Specify a static IPv4 address for the container on its user network
    #[arg(long)]
    ip: Option<String>,
    /// Run container in an existing pod, or in a new one (new:NAME) that gets -p and --network
    #[arg(long)]
    pod: Option<String>,
    /// Run container in the pod whose ID is in the file
    #[arg(long = "pod-id-file", value_name = "PATH")]
    pod_id_file: Option<PathBuf>,
    /// Add secret to container (NAME[,type=mount|env][,target=PATH_OR_VAR][,uid=N][,gid=N][,mode=OCTAL])
    #[arg(long)]
    secret: Vec<String>,
    /// Publish a container's port, or a range of ports, to the host
    #[arg(short = 'p', long)]
    publish: Vec<String>,
    /// Publish all exposed ports to random ports on the host interfaces
    #[arg(short = 'P', long = "publish-all")]
    publish_all: bool,
    /// Set custom DNS servers ("none": keep the image's /etc/resolv.conf)
    #[arg(long)]
    dns: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long = "dns-search")]
    dns_search: Vec<String>,
    /// Set custom DNS options
    #[arg(long = "dns-option", alias = "dns-opt")]
    dns_option: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host")]
    add_host: Vec<String>,
    /// If a container with the same name exists, replace it
    #[arg(long)]
    replace: bool,
    /// Write the container ID to the file
    #[arg(long)]
    cidfile: Option<PathBuf>,
    /// Control sd-notify behavior (conmon, container, healthy, ignore)
    #[arg(long, value_name = "MODE")]
    sdnotify: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long)]
    entrypoint: Option<String>,
    /// Pass a number of additional file descriptors into the container
    #[arg(long = "preserve-fds", default_value_t = 0)]
    preserve_fds: u32,
    /// Pass a list of additional file descriptors to the container (they become 3, 4, ... in ascending order)
    #[arg(long = "preserve-fd", value_name = "FD1[,FD2,...]")]
    preserve_fd: Vec<String>,
    /// Set timezone in container (a zone from /usr/share/zoneinfo, or "local" for the host's)
    #[arg(long, value_name = "TIMEZONE")]
    tz: Option<String>,
    /// Set umask in container (octal, default 0022)
    #[arg(long)]
    umask: Option<String>,
    /// Expose a port or a range of ports (PORT[-END][/tcp|udp|sctp]); -P publishes them
    #[arg(long, value_name = "PORT")]
    expose: Vec<String>,
    /// Unset environment default variables in container
    #[arg(long, value_name = "ENV")]
    unsetenv: Vec<String>,
    /// Unset all default environment variables in container
    #[arg(long = "unsetenv-all", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set, default_value_t = false)]
    unsetenv_all: bool,
    /// Use all current host environment variables in container
    #[arg(long = "env-host", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set, default_value_t = false)]
    env_host: bool,
    /// Preprocess environment variables from image before injecting them into the container (KEY=...${KEY}...)
    #[arg(long = "env-merge", value_name = "ENV")]
    env_merge: Vec<String>,
    /// Set proxy environment variables in the container based on the host proxy vars
    #[arg(long = "http-proxy", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set, default_value_t = true)]
    http_proxy: bool,
    /// Do not create /etc/hosts within the container, instead use the version from the image
    #[arg(long = "no-hosts")]
    no_hosts: bool,
    /// Do not create /etc/hostname within the container, instead use the version from the image
    #[arg(long = "no-hostname")]
    no_hostname: bool,
    /// Base file to create the /etc/hosts file inside the container (a host path, "none" or "image")
    #[arg(long = "hosts-file", value_name = "PATH")]
    hosts_file: Option<String>,
    /// Add entries to /etc/passwd and /etc/group when used with the --user option
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set, default_value_t = true)]
    passwd: bool,
    /// Entry to write to /etc/passwd ($USERNAME, $UID, $GID, $NAME, $HOME are replaced)
    #[arg(long = "passwd-entry", value_name = "ENTRY")]
    passwd_entry: Option<String>,
    /// Entry to write to /etc/group ($GROUPNAME, $GID, $USERLIST are replaced)
    #[arg(long = "group-entry", value_name = "ENTRY")]
    group_entry: Option<String>,
    /// Host user account to add to /etc/passwd within container
    #[arg(long = "hostuser", value_name = "NAME")]
    hostuser: Vec<String>,
    /// Sysctl options (namespaced ones: net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)
    #[arg(long, value_name = "KEY=VALUE")]
    sysctl: Vec<String>,
    /// Write the container process ID to the file
    #[arg(long, value_name = "PATH")]
    pidfile: Option<PathBuf>,
    /// Maximum length of time a container is allowed to run. The container will be killed automatically after the time expires.
    #[arg(long = "timeout", value_name = "SECONDS", default_value_t = 0)]
    run_timeout: u32,
    /// PID namespace to use (private, host, container:NAME, ns:PATH)
    #[arg(long, value_name = "PID")]
    pid: Option<String>,
    /// IPC namespace to use (private, shareable, host, container:NAME, ns:PATH)
    #[arg(long, value_name = "IPC")]
    ipc: Option<String>,
    /// UTS namespace to use (private, host, container:NAME, ns:PATH)
    #[arg(long, value_name = "UTS")]
    uts: Option<String>,
    /// Logging driver for the container (k8s-file, json-file, none)
    #[arg(long = "log-driver", value_name = "DRIVER")]
    log_driver: Option<String>,
    /// Logging driver options (path=, max-size=, tag=)
    #[arg(long = "log-opt", value_name = "NAME=VALUE")]
    log_opt: Vec<String>,
    /// Configure execution domain using personality (e.g., LINUX/LINUX32)
    #[arg(long, value_name = "PERSONA")]
    personality: Option<String>,
    /// Add one or more requirement containers that must be started before this container will start (CTR[,CTR])
    #[arg(long, value_name = "CONTAINER")]
    requires: Vec<String>,
    /// Tells container engines how to handle the built-in image volumes ("bind"|"tmpfs"|"ignore")
    #[arg(long = "image-volume", value_name = "MODE")]
    image_volume: Option<String>,
    /// Path to the container-init binary (bound as /run/podman-init and run as pid 1 with --init)
    #[arg(long = "init-path", value_name = "PATH")]
    init_path: Option<PathBuf>,
    /// Policy for selecting a seccomp profile ("default"|"image": the profile in the image's io.containers.seccomp.profile label)
    #[arg(long = "seccomp-policy", value_name = "POLICY")]
    seccomp_policy: Option<String>,
    /// Optional parent cgroup for the container (an absolute cgroup path)
    #[arg(long = "cgroup-parent", value_name = "PATH")]
    cgroup_parent: Option<String>,
    /// Configure cgroup v2 (key=value)
    #[arg(long = "cgroup-conf", value_name = "KEY=VALUE")]
    cgroup_conf: Vec<String>,
    /// User namespace to use (host, keep-id[:uid=N,gid=N,size=N], nomap, auto[:size=N], ns:PATH, container:NAME)
    #[arg(long, value_name = "MODE")]
    userns: Option<String>,
    /// UID map for the user namespace (CONTAINER:HOST:SIZE; HOST ids are the rootless namespace's)
    #[arg(long, value_name = "MAP")]
    uidmap: Vec<String>,
    /// GID map for the user namespace (CONTAINER:HOST:SIZE)
    #[arg(long, value_name = "MAP")]
    gidmap: Vec<String>,
    /// Name of the user in /etc/subuid whose ranges make the UID map
    #[arg(long, value_name = "NAME")]
    subuidname: Option<String>,
    /// Name of the group in /etc/subgid whose ranges make the GID map
    #[arg(long, value_name = "NAME")]
    subgidname: Option<String>,
    /// Attach to STDIN, STDOUT or STDERR
    #[arg(short = 'a', long = "attach", value_name = "STREAM")]
    attach: Vec<String>,
    /// Container MAC address on its network (e.g. 92:d0:c6:0a:29:33)
    #[arg(long = "mac-address", value_name = "ADDRESS")]
    mac_address: Option<String>,
    /// Specify a static IPv6 address for the container
    #[arg(long, value_name = "IPV6")]
    ip6: Option<String>,
    /// Container IPv4/IPv6 link-local addresses
    #[arg(long = "link-local-ip", value_name = "IP")]
    link_local_ip: Vec<String>,
    /// Chroot directories inside the container that also get the managed /etc/hosts, /etc/resolv.conf and /etc/hostname
    #[arg(long = "chrootdirs", value_name = "PATH")]
    chrootdirs: Vec<String>,
    /// The first argument is not an image but the rootfs to the exploded container (PATH[:O], O: an overlay keeps the directory unchanged)
    #[arg(long)]
    rootfs: bool,
    /// Set by `run --rmi`.
    #[arg(skip)]
    remove_image: bool,
    /// Pull image policy (always, missing, never, newer)
    #[arg(long, default_value = "missing", num_args = 0..=1, default_missing_value = "always")]
    pull: String,
    /// Number of times to retry in case of failure when performing pull (default 3)
    #[arg(long, value_name = "N")]
    retry: Option<u32>,
    /// Delay between retries in case of pull failures (default: 1s, 2s, 4s...)
    #[arg(long = "retry-delay", value_name = "DURATION")]
    retry_delay: Option<String>,
    /// Suppress output information when pulling images
    #[arg(short = 'q', long)]
    quiet: bool,
    #[command(flatten)]
    registry: crate::commands::registry::RegistryArgs,
    #[command(flatten)]
    platform: crate::commands::registry::PlatformArgs,
    #[command(flatten)]
    limits: crate::commands::resources::LimitArgs,
    #[command(flatten)]
    process_limits: crate::commands::resources::ProcessLimitArgs,
    #[command(flatten)]
    health: super::health::HealthArgs,
    #[command(flatten)]
    more: super::run_more::MoreCreateArgs,
    /// Image to run
    image: String,
    /// Command and arguments
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

impl From<CreateArgs> for CreateOptions {
    fn from(a: CreateArgs) -> CreateOptions {
        let more = a.more.clone();
        let mut o = CreateOptions {
            start_next: false,
            temporary: false,
            resources: crate::commands::resources::options(&a.limits, Some(&a.process_limits)),
            image: a.image,
            command: a.command,
            name: a.name,
            entrypoint: a.entrypoint,
            env: a.env,
            env_files: a.env_file,
            workdir: a.workdir,
            user: a.user,
            group_add: a.group_add,
            hostname: a.hostname,
            labels: a.label,
            label_files: a.label_file,
            annotations: a.annotation,
            volumes: a.volume,
            mounts: a.mount,
            volumes_from: a.volumes_from,
            tmpfs: a.tmpfs,
            read_only: a.read_only,
            read_only_tmpfs: a.read_only_tmpfs,
            init: a.init,
            tty: a.tty,
            interactive: a.interactive,
            cap_add: a.cap_add,
            cap_drop: a.cap_drop,
            privileged: a.privileged,
            devices: a.device,
            gpus: a.gpus,
            cgroups: a.cgroups,
            cgroupns: a.cgroupns,
            security_opt: a.security_opt,
            stop_signal: a.stop_signal,
            stop_timeout: a.stop_timeout,
            restart: a.restart,
            rm: a.rm,
            ulimits: a.ulimit,
            network: a.network,
            publish: a.publish,
            publish_all: a.publish_all,
            dns: a.dns,
            dns_search: a.dns_search,
            dns_options: a.dns_option,
            add_hosts: a.add_host,
            replace: a.replace,
            cidfile: a.cidfile,
            preserve_fds: a.preserve_fds,
            preserve_fd: a.preserve_fd,
            pod: a.pod,
            network_aliases: a.network_alias,
            ip: a.ip,
            health: a.health.into(),
            sdnotify: a.sdnotify,
            create_command: Vec::new(),
            secrets: a.secret,
            tz: a.tz,
            umask: a.umask,
            expose: a.expose,
            unsetenv: a.unsetenv,
            unsetenv_all: a.unsetenv_all,
            env_host: a.env_host,
            env_merge: a.env_merge,
            http_proxy: a.http_proxy,
            no_hosts: a.no_hosts,
            no_hostname: a.no_hostname,
            hosts_file: a.hosts_file,
            passwd: (!a.passwd).then_some(false),
            passwd_entry: a.passwd_entry,
            group_entry: a.group_entry,
            host_users: a.hostuser,
            sysctls: a.sysctl,
            pidfile: a.pidfile,
            timeout: a.run_timeout,
            remove_image: a.remove_image,
            pid: a.pid,
            ipc: a.ipc,
            uts: a.uts,
            log_driver: a.log_driver,
            log_opts: a.log_opt,
            personality: a.personality,
            requires: a.requires,
            image_volume: a.image_volume,
            rootfs: a.rootfs,
            init_path: a.init_path,
            seccomp_policy: a.seccomp_policy,
            chroot_dirs: a.chrootdirs,
            mac_address: a.mac_address,
            ip6: a.ip6,
            link_local_ips: a.link_local_ip,
            cgroup_parent: a.cgroup_parent,
            cgroup_conf: a.cgroup_conf,
            userns: a.userns,
            uidmap: a.uidmap,
            gidmap: a.gidmap,
            subuidname: a.subuidname,
            subgidname: a.subgidname,
            ..Default::default()
        };
        more.apply(&mut o);
        o
    }
}

/// `create` with `--pod new:NAME` handled by libpod (nothing is left behind when the create
/// fails). `start_next`: `run` starts the container at once; until it has, the container
/// belongs to this process and goes with it if it is killed.
fn create_container(
    rt: &Runtime,
    a: CreateArgs,
    start_next: bool,
) -> Result<libpod::Container, Failure> {
    let pod_id_file = a.pod_id_file.clone();
    let mut opts: CreateOptions = a.into();
    if let Some(path) = pod_id_file {
        if opts.pod.is_some() {
            return Err(Failure::new(
                "cannot specify both --pod and --pod-id-file: use one of them",
            ));
        }
        opts.pod = Some(crate::commands::pod::read_pod_id_file(&path)?);
    }
    opts.start_next = start_next;
    // podman's CreateCommand: what `generate systemd --new` runs again.
    opts.create_command = crate::worker::args();
    // Under a generated unit podman labels the container with its unit (auto-update's key).
    if let Ok(unit) = std::env::var("PODMAN_SYSTEMD_UNIT") {
        opts.labels.push(format!("PODMAN_SYSTEMD_UNIT={unit}"));
    }
    Ok(rt.create_with_pod(opts)?)
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    detach: bool,
    /// Proxy received signals to the process
    #[arg(long = "sig-proxy", default_value_t = true, action = clap::ArgAction::Set)]
    sig_proxy: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys", default_value = "ctrl-p,ctrl-q")]
    detach_keys: String,
    /// Remove image unless used by other containers, implies --rm
    #[arg(long)]
    rmi: bool,
    #[command(flatten)]
    create: CreateArgs,
}

/// Applies `--pull`: libpod pulls when the policy says so, and the container is created
/// from what is then in the store.
fn ensure_image(rt: &Runtime, a: &mut CreateArgs) -> Result<(), Failure> {
    if a.rootfs {
        // `--rootfs`: the argument is a directory, nothing to pull.
        return Ok(());
    }
    let progress = crate::commands::registry::Progress::new(a.quiet);
    let platform = a.platform.platform()?;
    let flags = libpod::registry::RegistryFlags {
        retry: libpod::runtime::PullRetry::parse(a.retry, a.retry_delay.as_deref())
            .map_err(libpod::LibpodError::from)?,
        decryption_keys: a.more.decryption_keys(),
        ..a.registry.flags()
    };
    a.image = rt.image_name_for_run(&a.image, &a.pull, &flags, platform, &progress)?;
    Ok(())
}

pub fn run(rt: &Runtime, mut a: RunArgs) -> Outcome {
    let streams = libpod::runtime::AttachStreams::parse(&a.create.attach)
        .map_err(libpod::LibpodError::from)?;
    if a.detach && !a.create.attach.is_empty() {
        return Err(Failure::new(
            "--attach and --detach cannot be set at the same time: drop one of them",
        ));
    }
    let interactive = a.create.interactive && streams.stdin;
    if a.detach
        && a.create
            .log_driver
            .as_deref()
            .is_some_and(|d| d.starts_with("passthrough"))
    {
        return Err(libpod::LibpodError::from(libpod::spec::SpecError::PassthroughDetached).into());
    }
    let keys = libpod::attach::parse_detach_keys(&a.detach_keys).map_err(Failure::new)?;
    if a.rmi {
        a.create.rm = true;
        a.create.remove_image = true;
    }
    ensure_image(rt, &mut a.create)?;
    let c = create_container(rt, a.create, true)?;
    if a.detach {
        rt.start_detached(&c)?;
        println!("{}", c.id);
        return Ok(0);
    }
    // `run -it`: under a monitor with this terminal attached, so that the detach keys can
    // leave it running (as podman's conmon does); other foreground runs stay in this process.
    if interactive && c.config.tty && !c.config.log_driver.starts_with("passthrough") {
        return Ok(match rt.run_interactive(&c, keys)? {
            libpod::runtime::AttachEnd::Exited(code) => code,
            libpod::runtime::AttachEnd::Detached => 0,
        });
    }
    Ok(rt.start_attached_streams(
        &c,
        AttachOptions {
            stdin: interactive,
            sig_proxy: a.sig_proxy,
        },
        streams,
    )?)
}

pub fn create(rt: &Runtime, mut a: CreateArgs) -> Outcome {
    libpod::runtime::AttachStreams::parse(&a.attach).map_err(libpod::LibpodError::from)?;
    ensure_image(rt, &mut a)?;
    let c = create_container(rt, a, false)?;
    println!("{}", c.id);
    Ok(0)
}
