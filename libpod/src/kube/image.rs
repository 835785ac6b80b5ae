//! The image of a played container: built from `<dir>/<image base name>/` (podman's `--build`
//! rule) or pulled under the container's `imagePullPolicy`.

use std::path::Path;

use crate::error::Result;
use crate::runtime::Runtime;
use storage::registry::Reporter;

use super::KubeError;
use super::play::PlayOptions;
use super::types;

impl Runtime {
    /// The image of a container: built from `<yaml dir>/<image name>/` when `--build` says so
    /// (podman's rule), else pulled under `imagePullPolicy`.
    pub(super) fn kube_image(
        &self,
        c: &types::Container,
        dir: &Path,
        o: &PlayOptions,
        report: &dyn Reporter,
    ) -> Result<String> {
        let base = build_dir_name(&c.image);
        let context = o.context_dir.as_deref().unwrap_or(dir).join(base);
        let has_file = ["Containerfile", "Dockerfile"]
            .iter()
            .any(|f| context.join(f).is_file());
        let build = match o.build {
            Some(true) => has_file,
            Some(false) => false,
            None => has_file && self.image(&c.image).is_err(),
        };
        if build {
            let opts = crate::builder::BuildOptions {
                context: context.clone(),
                tags: vec![c.image.clone()],
                quiet: true,
                registry: o.registry.clone(),
                ..Default::default()
            };
            self.build(&opts, &mut std::io::sink())
                .map_err(|e| KubeError::Build {
                    image: c.image.clone(),
                    dir: context.display().to_string(),
                    reason: e.message,
                })?;
            return Ok(c.image.clone());
        }
        let policy = match c.image_pull_policy.as_deref() {
            Some("Always") => "always",
            Some("Never") => "never",
            _ => "missing",
        };
        self.image_name_for_run(&c.image, policy, &o.registry, None, report)
    }
}

/// podman's `--build` directory: the image name without registry, path and tag.
pub fn build_dir_name(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    let last = last.split('@').next().unwrap_or(last);
    last.split(':').next().unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_directory_is_the_image_base_name() {
        assert_eq!(build_dir_name("localhost/web:latest"), "web");
        assert_eq!(build_dir_name("web"), "web");
        assert_eq!(build_dir_name("quay.io/a/b@sha256:00"), "b");
    }
}
