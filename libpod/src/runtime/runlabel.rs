//! `container runlabel LABEL IMAGE [ARG...]`: the command an image's label describes, with
//! podman's substitutions (`IMAGE`, `NAME`, `$PWD`/`$HOME`, a leading `podman` or `docker`
//! run as this burrow binary), and the image pulled first when it is missing. The label is
//! trusted input by design (podman's rule: use it on trusted images only); this module only
//! builds the argument vector, it never runs it through a shell.

use std::path::Path;

use storage::registry::Reporter;

use super::Runtime;
use super::pull::PullPolicy;
use crate::error::Result;
use crate::registry::RegistryFlags;

#[derive(Debug, thiserror::Error)]
pub enum RunlabelError {
    #[error("cannot find the value of label: {label} in image: {image}")]
    NoLabel { label: String, image: String },
    #[error("`{command}` failed: {reason}")]
    Failed { command: String, reason: String },
    #[error("label {label} of image {image}: {reason}")]
    Parse {
        label: String,
        image: String,
        reason: String,
    },
}

/// The command to run and what `--display` shows.
#[derive(Clone, Debug, PartialEq)]
pub struct RunlabelCommand {
    pub argv: Vec<String>,
    /// The container name the command was given (`--name X` in it), for `--replace`.
    pub container_name: Option<String>,
}

/// Splits a command line as google/shlex does (podman's splitter): white space separates,
/// quotes group, a backslash escapes, `#` at a word's start comments out the rest.
pub fn split(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(n) => cur.push(n),
                    None => return Err("EOF found after escape character".into()),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => cur.push(n),
                        None => return Err("EOF found when expecting closing quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => cur.push(n),
                            Some('\n') => {}
                            Some(n) => {
                                cur.push('\\');
                                cur.push(n);
                            }
                            None => return Err("EOF found after escape character".into()),
                        },
                        Some(n) => cur.push(n),
                        None => return Err("EOF found when expecting closing quote".into()),
                    }
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// podman's replacement of `IMAGE`/`NAME` in one argument: the bare word, `$X`, `${X}`, and
/// a trailing `=X`.
fn substitute(arg: &str, var: &str, value: &str) -> String {
    if arg == var {
        return value.to_string();
    }
    let mut s = arg
        .replace(&format!("${{{var}}}"), value)
        .replace(&format!("${var}"), value);
    let eq = format!("={var}");
    if s.ends_with(&eq) {
        s = s.replace(&eq, &format!("={value}"));
    }
    s
}

/// `$PWD` and `$HOME` expanded as Go's os.Expand does for podman's runlabel (other
/// variables become empty).
fn expand(line: &str, lookup: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(inner) = after.strip_prefix('{')
            && let Some(end) = inner.find('}')
        {
            out.push_str(&lookup(&inner[..end]));
            rest = &inner[end + 1..];
            continue;
        }
        let n = after
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(after.len(), |(i, _)| i);
        if n == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        out.push_str(&lookup(&after[..n]));
        rest = &after[n..];
    }
    out.push_str(rest);
    out
}

/// The values `expand` gives on this host.
fn host_lookup(k: &str) -> String {
    match k {
        "PWD" => std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        "HOME" => std::env::var("HOME").unwrap_or_default(),
        "OPT1" | "OPT2" | "OPT3" => std::env::var(k).unwrap_or_default(),
        _ => String::new(),
    }
}

/// The command of `label` for `image` (its stored name) asked for as `input`, with `name`
/// (`--name`) and extra `args`; `exe` replaces a leading `podman`/`docker`.
pub fn command(
    label: &str,
    image: &str,
    input: &str,
    name: Option<&str>,
    args: &[String],
    exe: &Path,
) -> std::result::Result<Vec<String>, String> {
    let name = match name {
        Some(n) if !n.is_empty() => n.to_string(),
        // podman: the last path element of the name asked for, without its tag.
        _ => {
            let last = input.rsplit('/').next().unwrap_or(input);
            last.split(':').next().unwrap_or(last).to_string()
        }
    };
    let mut line = label.to_string();
    if !args.is_empty() {
        line = format!("{line} {}", args.join(" "));
    }
    let words = split(&line)?;
    let Some((prog, rest)) = words.split_first() else {
        return Err("the label is empty".into());
    };
    let prog = if prog == "podman"
        || prog == "docker"
        || Path::new(prog).file_name().is_some_and(|b| b == "docker")
    {
        exe.display().to_string()
    } else {
        prog.clone()
    };
    let mut cmd = vec![prog];
    for a in rest {
        cmd.push(match a.as_str() {
            "IMAGE=IMAGE" => format!("IMAGE={image}"),
            "NAME=NAME" => format!("NAME={name}"),
            _ => substitute(&substitute(a, "NAME", &name), "IMAGE", image),
        });
    }
    // podman expands the joined command and splits it again.
    let joined = cmd.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
    split(&expand(&joined, &host_lookup))
}

