//! A container's secrets: resolved against the secrets table at create (stored by id, with how
//! each is exposed), and handed to the container at every start: `mount` secrets as read-only
//! files, `env` secrets as variables of the process (the first one and `exec`'s).
//!
//! The data never reaches the container's stored config, config.json or its directory under
//! the data root: mount secrets are written to the runroot (`userdata/secrets`, rewritten at
//! each start) and bound into the container; those under /run/secrets through one bind of a
//! directory, so no mount point file for them lands in the container's upper directory (and
//! `commit` cannot take them into an image).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use super::{ContainerSecret, SecretError, SecretKind};
use crate::container::{Container, Mount};
use crate::error::Result;
use crate::runtime::Runtime;
use crate::spec::SecretUse;

/// Where mount secrets go unless their target says otherwise.
pub const SECRETS_DIR: &str = "/run/secrets";

impl Runtime {
    /// `--secret`s, looked up: a missing secret is podman's "no such secret"; two with one
    /// target are refused.
    pub(crate) fn resolve_secrets(&self, uses: &[SecretUse]) -> Result<Vec<ContainerSecret>> {
        let mut out: Vec<ContainerSecret> = Vec::new();
        for u in uses {
            let s = self.secret(&u.name)?;
            let target = match u.kind {
                SecretKind::Env => u.target.clone().unwrap_or_else(|| s.name.clone()),
                SecretKind::Mount => {
                    let t = u.target.clone().unwrap_or_else(|| s.name.clone());
                    if t.starts_with('/') {
                        t
                    } else {
                        format!("{SECRETS_DIR}/{t}")
                    }
                }
            };
            if out.iter().any(|o| o.kind == u.kind && o.target == target) {
                return Err(SecretError::DuplicateTarget(target).into());
            }
            out.push(ContainerSecret {
                id: s.id,
                name: s.name,
                kind: u.kind,
                target,
                uid: u.uid,
                gid: u.gid,
                mode: u.mode,
            });
        }
        Ok(out)
    }

    /// The secret's data by the id stored at create.
    fn container_secret_data(&self, cs: &ContainerSecret) -> Result<Vec<u8>> {
        let s = self
            .secret(&cs.id)
            .map_err(|_| SecretError::NoSuch(cs.name.clone()))?;
        self.secret_data(&s)
    }

    /// `env` secrets as `NAME=VALUE` entries, read now (at start or exec), never stored.
    pub(crate) fn secret_env(&self, c: &Container) -> Result<Vec<String>> {
        let mut env = Vec::new();
        for cs in c
            .config
            .secrets
            .iter()
            .filter(|s| s.kind == SecretKind::Env)
        {
            let data = self.container_secret_data(cs)?;
            env.push(format!("{}={}", cs.target, String::from_utf8_lossy(&data)));
        }
        Ok(env)
    }

    /// `mount` secrets written to the runroot, as read-only bind mounts for the start.
    pub(crate) fn secret_mounts(&self, c: &Container) -> Result<Vec<Mount>> {
        let mounts: Vec<&ContainerSecret> = c
            .config
            .secrets
            .iter()
            .filter(|s| s.kind == SecretKind::Mount)
            .collect();
        if mounts.is_empty() {
            return Ok(Vec::new());
        }
        let base = self.paths.userdata_dir(&c.id).join("secrets");
        // What an earlier start wrote goes: a secret removed or changed since is not kept.
        match std::fs::remove_dir_all(&base) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SecretError::io(format!("remove {}", base.display()))(e).into()),
        }
        let under_run = base.join("run");
        let other = base.join("other");
        let mut out = Vec::new();
        let mut bind_run = false;
        for (n, cs) in mounts.into_iter().enumerate() {
            let data = self.container_secret_data(cs)?;
            let file = match Path::new(&cs.target).strip_prefix(SECRETS_DIR) {
                Ok(rel) if rel.components().count() > 0 => {
                    bind_run = true;
                    under_run.join(rel)
                }
                _ => {
                    let f = other.join(n.to_string());
                    out.push(secret_bind(f.clone(), PathBuf::from(&cs.target)));
                    f
                }
            };
            write_secret_file(&file, &data, cs)?;
        }
        if bind_run {
            out.insert(0, secret_bind(under_run, PathBuf::from(SECRETS_DIR)));
        }
        Ok(out)
    }
}

fn secret_bind(source: PathBuf, destination: PathBuf) -> Mount {
    Mount {
        kind: "bind".into(),
        source,
        destination,
        options: vec!["ro".into(), "nosuid".into(), "nodev".into()],
        ..Default::default()
    }
}

/// Writes one secret file (its directories 0755, so any container user reaches it), owned by
/// the secret's uid and gid (container ids: burrow runs in the container's user namespace, so
/// they are the ids the container sees) with its mode, set after the chown (which may clear
/// bits).
fn write_secret_file(path: &Path, data: &[u8], cs: &ContainerSecret) -> Result<()> {
    let ctx = |what: &str| {
        format!(
            "{what} the file of secret {} at {}",
            cs.name,
            path.display()
        )
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(SecretError::io(ctx("create the directory of")))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(SecretError::io(ctx("create")))?;
    f.write_all(data).map_err(SecretError::io(ctx("write")))?;
    std::os::unix::fs::fchown(&f, Some(cs.uid), Some(cs.gid))
        .map_err(SecretError::io(ctx("set the owner of")))?;
    f.set_permissions(std::fs::Permissions::from_mode(cs.mode & 0o7777))
        .map_err(SecretError::io(ctx("set the mode of")))?;
    Ok(())
}

/// A mount target or relative path that stays where it says: no `..` (the mount would land
/// elsewhere than asked).
pub(crate) fn target_is_plain(t: &str) -> bool {
    !t.is_empty()
        && Path::new(t)
            .components()
            .all(|c| !matches!(c, Component::ParentDir))
}
