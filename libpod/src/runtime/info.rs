//! `info` and `version`: what podman prints under the same field names (host, store,
//! registries, version), from what burrow knows about itself and the machine.

use serde_json::{Value, json};

use crate::container::Status;
use crate::error::Result;

use super::Runtime;

/// `version`'s data: podman's `Client` object.
pub fn version_info() -> Value {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    json!({
        "APIVersion": env!("CARGO_PKG_VERSION"),
        "Version": env!("CARGO_PKG_VERSION"),
        "GoVersion": "",
        "GitCommit": "",
        "BuiltTime": "",
        "Built": 0,
        "OsArch": format!("linux/{arch}"),
        "Os": "linux",
    })
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn meminfo(key: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn os_release(key: &str) -> String {
    std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{key}="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_default()
}

fn id_map(path: &str) -> Value {
    let maps: Vec<Value> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<u64> = l
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            (f.len() == 3).then(|| json!({"container_id": f[0], "host_id": f[1], "size": f[2]}))
        })
        .collect();
    Value::Array(maps)
}

fn which(program: &str) -> String {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(program))
                .find(|p| p.is_file())
        })
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

impl Runtime {
    /// `info`: podman's shape (host, store, registries, version).
    pub fn info(&self) -> Result<Value> {
        let containers = self.list()?;
        let count = |s: Status| containers.iter().filter(|c| c.status() == s).count();
        let images = self.store.images()?.len();
        let cgroup_v2 = std::fs::metadata("/sys/fs/cgroup/cgroup.controllers").is_ok();
        let uptime_secs: f64 = read_trim("/proc/uptime")
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let up = uptime_secs as u64;
        let graph_root = self.paths.storage();
        let statvfs = nix::sys::statvfs::statvfs(&graph_root).ok();
        let (size, used) = statvfs
            .map(|s| {
                let total = s.blocks() * s.fragment_size();
                (total, total - s.blocks_free() * s.fragment_size())
            })
            .unwrap_or((0, 0));
        Ok(json!({
            "host": {
                "arch": version_info()["OsArch"].as_str().unwrap_or("").trim_start_matches("linux/"),
                "buildahVersion": "",
                "cgroupManager": "cgroupfs",
                "cgroupVersion": if cgroup_v2 { "v2" } else { "v1" },
                "conmon": {"package": "burrow (built-in monitor)", "path": crate::sealed_exe::program().display().to_string(), "version": env!("CARGO_PKG_VERSION")},
                "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
                "distribution": {"distribution": os_release("ID"), "version": os_release("VERSION_ID"), "codename": os_release("VERSION_CODENAME")},
                "eventLogger": "none",
                "hostname": nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default(),
                "idMappings": {"gidmap": id_map("/proc/self/gid_map"), "uidmap": id_map("/proc/self/uid_map")},
                "kernel": read_trim("/proc/sys/kernel/osrelease"),
                "memFree": meminfo("MemAvailable:"),
                "memTotal": meminfo("MemTotal:"),
                "ociRuntime": {"name": "burrow", "package": "burrow (built-in executor)", "path": crate::sealed_exe::program().display().to_string(), "version": env!("CARGO_PKG_VERSION")},
                "os": "linux",
                "remoteSocket": {"exists": false, "path": ""},
                "security": {
                    "apparmorEnabled": false,
                    "capabilities": crate::security::capabilities::names(&crate::security::capabilities::default_set()).join(","),
                    "rootless": self.rootless,
                    "seccompEnabled": true,
                    "seccompProfilePath": "(built in: podman's default profile)",
                    "selinuxEnabled": false,
                },
                "serviceIsRemote": false,
                "slirp4netns": {"executable": which("slirp4netns"), "package": "", "version": ""},
                "pasta": {"executable": which("pasta"), "package": "", "version": ""},
                "swapFree": meminfo("SwapFree:"),
                "swapTotal": meminfo("SwapTotal:"),
                "uptime": format!("{}h {}m {}s", up / 3600, (up % 3600) / 60, up % 60),
            },
            "plugins": {"log": ["k8s-file"], "network": [], "volume": []},
            "registries": {"search": crate::config::registries_conf(self.rootless)?.unqualified_search_registries},
            "store": {
                "configFile": "",
                "containerStore": {
                    "number": containers.len(),
                    "paused": count(Status::Paused),
                    "running": count(Status::Running),
                    "stopped": containers.len() - count(Status::Running) - count(Status::Paused),
                },
                "graphDriverName": self.store.driver().as_str(),
                "graphOptions": {},
                "graphRoot": graph_root,
                "graphRootAllocated": size,
                "graphRootUsed": used,
                "graphStatus": {"Native Overlay Diff": if self.store.driver() == storage::Driver::Overlay { "true" } else { "false" }},
                "imageCopyTmpDir": self.paths.tmp.as_deref().unwrap_or(std::path::Path::new("/var/tmp")),
                "imageStore": {"number": images},
                "runRoot": self.paths.run,
                "volumePath": self.paths.data.join("volumes"),
            },
            "version": version_info(),
        }))
    }
}
