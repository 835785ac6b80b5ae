//! Resource limits of a container's life: its cgroup at start (only when it asked for a limit),
//! the OOM verdict at exit, and `pause`, `unpause`, `update` and `stats`, which give a running
//! container a cgroup when it has none yet. Where cgroups cannot be used (rootless without a
//! delegated v2 subtree) these commands fail with a clear error: never a silent success.

use crate::cgroups::{Cgroup, CgroupError, ResourceOptions, Stats};
use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};

use super::Runtime;

/// What keeps a container's resources from being changed or read.
#[derive(thiserror::Error, Debug)]
pub enum ResourcesError {
    /// `what` is the operation (pause, unpause, update, stats).
    #[error(
        "{what} of container {container} needs cgroups, which this user cannot use: {why} (see `burrow system doctor`)"
    )]
    NeedsCgroups {
        what: String,
        container: String,
        why: String,
    },
}

/// `--shm-size`: a /dev/shm of that size mounted over the default one, unless the user
/// mounts something at /dev/shm already.
pub(crate) fn with_shm_size(
    c: &Container,
    mut mounts: Vec<crate::container::Mount>,
) -> Vec<crate::container::Mount> {
    let size = c.config.resources.shm_size;
    if size > 0
        && !mounts
            .iter()
            .any(|m| m.destination == std::path::Path::new("/dev/shm"))
    {
        mounts.push(crate::container::Mount {
            kind: "tmpfs".into(),
            source: "shm".into(),
            destination: "/dev/shm".into(),
            options: vec![
                "noexec".into(),
                "nosuid".into(),
                "mode=1777".into(),
                format!("size={}k", (size + 1023) / 1024),
            ],
            ..Default::default()
        });
    }
    mounts
}

impl Runtime {
    /// Runs in the parent while the new container waits to start: its OOM score, and, when it
    /// has limits, its cgroup. Nothing at all for a container without limits.
    pub(crate) fn setup_resources(&self, c: &Container, pid: i32) -> Result<()> {
        let r = &c.config.resources;
        if let Some(adj) = r.oom_score_adj {
            let p = format!("/proc/{pid}/oom_score_adj");
            std::fs::write(&p, adj.to_string()).map_err(|e| {
                LibpodError::io(
                    format!("set oom_score_adj {adj} (an unprivileged user cannot lower it)"),
                    e,
                )
            })?;
        }
        if !r.rdt_class.is_empty() {
            crate::cgroups::resctrl::assign(&r.rdt_class, pid)?;
        }
        if !c.config.needs_cgroup() {
            return Ok(());
        }
        let cg = self.container_cgroup(c)?;
        cg.create()?;
        cg.apply(r)?;
        cg.write_conf(&c.config.cgroup_conf)?;
        cg.add(pid)?;
        Ok(())
    }

    /// After the container's process was reaped: whether the kernel's OOM killer struck in
    /// its cgroup. The cgroup is removed (it is made again at the next start).
    pub(crate) fn finish_resources(&self, c: &Container) -> bool {
        // The common case, no limits and never paused or measured: no cgroup work at all.
        let marker = self.paths.container_run_dir(&c.id).join("cgroup");
        if !c.config.needs_cgroup() && !marker.exists() {
            return false;
        }
        let _ = std::fs::remove_file(&marker);
        let Ok(cg) = self.container_cgroup(c) else {
            return false;
        };
        if !cg.exists() {
            return false;
        }
        let oom = cg.oom_kills() > 0;
        // The pid namespace's other processes die with its init, a moment later.
        for _ in 0..100 {
            if cg.remove().is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        oom
    }

    /// The running container's cgroup, made (and its processes moved in) if it has none.
    fn live_cgroup(&self, c: &Container, what: &str) -> Result<Cgroup> {
        if c.config.cgroups == "disabled" {
            return Err(LibpodError::InvalidState(format!(
                "{what}: container {} was created with --cgroups=disabled and has no cgroup",
                c.name
            )));
        }
        if !matches!(c.status(), Status::Running | Status::Paused) {
            return Err(LibpodError::InvalidState(format!(
                "{what}: container {} is not running: container state improper",
                c.name
            )));
        }
        let cg = self.container_cgroup(c).map_err(|e| match e {
            CgroupError::Unavailable(why) => LibpodError::from(ResourcesError::NeedsCgroups {
                what: what.to_string(),
                container: c.name.clone(),
                why,
            }),
            e => e.into(),
        })?;
        if !cg.exists() {
            cg.create()?;
            cg.apply(&c.config.resources)?;
            cg.write_conf(&c.config.cgroup_conf)?;
        }
        // Tells the exit path there is a cgroup to read and remove.
        let marker = self.paths.container_run_dir(&c.id).join("cgroup");
        if let Some(dir) = marker.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&marker, b"");
        cg.adopt(c.state.pid)?;
        Ok(cg)
    }

