//! `compose up/down/start/stop/restart/kill/rm/pause/unpause`.

use std::collections::BTreeMap;

use clap::Args;
use libpod::Runtime;
use libpod::compose::down::{DownOptions, RemoveImages};
use libpod::compose::ops::{ProjectContainer, containers, remove_all, stop_all};
use libpod::compose::up::UpOptions;

use super::{Ctx, errors, report};
use crate::commands::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct UpArgs {
    /// Detached mode: run containers in the background
    #[arg(short = 'd', long)]
    detach: bool,
    /// Build images before starting containers
    #[arg(long)]
    build: bool,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long = "force-recreate")]
    force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long = "no-recreate", conflicts_with = "force_recreate")]
    no_recreate: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    remove_orphans: bool,
    /// Scale SERVICE to NUM instances (SERVICE=NUM)
    #[arg(long, value_name = "SERVICE=NUM")]
    scale: Vec<String>,
    /// Wait for services to be running|healthy (implies detached mode)
    #[arg(long)]
    wait: bool,
    /// Maximum duration to wait for the project to be running|healthy (seconds)
    #[arg(long = "wait-timeout", value_name = "SECONDS")]
    wait_timeout: Option<u64>,
    /// Don't start the services after creating them
    #[arg(long = "no-start")]
    no_start: bool,
    /// Use this timeout in seconds for container shutdown when stopping after Ctrl-C
    #[arg(short = 't', long)]
    timeout: Option<u32>,
    /// Services to start (default: all)
    pub services: Vec<String>,
}

fn scale_map(list: &[String]) -> Result<BTreeMap<String, u32>, Failure> {
    list.iter()
        .map(|s| {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| Failure::new(format!("invalid --scale {s:?}: use SERVICE=NUM")))?;
            let n = v
                .parse()
                .map_err(|_| Failure::new(format!("invalid --scale {s:?}: {v} is not a number")))?;
            Ok((k.to_string(), n))
        })
        .collect()
}

pub fn up(rt: &Runtime, ctx: &Ctx, a: &UpArgs) -> Outcome {
    let p = &ctx.project;
    let o = UpOptions {
        services: a.services.clone(),
        build: a.build,
        force_recreate: a.force_recreate,
        no_recreate: a.no_recreate,
        remove_orphans: a.remove_orphans,
        scale: scale_map(&a.scale)?,
        no_start: a.no_start,
        wait: a.wait,
        wait_timeout: a.wait_timeout,
        quiet_build: false,
    };
    let foreground = !a.detach && !a.wait && !a.no_start;
    if foreground {
        // Caught before anything starts, so a Ctrl-C during `up` still stops what it made.
        libpod::compose::logs::catch_interrupt();
    }
    let order = p.ordered(&a.services).map_err(libpod::LibpodError::from)?;
    if let Err(e) = libpod::compose::up::up(rt, p, &o, &mut report) {
        if foreground && libpod::compose::logs::interrupted() {
            // Ctrl-C while `up` waited: what it started stops, as after the logs.
            let all = containers(rt, &p.name)?;
            let ours: Vec<&ProjectContainer> = all
                .iter()
                .filter(|c| !c.oneoff && order.contains(&c.service))
                .collect();
            let _ = stop_all(rt, &ours, a.timeout, &mut report);
        }
        return Err(e.into());
    }
    if !foreground {
        return Ok(0);
    }
    let list: Vec<libpod::Container> = containers(rt, &p.name)?
        .iter()
        .filter(|c| !c.oneoff && order.contains(&c.service))
        .filter_map(|c| rt.lookup(&c.summary.id).ok())
        .collect();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    libpod::compose::logs::print(
        rt,
        &list,
        &libpod::compose::logs::FollowOptions {
            follow: true,
            ..Default::default()
        },
        &mut stdout.lock(),
        &mut stderr.lock(),
    )?;
    if libpod::compose::logs::interrupted() {
        eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
    }
    let all = containers(rt, &p.name)?;
    let ours: Vec<&ProjectContainer> = all
        .iter()
        .filter(|c| !c.oneoff && order.contains(&c.service))
        .collect();
    errors(stop_all(rt, &ours, a.timeout, &mut report))
}

#[derive(Args, Debug)]
pub struct DownArgs {
    /// Remove named volumes declared in the "volumes" section and anonymous volumes attached to containers
    #[arg(short = 'v', long)]
    volumes: bool,
    /// Remove images used by services: "local" only those without a custom tag, "all" every one
    #[arg(long, value_name = "TYPE")]
    rmi: Option<String>,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    remove_orphans: bool,
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long)]
    timeout: Option<u32>,
}

pub fn down(rt: &Runtime, ctx: &Ctx, a: &DownArgs) -> Outcome {
    let images = match a.rmi.as_deref() {
        None => None,
        Some("all") => Some(RemoveImages::All),
        Some("local") => Some(RemoveImages::Local),
        Some(o) => {
            return Err(Failure::new(format!(
                "invalid --rmi {o:?}: use \"local\" or \"all\""
            )));
        }
    };
    let o = DownOptions {
        volumes: a.volumes,
        images,
        remove_orphans: a.remove_orphans,
        timeout: a.timeout,
    };
    errors(libpod::compose::down::down(
        rt,
        &ctx.project,
        &o,
        &mut report,
    ))
}

