//! `volume create/ls/inspect/rm/prune/exists/import/export`: thin adapters over libpod's
//! volume calls, printing what podman prints.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::filter::prune::PruneFilters;
use libpod::runtime::VolumeCreateOptions;
use serde_json::Value;

use super::{Failure, Outcome};
use crate::output::print_formatted;
use crate::output::{print_json, print_table};

#[derive(Args, Debug)]
pub struct VolumeCmd {
    #[command(subcommand)]
    sub: VolumeSub,
}

#[derive(Subcommand, Debug)]
enum VolumeSub {
    /// Create a new volume
    Create(CreateArgs),
    /// List volumes
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more volumes
    Inspect(InspectArgs),
    /// Remove one or more volumes
    #[command(alias = "remove")]
    Rm(RmArgs),
    /// Remove all unused volumes
    Prune(PruneArgs),
    /// Check if the given volume exists
    Exists(ExistsArgs),
    /// Import a tarball contents into a volume
    Import(ImportArgs),
    /// Export volume to a tar archive
    Export(ExportArgs),
    /// Reload all volumes from volume plugins (burrow has none: nothing added or removed)
    Reload,
    /// Mount volume
    Mount(MountArgs),
    /// Unmount volume
    #[command(alias = "umount")]
    Unmount(MountArgs),
}

