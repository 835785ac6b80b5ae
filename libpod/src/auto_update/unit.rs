//! Restarting a container's systemd unit: the user's manager when rootless, the system's as
//! root.
//!
//! Through `systemctl`, not the D-Bus API: `systemctl restart` waits for the restart job and
//! exits non-zero when it fails, which is exactly the start result auto-update needs (over
//! the bus that means subscribing to `JobRemoved` and matching the job path), it needs no
//! D-Bus library, and it is what the end-to-end tests can drive under a real systemd. It
//! works from inside the rootless user namespace: the bus reads the caller's real uid from
//! the socket's credentials.

use std::process::{Command, Stdio};

/// Restarts units and reports their start result.
pub trait UnitManager {
    /// `Err` carries why the unit did not (re)start.
    fn restart(&self, unit: &str) -> Result<(), String>;
}

/// `systemctl [--user] restart UNIT`.
pub struct Systemctl {
    /// `--user`: the calling user's manager.
    pub user: bool,
}

impl UnitManager for Systemctl {
    fn restart(&self, unit: &str) -> Result<(), String> {
        let mut cmd = Command::new("systemctl");
        if self.user {
            cmd.arg("--user");
        }
        // `--` keeps a unit name starting with a dash from reading as an option.
        cmd.args(["restart", "--", unit])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let out = cmd
            .output()
            .map_err(|e| format!("running systemctl: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(if msg.is_empty() {
            format!("systemctl restart {unit}: {}", out.status)
        } else {
            msg
        })
    }
}
