//! The container model: what a user asked for at create time ([`ContainerConfig`], stored as
//! JSON in the database) and what happened since ([`ContainerState`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Lifecycle states with podman's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    /// Prepared by `init` (mounts, network, hosts files), its command not yet exec'd.
    Initialized,
    Running,
    Paused,
    Stopping,
    Exited,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Initialized => "initialized",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopping => "stopping",
            Status::Exited => "exited",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "created" | "configured" => Status::Created,
            "initialized" => Status::Initialized,
            "running" => Status::Running,
            "paused" => Status::Paused,
            "stopping" => Status::Stopping,
            "exited" | "stopped" => Status::Exited,
            _ => return None,
        })
    }
}

/// `-v`, `--mount`, `--tmpfs` and the image's VOLUME entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// "bind", "tmpfs", "volume" (source is the volume's `_data`) or "image".
    pub kind: String,
    pub source: PathBuf,
    pub destination: PathBuf,
    pub options: Vec<String>,
    /// The volume's name ("volume"), or the image's ID ("image").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Set at start for a volume still waiting for its first copy-up: the child fills it
    /// with what the image has at the destination before mounting it.
    #[serde(skip)]
    pub copy_up: bool,
    /// Set at start for `:O`: the fresh upper and work directories of the overlay mounted
    /// over the source (changes stay in the container and go at its next start).
    #[serde(skip)]
    pub overlay: Option<(PathBuf, PathBuf)>,
}

/// A host device in the container (`inspect`'s HostConfig.Devices).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceMapping {
    pub path_on_host: PathBuf,
    pub path_in_container: PathBuf,
    pub cgroup_permissions: String,
}

impl Mount {
    pub fn read_only(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
    }
}

/// `--restart` as podman parses it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartPolicy {
    /// "", "no", "always", "on-failure", "unless-stopped".
    pub name: String,
    pub max_retries: u32,
}

impl RestartPolicy {
    pub fn parse(s: &str) -> Result<RestartPolicy, String> {
        let (name, retries) = match s.split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (s, None),
        };
        if !matches!(name, "" | "no" | "always" | "on-failure" | "unless-stopped") {
            return Err(format!(
                "invalid restart policy \"{s}\": must be one of no, always, on-failure[:max_retries], unless-stopped"
            ));
        }
        let max_retries = match retries {
            None => 0,
            Some(r) if name == "on-failure" => r.parse().map_err(|_| {
                format!("invalid restart policy \"{s}\": maximum retries must be a number")
            })?,
            Some(_) => {
                return Err(format!(
                    "invalid restart policy \"{s}\": only on-failure takes a retry count"
                ));
            }
        };
        Ok(RestartPolicy {
            name: name.to_string(),
            max_retries,
        })
    }

    /// Whether the monitor starts the container again after it exited with `code`.
    pub fn should_restart(&self, code: i32, restarts_so_far: u32, stopped_by_user: bool) -> bool {
        if stopped_by_user {
            return false;
        }
        match self.name.as_str() {
            "always" | "unless-stopped" => true,
            "on-failure" => {
                code != 0 && (self.max_retries == 0 || restarts_so_far < self.max_retries)
            }
            _ => false,
        }
    }
}

/// `--ulimit name=soft[:hard]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    pub name: String,
    pub soft: u64,
    pub hard: u64,
}

