//! Control groups: where a container's limits are enforced, its usage measured, and how it is
//! frozen. Root uses cgroup v1 (each controller's hierarchy, the hybrid layout included) or v2
//! under `burrow/<id>`; a rootless user needs a v2 subtree delegated to them (systemd's user
//! slice, or a cgroupfs directory they own). A container gets a cgroup only when it asks for a
//! limit, or later when `pause`/`stats`/`update` need one (its processes are then moved in):
//! the common `run` does no cgroup work at all. This module must never silently pretend: when
//! cgroups cannot be used, callers get [`CgroupError::Unavailable`] to report.

pub mod blkio;
pub mod limits;
mod placement;
pub mod resctrl;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use limits::{ResourceOptions, Resources};

#[derive(thiserror::Error, Debug)]
pub enum CgroupError {
    #[error("invalid value for {flag}: {message}")]
    Invalid { flag: String, message: String },
    #[error("{0}")]
    Unavailable(String),
    /// A bad value in podman's own words, where podman names no flag.
    #[error("{0}")]
    BadValue(String),
    #[error("cgroup {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path, source: std::io::Error) -> CgroupError {
    CgroupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// podman's warning when rootless limits cannot be enforced.
pub const ROOTLESS_V1_WARNING: &str =
    "Resource limits are not supported and ignored on cgroups V1 rootless systems";

const MOUNT: &str = "/sys/fs/cgroup";
/// The v1 controllers burrow uses; cpuacct for usage, freezer for pause.
const V1_CONTROLLERS: &[&str] = &[
    "memory", "cpu", "cpuacct", "cpuset", "pids", "freezer", "blkio",
];

/// The host's cgroup layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// cgroup v2 only.
    Unified,
    /// v1 controllers (with or without a controller-less v2 mount: the hybrid layout).
    Legacy,
}

pub fn layout() -> Option<Layout> {
    if Path::new(MOUNT).join("cgroup.controllers").exists() {
        Some(Layout::Unified)
    } else if Path::new(MOUNT).join("memory").is_dir() || Path::new(MOUNT).join("cpu").is_dir() {
        Some(Layout::Legacy)
    } else {
        None
    }
}

/// The directory under which this user's containers get their cgroups, or why there is none.
/// Root: `burrow` under each hierarchy. Rootless: the highest directory of our own v2 cgroup
/// that we own (systemd's delegation point), plus `burrow`.
pub fn base(rootless: bool) -> Result<(Layout, Vec<PathBuf>), CgroupError> {
    let Some(layout) = layout() else {
        return Err(CgroupError::Unavailable(
            "no cgroup file system is mounted at /sys/fs/cgroup".into(),
        ));
    };
    if !rootless {
        return Ok(match layout {
            Layout::Unified => (layout, vec![Path::new(MOUNT).join("burrow")]),
            Layout::Legacy => (
                layout,
                V1_CONTROLLERS
                    .iter()
                    .map(|c| Path::new(MOUNT).join(c))
                    .filter(|p| p.is_dir())
                    .map(|p| p.join("burrow"))
                    .collect(),
            ),
        });
    }
    if layout == Layout::Legacy {
        return Err(CgroupError::Unavailable(
            "cgroups v1 cannot be delegated to a rootless user: cgroup v2 is needed".into(),
        ));
    }
    delegated_root()
        .map(|d| (Layout::Unified, vec![d.join("burrow")]))
        .ok_or_else(|| {
            CgroupError::Unavailable(
                "no cgroup v2 subtree with controllers is delegated to this user".into(),
            )
        })
}

/// The highest ancestor of our own v2 cgroup that we may write to and that has controllers.
pub fn delegated_root() -> Option<PathBuf> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    let mut best = None;
    let mut dir = PathBuf::from(MOUNT);
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        dir.push(part);
        let writable = nix::unistd::access(&dir, nix::unistd::AccessFlags::W_OK).is_ok();
        let controllers = std::fs::read_to_string(dir.join("cgroup.controllers"))
            .map(|s| !s.trim().is_empty())
            .unwrap_or(false);
        if writable && controllers {
            best = Some(dir.clone());
            break;
        }
    }
    best
}

