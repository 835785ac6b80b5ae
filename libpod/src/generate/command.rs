//! A container's create command rewritten for a `--new` unit, by podman's rules: the global
//! flags before `run`/`create` kept, flags the unit sets itself (`--rm`, `--cgroups`,
//! `--cidfile`, `--restart`, `--sdnotify=ignore`, `-d=false`, `--replace=false`) dropped, and
//! only the flags before the image looked at (the container's own command is never touched).

/// A create command that cannot be turned into a unit's `run`.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum CreateCommandError {
    #[error("container's create command is too short or invalid: {0:?}")]
    Invalid(Vec<String>),
    #[error(
        "pod does not appear to be created via `burrow pod create`: {0:?}: only pods made by `pod create` can be generated with --new"
    )]
    NotPodCreate(Vec<String>),
}

/// The parts of a create command a unit needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunCommand {
    /// Global flags given before `run` (`--root DIR`).
    pub root_flags: Vec<String>,
    /// The flags after `run`, without those the unit sets itself, then the image and command.
    pub rest: Vec<String>,
    pub detach: bool,
    pub name: bool,
    pub replace: bool,
    /// `--sdnotify` as given (None: not given).
    pub sdnotify: Option<String>,
    /// `--restart` as given.
    pub restart: Option<String>,
    /// `-e NAME` without `=`: taken from the environment of `run`, so the unit must set it.
    pub env_from_host: Vec<String>,
}

/// Splits `argv` (the stored create command) as podman's `--new` does. `value_flags` lists
/// the flags of `run` that take a separate value (`--name`, `-e`). `in_pod_unit`: the unit is
/// one of a pod's `--new` units, which names the pod by its `--pod-id-file` instead, so the
/// command's own `--pod`/`--pod-id-file` go.
pub fn parse(
    argv: &[String],
    value_flags: &[String],
    in_pod_unit: bool,
) -> Result<RunCommand, CreateCommandError> {
    let invalid = || CreateCommandError::Invalid(argv.to_vec());
    let index = argv
        .iter()
        .position(|a| a == "run" || a == "create")
        .filter(|&i| i > 0)
        .ok_or_else(invalid)?;
    let mut out = RunCommand {
        root_flags: argv[1..index].to_vec(),
        ..RunCommand::default()
    };
    let args = &argv[index + 1..];
    let takes_value = |flag: &str| value_flags.iter().any(|f| f == flag);
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" || !a.starts_with('-') || a == "-" {
            break;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        let separate = inline.is_none() && takes_value(flag);
        let value = match (&inline, separate) {
            (Some(v), _) => Some(v.clone()),
            (None, true) => args.get(i + 1).cloned(),
            (None, false) => None,
        };
        let width = if separate { 2 } else { 1 };
        let is_true = |v: &Option<String>| v.as_deref().is_none_or(|v| v == "true");
        let keep = match flag {
            "--rm" | "--cgroups" | "--cidfile" => false,
            "--pod" | "--pod-id-file" => !in_pod_unit,
            "--restart" => {
                out.restart = value.clone();
                false
            }
            "-d" | "--detach" => {
                out.detach = is_true(&inline);
                out.detach
            }
            // A cluster of short booleans (`-dit`).
            f if !f.starts_with("--") && f.len() > 2 && inline.is_none() => {
                out.detach |= f.contains('d');
                true
            }
            "--replace" => {
                out.replace = is_true(&inline);
                out.replace
            }
            "--name" => {
                out.name = true;
                true
            }
            "--sdnotify" => {
                out.sdnotify = value.clone();
                // A unit of Type=notify needs someone to say READY.
                value.as_deref() != Some("ignore")
            }
            "-e" | "--env" => {
                if let Some(v) = &value
                    && !v.contains('=')
                {
                    out.env_from_host.push(v.clone());
                }
                true
            }
            _ => true,
        };
        if keep {
            out.rest
                .extend(args[i..(i + width).min(args.len())].iter().cloned());
        }
        i += width;
    }
    out.rest.extend(args[i.min(args.len())..].iter().cloned());
    Ok(out)
}

/// A pod's create command rewritten for its `--new` unit (podman's rules).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodCreateCommand {
    /// Global flags given before `pod create`.
    pub root_flags: Vec<String>,
    /// The flags and name after `pod create`, without the pid and id files (the unit sets
    /// its own) and `--replace=false`.
    pub args: Vec<String>,
    /// `--replace` was given (the unit adds it otherwise, so a restart replaces the pod).
    pub replace: bool,
    /// `--exit-policy` was given (the unit's default is stop).
    pub exit_policy: bool,
}

