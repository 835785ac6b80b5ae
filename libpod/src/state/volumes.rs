//! The volumes table: one row per named or anonymous volume, its metadata as JSON. The
//! volume's files live under the data root (see `Paths::volume_dir`), never in the database.

use rusqlite::{OptionalExtension, params};

use super::{State, StateError, is_constraint_violation, json_column};
use crate::error::Result;
use crate::volume::Volume;

impl State {
    /// Records a new volume; a name already taken is an error naming it.
    pub fn insert_volume(&self, v: &Volume) -> Result<()> {
        let config =
            serde_json::to_string(&v.config).map_err(StateError::encode("volume config"))?;
        let res = self
            .conn
            .prepare_cached("INSERT INTO volumes (name, created, config) VALUES (?1, ?2, ?3)")
            .and_then(|mut st| st.execute(params![v.name, v.created, config]));
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_constraint_violation(&e) => {
                Err(StateError::VolumeExists(v.name.clone()).into())
            }
            Err(e) => Err(self.err(e)),
        }
    }

    pub fn update_volume(&self, v: &Volume) -> Result<()> {
        let config =
            serde_json::to_string(&v.config).map_err(StateError::encode("volume config"))?;
        self.exec(
            "UPDATE volumes SET config=?2 WHERE name=?1",
            params![v.name, config],
        )
    }

    pub fn volume(&self, name: &str) -> Result<Option<Volume>> {
        self.conn
            .prepare_cached("SELECT name, created, config FROM volumes WHERE name = ?1")
            .and_then(|mut st| st.query_row([name], row_to_volume).optional())
            .map_err(|e| self.err(e))
    }

    /// Every volume, by name.
    pub fn volumes(&self) -> Result<Vec<Volume>> {
        self.conn
            .prepare_cached("SELECT name, created, config FROM volumes ORDER BY name")
            .and_then(|mut st| st.query_map([], row_to_volume)?.collect())
            .map_err(|e| self.err(e))
    }

    pub fn remove_volume(&self, name: &str) -> Result<()> {
        self.exec("DELETE FROM volumes WHERE name=?1", params![name])
    }
}

fn row_to_volume(r: &rusqlite::Row<'_>) -> rusqlite::Result<Volume> {
    Ok(Volume {
        name: r.get(0)?,
        created: r.get(1)?,
        config: json_column(r, 2)?,
    })
}
