//! What a reboot leaves behind: containers recorded running whose processes (and monitors)
//! died with the machine. Pids start over at every boot, and a pid's start time counts from
//! the boot, so a process of this boot may carry the very pid and start time a container
//! recorded in the last one: the record alone cannot tell. The kernel's boot id can: the data
//! root remembers the boot it last saw, and the first command of a new boot marks every
//! container still recorded as running exited (podman does the same at its first command
//! after a reboot, when its runtime directory is gone). A container's `stopped_by_user`
//! stays, so `unless-stopped` ones the user stopped stay stopped at boot.

use std::path::PathBuf;

use crate::error::{LibpodError, Result};

use super::Runtime;
use super::lifecycle::UNKNOWN_EXIT;
use crate::clock::now_nanos;

/// The kernel's id of this boot (systemd-nspawn gives each boot of a container its own).
fn current_boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Runtime {
    fn boot_id_path(&self) -> PathBuf {
        self.paths.data.join("boot-id")
    }

    /// Marks the containers of an earlier boot exited, once per boot. The usual case reads
    /// two small files; the repair runs under a lock, and the new boot id is written only
    /// after it, so no command of this boot starts a container the repair could still catch.
    pub(super) fn forget_previous_boot(&self) -> Result<()> {
        let Some(now) = current_boot_id() else {
            return Ok(());
        };
        let path = self.boot_id_path();
        if std::fs::read_to_string(&path).is_ok_and(|s| s.trim() == now) {
            return Ok(());
        }
        let _lock = crate::lockfile::lock_exclusive(&self.paths.data.join("boot-id.lock"))?;
        match std::fs::read_to_string(&path) {
            Ok(s) if s.trim() == now => return Ok(()),
            // Another boot's containers: none of them runs any more.
            Ok(_) => {
                for c in self.state.list_summaries(true)? {
                    self.state
                        .set_exited(&c.id, UNKNOWN_EXIT, now_nanos(), false)?;
                }
            }
            // First use of this data root (or one from before boot ids were kept): records
            // of this boot may be live, and each is checked by its pid as before.
            Err(_) => {}
        }
        let tmp = self.paths.data.join("boot-id.tmp");
        std::fs::write(&tmp, format!("{now}\n"))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| LibpodError::io(format!("write {}", path.display()), e))
    }
}
