//! containers-registries.d(5): where image signatures live (the lookaside stores). As podman:
//! the YAML files of the user's `$XDG_CONFIG_HOME/containers/registries.d` when that directory
//! exists, else of `/etc/containers/registries.d`; `default-docker` and per-scope `docker`
//! entries with `lookaside`/`lookaside-staging` (or the older `sigstore`/`sigstore-staging`)
//! and `use-sigstore-attachments` (sigstore signatures kept in the registry);
//! with nothing configured, `~/.local/share/containers/sigstore` for a rootless user and
//! `/var/lib/containers/sigstore` for root.

use std::path::{Path, PathBuf};

use serde_json::Value;
use storage::registry::signature::{Lookaside, Site};

use crate::error::{LibpodError, Result};

const SYSTEM_DIR: &str = "/etc/containers/registries.d";

fn site(v: &Value) -> Site {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Site {
        read: s("lookaside").or_else(|| s("sigstore")),
        write: s("lookaside-staging").or_else(|| s("sigstore-staging")),
        sigstore_attachments: v.get("use-sigstore-attachments").and_then(Value::as_bool),
    }
}

/// The lookaside configuration in force. Reading costs one directory listing when nothing is
/// configured; it is done only where signatures are made or checked.
pub fn lookaside(rootless: bool) -> Result<Lookaside> {
    let user = crate::config::config_home().join("containers/registries.d");
    let dir = if user.is_dir() {
        user
    } else {
        PathBuf::from(SYSTEM_DIR)
    };
    let mut out = Lookaside {
        builtin: Some(if rootless {
            let home = std::env::var_os("HOME").unwrap_or_default();
            format!(
                "file://{}",
                Path::new(&home)
                    .join(".local/share/containers/sigstore")
                    .display()
            )
        } else {
            "file:///var/lib/containers/sigstore".to_string()
        }),
        ..Lookaside::default()
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(out);
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| LibpodError::io(format!("read {}", file.display()), e))?;
        let v: Value = serde_saphyr::from_str(&text).map_err(|e| {
            storage::StorageError::Signature(format!(
                "{}: {e}: fix or remove that registries.d file",
                file.display()
            ))
        })?;
        if let Some(d) = v.get("default-docker") {
            out.default = site(d);
        }
        if let Some(scopes) = v.get("docker").and_then(Value::as_object) {
            for (scope, s) in scopes {
                out.scopes.push((scope.clone(), site(s)));
            }
        }
    }
    Ok(out)
}