    pub fn pause(&self, name: &str) -> Result<Container> {
        let c = self.lookup(name)?;
        if c.status() == Status::Paused {
            return Err(LibpodError::InvalidState(format!(
                "\"{}\" is already paused: container state improper",
                c.name
            )));
        }
        let cg = self.live_cgroup(&c, "pause")?;
        cg.freeze(true)?;
        self.state.set_status(&c.id, Status::Paused)?;
        self.container_event(&c, "pause");
        self.lookup(&c.id)
    }

    pub fn unpause(&self, name: &str) -> Result<Container> {
        let c = self.lookup(name)?;
        if c.status() != Status::Paused {
            return Err(LibpodError::InvalidState(format!(
                "\"{}\" is not paused, can't unpause: container state improper",
                c.name
            )));
        }
        let cg = self.live_cgroup(&c, "unpause")?;
        cg.freeze(false)?;
        self.state.set_status(&c.id, Status::Running)?;
        self.container_event(&c, "unpause");
        self.lookup(&c.id)
    }

    /// Thaws a paused container before it is stopped, killed or removed (a frozen process
    /// cannot act on a signal).
    pub(crate) fn thaw_if_paused(&self, c: &Container) -> Result<()> {
        if c.status() == Status::Paused {
            if let Ok(cg) = self.container_cgroup(c)
                && cg.exists()
            {
                cg.freeze(false)?;
            }
            self.state.set_status(&c.id, Status::Running)?;
        }
        Ok(())
    }

    /// `update`: new limits, validated together with the stored ones, recorded, and applied
    /// at once to a running container. Nothing changes when a value is invalid.
    pub fn update(&self, name: &str, opts: &ResourceOptions) -> Result<Container> {
        let c = self.lookup(name)?;
        let resources = c.config.resources.merged(opts)?;
        if resources.needs_cgroup()
            && let Err(CgroupError::Unavailable(why)) = crate::cgroups::base(self.rootless)
        {
            return Err(ResourcesError::NeedsCgroups {
                what: "update".into(),
                container: c.name,
                why,
            }
            .into());
        }
        if matches!(c.status(), Status::Running | Status::Paused) && resources.needs_cgroup() {
            let cg = self.live_cgroup(&c, "update")?;
            cg.apply(&resources)?;
        }
        let mut config = c.config.clone();
        config.resources = resources;
        self.state.update_config(&c.id, &config)?;
        self.container_event(&c, "update");
        self.lookup(&c.id)
    }

    /// `stats`: the container's usage now.
    pub fn stats(&self, name: &str) -> Result<(Container, Stats)> {
        let c = self.lookup(name)?;
        let cg = self.live_cgroup(&c, "stats")?;
        Ok((c, cg.stats()))
    }

    /// Whether stats can work at all for this user (for `stats --all` with nothing running).
    pub fn cgroups_usable(&self) -> std::result::Result<(), String> {
        crate::cgroups::base(self.rootless)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

impl Runtime {
    /// The container's cgroup, under its `--cgroup-parent` if it has one.
    pub(crate) fn container_cgroup(
        &self,
        c: &Container,
    ) -> std::result::Result<Cgroup, CgroupError> {
        Cgroup::for_container_under(&c.id, &c.config.cgroup_parent, self.rootless)
    }
}
