//! `secret create/ls/inspect/rm`: the runtime's calls. The metadata goes through the state
//! database, the data through the driver; the data is written before the row (so a secret
//! that is listed always has its data) and removed after it.

use serde_json::{Value, json};

use super::{FILE_DRIVER, MAX_DATA, Secret, SecretError, filedriver, new_id, validate_name};
use crate::error::Result;
use crate::runtime::Runtime;

/// `secret create`'s flags (the data comes separately: read from a file, stdin or a variable
/// by the caller).
#[derive(Clone, Debug, Default)]
pub struct SecretCreateOptions {
    pub name: String,
    /// `--driver`: only "file".
    pub driver: String,
    /// `--label KEY=VALUE`.
    pub labels: Vec<String>,
    /// `--replace`: an existing secret of that name keeps its id and gets the new data.
    pub replace: bool,
}

impl Runtime {
    fn secrets_dir(&self) -> std::path::PathBuf {
        filedriver::dir(&self.paths.data)
    }

    /// Creates (or with `replace`, replaces) a secret holding `data`; returns it as stored.
    pub fn secret_create(&self, o: &SecretCreateOptions, data: &[u8]) -> Result<Secret> {
        validate_name(&o.name)?;
        let driver = if o.driver.is_empty() {
            FILE_DRIVER
        } else {
            o.driver.as_str()
        };
        if driver != FILE_DRIVER {
            return Err(SecretError::Driver(driver.to_string()).into());
        }
        if data.is_empty() || data.len() >= MAX_DATA {
            return Err(SecretError::DataSize.into());
        }
        let mut labels = std::collections::BTreeMap::new();
        crate::spec::parse::key_values(&mut labels, o.labels.iter().map(String::as_str));
        let dir = self.secrets_dir();
        let now = crate::clock::now_nanos();
        let existing = match self.state().lookup_secret(&o.name) {
            Ok(s) if s.name == o.name => Some(s),
            _ => None,
        };
        if let Some(mut s) = existing {
            if !o.replace {
                return Err(SecretError::NameInUse(o.name.clone()).into());
            }
            filedriver::store(&dir, &s.id, data)?;
            s.updated = now;
            s.labels = labels;
            s.driver = driver.to_string();
            s.driver_options = driver_options(&dir);
            self.state().update_secret(&s)?;
            return Ok(s);
        }
        let s = Secret {
            id: new_id()?,
            name: o.name.clone(),
            created: now,
            updated: now,
            driver: driver.to_string(),
            driver_options: driver_options(&dir),
            labels,
        };
        filedriver::store(&dir, &s.id, data)?;
        if let Err(e) = self.state().insert_secret(&s) {
            let undo = filedriver::delete(&dir, &s.id).err().map(Into::into);
            return Err(e.with_cleanup(undo.into_iter().collect()));
        }
        Ok(s)
    }

    /// A secret by name, full id or unique id prefix.
    pub fn secret(&self, name_or_id: &str) -> Result<Secret> {
        self.state().lookup_secret(name_or_id)
    }

    /// Every secret, oldest first.
    pub fn secrets(&self) -> Result<Vec<Secret>> {
        self.state().secrets()
    }

    /// Removes a secret and its data; returns what was removed. Containers that use it keep
    /// their reference: like podman's, their next start fails with "no such secret".
    pub fn secret_remove(&self, name_or_id: &str) -> Result<Secret> {
        let s = self.secret(name_or_id)?;
        self.state().remove_secret(&s.id)?;
        filedriver::delete(&self.secrets_dir(), &s.id)?;
        Ok(s)
    }

    /// The secret's data, from its driver.
    pub fn secret_data(&self, s: &Secret) -> Result<Vec<u8>> {
        filedriver::lookup(&self.secrets_dir(), &s.id)?.ok_or_else(|| {
            SecretError::DataMissing {
                name: s.name.clone(),
                id: s.id.clone(),
            }
            .into()
        })
    }

    /// podman's `secret inspect` object; `data` only for `--showsecret`.
    pub fn secret_json(&self, s: &Secret, data: Option<&[u8]>) -> Value {
        let time = |nanos: i64| {
            chrono::DateTime::from_timestamp_nanos(nanos)
                .with_timezone(&chrono::Local)
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, false)
        };
        let mut v = json!({
            "ID": s.id,
            "CreatedAt": time(s.created),
            "UpdatedAt": time(s.updated.max(s.created)),
            "Spec": {
                "Name": s.name,
                "Driver": {"Name": s.driver, "Options": s.driver_options},
                "Labels": s.labels,
            },
        });
        if let Some(d) = data {
            v["SecretData"] = json!(String::from_utf8_lossy(d));
        }
        v
    }
}

/// The file driver's options as podman shows them: its directory.
fn driver_options(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    std::collections::BTreeMap::from([("path".to_string(), dir.display().to_string())])
}
