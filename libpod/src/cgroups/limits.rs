//! Resource limits as the user gives them (`--memory 512m`, `--cpus 1.5`) and as they are
//! stored: validated numbers, with podman's error wording for bad input.

use serde::{Deserialize, Serialize};

use super::CgroupError;

/// The raw flags of `create`/`run`/`update`; `None` when not given.
#[derive(Clone, Debug, Default)]
pub struct ResourceOptions {
    pub memory: Option<String>,
    pub memory_swap: Option<String>,
    pub memory_reservation: Option<String>,
    pub cpus: Option<String>,
    pub cpu_shares: Option<String>,
    pub cpuset_cpus: Option<String>,
    pub pids_limit: Option<String>,
    pub oom_score_adj: Option<String>,
    pub shm_size: Option<String>,
    /// `--cpu-period`, `--cpu-quota` (microseconds), `--cpuset-mems`, `--memory-swappiness`,
    /// `--oom-kill-disable`, `--blkio-weight` and the device throttles (`PATH:RATE`).
    pub cpu_period: Option<String>,
    pub cpu_quota: Option<String>,
    pub cpuset_mems: Option<String>,
    pub memory_swappiness: Option<String>,
    pub oom_kill_disable: Option<bool>,
    pub blkio_weight: Option<String>,
    pub device_read_bps: Vec<String>,
    pub device_write_bps: Vec<String>,
    pub device_read_iops: Vec<String>,
    pub device_write_iops: Vec<String>,
    /// `--cpu-rt-period`, `--cpu-rt-runtime` (microseconds), `--blkio-weight-device`.
    pub cpu_rt_period: Option<String>,
    pub cpu_rt_runtime: Option<String>,
    pub blkio_weight_device: Vec<String>,
    /// `--rdt-class COS` (create/run only).
    pub rdt_class: Option<String>,
}

impl ResourceOptions {
    pub fn is_empty(&self) -> bool {
        [
            &self.memory,
            &self.memory_swap,
            &self.memory_reservation,
            &self.cpus,
            &self.cpu_shares,
            &self.cpuset_cpus,
            &self.pids_limit,
            &self.oom_score_adj,
            &self.shm_size,
        ]
        .iter()
        .all(|o| o.is_none())
            && [
                &self.cpu_period,
                &self.cpu_quota,
                &self.cpuset_mems,
                &self.memory_swappiness,
                &self.blkio_weight,
                &self.cpu_rt_period,
                &self.cpu_rt_runtime,
                &self.rdt_class,
            ]
            .iter()
            .all(|o| o.is_none())
            && self.oom_kill_disable.is_none()
            && self.device_read_bps.is_empty()
            && self.device_write_bps.is_empty()
            && self.device_read_iops.is_empty()
            && self.device_write_iops.is_empty()
            && self.blkio_weight_device.is_empty()
    }
}

/// Validated limits. 0 (or empty) means "not set"; -1 for swap and pids means unlimited.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    /// Bytes.
    pub memory: i64,
    /// Memory plus swap, bytes; -1 unlimited.
    pub memory_swap: i64,
    /// Soft limit, bytes.
    pub memory_reservation: i64,
    /// CPUs × 10⁹ (docker's NanoCpus).
    pub nano_cpus: i64,
    pub cpu_shares: u64,
    pub cpuset_cpus: String,
    /// -1 unlimited.
    pub pids_limit: i64,
    pub oom_score_adj: Option<i32>,
    /// Size of /dev/shm in bytes (0: podman's 64 MiB default).
    pub shm_size: i64,
    /// `--cpu-period` and `--cpu-quota` in microseconds (0: not set; quota -1 unlimited).
    pub cpu_period: u64,
    pub cpu_quota: i64,
    /// `--cpuset-mems`: memory nodes.
    pub cpuset_mems: String,
    /// `--memory-swappiness` 0..100; `None` leaves the kernel's.
    pub memory_swappiness: Option<u64>,
    pub oom_kill_disable: bool,
    /// `--blkio-weight` 10..1000 (0: not set).
    pub blkio_weight: u16,
    /// `--device-{read,write}-{bps,iops}`.
    pub throttles: Vec<super::blkio::Throttle>,
    /// `--cpu-rt-period`, `--cpu-rt-runtime`: cgroup v1's realtime budget in microseconds
    /// (0: not set).
    pub cpu_rt_period: u64,
    pub cpu_rt_runtime: i64,
    /// `--blkio-weight-device`.
    pub weight_devices: Vec<super::blkio::WeightDevice>,
    /// `--rdt-class`: an Intel RDT class of service (empty: none). Not a cgroup setting: the
    /// pid goes to resctrl.
    pub rdt_class: String,
}