#[derive(Args, Debug)]
pub struct MountArgs {
    #[arg(required = true)]
    volumes: Vec<String>,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Volume name (a random one when not given)
    name: Option<String>,
    /// Volume driver name
    #[arg(short = 'd', long, default_value = "local")]
    driver: String,
    /// Set driver specific options (type=, device=, o=)
    #[arg(short = 'o', long = "opt")]
    opt: Vec<String>,
    /// Set metadata for a volume (e.g., --label mykey=value)
    #[arg(short = 'l', long)]
    label: Vec<String>,
    /// Don't fail if volume already exists
    #[arg(long)]
    ignore: bool,
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// Filter volume output (name=, label=, driver=, dangling=)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Format volume output using JSON or a Go template
    #[arg(long)]
    format: Option<String>,
    /// Print volume output in quiet mode
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not print headers
    #[arg(long)]
    noheading: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    names: Vec<String>,
    /// Inspect all volumes
    #[arg(short = 'a', long)]
    all: bool,
    /// Format volume output using JSON or a Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    names: Vec<String>,
    /// Remove all volumes
    #[arg(short = 'a', long)]
    all: bool,
    /// Remove a volume by force, even if it is being used by a container
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>')
    #[arg(long)]
    filter: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExistsArgs {
    name: String,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The volume to fill
    volume: String,
    /// A tar archive (plain or compressed), or - for standard input
    source: String,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    volume: String,
    /// Write to a specified file (default: stdout, which must be redirected)
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
}

pub fn group(rt: &Runtime, c: VolumeCmd) -> Outcome {
    match c.sub {
        VolumeSub::Create(a) => create(rt, a),
        VolumeSub::Ls(a) => ls(rt, a),
        VolumeSub::Inspect(a) => inspect(rt, a),
        VolumeSub::Rm(a) => rm(rt, a),
        VolumeSub::Prune(a) => prune(rt, a),
        VolumeSub::Exists(a) => Ok(if rt.volume(&a.name).is_ok() { 0 } else { 1 }),
        VolumeSub::Import(a) => import(rt, a),
        VolumeSub::Export(a) => export(rt, a),
        // podman prints "Added:"/"Removed:" per plugin volume; with only local volumes, none.
        VolumeSub::Reload => Ok(0),
        // podman prints each mount point, and each volume unmounted.
        VolumeSub::Mount(a) => super::each(&a.volumes, |n| {
            println!("{}", rt.volume_mount(n)?.display());
            Ok(())
        }),
        VolumeSub::Unmount(a) => super::each(&a.volumes, |n| {
            rt.volume_unmount(n)?;
            println!("{n}");
            Ok(())
        }),
    }
}

fn create(rt: &Runtime, a: CreateArgs) -> Outcome {
    let v = rt.volume_create(&VolumeCreateOptions {
        name: a.name,
        driver: Some(a.driver),
        opts: a.opt,
        labels: a.label,
        ignore: a.ignore,
    })?;
    println!("{}", v.name);
    Ok(0)
}

/// `label=KEY` or `label=KEY=VALUE` against a volume's labels.
fn ls(rt: &Runtime, a: LsArgs) -> Outcome {
    let vols = rt.volumes_filtered(&a.filter)?;
    if a.quiet {
        for v in &vols {
            println!("{}", v.name);
        }
        return Ok(0);
    }
    if let Some(f) = &a.format {
        let items = vols
            .iter()
            .map(|v| rt.volume_json(v))
            .collect::<libpod::Result<Vec<Value>>>()?;
        return print_formatted(f, items, &|h| match h {
            "Name" => "VOLUME NAME".into(),
            other => other.to_uppercase(),
        });
    }
    let mut rows = Vec::new();
    if !a.noheading {
        rows.push(vec!["DRIVER".to_string(), "VOLUME NAME".to_string()]);
    }
    for v in &vols {
        rows.push(vec![v.config.driver.clone(), v.name.clone()]);
    }
    print_table(&rows);
    Ok(0)
}

fn inspect(rt: &Runtime, a: InspectArgs) -> Outcome {
    let names: Vec<String> = if a.all {
        rt.volumes()?.into_iter().map(|v| v.name).collect()
    } else if a.names.is_empty() {
        return Err(Failure::new(
            "provide one or more volume names or use --all",
        ));
    } else {
        a.names
    };
    let mut items = Vec::new();
    for n in &names {
        items.push(rt.volume_json(&rt.volume(n)?)?);
    }
    match a.format.as_deref() {
        None | Some("json") => print_json(&Value::Array(items)),
        Some(f) => {
            let tmpl = crate::template::Template::parse(f).map_err(Failure::new)?;
            for i in &items {
                println!("{}", tmpl.execute(i).map_err(Failure::new)?);
            }
        }
    }
    Ok(0)
}

fn rm(rt: &Runtime, a: RmArgs) -> Outcome {
    let names: Vec<String> = if a.all {
        rt.volumes()?.into_iter().map(|v| v.name).collect()
    } else if a.names.is_empty() {
        return Err(Failure::new("choose either one or more volumes or all"));
    } else {
        a.names
    };
    super::each(&names, |n| {
        rt.volume_remove(n, a.force).map_err(Failure::removal)?;
        println!("{n}");
        Ok(())
    })
}

fn prune(rt: &Runtime, a: PruneArgs) -> Outcome {
    let filters = PruneFilters::parse(&a.filter)?;
    if !a.force
        && !super::confirm(
            "WARNING! This will remove all volumes not used by at least one container.",
        )
    {
        return Ok(0);
    }
    let removed = rt.volume_prune(|v| !filters.matches(&v.config.labels))?;
    for n in removed {
        println!("{n}");
    }
    Ok(0)
}

fn import(rt: &Runtime, a: ImportArgs) -> Outcome {
    // The volume is checked first, so a missing one fails before any input is read.
    rt.volume(&a.volume)?;
    if a.source == "-" {
        rt.volume_import(&a.volume, std::io::stdin().lock())?;
    } else {
        let f = std::fs::File::open(&a.source)
            .map_err(|e| Failure::new(format!("open {}: {e}", a.source)))?;
        rt.volume_import(&a.volume, std::io::BufReader::new(f))?;
    }
    Ok(0)
}

fn export(rt: &Runtime, a: ExportArgs) -> Outcome {
    rt.volume(&a.volume)?;
    match &a.output {
        Some(p) => {
            let f = std::fs::File::create(p)
                .map_err(|e| Failure::new(format!("create {}: {e}", p.display())))?;
            rt.volume_export(&a.volume, std::io::BufWriter::new(f))?;
        }
        None => {
            if std::io::stdout().is_terminal() {
                return Err(Failure::new(
                    "cannot write the volume's tar archive to a terminal: redirect the output or use --output",
                ));
            }
            rt.volume_export(&a.volume, std::io::stdout().lock())?;
        }
    }
    Ok(0)
}
