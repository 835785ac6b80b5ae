//! Container commands: run, create, start, stop, kill, restart, rm, wait, rename, ps, logs,
//! exec, inspect, top, mount, umount, and the `container` group.

mod checkpoint;
mod cleanup;
mod clone;
mod exec;
mod health;
mod init;
mod inspect;
mod lifecycle;
mod list;
mod logs;
mod mount;
mod port;
mod run;
mod run_more;
mod runlabel;

use clap::{Args, Subcommand};
use libpod::{Container, Runtime};

pub use exec::{AttachArgs, ExecArgs, TopArgs, attach, exec, top};
pub use health::{HealthcheckCmd, healthcheck};
pub use init::{InitArgs, init};
pub use inspect::{InspectArgs, inspect};
pub use lifecycle::{
    KillArgs, RenameArgs, RmArgs, StartArgs, StopArgs, kill, rename, restart, rm, start, stop, wait,
};
pub use list::{PsArgs, ps};
pub(crate) use logs::parse_time;
pub use logs::{LogsArgs, logs};
pub use mount::{MountArgs, UmountArgs, mount, umount};
pub use port::{PortArgs, port};
pub use run::{CreateArgs, RunArgs, create, run};

use super::{Failure, Outcome};

fn all_or_names(
    rt: &Runtime,
    all: bool,
    names: Vec<String>,
    filter: impl Fn(&Container) -> bool,
) -> Result<Vec<String>, Failure> {
    if all {
        return Ok(rt
            .list()?
            .into_iter()
            .filter(|c| filter(c))
            .map(|c| c.id)
            .collect());
    }
    if names.is_empty() {
        return Err(Failure::new(
            "you must provide at least one container name or ID",
        ));
    }
    Ok(names)
}

/// `--latest` (the newest container), `--all` (those `filter` passes), or the names given.
fn latest_or_names(
    rt: &Runtime,
    all: bool,
    latest: bool,
    names: Vec<String>,
    filter: impl Fn(&Container) -> bool,
) -> Result<Vec<String>, Failure> {
    if latest {
        let newest = rt.list()?.into_iter().max_by_key(|c| c.created);
        return Ok(newest.map(|c| c.id).into_iter().collect());
    }
    all_or_names(rt, all, names, filter)
}

