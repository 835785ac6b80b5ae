//! Credentials in podman's auth.json format (`{"auths": {"KEY": {"auth": base64(user:pass)}}}`),
//! shared with docker's config.json. Reading looks at a list of files in order (libpod gives
//! podman's: --authfile or $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
//! ~/.config/containers/auth.json, ~/.docker/config.json); `login` writes one file, keeping
//! whatever else it holds. This module must never write a credential file readable by others.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::error::{IoContext, StorageError};

/// A user name and password (or identity token as password).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.username)
    }
}

impl Credentials {
    /// `--creds USER[:PASS]`.
    pub fn parse(spec: &str) -> Result<Credentials, StorageError> {
        let (u, p) = spec.split_once(':').unwrap_or((spec, ""));
        if u.is_empty() {
            return Err(StorageError::InvalidCredentials(
                "--creds needs USERNAME[:PASSWORD]".to_string(),
            ));
        }
        Ok(Credentials {
            username: u.to_string(),
            password: p.to_string(),
        })
    }

    fn encoded(&self) -> String {
        STANDARD.encode(format!("{}:{}", self.username, self.password))
    }
}

fn read_json(path: &Path) -> Result<Option<Value>, StorageError> {
    match fs::read(path) {
        Ok(data) if data.iter().all(u8::is_ascii_whitespace) => Ok(None),
        Ok(data) => {
            serde_json::from_slice(&data)
                .map(Some)
                .map_err(|e| StorageError::InvalidJson {
                    what: path.display().to_string(),
                    reason: e.to_string(),
                })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StorageError::io("reading", path, e)),
    }
}

/// Keys to look for, most specific first: `host/ns/repo`, `host/ns`, `host`, and the URL
/// forms docker writes (`https://host`, docker.io's `https://index.docker.io/v1/`).
fn keys_for(registry: &str, repository: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut path = format!("{registry}/{repository}");
    while let Some(i) = path.rfind('/') {
        keys.push(path.clone());
        path.truncate(i);
    }
    keys.push(registry.to_string());
    keys.push(format!("https://{registry}"));
    keys.push(format!("http://{registry}"));
    if registry == "docker.io" {
        keys.push("https://index.docker.io/v1/".to_string());
        keys.push("index.docker.io".to_string());
    }
    keys
}

fn decode_entry(entry: &Value, file: &Path) -> Result<Option<Credentials>, StorageError> {
    let bad = |why: &str| StorageError::InvalidJson {
        what: file.display().to_string(),
        reason: why.to_string(),
    };
    if let Some(auth) = entry.get("auth").and_then(Value::as_str) {
        if auth.is_empty() {
            return Ok(None);
        }
        let raw = STANDARD
            .decode(auth.trim())
            .map_err(|_| bad("an \"auth\" entry is not base64"))?;
        let text = String::from_utf8(raw).map_err(|_| bad("an \"auth\" entry is not UTF-8"))?;
        let (u, p) = text
            .split_once(':')
            .ok_or_else(|| bad("an \"auth\" entry is not user:password"))?;
        return Ok(Some(Credentials {
            username: u.to_string(),
            password: p.to_string(),
        }));
    }
    if let Some(token) = entry.get("identitytoken").and_then(Value::as_str) {
        return Ok(Some(Credentials {
            username: "<token>".to_string(),
            password: token.to_string(),
        }));
    }
    Ok(None)
}

/// The first credentials for `registry`/`repository` in `files` (missing files are skipped).
pub fn lookup(
    files: &[impl AsRef<Path>],
    registry: &str,
    repository: &str,
) -> Result<Option<Credentials>, StorageError> {
    let keys = keys_for(registry, repository);
    for file in files {
        let file = file.as_ref();
        let Some(doc) = read_json(file)? else {
            continue;
        };
        let Some(auths) = doc.get("auths").and_then(Value::as_object) else {
            continue;
        };
        for key in &keys {
            if let Some(entry) = auths.get(key)
                && let Some(c) = decode_entry(entry, file)?
            {
                return Ok(Some(c));
            }
        }
    }
    Ok(None)
}

