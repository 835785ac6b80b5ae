//! `--pid`, `--ipc` and `--uts`: which PID, IPC or UTS namespace a container gets (its own,
//! the host's, another container's or one named by a path), parsed as podman's
//! `specgen.ParseNamespace` reads them, and the form stored in a container's config.

use std::path::PathBuf;

use super::SpecError;

/// One namespace setting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NsMode {
    /// A new namespace of its own (podman's `private`).
    #[default]
    Private,
    /// `--ipc shareable`: its own, which other containers may join (every private one can).
    Shareable,
    /// The host's (burrow's own, rootless: the namespace the user's session runs in).
    Host,
    /// `container:NAME`: another container's; stored with its id.
    Container(String),
    /// `ns:PATH`: the namespace file at PATH.
    Path(PathBuf),
}

impl NsMode {
    /// `flag` (`--pid`, `--ipc`, `--uts`) given `value`.
    pub fn parse(flag: &'static str, value: &str) -> Result<NsMode, SpecError> {
        let bad = |why: &str| SpecError::Namespace {
            flag,
            value: value.to_string(),
            why: why.to_string(),
        };
        Ok(match value {
            "" | "private" => NsMode::Private,
            "shareable" if flag == "--ipc" => NsMode::Shareable,
            "host" => NsMode::Host,
            v => {
                if let Some(name) = v.strip_prefix("container:") {
                    if name.is_empty() {
                        return Err(bad("must provide a container name or ID after container:"));
                    }
                    NsMode::Container(name.to_string())
                } else if let Some(path) = v.strip_prefix("ns:") {
                    if !path.starts_with('/') {
                        return Err(bad("ns: takes the absolute path of a namespace file"));
                    }
                    NsMode::Path(PathBuf::from(path))
                } else if flag == "--ipc" {
                    return Err(bad(
                        "use private, shareable, host, container:NAME or ns:PATH",
                    ));
                } else {
                    return Err(bad("use private, host, container:NAME or ns:PATH"));
                }
            }
        })
    }

    /// As stored in a container's config and shown by inspect: "" for private.
    pub fn stored(&self) -> String {
        match self {
            NsMode::Private => String::new(),
            NsMode::Shareable => "shareable".into(),
            NsMode::Host => "host".into(),
            NsMode::Container(id) => format!("container:{id}"),
            NsMode::Path(p) => format!("ns:{}", p.display()),
        }
    }

    /// A stored value back (it was checked when stored).
    pub fn from_stored(flag: &'static str, s: &str) -> NsMode {
        NsMode::parse(flag, s).unwrap_or_default()
    }

    pub fn is_private(&self) -> bool {
        matches!(self, NsMode::Private | NsMode::Shareable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_as_podman_spells_them() {
        assert_eq!(NsMode::parse("--pid", "host").unwrap(), NsMode::Host);
        assert_eq!(NsMode::parse("--uts", "").unwrap(), NsMode::Private);
        assert_eq!(
            NsMode::parse("--ipc", "shareable").unwrap(),
            NsMode::Shareable
        );
        assert!(NsMode::parse("--pid", "shareable").is_err());
        assert_eq!(
            NsMode::parse("--ipc", "container:db").unwrap().stored(),
            "container:db"
        );
        assert_eq!(
            NsMode::parse("--uts", "ns:/proc/1/ns/uts").unwrap(),
            NsMode::Path("/proc/1/ns/uts".into())
        );
        for bad in ["bogus", "container:", "ns:relative"] {
            assert!(NsMode::parse("--pid", bad).is_err(), "{bad}");
        }
    }
}
