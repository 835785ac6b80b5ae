//! The secrets table: one row per secret, its metadata (driver, options, labels, update time)
//! as JSON. The data is never here: it is with the secret's driver (`secrets::filedriver`).

use rusqlite::params;

use super::lookup::Named;
use super::{State, StateError, is_constraint_violation, json_column};
use crate::error::Result;
use crate::secrets::{Secret, SecretError};

const SECRET_COLUMNS: &str = "id, name, created, config";

/// The table, created by the migration of that number in `state.rs`.
pub(super) const MIGRATION: &str = "CREATE TABLE secrets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        config TEXT NOT NULL
    );";

impl State {
    /// Records a new secret; a name already taken is podman's "secret name in use".
    pub fn insert_secret(&self, s: &Secret) -> Result<()> {
        let config = serde_json::to_string(s).map_err(StateError::encode("secret config"))?;
        let res = self
            .conn
            .prepare_cached(
                "INSERT INTO secrets (id, name, created, config) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut st| st.execute(params![s.id, s.name, s.created, config]));
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_constraint_violation(&e) => {
                Err(SecretError::NameInUse(s.name.clone()).into())
            }
            Err(e) => Err(self.err(e)),
        }
    }

    /// Rewrites a secret's metadata (`create --replace`).
    pub fn update_secret(&self, s: &Secret) -> Result<()> {
        let config = serde_json::to_string(s).map_err(StateError::encode("secret config"))?;
        self.exec(
            "UPDATE secrets SET config=?2 WHERE id=?1",
            params![s.id, config],
        )
    }

    /// By exact name, full id or unique id prefix, as podman resolves them.
    pub fn lookup_secret(&self, name_or_id: &str) -> Result<Secret> {
        let secrets = Named {
            table: "secrets",
            columns: SECRET_COLUMNS,
            kind: "secret",
            row: row_to_secret,
            not_found: |n| SecretError::NoSuch(n).into(),
        };
        self.lookup_named(&secrets, name_or_id)
    }

    /// Every secret, oldest first.
    pub fn secrets(&self) -> Result<Vec<Secret>> {
        let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets ORDER BY created");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_map([], row_to_secret)?.collect())
            .map_err(|e| self.err(e))
    }

    pub fn remove_secret(&self, id: &str) -> Result<()> {
        self.exec("DELETE FROM secrets WHERE id=?1", params![id])
    }
}

fn row_to_secret(r: &rusqlite::Row<'_>) -> rusqlite::Result<Secret> {
    let mut s: Secret = json_column(r, 3)?;
    s.id = r.get(0)?;
    s.name = r.get(1)?;
    s.created = r.get(2)?;
    Ok(s)
}
