//! `--log-driver` and `--log-opt`: where a container's output is kept. burrow writes podman's
//! k8s-file format (`json-file` is podman's alias of it), nothing (`none`), the systemd journal
//! (`journald`, refused where there is no journal socket) or hands its own streams to the
//! container (`passthrough`, refused on a terminal as podman's; `passthrough-tty` allows it).
//! `--log-opt` takes `path=`, `max-size=` (the
//! file starts over once it would pass the size, as conmon's log-size-max does) and `tag=`.

use std::path::PathBuf;

use super::SpecError;

/// The parsed logging flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogSpec {
    /// "" (k8s-file, the default), "none", "journald" or "passthrough".
    pub driver: String,
    /// `path=`: the log file instead of the container directory's `ctr.log`.
    pub path: Option<PathBuf>,
    /// `max-size=` in bytes; 0 for no limit.
    pub max_size: i64,
    /// `tag=`, kept for inspect (podman uses it with journald only).
    pub tag: String,
}

impl LogSpec {
    pub fn parse(driver: Option<&str>, opts: &[String]) -> Result<LogSpec, SpecError> {
        let bad_driver = |why: &str| SpecError::LogDriver {
            driver: driver.unwrap_or_default().to_string(),
            why: why.to_string(),
        };
        let driver = match driver.unwrap_or("") {
            "" | "k8s-file" | "json-file" => "",
            "none" => "none",
            "journald" if crate::journald::available() => "journald",
            "journald" => {
                return Err(bad_driver(&format!(
                    "there is no systemd journal here ({} is absent): use k8s-file (the default) or none",
                    crate::journald::SOCKET
                )));
            }
            "passthrough" => {
                // podman's rule: a terminal's streams handed to a container could be abused
                // with TIOCSTI; passthrough-tty says the user wants it anyway.
                // SAFETY: isatty only queries the descriptors.
                if (0..3).any(|fd| unsafe { libc::isatty(fd) } == 1) {
                    return Err(SpecError::PassthroughOnTty);
                }
                "passthrough"
            }
            "passthrough-tty" => "passthrough-tty",
            _ => return Err(bad_driver("use k8s-file, json-file or none")),
        };
        let mut spec = LogSpec {
            driver: driver.to_string(),
            ..Default::default()
        };
        for o in opts {
            let bad = |why: &str| SpecError::LogOpt {
                value: o.clone(),
                why: why.to_string(),
            };
            let (key, value) = o
                .split_once('=')
                .ok_or_else(|| bad("use NAME=VALUE: path=, max-size= or tag="))?;
            match key {
                "path" => {
                    if value.is_empty() {
                        return Err(bad("path= needs a file"));
                    }
                    let p = PathBuf::from(value);
                    spec.path = Some(if p.is_absolute() {
                        p
                    } else {
                        std::env::current_dir().unwrap_or_default().join(p)
                    });
                }
                "max-size" => {
                    spec.max_size = crate::cgroups::limits::parse_size("log-opt max-size", value)
                        .map_err(|_| bad("max-size takes a size such as 10mb"))?;
                }
                "tag" => spec.tag = value.to_string(),
                // podman's journald-only label= is accepted, as podman does for k8s-file.
                "label" => {}
                _ => return Err(bad("unknown option: use path=, max-size= or tag=")),
            }
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drivers_and_options() {
        let s = LogSpec::parse(
            Some("json-file"),
            &[
                "path=/tmp/x.log".into(),
                "max-size=1k".into(),
                "tag=t".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            s,
            LogSpec {
                driver: String::new(),
                path: Some("/tmp/x.log".into()),
                max_size: 1024,
                tag: "t".into()
            }
        );
        assert_eq!(LogSpec::parse(Some("none"), &[]).unwrap().driver, "none");
        // journald: taken where the journal's socket exists, refused elsewhere.
        assert_eq!(
            LogSpec::parse(Some("journald"), &[]).is_ok(),
            crate::journald::available()
        );
        for (d, o) in [
            ("syslog", ""),
            ("k8s-file", "max-size=lots"),
            ("k8s-file", "color=red"),
            ("k8s-file", "path"),
        ] {
            let opts: Vec<String> = if o.is_empty() { vec![] } else { vec![o.into()] };
            assert!(LogSpec::parse(Some(d), &opts).is_err(), "{d} {o}");
        }
    }
}
