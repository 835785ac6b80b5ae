//! `compose exec` and `compose run`.

use std::io::IsTerminal;

use clap::Args;
use libpod::Runtime;
use libpod::compose::ops::containers;
use libpod::compose::plan::Instance;
use libpod::runtime::{AttachOptions, ExecOptions};

use super::{Ctx, report};
use crate::commands::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Detached mode: run command in the background
    #[arg(short = 'd', long)]
    detach: bool,
    /// Disable pseudo-TTY allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T', long = "no-TTY")]
    no_tty: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Path to workdir directory for this command
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Run the command as this user
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// Give extended privileges to the process
    #[arg(long)]
    privileged: bool,
    /// Index of the container if service has multiple replicas
    #[arg(long, default_value_t = 1)]
    index: u32,
    /// The service
    service: String,
    /// The command and its arguments
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    command: Vec<String>,
}

pub fn exec(rt: &Runtime, ctx: &Ctx, a: &ExecArgs) -> Outcome {
    if !ctx.project.model.services.contains_key(&a.service) {
        return Err(Failure::new(format!("no such service: {}", a.service)));
    }
    let list = containers(rt, &ctx.project.name)?;
    let c = list
        .iter()
        .find(|c| c.service == a.service && c.number == a.index && !c.oneoff && c.running())
        .ok_or_else(|| {
            Failure::new(format!(
                "service {:?} is not running container #{}",
                a.service, a.index
            ))
        })?;
    let tty = !a.no_tty && std::io::stdin().is_terminal();
    Ok(rt.exec(
        &c.summary.id,
        &ExecOptions {
            command: a.command.clone(),
            interactive: !a.detach,
            tty,
            env: a.env.clone(),
            workdir: a.workdir.clone(),
            user: a.user.clone(),
            detach: a.detach,
            privileged: a.privileged,
            preserve_fds: 0,
            preserve_fd: Vec::new(),
            detach_keys: Vec::new(),
        },
    )?)
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    detach: bool,
    /// Automatically remove the container when it exits
    #[arg(long)]
    rm: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Override the entrypoint of the image
    #[arg(long)]
    entrypoint: Option<String>,
    /// Assign a name to the container
    #[arg(long)]
    name: Option<String>,
    /// Disable pseudo-TTY allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T', long = "no-TTY")]
    no_tty: bool,
    /// Run as specified username or uid
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Don't start linked services
    #[arg(long = "no-deps")]
    no_deps: bool,
    /// Run command with the service's ports enabled and mapped to the host
    #[arg(short = 'P', long = "service-ports")]
    service_ports: bool,
    /// The service
    pub service: String,
    /// The command and its arguments (default: the service's)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn run(rt: &Runtime, ctx: &Ctx, a: &RunArgs) -> Outcome {
    let terminal = std::io::stdin().is_terminal();
    let inst = Instance {
        command: (!a.command.is_empty()).then(|| a.command.clone()),
        entrypoint: a
            .entrypoint
            .as_deref()
            .map(libpod::compose::model::split_words),
        env: a.env.clone(),
        remove: a.rm,
        tty: Some(!a.no_tty && terminal && !a.detach),
        interactive: terminal && !a.detach,
        user: a.user.clone(),
        workdir: a.workdir.clone(),
        ports: a.service_ports,
        ..Instance::default()
    };
    let mut c =
        libpod::compose::up::oneoff(rt, &ctx.project, &a.service, inst, a.no_deps, &mut report)?;
    if let Some(n) = &a.name {
        rt.rename(&c.id, n)?;
        c = rt.lookup(&c.id)?;
    }
    if a.detach {
        rt.start_detached(&c)?;
        println!("{}", c.name);
        return Ok(0);
    }
    Ok(rt.start_attached(
        &c,
        AttachOptions {
            stdin: terminal,
            sig_proxy: true,
        },
    )?)
}
