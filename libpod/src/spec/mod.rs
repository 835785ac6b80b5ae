//! The typed description of a container: [`ContainerSpec`], what every entry point (the CLI's
//! flags, and in time compose and Kubernetes YAML, quadlet files and the REST API) fills in,
//! and what [`crate::runtime::Runtime::create`] turns into a stored container.
//!
//! Modelled on podman's SpecGenerator: each section is a typed field, validated when it is
//! parsed ([`options`] parses the CLI's strings, once, in one place). What needs the image or
//! containers.conf is merged in [`defaults`]; what needs the runtime's state (other containers,
//! pods, networks, free host ports, CDI specs) is resolved by `Runtime::create`. The OCI runtime
//! config written next to a container is built from the stored result in [`oci`].

pub mod defaults;
pub mod device_rules;
pub mod env;
mod error;
pub mod fds;
pub mod health;
pub mod logging;
pub mod namespaces;
pub mod oci;
pub mod options;
pub mod parse;
pub mod placement;
pub mod rootfs;
pub mod systemd;
pub mod userns;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use error::SpecError;
pub use health::{HealthOptions, HealthSpec};
pub use options::CreateOptions;

use crate::cgroups::Resources;
use crate::container::{Mount, RestartPolicy, Ulimit};

/// One container, as asked for: every field validated, nothing yet merged with the image.
#[derive(Clone, Debug, Default)]
pub struct ContainerSpec {
    /// The image reference or id, as given.
    pub image: String,
    /// The container's name (checked against the name rule); `None` draws a random one.
    pub name: Option<String>,
    pub process: ProcessSpec,
    pub storage: StorageSpec,
    pub security: SecuritySpec,
    pub namespaces: NamespaceSpec,
    pub network: NetworkSpec,
    pub resources: ResourceSpec,
    pub devices: DeviceSpec,
    pub restart: RestartPolicy,
    /// `--rm`: removed when it exits.
    pub auto_remove: bool,
    /// Labels from `--label-file` then `--label`; the image's labels go under them.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `--pod NAME`: an existing pod to join.
    pub pod: Option<String>,
    pub lifecycle: LifecycleSpec,
    /// `--health-*`: the container's healthcheck, over the image's HEALTHCHECK.
    pub health: HealthSpec,
    /// `--secret`: secrets by name, looked up at create.
    pub secrets: Vec<SecretUse>,
}

