//! `burrow build`'s validated options and the checks on them that need no build context:
//! the `-t` names and `--platform`. The CLI turns its flags into [`BuildOptions`]; nothing
//! here reads the context or touches the store.

use std::collections::HashMap;
use std::path::PathBuf;

use super::error::{BResult, BuildError};
use crate::registry::RegistryFlags;
use crate::runtime::PullPolicy;

/// `burrow build`'s validated options.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The context: a directory or a tar file.
    pub context: PathBuf,
    /// `-f`: a file, or `-` for stdin; else Containerfile, then Dockerfile, in the context.
    pub file: Option<PathBuf>,
    pub tags: Vec<String>,
    pub build_args: HashMap<String, String>,
    pub target: Option<String>,
    pub labels: Vec<String>,
    pub env: Vec<String>,
    pub pull: PullPolicy,
    pub registry: RegistryFlags,
    pub no_cache: bool,
    pub quiet: bool,
    pub network: Option<String>,
    /// `--secret id=ID,src=PATH`.
    pub secrets: HashMap<String, PathBuf>,
    /// `--squash-all`: the whole file system as one layer.
    pub squash_all: bool,
    /// `--squash`: the layers this build added as one layer on the base.
    pub squash: bool,
    /// `--annotation KEY=VALUE`: on the final image's manifest.
    pub annotations: HashMap<String, String>,
    pub timestamp: Option<i64>,
    pub omit_history: bool,
}

/// A `-t` value as an image name, worded as podman words it: `tag NAME: invalid reference
/// format: WHY`.
pub(super) fn validate_tag(tag: &str) -> BResult<()> {
    match storage::reference::normalize_local(tag) {
        Ok(_) => Ok(()),
        Err(storage::StorageError::InvalidReference { reason, .. }) => Err(BuildError::new(
            format!("tag {tag}: invalid reference format: {reason}"),
        )),
        Err(e) => Err(BuildError::new(format!("tag {tag}: {e}"))),
    }
}

/// `--platform`: only the machine's own.
pub fn check_platform(p: &str) -> Result<(), String> {
    let arch = oci_spec::image::Arch::default().to_string();
    let mut parts = p.split('/');
    let os = parts.next().unwrap_or("");
    let a = parts.next().unwrap_or(&arch);
    if (os.is_empty() || os == "linux") && (a == arch || p.is_empty()) {
        Ok(())
    } else {
        Err(format!(
            "only the native platform linux/{arch} can be built: burrow does not emulate other architectures"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_must_be_native() {
        let arch = oci_spec::image::Arch::default().to_string();
        assert!(check_platform(&format!("linux/{arch}")).is_ok());
        assert!(check_platform("linux/s390x").is_err() || arch == "s390x");
    }
}
