//! Resource flags (`--memory`, `--cpus`, ...), and `update`, `stats`, `pause`, `unpause`.

use clap::Args;
use libpod::Runtime;
use libpod::cgroups::ResourceOptions;
use serde_json::{Value, json};

use super::{Failure, Outcome};
use crate::output::human_size;

/// The cgroup limits `create`, `run` and `update` share.
#[derive(Args, Debug, Clone, Default)]
pub struct LimitArgs {
    /// Memory limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))
    #[arg(short = 'm', long)]
    memory: Option<String>,
    /// Swap limit equal to memory plus swap: '-1' to enable unlimited swap
    #[arg(long = "memory-swap", allow_hyphen_values = true)]
    memory_swap: Option<String>,
    /// Memory soft limit (format: <number>[<unit>])
    #[arg(long = "memory-reservation")]
    memory_reservation: Option<String>,
    /// Number of CPUs. The default is 0.000 which means no limit
    #[arg(long)]
    cpus: Option<String>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long = "cpu-shares")]
    cpu_shares: Option<String>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long = "cpuset-cpus")]
    cpuset_cpus: Option<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", allow_hyphen_values = true)]
    pids_limit: Option<String>,
    /// Limit the CPU CFS (Completely Fair Scheduler) period (microseconds)
    #[arg(long = "cpu-period")]
    cpu_period: Option<String>,
    /// Limit the CPU CFS (Completely Fair Scheduler) quota (microseconds, -1 for none)
    #[arg(long = "cpu-quota", allow_hyphen_values = true)]
    cpu_quota: Option<String>,
    /// Memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems
    #[arg(long = "cpuset-mems")]
    cpuset_mems: Option<String>,
    /// Tune container memory swappiness (0 to 100, or -1 for system default)
    #[arg(long = "memory-swappiness", allow_hyphen_values = true)]
    memory_swappiness: Option<String>,
    /// Block IO weight (relative weight) accepts a weight value between 10 and 1000
    #[arg(long = "blkio-weight")]
    blkio_weight: Option<String>,
    /// Limit read rate (bytes per second) from a device (e.g. --device-read-bps=/dev/sda:1mb)
    #[arg(long = "device-read-bps", value_name = "PATH:RATE")]
    device_read_bps: Vec<String>,
    /// Limit write rate (bytes per second) to a device (e.g. --device-write-bps=/dev/sda:1mb)
    #[arg(long = "device-write-bps", value_name = "PATH:RATE")]
    device_write_bps: Vec<String>,
    /// Limit read rate (IO per second) from a device (e.g. --device-read-iops=/dev/sda:1000)
    #[arg(long = "device-read-iops", value_name = "PATH:RATE")]
    device_read_iops: Vec<String>,
    /// Limit write rate (IO per second) to a device (e.g. --device-write-iops=/dev/sda:1000)
    #[arg(long = "device-write-iops", value_name = "PATH:RATE")]
    device_write_iops: Vec<String>,
    /// Block IO weight (relative device weight, format: `DEVICE_NAME:WEIGHT`)
    #[arg(long = "blkio-weight-device", value_name = "DEVICE_NAME:WEIGHT")]
    blkio_weight_device: Vec<String>,
    /// Limit the CPU real-time period in microseconds
    #[arg(long = "cpu-rt-period")]
    cpu_rt_period: Option<String>,
    /// Limit the CPU real-time runtime in microseconds
    #[arg(long = "cpu-rt-runtime", allow_hyphen_values = true)]
    cpu_rt_runtime: Option<String>,
}

/// Settings of `create`/`run` that need no cgroup.
#[derive(Args, Debug, Clone, Default)]
pub struct ProcessLimitArgs {
    /// Tune the host's OOM preferences (-1000 to 1000)
    #[arg(long = "oom-score-adj", allow_hyphen_values = true)]
    oom_score_adj: Option<String>,
    /// Size of /dev/shm (format: <number>[<unit>])
    #[arg(long = "shm-size")]
    shm_size: Option<String>,
    /// Disable OOM Killer
    #[arg(long = "oom-kill-disable", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    oom_kill_disable: Option<bool>,
}

