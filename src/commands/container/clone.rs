//! `container clone`: a copy of a container, optionally started, the source optionally gone.

use clap::Args;
use libpod::Runtime;
use libpod::runtime::CloneOptions;

use crate::commands::Outcome;
use crate::commands::resources::{LimitArgs, options};

#[derive(Args, Debug)]
pub struct CloneArgs {
    /// The container to clone
    container: String,
    /// Name of the new container (as --name)
    #[arg(value_name = "NAME")]
    new_name: Option<String>,
    /// Image of the new container
    image: Option<String>,
    /// Assign a name to the clone
    #[arg(long, conflicts_with = "new_name")]
    name: Option<String>,
    /// Remove the original container
    #[arg(long)]
    destroy: bool,
    /// Start the clone
    #[arg(long)]
    run: bool,
    /// With --destroy, remove the original even if it runs
    #[arg(short = 'f', long)]
    force: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

/// podman prints the clone's ID; the source goes only once the clone exists.
pub fn clone(rt: &Runtime, a: CloneArgs) -> Outcome {
    let c = rt.container_clone(
        &a.container,
        &CloneOptions {
            name: a.name.or(a.new_name),
            image: a.image,
            resources: options(&a.limits, None),
        },
    )?;
    if a.destroy {
        rt.remove(&a.container, a.force, false)?;
    }
    if a.run {
        rt.start_detached(&c)?;
    }
    println!("{}", c.id);
    Ok(0)
}
