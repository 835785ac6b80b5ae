//! Dynamic shell completion: `burrow completion SHELL` prints a script that asks burrow itself
//! (`COMPLETE=SHELL burrow -- WORDS...`) what fits the word under the cursor, so container,
//! image, pod, volume, network and secret names complete as podman's do, besides commands
//! and flags. Built on clap_complete's environment-driven engine.

use std::ffi::OsStr;

use clap::Command;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

/// What a command's names are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Containers,
    Images,
    ContainersAndImages,
    ContainersAndPods,
    Pods,
    Volumes,
    Networks,
    Secrets,
}

/// Answers a completion request and exits, when the shell's script asked (`COMPLETE` set).
pub fn complete_if_asked() {
    if std::env::var_os("COMPLETE").is_some_and(|v| !v.is_empty() && v != "0") {
        clap_complete::CompleteEnv::with_factory(command).complete();
    }
}

/// The registration script for `shell`, calling back into `completer` (this binary).
pub fn write_script(
    shell: clap_complete::Shell,
    completer: &str,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let env: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::PowerShell => &Powershell,
        _ => &Bash,
    };
    env.write_registration("COMPLETE", "burrow", "burrow", completer, out)
}

/// The full command tree, with name completers on the arguments that take names.
fn command() -> Command {
    with_completers(crate::help::command(), "")
}

fn with_completers(mut cmd: Command, parent: &str) -> Command {
    let path = match parent {
        "" => "burrow".to_string(),
        "burrow" => cmd.get_name().to_string(),
        _ => format!("{parent} {}", cmd.get_name()),
    };
    // The first positional argument names what the command acts on.
    if let Some(kind) = kind_of(&path) {
        let positionals: Vec<String> = cmd
            .get_positionals()
            .map(|a| a.get_id().as_str().to_string())
            .collect();
        // `mut_arg` moves the argument to the end: every positional is taken in turn so that
        // they keep their order (a trailing `COMMAND...` must stay last).
        for (i, id) in positionals.into_iter().enumerate() {
            cmd = cmd.mut_arg(id, |a| if i == 0 { a.add(completer(kind)) } else { a });
        }
    }
    for (flag, kind) in [
        ("pod", Kind::Pods),
        ("network", Kind::Networks),
        ("volumes_from", Kind::Containers),
    ] {
        if cmd
            .get_arguments()
            .any(|a| a.get_id() == flag && !a.is_positional())
        {
            cmd = cmd.mut_arg(flag, |a| a.add(completer(kind)));
        }
    }
    let subs: Vec<Command> = cmd.get_subcommands().cloned().collect();
    for sub in subs {
        let name = sub.get_name().to_string();
        let done = with_completers(sub, &path);
        cmd = cmd.mut_subcommand(name, |_| done);
    }
    cmd
}

/// Which names the first positional of the command at `path` takes.
fn kind_of(path: &str) -> Option<Kind> {
    let words: Vec<&str> = path.split(' ').collect();
    let (group, verb) = match words.as_slice() {
        [verb] => ("", *verb),
        [group, verb] => (*group, *verb),
        _ => return None,
    };
    match (group, verb) {
        ("" | "container", "run" | "create") => Some(Kind::Images),
        ("", "inspect") => Some(Kind::ContainersAndImages),
        (
            "" | "container",
            "start" | "stop" | "kill" | "restart" | "rm" | "wait" | "rename" | "logs" | "exec"
            | "attach" | "top" | "port" | "pause" | "unpause" | "update" | "stats" | "mount"
            | "umount" | "unmount" | "export" | "commit" | "diff" | "inspect" | "exists",
        ) => Some(Kind::Containers),
        ("healthcheck", "run") => Some(Kind::Containers),
        (
            "" | "image",
            "rmi" | "rm" | "tag" | "untag" | "history" | "save" | "push" | "inspect" | "exists"
            | "tree" | "mount" | "unmount" | "umount",
        ) => Some(Kind::Images),
        ("generate", "systemd") => Some(Kind::ContainersAndPods),
        ("pod", verb) if verb != "create" && verb != "ps" && verb != "prune" => Some(Kind::Pods),
        ("volume", verb) if !matches!(verb, "create" | "ls" | "prune" | "import") => {
            Some(Kind::Volumes)
        }
        ("network", verb) if !matches!(verb, "create" | "ls" | "prune") => Some(Kind::Networks),
        ("secret", "rm" | "inspect" | "exists") => Some(Kind::Secrets),
        _ => None,
    }
}

