//! start, stop, restart, kill, rm, wait, rename, mount and umount.

use clap::Args;
use libpod::runtime::AttachOptions;
use libpod::{Container, Runtime, Status};

use super::{NamesArgs, all_or_names};
use crate::commands::{Failure, Outcome, each};

#[derive(Args, Debug)]
pub struct StartArgs {
    /// Attach container's STDOUT and STDERR
    #[arg(short = 'a', long)]
    attach: bool,
    /// Make STDIN available to the contained process
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Proxy received signals to the process
    #[arg(long = "sig-proxy", default_value_t = true, action = clap::ArgAction::Set)]
    sig_proxy: bool,
    /// Start all containers regardless of their state or configuration
    #[arg(long)]
    all: bool,
    /// Filter what containers are going to be started from the given arguments
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    names: Vec<String>,
}

pub fn start(rt: &Runtime, a: StartArgs) -> Outcome {
    if a.attach || a.interactive {
        if a.names.len() > 1 || a.all {
            return Err(Failure::new(
                "you cannot start and attach multiple containers at once",
            ));
        }
        let c = rt.lookup(&a.names[0])?;
        return Ok(rt.start_attached(
            &c,
            AttachOptions {
                stdin: a.interactive,
                sig_proxy: a.sig_proxy,
            },
        )?);
    }
    // `--all` starts those not running, and prints their ids (podman's raw input for them).
    let names = filtered(rt, a.all, a.names, &a.filter, |s| s != Status::Running)?;
    each(&names, |n| {
        let c = rt.lookup(n)?;
        if c.status() != Status::Running {
            rt.start_detached(&c)?;
        }
        println!("{n}");
        Ok(())
    })
}

/// `all_or_names` with `--filter`: with `--all`, the containers the filters pass (and
/// `wanted` takes by status); else the named containers that pass them, in the given order.
fn filtered(
    rt: &Runtime,
    all: bool,
    names: Vec<String>,
    filters: &[String],
    wanted: impl Fn(Status) -> bool,
) -> Result<Vec<String>, Failure> {
    if filters.is_empty() {
        return all_or_names(rt, all, names, |c| wanted(c.status()));
    }
    let passing = rt.ps(filters, false)?;
    if all {
        return Ok(passing
            .into_iter()
            .filter(|s| wanted(s.status()))
            .map(|s| s.id)
            .collect());
    }
    let names = all_or_names(rt, false, names, |_| true)?;
    let mut kept = Vec::with_capacity(names.len());
    for n in names {
        let c = rt.lookup(&n)?;
        if passing.iter().any(|s| s.id == c.id) {
            kept.push(n);
        }
    }
    Ok(kept)
}

#[derive(Args, Debug)]
pub struct StopArgs {
    /// Stop all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Seconds to wait for stop before killing the container
    #[arg(short = 't', long = "time")]
    time: Option<u32>,
    /// Filter what containers are going to be stopped or restarted from the given arguments
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Do not mark the containers stopped by the user (burrow-restart.service at shutdown)
    #[arg(long = "not-stopped-by-user", hide = true)]
    not_stopped_by_user: bool,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<std::path::PathBuf>,
    /// Ignore errors when a specified container is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    names: Vec<String>,
}

/// The ids in `--cidfile` files (podman: the first line of each); with `ignore`, a missing
/// file names no container.
fn ids_from_cidfiles(files: &[std::path::PathBuf], ignore: bool) -> Result<Vec<String>, Failure> {
    let mut ids = Vec::new();
    for f in files {
        match std::fs::read_to_string(f) {
            Ok(s) => ids.push(s.lines().next().unwrap_or("").to_string()),
            Err(e) if ignore && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                // Go's wording of an errno: lower-case, no "(os error N)".
                let reason = match e.raw_os_error() {
                    Some(n) => nix::errno::Errno::from_raw(n).desc().to_lowercase(),
                    None => e.to_string(),
                };
                return Err(Failure::new(format!(
                    "reading CIDFile: open {}: {reason}",
                    f.display()
                )));
            }
        }
    }
    Ok(ids)
}

pub fn stop(rt: &Runtime, a: StopArgs) -> Outcome {
    let mut given = a.names;
    given.extend(ids_from_cidfiles(&a.cidfile, a.ignore)?);
    if !a.all && given.is_empty() && !a.cidfile.is_empty() {
        return Ok(0);
    }
    let names = filtered(rt, a.all, given, &a.filter, |s| s == Status::Running)?;
    let mut results = rt
        .stop_many(&names, a.time, !a.not_stopped_by_user)
        .into_iter();
    each(&names, |n| match results.next() {
        Some(Ok(_)) => {
            println!("{n}");
            Ok(())
        }
        Some(Err(libpod::LibpodError::NoSuchContainer(_))) if a.ignore => Ok(()),
        Some(Err(e)) => Err(e.into()),
        None => Ok(()),
    })
}

