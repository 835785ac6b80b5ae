//! podman's systemd mode (`--systemd`, `--shm-size-systemd`): when a container runs an init
//! (or `--systemd=always`), it gets what systemd expects of a container: tmpfs on /run,
//! /run/lock, /tmp and /var/log/journal, `container=podman` and `container_uuid` in its
//! environment, and SIGRTMIN+3 (systemd's "halt") as its stop signal unless one is given.
//! Decided once, at create, from the merged command; the mounts are added at each start and
//! never stored (inspect shows them nowhere, as podman's).

use std::path::Path;

use crate::container::Mount;

use super::SpecError;

/// `--systemd`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SystemdMode {
    /// podman's default: systemd mode when the command is an init or systemd.
    #[default]
    True,
    False,
    Always,
}

/// systemd's "halt" request: what `stop` sends a container in systemd mode.
pub const STOP_SIGNAL: &str = "SIGRTMIN+3";

/// Where podman mounts a tmpfs in systemd mode (a mount the user gave there wins).
pub const TMPFS_DIRS: [&str; 4] = ["/run", "/run/lock", "/tmp", "/var/log/journal"];

impl SystemdMode {
    /// The flag's value, any case, as podman lower-cases it.
    pub fn parse(value: &str) -> Result<SystemdMode, SpecError> {
        match value.to_ascii_lowercase().as_str() {
            "true" => Ok(SystemdMode::True),
            "false" => Ok(SystemdMode::False),
            "always" => Ok(SystemdMode::Always),
            _ => Err(SpecError::Systemd(value.to_string())),
        }
    }

    /// Whether a container running `args` (entrypoint then command) is in systemd mode:
    /// podman's rule, `/sbin/init`, `/usr/sbin/init`, `/usr/local/sbin/init` or any path whose
    /// last part is `systemd`, also behind `/bin/sh -c` as a build's RUN line has it.
    pub fn applies(self, args: &[String]) -> bool {
        match self {
            SystemdMode::Always => true,
            SystemdMode::False => false,
            SystemdMode::True => {
                let cmd = match args {
                    [sh, c, rest @ ..] if sh == "/bin/sh" && c == "-c" && !rest.is_empty() => rest,
                    _ => args,
                };
                cmd.first().is_some_and(|first| {
                    matches!(
                        first.as_str(),
                        "/sbin/init" | "/usr/sbin/init" | "/usr/local/sbin/init"
                    ) || Path::new(first).file_name().is_some_and(|n| n == "systemd")
                })
            }
        }
    }
}

/// The tmpfs mounts of systemd mode that `existing` does not already cover, each sized by
/// `--shm-size-systemd` (`size` bytes; 0 leaves the kernel's half of memory). podman's
/// options are rw,rprivate,nosuid,nodev,tmpcopyup: burrow's mounts are private already and
/// the directories start empty (no copy-up of what the image has there).
pub fn tmpfs_mounts(existing: &[Mount], size: i64) -> Vec<Mount> {
    TMPFS_DIRS
        .iter()
        .filter(|d| !existing.iter().any(|m| m.destination == Path::new(d)))
        .map(|d| {
            let mut options: Vec<String> = ["rw", "nosuid", "nodev", "mode=755"]
                .iter()
                .map(|o| o.to_string())
                .collect();
            if *d == "/tmp" {
                // /tmp is world-writable with the sticky bit, as systemd's tmp.mount has it.
                options[3] = "mode=1777".to_string();
            }
            if size > 0 {
                options.push(format!("size={size}"));
            }
            Mount {
                kind: "tmpfs".into(),
                source: "tmpfs".into(),
                destination: d.into(),
                options,
                ..Mount::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn init_commands_turn_systemd_mode_on() {
        let on = SystemdMode::True;
        assert!(on.applies(&v(&["/sbin/init"])));
        assert!(on.applies(&v(&["/usr/lib/systemd/systemd", "--log-level=debug"])));
        assert!(on.applies(&v(&["/bin/sh", "-c", "/usr/sbin/init"])));
        assert!(!on.applies(&v(&["sh", "-c", "init"])));
        assert!(!on.applies(&v(&["/bin/init"])));
        assert!(!on.applies(&[]));
        assert!(!SystemdMode::False.applies(&v(&["/sbin/init"])));
        assert!(SystemdMode::Always.applies(&v(&["sleep", "1"])));
    }

    #[test]
    fn mode_parses_any_case_and_refuses_others() {
        assert_eq!(SystemdMode::parse("ALWAYS").unwrap(), SystemdMode::Always);
        assert_eq!(SystemdMode::parse("false").unwrap(), SystemdMode::False);
        assert!(SystemdMode::parse("yes").is_err());
    }

    #[test]
    fn tmpfs_mounts_leave_user_mounts_alone_and_take_the_size() {
        let user = Mount {
            kind: "tmpfs".into(),
            destination: "/tmp".into(),
            ..Mount::default()
        };
        let m = tmpfs_mounts(&[user], 1 << 20);
        let dests: Vec<_> = m.iter().map(|m| m.destination.clone()).collect();
        assert_eq!(
            dests,
            vec![
                Path::new("/run"),
                Path::new("/run/lock"),
                Path::new("/var/log/journal")
            ]
        );
        assert!(m[0].options.contains(&"size=1048576".to_string()));
    }
}
