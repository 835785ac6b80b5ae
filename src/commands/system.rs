//! unshare and version.

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

pub fn version() -> Outcome {
    println!("Client:       burrow");
    println!("Version:      {}", env!("CARGO_PKG_VERSION"));
    println!("API Version:  {}", env!("CARGO_PKG_VERSION"));
    println!("OS/Arch:      linux/{}", std::env::consts::ARCH);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct MonitorArgs {
    #[arg(long = "report-fd")]
    pub report_fd: i32,
    pub id: String,
}