pub fn restart(rt: &Runtime, a: StopArgs) -> Outcome {
    let names = filtered(rt, a.all, a.names, &a.filter, |s| s == Status::Running)?;
    let mut stopped = rt.stop_many(&names, a.time, true).into_iter();
    each(&names, |n| {
        if let Some(c) = stopped.next() {
            rt.start_detached(&c?)?;
            println!("{n}");
        }
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Signal all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Signal to send to the container
    #[arg(short = 's', long, default_value = "KILL")]
    signal: String,
    /// Filter what containers are going to be killed from the given arguments
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Read the container ID from the file
    #[arg(long)]
    cidfile: Vec<std::path::PathBuf>,
    names: Vec<String>,
}

pub fn kill(rt: &Runtime, a: KillArgs) -> Outcome {
    let mut given = a.names;
    given.extend(ids_from_cidfiles(&a.cidfile, false)?);
    // podman: filters without names pick among all the containers.
    let all = a.all || (!a.filter.is_empty() && given.is_empty());
    let names = filtered(rt, all, given, &a.filter, |s| s == Status::Running)?;
    each(&names, |n| {
        rt.kill(n, &a.signal)?;
        println!("{n}");
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Remove all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Force removal of a running or unusable container
    #[arg(short = 'f', long)]
    force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long)]
    volumes: bool,
    /// Ignore errors when a specified container is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// With --force, seconds to wait for a running container to stop before killing it
    #[arg(short = 't', long = "time")]
    time: Option<u32>,
    /// Read the container ID from the file (removed with the container)
    #[arg(long)]
    cidfile: Vec<std::path::PathBuf>,
    /// Filter what containers are going to be removed from the given arguments
    #[arg(long)]
    filter: Vec<String>,
    names: Vec<String>,
}

/// One `rm`: with `--force --time`, a running container is first stopped gracefully.
fn rm_one(rt: &Runtime, a: &RmArgs, name: &str) -> libpod::Result<Container> {
    if a.force
        && let Some(t) = a.time
        && rt.lookup(name).is_ok_and(|c| c.status() == Status::Running)
    {
        rt.stop(name, Some(t))?;
    }
    rt.remove(name, a.force, a.volumes)
}

pub fn rm(rt: &Runtime, a: RmArgs) -> Outcome {
    let from_files = ids_from_cidfiles(&a.cidfile, a.ignore || a.force)?;
    if !a.all && a.names.is_empty() && from_files.is_empty() && !a.cidfile.is_empty() {
        return Ok(0);
    }
    // With filters and no names, as with `--all`, the containers that pass them (by ID).
    let by_id = a.all || (!a.filter.is_empty() && a.names.is_empty() && from_files.is_empty());
    let names = if by_id {
        filtered(rt, true, vec![], &a.filter, |_| true)?
    } else if !a.filter.is_empty() {
        let mut given = a.names.clone();
        given.extend(from_files);
        filtered(rt, false, given, &a.filter, |_| true)?
    } else {
        let mut given = a.names.clone();
        given.extend(from_files);
        all_or_names(rt, false, given, |_| true)?
    };
    // A unit's `run --cidfile` must find the path free when it starts again: the file goes
    // with its container.
    let remove_cidfiles = || {
        for f in &a.cidfile {
            let _ = std::fs::remove_file(f);
        }
    };
    let outcome = each(&names, |n| match rm_one(rt, &a, n) {
        Ok(c) => {
            println!("{}", if by_id { c.id } else { n.to_string() });
            Ok(())
        }
        Err(libpod::LibpodError::NoSuchContainer(_)) if a.ignore => Ok(()),
        Err(e) => Err(Failure::removal(e)),
    });
    if matches!(outcome, Ok(0)) {
        remove_cidfiles();
    }
    outcome
}

pub fn wait(rt: &Runtime, a: NamesArgs) -> Outcome {
    each(&a.names, |n| {
        println!("{}", rt.wait(n)?);
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct RenameArgs {
    container: String,
    new_name: String,
}

pub fn rename(rt: &Runtime, a: RenameArgs) -> Outcome {
    rt.rename(&a.container, &a.new_name)?;
    Ok(0)
}