/// A word quoted so that [`split`] gives it back (and `$` is kept for [`expand`]).
fn quote(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '\'' | '"' | '\\' | '#'))
    {
        return w.to_string();
    }
    format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Runtime {
    /// The command of `label` in `image` (pulled when missing, as podman does).
    pub fn runlabel_command(
        &self,
        label: &str,
        image: &str,
        args: &[String],
        name: Option<&str>,
        flags: &RegistryFlags,
        report: &dyn Reporter,
    ) -> Result<RunlabelCommand> {
        let label = label.trim_start_matches('/');
        let img = self.image_for_run(image, PullPolicy::Missing, flags, None, report)?;
        let config = self.store.config(&img)?;
        let value = config
            .config()
            .as_ref()
            .and_then(|c| c.labels().as_ref())
            .and_then(|l| {
                l.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(label))
                    .map(|(_, v)| v.clone())
            })
            .filter(|v| !v.is_empty())
            .ok_or_else(|| RunlabelError::NoLabel {
                label: label.to_string(),
                image: image.to_string(),
            })?;
        let stored = img.names.first().cloned().unwrap_or_else(|| img.id.clone());
        let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
        let argv = command(&value, &stored, image, name, args, &exe).map_err(|reason| {
            RunlabelError::Parse {
                label: label.to_string(),
                image: image.to_string(),
                reason,
            }
        })?;
        let container_name = argv
            .iter()
            .position(|a| a == "--name")
            .and_then(|i| argv.get(i + 1).cloned())
            .or_else(|| {
                argv.iter()
                    .find_map(|a| a.strip_prefix("--name=").map(str::to_string))
            });
        Ok(RunlabelCommand {
            argv,
            container_name,
        })
    }

    /// Runs the command on the host (stdio inherited; `quiet`: none, as podman does) and
    /// fails as podman does when it does not exit 0.
    pub fn runlabel_run(&self, cmd: &RunlabelCommand, quiet: bool) -> Result<()> {
        use std::process::{Command, Stdio};
        let Some((prog, args)) = cmd.argv.split_first() else {
            return Ok(());
        };
        let stdio = || {
            if quiet {
                Stdio::null()
            } else {
                Stdio::inherit()
            }
        };
        let status = Command::new(prog)
            .args(args)
            .env("PODMAN_RUNLABEL_NESTED", "1")
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio())
            .status();
        let reason = match status {
            Ok(s) if s.success() => return Ok(()),
            Ok(s) => match s.code() {
                Some(c) => format!("exit status {c}"),
                None => format!("{s}"),
            },
            Err(e) => e.to_string(),
        };
        Err(RunlabelError::Failed {
            command: cmd.argv.join(" "),
            reason,
        }
        .into())
    }

    /// `--replace`: the container the command will name goes first (stopped and removed).
    pub fn runlabel_replace(&self, cmd: &RunlabelCommand) -> Result<()> {
        if let Some(n) = &cmd.container_name
            && self.lookup(n).is_ok()
        {
            self.remove(n, true, false)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn splits_as_shlex() {
        assert_eq!(
            split(r#"a "b c" 'd e' f\ g # tail"#).unwrap(),
            s(&["a", "b c", "d e", "f g"])
        );
        assert!(split("a 'b").is_err());
    }

    #[test]
    fn substitutes_as_podman() {
        let exe = Path::new("/usr/bin/burrow");
        let cmd = command(
            "podman run --name NAME -e IMAGE=IMAGE -e N=$NAME ${IMAGE} echo hi",
            "localhost/app:1",
            "app:1",
            None,
            &s(&["extra"]),
            exe,
        )
        .unwrap();
        assert_eq!(
            cmd,
            s(&[
                "/usr/bin/burrow",
                "run",
                "--name",
                "app",
                "-e",
                "IMAGE=localhost/app:1",
                "-e",
                "N=app",
                "localhost/app:1",
                "echo",
                "hi",
                "extra"
            ])
        );
        let cmd = command("/bin/echo IMAGE", "x", "x", Some("n"), &[], exe).unwrap();
        assert_eq!(cmd, s(&["/bin/echo", "x"]));
        assert_eq!(
            command("/usr/bin/docker run IMAGE", "x", "x", None, &[], exe).unwrap()[0],
            "/usr/bin/burrow"
        );
    }

    #[test]
    fn expands_pwd_and_drops_others() {
        let lookup = |k: &str| {
            if k == "HOME" {
                "/home/u".to_string()
            } else {
                String::new()
            }
        };
        assert_eq!(
            expand("a $HOME ${HOME}/x $UNSET_X $", &lookup),
            "a /home/u /home/u/x  $"
        );
    }
}
