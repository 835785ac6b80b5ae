//! podman's argument conventions that clap does not share, applied to the raw arguments before
//! clap sees them:
//! - flags stop at the first positional of `run`, `create` and `exec` (cobra's
//!   `SetInterspersed(false)`): `run busybox sh -c x` gives `-c` to sh, not to run, so a `--`
//!   is put after the image (or the container, for exec);
//! - a boolean flag takes `=true` or `=false` (`--rm=true`, `-d=false`): rewritten to the flag
//!   or to nothing.
//!
//! Which flags take a value is read from the invoked subcommand's own clap definition (only
//! that one is built, as clap builds it to parse anyway).

use std::ffi::{OsStr, OsString};

/// Subcommands whose first positional is followed by the container's command.
const COMMAND_AFTER_FIRST_POSITIONAL: &[&str] = &["run", "create", "exec"];

/// The arguments with podman's conventions turned into clap's.
pub fn normalize(args: Vec<OsString>, root: &clap::Command) -> Vec<OsString> {
    if !needs_work(&args, root) {
        return args;
    }
    let mut out: Vec<OsString> = Vec::with_capacity(args.len() + 1);
    let mut it = args.into_iter();
    if let Some(prog) = it.next() {
        out.push(prog);
    }
    let rest: Vec<OsString> = it.collect();
    let mut i = 0;
    // The command path: globals may come first; every subcommand name descends one level.
    let mut cmd: clap::Command = root.clone();
    let mut globals: Vec<clap::Arg> = root.get_arguments().cloned().collect();
    let mut leaf_name = String::new();
    while i < rest.len() {
        let tok = rest[i].to_string_lossy().into_owned();
        if tok == "--" {
            break;
        }
        if tok.starts_with('-') && tok.len() > 1 {
            let consumed = flag_width(&tok, &rest, i, &cmd, &globals, &mut out);
            i += consumed;
            continue;
        }
        match cmd.find_subcommand(&tok) {
            Some(sub) => {
                let mut sub = sub.clone();
                sub.build();
                globals.extend(sub.get_arguments().filter(|a| a.is_global_set()).cloned());
                leaf_name = sub.get_name().to_string();
                cmd = sub;
                out.push(rest[i].clone());
                i += 1;
            }
            None => {
                // The first positional of the leaf command.
                out.push(rest[i].clone());
                i += 1;
                if COMMAND_AFTER_FIRST_POSITIONAL.contains(&leaf_name.as_str())
                    && i < rest.len()
                    && rest[i] != OsStr::new("--")
                {
                    out.push("--".into());
                    out.extend(rest[i..].iter().cloned());
                    return out;
                }
                // Other commands: clap parses the rest as it is (interspersed flags).
                while i < rest.len() {
                    let t = rest[i].to_string_lossy().into_owned();
                    if t == "--" {
                        break;
                    }
                    if t.starts_with('-') && t.len() > 1 {
                        i += flag_width(&t, &rest, i, &cmd, &globals, &mut out);
                    } else {
                        out.push(rest[i].clone());
                        i += 1;
                    }
                }
                break;
            }
        }
    }
    out.extend(rest[i..].iter().cloned());
    out
}

/// Whether anything would change: a flag after a positional, or a `=true`/`=false`. The
/// usual `run --rm --network none IMAGE CMD` has neither and builds no clap definition here.
fn needs_work(args: &[OsString], root: &clap::Command) -> bool {
    let mut plain_seen = false;
    let mut cur = root;
    for a in args.iter().skip(1) {
        let t = a.to_string_lossy();
        if t == "--" {
            return false;
        }
        if t.starts_with('-') && t.len() > 1 {
            let bool_value = t
                .rsplit_once('=')
                .is_some_and(|(_, v)| parse_bool(v).is_some());
            if plain_seen || bool_value {
                return true;
            }
        } else if plain_seen {
            continue;
        } else if let Some(sub) = cur.find_subcommand(t.as_ref()) {
            cur = sub;
        } else {
            plain_seen = true;
        }
    }
    false
}

/// Copies the flag at `rest[i]` (and its separate value, if it takes one) to `out`, with a
/// boolean's `=true`/`=false` rewritten; returns how many tokens it used.
fn flag_width(
    tok: &str,
    rest: &[OsString],
    i: usize,
    cmd: &clap::Command,
    globals: &[clap::Arg],
    out: &mut Vec<OsString>,
) -> usize {
    let args = || cmd.get_arguments().chain(globals.iter());
    if let Some(long) = tok.strip_prefix("--") {
        let (name, value) = match long.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (long, None),
        };
        let arg = args().find(|a| {
            a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
        });
        match (arg, value) {
            (Some(a), Some(v)) if is_bool(a) => {
                if let Some(b) = parse_bool(v) {
                    if b {
                        out.push(format!("--{name}").into());
                    }
                    return 1;
                }
            }
            (Some(a), None) if takes_separate_value(a) => {
                out.push(rest[i].clone());
                if let Some(v) = rest.get(i + 1) {
                    out.push(v.clone());
                    return 2;
                }
                return 1;
            }
            // An optional value (`--pull [POLICY]`): clap takes the next word when it is not
            // a flag, so it is not the command's first positional either.
            (Some(a), None) if takes_optional_value(a) => {
                out.push(rest[i].clone());
                if let Some(v) = rest.get(i + 1)
                    && !v.to_string_lossy().starts_with('-')
                {
                    out.push(v.clone());
                    return 2;
                }
                return 1;
            }
            _ => {}
        }
        out.push(rest[i].clone());
        return 1;
    }
    // A cluster of short flags: the first that takes a value ends it.
    let chars: Vec<char> = tok[1..].chars().collect();
    if chars.len() >= 2 && chars[1] == '=' {
        let a = args().find(|a| a.get_short() == Some(chars[0]));
        if let Some(a) = a
            && is_bool(a)
            && let Some(b) = parse_bool(&tok[3..])
        {
            if b {
                out.push(format!("-{}", chars[0]).into());
            }
            return 1;
        }
    }
    out.push(rest[i].clone());
    for (k, c) in chars.iter().enumerate() {
        let Some(a) = args().find(|a| a.get_short() == Some(*c)) else {
            return 1;
        };
        if a.get_action().takes_values() {
            let attached = k + 1 < chars.len();
            if !attached
                && takes_separate_value(a)
                && let Some(v) = rest.get(i + 1)
            {
                out.push(v.clone());
                return 2;
            }
            return 1;
        }
    }
    1
}

