//! `mount` / `umount`: a container's root file system on the host (in the user's namespace),
//! and the list of those mounted.

use clap::Args;
use libpod::Runtime;

use super::latest_or_names;
use crate::commands::{Failure, Outcome, each};

#[derive(Args, Debug)]
pub struct MountArgs {
    /// Mount all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container burrow is aware of
    #[arg(short = 'l', long, conflicts_with = "all")]
    latest: bool,
    /// Print the mounted containers in specified format (json)
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    #[arg(conflicts_with_all = ["all", "latest"])]
    names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct UmountArgs {
    /// Umount all mounted containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Force the complete umount of the specified mounted containers
    #[arg(short = 'f', long)]
    force: bool,
    /// Act on the latest container burrow is aware of
    #[arg(short = 'l', long, conflicts_with = "all")]
    latest: bool,
    #[arg(conflicts_with_all = ["all", "latest"])]
    names: Vec<String>,
}

/// With names (`--all`, `--latest`), mounts them and prints each path; without, lists the
/// mounted containers as podman does (`ID<TAB>PATH`, or `--format json`).
pub fn mount(rt: &Runtime, a: MountArgs) -> Outcome {
    if a.all || a.latest || !a.names.is_empty() {
        let names = latest_or_names(rt, a.all, a.latest, a.names, |_| true)?;
        return each(&names, |n| {
            println!("{}", rt.mount(n)?.display());
            Ok(())
        });
    }
    let mounted = rt.mounted()?;
    match a.format.as_deref() {
        Some("json") => {
            let list: Vec<serde_json::Value> = mounted
                .iter()
                .map(|(c, path)| {
                    serde_json::json!({"id": c.id, "Names": [c.name], "mountpoint": path})
                })
                .collect();
            let text = crate::output::json_text(&list, b" ")
                .map_err(|e| Failure::new(format!("encode the list: {e}")))?;
            println!("{text}");
        }
        None | Some("") => {
            for (c, path) in &mounted {
                let id = if a.no_trunc { &c.id } else { c.short_id() };
                println!("{id}\t{}", path.display());
            }
        }
        Some(other) => {
            return Err(Failure::new(format!(
                "unknown --format argument: {other:?}"
            )));
        }
    }
    Ok(0)
}

/// Prints each container as given (its ID with `--all`). `--force` is podman's "however many
/// times it was mounted": burrow mounts a container once, so a plain umount is complete.
pub fn umount(rt: &Runtime, a: UmountArgs) -> Outcome {
    let _ = a.force;
    let names = if a.all {
        rt.mounted()?.into_iter().map(|(c, _)| c.id).collect()
    } else {
        latest_or_names(rt, false, a.latest, a.names, |_| true)?
    };
    each(&names, |n| {
        rt.unmount(n)?;
        println!("{n}");
        Ok(())
    })
}
