//! `init` / `container init`: prepare containers without running their command.

use clap::Args;
use libpod::Runtime;

use super::latest_or_names;
use crate::commands::{Outcome, each};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Initialize all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container burrow is aware of
    #[arg(short = 'l', long, conflicts_with = "all")]
    latest: bool,
    #[arg(conflicts_with_all = ["all", "latest"])]
    names: Vec<String>,
}

/// Prints each container as given (its ID with `--all`), as podman does. With `--all`, the
/// containers already initialized or running are skipped, not errors.
pub fn init(rt: &Runtime, a: InitArgs) -> Outcome {
    let names = latest_or_names(rt, a.all, a.latest, a.names, |_| true)?;
    each(&names, |n| match rt.init(n) {
        Ok(_) => {
            println!("{n}");
            Ok(())
        }
        Err(libpod::LibpodError::InvalidState(_)) if a.all => Ok(()),
        Err(e) => Err(e.into()),
    })
}