#[derive(Args, Debug)]
pub struct NamesArgs {
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ContainerCmd {
    #[command(subcommand)]
    cmd: ContainerSub,
}

#[derive(Subcommand, Debug)]
enum ContainerSub {
    /// Run a command in a new container
    Run(RunArgs),
    /// Create but do not start a container
    Create(CreateArgs),
    /// Start one or more containers
    Start(StartArgs),
    /// Stop one or more containers
    Stop(StopArgs),
    /// Kill one or more running containers
    Kill(KillArgs),
    /// Restart one or more containers
    Restart(StopArgs),
    /// Remove one or more containers
    Rm(RmArgs),
    /// Block on one or more containers
    Wait(NamesArgs),
    /// Rename an existing container
    Rename(RenameArgs),
    /// List containers
    #[command(alias = "ls", alias = "ps")]
    List(PsArgs),
    /// Fetch the logs of one or more containers
    Logs(LogsArgs),
    /// Run a process in a running container
    Exec(ExecArgs),
    /// Display the configuration of a container
    Inspect(InspectArgs),
    /// Display the running processes of a container
    Top(TopArgs),
    /// List port mappings or a specific mapping for the container
    Port(PortArgs),
    /// Check if a container exists in local storage
    Exists(ExistsArgs),
    /// Attach to a running container
    Attach(AttachArgs),
    /// Mount a working container's root filesystem
    Mount(MountArgs),
    /// Unmount working container's root filesystem
    #[command(alias = "unmount")]
    Umount(UmountArgs),
    /// Copy files/folders between a container and the local filesystem
    Cp(super::files::CpArgs),
    /// Create new image based on the changed container
    Commit(super::files::CommitArgs),
    /// Inspect changes to the container's file systems
    Diff(super::files::DiffArgs),
    /// Pause all the processes in one or more containers
    Pause(super::resources::PauseArgs),
    /// Unpause the processes in one or more containers
    Unpause(super::resources::PauseArgs),
    /// Update resource limits of a container
    Update(super::resources::UpdateArgs),
    /// Display a live stream of container resource usage statistics
    Stats(super::resources::StatsArgs),
    /// Export a container's filesystem contents as a tar archive
    Export(super::image::ExportArgs),
    /// Remove all stopped containers
    Prune(PruneArgs),
    /// Initialize one or more containers
    Init(InitArgs),
    /// Create a copy of an existing container
    Clone(clone::CloneArgs),
    /// Execute the command described by an image label
    Runlabel(runlabel::RunlabelArgs),
    /// Clean up network and mountpoints of one or more containers
    Cleanup(cleanup::CleanupArgs),
    /// Checkpoint one or more containers (needs CRIU: refused)
    Checkpoint(checkpoint::CheckpointArgs),
    /// Restore one or more containers from a checkpoint (needs CRIU: refused)
    Restore(checkpoint::RestoreArgs),
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Only prune containers matching the filter (label=, label!=, until=)
    #[arg(long)]
    filter: Vec<String>,
}

/// `container prune`: podman's prompt, then the IDs of the containers removed.
fn prune(rt: &Runtime, a: PruneArgs) -> Outcome {
    if !a.force && !super::confirm("WARNING! This will remove all non running containers.") {
        return Ok(0);
    }
    let (removed, _) = rt.container_prune(&a.filter)?;
    for id in removed {
        println!("{id}");
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct ExistsArgs {
    name: String,
}

pub fn group(rt: &Runtime, c: ContainerCmd) -> Outcome {
    match c.cmd {
        ContainerSub::Run(a) => run(rt, a),
        ContainerSub::Create(a) => create(rt, a),
        ContainerSub::Start(a) => start(rt, a),
        ContainerSub::Stop(a) => stop(rt, a),
        ContainerSub::Kill(a) => kill(rt, a),
        ContainerSub::Restart(a) => restart(rt, a),
        ContainerSub::Rm(a) => rm(rt, a),
        ContainerSub::Wait(a) => wait(rt, a),
        ContainerSub::Rename(a) => rename(rt, a),
        ContainerSub::List(a) => ps(rt, a),
        ContainerSub::Logs(a) => logs(rt, a),
        ContainerSub::Exec(a) => exec(rt, a),
        ContainerSub::Inspect(mut a) => {
            a.kind = "container".into();
            inspect(rt, a)
        }
        ContainerSub::Top(a) => top(rt, a),
        ContainerSub::Port(a) => port(rt, a),
        ContainerSub::Exists(a) => Ok(if rt.lookup(&a.name).is_ok() { 0 } else { 1 }),
        ContainerSub::Mount(a) => mount(rt, a),
        ContainerSub::Attach(a) => attach(rt, a),
        ContainerSub::Umount(a) => umount(rt, a),
        ContainerSub::Cp(a) => super::files::cp(rt, a),
        ContainerSub::Commit(a) => super::files::commit(rt, a),
        ContainerSub::Diff(a) => super::files::diff(rt, a),
        ContainerSub::Pause(a) => super::resources::pause(rt, a),
        ContainerSub::Unpause(a) => super::resources::unpause(rt, a),
        ContainerSub::Update(a) => super::resources::update(rt, a),
        ContainerSub::Stats(a) => super::resources::stats(rt, a),
        ContainerSub::Export(a) => super::image::export(rt, a),
        ContainerSub::Prune(a) => prune(rt, a),
        ContainerSub::Init(a) => init(rt, a),
        ContainerSub::Clone(a) => clone::clone(rt, a),
        ContainerSub::Runlabel(a) => runlabel::runlabel(rt, a),
        ContainerSub::Cleanup(a) => cleanup::cleanup(rt, a),
        ContainerSub::Checkpoint(a) => checkpoint::checkpoint(a),
        ContainerSub::Restore(a) => checkpoint::restore(a),
    }
}