/// podman refuses memory limits under 6 MB: the container could not even start.
const MIN_MEMORY: i64 = 6 * 1024 * 1024;
pub const DEFAULT_SHM: i64 = 64 * 1024 * 1024;

impl Resources {
    /// Whether a cgroup is needed to enforce these limits (oom_score_adj and shm are not
    /// cgroup settings).
    pub fn needs_cgroup(&self) -> bool {
        self.memory != 0
            || self.memory_swap != 0
            || self.memory_reservation != 0
            || self.nano_cpus != 0
            || self.cpu_shares != 0
            || !self.cpuset_cpus.is_empty()
            || self.pids_limit != 0
            || self.cpu_period != 0
            || self.cpu_quota != 0
            || !self.cpuset_mems.is_empty()
            || self.memory_swappiness.is_some()
            || self.oom_kill_disable
            || self.blkio_weight != 0
            || !self.throttles.is_empty()
            || self.cpu_rt_period != 0
            || self.cpu_rt_runtime != 0
            || !self.weight_devices.is_empty()
    }

    /// The limits after `opts` are applied over `self` (create starts from the default,
    /// `update` from the stored limits). Nothing is changed when any value is invalid.
    pub fn merged(&self, opts: &ResourceOptions) -> Result<Resources, CgroupError> {
        let mut r = self.clone();
        if let Some(m) = &opts.memory {
            r.memory = parse_size("memory", m)?;
            if r.memory != 0 && r.memory < MIN_MEMORY {
                return Err(invalid("memory", "minimum memory limit allowed is 6MB"));
            }
        }
        if let Some(s) = &opts.memory_swap {
            r.memory_swap = if s.trim() == "-1" {
                -1
            } else {
                parse_size("memory-swap", s)?
            };
        }
        if let Some(s) = &opts.memory_reservation {
            r.memory_reservation = parse_size("memory-reservation", s)?;
        }
        if let Some(c) = &opts.cpus {
            let v: f64 = c.trim().parse().map_err(|_| {
                invalid("cpus", format!("\"{c}\" is not a number of CPUs, e.g. 1.5"))
            })?;
            let online = online_cpus().len().max(1) as f64;
            if !(0.0..=online).contains(&v) {
                return Err(invalid(
                    "cpus",
                    format!(
                        "range of CPUs is from 0.01 to {online:.2}, as there are only {online} CPUs available"
                    ),
                ));
            }
            r.nano_cpus = (v * 1e9).round() as i64;
        }
        if let Some(s) = &opts.cpu_shares {
            r.cpu_shares = s
                .trim()
                .parse()
                .map_err(|_| invalid("cpu-shares", format!("\"{s}\" is not a number")))?;
        }
        if let Some(s) = &opts.cpuset_cpus {
            let cpus = parse_cpuset(s).map_err(|m| invalid("cpuset-cpus", m))?;
            let online = online_cpus();
            if let Some(bad) = cpus.iter().find(|c| !online.contains(c)) {
                return Err(invalid(
                    "cpuset-cpus",
                    format!("CPU {bad} is not online on this host"),
                ));
            }
            r.cpuset_cpus = s.trim().to_string();
        }
        if let Some(s) = &opts.pids_limit {
            r.pids_limit = s
                .trim()
                .parse()
                .map_err(|_| invalid("pids-limit", format!("\"{s}\" is not a number")))?;
            if r.pids_limit < -1 {
                return Err(invalid("pids-limit", "use -1 for unlimited"));
            }
        }
        if let Some(s) = &opts.oom_score_adj {
            let v: i32 = s
                .trim()
                .parse()
                .map_err(|_| invalid("oom-score-adj", format!("\"{s}\" is not a number")))?;
            if !(-1000..=1000).contains(&v) {
                return Err(invalid(
                    "oom-score-adj",
                    "oom_score_adj must be between -1000 and 1000",
                ));
            }
            r.oom_score_adj = Some(v);
        }
        if let Some(s) = &opts.shm_size {
            r.shm_size = parse_size("shm-size", s)?;
            if r.shm_size <= 0 {
                return Err(invalid("shm-size", "size must be greater than 0"));
            }
        }
        merge_more(&mut r, opts)?;
        if r.memory > 0 && r.memory_swap > 0 && r.memory_swap < r.memory {
            return Err(invalid(
                "memory-swap",
                "minimum memoryswap limit should be larger than memory limit, see usage",
            ));
        }
        if r.memory_swap > 0 && r.memory == 0 {
            return Err(invalid(
                "memory-swap",
                "you should always set the memory limit when using the memoryswap limit, see usage",
            ));
        }
        if r.memory > 0 && r.memory_reservation > r.memory {
            return Err(invalid(
                "memory-reservation",
                "minimum memory limit can not be less than memory reservation limit, see usage",
            ));
        }
        Ok(r)
    }

