//! `container cleanup`: unmount and release what stopped containers still hold, optionally
//! removing them (and their images).

use clap::Args;
use libpod::Runtime;
use libpod::runtime::CleanupOptions;

use super::all_or_names;
use crate::commands::{Failure, Outcome, each};

#[derive(Args, Debug)]
pub struct CleanupArgs {
    /// Clean up all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container burrow is aware of
    #[arg(short = 'l', long, conflicts_with = "all")]
    latest: bool,
    /// Clean up an exec session for a single container (burrow keeps no exec session files)
    #[arg(long, value_name = "SESSION", conflicts_with_all = ["all", "rmi"])]
    exec: Option<String>,
    /// After cleanup, remove the container entirely
    #[arg(long)]
    rm: bool,
    /// After cleanup, remove the image entirely
    #[arg(long)]
    rmi: bool,
    #[arg(conflicts_with_all = ["all", "latest"])]
    names: Vec<String>,
}

/// Prints each container as given (its ID with `--all`), as podman does; a running container
/// is an error with `--all` too.
pub fn cleanup(rt: &Runtime, a: CleanupArgs) -> Outcome {
    let names = if a.latest {
        let latest = rt.list()?.into_iter().max_by_key(|c| c.created);
        latest.map(|c| c.id).into_iter().collect()
    } else {
        // `--all` takes the containers that are not running: podman's cleans those only.
        all_or_names(rt, a.all, a.names, |c| {
            !matches!(c.status(), libpod::Status::Running | libpod::Status::Paused)
        })?
    };
    if a.exec.is_some() {
        if names.len() != 1 {
            return Err(Failure::new(
                "exec sessions can only be cleaned up on a single container",
            ));
        }
        // burrow records no exec sessions on disk: the session's process and its files go
        // with the `exec` command, so there is nothing to clean but the container lookup.
        rt.lookup(&names[0])?;
        println!("{}", names[0]);
        return Ok(0);
    }
    let o = CleanupOptions {
        remove: a.rm,
        remove_image: a.rmi,
    };
    each(&names, |n| {
        rt.cleanup(n, o)?;
        println!("{n}");
        Ok(())
    })
}