/// Everything `create` was told, after validation. Stored as JSON; the OCI spec is derived
/// from it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerConfig {
    pub image_id: String,
    /// The name the user gave (`busybox`), shown by `ps`.
    pub image_name: String,
    /// The full command: entrypoint + cmd after docker's rules.
    pub args: Vec<String>,
    /// What the user passed (for inspect's Config.Cmd / Config.Entrypoint).
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    /// As given (`1000`, `1000:1000`, `tester`), resolved at start against the image's passwd.
    pub user: String,
    pub group_add: Vec<String>,
    pub hostname: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub mounts: Vec<Mount>,
    pub read_only: bool,
    pub init: bool,
    pub tty: bool,
    pub interactive: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// containers.conf's `default_capabilities` at create time (None: podman's default set).
    pub default_caps: Option<Vec<String>>,
    pub privileged: bool,
    /// "" (default profile), "unconfined", or a path.
    pub seccomp: String,
    pub no_new_privileges: bool,
    /// `--security-opt mask=`/`unmask=` (see security::masked_and_readonly).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mask: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmask: Vec<String>,
    pub stop_signal: String,
    pub stop_timeout: u32,
    pub restart: RestartPolicy,
    pub auto_remove: bool,
    pub ulimits: Vec<Ulimit>,
    /// `--network` as podman spells it (network::NetworkMode): "slirp4netns[:OPTIONS]" (the
    /// default), "pasta[:OPTIONS]", "none", "host", "container:ID", "ns:PATH".
    pub network: String,
    /// `-p` and `-P`: host ports forwarded into the container (slirp4netns or pasta).
    pub ports: Vec<network::PortMapping>,
    /// `--dns`: the nameservers of /etc/resolv.conf (empty: the network's own); ["none"]: no
    /// generated resolv.conf at all, the image's stays.
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    /// `--add-host NAME:IP`, validated, in the order given.
    pub add_hosts: Vec<String>,
    pub log_path: PathBuf,
    pub stdin_open: bool,
    pub preserve_fds: u32,
    /// `--preserve-fd`: the caller's descriptors the process gets (from 3, with the above).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preserve_fd: Vec<i32>,
    /// --memory, --cpus, --pids-limit, --shm-size...: enforced through a cgroup at start.
    pub resources: crate::cgroups::Resources,
    /// The id of the pod this container belongs to (`--pod`), empty for none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod: String,
    /// The pod's infra container: burrow's own pause process holding the pod's namespaces,
    /// with no image.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub infra: bool,
    /// `--device`, `--gpus` and CDI device nodes, bound from the host.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceMapping>,
    /// `--cgroups`: "" (enabled), "disabled", "no-conmon" or "split".
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroups: String,
    /// `--cgroupns`: "" (private) or "host".
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroupns: String,
    /// OCI hooks from CDI specs, run by the executor.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<crate::cdi::Hook>,
    /// A build's working container: owned by the build process, removed with it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub temporary: bool,
    /// The healthcheck (`--health-*` over the image's HEALTHCHECK); `None` for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<crate::health::HealthConfig>,
    /// The image reference as given to create (`busybox`, `quay.io/a/b:1`), podman's
    /// RawImageName: what auto-update checks. Empty in rows older than the field.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub raw_image_name: String,
    /// The command line that created it (podman's CreateCommand), for `generate systemd --new`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create_command: Vec<String>,
    /// `--sdnotify` as stored: "" (conmon), "container", "healthy" or "ignore".
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sdnotify: String,
    /// `--secret`: by id and how each is exposed; never the data (read at each start).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::secrets::ContainerSecret>,
    /// Where the monitor writes its pid at each start (podman's ConmonPidFile; set on a pod's
    /// infra container by `pod create --infra-conmon-pidfile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conmon_pidfile: Option<PathBuf>,
    /// `--tz`: a zone name or "local"; empty leaves the image's /etc/localtime.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub timezone: String,
    /// `--umask` as given; empty is podman's 0022.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub umask: String,
    /// The image's EXPOSE entries and `--expose`, one "PORT/PROTO" each (inspect's
    /// Config.ExposedPorts; `-P` publishes them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// `--no-hosts`, `--no-hostname`: the image's /etc/hosts or /etc/hostname stays.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_hosts: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_hostname: bool,
    /// `--hosts-file`: "" (burrow's entries only), "none", "image" or a host path.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hosts_file: String,
    /// `--passwd=false` stores `Some(false)`: no entries are added at start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passwd: Option<bool>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub passwd_entry: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group_entry: String,
    /// `--hostuser`: host account names or uids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_users: Vec<String>,
    /// `--sysctl`: set in the container's namespaces at each start (inspect's
    /// HostConfig.Sysctls).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// `--pidfile`; `None`: the userdata directory's `pidfile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pidfile: Option<PathBuf>,
    /// `--timeout` in seconds; 0 for none.
    #[serde(skip_serializing_if = "is_zero")]
    pub timeout: u32,
    /// `run --rmi -d`: the image goes after the container, unless another one uses it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub remove_image: bool,
    /// `--pid`, `--ipc`, `--uts` as stored (spec::namespaces::NsMode): "" (private),
    /// "shareable", "host", "container:ID", "ns:PATH".
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pid_mode: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ipc_mode: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uts_mode: String,
    /// `--log-driver`: "" (k8s-file) or "none"; `--log-opt max-size` (bytes, 0: none) and
    /// `tag`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub log_driver: String,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub log_size_max: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub log_tag: String,
    /// `--personality`: "LINUX32" or "LINUX" (empty: unchanged).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub personality: String,
    /// `--requires`: the ids of the containers started before this one (inspect's
    /// `Dependencies`); none of them can be removed while this one exists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// `--init-path`: with `init`, this host binary is bound as [`INIT_PATH_IN_CONTAINER`] and
    /// runs as pid 1 instead of burrow's own init ("" for burrow's).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub init_path: String,
    /// `--seccomp-policy`: "" (default) or "image" (the image's label's profile at each start).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub seccomp_policy: String,
    /// `--cgroup-parent`: the container's cgroup is `<parent>/<id>` in the cgroup file system
    /// ("" for burrow's place); `--cgroup-conf`: cgroup files written at each start.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroup_parent: String,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub cgroup_conf: std::collections::BTreeMap<String, String>,
    /// `--chrootdirs`: directories in the container that get the managed /etc files too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chroot_dirs: Vec<String>,
    /// `--rootfs`: the host directory the container runs from instead of an image ("" for an
    /// image); `rootfs_overlay` (`:O`): under an overlay whose upper is in the container's dir.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rootfs: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rootfs_overlay: bool,
    /// podman's systemd mode (spec/systemd.rs): tmpfs on /run, /run/lock, /tmp and
    /// /var/log/journal at each start; `shm_size_systemd` sizes them (0: the kernel's).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub systemd: bool,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub shm_size_systemd: i64,
    /// `--userns`: "" (the user's namespace), "keep-id", "nomap", "auto" or "private"
    /// (`--uidmap`...); with the maps of the container's own namespace, in the ids of the
    /// user's namespace, fixed at create so restarts keep them.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub userns: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uid_map: Vec<crate::spec::userns::IdMap>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gid_map: Vec<crate::spec::userns::IdMap>,
}

