//! From a container's stored config to what the executor needs: the process (shared by the
//! first process and `exec`), the rootfs mount, the generated /etc files, and config.json.

use std::path::PathBuf;

use crate::container::Container;
use crate::error::{LibpodError, Result};
use crate::executor::{Plan, ProcessPlan, StdioMode};
use crate::security::{self, seccomp::Profile};

use super::Runtime;

impl Runtime {
    /// The security-relevant part of a process, compiled in the parent (single-threaded).
    pub(crate) fn process_plan(&self, c: &Container) -> Result<ProcessPlan> {
        let cfg = &c.config;
        let caps = cfg.capabilities()?;
        let profile = match cfg.seccomp.as_str() {
            // podman: --privileged turns seccomp off unless a profile was named explicitly.
            "" if cfg.privileged => Profile::Unconfined,
            "" => Profile::Default,
            other => Profile::from_security_opt(other),
        };
        let seccomp = security::bpf::program(&profile, &caps, &self.paths.run.join("seccomp"))?;
        let mut env = cfg.env.clone();
        if !env.iter().any(|e| e.starts_with("HOSTNAME=")) {
            env.push(format!("HOSTNAME={}", cfg.hostname));
        }
        Ok(ProcessPlan {
            args: cfg.args.clone(),
            env,
            cwd: cfg.workdir.clone(),
            user: cfg.user.clone(),
            group_add: cfg.group_add.clone(),
            caps,
            no_new_privileges: cfg.no_new_privileges,
            seccomp,
            ulimits: cfg.ulimits.clone(),
            init: cfg.init,
            preserve_fds: cfg.preserve_fds,
        })
    }

    pub(crate) fn launch_plan<'a>(&'a self, c: &Container, stdio: StdioMode) -> Result<Plan<'a>> {
        let image = self.store.lookup(&c.config.image_id)?;
        let lowers = self.store.layer_dirs(&image)?;
        let dir = self.paths.container_dir(&c.id);
        let upper = dir.join("upper");
        let work = dir.join("work");
        let etc_files = self.write_etc_files(c)?;
        let privileged = c.config.privileged;
        let mount_opts = storage::rootfs::MountOptions {
            volatile: c.config.auto_remove,
        };
        let rootfs = self.paths.rootfs_mountpoint();
        if !rootfs.is_dir() {
            std::fs::create_dir_all(&rootfs)
                .map_err(|e| LibpodError::io(format!("create {}", rootfs.display()), e))?;
        }
        Ok(Plan {
            rootfs,
            mount_rootfs: Box::new(move |target| {
                storage::rootfs::mount_with(&self.store, &lowers, &upper, &work, target, mount_opts)
                    .map_err(|e| e.to_string())
            }),
            hostname: c.config.hostname.clone(),
            etc_files,
            mounts: c.config.mounts.clone(),
            read_only: c.config.read_only,
            new_net: c.config.network != "host",
            masked_paths: if privileged {
                Vec::new()
            } else {
                security::MASKED_PATHS.to_vec()
            },
            readonly_paths: if privileged {
                Vec::new()
            } else {
                security::READONLY_PATHS.to_vec()
            },
            process: self.process_plan(c)?,
            stdio,
        })
    }

    /// /etc/hostname, /etc/hosts and /etc/resolv.conf for the container, kept where podman
    /// keeps them: in the runroot (a tmpfs under a normal login), rewritten at every start.
    fn write_etc_files(&self, c: &Container) -> Result<Vec<(PathBuf, String)>> {
        let dir = self.paths.userdata_dir(&c.id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| LibpodError::io(format!("create {}", dir.display()), e))?;
        let host = &c.config.hostname;
        let hosts = format!(
            "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n127.0.1.1\t{host} {}\n",
            c.name
        );
        let resolv = if c.config.network == "host" {
            std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default()
        } else if c.config.uses_slirp() {
            // slirp4netns's built-in resolver forwards to the host's.
            format!("nameserver {}\n", network::SLIRP_DNS)
        } else {
            // Loopback only: no resolver can be reached; keep the host's search domains.
            std::fs::read_to_string("/etc/resolv.conf")
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with("search") || l.starts_with("options"))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        let mut out = Vec::new();
        for (name, content, dest) in [
            ("hostname", format!("{host}\n"), "/etc/hostname"),
            ("hosts", hosts, "/etc/hosts"),
            ("resolv.conf", resolv, "/etc/resolv.conf"),
        ] {
            let p = dir.join(name);
            std::fs::write(&p, content)
                .map_err(|e| LibpodError::io(format!("write {}", p.display()), e))?;
            out.push((p, dest.to_string()));
        }
        Ok(out)
    }

    /// config.json: the OCI runtime spec of the container, for `inspect` and external tools.
    pub(crate) fn write_spec(&self, c: &Container) -> Result<()> {
        let cfg = &c.config;
        let caps = cfg.capabilities()?;
        let cap_names = security::capabilities::names(&caps);
        let dir = self.paths.container_dir(&c.id);
        let mut mounts = vec![
            serde_json::json!({"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]}),
            serde_json::json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
            serde_json::json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}),
            serde_json::json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}),
            serde_json::json!({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]}),
            serde_json::json!({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}),
        ];
        for (name, dest) in [
            ("hostname", "/etc/hostname"),
            ("hosts", "/etc/hosts"),
            ("resolv.conf", "/etc/resolv.conf"),
        ] {
            mounts.push(serde_json::json!({"destination": dest, "type": "bind", "source": self.paths.userdata_dir(&c.id).join(name), "options": ["bind"]}));
        }
        for m in &cfg.mounts {
            let mut options = m.options.clone();
            if m.kind == "bind" {
                options.push("rbind".into());
            }
            mounts.push(serde_json::json!({"destination": m.destination, "type": m.kind, "source": m.source, "options": options}));
        }
        let mut namespaces = vec![
            serde_json::json!({"type": "pid"}),
            serde_json::json!({"type": "ipc"}),
            serde_json::json!({"type": "uts"}),
            serde_json::json!({"type": "mount"}),
            serde_json::json!({"type": "cgroup"}),
        ];
        if cfg.network != "host" {
            namespaces.push(serde_json::json!({"type": "network"}));
        }
        let privileged = cfg.privileged;
        let spec = serde_json::json!({
            "ociVersion": "1.2.0",
            "process": {
                "terminal": cfg.tty,
                "user": {"uid": 0, "gid": 0},
                "args": cfg.args,
                "env": cfg.env,
                "cwd": cfg.workdir,
                "capabilities": {"bounding": cap_names, "effective": cap_names, "permitted": cap_names},
                "rlimits": cfg.ulimits.iter().map(|u| serde_json::json!({"type": format!("RLIMIT_{}", u.name.to_uppercase()), "soft": u.soft, "hard": u.hard})).collect::<Vec<_>>(),
                "noNewPrivileges": cfg.no_new_privileges,
            },
            "root": {"path": self.paths.rootfs_mountpoint(), "readonly": cfg.read_only},
            "hostname": cfg.hostname,
            "mounts": mounts,
            "annotations": cfg.annotations,
            "linux": {
                "namespaces": namespaces,
                "maskedPaths": if privileged { Vec::new() } else { security::MASKED_PATHS.to_vec() },
                "readonlyPaths": if privileged { Vec::new() } else { security::READONLY_PATHS.to_vec() },
            },
        });
        let path = dir.join("config.json");
        let text =
            serde_json::to_vec(&spec).map_err(|e| LibpodError::InvalidState(e.to_string()))?;
        std::fs::write(&path, text)
            .map_err(|e| LibpodError::io(format!("write {}", path.display()), e))
    }
}
