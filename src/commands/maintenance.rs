//! `system df`, `system prune`, `system reset`, `system migrate`, `system check` and
//! `system doctor`.

use super::confirm;

use clap::Args;
use libpod::Runtime;
use serde_json::{Value, json};

use super::{Failure, Outcome};
use crate::output::{ago, print_table};

/// podman's df sizes: "5.88MB", no space.
fn size(bytes: u64) -> String {
    crate::output::human_size(bytes).replace(' ', "")
}

fn reclaim(bytes: u64, total: u64) -> String {
    let pct = if total > 0 {
        bytes as f64 * 100.0 / total as f64
    } else {
        0.0
    };
    format!("{} ({:.0}%)", size(bytes), pct)
}

#[derive(Args, Debug)]
pub struct DfArgs {
    /// Show detailed information on disk usage
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Pretty-print output as JSON or with a Go template
    #[arg(long)]
    format: Option<String>,
}

pub fn df(rt: &Runtime, a: DfArgs) -> Outcome {
    let du = rt.disk_usage()?;
    if a.verbose {
        return df_verbose(&du);
    }
    let img_total: u64 = du.images.iter().map(|(i, _)| i.size).sum();
    let img_reclaim: u64 = du
        .images
        .iter()
        .filter(|(_, n)| *n == 0)
        .map(|(i, _)| i.size)
        .sum();
    let running = |c: &libpod::ContainerSummary| {
        matches!(c.status(), libpod::Status::Running | libpod::Status::Paused)
    };
    let ctr_total: u64 = du.containers.iter().map(|c| c.size).sum();
    let ctr_reclaim: u64 = du
        .containers
        .iter()
        .filter(|c| !running(&c.container))
        .map(|c| c.size)
        .sum();
    let vol_total: u64 = du.volumes.iter().map(|v| v.1).sum();
    let vol_reclaim: u64 = du.volumes.iter().filter(|v| v.2 == 0).map(|v| v.1).sum();
    let row = |kind: &str, total: usize, active: usize, sz: u64, rec: u64| {
        json!({
            "Type": kind,
            "Total": total,
            "TotalCount": total,
            "Active": active,
            "RawSize": sz,
            "RawReclaimable": rec,
            "Size": size(sz),
            "Reclaimable": reclaim(rec, sz),
        })
    };
    let rows = vec![
        row(
            "Images",
            du.images.len(),
            du.images.iter().filter(|(_, n)| *n > 0).count(),
            img_total,
            img_reclaim,
        ),
        row(
            "Containers",
            du.containers.len(),
            du.containers
                .iter()
                .filter(|c| running(&c.container))
                .count(),
            ctr_total,
            ctr_reclaim,
        ),
        row(
            "Local Volumes",
            du.volumes.len(),
            du.volumes.iter().filter(|v| v.2 > 0).count(),
            vol_total,
            vol_reclaim,
        ),
    ];
    let fmt = a.format.unwrap_or_else(|| {
        "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}".to_string()
    });
    crate::output::print_formatted(&fmt, rows, &|f| f.to_uppercase())
}

fn df_verbose(du: &libpod::runtime::DiskUsage) -> Outcome {
    println!("Images space usage:\n");
    let mut rows = vec![
        [
            "REPOSITORY",
            "TAG",
            "IMAGE ID",
            "CREATED",
            "SIZE",
            "SHARED SIZE",
            "UNIQUE SIZE",
            "CONTAINERS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (img, n) in &du.images {
        let name = img.names.first().cloned().unwrap_or_default();
        let (repo, tag) = match name.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
            _ => ("<none>".to_string(), "<none>".to_string()),
        };
        let created = img.created.timestamp_nanos_opt().unwrap_or(0);
        rows.push(vec![
            repo,
            tag,
            img.id[..12.min(img.id.len())].to_string(),
            ago(created),
            size(img.size),
            size(0),
            size(img.size),
            n.to_string(),
        ]);
    }
    print_table(&rows);
    println!("\nContainers space usage:\n");
    let mut rows = vec![
        [
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "LOCAL VOLUMES",
            "SIZE",
            "CREATED",
            "STATUS",
            "NAMES",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for cu in &du.containers {
        let c = &cu.container;
        let vols = c.mounts.iter().filter(|m| m.kind == "volume").count();
        rows.push(vec![
            c.short_id().to_string(),
            c.image_id[..12.min(c.image_id.len())].to_string(),
            c.command.clone(),
            vols.to_string(),
            size(cu.size),
            ago(c.created),
            c.status().as_str().to_string(),
            c.name.clone(),
        ]);
    }
    print_table(&rows);
    println!("\nLocal Volumes space usage:\n");
    let mut rows = vec![vec![
        "VOLUME NAME".to_string(),
        "LINKS".into(),
        "SIZE".into(),
    ]];
    for (name, sz, links) in &du.volumes {
        rows.push(vec![name.clone(), links.to_string(), size(*sz)]);
    }
    print_table(&rows);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short = 'a', long)]
    all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Prune volumes
    #[arg(long)]
    volumes: bool,
}

