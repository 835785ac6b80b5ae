//! A container's cgroup where the user puts it (`--cgroup-parent`) and the cgroup files the
//! user writes (`--cgroup-conf`). Rootless, the place must lie in the delegated subtree: this
//! module says so rather than putting the container anywhere else.

use std::path::{Path, PathBuf};

use super::{Cgroup, CgroupError, Layout, MOUNT, base, write};

impl Cgroup {
    /// [`Cgroup::for_container`] under `--cgroup-parent` (an absolute path in the cgroup
    /// file system; "" for burrow's place). Rootless, the parent must lie in the subtree
    /// delegated to the user.
    pub fn for_container_under(
        id: &str,
        parent: &str,
        rootless: bool,
    ) -> Result<Cgroup, CgroupError> {
        if parent.is_empty() {
            return Self::for_container(id, rootless);
        }
        let (layout, bases) = base(rootless)?;
        let rel = parent.trim_start_matches('/');
        let dirs: Vec<PathBuf> = match layout {
            Layout::Unified => vec![Path::new(MOUNT).join(rel).join(id)],
            // Each v1 hierarchy's mount (the parent of its `burrow` base).
            Layout::Legacy => bases
                .iter()
                .filter_map(|b| b.parent())
                .map(|m| m.join(rel).join(id))
                .collect(),
        };
        if rootless
            && let Some(root) = bases.first().and_then(|b| b.parent())
            && !dirs.iter().all(|d| d.starts_with(root))
        {
            return Err(CgroupError::Unavailable(format!(
                "cgroup parent {parent} is outside the cgroup subtree delegated to this user ({}): use a parent under it",
                root.strip_prefix(MOUNT).unwrap_or(root).display()
            )));
        }
        Ok(Cgroup { layout, dirs })
    }

    /// `--cgroup-conf`: writes each KEY (a file of the container's cgroup) with VALUE.
    pub fn write_conf(
        &self,
        conf: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), CgroupError> {
        for (key, value) in conf {
            let controller = key.split('.').next().unwrap_or_default();
            let dir = self
                .dir(controller)
                .or_else(|| self.dirs.first().map(PathBuf::as_path))
                .ok_or_else(|| CgroupError::Unavailable("the container has no cgroup".into()))?;
            write(&dir.join(key), value)?;
        }
        Ok(())
    }
}
