//! `pod stats`: the `stats` figures of the running containers of pods, podman's columns.

use clap::Args;
use libpod::{Runtime, Status};
use serde_json::{Value, json};

use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct PodStatsArgs {
    /// Provide stats for all running pods (the default without pod names)
    #[arg(short = 'a', long)]
    all: bool,
    /// Disable streaming stats and only pull the first result
    #[arg(long = "no-stream")]
    no_stream: bool,
    /// Pretty-print container statistics to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Pods to show (default: all)
    #[arg(conflicts_with = "all")]
    pods: Vec<String>,
}

const POD_STATS_TABLE: &str = "table {{.Pod}}\t{{.CID}}\t{{.Name}}\t{{.CPU}}\t{{.MemUsage}}\t{{.Mem}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}";

/// podman's PodStatsReport: every value a string, keys as the Go fields.
fn rows(rt: &Runtime, a: &PodStatsArgs) -> Result<Vec<Value>, Failure> {
    let pods = if a.pods.is_empty() {
        rt.pods()?
    } else {
        a.pods.iter().map(|n| rt.pod(n)).collect::<Result<_, _>>()?
    };
    let mut out = Vec::new();
    for pod in pods {
        let members: Vec<libpod::Container> = rt
            .pod_containers(&pod)?
            .into_iter()
            .filter(|c| matches!(c.status(), Status::Running | Status::Paused))
            .collect();
        let pod_id = pod.id[..12.min(pod.id.len())].to_string();
        for r in super::resources::container_rows(rt, members, false)? {
            out.push(json!({
                "CPU": r["CPUPerc"],
                "MemUsage": r["MemUsage"],
                "MemUsageBytes": r["MemUsage"],
                "Mem": r["MemPerc"],
                "NetIO": r["NetIO"],
                "BlockIO": r["BlockIO"],
                "PIDS": r["PIDs"].to_string(),
                "Pod": pod_id,
                "CID": r["ID"],
                "Name": r["Name"],
            }));
        }
    }
    Ok(out)
}

fn header(f: &str) -> String {
    match f {
        "CPU" => "CPU %".into(),
        "MemUsage" => "MEM USAGE/ LIMIT".into(),
        "Mem" => "MEM %".into(),
        "NetIO" => "NET IO".into(),
        "BlockIO" => "BLOCK IO".into(),
        other => other.to_uppercase(),
    }
}

pub fn pod_stats(rt: &Runtime, a: PodStatsArgs) -> Outcome {
    loop {
        let rows = rows(rt, &a)?;
        let fmt = a.format.as_deref().unwrap_or(POD_STATS_TABLE);
        crate::output::print_formatted(fmt, rows, &header)?;
        if a.no_stream {
            return Ok(0);
        }
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
}