/// Whether limits can be enforced for this user; the warning to print when they cannot.
pub fn limits_warning(rootless: bool) -> Option<String> {
    match base(rootless) {
        Ok(_) => None,
        Err(_) if rootless && layout() != Some(Layout::Unified) => {
            Some(ROOTLESS_V1_WARNING.to_string())
        }
        Err(e) => Some(format!(
            "Resource limits are not supported and ignored: {e}"
        )),
    }
}

/// Drops, with podman's warnings, the limits this host's cgroups cannot take: per-device
/// weights without CFQ/BFQ on v1, the realtime budget on v2 (which has none). The container
/// still runs.
pub fn drop_unsupported(r: &mut Resources) {
    if !r.weight_devices.is_empty() && !blkio::weight_device_supported() {
        crate::warn!(
            "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded."
        );
        r.weight_devices.clear();
    }
    if layout() == Some(Layout::Unified) {
        if r.cpu_rt_period != 0 {
            crate::warn!("Realtime period not supported on cgroups V2 systems");
            r.cpu_rt_period = 0;
        }
        if r.cpu_rt_runtime != 0 {
            crate::warn!("Realtime runtime not supported on cgroups V2 systems");
            r.cpu_rt_runtime = 0;
        }
    }
}

/// Usage figures of one container.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub memory_usage: u64,
    /// The effective limit (the host's memory when unlimited).
    pub memory_limit: u64,
    pub cpu_nanos: u64,
    pub pids: u64,
    pub block_read: u64,
    pub block_write: u64,
}

/// A container's cgroup: one directory per v1 hierarchy, or one v2 directory.
pub struct Cgroup {
    layout: Layout,
    dirs: Vec<PathBuf>,
}

impl Cgroup {
    pub fn for_container(id: &str, rootless: bool) -> Result<Cgroup, CgroupError> {
        let (layout, bases) = base(rootless)?;
        Ok(Cgroup {
            layout,
            dirs: bases.into_iter().map(|b| b.join(id)).collect(),
        })
    }

    pub fn exists(&self) -> bool {
        self.dirs.first().is_some_and(|d| d.is_dir())
    }

    fn dir(&self, controller: &str) -> Option<&Path> {
        match self.layout {
            Layout::Unified => self.dirs.first().map(PathBuf::as_path),
            Layout::Legacy => self
                .dirs
                .iter()
                .find(|d| {
                    d.strip_prefix(MOUNT)
                        .ok()
                        .and_then(|r| r.components().next())
                        .is_some_and(|n| n.as_os_str() == controller)
                })
                .map(PathBuf::as_path),
        }
    }

