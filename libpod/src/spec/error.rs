//! What can be wrong in a container spec: each variant names the flag and says the fix.

use std::path::PathBuf;

#[derive(thiserror::Error, Debug)]
pub enum SpecError {
    #[error("{0}")]
    Restart(String),
    /// `--device-cgroup-rule`: podman's words for a bad rule.
    #[error("{0}")]
    DeviceCgroupRule(String),
    #[error("device cgroup rules are not supported in rootless mode or in a user namespace")]
    DeviceCgroupRulesRootless,
    #[error("invalid sdnotify value {0:?}: must be conmon, container, healthy or ignore")]
    SdNotify(String),
    #[error(
        "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\""
    )]
    RemoveWithRestart,
    #[error("invalid signal \"{0}\": use a name like SIGTERM or a number")]
    Signal(String),
    #[error("{}: duplicate mount destination: give each mount its own container path", .0.display())]
    DuplicateMount(PathBuf),
    #[error("invalid --volumes-from \"{0}\": use CONTAINER[:ro|rw]")]
    VolumesFrom(String),
    #[error("invalid ulimit \"{value}\": {why}")]
    Ulimit { value: String, why: String },
    #[error("invalid cgroup mode {0:?}: use enabled, disabled, no-conmon or split")]
    CgroupsMode(String),
    #[error("invalid --cgroupns {0:?}: use private or host")]
    Cgroupns(String),
    #[error("resource limits need a cgroup: they cannot be set with --cgroups=disabled")]
    LimitsWithoutCgroup,
    #[error(
        "--network-alias and --ip need a user-defined network: create one (burrow network create NAME) and use --network NAME"
    )]
    NeedsUserNetwork,
    #[error("seccomp profile \"{0}\" not found: give an existing JSON file or \"unconfined\"")]
    SeccompProfile(String),
    #[error(
        "invalid --security-opt \"{0}\": use seccomp=unconfined|PATH, no-new-privileges, mask=PATHS, unmask=ALL|PATHS or systempaths=unconfined"
    )]
    SecurityOpt(String),
    #[error(
        "invalid --security-opt \"{0}\": mask and unmask take absolute paths separated by colons (unmask also ALL)"
    )]
    MaskPath(String),
    #[error(
        "the '--group-add keep-groups' option is not allowed with any other --group-add options"
    )]
    KeepGroups,
    #[error("invalid --entrypoint \"{value}\": {source}")]
    Entrypoint {
        value: String,
        source: serde_json::Error,
    },
    #[error("no command or entrypoint provided, and no CMD or ENTRYPOINT from image {0}")]
    NoCommand(String),
    #[error("--dns none cannot be combined with other --dns servers")]
    DnsNoneWithOthers,
    #[error("invalid --dns \"{0}\": not an IP address (or \"none\")")]
    Dns(String),
    #[error(
        "looking up container to share net namespace with: no container with name or ID \"{0}\" found: no such container"
    )]
    NetnsContainer(String),
    #[error("network namespace {} does not exist: give the path of an existing one", .0.display())]
    NetnsPath(PathBuf),
    #[error("cannot publish ports with --network {network}: {why}")]
    CannotPublish { network: String, why: &'static str },
    #[error("host port {0} is published more than once")]
    PortTwice(String),
    #[error("invalid value \"{value}\" for {flag}: {why}")]
    Health {
        flag: &'static str,
        value: String,
        why: String,
    },
    #[error("read {what} {}: {source}", .path.display())]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--secret`: the text is podman's, which ends every such error with "parsing secret".
    #[error("{0}: parsing secret")]
    Secret(String),
    #[error(
        "invalid umask string {0}: invalid argument: --umask takes 1 to 4 octal digits, e.g. --umask 0027"
    )]
    Umask(String),
    #[error(
        "running container create option: finding timezone: {why}: --tz takes a zone under /usr/share/zoneinfo (e.g. Europe/Berlin) or local"
    )]
    Timezone { why: String },
    #[error("invalid --expose {value:?}: {why}")]
    Expose { value: String, why: String },
    #[error("invalid --env-merge {value:?}: {why}")]
    EnvMerge { value: String, why: String },
    #[error(
        "cannot add to /etc/hosts if using image's /etc/hosts: invalid argument: drop --add-host or --no-hosts"
    )]
    AddHostWithNoHosts,
    #[error("--no-hosts and --hosts-file cannot be set together: use one of them")]
    HostsFileWithNoHosts,
    #[error(
        "invalid --hosts-file {0:?}: give the absolute path of an existing file, none or image"
    )]
    HostsFile(String),
    #[error("invalid --hostuser {name:?}: {why}")]
    HostUser { name: String, why: String },
    #[error(
        "{0}: use --sysctl KEY=VALUE with a namespaced key (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)"
    )]
    Sysctl(String),
    #[error(
        "sysctl {key}={value} can't be set since Network Namespace set to host: invalid argument: drop --sysctl {key} or --network host"
    )]
    SysctlHostNetwork { key: String, value: String },
    #[error("unrecognized namespace mode {0} passed")]
    UsernsMode(String),
    #[error("unknown option specified: {0:?}")]
    UsernsOption(String),
    #[error("invalid option specified: {0:?}")]
    UsernsInvalidOption(String),
    #[error("--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive")]
    UsernsWithMaps,
    #[error("parsing id map value {value:?}: {why}")]
    IdMapValue { value: String, why: String },
    #[error(
        "initializing ID mappings: {setting} setting is malformed expected [\"[+ug]uint32:[@]uint32[:uint32]\"] : [{value:?}]"
    )]
    IdMapMalformed {
        setting: &'static str,
        value: String,
    },
    #[error("invalid {flag} {value:?}: {why}")]
    IdMapRange {
        flag: &'static str,
        value: String,
        why: String,
    },
    #[error("invalid {flag} {value:?}: {why}")]
    Namespace {
        flag: &'static str,
        value: String,
        why: String,
    },
    #[error(
        "cannot set hostname when running in the host UTS namespace: invalid configuration: drop --hostname or --uts host"
    )]
    HostnameWithHostUts,
    #[error(
        "cannot set hostname when joining the UTS namespace of another container or namespace file: drop --hostname or --uts"
    )]
    HostnameWithJoinedUts,
    #[error(
        "{flag} cannot be set for a container in pod {pod}: the pod shares its {ns} namespace; use a pod without it (pod create --share) or drop {flag}"
    )]
    NamespaceInPod {
        flag: &'static str,
        pod: String,
        ns: &'static str,
    },
    #[error("{flag} {value}: namespace file {} does not exist: give the path of an existing one", .path.display())]
    NamespacePath {
        flag: &'static str,
        value: String,
        path: PathBuf,
    },
    #[error("{flag}: no container with name or ID \"{name}\" found: no such container")]
    NamespaceContainer { flag: &'static str, name: String },
    #[error("invalid --log-driver {driver:?}: {why}")]
    LogDriver { driver: String, why: String },
    #[error("invalid --log-opt {value:?}: {why}")]
    LogOpt { value: String, why: String },
    #[error("invalid --personality {0:?}: use LINUX or LINUX32")]
    Personality(String),
    #[error("{name:?} is not a valid container, cannot be used as a dependency: {why}")]
    Requires { name: String, why: String },
    #[error("invalid --image-volume {0:?}: use bind, tmpfs or ignore")]
    ImageVolume(String),
    #[error("--init-path {}: container-init binary not found on the host: give the path of an existing init binary (e.g. /usr/bin/catatonit)", .0.display())]
    InitPath(PathBuf),
    #[error("cannot add init binary as PID 1 (PID namespace isn't private): drop --init or --pid")]
    InitWithoutPidNs,
    #[error("invalid seccomp policy {0:?}: valid policies are [\"default\" \"image\"]")]
    SeccompPolicy(String),
    #[error(
        "invalid --cgroup-parent {0:?}: with the cgroupfs manager it must be an absolute cgroup path without \"..\", such as /mygroup"
    )]
    CgroupParent(String),
    #[error(
        "invalid --cgroup-conf {0:?}: use KEY=VALUE with KEY a cgroup file name such as memory.high"
    )]
    CgroupConf(String),
    #[error(
        "--cgroup-parent and --cgroup-conf need a cgroup: they cannot be used with --cgroups=disabled"
    )]
    CgroupPlacementWithoutCgroup,
    #[error(
        "invalid stream {0:?} for --attach - must be one of stdin, stdout, or stderr: invalid argument"
    )]
    AttachStream(String),
    #[error("invalid --chrootdirs {0:?}: give an absolute directory inside the container")]
    ChrootDir(String),
    #[error("invalid --mac-address {0:?}: use six hexadecimal bytes such as 92:d0:c6:0a:29:33")]
    MacAddress(String),
    #[error("invalid --ip6 {0:?}: it is not an ip address")]
    Ip6(String),
    #[error(
        "invalid --link-local-ip {0:?}: give a link-local address (169.254.0.0/16 or fe80::/10)"
    )]
    LinkLocalIp(String),
    #[error("--{0} can only be set when the network mode is bridge: invalid argument")]
    NetFlagNeedsBridge(&'static str),
    #[error("--{0} can only be set for a single network: invalid argument")]
    NetFlagSingleNetwork(&'static str),
    #[error(
        "--{0}: burrow's networks are IPv4 only and give no IPv6 or link-local addresses: leave the flag out"
    )]
    NetFlagUnsupported(&'static str),
    #[error(
        "--seccomp-policy=image: no seccomp policy defined by image {0}: it has no io.containers.seccomp.profile label; use --seccomp-policy=default"
    )]
    NoImageSeccomp(String),
    #[error("lstat {}: no such file or directory", .0.display())]
    RootfsMissing(PathBuf),
    #[error("--rootfs {}: not a directory: give an exploded root filesystem directory", .0.display())]
    RootfsNotDir(PathBuf),
    #[error("--rootfs: unknown option {0:?}: only O (overlay) is supported")]
    RootfsOption(String),
    #[error("--rootfs {}:O: an overlay lower directory cannot contain ':' or ',': use another path", .0.display())]
    RootfsOverlayPath(PathBuf),
    #[error("invalid --preserve-fd {0:?}: give file descriptor numbers (FD1[,FD2,...])")]
    PreserveFd(String),
    #[error(
        "cannot preserve FD {0}, consider using the passthrough log-driver to pass STDIO streams into the container"
    )]
    PreserveStdio(std::os::fd::RawFd),
    #[error(
        "file descriptor {fd} is not available - the {flag} option requires that file descriptors must be passed"
    )]
    FdNotPassed {
        fd: std::os::fd::RawFd,
        flag: &'static str,
    },
    #[error(
        "the '--log-driver passthrough' option cannot be used on a TTY.  If you really want it, use '--log-driver passthrough-tty'"
    )]
    PassthroughOnTty,
    #[error(
        "--log-driver passthrough needs the container in the foreground: burrow's monitor does not keep the caller's streams; drop -d (or start -a), or use k8s-file"
    )]
    PassthroughDetached,
    #[error("invalid value {0:?} systemd option requires 'true, false, always'")]
    Systemd(String),
    #[error("unable to translate --shm-size-systemd: invalid size: '{0}'")]
    ShmSizeSystemd(String),
}
