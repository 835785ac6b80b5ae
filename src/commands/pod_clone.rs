//! `pod clone`: a copy of a pod and its containers, optionally started, the source optionally
//! gone.

use std::path::PathBuf;

use clap::Args;
use libpod::Runtime;
use libpod::runtime::PodCloneOptions;

use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct CloneArgs {
    /// The pod to clone
    pod: String,
    /// Name of the new pod (as --name)
    #[arg(value_name = "NAME")]
    new_name: Option<String>,
    /// Assign a name to the clone
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// Remove the original pod and its containers
    #[arg(long)]
    destroy: bool,
    /// Start the clone
    #[arg(long)]
    start: bool,
    /// Set the clone's hostname
    #[arg(long)]
    hostname: Option<String>,
    /// Set metadata on the clone (key=value), over the original's
    #[arg(short = 'l', long)]
    label: Vec<String>,
    /// The name used as infra container name
    #[arg(long = "infra-name")]
    infra_name: Option<String>,
    /// Write the pid of the infra container's monitor to the file
    #[arg(long = "infra-conmon-pidfile", value_name = "PATH")]
    infra_conmon_pidfile: Option<PathBuf>,
}

/// podman prints the clone's ID.
pub fn clone(rt: &Runtime, a: CloneArgs) -> Outcome {
    if a.name.is_some() && a.new_name.is_some() {
        return Err(Failure::new(
            "cannot specify the new pod's name twice: use either --name or the NAME argument",
        ));
    }
    let pod = rt.pod_clone(
        &a.pod,
        &PodCloneOptions {
            name: a.name.or(a.new_name),
            hostname: a.hostname,
            labels: a.label,
            infra_name: a.infra_name,
            infra_conmon_pidfile: a.infra_conmon_pidfile,
            destroy: a.destroy,
            start: a.start,
        },
    )?;
    println!("{}", pod.id);
    Ok(0)
}