/// The container's process.
#[derive(Clone, Debug, Default)]
pub struct ProcessSpec {
    /// The command after the image name: replaces the image's CMD.
    pub command: Vec<String>,
    /// `--entrypoint`: replaces the image's ENTRYPOINT and drops its CMD; `Some(vec![])` for
    /// `--entrypoint ""`.
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=VALUE` entries from `--env-file` then `-e`, in order (a later key wins); `-e KEY`
    /// has already taken the caller's value.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    /// `--user` as given, resolved at start against the image's /etc/passwd.
    pub user: Option<String>,
    pub group_add: Vec<String>,
    pub tty: bool,
    pub interactive: bool,
    /// `--init`: burrow's init stays as pid 1 (containers.conf's `init` also turns it on).
    pub init: bool,
    pub preserve_fds: u32,
    /// `--preserve-fd`: the caller's descriptors, checked at `run` to have been passed.
    pub preserve_fd: Vec<std::os::fd::RawFd>,
    /// `--stop-signal`, checked to be a signal; `None` takes the image's, then SIGTERM.
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<u32>,
    /// `--env-merge KEY=...${KEY}...`: rewrites a default variable (image, containers.conf)
    /// with its old value substituted, before `--unsetenv`.
    pub env_merge: Vec<String>,
    /// `--unsetenv`: default variables (burrow's, the image's, containers.conf's) removed.
    pub unset_env: Vec<String>,
    /// `--unsetenv-all`: no default variables at all.
    pub unset_env_all: bool,
    /// `--env-host`: the caller's whole environment, over the defaults, under `-e`.
    pub env_host: bool,
    /// `--http-proxy` (podman's default true on the command line): the caller's proxy
    /// variables are copied in, under `-e`.
    pub http_proxy: bool,
    /// `--umask`, checked to be octal (1 to 4 digits), as given; `None` is 0022.
    pub umask: Option<String>,
    /// `--tz`: an area/city name found under the host's zoneinfo, or `local`.
    pub timezone: Option<String>,
    /// `--passwd`: whether entries for a numeric `--user` and `--hostuser` are added to
    /// /etc/passwd and /etc/group at start; `None` is podman's default, yes.
    pub passwd: Option<bool>,
    /// `--passwd-entry`, `--group-entry`: templates of those entries.
    pub passwd_entry: Option<String>,
    pub group_entry: Option<String>,
    /// `--hostuser`: host accounts (names or uids, checked to exist) copied in.
    pub host_users: Vec<String>,
    /// `--personality`: the execution domain, LINUX or LINUX32.
    pub personality: Option<String>,
    /// `--init-path`: an init binary on the host (checked to exist), bound read-only as
    /// /run/podman-init and run as pid 1 instead of burrow's own init when init is on.
    pub init_path: Option<PathBuf>,
    /// `--systemd`: whether the container may run in systemd mode (decided with the command).
    pub systemd: systemd::SystemdMode,
    /// `--shm-size-systemd`: bytes of each systemd-mode tmpfs (0: the kernel's default).
    pub shm_size_systemd: i64,
}

/// Mounts and the root filesystem.
#[derive(Clone, Debug, Default)]
pub struct StorageSpec {
    /// `-v`, `--mount` and `--tmpfs`, parsed, each destination once.
    pub mounts: Vec<Mount>,
    pub volumes_from: Vec<VolumesFrom>,
    pub read_only: bool,
    /// With `read_only`: /tmp, /var/tmp and /run stay writable tmpfs (podman's default).
    pub read_only_tmpfs: bool,
    /// `--image-volume`: what the image's VOLUME entries become.
    pub image_volume: ImageVolumeMode,
    /// `--rootfs`: run from this directory instead of an image.
    pub rootfs: Option<rootfs::Rootfs>,
}

/// `--image-volume`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImageVolumeMode {
    /// podman's default (`bind`): an anonymous volume, filled from the image at first start.
    #[default]
    Bind,
    /// A fresh tmpfs, gone with the container's run.
    Tmpfs,
    /// Nothing is mounted: the directory stays part of the container's root filesystem.
    Ignore,
}

impl ImageVolumeMode {
    pub fn parse(value: &str) -> Result<ImageVolumeMode, SpecError> {
        match value {
            "bind" | "anonymous" => Ok(ImageVolumeMode::Bind),
            "tmpfs" => Ok(ImageVolumeMode::Tmpfs),
            "ignore" => Ok(ImageVolumeMode::Ignore),
            _ => Err(SpecError::ImageVolume(value.to_string())),
        }
    }
}

/// `--volumes-from CTR[:ro|rw]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumesFrom {
    pub container: String,
    /// `Some(true)` read-only, `Some(false)` read-write, `None` as the other container has it.
    pub read_only: Option<bool>,
}

/// Capabilities, seccomp and privileges.
#[derive(Clone, Debug, Default)]
pub struct SecuritySpec {
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    /// `--security-opt seccomp=`: "unconfined" or an existing file; `None` is containers.conf's
    /// profile (or the built-in one).
    pub seccomp: Option<String>,
    pub no_new_privileges: bool,
    /// `--seccomp-policy image`: the profile in the image's `io.containers.seccomp.profile`
    /// label replaces the default or `seccomp=PATH` one.
    pub seccomp_from_image: bool,
    /// `--security-opt mask=`/`unmask=`: paths hidden besides podman's defaults, and default
    /// masked or read-only paths left alone ("ALL": every one).
    pub mask: Vec<String>,
    pub unmask: Vec<String>,
}

/// Namespaces and what lives in them.
#[derive(Clone, Debug, Default)]
pub struct NamespaceSpec {
    pub hostname: Option<String>,
    pub cgroups: CgroupsMode,
    pub cgroupns: CgroupnsMode,
    /// `--no-hostname`: no generated /etc/hostname; the image's stays.
    pub no_hostname: bool,
    /// `--sysctl KEY=VALUE`: namespaced kernel parameters only (net.*, IPC's, fs.mqueue.*),
    /// checked as podman checks them, in the order given.
    pub sysctls: Vec<(String, String)>,
    /// `--pid`, `--ipc`, `--uts`.
    pub pid: namespaces::NsMode,
    pub ipc: namespaces::NsMode,
    pub uts: namespaces::NsMode,
    /// `--userns`, `--uidmap`, `--gidmap`, `--subuidname`, `--subgidname`; `None` when none
    /// was given (containers.conf's `userns` decides).
    pub userns: Option<userns::UsernsMode>,
}

/// `--cgroups`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CgroupsMode {
    #[default]
    Enabled,
    Disabled,
    /// burrow has no conmon and its monitor never joins the container's cgroup, so
    /// `no-conmon` and `split` behave as `enabled`; they are recorded as given.
    NoConmon,
    Split,
}

impl CgroupsMode {
    /// As stored in the container's config: "" for the default.
    pub fn stored(self) -> &'static str {
        match self {
            CgroupsMode::Enabled => "",
            CgroupsMode::Disabled => "disabled",
            CgroupsMode::NoConmon => "no-conmon",
            CgroupsMode::Split => "split",
        }
    }
}

/// `--cgroupns`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CgroupnsMode {
    #[default]
    Private,
    Host,
}

impl CgroupnsMode {
    /// As stored in the container's config: "" for the default.
    pub fn stored(self) -> &'static str {
        match self {
            CgroupnsMode::Private => "",
            CgroupnsMode::Host => "host",
        }
    }
}