    /// podman's default for memory-swap: twice the memory limit when only --memory is given.
    pub fn effective_swap(&self) -> i64 {
        if self.memory > 0 && self.memory_swap == 0 {
            self.memory * 2
        } else {
            self.memory_swap
        }
    }

    /// CFS quota and period: `--cpu-quota`/`--cpu-period` as given, else `--cpus` over the
    /// period podman uses (100 ms).
    pub fn cpu_quota(&self) -> Option<(i64, u64)> {
        if self.cpu_quota != 0 || self.cpu_period != 0 {
            let period = if self.cpu_period > 0 {
                self.cpu_period
            } else {
                100_000
            };
            let quota = if self.cpu_quota != 0 {
                self.cpu_quota
            } else {
                -1
            };
            return Some((quota, period));
        }
        (self.nano_cpus > 0).then_some((self.nano_cpus / 10_000, 100_000))
    }
}

/// The limits added after `--cpus`..`--pids-limit`, checked as podman checks them.
fn merge_more(r: &mut Resources, opts: &ResourceOptions) -> Result<(), CgroupError> {
    use super::blkio::{ThrottleKind, parse_throttle, parse_weight};
    if let Some(s) = &opts.cpu_period {
        r.cpu_period = s
            .trim()
            .parse()
            .map_err(|_| invalid("cpu-period", format!("\"{s}\" is not a number")))?;
        if r.cpu_period != 0 && !(1000..=1_000_000).contains(&r.cpu_period) {
            return Err(invalid(
                "cpu-period",
                "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
            ));
        }
    }
    if let Some(s) = &opts.cpu_quota {
        r.cpu_quota = s
            .trim()
            .parse()
            .map_err(|_| invalid("cpu-quota", format!("\"{s}\" is not a number")))?;
        if r.cpu_quota > 0 && r.cpu_quota < 1000 {
            return Err(invalid(
                "cpu-quota",
                "CPU cfs quota can not be less than 1ms (i.e. 1000)",
            ));
        }
    }
    if r.nano_cpus > 0 && (r.cpu_period != 0 || r.cpu_quota != 0) {
        return Err(invalid(
            "cpus",
            "--cpus conflicts with --cpu-period and --cpu-quota: use one or the other",
        ));
    }
    if let Some(s) = &opts.cpuset_mems {
        let nodes = parse_cpuset(s).map_err(|m| invalid("cpuset-mems", m))?;
        let online = std::fs::read_to_string("/sys/devices/system/node/online")
            .ok()
            .and_then(|o| parse_cpuset(&o).ok())
            .unwrap_or_else(|| vec![0]);
        if let Some(bad) = nodes.iter().find(|n| !online.contains(n)) {
            return Err(invalid(
                "cpuset-mems",
                format!("memory node {bad} is not online on this host"),
            ));
        }
        r.cpuset_mems = s.trim().to_string();
    }
    if let Some(s) = &opts.memory_swappiness {
        let v: i64 = s
            .trim()
            .parse()
            .map_err(|_| invalid("memory-swappiness", format!("\"{s}\" is not a number")))?;
        r.memory_swappiness = match v {
            -1 => None,
            0..=100 => Some(v as u64),
            _ => {
                return Err(invalid(
                    "memory-swappiness",
                    format!("invalid value: {v}, valid memory swappiness range is 0-100"),
                ));
            }
        };
    }
    if let Some(b) = opts.oom_kill_disable {
        r.oom_kill_disable = b;
    }
    if let Some(w) = &opts.blkio_weight {
        r.blkio_weight = parse_weight(w)?;
    }
    for (kind, values) in [
        (ThrottleKind::ReadBps, &opts.device_read_bps),
        (ThrottleKind::WriteBps, &opts.device_write_bps),
        (ThrottleKind::ReadIops, &opts.device_read_iops),
        (ThrottleKind::WriteIops, &opts.device_write_iops),
    ] {
        for v in values {
            let t = parse_throttle(kind, v)?;
            r.throttles
                .retain(|o| !(o.kind == t.kind && (o.major, o.minor) == (t.major, t.minor)));
            r.throttles.push(t);
        }
    }
    merge_realtime(r, opts)?;
    if let Some(c) = &opts.rdt_class {
        r.rdt_class = c.clone();
    }
    for v in &opts.blkio_weight_device {
        let d = super::blkio::parse_weight_device(v)?;
        r.weight_devices
            .retain(|o| (o.major, o.minor) != (d.major, d.minor));
        r.weight_devices.push(d);
    }
    Ok(())
}