pub fn options(l: &LimitArgs, p: Option<&ProcessLimitArgs>) -> ResourceOptions {
    ResourceOptions {
        memory: l.memory.clone(),
        memory_swap: l.memory_swap.clone(),
        memory_reservation: l.memory_reservation.clone(),
        cpus: l.cpus.clone(),
        cpu_shares: l.cpu_shares.clone(),
        cpuset_cpus: l.cpuset_cpus.clone(),
        pids_limit: l.pids_limit.clone(),
        oom_score_adj: p.and_then(|p| p.oom_score_adj.clone()),
        shm_size: p.and_then(|p| p.shm_size.clone()),
        cpu_period: l.cpu_period.clone(),
        cpu_quota: l.cpu_quota.clone(),
        cpuset_mems: l.cpuset_mems.clone(),
        memory_swappiness: l.memory_swappiness.clone(),
        oom_kill_disable: p.and_then(|p| p.oom_kill_disable),
        blkio_weight: l.blkio_weight.clone(),
        device_read_bps: l.device_read_bps.clone(),
        device_write_bps: l.device_write_bps.clone(),
        device_read_iops: l.device_read_iops.clone(),
        device_write_iops: l.device_write_iops.clone(),
        cpu_rt_period: l.cpu_rt_period.clone(),
        cpu_rt_runtime: l.cpu_rt_runtime.clone(),
        blkio_weight_device: l.blkio_weight_device.clone(),
        rdt_class: None,
    }
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    #[command(flatten)]
    limits: LimitArgs,
    /// Container to update
    container: String,
}

