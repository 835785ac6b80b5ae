//! More `run`/`create` flags, flattened into [`super::run::CreateArgs`]: systemd mode and
//! the conmon, device-cgroup, realtime, RDT and image-trust options. Only parsing: each is
//! copied into libpod's `CreateOptions`, which checks it.

use clap::Args;
use libpod::runtime::CreateOptions;

#[derive(Args, Debug, Clone, Default)]
pub struct MoreCreateArgs {
    /// Run container in systemd mode ("true"|"false"|"always")
    #[arg(long, value_name = "MODE")]
    systemd: Option<String>,
    /// Size of systemd specific tmpfs mounts (/run, /run/lock, /tmp, /var/log/journal) (format: <number>[<unit>])
    #[arg(long = "shm-size-systemd", value_name = "SIZE")]
    shm_size_systemd: Option<String>,
    /// Path to the file that will receive the PID of the container's monitor (burrow's conmon)
    #[arg(long = "conmon-pidfile", value_name = "PATH")]
    conmon_pidfile: Option<std::path::PathBuf>,
    /// This is a Docker specific option and is a NOOP
    // Taken and dropped, as podman does: Docker Content Trust has no podman counterpart.
    #[arg(long = "disable-content-trust", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set, default_value_t = false)]
    disable_content_trust: bool,
    /// Add a rule to the cgroup allowed devices list
    #[arg(long = "device-cgroup-rule", value_name = "RULE")]
    device_cgroup_rule: Vec<String>,
    /// Key needed to decrypt the image (e.g. /path/to/key.pem)
    #[arg(long = "decryption-key", value_name = "KEY[:PASSPHRASE]")]
    decryption_key: Vec<String>,
    /// Class of Service (COS) that the container should be assigned to
    #[arg(long = "rdt-class", value_name = "COS")]
    rdt_class: Option<String>,
}

impl MoreCreateArgs {
    /// `--decryption-key`: for the pull before the container is made.
    pub fn decryption_keys(&self) -> Vec<String> {
        self.decryption_key.clone()
    }

    /// Copies the flags into `o`.
    pub fn apply(self, o: &mut CreateOptions) {
        let Self {
            systemd,
            shm_size_systemd,
            conmon_pidfile,
            disable_content_trust: _,
            device_cgroup_rule,
            decryption_key: _,
            rdt_class,
        } = self;
        o.resources.rdt_class = rdt_class;
        o.device_cgroup_rules = device_cgroup_rule;
        o.systemd = systemd;
        o.shm_size_systemd = shm_size_systemd;
        o.conmon_pidfile = conmon_pidfile;
    }
}