pub fn prune(rt: &Runtime, a: PruneArgs) -> Outcome {
    if !a.force {
        let mut w = String::from("WARNING! This command removes:\n\t- all stopped containers\n");
        if a.volumes {
            w.push_str("\t- all volumes not used by at least one container\n");
        }
        w.push_str(if a.all {
            "\t- all images without at least one container associated with them\n"
        } else {
            "\t- all dangling images\n"
        });
        if !confirm(&w) {
            return Ok(0);
        }
    }
    let r = rt.system_prune(a.all, a.volumes)?;
    if !r.containers.is_empty() {
        println!("Deleted Containers");
        for c in &r.containers {
            println!("{c}");
        }
    }
    if !r.volumes.is_empty() {
        println!("Deleted Volumes");
        for v in &r.volumes {
            println!("{v}");
        }
    }
    if !r.images.is_empty() {
        println!("Deleted Images");
        for i in &r.images {
            println!("{i}");
        }
    }
    println!("Total reclaimed space: {}", size(r.reclaimed));
    Ok(0)
}

#[derive(Args, Debug)]
pub struct ResetArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

pub fn reset(rt: &Runtime, a: ResetArgs) -> Outcome {
    if !a.force
        && !confirm(
            "WARNING! This will remove:\n\t- all containers\n\t- all pods\n\t- all images\n\t- all networks\n\t- all build cache\n\t- all machines\n\t- all volumes",
        )
    {
        return Ok(0);
    }
    rt.reset()?;
    Ok(0)
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Set a new OCI runtime (accepted for compatibility; burrow has its own executor)
    #[arg(long = "new-runtime")]
    new_runtime: Option<String>,
}

pub fn migrate(rt: &Runtime, a: MigrateArgs) -> Outcome {
    if let Some(r) = a.new_runtime {
        return Err(Failure::new(format!(
            "cannot migrate to OCI runtime \"{r}\": burrow runs containers with its built-in executor"
        )));
    }
    let n = rt.migrate()?;
    if n > 0 {
        println!(
            "stopped {n} running container(s); start them again to use the new user namespace"
        );
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Remove inconsistent images, layers and records
    #[arg(short = 'r', long)]
    repair: bool,
    /// Skip time-consuming checks (layer contents are not re-hashed either way)
    #[arg(short = 'q', long)]
    quick: bool,
    /// Remove container data for containers whose image is damaged (accepted; see --repair)
    #[arg(short = 'f', long)]
    force: bool,
    /// Ignore layers older than this when looking for orphans (accepted for compatibility)
    #[arg(short = 'm', long = "max")]
    max: Option<String>,
}

pub fn check(rt: &Runtime, a: CheckArgs) -> Outcome {
    let _ = (a.quick, a.force, &a.max);
    let findings = rt.check(a.repair)?;
    if findings.is_empty() {
        println!("No problems found");
        return Ok(0);
    }
    let mut left = 0;
    for f in &findings {
        if f.repaired {
            println!("{}: repaired", f.what);
        } else {
            left += 1;
            println!("{}", f.what);
        }
    }
    if left > 0 {
        return Err(Failure::new(format!(
            "{left} problem(s) found{}: run `burrow system check --repair` to fix them",
            if a.repair {
                " that could not be repaired"
            } else {
                ""
            }
        )));
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Print the checks as JSON
    #[arg(long)]
    format: Option<String>,
}

/// Exit 1 when a prerequisite is missing, so scripts can test for a usable host.
pub fn doctor(a: &DoctorArgs) -> Outcome {
    let checks = libpod::doctor::run();
    let failed = checks.iter().filter(|c| !c.ok).count();
    match a.format.as_deref() {
        Some("json") => {
            crate::output::print_json(&serde_json::to_value(&checks).unwrap_or(Value::Null))
        }
        Some(f) => {
            let t = crate::template::Template::parse(f).map_err(Failure::new)?;
            for c in &checks {
                let v = serde_json::to_value(c).unwrap_or(Value::Null);
                println!("{}", t.execute(&v).map_err(Failure::new)?);
            }
        }
        None => {
            for c in &checks {
                if c.ok {
                    println!("[ ok ] {}: {}", c.name, c.detail);
                } else {
                    println!("[FAIL] {}: {}", c.name, c.detail);
                    println!("       fix: {}", c.fix);
                }
            }
            if failed > 0 {
                println!("\n{failed} problem(s) found");
            } else {
                println!("\nAll prerequisites are met");
            }
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
