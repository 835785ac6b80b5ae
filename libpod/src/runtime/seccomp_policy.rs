//! `--seccomp-policy=image`: the seccomp profile an image carries in its
//! `io.containers.seccomp.profile` label (the profile's JSON itself), checked at create and read
//! from the image again at each start, as podman does.

use oci_spec::image::Config as ImageConfig;

use crate::container::Container;
use crate::error::{LibpodError, Result};
use crate::security::{capabilities, seccomp};
use crate::spec::SpecError;

use super::Runtime;

/// The label podman reads the profile from.
pub const IMAGE_LABEL: &str = "io.containers.seccomp.profile";

fn label(ic: &ImageConfig) -> Option<String> {
    ic.labels()
        .as_ref()
        .and_then(|l| l.get(IMAGE_LABEL))
        .filter(|v| !v.is_empty())
        .cloned()
}

fn profile(image: &str, json: String) -> seccomp::Profile {
    seccomp::Profile::Inline {
        name: format!("{IMAGE_LABEL} of image {image}"),
        json,
    }
}

/// At create: the image has a profile, and it compiles (so a bad label fails `create`, not
/// every start).
pub(super) fn check_image_profile(image: &str, ic: &ImageConfig) -> Result<()> {
    let json = label(ic).ok_or_else(|| SpecError::NoImageSeccomp(image.to_string()))?;
    seccomp::compile(&profile(image, json), &capabilities::default_set())?;
    Ok(())
}

impl Runtime {
    /// At start: the profile of the container's image.
    pub(super) fn image_seccomp_profile(&self, c: &Container) -> Result<seccomp::Profile> {
        let image = self.store.lookup(&c.config.image_id)?;
        let bytes = self.store.config_bytes(&image)?;
        let config: oci_spec::image::ImageConfiguration =
            serde_json::from_slice(&bytes).map_err(|e| storage::StorageError::InvalidJson {
                what: format!("config of image {}", image.id),
                reason: e.to_string(),
            })?;
        let ic = config.config().clone().unwrap_or_default();
        let json = label(&ic).ok_or_else(|| -> LibpodError {
            SpecError::NoImageSeccomp(c.config.image_name.clone()).into()
        })?;
        Ok(profile(&c.config.image_name, json))
    }
}
