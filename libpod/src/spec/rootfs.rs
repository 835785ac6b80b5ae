//! `--rootfs`: the IMAGE argument names an exploded root filesystem on the host instead of an
//! image. Parsed once here; the path is made absolute and its symlinks resolved at create, so
//! that a later change of a link cannot move the container onto another directory.

use std::path::{Path, PathBuf};

use super::SpecError;

/// An exploded root filesystem the container runs from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rootfs {
    /// Absolute, symlinks resolved.
    pub path: PathBuf,
    /// `:O`: an overlay over `path` (upper and work in the container's directory), so the
    /// directory itself is never written.
    pub overlay: bool,
}

impl Rootfs {
    /// Parses `PATH[:O]`, relative paths against the current directory.
    pub fn parse(arg: &str) -> Result<Rootfs, SpecError> {
        let (raw, overlay) = match arg.rsplit_once(':') {
            Some((p, "O")) => (p, true),
            Some((_, opt)) if !opt.contains('/') => {
                return Err(SpecError::RootfsOption(opt.to_string()));
            }
            _ => (arg, false),
        };
        if raw.is_empty() {
            return Err(SpecError::RootfsMissing(PathBuf::new()));
        }
        let given = Path::new(raw);
        // podman checks the path with lstat: a missing one is refused with its error.
        if std::fs::symlink_metadata(given).is_err() {
            return Err(SpecError::RootfsMissing(given.to_path_buf()));
        }
        let path = std::fs::canonicalize(given)
            .map_err(|_| SpecError::RootfsMissing(given.to_path_buf()))?;
        if !path.is_dir() {
            return Err(SpecError::RootfsNotDir(path));
        }
        if overlay {
            // overlayfs' option string cannot carry these characters in a lower dir.
            let s = path.as_os_str().as_encoded_bytes();
            if s.contains(&b':') || s.contains(&b',') {
                return Err(SpecError::RootfsOverlayPath(path));
            }
        }
        Ok(Rootfs { path, overlay })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_overlay() {
        let dir = std::env::temp_dir();
        let real = std::fs::canonicalize(&dir).unwrap();
        let r = Rootfs::parse(dir.to_str().unwrap()).unwrap();
        assert_eq!(
            r,
            Rootfs {
                path: real.clone(),
                overlay: false
            }
        );
        let r = Rootfs::parse(&format!("{}:O", dir.display())).unwrap();
        assert_eq!(
            r,
            Rootfs {
                path: real,
                overlay: true
            }
        );
    }

    #[test]
    fn refuses_missing_unknown_option_and_files() {
        assert!(matches!(
            Rootfs::parse("/no/such/rootfs"),
            Err(SpecError::RootfsMissing(_))
        ));
        assert!(matches!(
            Rootfs::parse("/tmp:Z"),
            Err(SpecError::RootfsOption(o)) if o == "Z"
        ));
        assert!(matches!(
            Rootfs::parse("/proc/self/status"),
            Err(SpecError::RootfsNotDir(_))
        ));
    }
}
