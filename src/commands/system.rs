//! unshare, version, info and the `system` group (its maintenance commands live in
//! maintenance.rs).

use std::os::unix::process::CommandExt;

use clap::Args;

use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct UnshareArgs {
    /// Command to run (default: $SHELL)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn unshare(globals: &libpod::runtime::GlobalOptions, a: UnshareArgs) -> Outcome {
    let rt = libpod::Runtime::open(globals)?;
    let mut cmd = a.command;
    if cmd.is_empty() {
        cmd.push(
            std::env::var("SHELL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into()),
        );
    }
    let err = std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .env("BURROW_GRAPHROOT", rt.paths.storage())
        .env("BURROW_RUNROOT", &rt.paths.run)
        .exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    Err(Failure {
        code,
        message: format!("{}: {err}", cmd[0]),
    })
}

#[derive(Args, Debug)]
pub struct VersionArgs {
    /// Change the output format to JSON or a Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
}

pub fn version(a: VersionArgs) -> Outcome {
    let client = libpod::runtime::version_info();
    let data = serde_json::json!({ "Client": client });
    match a.format.as_deref() {
        Some("json") => crate::output::print_json(&data),
        Some(f) => println!(
            "{}",
            crate::template::render(f, &data).map_err(Failure::new)?
        ),
        None => {
            let field = |k: &str| {
                client[k]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| client[k].to_string())
            };
            println!("Client:       burrow");
            println!("Version:      {}", field("Version"));
            println!("API Version:  {}", field("APIVersion"));
            println!("OS/Arch:      {}", field("OsArch"));
        }
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Change the output format to JSON or a Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
}

pub fn info(rt: &libpod::Runtime, a: InfoArgs) -> Outcome {
    let data = rt.info()?;
    match a.format.as_deref() {
        Some("json") => crate::output::print_json(&data),
        Some(f) => println!(
            "{}",
            crate::template::render(f, &data).map_err(Failure::new)?
        ),
        None => print!("{}", crate::output::to_yaml(&data)),
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct SystemCmd {
    #[command(subcommand)]
    cmd: SystemSub,
}

#[derive(clap::Subcommand, Debug)]
enum SystemSub {
    /// Display burrow related system information
    Info(InfoArgs),
    /// Show burrow disk usage
    Df(super::maintenance::DfArgs),
    /// Remove unused data
    Prune(super::maintenance::PruneArgs),
    /// Reset burrow storage
    Reset(super::maintenance::ResetArgs),
    /// Migrate containers to the current user namespace configuration
    Migrate(super::maintenance::MigrateArgs),
    /// Check storage consistency
    Check(super::maintenance::CheckArgs),
    /// Check the host's prerequisites for rootless containers
    Doctor(super::maintenance::DoctorArgs),
    /// Monitor burrow events
    Events(super::events::EventsArgs),
    /// Run the Docker-compatible API service on a socket
    Service(super::service::ServiceArgs),
    /// Migrate lock numbers (burrow keeps no lock numbers: nothing to renumber)
    Renumber,
}

impl SystemCmd {
    /// `system service` execs the API service without opening the runtime: the service
    /// never joins burrow's user namespace (its children do).
    pub fn service(&self) -> Option<&super::service::ServiceArgs> {
        match &self.cmd {
            SystemSub::Service(a) => Some(a),
            _ => None,
        }
    }

    /// `system doctor` runs without opening the runtime: what it checks is what opening needs.
    pub fn doctor(&self) -> Option<&super::maintenance::DoctorArgs> {
        match &self.cmd {
            SystemSub::Doctor(a) => Some(a),
            _ => None,
        }
    }
}

pub fn group(rt: &libpod::Runtime, c: SystemCmd) -> Outcome {
    use super::maintenance as m;
    match c.cmd {
        SystemSub::Info(a) => info(rt, a),
        SystemSub::Df(a) => m::df(rt, a),
        SystemSub::Prune(a) => m::prune(rt, a),
        SystemSub::Reset(a) => m::reset(rt, a),
        SystemSub::Migrate(a) => m::migrate(rt, a),
        SystemSub::Check(a) => m::check(rt, a),
        SystemSub::Doctor(a) => m::doctor(&a),
        SystemSub::Events(a) => super::events::events(rt, a),
        SystemSub::Service(a) => super::service::service(&[], &a),
        // podman renumbers its SHM locks; burrow's locks are files named by ID.
        SystemSub::Renumber => Ok(0),
    }
}

#[derive(Args, Debug)]
pub struct ManpagesArgs {
    /// Directory to write the pages to
    pub dir: std::path::PathBuf,
}

#[derive(Args, Debug)]
pub struct MonitorArgs {
    #[arg(long = "report-fd")]
    pub report_fd: i32,
    /// PID:START of the process the container belongs to, taken over by the monitor.
    #[arg(long)]
    pub owner: Option<String>,
    /// Wait for the first attach client before starting the container (foreground run -it).
    #[arg(long = "attach-first")]
    pub attach_first: bool,
    /// Hold the container before its command until `start` (`init`).
    #[arg(long = "init-hold")]
    pub init_hold: bool,
    pub id: String,
}

#[derive(Args, Debug)]
pub struct CompletionArgs {
    /// Shell to generate the completion script for
    #[arg(value_enum)]
    shell: clap_complete::Shell,
    /// Write the script to this file instead of standard output
    #[arg(short = 'f', long)]
    file: Option<std::path::PathBuf>,
}

pub fn completion(a: CompletionArgs) -> Outcome {
    let mut out: Box<dyn std::io::Write> = match &a.file {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| Failure::new(format!("create {}: {e}", p.display())))?,
        ),
        None => Box::new(std::io::stdout()),
    };
    // The script calls this very binary back for names, commands and flags.
    let me = std::env::current_exe()
        .ok()
        .filter(|p| !p.starts_with("/proc") && !p.to_string_lossy().contains("(deleted)"))
        .map_or_else(|| "burrow".to_string(), |p| p.display().to_string());
    crate::complete::write_script(a.shell, &me, &mut out)
        .map_err(|e| Failure::new(format!("write the completion script: {e}")))?;
    Ok(0)
}
