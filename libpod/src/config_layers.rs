//! Which configuration files podman reads, in which order, and how a later one overrides an
//! earlier one: containers.conf(5) and containers-registries.conf.d(5). Every file is a
//! layer of TOML tables; a later layer replaces the keys it sets and keeps the others
//! (tables merge key by key, other values are replaced), except registries.conf's
//! `[[registry]]` entries, which a later file replaces by their `prefix` (or `location`).

use std::path::{Path, PathBuf};

use crate::config::ConfigError;
use crate::error::{LibpodError, Result};

/// containers.conf's layers, first to last. `$CONTAINERS_CONF` stands alone; otherwise
/// /usr/share, then /etc, then (rootless) /etc/containers/containers.rootless.conf and the
/// user's ~/.config/containers, each followed by its `.d` drop-ins in name order; and
/// `$CONTAINERS_CONF_OVERRIDE` last in both cases.
pub(crate) fn containers_conf_files(rootless: bool, config_home: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    match env_path("CONTAINERS_CONF") {
        Some(p) => files.push(p),
        None => {
            let mut bases = vec![
                PathBuf::from("/usr/share/containers/containers.conf"),
                PathBuf::from("/etc/containers/containers.conf"),
            ];
            if rootless {
                bases.push(PathBuf::from("/etc/containers/containers.rootless.conf"));
                bases.push(config_home.join("containers/containers.conf"));
            }
            for base in bases {
                let drop_in_dir = PathBuf::from(format!("{}.d", base.display()));
                if base.is_file() {
                    files.push(base);
                }
                files.extend(drop_ins(&drop_in_dir));
            }
        }
    }
    files.extend(env_path("CONTAINERS_CONF_OVERRIDE"));
    files
}

/// registries.conf's layers: `$CONTAINERS_REGISTRIES_CONF` alone (as podman: no drop-ins
/// then), else the user's file if it exists (rootless) or /etc's, then the drop-ins of
/// /etc/containers/registries.conf.d and (rootless) the user's registries.conf.d.
pub(crate) fn registries_conf_files(rootless: bool, config_home: &Path) -> Vec<PathBuf> {
    if let Some(p) = env_path("CONTAINERS_REGISTRIES_CONF") {
        return vec![p];
    }
    let user = config_home.join("containers/registries.conf");
    let mut files = Vec::new();
    if rootless && user.is_file() {
        files.push(user);
    } else {
        let system = PathBuf::from("/etc/containers/registries.conf");
        if system.is_file() {
            files.push(system);
        }
    }
    files.extend(drop_ins(Path::new("/etc/containers/registries.conf.d")));
    if rootless {
        files.extend(drop_ins(&config_home.join("containers/registries.conf.d")));
    }
    files
}

/// The layers merged into one table. A file that cannot be read or parsed is an error
/// naming it (a missing file named by an environment variable included).
pub(crate) fn load(files: &[PathBuf]) -> Result<toml::Table> {
    let mut merged = toml::Table::new();
    for path in files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| LibpodError::io(format!("read {}", path.display()), e))?;
        let layer: toml::Table = toml::from_str(&crate::config::blank_comment_lines(&text))
            .map_err(|error| ConfigError::Toml {
                path: path.clone(),
                error,
            })?;
        merge(&mut merged, layer);
    }
    Ok(merged)
}

/// `over` on top of `base`: see the module documentation.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (Some(toml::Value::Array(b)), toml::Value::Array(o)) if key == "registry" => {
                merge_registries(b, o)
            }
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// `[[registry]]` entries: one with the same prefix (or location) is replaced, others added.
fn merge_registries(base: &mut Vec<toml::Value>, over: Vec<toml::Value>) {
    let key = |v: &toml::Value| {
        v.get("prefix")
            .or_else(|| v.get("location"))
            .and_then(|s| s.as_str())
            .map(str::to_string)
    };
    for entry in over {
        let k = key(&entry);
        match base.iter_mut().find(|b| k.is_some() && key(b) == k) {
            Some(slot) => *slot = entry,
            None => base.push(entry),
        }
    }
}

/// The `*.conf` files of a drop-in directory, in name order (none when it is missing).
fn drop_ins(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf") && p.is_file())
        .collect();
    files.sort();
    files
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn later_layers_override_key_by_key() {
        let mut base = table("[containers]\ninit = true\nenv = [\"A=1\"]\n[engine]\nx = 1\n");
        merge(&mut base, table("[containers]\nenv = [\"B=2\"]\n"));
        assert_eq!(
            base,
            table("[containers]\ninit = true\nenv = [\"B=2\"]\n[engine]\nx = 1\n")
        );
    }

    #[test]
    fn registries_merge_by_prefix_and_aliases_by_name() {
        let mut base = table(
            "unqualified-search-registries = [\"a.io\"]\n[aliases]\nx = \"a.io/x\"\n[[registry]]\nprefix = \"a.io\"\ninsecure = false\n",
        );
        merge(
            &mut base,
            table(
                "[aliases]\ny = \"b.io/y\"\n[[registry]]\nprefix = \"a.io\"\ninsecure = true\n[[registry]]\nlocation = \"c.io\"\n",
            ),
        );
        assert_eq!(base["aliases"].as_table().map(|t| t.len()), Some(2));
        let regs = base["registry"].as_array().unwrap();
        assert_eq!(regs.len(), 2);
        assert_eq!(regs[0]["insecure"].as_bool(), Some(true));
        assert_eq!(
            base["unqualified-search-registries"][0].as_str(),
            Some("a.io")
        );
    }

    #[test]
    fn drop_ins_load_in_name_order_and_ignore_other_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("20-b.conf"), "[containers]\ninit = false\n").unwrap();
        std::fs::write(dir.path().join("10-a.conf"), "[containers]\ninit = true\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not toml [").unwrap();
        let files = drop_ins(dir.path());
        assert_eq!(files.len(), 2);
        let merged = load(&files).unwrap();
        assert_eq!(merged["containers"]["init"].as_bool(), Some(false));
        std::fs::write(dir.path().join("30-c.conf"), "[containers\n").unwrap();
        let err = load(&drop_ins(dir.path())).unwrap_err().to_string();
        assert!(err.contains("30-c.conf"), "{err}");
    }
}
