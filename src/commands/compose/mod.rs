//! `compose`: docker compose v2's commands over libpod's built-in compose engine
//! (libpod::compose). This module parses the flags, loads the project and prints progress
//! lines as docker compose does (` ✔ Container p-web-1  Started` on stderr).

mod images;
mod lifecycle;
mod run;
mod show;

use std::path::PathBuf;

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::compose::{LoadOptions, Project};

use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct ComposeCmd {
    /// Compose configuration files (in order; later ones are merged over earlier ones)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Project name (default: COMPOSE_PROJECT_NAME, the file's name:, or the directory's name)
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    project_name: Option<String>,
    /// Specify a profile to enable
    #[arg(long, value_name = "PROFILE")]
    profile: Vec<String>,
    /// Specify an alternate working directory (default: the first file's directory)
    #[arg(long = "project-directory", value_name = "DIR")]
    project_directory: Option<PathBuf>,
    /// An alternate environment file (default: .env in the project directory)
    #[arg(long = "env-file", value_name = "PATH")]
    env_file: Option<PathBuf>,
    #[command(subcommand)]
    sub: ComposeSub,
}

#[derive(Subcommand, Debug)]
enum ComposeSub {
    /// Create and start containers
    Up(lifecycle::UpArgs),
    /// Stop and remove containers, networks
    Down(lifecycle::DownArgs),
    /// List containers
    Ps(show::PsArgs),
    /// View output from containers
    Logs(show::LogsArgs),
    /// Build or rebuild services
    Build(images::BuildArgs),
    /// Pull service images
    Pull(images::PullArgs),
    /// Push service images
    Push(images::PushArgs),
    /// Execute a command in a running container
    Exec(run::ExecArgs),
    /// Run a one-off command on a service
    Run(run::RunArgs),
    /// Start services
    Start(lifecycle::ServicesArgs),
    /// Stop services
    Stop(lifecycle::StopArgs),
    /// Restart service containers
    Restart(lifecycle::StopArgs),
    /// Force stop service containers
    Kill(lifecycle::KillArgs),
    /// Removes stopped service containers
    Rm(lifecycle::RmArgs),
    /// Parse, resolve and render the compose file in canonical format
    Config(show::ConfigArgs),
    /// List images used by the created containers
    Images(show::ServicesArgs),
    /// Print the public port for a port binding
    Port(show::PortArgs),
    /// Display the running processes
    Top(show::ServicesArgs),
    /// Pause services
    Pause(lifecycle::ServicesArgs),
    /// Unpause services
    Unpause(lifecycle::ServicesArgs),
    /// Show the compose version information
    Version(show::VersionArgs),
}

/// The project, loaded from the flags, the environment and the working directory.
pub(crate) struct Ctx {
    pub project: Project,
}

impl ComposeCmd {
    fn load(&self, enable: &[String]) -> Result<Ctx, Failure> {
        let cwd =
            std::env::current_dir().map_err(|e| Failure::new(format!("current directory: {e}")))?;
        let project = Project::load(&LoadOptions {
            files: self.files.clone(),
            project_name: self.project_name.clone(),
            project_directory: self.project_directory.clone(),
            profiles: self.profile.clone(),
            env_file: self.env_file.clone(),
            enable: enable.to_vec(),
            // vars() would panic on a variable that is not UTF-8; such ones are left out.
            env: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            cwd,
        })
        .map_err(libpod::LibpodError::from)?;
        for k in &project.ignored {
            libpod::warn!("{k} is not supported by burrow compose and is ignored");
        }
        for v in &project.unset {
            libpod::warn!("The \"{v}\" variable is not set. Defaulting to a blank string.");
        }
        Ok(Ctx { project })
    }
}

/// Prints one progress line as docker compose does: only settled states, on stderr.
pub(crate) fn report(kind: &str, name: &str, state: &str) {
    if kind == "Warning" {
        libpod::warn!("{name}");
        return;
    }
    if state.ends_with("ing") && !matches!(state, "Waiting" | "Running") {
        return;
    }
    eprintln!(" ✔ {kind} {name}  {state}");
}

/// Joins the errors of a command that went on after a failure into one `Error:`.
pub(crate) fn errors(list: Vec<libpod::LibpodError>) -> Outcome {
    match list.len() {
        0 => Ok(0),
        1 => Err(list
            .into_iter()
            .next()
            .map(Failure::from)
            .unwrap_or_else(|| Failure::new(""))),
        _ => Err(Failure::new(
            list.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}

pub fn group(rt: &Runtime, c: ComposeCmd) -> Outcome {
    match &c.sub {
        ComposeSub::Version(a) => show::version(a),
        ComposeSub::Up(a) => lifecycle::up(rt, &c.load(&a.services)?, a),
        ComposeSub::Down(a) => lifecycle::down(rt, &c.load(&[])?, a),
        ComposeSub::Ps(a) => show::ps(rt, &c.load(&[])?, a),
        ComposeSub::Logs(a) => show::logs(rt, &c.load(&[])?, a),
        ComposeSub::Build(a) => images::build(rt, &c.load(&a.services)?, a),
        ComposeSub::Pull(a) => images::pull(rt, &c.load(&a.services)?, a),
        ComposeSub::Push(a) => images::push(rt, &c.load(&a.services)?, a),
        ComposeSub::Exec(a) => run::exec(rt, &c.load(&[])?, a),
        ComposeSub::Run(a) => run::run(rt, &c.load(std::slice::from_ref(&a.service))?, a),
        ComposeSub::Start(a) => lifecycle::start(rt, &c.load(&[])?, a),
        ComposeSub::Stop(a) => lifecycle::stop(rt, &c.load(&[])?, a),
        ComposeSub::Restart(a) => lifecycle::restart(rt, &c.load(&[])?, a),
        ComposeSub::Kill(a) => lifecycle::kill(rt, &c.load(&[])?, a),
        ComposeSub::Rm(a) => lifecycle::rm(rt, &c.load(&[])?, a),
        ComposeSub::Config(a) => show::config(&c.load(&[])?, a),
        ComposeSub::Images(a) => show::images(rt, &c.load(&[])?, a),
        ComposeSub::Port(a) => show::port(rt, &c.load(&[])?, a),
        ComposeSub::Top(a) => show::top(rt, &c.load(&[])?, a),
        ComposeSub::Pause(a) => lifecycle::pause(rt, &c.load(&[])?, a, true),
        ComposeSub::Unpause(a) => lifecycle::pause(rt, &c.load(&[])?, a, false),
    }
}
