//! `container cleanup`: what a container that is not running may still hold on the host, let
//! go. burrow's monitor does this itself when a container exits (podman's conmon calls this
//! command for it); what is left is what a killed monitor or `burrow mount` left: the exit not
//! yet recorded, the root file system mounted, the attach socket.

use crate::container::Status;
use crate::error::{LibpodError, Result};

use super::Runtime;

/// What happens to the container after it is cleaned up.
#[derive(Clone, Copy, Debug, Default)]
pub struct CleanupOptions {
    /// `--rm`: remove the container and its anonymous volumes (podman removes them too).
    pub remove: bool,
    /// `--rmi`: remove the container's image too, unless another container uses it.
    pub remove_image: bool,
}

impl Runtime {
    /// Cleans up one container that is not running; its ID.
    pub fn cleanup(&self, name: &str, o: CleanupOptions) -> Result<String> {
        // `lookup` records the exit of a container whose monitor died.
        let c = self.lookup(name)?;
        if matches!(c.status(), Status::Running | Status::Paused) {
            return Err(LibpodError::InvalidState(format!(
                "failed to clean up container {0}: container {0} is running or paused, refusing to clean up: container state improper",
                c.id
            )));
        }
        self.unmount_rootfs(&c.id)?;
        self.remove_attach_socket(&c.id);
        if o.remove || o.remove_image {
            self.remove(&c.id, false, true)?;
        }
        if o.remove_image {
            let in_use = self
                .list()?
                .iter()
                .any(|other| other.config.image_id == c.config.image_id);
            if !in_use {
                self.remove_image(&c.config.image_id, false)?;
            }
        }
        Ok(c.id)
    }
}
