//! `system service`: hands the process over to `burrow-api`, the Docker API service, which
//! lives in its own binary so that ordinary commands never load an async runtime.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use clap::Args;

use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct ServiceArgs {
    /// Time until the service exits when idle, in seconds (0: never)
    #[arg(
        short = 't',
        long = "time",
        default_value_t = 5,
        value_name = "SECONDS"
    )]
    time: u64,
    /// Listen on a non-loopback TCP address although the API has no authentication
    #[arg(long = "allow-remote")]
    allow_remote: bool,
    /// Where to listen: unix:///PATH or tcp://IP:PORT (default: unix://$XDG_RUNTIME_DIR/burrow/burrow.sock)
    #[arg(value_name = "URI")]
    uri: Option<String>,
}

/// `burrow-api` next to this binary (or where BURROW_API_BIN says; the test harness runs
/// copies of both binaries).
fn helper() -> Result<PathBuf, Failure> {
    if let Some(p) = std::env::var_os("BURROW_API_BIN") {
        return Ok(PathBuf::from(p));
    }
    let me = libpod::sealed_exe::program();
    let mut candidates = Vec::new();
    if let Some(dir) = me.parent() {
        candidates.push(dir.join("burrow-api"));
    }
    candidates.push(PathBuf::from("/usr/libexec/burrow/burrow-api"));
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        Failure::new(format!(
            "the API service binary burrow-api is not installed next to {}: install it with \
                 scripts/install or set BURROW_API_BIN",
            me.display()
        ))
    })
}

/// Replaces this process with `burrow-api` (same pid: systemd's LISTEN_PID stays right).
pub fn service(globals: &[String], a: &ServiceArgs) -> Outcome {
    if let Some(uri) = &a.uri
        && !uri.starts_with("unix://")
        && !uri.starts_with("tcp://")
    {
        return Err(Failure::new(format!(
            "invalid URI \"{uri}\": want unix:///PATH or tcp://IP:PORT"
        )));
    }
    let bin = helper()?;
    let mut cmd = std::process::Command::new(&bin);
    cmd.arg("--burrow")
        .arg(libpod::sealed_exe::program())
        .arg("--time")
        .arg(a.time.to_string());
    for g in globals {
        cmd.arg("--global").arg(g);
    }
    if a.allow_remote {
        cmd.arg("--allow-remote");
    }
    if let Some(uri) = &a.uri {
        cmd.arg(uri);
    }
    let e = cmd.exec();
    Err(Failure::new(format!("run {}: {e}", bin.display())))
}