#[derive(Args, Debug)]
pub struct ServicesArgs {
    /// Services (default: all)
    services: Vec<String>,
}

/// The project's service containers (no one-offs), of `services` if any are named.
fn selected(
    rt: &Runtime,
    ctx: &Ctx,
    services: &[String],
) -> Result<Vec<ProjectContainer>, Failure> {
    for s in services {
        if !ctx.project.model.services.contains_key(s) {
            return Err(Failure::new(format!("no such service: {s}")));
        }
    }
    Ok(containers(rt, &ctx.project.name)?
        .into_iter()
        .filter(|c| !c.oneoff && (services.is_empty() || services.contains(&c.service)))
        .collect())
}

/// In start order: dependencies first.
fn start_ordered(ctx: &Ctx, list: &mut [ProjectContainer]) {
    let order = ctx.project.ordered(&[]).unwrap_or_default();
    list.sort_by_key(|c| (order.iter().position(|s| *s == c.service), c.number));
}

pub fn start(rt: &Runtime, ctx: &Ctx, a: &ServicesArgs) -> Outcome {
    let mut list = selected(rt, ctx, &a.services)?;
    start_ordered(ctx, &mut list);
    let mut errs = Vec::new();
    for c in list.iter().filter(|c| !c.running()) {
        match rt
            .lookup(&c.summary.id)
            .and_then(|full| rt.start_detached(&full))
        {
            Ok(()) => report("Container", c.name(), "Started"),
            Err(e) => errs.push(e),
        }
    }
    errors(errs)
}

#[derive(Args, Debug)]
pub struct StopArgs {
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long)]
    timeout: Option<u32>,
    /// Services (default: all)
    services: Vec<String>,
}

pub fn stop(rt: &Runtime, ctx: &Ctx, a: &StopArgs) -> Outcome {
    let list = selected(rt, ctx, &a.services)?;
    let refs: Vec<&ProjectContainer> = list.iter().collect();
    errors(stop_all(rt, &refs, a.timeout, &mut report))
}

pub fn restart(rt: &Runtime, ctx: &Ctx, a: &StopArgs) -> Outcome {
    let mut list = selected(rt, ctx, &a.services)?;
    let refs: Vec<&ProjectContainer> = list.iter().collect();
    let mut errs = stop_all(rt, &refs, a.timeout, &mut |_, _, _| {});
    start_ordered(ctx, &mut list);
    for c in &list {
        match rt
            .lookup(&c.summary.id)
            .and_then(|full| rt.start_detached(&full))
        {
            Ok(()) => report("Container", c.name(), "Started"),
            Err(e) => errs.push(e),
        }
    }
    errors(errs)
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// SIGNAL to send to the container
    #[arg(short = 's', long, default_value = "SIGKILL")]
    signal: String,
    /// Services (default: all)
    services: Vec<String>,
}

pub fn kill(rt: &Runtime, ctx: &Ctx, a: &KillArgs) -> Outcome {
    let list = selected(rt, ctx, &a.services)?;
    let mut errs = Vec::new();
    for c in list.iter().filter(|c| c.running()) {
        match rt.kill(&c.summary.id, &a.signal) {
            Ok(_) => report("Container", c.name(), "Killed"),
            Err(e) => errs.push(e),
        }
    }
    errors(errs)
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Don't ask to confirm removal
    #[arg(short = 'f', long)]
    force: bool,
    /// Stop the containers, if required, before removing
    #[arg(short = 's', long)]
    stop: bool,
    /// Remove any anonymous volumes attached to containers
    #[arg(short = 'v', long)]
    volumes: bool,
    /// Services (default: all)
    services: Vec<String>,
}

pub fn rm(rt: &Runtime, ctx: &Ctx, a: &RmArgs) -> Outcome {
    let list = selected(rt, ctx, &a.services)?;
    let mut errs = Vec::new();
    if a.stop {
        let refs: Vec<&ProjectContainer> = list.iter().collect();
        errs.extend(stop_all(rt, &refs, None, &mut report));
    }
    let stopped: Vec<&ProjectContainer> = list.iter().filter(|c| !c.running() || a.stop).collect();
    if stopped.is_empty() {
        eprintln!("No stopped containers");
        return errors(errs);
    }
    if !a.force {
        let names: Vec<&str> = stopped.iter().map(|c| c.name()).collect();
        if !crate::commands::confirm(&format!("Going to remove {}", names.join(", "))) {
            return errors(errs);
        }
    }
    errs.extend(remove_all(rt, &stopped, None, a.volumes, &mut report));
    errors(errs)
}

pub fn pause(rt: &Runtime, ctx: &Ctx, a: &ServicesArgs, pause: bool) -> Outcome {
    let list = selected(rt, ctx, &a.services)?;
    let mut errs = Vec::new();
    for c in list.iter().filter(|c| c.running()) {
        let r = if pause {
            rt.pause(&c.summary.id)
        } else {
            rt.unpause(&c.summary.id)
        };
        match r {
            Ok(_) => report(
                "Container",
                c.name(),
                if pause { "Paused" } else { "Unpaused" },
            ),
            Err(e) => errs.push(e),
        }
    }
    errors(errs)
}
