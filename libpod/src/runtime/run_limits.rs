//! What a container's run leaves on the host and how long it may last: the pid file written
//! at each start (`--pidfile`, else podman's `pidfile` in the userdata directory), the
//! `--timeout` deadline its supervisor enforces, and `run --rmi`'s image removal.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::container::Container;

use super::Runtime;

impl Runtime {
    /// Where the container's pid is written at each start (inspect's PidFile).
    pub fn pidfile_path(&self, c: &Container) -> PathBuf {
        c.config
            .pidfile
            .clone()
            .unwrap_or_else(|| self.paths.userdata_dir(&c.id).join("pidfile"))
    }

    /// Writes the started process's pid (as the host sees it) to the pid file. Best effort, as
    /// conmon's: a pid file that cannot be written does not stop a running container.
    pub(super) fn write_container_pidfile(&self, c: &Container, pid: i32) {
        let path = self.pidfile_path(c);
        if let Err(e) = std::fs::write(&path, pid.to_string()) {
            crate::warn!("writing the pid file {} of {}: {e}", path.display(), c.name);
        }
    }
}

impl Runtime {
    /// `run --rmi`: the image the container was made from goes once the container has, unless
    /// another container uses it (a warning then, as podman's).
    pub(super) fn remove_image_after_run(&self, c: &Container) {
        let name = if c.config.raw_image_name.is_empty() {
            &c.config.image_id
        } else {
            &c.config.raw_image_name
        };
        if let Err(e) = self.remove_image(name, false) {
            crate::warn!("Failed to remove image: {e}");
        }
    }
}

/// The moment `--timeout` kills this run of the container, counted from now.
pub(super) fn deadline(c: &Container) -> Option<Instant> {
    (c.config.timeout > 0).then(|| Instant::now() + Duration::from_secs(c.config.timeout.into()))
}