    /// Creates the directories (v2: with the controllers enabled on the way down).
    pub fn create(&self) -> Result<(), CgroupError> {
        for d in &self.dirs {
            if self.layout == Layout::Unified
                && let Some(base) = d.parent()
            {
                if !base.is_dir() {
                    std::fs::create_dir_all(base).map_err(|e| io(base, e))?;
                }
                // Top down, so each level may hand the controllers on (a --cgroup-parent
                // can be several levels deep); levels we may not write stay as they are.
                let mut above: Vec<&Path> = base
                    .ancestors()
                    .take_while(|a| a.starts_with(MOUNT) && *a != Path::new(MOUNT))
                    .collect();
                if let Some(top) = above.last().and_then(|a| a.parent()) {
                    above.push(top);
                }
                for a in above.into_iter().rev() {
                    enable_controllers(a);
                }
            }
            if !d.is_dir() {
                std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
            }
            // v1 cpuset: a new cpuset is empty and accepts no task until it has cpus and
            // mems; fill them from the parent, top down.
            if self.layout == Layout::Legacy && d.join("cpuset.cpus").exists() {
                // Every level between the hierarchy's mount and the new directory.
                let mut levels: Vec<&Path> = d
                    .ancestors()
                    .take_while(|a| {
                        a.components().count() > Path::new(MOUNT).components().count() + 1
                    })
                    .collect();
                levels.reverse();
                for f in ["cpuset.cpus", "cpuset.mems"] {
                    for &dir in &levels {
                        if read_trim(&dir.join(f)).is_empty()
                            && let Some(parent) = dir.parent()
                        {
                            write(&dir.join(f), &read_trim(&parent.join(f)))?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the limits; 0 values reset to unlimited (so `update` can lift a limit).
    pub fn apply(&self, r: &Resources) -> Result<(), CgroupError> {
        let set = |controller: &str, file: &str, value: String| -> Result<(), CgroupError> {
            match self.dir(controller) {
                Some(d) => write(&d.join(file), &value),
                None => Err(CgroupError::Unavailable(format!(
                    "the {controller} cgroup controller is not available"
                ))),
            }
        };
        match self.layout {
            Layout::Legacy => {
                if r.memory != 0 || self.dir("memory").is_some_and(|d| d.exists()) {
                    let mem = if r.memory > 0 { r.memory } else { -1 };
                    let swap = match r.effective_swap() {
                        0 => -1,
                        s => s,
                    };
                    // memsw must stay >= memory: lower/raise them in the order the kernel accepts.
                    let memsw = self
                        .dir("memory")
                        .map(|d| d.join("memory.memsw.limit_in_bytes"));
                    let has_memsw = memsw.as_ref().is_some_and(|p| p.exists());
                    if has_memsw {
                        let _ = set("memory", "memory.memsw.limit_in_bytes", "-1".into());
                    }
                    set("memory", "memory.limit_in_bytes", mem.to_string())?;
                    if has_memsw {
                        set("memory", "memory.memsw.limit_in_bytes", swap.to_string())?;
                    }
                    let soft = if r.memory_reservation > 0 {
                        r.memory_reservation
                    } else {
                        -1
                    };
                    set("memory", "memory.soft_limit_in_bytes", soft.to_string())?;
                }
                if r.nano_cpus != 0 || r.cpu_shares != 0 || self.dir("cpu").is_some() {
                    let (quota, period) = r.cpu_quota().unwrap_or((-1, 100_000));
                    set("cpu", "cpu.cfs_period_us", period.to_string())?;
                    set("cpu", "cpu.cfs_quota_us", quota.to_string())?;
                    let shares = if r.cpu_shares > 0 { r.cpu_shares } else { 1024 };
                    set("cpu", "cpu.shares", shares.to_string())?;
                }
                if !r.cpuset_cpus.is_empty() {
                    set("cpuset", "cpuset.cpus", r.cpuset_cpus.clone())?;
                }
                if r.pids_limit != 0 || self.dir("pids").is_some() {
                    set("pids", "pids.max", pids_max(r.pids_limit))?;
                }
                if !r.cpuset_mems.is_empty() {
                    set("cpuset", "cpuset.mems", r.cpuset_mems.clone())?;
                }
                if let Some(s) = r.memory_swappiness {
                    set("memory", "memory.swappiness", s.to_string())?;
                }
                if r.oom_kill_disable {
                    set("memory", "memory.oom_control", "1".into())?;
                }
                if r.blkio_weight != 0 {
                    set("blkio", "blkio.weight", r.blkio_weight.to_string())?;
                }
                for t in &r.throttles {
                    let line = format!("{}:{} {}", t.major, t.minor, t.rate);
                    set("blkio", t.kind.v1_file(), line)?;
                }
                for d in &r.weight_devices {
                    let line = format!("{}:{} {}", d.major, d.minor, d.weight);
                    set("blkio", "blkio.weight_device", line)?;
                }
                // The period first: the kernel refuses a runtime longer than the period.
                if r.cpu_rt_period != 0 {
                    set("cpu", "cpu.rt_period_us", r.cpu_rt_period.to_string())?;
                }
                if r.cpu_rt_runtime != 0 {
                    set("cpu", "cpu.rt_runtime_us", r.cpu_rt_runtime.to_string())?;
                }
            }
            Layout::Unified => {
                let mem = if r.memory > 0 {
                    r.memory.to_string()
                } else {
                    "max".into()
                };
                if r.memory != 0 || self.controller_enabled("memory") {
                    set("memory", "memory.max", mem)?;
                    // v2's swap limit excludes memory; docker's memory-swap includes it.
                    let swap = match r.effective_swap() {
                        s if s > 0 => (s - r.memory.max(0)).max(0).to_string(),
                        _ => "max".into(),
                    };
                    let _ = set("memory", "memory.swap.max", swap);
                    let low = if r.memory_reservation > 0 {
                        r.memory_reservation.to_string()
                    } else {
                        "0".into()
                    };
                    set("memory", "memory.low", low)?;
                }
                if r.nano_cpus != 0 || r.cpu_shares != 0 || self.controller_enabled("cpu") {
                    let max = match r.cpu_quota() {
                        Some((q, p)) => format!("{q} {p}"),
                        None => "max 100000".into(),
                    };
                    set("cpu", "cpu.max", max)?;
                    // runc's conversion of shares (2..262144) to weight (1..10000).
                    let weight = if r.cpu_shares > 0 {
                        1 + ((r.cpu_shares.clamp(2, 262_144) - 2) * 9999) / 262_142
                    } else {
                        100
                    };
                    set("cpu", "cpu.weight", weight.to_string())?;
                }
                if !r.cpuset_cpus.is_empty() {
                    set("cpuset", "cpuset.cpus", r.cpuset_cpus.clone())?;
                }
                if r.pids_limit != 0 || self.controller_enabled("pids") {
                    set("pids", "pids.max", pids_max(r.pids_limit))?;
                }
                if !r.cpuset_mems.is_empty() {
                    set("cpuset", "cpuset.mems", r.cpuset_mems.clone())?;
                }
                // v2 has no swappiness or OOM-killer switch: podman ignores them there too.
                if r.blkio_weight != 0 {
                    let bfq = self.dir("io").map(|d| d.join("io.bfq.weight"));
                    let file = if bfq.is_some_and(|p| p.exists()) {
                        "io.bfq.weight"
                    } else {
                        "io.weight"
                    };
                    set("io", file, format!("default {}", r.blkio_weight))?;
                }
                for line in blkio::io_max_lines(&r.throttles) {
                    set("io", "io.max", line)?;
                }
                // v2 has no realtime budget: `create` dropped it with podman's warning.
                for d in &r.weight_devices {
                    let line = format!("{}:{} {}", d.major, d.minor, d.weight);
                    set("io", "io.weight", line)?;
                }
            }
        }
        Ok(())
    }

    fn controller_enabled(&self, c: &str) -> bool {
        self.dirs
            .first()
            .map(|d| read_trim(&d.join("cgroup.controllers")))
            .is_some_and(|s| s.split_whitespace().any(|x| x == c))
    }

    /// Moves a process into every hierarchy of the cgroup.
    pub fn add(&self, pid: i32) -> Result<(), CgroupError> {
        for d in &self.dirs {
            write(&d.join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
    }

    /// Moves every process of the container (all in the pid namespace of `pid`) into the
    /// cgroup: how a container started without limits gets one for `pause`/`stats`/`update`.
    pub fn adopt(&self, pid: i32) -> Result<(), CgroupError> {
        let ns = std::fs::read_link(format!("/proc/{pid}/ns/pid"))
            .map_err(|e| io(Path::new(&format!("/proc/{pid}/ns/pid")), e))?;
        // Processes forking while we move them: repeat until a pass moves nothing new.
        let mut moved = std::collections::HashSet::new();
        for _ in 0..10 {
            let mut new = false;
            for p in container_pids(&ns) {
                if moved.insert(p) {
                    new = true;
                    let _ = self.add(p);
                }
            }
            if !new {
                break;
            }
        }
        self.add(pid)
    }

    pub fn freeze(&self, frozen: bool) -> Result<(), CgroupError> {
        match self.layout {
            Layout::Unified => {
                let d = &self.dirs[0];
                write(&d.join("cgroup.freeze"), if frozen { "1" } else { "0" })?;
                if frozen {
                    wait_for(|| read_trim(&d.join("cgroup.events")).contains("frozen 1"));
                }
                Ok(())
            }
            Layout::Legacy => {
                let Some(d) = self.dir("freezer") else {
                    return Err(CgroupError::Unavailable(
                        "the freezer cgroup controller is not mounted".into(),
                    ));
                };
                let state = d.join("freezer.state");
                write(&state, if frozen { "FROZEN" } else { "THAWED" })?;
                if frozen {
                    wait_for(|| read_trim(&state) == "FROZEN");
                }
                Ok(())
            }
        }
    }

    /// How many times the kernel's OOM killer killed a process of this cgroup.
    pub fn oom_kills(&self) -> u64 {
        let (file, key) = match self.layout {
            Layout::Unified => ("memory.events", "oom_kill"),
            Layout::Legacy => ("memory.oom_control", "oom_kill"),
        };
        self.dir("memory")
            .map(|d| read_trim(&d.join(file)))
            .and_then(|s| {
                s.lines().find_map(|l| {
                    l.strip_prefix(key)
                        .and_then(|v| v.trim().parse::<u64>().ok())
                })
            })
            .unwrap_or(0)
    }

    pub fn stats(&self) -> Stats {
        let num = |controller: &str, file: &str| -> u64 {
            self.dir(controller)
                .map(|d| read_trim(&d.join(file)))
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
        };
        let host_mem = host_memory();
        let mut s = Stats::default();
        match self.layout {
            Layout::Legacy => {
                let usage = num("memory", "memory.usage_in_bytes");
                // docker/podman subtract the page cache that can be dropped.
                let inactive = self
                    .dir("memory")
                    .map(|d| read_trim(&d.join("memory.stat")))
                    .and_then(|st| stat_value(&st, "total_inactive_file"))
                    .unwrap_or(0);
                s.memory_usage = usage.saturating_sub(inactive);
                let limit = num("memory", "memory.limit_in_bytes");
                s.memory_limit = if limit == 0 || limit > host_mem {
                    host_mem
                } else {
                    limit
                };
                s.cpu_nanos = num("cpuacct", "cpuacct.usage");
                s.pids = num("pids", "pids.current");
                if let Some(d) = self.dir("blkio") {
                    let (r, w) = blkio_v1(&read_trim(&d.join("blkio.throttle.io_service_bytes")));
                    s.block_read = r;
                    s.block_write = w;
                }
            }
            Layout::Unified => {
                let d = &self.dirs[0];
                let usage = num("memory", "memory.current");
                let inactive =
                    stat_value(&read_trim(&d.join("memory.stat")), "inactive_file").unwrap_or(0);
                s.memory_usage = usage.saturating_sub(inactive);
                let max = read_trim(&d.join("memory.max"));
                s.memory_limit = max
                    .parse::<u64>()
                    .ok()
                    .filter(|l| *l < host_mem)
                    .unwrap_or(host_mem);
                s.cpu_nanos =
                    stat_value(&read_trim(&d.join("cpu.stat")), "usage_usec").unwrap_or(0) * 1000;
                s.pids = num("pids", "pids.current");
                for l in read_trim(&d.join("io.stat")).lines() {
                    for kv in l.split_whitespace().skip(1) {
                        match kv.split_once('=') {
                            Some(("rbytes", v)) => s.block_read += v.parse().unwrap_or(0),
                            Some(("wbytes", v)) => s.block_write += v.parse().unwrap_or(0),
                            _ => {}
                        }
                    }
                }
            }
        }
        if s.pids == 0 {
            s.pids = self
                .dirs
                .first()
                .map(|d| read_trim(&d.join("cgroup.procs")).lines().count() as u64)
                .unwrap_or(0);
        }
        s
    }

    /// Removes the directories; a cgroup that still holds processes stays (EBUSY).
    pub fn remove(&self) -> Result<(), CgroupError> {
        let mut first_err = None;
        for d in &self.dirs {
            match std::fs::remove_dir(d) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    first_err.get_or_insert(io(d, e));
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

/// Ids of containers that have a cgroup directory (for `system check`).
pub fn existing_container_cgroups(rootless: bool) -> Vec<String> {
    let Ok((_, bases)) = base(rootless) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = bases
        .iter()
        .filter_map(|b| std::fs::read_dir(b).ok())
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn container_pids(ns: &Path) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|p| {
            std::fs::read_link(format!("/proc/{p}/ns/pid")).is_ok_and(|l| l.as_path() == ns)
        })
        .collect()
}

fn enable_controllers(dir: &Path) {
    let available = read_trim(&dir.join("cgroup.controllers"));
    for c in ["memory", "cpu", "cpuset", "pids", "io"] {
        if available.split_whitespace().any(|x| x == c) {
            let _ = std::fs::write(dir.join("cgroup.subtree_control"), format!("+{c}"));
        }
    }
}

fn pids_max(limit: i64) -> String {
    if limit > 0 {
        limit.to_string()
    } else {
        "max".into()
    }
}

fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    std::fs::write(path, value).map_err(|e| io(path, e))
}

fn read_trim(path: &Path) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn stat_value(stat: &str, key: &str) -> Option<u64> {
    stat.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

fn blkio_v1(s: &str) -> (u64, u64) {
    let (mut r, mut w) = (0, 0);
    for l in s.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() == 3 {
            match f[1] {
                "Read" => r += f[2].parse().unwrap_or(0),
                "Write" => w += f[2].parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    (r, w)
}

pub fn host_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(u64::MAX)
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[cfg(test)]
mod tests {
    //! The v2 (and v1) file mapping against fake cgroup trees: plain directories with the
    //! interface files a kernel would show.

    use super::*;

    fn fake_v2(controllers: &str) -> (tempfile::TempDir, Cgroup) {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("burrow").join("ctr");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("cgroup.controllers"), controllers).unwrap();
        let cg = Cgroup {
            layout: Layout::Unified,
            dirs: vec![d],
        };
        (t, cg)
    }

    fn read(cg: &Cgroup, f: &str) -> String {
        read_trim(&cg.dirs[0].join(f))
    }

    #[test]
    fn v2_limits_map_to_their_files() {
        let (_t, cg) = fake_v2("cpuset cpu io memory pids");
        let r = Resources {
            memory: 64 << 20,
            memory_swap: 128 << 20,
            memory_reservation: 32 << 20,
            nano_cpus: 500_000_000,
            cpu_shares: 512,
            cpuset_cpus: "0-1".into(),
            pids_limit: 10,
            ..Resources::default()
        };
        cg.apply(&r).unwrap();
        assert_eq!(read(&cg, "memory.max"), "67108864");
        // docker's --memory-swap counts memory too; v2's swap.max does not.
        assert_eq!(read(&cg, "memory.swap.max"), "67108864");
        assert_eq!(read(&cg, "memory.low"), "33554432");
        assert_eq!(read(&cg, "cpu.max"), "50000 100000");
        // runc's shares -> weight: 512 -> 1 + (510 * 9999) / 262142 = 20.
        assert_eq!(read(&cg, "cpu.weight"), "20");
        assert_eq!(read(&cg, "cpuset.cpus"), "0-1");
        assert_eq!(read(&cg, "pids.max"), "10");
    }

    #[test]
    fn v2_update_to_zero_lifts_the_limits() {
        let (_t, cg) = fake_v2("cpu memory pids");
        cg.apply(&Resources {
            memory: 64 << 20,
            pids_limit: 10,
            nano_cpus: 1_000_000_000,
            ..Resources::default()
        })
        .unwrap();
        cg.apply(&Resources::default()).unwrap();
        assert_eq!(read(&cg, "memory.max"), "max");
        assert_eq!(read(&cg, "pids.max"), "max");
        assert_eq!(read(&cg, "cpu.max"), "max 100000");
        assert_eq!(read(&cg, "cpu.weight"), "100");
    }

    #[test]
    fn v2_stats_oom_and_limit_come_from_their_files() {
        let (_t, cg) = fake_v2("memory pids cpu io");
        let d = &cg.dirs[0];
        std::fs::write(d.join("memory.current"), "10485760\n").unwrap();
        std::fs::write(d.join("memory.stat"), "anon 1\ninactive_file 1048576\n").unwrap();
        std::fs::write(d.join("memory.max"), "67108864\n").unwrap();
        std::fs::write(d.join("cpu.stat"), "usage_usec 2500\nuser_usec 2000\n").unwrap();
        std::fs::write(d.join("pids.current"), "3\n").unwrap();
        std::fs::write(
            d.join("io.stat"),
            "8:0 rbytes=100 wbytes=200 rios=1\n8:16 rbytes=1 wbytes=2\n",
        )
        .unwrap();
        std::fs::write(
            d.join("memory.events"),
            "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
        )
        .unwrap();
        let s = cg.stats();
        assert_eq!(s.memory_usage, 10485760 - 1048576);
        assert_eq!(s.memory_limit, 67108864.min(host_memory()));
        assert_eq!(s.cpu_nanos, 2_500_000);
        assert_eq!(s.pids, 3);
        assert_eq!((s.block_read, s.block_write), (101, 202));
        assert_eq!(cg.oom_kills(), 1);
        // Unlimited: the host's memory is the limit, as docker and podman show it.
        std::fs::write(d.join("memory.max"), "max\n").unwrap();
        assert_eq!(cg.stats().memory_limit, host_memory());
    }
}