pub fn update(rt: &Runtime, a: UpdateArgs) -> Outcome {
    let opts = options(&a.limits, None);
    if opts.is_empty() {
        return Err(Failure::new(
            "nothing to update: give at least one limit, e.g. --memory 256m",
        ));
    }
    let c = rt.update(&a.container, &opts)?;
    println!("{}", c.id);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct PauseArgs {
    /// Pause all running containers
    #[arg(short = 'a', long)]
    all: bool,
    names: Vec<String>,
}

fn pause_or_unpause(rt: &Runtime, a: PauseArgs, pause: bool) -> Outcome {
    let names: Vec<String> = if a.all {
        let want = if pause {
            libpod::Status::Running
        } else {
            libpod::Status::Paused
        };
        rt.list()?
            .into_iter()
            .filter(|c| c.status() == want)
            .map(|c| c.name)
            .collect()
    } else if a.names.is_empty() {
        return Err(Failure::new(format!(
            "you must provide at least one container name or ID (or --all) to {}",
            if pause { "pause" } else { "unpause" }
        )));
    } else {
        a.names
    };
    let mut failed = None;
    for n in &names {
        let r = if pause { rt.pause(n) } else { rt.unpause(n) };
        match r {
            Ok(_) => println!("{n}"),
            Err(e) => {
                if let Some(prev) = failed.replace(Failure::from(e)) {
                    eprintln!("Error: {}", prev.message);
                }
            }
        }
    }
    failed.map_or(Ok(0), Err)
}

pub fn pause(rt: &Runtime, a: PauseArgs) -> Outcome {
    pause_or_unpause(rt, a, true)
}

pub fn unpause(rt: &Runtime, a: PauseArgs) -> Outcome {
    pause_or_unpause(rt, a, false)
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Show all containers (default shows running ones only)
    #[arg(short = 'a', long)]
    all: bool,
    /// Disable streaming stats and only pull the first result
    #[arg(long = "no-stream")]
    no_stream: bool,
    /// Pretty-print container statistics to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Time in seconds between stats reports
    #[arg(short = 'i', long, default_value_t = 5)]
    interval: u64,
    containers: Vec<String>,
}

fn pct(v: f64) -> String {
    format!("{v:.2}%")
}

fn stats_rows(rt: &Runtime, a: &StatsArgs) -> Result<Vec<Value>, Failure> {
    let targets: Vec<libpod::Container> = if a.containers.is_empty() {
        rt.list()?
            .into_iter()
            .filter(|c| {
                a.all || matches!(c.status(), libpod::Status::Running | libpod::Status::Paused)
            })
            .collect()
    } else {
        a.containers
            .iter()
            .map(|n| rt.lookup(n))
            .collect::<Result<_, _>>()?
    };
    container_rows(rt, targets, a.no_trunc)
}

/// One `stats` row per container (zeros for one not running); also `pod stats`'s source.
pub(crate) fn container_rows(
    rt: &Runtime,
    targets: Vec<libpod::Container>,
    no_trunc: bool,
) -> Result<Vec<Value>, Failure> {
    // Checked even with nothing running: stats must not pretend to work without cgroups.
    rt.cgroups_usable().map_err(|why| {
        Failure::new(format!(
            "stats needs cgroups, which this user cannot use: {why} (see `burrow system doctor`)"
        ))
    })?;
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    let mut rows = Vec::new();
    for c in targets {
        let running = matches!(c.status(), libpod::Status::Running | libpod::Status::Paused);
        let (s, c) = if running {
            let (c, s) = rt.stats(&c.id)?;
            (s, c)
        } else {
            (libpod::cgroups::Stats::default(), c)
        };
        let up = (now - c.state.started).max(1) as f64;
        let cpu = if running {
            s.cpu_nanos as f64 / up * 100.0
        } else {
            0.0
        };
        let mem_pct = if s.memory_limit > 0 {
            s.memory_usage as f64 / s.memory_limit as f64 * 100.0
        } else {
            0.0
        };
        let id = if no_trunc {
            c.id.clone()
        } else {
            c.short_id().to_string()
        };
        rows.push(json!({
            "ID": id,
            "ContainerID": c.id,
            "Name": c.name,
            "CPUPerc": pct(cpu),
            "AVGCPU": pct(cpu),
            "CPU": cpu,
            "CPUNano": s.cpu_nanos,
            "CPUTime": format!("{:.6}s", s.cpu_nanos as f64 / 1e9),
            "MemUsage": format!("{} / {}", human_size(s.memory_usage), human_size(s.memory_limit)),
            "MemUsageBytes": s.memory_usage,
            "MemLimit": s.memory_limit,
            "MemPerc": pct(mem_pct),
            "NetIO": "-- / --",
            "BlockIO": format!("{} / {}", human_size(s.block_read), human_size(s.block_write)),
            "PIDs": s.pids,
            "PIDS": s.pids,
            "UpTime": format!("{:.6}s", up / 1e9),
        }));
    }
    Ok(rows)
}

fn stats_header(f: &str) -> String {
    match f {
        "ID" | "ContainerID" => "ID".into(),
        "CPUPerc" => "CPU %".into(),
        "MemUsage" => "MEM USAGE / LIMIT".into(),
        "MemPerc" => "MEM %".into(),
        "NetIO" => "NET IO".into(),
        "BlockIO" => "BLOCK IO".into(),
        "CPUTime" => "CPU TIME".into(),
        "AVGCPU" => "AVG CPU %".into(),
        other => other.to_uppercase(),
    }
}

const STATS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.CPUTime}}\t{{.AVGCPU}}";

pub fn stats(rt: &Runtime, a: StatsArgs) -> Outcome {
    loop {
        let rows = stats_rows(rt, &a)?;
        if a.format.as_deref() == Some("json") {
            // podman's stats JSON uses lower-case keys.
            let items: Vec<Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "id": r["ID"], "name": r["Name"], "cpu_time": r["CPUTime"],
                        "cpu_percent": r["CPUPerc"], "avg_cpu": r["AVGCPU"],
                        "mem_usage": r["MemUsage"], "mem_percent": r["MemPerc"],
                        "net_io": r["NetIO"], "block_io": r["BlockIO"], "pids": r["PIDs"].to_string(),
                    })
                })
                .collect();
            crate::output::print_json(&Value::Array(items));
        } else {
            let fmt = a.format.clone().unwrap_or_else(|| STATS_TABLE.to_string());
            crate::output::print_formatted(&fmt, rows, &stats_header)?;
        }
        if a.no_stream {
            return Ok(0);
        }
        std::thread::sleep(std::time::Duration::from_secs(a.interval.max(1)));
    }
}
