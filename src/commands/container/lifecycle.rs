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
    names: Vec<String>,
}

pub fn stop(rt: &Runtime, a: StopArgs) -> Outcome {
    let names = filtered(rt, a.all, a.names, &a.filter, |s| s == Status::Running)?;
    each(&names, |n| {
        rt.stop_as(n, a.time, !a.not_stopped_by_user)?;
        println!("{n}");
        Ok(())
    })
}

pub fn restart(rt: &Runtime, a: StopArgs) -> Outcome {
    let names = filtered(rt, a.all, a.names, &a.filter, |s| s == Status::Running)?;
    each(&names, |n| {
        let c = rt.stop(n, a.time)?;
        rt.start_detached(&c)?;
        println!("{n}");
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
    names: Vec<String>,
}

pub fn kill(rt: &Runtime, a: KillArgs) -> Outcome {
    let names = all_or_names(rt, a.all, a.names, |c| c.status() == Status::Running)?;
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
    let names = if a.all {
        all_or_names(rt, true, vec![], |_| true)?
    } else {
        all_or_names(rt, false, a.names.clone(), |_| true)?
    };
    each(&names, |n| match rm_one(rt, &a, n) {
        Ok(c) => {
            println!("{}", if a.all { c.id } else { n.to_string() });
            Ok(())
        }
        Err(libpod::LibpodError::NoSuchContainer(_)) if a.ignore => Ok(()),
        Err(e) => Err(e.into()),
    })
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

pub fn mount(rt: &Runtime, a: NamesArgs) -> Outcome {
    each(&a.names, |n| {
        println!("{}", rt.mount(n)?.display());
        Ok(())
    })
}

pub fn umount(rt: &Runtime, a: NamesArgs) -> Outcome {
    each(&a.names, |n| {
        rt.unmount(n)?;
        println!("{n}");
        Ok(())
    })
}
