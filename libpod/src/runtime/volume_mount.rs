//! `volume mount` / `volume unmount`: a volume's files reachable from the host. A plain local
//! volume is a directory already; one with `type=tmpfs` or `o=bind` options is mounted on its
//! `_data` in the user's mount namespace (where `burrow mount` mounts containers), as podman
//! mounts it for a container.

use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};

use crate::error::{LibpodError, Result};

use super::Runtime;

/// What a volume's options ask to mount: (source, fstype, flags, data).
type MountSpec = (String, Option<String>, MsFlags, String);

/// The mount a volume's options describe; None for a plain directory.
fn mount_spec(opts: &std::collections::BTreeMap<String, String>) -> Option<MountSpec> {
    let fstype = opts.get("type").cloned();
    let o = opts.get("o").cloned().unwrap_or_default();
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    let mut bind = false;
    for opt in o.split(',').filter(|x| !x.is_empty()) {
        match opt {
            "bind" => bind = true,
            "rbind" => {
                bind = true;
                flags |= MsFlags::MS_REC;
            }
            "ro" => flags |= MsFlags::MS_RDONLY,
            "nodev" => flags |= MsFlags::MS_NODEV,
            "nosuid" => flags |= MsFlags::MS_NOSUID,
            "noexec" => flags |= MsFlags::MS_NOEXEC,
            other => data.push(other),
        }
    }
    if bind {
        let device = opts.get("device").cloned().unwrap_or_default();
        return Some((device, None, flags | MsFlags::MS_BIND, String::new()));
    }
    let fstype = fstype?;
    let source = opts
        .get("device")
        .cloned()
        .unwrap_or_else(|| fstype.clone());
    Some((source, Some(fstype), flags, data.join(",")))
}

fn is_mountpoint(p: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(p), p.parent().map(std::fs::metadata)) {
        (Ok(a), Some(Ok(b))) => a.dev() != b.dev(),
        _ => false,
    }
}

impl Runtime {
    /// `volume mount`: the volume's mount point, mounted first if its options say so.
    pub fn volume_mount(&self, name: &str) -> Result<PathBuf> {
        let v = self.volume(name)?;
        let dir = self.volume_mountpoint(&v.name);
        let Some((source, fstype, flags, data)) = mount_spec(&v.config.options) else {
            return Ok(dir);
        };
        if !is_mountpoint(&dir) {
            let data = (!data.is_empty()).then_some(data.as_str());
            mount(Some(source.as_str()), &dir, fstype.as_deref(), flags, data)
                .map_err(|e| LibpodError::sys(format!("mount volume {}", v.name), e))?;
            if flags.contains(MsFlags::MS_BIND) && flags.contains(MsFlags::MS_RDONLY) {
                // A bind mount takes its read-only flag only on a remount.
                let _ = mount(
                    None::<&str>,
                    &dir,
                    None::<&str>,
                    flags | MsFlags::MS_REMOUNT,
                    None::<&str>,
                );
            }
        }
        Ok(dir)
    }

    /// `volume unmount`: undoes [`Runtime::volume_mount`] (nothing for a plain directory).
    pub fn volume_unmount(&self, name: &str) -> Result<()> {
        let v = self.volume(name)?;
        let dir = self.volume_mountpoint(&v.name);
        if mount_spec(&v.config.options).is_some() && is_mountpoint(&dir) {
            umount2(&dir, MntFlags::MNT_DETACH)
                .map_err(|e| LibpodError::sys(format!("unmount volume {}", v.name), e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let m = |pairs: &[(&str, &str)]| {
            mount_spec(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        assert!(m(&[]).is_none());
        let (src, ty, flags, data) = m(&[("type", "tmpfs"), ("o", "size=1m,nodev")]).unwrap();
        assert_eq!((src.as_str(), ty.as_deref()), ("tmpfs", Some("tmpfs")));
        assert_eq!((flags, data.as_str()), (MsFlags::MS_NODEV, "size=1m"));
        let (src, ty, flags, _) = m(&[("o", "bind,ro"), ("device", "/srv")]).unwrap();
        assert_eq!((src.as_str(), ty), ("/srv", None));
        assert!(flags.contains(MsFlags::MS_BIND | MsFlags::MS_RDONLY));
    }
}
