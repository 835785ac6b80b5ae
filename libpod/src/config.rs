//! containers.conf, registries.conf and storage.conf, for the settings burrow has.
//! containers.conf and registries.conf are layered as podman layers them (files and drop-ins
//! in order, later keys winning: see config_layers.rs); storage.conf is
//! `$CONTAINERS_STORAGE_CONF` or the first of ~/.config/containers/storage.conf (rootless),
//! /etc/containers/storage.conf. Unknown keys are ignored (they belong to podman); a file
//! that does not parse is an error naming it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{LibpodError, Result};

/// A configuration file that cannot be used.
#[derive(thiserror::Error, Debug)]
pub enum ConfigError {
    /// Only the first line of the parser's message: the rest quotes the file.
    #[error("{}: {}", .path.display(), first_line(.error))]
    Toml {
        path: PathBuf,
        error: toml::de::Error,
    },
    #[error("{}: {}", paths(.files), first_line(.error))]
    Merged {
        files: Vec<PathBuf>,
        error: toml::de::Error,
    },
}

fn paths(files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    names.join(", ")
}

fn first_line(e: &toml::de::Error) -> String {
    let text = e.to_string();
    text.lines().next().unwrap_or("invalid TOML").to_string()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContainersConf {
    pub containers: ContainersTable,
    pub engine: EngineTable,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EngineTable {
    /// Where events go: file (burrow's default), journald or none.
    pub events_logger: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContainersTable {
    /// Replaces podman's default capability set.
    pub default_capabilities: Option<Vec<String>>,
    /// `KEY=VALUE` added to every container's environment (before the image's and -e).
    pub env: Vec<String>,
    /// `NAME=SOFT:HARD` as `--ulimit`.
    pub default_ulimits: Vec<String>,
    /// `--init` by default.
    pub init: bool,
    /// Path of the seccomp profile used instead of the built-in default.
    pub seccomp_profile: Option<String>,
    /// `--userns` when none is given (and no `--uidmap`...): host, keep-id, nomap, auto.
    pub userns: Option<String>,
    /// `--tz` when none is given.
    pub tz: Option<String>,
    /// `--umask` when none is given.
    pub umask: Option<String>,
    /// `--log-driver` when none is given.
    pub log_driver: Option<String>,
    /// `--log-opt max-size` in bytes when none is given (-1: unlimited).
    pub log_size_max: Option<i64>,
    /// `--pids-limit` when none is given (0 or -1: none), where limits can be enforced.
    pub pids_limit: Option<i64>,
    /// `--read-only` by default.
    pub read_only: bool,
    /// `--network` when none is given (podman's `netns`: private, host, none, slirp4netns,
    /// pasta, bridge).
    pub netns: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StorageConf {
    pub storage: StorageTable,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StorageTable {
    pub driver: Option<String>,
    pub graphroot: Option<PathBuf>,
    pub runroot: Option<PathBuf>,
    pub rootless_storage_path: Option<PathBuf>,
}

/// registries.conf: its tables are storage's (the registry client applies them).
pub use storage::registry::RegistriesConf;

pub fn registries_conf(rootless: bool) -> Result<RegistriesConf> {
    let files = crate::config_layers::registries_conf_files(rootless, &config_home());
    typed(&files)
}

/// The layers of `files` merged, as `T`. A value of the wrong type is reported against the
/// file that set it (each is tried alone once the merged table failed).
fn typed<T: for<'de> Deserialize<'de> + Default>(files: &[PathBuf]) -> Result<T> {
    if files.is_empty() {
        return Ok(T::default());
    }
    let merged = crate::config_layers::load(files)?;
    match T::deserialize(toml::Value::Table(merged)) {
        Ok(t) => Ok(t),
        Err(error) => {
            for f in files {
                parse::<T>(Some(f.clone()))?;
            }
            Err(ConfigError::Merged {
                files: files.to_vec(),
                error,
            }
            .into())
        }
    }
}

pub(crate) fn config_home() -> PathBuf {
    match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".config"),
    }
}

/// The first existing file of `env` or the candidates.
fn locate(env: &str, user_file: &str, system: &[&str], rootless: bool) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let mut candidates = Vec::new();
    if rootless {
        candidates.push(config_home().join("containers").join(user_file));
    }
    candidates.extend(system.iter().map(PathBuf::from));
    candidates.into_iter().find(|p| p.is_file())
}

fn parse<T: for<'de> Deserialize<'de> + Default>(path: Option<PathBuf>) -> Result<T> {
    let Some(path) = path else {
        return Ok(T::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        // An explicitly named file that is missing is the user's mistake; say so.
        Err(e) => return Err(LibpodError::io(format!("read {}", path.display()), e)),
    };
    toml::from_str(&blank_comment_lines(&text))
        .map_err(|error| ConfigError::Toml { path, error }.into())
}

/// The text with every comment-only line emptied (line numbers, and so error messages, stay
/// the same). The containers.conf that podman's packages install is 700 lines of which 24 are
/// settings, and the toml parser spends ~0.2 ms of every command tokenizing the comments.
/// A `#` line inside a multi-line string is content, so a file with one is left alone.
/// Byte-wise with memchr: this runs in every command, and a `lines()` walk with a Unicode
/// `trim_start` per line cost ~17 instructions a byte (0.4 M for podman's file, an eighth of a
/// `create`).
pub(crate) fn blank_comment_lines(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    if memchr::memmem::find(bytes, b"\"\"\"").is_some()
        || memchr::memmem::find(bytes, b"'''").is_some()
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() / 4);
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = &text[start..end];
        let first = line.bytes().find(|b| !matches!(b, b' ' | b'\t' | b'\r'));
        if first != Some(b'#') {
            out.push_str(line.strip_suffix('\r').unwrap_or(line));
        }
        out.push('\n');
        start = end + 1;
    }
    std::borrow::Cow::Owned(out)
}

pub fn containers_conf(rootless: bool) -> Result<ContainersConf> {
    let files = crate::config_layers::containers_conf_files(rootless, &config_home());
    typed(&files)
}

pub fn storage_conf(rootless: bool) -> Result<StorageConf> {
    parse(locate(
        "CONTAINERS_STORAGE_CONF",
        "storage.conf",
        &["/etc/containers/storage.conf"],
        rootless,
    ))
}

impl StorageTable {
    /// burrow's data root from storage.conf: `rootless_storage_path` (rootless) or `graphroot`.
    pub fn data_root(&self, rootless: bool) -> Option<&Path> {
        if rootless {
            self.rootless_storage_path
                .as_deref()
                .or(self.graphroot.as_deref())
        } else {
            self.graphroot.as_deref()
        }
    }
}

#[cfg(test)]
#[path = "config_fuzz_tests.rs"]
mod fuzz_tests;

#[cfg(test)]
mod tests {
    use super::*;

    /// The line-by-line form the byte-wise one replaced: same output on every input.
    fn blank_by_lines(text: &str) -> String {
        let mut out = String::new();
        for line in text.lines() {
            if !line.trim_start().starts_with('#') {
                out.push_str(line);
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn byte_wise_blanking_matches_the_line_walk() {
        for text in [
            "",
            "\n",
            "a",
            "# only",
            "a\nb",
            "a\r\n# c\r\nb\r\n",
            "\t# tab\n  #x\nkey = \"#\"\n\n\n",
            "[x]\r\ny = 1",
        ] {
            assert_eq!(blank_comment_lines(text), blank_by_lines(text), "{text:?}");
        }
        if let Ok(real) = std::fs::read_to_string("/usr/share/containers/containers.conf") {
            assert_eq!(blank_comment_lines(&real), blank_by_lines(&real));
        }
    }

    #[test]
    fn comment_lines_are_blanked_but_strings_kept() {
        let text = "# a comment\n[containers]\n  # indented comment\ninit = true # trailing\n";
        assert_eq!(
            blank_comment_lines(text),
            "\n[containers]\n\ninit = true # trailing\n"
        );
        // A '#' line inside a multi-line string is content: the file is left as it is.
        let text = "[engine]\nx = \"\"\"\n# kept\n\"\"\"\n";
        assert_eq!(blank_comment_lines(text), text);
        let c: ContainersConf = toml::from_str(&blank_comment_lines(
            "# c\n[containers]\n# c\ninit = true\n",
        ))
        .unwrap();
        assert!(c.containers.init);
    }

    #[test]
    fn parses_known_keys_and_ignores_the_rest() {
        let c: ContainersConf = toml::from_str(
            "[containers]\ndefault_capabilities = [\"CHOWN\", \"KILL\"]\nenv = [\"A=b\"]\ninit = true\nlog_driver = \"k8s-file\"\n[engine]\nruntime = \"crun\"\n",
        )
        .unwrap();
        assert_eq!(
            c.containers.default_capabilities.unwrap(),
            vec!["CHOWN", "KILL"]
        );
        assert!(c.containers.init);
        let s: StorageConf = toml::from_str("[storage]\ndriver = \"vfs\"\ngraphroot = \"/x\"\n[storage.options]\nmount_program = \"/usr/bin/fuse-overlayfs\"\n").unwrap();
        assert_eq!(s.storage.driver.as_deref(), Some("vfs"));
        assert_eq!(s.storage.data_root(true), Some(Path::new("/x")));
    }

    #[test]
    fn a_broken_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("containers.conf");
        std::fs::write(&p, "[containers\n").unwrap();
        let err = parse::<ContainersConf>(Some(p.clone()))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(&p.display().to_string()), "{err}");
    }
}
