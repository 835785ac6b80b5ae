//! `quadlet --dryrun|install|list|print|rm`, and the systemd generator: this binary run as
//! `burrow-user-generator` or `burrow-system-generator` (a symlink's name) writes the units
//! of the quadlet files it finds (libpod::quadlet) into systemd's output directory.

use std::path::Path;
use std::process::Command;

use clap::{ArgAction, Args, Subcommand};
use libpod::quadlet::{self, Generated, Options, dirs};

mod install;
mod manage;

use install::install;
use manage::{list, print, rm};

use super::{Failure, Outcome};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct QuadletCmd {
    /// Print the units the generator would write (each under ---NAME---), then exit
    #[arg(long)]
    dryrun: bool,
    /// With --dryrun: the user generator's files (the default when not root)
    #[arg(long)]
    user: bool,
    #[command(subcommand)]
    sub: Option<QuadletSub>,
}

#[derive(Subcommand, Debug)]
enum QuadletSub {
    /// Install a quadlet file or quadlet application
    Install(InstallArgs),
    /// List installed quadlets
    #[command(alias = "ls")]
    List(ListArgs),
    /// Display the contents of a quadlet
    #[command(alias = "cat")]
    Print(PrintArgs),
    /// Remove installed quadlets
    #[command(alias = "remove")]
    Rm(RmArgs),
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// Reload systemd after installing quadlets
    #[arg(long = "reload-systemd", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true", value_name = "BOOL")]
    reload_systemd: bool,
    /// Replace the installation even if the quadlet already exists
    #[arg(short, long)]
    replace: bool,
    /// A quadlet file or a directory of them, then files that go with it
    #[arg(required = true, value_name = "QUADLET-PATH")]
    paths: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Filter output based on conditions given (name=, status=, pod=)
    #[arg(short, long)]
    filter: Vec<String>,
    /// Pretty-print output to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Do not print headers
    #[arg(short = 'n', long)]
    noheading: bool,
}

#[derive(Args, Debug)]
pub struct PrintArgs {
    /// The quadlet's file name (web.container)
    quadlet: String,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Remove all quadlets for the current user
    #[arg(short, long)]
    all: bool,
    /// Stop running quadlets before removing them
    #[arg(short, long)]
    force: bool,
    /// Do not error for quadlets that do not exist
    #[arg(short, long)]
    ignore: bool,
    /// Reload systemd after removing quadlets
    #[arg(long = "reload-systemd", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true", value_name = "BOOL")]
    reload_systemd: bool,
    quadlets: Vec<String>,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn group(c: QuadletCmd) -> Outcome {
    match c.sub {
        None if c.dryrun => dryrun(c.user || !is_root()),
        None => Err(Failure::new(
            "missing command: burrow quadlet --dryrun | install | list | print | rm",
        )),
        Some(QuadletSub::Install(a)) => install(a),
        Some(QuadletSub::List(a)) => list(a),
        Some(QuadletSub::Print(a)) => print(a),
        Some(QuadletSub::Rm(a)) => rm(a),
    }
}

/// The generator's mode from this process's name: `Some(true)` for the user generator.
pub fn generator_mode(argv0: &std::ffi::OsStr) -> Option<bool> {
    match Path::new(argv0).file_name()?.to_str()? {
        "burrow-user-generator" => Some(true),
        "burrow-system-generator" => Some(false),
        _ => None,
    }
}

/// How this burrow's units are written: its own path, and the flags it accepts.
fn options(user: bool) -> Options {
    let accepts =
        |cmd: clap::Command, flag: &str| cmd.get_arguments().any(|a| a.get_long() == Some(flag));
    use clap::Args as _;
    let burrow = libpod::sealed_exe::program().display().to_string();
    Options {
        burrow,
        user,
        sdnotify: accepts(
            super::container::RunArgs::augment_args(clap::Command::new("run")),
            "sdnotify",
        ),
        rm_cidfile: accepts(
            super::container::RmArgs::augment_args(clap::Command::new("rm")),
            "cidfile",
        ),
    }
}

fn generate(user: bool) -> (Vec<Generated>, Vec<String>) {
    let (quadlets, load_errors) = dirs::load(&dirs::unit_dirs(user));
    let (units, errors) = quadlet::generate(&quadlets, &options(user));
    let errors = load_errors
        .iter()
        .chain(errors.iter())
        .map(ToString::to_string)
        .collect();
    (units, errors)
}

/// systemd runs generators as `GENERATOR NORMAL-DIR EARLY-DIR LATE-DIR`; the units go into
/// the normal directory, as podman's do. Errors go to stderr (the journal), one per file.
pub fn generator_main(user: bool) -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let Some(out) = args.get(1) else {
        eprintln!("burrow-generator: missing output directory argument");
        return 1;
    };
    let (units, mut errors) = generate(user);
    let header = vec![
        String::new(),
        format!("Automatically generated by {}", args[0]),
        String::new(),
    ];
    errors.extend(quadlet::output::write_units(
        Path::new(out),
        &units,
        &header,
    ));
    for e in &errors {
        eprintln!("burrow-generator: {e}");
    }
    i32::from(!errors.is_empty())
}

fn dryrun(user: bool) -> Outcome {
    let (units, errors) = generate(user);
    print!("{}", quadlet::dryrun_text(&units));
    for e in &errors {
        eprintln!("Error: {e}");
    }
    Ok(i32::from(!errors.is_empty()))
}

/// `systemctl [--user] ARGS`, for the manager this user's quadlets belong to.
fn systemctl(args: &[&str]) -> std::io::Result<std::process::Output> {
    let mut cmd = Command::new("systemctl");
    if !is_root() {
        cmd.arg("--user");
    }
    cmd.args(args).output()
}

fn reload_systemd() -> Result<(), Failure> {
    match systemctl(&["daemon-reload"]) {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(Failure::new(format!(
            "reloading systemd: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ))),
        Err(e) => Err(Failure::new(format!("reloading systemd: {e}"))),
    }
}

/// Every error but the last on stderr; the last is the command's `Error:`.
fn finish(mut failed: Vec<String>) -> Outcome {
    match failed.pop() {
        None => Ok(0),
        Some(last) => {
            for f in failed {
                eprintln!("Error: {f}");
            }
            Err(Failure::new(last))
        }
    }
}