impl ContainerConfig {
    /// Whether the container gets a cgroup at start: limits, or where the user placed it.
    pub fn needs_cgroup(&self) -> bool {
        self.resources.needs_cgroup()
            || !self.cgroup_parent.is_empty()
            || !self.cgroup_conf.is_empty()
    }
}

/// Where an `--init-path` binary appears in the container, as in podman.
pub const INIT_PATH_IN_CONTAINER: &str = "/run/podman-init";

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One row of the containers table.
#[derive(Clone, Debug)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub created: i64,
    pub config: ContainerConfig,
    pub state: ContainerState,
}

#[derive(Clone, Debug, Default)]
pub struct ContainerState {
    pub status: Option<Status>,
    pub pid: i32,
    /// Start time of `pid` from /proc/PID/stat, to tell our process from a reused pid.
    pub pid_start: u64,
    pub monitor_pid: i32,
    pub started: i64,
    pub finished: i64,
    pub exit_code: i32,
    pub oom_killed: bool,
    pub restart_count: u32,
    /// Set by `stop`/`kill`, so a restart policy does not bring the container back.
    pub stopped_by_user: bool,
}

impl ContainerConfig {
    /// `--network slirp4netns[:options]`: user-mode networking with published ports.
    pub fn uses_slirp(&self) -> bool {
        self.network == "slirp4netns" || self.network.starts_with("slirp4netns:")
    }

    /// The stored `--network`, parsed (it was validated at create).
    pub fn network_mode(&self) -> Result<network::NetworkMode, network::NetworkError> {
        network::NetworkMode::parse(&self.network)
    }

    /// The container's capability set: defaults, --cap-add, --cap-drop, --privileged.
    pub fn capabilities(&self) -> Result<caps::CapsHashSet, crate::security::SecurityError> {
        crate::security::capabilities::resolve_with_defaults(
            self.default_caps.as_deref(),
            &self.cap_add,
            &self.cap_drop,
            self.privileged,
        )
    }
}

impl Container {
    pub fn status(&self) -> Status {
        self.state.status.unwrap_or(Status::Created)
    }
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies() {
        assert_eq!(RestartPolicy::parse("on-failure:3").unwrap().max_retries, 3);
        assert!(RestartPolicy::parse("sometimes").is_err());
        assert!(RestartPolicy::parse("always:2").is_err());
        let p = RestartPolicy::parse("on-failure:2").unwrap();
        assert!(p.should_restart(1, 1, false));
        assert!(!p.should_restart(1, 2, false));
        assert!(!p.should_restart(0, 0, false));
        assert!(
            !RestartPolicy::parse("always")
                .unwrap()
                .should_restart(0, 0, true)
        );
    }
}
