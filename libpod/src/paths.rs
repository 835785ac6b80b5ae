//! Where burrow keeps things: the persistent data root (database, storage, container
//! directories) and the runtime root (pause pid, per-container sockets and pid files).
//! Rootless defaults follow podman: `$XDG_DATA_HOME/burrow` and `$XDG_RUNTIME_DIR/burrow`;
//! root uses `/var/lib/burrow` and `/run/burrow`.

use std::path::{Path, PathBuf};

use nix::unistd::Uid;

#[derive(Clone, Debug)]
pub struct Paths {
    /// Persistent root: `burrow.db`, `storage/`, `containers/<id>/`.
    pub data: PathBuf,
    /// Volatile root: `pause.pid`, `containers/<id>/` runtime files.
    pub run: PathBuf,
    /// `--tmpdir`: where temporary files go instead of the data root.
    pub tmp: Option<PathBuf>,
}

impl Paths {
    /// Resolves the roots from the global `--root`/`--runroot` options, then XDG, then HOME.
    pub fn resolve(root: Option<&Path>, runroot: Option<&Path>) -> Paths {
        let rootless = crate::rootless::is_rootless();
        let data = root.map(Path::to_path_buf).unwrap_or_else(|| {
            if !rootless {
                return PathBuf::from("/var/lib/burrow");
            }
            match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
                Some(x) => PathBuf::from(x).join("burrow"),
                None => home().join(".local/share/burrow"),
            }
        });
        let run = runroot.map(Path::to_path_buf).unwrap_or_else(|| {
            if !rootless {
                return PathBuf::from("/run/burrow");
            }
            match std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
                Some(x) => PathBuf::from(x).join("burrow"),
                // Without a runtime dir (no logind), podman falls back to /tmp as well.
                None => PathBuf::from(format!("/tmp/burrow-run-{}", Uid::effective())),
            }
        });
        Paths {
            data,
            run,
            tmp: None,
        }
    }

    /// Scratch space of builds (layer tars, extracted tar contexts): `--tmpdir` when given.
    pub fn build_tmp(&self) -> PathBuf {
        match &self.tmp {
            Some(t) => t.join("build"),
            None => self.data.join("build-tmp"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.data.join("burrow.db")
    }
    pub fn storage(&self) -> PathBuf {
        self.data.join("storage")
    }
    /// Persistent per-container directory: config.json, upper/work dirs, logs, hosts files.
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.data.join("containers").join(id)
    }
    /// Runtime per-container directory: pid files, attach socket.
    pub fn container_run_dir(&self, id: &str) -> PathBuf {
        self.run.join("containers").join(id)
    }
    /// Where a starting container mounts its root file system. Every container mounts it in
    /// its own new mount namespace, so one empty directory serves them all (and no per-run
    /// mkdir/rmdir is needed). `burrow mount` uses the container's own `merged` instead.
    pub fn rootfs_mountpoint(&self) -> PathBuf {
        self.data.join("containers").join(".rootfs")
    }
    /// Per-container files podman keeps in its runroot: hostname, hosts, resolv.conf.
    pub fn userdata_dir(&self, id: &str) -> PathBuf {
        self.container_run_dir(id).join("userdata")
    }
    /// The pid file of a container's monitor (podman's conmon.pid), read by a generated
    /// unit's `PIDFile=`.
    pub fn monitor_pid_file(&self, id: &str) -> PathBuf {
        self.userdata_dir(id).join("conmon.pid")
    }
    /// A volume's directory; its contents are in `_data` beneath it, as in podman.
    pub fn volume_dir(&self, name: &str) -> PathBuf {
        self.data.join("volumes").join(name)
    }
    pub fn pause_pid(&self) -> PathBuf {
        self.run.join("pause.pid")
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}