/// Splits a pod's stored create command; refuses one that is not `pod create` (a pod made by
/// `run --pod new:NAME`).
pub fn parse_pod_create(argv: &[String]) -> Result<PodCreateCommand, CreateCommandError> {
    let index = (2..argv.len())
        .find(|&i| argv[i - 1] == "pod" && argv[i] == "create")
        .ok_or_else(|| CreateCommandError::NotPodCreate(argv.to_vec()))?;
    let mut out = PodCreateCommand {
        root_flags: argv[1..index - 1].to_vec(),
        ..PodCreateCommand::default()
    };
    let mut args = argv[index + 1..].iter();
    while let Some(a) = args.next() {
        let flag = a.split_once('=').map_or(a.as_str(), |(f, _)| f);
        match flag {
            "--pod-id-file" | "--infra-conmon-pidfile" => {
                if !a.contains('=') {
                    args.next();
                }
                continue;
            }
            "--replace" => {
                out.replace = matches!(a.as_str(), "--replace" | "--replace=true");
                if !out.replace {
                    continue;
                }
            }
            "--exit-policy" => out.exit_policy = true,
            _ => {}
        }
        out.args.push(a.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn flags() -> Vec<String> {
        v(&[
            "--name",
            "-e",
            "--env",
            "--restart",
            "--cgroups",
            "--cidfile",
            "-p",
            "--sdnotify",
            "--pod",
            "--pod-id-file",
        ])
    }

    #[test]
    fn unit_flags_are_dropped_and_the_command_kept() {
        let argv = v(&[
            "burrow",
            "--root",
            "/r",
            "run",
            "--rm",
            "--name",
            "web",
            "-p",
            "8080:80",
            "--restart=always",
            "--cgroups",
            "split",
            "-e",
            "HOME",
            "--replace=false",
            "busybox",
            "sh",
            "-c",
            "--rm -d",
        ]);
        let r = parse(&argv, &flags(), false).unwrap();
        assert_eq!(r.root_flags, v(&["--root", "/r"]));
        assert_eq!(
            r.rest,
            v(&[
                "--name", "web", "-p", "8080:80", "-e", "HOME", "busybox", "sh", "-c", "--rm -d"
            ])
        );
        assert!(r.name && !r.replace && !r.detach);
        assert_eq!(r.restart.as_deref(), Some("always"));
        assert_eq!(r.env_from_host, v(&["HOME"]));
    }

    #[test]
    fn detach_and_sdnotify() {
        let r = parse(
            &v(&["burrow", "run", "-d", "--sdnotify=ignore", "busybox"]),
            &flags(),
            false,
        )
        .unwrap();
        assert!(r.detach);
        assert_eq!(r.rest, v(&["-d", "busybox"]));
        assert_eq!(r.sdnotify.as_deref(), Some("ignore"));
        assert!(parse(&v(&["burrow", "ps"]), &flags(), false).is_err());
    }

    #[test]
    fn a_pod_member_loses_its_pod_flags_in_a_pod_unit() {
        let argv = v(&["burrow", "run", "--pod", "p", "--pod-id-file=/f", "busybox"]);
        assert_eq!(parse(&argv, &flags(), true).unwrap().rest, v(&["busybox"]));
        assert_eq!(
            parse(&argv, &flags(), false).unwrap().rest,
            v(&["--pod", "p", "--pod-id-file=/f", "busybox"])
        );
    }

    #[test]
    fn pod_create_command() {
        let r = parse_pod_create(&v(&[
            "burrow",
            "--root",
            "/r",
            "pod",
            "create",
            "--pod-id-file",
            "/x",
            "--infra-conmon-pidfile=/y",
            "--replace=false",
            "-p",
            "80:80",
            "--name",
            "web",
        ]))
        .unwrap();
        assert_eq!(r.root_flags, v(&["--root", "/r"]));
        assert_eq!(r.args, v(&["-p", "80:80", "--name", "web"]));
        assert!(!r.replace && !r.exit_policy);
        let r = parse_pod_create(&v(&[
            "burrow",
            "pod",
            "create",
            "--replace",
            "--exit-policy=continue",
        ]))
        .unwrap();
        assert!(r.replace && r.exit_policy);
        assert!(parse_pod_create(&v(&["burrow", "run", "--pod", "new:p", "busybox"])).is_err());
    }
}