/// `--cpu-rt-period` (unsigned) and `--cpu-rt-runtime` (signed), read as podman's flag
/// parser reads them, with its words.
fn merge_realtime(r: &mut Resources, opts: &ResourceOptions) -> Result<(), CgroupError> {
    let bad = |flag: &str, v: &str, kind: &str| {
        CgroupError::BadValue(format!(
            "invalid argument \"{v}\" for \"--{flag}\" flag: strconv.{kind}: parsing \"{v}\": invalid syntax"
        ))
    };
    if let Some(v) = &opts.cpu_rt_period {
        r.cpu_rt_period = v
            .parse()
            .map_err(|_| bad("cpu-rt-period", v, "ParseUint"))?;
    }
    if let Some(v) = &opts.cpu_rt_runtime {
        let n: i64 = v
            .parse()
            .map_err(|_| bad("cpu-rt-runtime", v, "ParseInt"))?;
        // podman sets a runtime only when it is positive: -1 (unlimited in the kernel) is
        // taken and dropped.
        r.cpu_rt_runtime = n.max(0);
    }
    Ok(())
}

fn invalid(flag: &str, msg: impl Into<String>) -> CgroupError {
    CgroupError::Invalid {
        flag: flag.to_string(),
        message: msg.into(),
    }
}

/// docker's `units.RAMInBytes`: a number with an optional binary unit (b, k, m, g, t, p; an
/// optional trailing "b" or "ib"), case-insensitive: `512m`, `1.5g`, `1024`.
pub fn parse_size(flag: &str, s: &str) -> Result<i64, CgroupError> {
    let bad = || invalid(flag, format!("invalid size: '{s}'"));
    let t = s.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().map_err(|_| bad())?;
    let unit = unit.trim_start();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(unit);
    let mult: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return Err(bad()),
    };
    let v = num * mult;
    if !v.is_finite() || v > i64::MAX as f64 {
        return Err(bad());
    }
    Ok(v as i64)
}

/// `0-2,4`: the CPUs a cpuset names.
pub fn parse_cpuset(s: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in s.trim().split(',') {
        let bad = || format!("invalid cpuset \"{s}\": use a list such as 0-2,4");
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: u32 = a.trim().parse().map_err(|_| bad())?;
        let b: u32 = b.trim().parse().map_err(|_| bad())?;
        if b < a || b - a > 4096 {
            return Err(bad());
        }
        out.extend(a..=b);
    }
    Ok(out)
}

/// The host's online CPUs (all CPUs 0..n when the kernel does not say).
pub fn online_cpus() -> Vec<u32> {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|s| parse_cpuset(&s).ok())
        .unwrap_or_else(|| {
            let n = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1);
            (0..n as u32).collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_like_docker_units() {
        assert_eq!(parse_size("m", "512m").unwrap(), 512 << 20);
        assert_eq!(parse_size("m", "1g").unwrap(), 1 << 30);
        assert_eq!(parse_size("m", "1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("m", "100").unwrap(), 100);
        assert_eq!(parse_size("m", "1.5k").unwrap(), 1536);
        assert!(parse_size("m", "abc").is_err());
        assert!(parse_size("m", "12x").is_err());
        assert!(parse_size("m", "").is_err());
    }

    #[test]
    fn limits_validate_together() {
        let o = |m: &str, s: &str| ResourceOptions {
            memory: Some(m.into()),
            memory_swap: Some(s.into()),
            ..Default::default()
        };
        assert!(Resources::default().merged(&o("64m", "32m")).is_err());
        let r = Resources::default().merged(&o("64m", "-1")).unwrap();
        assert_eq!(r.memory_swap, -1);
        assert!(
            Resources::default()
                .merged(&ResourceOptions {
                    memory: Some("1m".into()),
                    ..Default::default()
                })
                .is_err()
        );
        assert_eq!(parse_cpuset("0-2,4").unwrap(), vec![0, 1, 2, 4]);
        assert!(parse_cpuset("2-1").is_err());
    }
}