/// Writes `doc` to `file` (mode 0600, parent dirs 0700) through a temp file and rename.
fn write_json(file: &Path, doc: &Value) -> Result<(), StorageError> {
    if let Some(dir) = file.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .ctx("creating", dir)?;
    }
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .ctx("creating", &tmp)?;
    let text = serde_json::to_string_pretty(doc).map_err(|e| StorageError::InvalidJson {
        what: file.display().to_string(),
        reason: e.to_string(),
    })?;
    f.write_all(text.as_bytes()).ctx("writing", &tmp)?;
    f.write_all(b"\n").ctx("writing", &tmp)?;
    drop(f);
    fs::rename(&tmp, file).ctx("replacing", file)
}

fn auths_of(doc: &mut Value) -> &mut Map<String, Value> {
    if !doc.is_object() {
        *doc = json!({});
    }
    let obj = doc.as_object_mut().expect("made an object above");
    let auths = obj.entry("auths").or_insert_with(|| json!({}));
    if !auths.is_object() {
        *auths = json!({});
    }
    auths.as_object_mut().expect("made an object above")
}

/// `login`: stores credentials for `key` (a registry, or registry/namespace) in `file`.
pub fn store(file: &Path, key: &str, creds: &Credentials) -> Result<(), StorageError> {
    let mut doc = read_json(file)?.unwrap_or_else(|| json!({}));
    auths_of(&mut doc).insert(key.to_string(), json!({ "auth": creds.encoded() }));
    write_json(file, &doc)
}

/// `logout KEY`: true if there was an entry.
pub fn remove(file: &Path, key: &str) -> Result<bool, StorageError> {
    let Some(mut doc) = read_json(file)? else {
        return Ok(false);
    };
    let removed = auths_of(&mut doc).remove(key).is_some();
    if removed {
        write_json(file, &doc)?;
    }
    Ok(removed)
}

/// `logout -a`: removes every entry of `file`.
pub fn remove_all(file: &Path) -> Result<(), StorageError> {
    let Some(mut doc) = read_json(file)? else {
        return Ok(());
    };
    auths_of(&mut doc).clear();
    write_json(file, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn store_lookup_remove_round_trip() {
        let t = tempfile::tempdir().unwrap();
        let file = t.path().join("containers/auth.json");
        let c = Credentials::parse("alice:s3:cret").unwrap();
        assert_eq!(c.password, "s3:cret");
        store(&file, "127.0.0.1:5000", &c).unwrap();
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = fs::read_to_string(&file).unwrap();
        assert!(text.contains("YWxpY2U6czM6Y3JldA=="), "{text}");
        let got = lookup(&[&file], "127.0.0.1:5000", "team/app").unwrap();
        assert_eq!(got, Some(c));
        assert!(remove(&file, "127.0.0.1:5000").unwrap());
        assert!(!remove(&file, "127.0.0.1:5000").unwrap());
        assert_eq!(lookup(&[&file], "127.0.0.1:5000", "x").unwrap(), None);
    }

    #[test]
    fn docker_config_and_repo_scoped_keys_are_read() {
        let t = tempfile::tempdir().unwrap();
        let docker = t.path().join("config.json");
        fs::write(
            &docker,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"Ym9iOnB3"},
                "reg.io/team":{"auth":"dGVhbTpwdw=="}},"credsStore":"x"}"#,
        )
        .unwrap();
        let missing = t.path().join("none.json");
        let files = [&missing, &docker];
        assert_eq!(
            lookup(&files, "docker.io", "library/busybox")
                .unwrap()
                .unwrap()
                .username,
            "bob"
        );
        assert_eq!(
            lookup(&files, "reg.io", "team/app")
                .unwrap()
                .unwrap()
                .username,
            "team"
        );
        assert_eq!(lookup(&files, "reg.io", "other/app").unwrap(), None);
        // Other content of the file survives a login.
        store(&docker, "reg.io", &Credentials::parse("u:p").unwrap()).unwrap();
        assert!(fs::read_to_string(&docker).unwrap().contains("credsStore"));
    }
}
