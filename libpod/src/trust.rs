//! policy.json for the engine: which file (as podman: the user's
//! `$XDG_CONFIG_HOME/containers/policy.json`, else `/etc/containers/policy.json`), the checks
//! of push and load, and `image trust show/set`. The rules themselves are in storage's
//! `registry::policy`.

use std::path::{Path, PathBuf};

use storage::registry::policy::{Policy, TrustRow, set_trust};

use crate::error::{LibpodError, Result};

const SYSTEM_POLICY: &str = "/etc/containers/policy.json";

fn user_policy() -> PathBuf {
    crate::config::config_home().join("containers/policy.json")
}

/// The policy file in force: the user's when it exists, else the system's.
pub fn policy_path() -> PathBuf {
    let user = user_policy();
    if user.exists() {
        user
    } else {
        PathBuf::from(SYSTEM_POLICY)
    }
}

/// The policy in force; `None` when no file exists (burrow then accepts everything, where
/// podman refuses to pull at all).
pub fn policy() -> Result<Option<Policy>> {
    let path = policy_path();
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(Policy::load(&path)?))
}

/// `push`: the source is the local store (podman's `containers-storage` transport).
pub fn check_push(name: &str) -> Result<()> {
    if let Some(p) = policy()? {
        p.check_transport("containers-storage", name)?;
    }
    Ok(())
}

/// `load`: the source is an archive (podman's `docker-archive`/`oci-archive` transports).
pub fn check_load() -> Result<()> {
    if let Some(p) = policy()? {
        p.check_transport("docker-archive", "")?;
        p.check_transport("oci-archive", "")?;
    }
    Ok(())
}

/// `image trust show [--policypath]`.
pub fn show(path: Option<&Path>) -> Result<Vec<TrustRow>> {
    let path = path.map_or_else(policy_path, Path::to_path_buf);
    Ok(Policy::load(&path)?.trust_rows())
}

/// `image trust show --raw`.
pub fn raw(path: Option<&Path>) -> Result<String> {
    let path = path.map_or_else(policy_path, Path::to_path_buf);
    std::fs::read_to_string(&path)
        .map_err(|e| LibpodError::io(format!("reading {}", path.display()), e))
}

/// Where `image trust set` writes: `--policypath`, else the file in force, except that a
/// rootless user without a policy of their own gets one (seeded from the system's), since
/// /etc is not theirs to write.
fn set_target(path: Option<&Path>, rootless: bool) -> PathBuf {
    match path {
        Some(p) => p.to_path_buf(),
        None if rootless => user_policy(),
        None => policy_path(),
    }
}

/// `image trust set --type TYPE [--pubkeysfile F...] SCOPE`: the file is re-read, changed
/// and replaced whole; a refused change leaves it as it was.
pub fn set(
    path: Option<&Path>,
    rootless: bool,
    scope: &str,
    kind: &str,
    pubkeys: &[String],
) -> Result<PathBuf> {
    let target = set_target(path, rootless);
    let source = if target.exists() {
        target.clone()
    } else {
        PathBuf::from(SYSTEM_POLICY)
    };
    let mut doc = match std::fs::read(&source) {
        Ok(data) => serde_json::from_slice(&data).map_err(|e| {
            LibpodError::from(storage::StorageError::InvalidPolicy {
                path: source.clone(),
                reason: e.to_string(),
            })
        })?,
        Err(_) => serde_json::json!({}),
    };
    set_trust(&mut doc, scope, kind, pubkeys)?;
    // The result must still be a policy burrow can read.
    Policy::from_value(&target, &doc)?;
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(&doc, &mut ser)
        .map_err(|e| LibpodError::InvalidState(format!("policy JSON: {e}")))?;
    out.push(b'\n');
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| LibpodError::io(format!("creating {}", dir.display()), e))?;
    }
    let tmp = target.with_extension(format!("json.tmp-{}", std::process::id()));
    std::fs::write(&tmp, &out)
        .map_err(|e| LibpodError::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, &target)
        .map_err(|e| LibpodError::io(format!("writing {}", target.display()), e))?;
    Ok(target)
}