/// The network namespace, ports and name resolution.
#[derive(Clone, Debug, Default)]
pub struct NetworkSpec {
    /// `--network` as given: a mode (`slirp4netns`, `host`, `container:NAME`...) or user
    /// networks; checked against the state by `Runtime::create`. `None`: the default mode.
    pub mode: Option<String>,
    /// `-p`, parsed; a host port of 0 gets a free one at create.
    pub publish: Vec<network::PortMapping>,
    /// `-P`: every port the image EXPOSEs, on free host ports.
    pub publish_all: bool,
    /// `--dns` addresses, or `["none"]`.
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    /// `--add-host NAME:IP`, checked.
    pub add_hosts: Vec<String>,
    /// `--network-alias`.
    pub aliases: Vec<String>,
    /// `--ip`.
    pub ip: Option<String>,
    /// `--expose PORT[-END][/PROTO]`: "80/tcp" entries, one per port, in the order given.
    pub expose: Vec<String>,
    /// `--no-hosts`: no generated /etc/hosts; the image's stays.
    pub no_hosts: bool,
    /// `--hosts-file`: the base of /etc/hosts: a host file's path, `none` or `image`.
    pub hosts_file: Option<String>,
    /// `--mac-address`, lower-case: the interface's address on the (single) user network.
    pub mac_address: Option<String>,
    /// `--ip6`, `--link-local-ip`: checked addresses (burrow's networks cannot give them).
    pub ip6: Option<std::net::IpAddr>,
    pub link_local_ips: Vec<std::net::IpAddr>,
    /// `--chrootdirs`: absolute directories in the container that also get the generated
    /// /etc/hosts, /etc/resolv.conf and /etc/hostname.
    pub chroot_dirs: Vec<String>,
}

/// Limits.
#[derive(Clone, Debug, Default)]
pub struct ResourceSpec {
    /// `--memory`, `--cpus`, `--pids-limit`, `--shm-size`...: validated.
    pub limits: Resources,
    /// `--ulimit`; containers.conf's `default_ulimits` go under them.
    pub ulimits: Vec<Ulimit>,
    /// `--cgroup-parent`: an absolute cgroup path (cgroupfs manager), no `..`.
    pub cgroup_parent: Option<String>,
    /// `--cgroup-conf KEY=VALUE`: cgroup file names (no path) and what to write in them.
    pub cgroup_conf: BTreeMap<String, String>,
}

/// Host devices.
#[derive(Clone, Debug, Default)]
pub struct DeviceSpec {
    /// `--device`: host paths (`HOST[:CTR][:PERMS]`) or CDI names.
    pub devices: Vec<String>,
    /// `--gpus`: NVIDIA GPUs through CDI.
    pub gpus: Option<String>,
    /// `--device-cgroup-rule`: parsed; refused rootless (as podman).
    pub cgroup_rules: Vec<device_rules::DeviceCgroupRule>,
}

/// How the new container relates to the command that makes it.
#[derive(Clone, Debug, Default)]
pub struct LifecycleSpec {
    /// `--replace`: a container of the same name is removed first.
    pub replace: bool,
    /// `--cidfile`: written with the new id (must not exist).
    pub cidfile: Option<PathBuf>,
    /// The caller starts it right after (`run`, a build step): it belongs to this process until
    /// it runs, so a killed `run` leaves no half-made container behind.
    pub start_next: bool,
    /// A build's working container: it belongs to the build process for its whole life.
    pub temporary: bool,
    /// The command line that created it (podman's CreateCommand), for `generate systemd --new`.
    pub create_command: Vec<String>,
    /// `--sdnotify`: who tells systemd the container is ready.
    pub sdnotify: crate::sdnotify::SdNotifyMode,
    /// `--pidfile`: where the container's pid is written at each start (absolute); `None`
    /// is podman's place, `pidfile` in the container's userdata directory.
    pub pidfile: Option<PathBuf>,
    /// `--timeout`: seconds a run may last before its process is killed (SIGKILL); 0 for no
    /// limit.
    pub timeout: u32,
    /// `--rmi` on `run -d`: the image is removed (unless in use) after the container is.
    pub remove_image: bool,
    /// `--log-driver`, `--log-opt`.
    pub log: logging::LogSpec,
    /// `--requires CTR[,CTR]`: containers (names or ids, as given) started before this one
    /// and not removable while it exists.
    pub requires: Vec<String>,
    /// `--conmon-pidfile`: where the container's monitor (burrow's conmon) writes its pid at
    /// each start (absolute).
    pub conmon_pidfile: Option<PathBuf>,
}

/// `--secret NAME[,type=mount|env][,target=...][,uid=N][,gid=N][,mode=OCTAL]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretUse {
    /// The secret's name or id.
    pub name: String,
    pub kind: crate::secrets::SecretKind,
    /// `mount`: a path (relative ones under /run/secrets); `env`: the variable. `None`: the
    /// secret's name.
    pub target: Option<String>,
    pub uid: u32,
    pub gid: u32,
    /// The file's mode (podman's default 0444).
    pub mode: u32,
}
