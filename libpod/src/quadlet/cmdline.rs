//! A burrow command line being built for `ExecStart=` and friends, and the value rules
//! quadlet keys share: systemd booleans, word splitting, `KEY=VALUE` lists.
//!
//! Words keep `%` specifiers and `$` variables as written: quadlet values are unit-file
//! values already, and `%t`, `%N` in them are meant for systemd.

use super::{Ctx, Quadlet, QuadletError};

/// The arguments of one command.
#[derive(Clone, Debug, Default)]
pub(super) struct Cmd {
    pub args: Vec<String>,
}

impl Cmd {
    /// `burrow` with the file's `ContainersConfModule=` and `GlobalArgs=`.
    pub fn base(q: &Quadlet, ctx: &Ctx) -> Result<Cmd, QuadletError> {
        let mut c = Cmd {
            args: vec![ctx.opts.burrow.clone()],
        };
        let group = q.kind.group();
        for m in q.unit.get_all(group, "ContainersConfModule") {
            c.add([format!("--module={m}")]);
        }
        for v in q.unit.get_all(group, "GlobalArgs") {
            c.add(split(q, v)?);
        }
        Ok(c)
    }

    pub fn add<I, S>(&mut self, words: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(words.into_iter().map(Into::into));
        self
    }

    /// `--flag` for true, `--flag=false` for false (podman's addBool).
    pub fn add_bool(&mut self, flag: &str, value: bool) {
        if value {
            self.add([flag]);
        } else {
            self.add([format!("{flag}=false")]);
        }
    }

    /// `flag VALUE` for the last non-empty value of each key.
    pub fn strings(&mut self, q: &Quadlet, keys: &[(&str, &str)]) {
        for (key, flag) in keys {
            if let Some(v) = q.unit.get(q.kind.group(), key).filter(|v| !v.is_empty()) {
                self.add([*flag, v]);
            }
        }
    }

    /// `flag VALUE` for every value of each key.
    pub fn all_strings(&mut self, q: &Quadlet, keys: &[(&str, &str)]) {
        for (key, flag) in keys {
            for v in q.unit.get_all(q.kind.group(), key) {
                self.add([*flag, v]);
            }
        }
    }

    /// `--flag` / `--flag=false` for each boolean key that is set.
    pub fn booleans(&mut self, q: &Quadlet, keys: &[(&str, &str)]) -> Result<(), QuadletError> {
        for (key, flag) in keys {
            if let Some(b) = boolean(q, key)? {
                self.add_bool(flag, b);
            }
        }
        Ok(())
    }

    /// `flag KEY=VALUE` for every word of every value of each key (`Environment=A=1 B=2`).
    pub fn key_values(&mut self, q: &Quadlet, keys: &[(&str, &str)]) -> Result<(), QuadletError> {
        for (key, flag) in keys {
            for v in q.unit.get_all(q.kind.group(), key) {
                for word in split(q, v)? {
                    if !word.contains('=') {
                        return Err(
                            q.error(format!("invalid {key} value {word:?}: want KEY=VALUE"))
                        );
                    }
                    self.add([flag.to_string(), word]);
                }
            }
        }
        Ok(())
    }

    /// `PodmanArgs=`: extra words, appended as written.
    pub fn podman_args(&mut self, q: &Quadlet) -> Result<(), QuadletError> {
        for v in q.unit.get_all(q.kind.group(), "PodmanArgs") {
            self.add(split(q, v)?);
        }
        Ok(())
    }

    /// `PublishPort=` as `--publish`.
    pub fn publish(&mut self, q: &Quadlet) {
        self.all_strings(q, &[("PublishPort", "--publish")]);
    }

    /// The command as a unit-file value.
    pub fn line(&self) -> String {
        join(&self.args)
    }
}

/// A systemd boolean key: yes/true/on/1 or no/false/off/0.
pub(super) fn boolean(q: &Quadlet, key: &str) -> Result<Option<bool>, QuadletError> {
    let Some(v) = q.unit.get(q.kind.group(), key) else {
        return Ok(None);
    };
    match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(Some(true)),
        "0" | "no" | "false" | "off" => Ok(Some(false)),
        _ => Err(q.error(format!("invalid boolean {key}={v}: use true or false"))),
    }
}

/// Splits a value into words as systemd does (quotes group, backslash escapes), keeping
/// `%` and `$` for systemd to expand.
pub(super) fn split(q: &Quadlet, value: &str) -> Result<Vec<String>, QuadletError> {
    systemd_units::quote::split_as_written(value).map_err(|e| q.error(e.to_string()))
}

/// Joins words into a command line systemd splits back into the same words.
pub(super) fn join<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| systemd_units::quote::word_as_written(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A relative path made absolute against the quadlet file's directory; paths that start
/// with a systemd specifier stay as they are.
pub(super) fn absolute(q: &Quadlet, path: &str) -> String {
    let specifier = path.starts_with('%') && !path.starts_with("%%");
    if specifier || path.starts_with('/') {
        return path.to_string();
    }
    let dir = q.path.parent().unwrap_or(std::path::Path::new("/"));
    dir.join(path).display().to_string()
}
