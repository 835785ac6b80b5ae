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
}

impl MoreCreateArgs {
    /// Copies the flags into `o`.
    pub fn apply(self, o: &mut CreateOptions) {
        o.systemd = self.systemd;
        o.shm_size_systemd = self.shm_size_systemd;
        o.conmon_pidfile = self.conmon_pidfile;
    }
}