fn is_bool(a: &clap::Arg) -> bool {
    matches!(
        a.get_action(),
        clap::ArgAction::SetTrue | clap::ArgAction::SetFalse
    )
}

fn takes_separate_value(a: &clap::Arg) -> bool {
    a.get_action().takes_values()
        && !a.is_require_equals_set()
        && a.get_num_args().is_none_or(|n| n.min_values() > 0)
}

fn takes_optional_value(a: &clap::Arg) -> bool {
    a.get_action().takes_values()
        && !a.is_require_equals_set()
        && a.get_num_args()
            .is_some_and(|n| n.min_values() == 0 && n.max_values() > 0)
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "t" | "yes" => Some(true),
        "false" | "0" | "f" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction, Command};

    fn cli() -> Command {
        let run = Command::new("run")
            .arg(Arg::new("rm").long("rm").action(ArgAction::SetTrue))
            .arg(
                Arg::new("detach")
                    .short('d')
                    .long("detach")
                    .action(ArgAction::SetTrue),
            )
            .arg(
                Arg::new("interactive")
                    .short('i')
                    .action(ArgAction::SetTrue),
            )
            .arg(Arg::new("tty").short('t').action(ArgAction::SetTrue))
            .arg(
                Arg::new("env")
                    .short('e')
                    .long("env")
                    .action(ArgAction::Append),
            )
            .arg(Arg::new("entrypoint").long("entrypoint"))
            .arg(
                Arg::new("pull")
                    .long("pull")
                    .num_args(0..=1)
                    .default_missing_value("always"),
            )
            .arg(Arg::new("image"))
            .arg(Arg::new("command").num_args(0..).trailing_var_arg(true));
        let ps = Command::new("ps").arg(Arg::new("all").short('a').action(ArgAction::SetTrue));
        Command::new("burrow")
            .arg(Arg::new("root").long("root").global(true))
            .subcommand(run)
            .subcommand(Command::new("container").subcommand(Command::new("run")))
            .subcommand(ps)
    }

    fn norm(args: &[&str]) -> Vec<String> {
        let v = std::iter::once("burrow")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        normalize(v, &cli())
            .into_iter()
            .skip(1)
            .map(|s| s.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn an_optional_value_is_not_the_image() {
        assert_eq!(
            norm(&["run", "--pull", "never", "--rm", "busybox", "true"]),
            ["run", "--pull", "never", "--rm", "busybox", "--", "true"]
        );
        assert_eq!(
            norm(&["run", "--pull", "--rm", "busybox", "-c", "x"]),
            ["run", "--pull", "--rm", "busybox", "--", "-c", "x"]
        );
    }

    #[test]
    fn flags_stop_at_the_image() {
        assert_eq!(
            norm(&[
                "run",
                "--rm",
                "--entrypoint",
                "sh",
                "busybox",
                "-c",
                "echo hi"
            ]),
            [
                "run",
                "--rm",
                "--entrypoint",
                "sh",
                "busybox",
                "--",
                "-c",
                "echo hi"
            ]
        );
        assert_eq!(
            norm(&["run", "-it", "-e", "A=1", "busybox", "sh", "-e", "x"]),
            ["run", "-it", "-e", "A=1", "busybox", "--", "sh", "-e", "x"]
        );
        assert_eq!(
            norm(&["run", "busybox", "--help"]),
            ["run", "busybox", "--", "--help"]
        );
        assert_eq!(norm(&["run", "busybox"]), ["run", "busybox"]);
        assert_eq!(
            norm(&["--root", "/r", "run", "-eA=1", "img", "x"]),
            ["--root", "/r", "run", "-eA=1", "img", "--", "x"]
        );
        assert_eq!(
            norm(&["run", "img", "--", "-x"]),
            ["run", "img", "--", "-x"]
        );
    }

    #[test]
    fn booleans_take_true_and_false() {
        assert_eq!(norm(&["run", "--rm=true", "img"]), ["run", "--rm", "img"]);
        assert_eq!(
            norm(&["run", "--rm=false", "-d=true", "img"]),
            ["run", "-d", "img"]
        );
        assert_eq!(norm(&["ps", "-a=false"]), ["ps"]);
        // Not a boolean value: left for clap to report.
        assert_eq!(
            norm(&["run", "--rm=maybe", "img"]),
            ["run", "--rm=maybe", "img"]
        );
    }
}
