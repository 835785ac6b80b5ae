//! One module per command group; each is a thin adapter from clap's raw flags to libpod.

pub mod artifact;
pub mod auto_update;
pub mod build;
pub mod cdi;
pub mod compose;
pub mod container;
pub mod events;
pub mod files;
pub mod generate;
pub mod image;
pub mod kube;
pub mod maintenance;
pub mod manifest;
pub mod network;
pub mod pod;
pub mod pod_clone;
pub mod pod_stats;
pub mod progress;
pub mod quadlet;
pub mod registry;
pub mod resources;
pub mod secret;
pub mod service;
pub mod system;
pub mod volume;

/// An error as the user sees it: `Error: <message>` and podman's exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl From<libpod::LibpodError> for Failure {
    fn from(e: libpod::LibpodError) -> Failure {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<libpod::filter::FilterError> for Failure {
    fn from(e: libpod::filter::FilterError) -> Failure {
        libpod::LibpodError::from(e).into()
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure {
            code: 125,
            message: format!("{e:#}"),
        }
    }
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            code: 125,
            message: message.into(),
        }
    }

    /// An error of a removal command (rm, rmi, volume/network/pod rm): exit 1 when what was
    /// named does not exist, 2 when it is in use or running ("container state improper", as
    /// podman decides it), as their podman man pages say.
    pub fn removal(e: libpod::LibpodError) -> Failure {
        let code = if e.is_not_found() {
            1
        } else if matches!(&e, libpod::LibpodError::InvalidState(m) if m.contains("state improper"))
        {
            2
        } else {
            e.exit_code()
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

/// podman's "[y/N]" confirmation of prune commands: anything but y/yes declines, and so does
/// no input at all (a pipe or /dev/null).
pub fn confirm(warning: &str) -> bool {
    use std::io::{BufRead, Write};
    print!("{warning}\nAre you sure you want to continue? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// The process exit code on success (a container's own code for run/start/wait/exec).
pub type Outcome = Result<i32, Failure>;

/// Prints a clap error as podman does (`Error: ...` plus the usage hint) and returns the code:
/// 0 for --help/--version, 125 for bad usage.
pub fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            0
        }
        _ => {
            let rendered = e.render().to_string();
            // podman (cobra) words an unknown option as "unknown flag: --foo" or
            // "unknown shorthand flag: 'x' in -x"; scripts and users grep for that.
            let unknown = (e.kind() == ErrorKind::UnknownArgument)
                .then(|| e.get(clap::error::ContextKind::InvalidArg))
                .flatten()
                .map(|v| v.to_string())
                .filter(|a| a.starts_with('-'))
                .map(
                    |a| match a.strip_prefix('-').filter(|s| !s.starts_with('-')) {
                        Some(short) => format!(
                            "unknown shorthand flag: '{}' in {a}",
                            short.chars().next().unwrap_or('?')
                        ),
                        None => format!("unknown flag: {}", a.split('=').next().unwrap_or(&a)),
                    },
                );
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid usage")
                .trim_start_matches("error: ")
                .to_string();
            let usage = rendered
                .lines()
                .find_map(|l| l.trim().strip_prefix("Usage: "))
                .unwrap_or("burrow [command]");
            let cmd: Vec<&str> = usage
                .split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect();
            eprintln!("Error: {}", unknown.unwrap_or(first));
            eprintln!("See '{} --help'", cmd.join(" "));
            125
        }
    }
}

/// Runs `f` on every name, printing each failure and carrying on, as podman does.
pub(crate) fn each(names: &[String], mut f: impl FnMut(&str) -> Result<(), Failure>) -> Outcome {
    let mut last: Option<Failure> = None;
    for n in names {
        if let Err(e) = f(n) {
            if let Some(prev) = last.take() {
                eprintln!("Error: {}", prev.message);
            }
            last = Some(e);
        }
    }
    match last {
        Some(e) => Err(e),
        None => Ok(0),
    }
}