fn completer(kind: Kind) -> ArgValueCompleter {
    match kind {
        Kind::Containers => ArgValueCompleter::new(|c: &OsStr| names(&[Kind::Containers], c)),
        Kind::Images => ArgValueCompleter::new(|c: &OsStr| names(&[Kind::Images], c)),
        Kind::ContainersAndImages => {
            ArgValueCompleter::new(|c: &OsStr| names(&[Kind::Containers, Kind::Images], c))
        }
        Kind::ContainersAndPods => {
            ArgValueCompleter::new(|c: &OsStr| names(&[Kind::Containers, Kind::Pods], c))
        }
        Kind::Pods => ArgValueCompleter::new(|c: &OsStr| names(&[Kind::Pods], c)),
        Kind::Volumes => ArgValueCompleter::new(|c: &OsStr| names(&[Kind::Volumes], c)),
        Kind::Networks => ArgValueCompleter::new(|c: &OsStr| names(&[Kind::Networks], c)),
        Kind::Secrets => ArgValueCompleter::new(|c: &OsStr| names(&[Kind::Secrets], c)),
    }
}

/// The names of `kinds` starting with `current`. A store that cannot be opened completes
/// nothing: a completion must never print an error into the user's command line.
fn names(kinds: &[Kind], current: &OsStr) -> Vec<CompletionCandidate> {
    let Ok(rt) = libpod::Runtime::open(&libpod::runtime::GlobalOptions::default()) else {
        return Vec::new();
    };
    let prefix = current.to_string_lossy();
    let mut out: Vec<String> = Vec::new();
    for kind in kinds {
        match kind {
            Kind::Containers => {
                out.extend(rt.list().unwrap_or_default().into_iter().map(|c| c.name));
            }
            Kind::Images => {
                for i in rt.store().images().unwrap_or_default() {
                    out.extend(i.names.iter().map(|n| short_image_name(n)));
                }
            }
            Kind::Pods => out.extend(rt.pods().unwrap_or_default().into_iter().map(|p| p.name)),
            Kind::Volumes => {
                out.extend(rt.volumes().unwrap_or_default().into_iter().map(|v| v.name));
            }
            Kind::Networks => {
                out.extend(
                    rt.networks()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|n| n.name),
                );
                out.extend(["host", "none", "slirp4netns", "pasta"].map(String::from));
            }
            Kind::Secrets => {
                out.extend(rt.secrets().unwrap_or_default().into_iter().map(|s| s.name));
            }
            Kind::ContainersAndImages | Kind::ContainersAndPods => {}
        }
    }
    out.sort();
    out.dedup();
    out.into_iter()
        .filter(|n| n.starts_with(prefix.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// `localhost/busybox:latest` completes as podman shows it in `images` and takes it back:
/// the name without the `:latest` tag.
fn short_image_name(name: &str) -> String {
    name.strip_suffix(":latest").unwrap_or(name).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_map_to_the_names_they_take() {
        assert_eq!(kind_of("stop"), Some(Kind::Containers));
        assert_eq!(kind_of("container rm"), Some(Kind::Containers));
        assert_eq!(kind_of("run"), Some(Kind::Images));
        assert_eq!(kind_of("image rm"), Some(Kind::Images));
        assert_eq!(kind_of("pod stop"), Some(Kind::Pods));
        assert_eq!(kind_of("pod create"), None);
        assert_eq!(kind_of("volume inspect"), Some(Kind::Volumes));
        assert_eq!(kind_of("network rm"), Some(Kind::Networks));
        assert_eq!(kind_of("secret rm"), Some(Kind::Secrets));
        assert_eq!(kind_of("ps"), None);
    }

    #[test]
    fn the_tree_with_completers_is_consistent() {
        command().debug_assert();
    }
}
