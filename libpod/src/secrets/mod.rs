//! Secrets, as podman keeps them: a named blob of sensitive data (a password, a key) that a
//! container gets at start, as a read-only file or an environment variable, and that is never
//! part of its image, its stored config, config.json or `inspect`.
//!
//! The metadata (name, id, labels, driver) is a row of the state database's `secrets` table;
//! the data lives with its driver ([`filedriver`]: one 0600 file per secret). What a container
//! stores is [`ContainerSecret`]: the secret's id and how to expose it, never the data, which
//! is read from the driver at every start ([`inject`]). Nothing here may log or print the data.

pub mod filedriver;
pub mod filter;
mod inject;
mod manage;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use inject::SECRETS_DIR;
pub(crate) use inject::target_is_plain;
pub use manage::SecretCreateOptions;

/// podman's limit on a secret's data: more than 0 and less than 512000 bytes.
pub const MAX_DATA: usize = 512_000;
/// podman's secret ids: 25 hex characters.
pub const ID_LEN: usize = 25;
/// podman's longest secret name.
pub const MAX_NAME_LEN: usize = 253;
/// The only driver burrow has.
pub const FILE_DRIVER: &str = "file";

/// One secret's metadata (stored as JSON in its row; the data is with the driver).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Secret {
    #[serde(skip)]
    pub id: String,
    #[serde(skip)]
    pub name: String,
    /// Nanoseconds since the epoch.
    #[serde(skip)]
    pub created: i64,
    /// Set by `create --replace` (nanoseconds); the creation time until then.
    pub updated: i64,
    pub driver: String,
    pub driver_options: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

/// How a container sees a secret (`--secret NAME,type=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    /// A read-only file, `/run/secrets/NAME` unless a target is given.
    #[default]
    Mount,
    /// An environment variable of the container's processes, named NAME unless a target is
    /// given.
    Env,
}

/// A secret as a container's stored config refers to it: by id, with how it is exposed.
/// Never holds the data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerSecret {
    pub id: String,
    /// The name it had at create (shown by `inspect`; the file's default name).
    pub name: String,
    pub kind: SecretKind,
    /// `mount`: an absolute path in the container; `env`: the variable's name.
    pub target: String,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// What can go wrong with secrets; the texts are podman's where podman has one.
#[derive(thiserror::Error, Debug)]
pub enum SecretError {
    #[error("no secret with name or id \"{0}\": no such secret")]
    NoSuch(String),
    #[error("{0}: secret name in use")]
    NameInUse(String),
    #[error(
        "only {MAX_NAME_LEN} [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]: {0}: invalid secret name"
    )]
    InvalidName(String),
    #[error("secret data must be larger than 0 and less than {MAX_DATA} bytes")]
    DataSize,
    #[error("cannot create store secret data: environment variable {0} is not set")]
    EnvNotSet(String),
    #[error(
        "unsupported secret driver \"{0}\": burrow has only the \"file\" driver: invalid driver"
    )]
    Driver(String),
    #[error(
        "the secret data of {name} ({id}) is missing from its driver: remove and create the secret again"
    )]
    DataMissing { name: String, id: String },
    #[error("two secrets of the container use the target {0}: give each its own target")]
    DuplicateTarget(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl SecretError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> SecretError {
        let context = context.into();
        move |source| SecretError::Io { context, source }
    }
}

/// podman's rule for secret names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most 253 characters, not
/// ending in `-` or `.`.
pub fn validate_name(name: &str) -> Result<(), SecretError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.len() <= MAX_NAME_LEN
        && !name.ends_with('-')
        && !name.ends_with('.');
    if ok {
        Ok(())
    } else {
        // A name of thousands of characters is cut in the message.
        let shown: String = name.chars().take(64).collect();
        Err(SecretError::InvalidName(shown))
    }
}

/// A new random id: 25 lowercase hex characters, as podman's.
pub(crate) fn new_id() -> crate::Result<String> {
    let bytes = crate::runtime::names::random_bytes::<13>()?;
    let mut id = hex::encode(bytes);
    id.truncate(ID_LEN);
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_secret_name_rule() {
        for good in ["a", "my-secret.1_x", "A1", "x_", &"a".repeat(MAX_NAME_LEN)] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        let long = "a".repeat(MAX_NAME_LEN + 1);
        for bad in ["", "-a", "_a", "a-", "a.", "a b", "a/b", "é", long.as_str()] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_name("a/b").unwrap_err().to_string(),
            "only 253 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]: a/b: invalid secret name"
        );
    }

    #[test]
    fn ids_are_25_hex_characters() {
        let id = new_id().unwrap();
        assert_eq!(id.len(), ID_LEN);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
