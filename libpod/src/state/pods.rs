//! The pods table: one row per pod, its creation options as JSON. Members point at their pod
//! through `containers.pod_id`; a pod's status is derived from its members, never stored.

use rusqlite::{OptionalExtension, params};

use super::{COLUMNS, State, row_to_container};
use crate::container::Container;
use crate::error::{LibpodError, Result};
use crate::pod::{Pod, PodConfig};

const POD_COLUMNS: &str = "id, name, created, config";

impl State {
    /// Records a new pod; a name already taken is podman's "pod already exists" error.
    pub fn insert_pod(&self, p: &Pod) -> Result<()> {
        let config = serde_json::to_string(&p.config)
            .map_err(|e| LibpodError::InvalidArgument(e.to_string()))?;
        let res = self
            .conn
            .prepare_cached("INSERT INTO pods (id, name, created, config) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut st| st.execute(params![p.id, p.name, p.created, config]));
        match res {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(LibpodError::InvalidArgument(format!(
                    "adding pod to state: name \"{}\" is in use: pod already exists: remove it first (burrow pod rm {})",
                    p.name, p.name
                )))
            }
            Err(e) => Err(self.err(e)),
        }
    }

    /// By exact name, full id or unique id prefix, as for containers.
    pub fn lookup_pod(&self, name_or_id: &str) -> Result<Pod> {
        let exact = format!("SELECT {POD_COLUMNS} FROM pods WHERE name = ?1 OR id = ?1");
        if let Some(p) = self
            .conn
            .prepare_cached(&exact)
            .and_then(|mut st| st.query_row([name_or_id], row_to_pod).optional())
            .map_err(|e| self.err(e))?
        {
            return Ok(p);
        }
        if name_or_id.is_empty() || !name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(LibpodError::NoSuchPod(name_or_id.to_string()));
        }
        let by_prefix =
            format!("SELECT {POD_COLUMNS} FROM pods WHERE id >= ?1 AND id < ?2 LIMIT 2");
        let upper = format!("{name_or_id}g");
        let found: Vec<Pod> = self
            .conn
            .prepare_cached(&by_prefix)
            .and_then(|mut st| {
                st.query_map(params![name_or_id, upper], row_to_pod)?
                    .collect::<std::result::Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))?;
        match found.len() {
            1 => Ok(found.into_iter().next().expect("one element")),
            0 => Err(LibpodError::NoSuchPod(name_or_id.to_string())),
            _ => Err(LibpodError::InvalidArgument(format!(
                "more than one result for pod ID prefix \"{name_or_id}\": use a longer prefix"
            ))),
        }
    }

    /// Every pod, newest first (`pod ps` order).
    pub fn pods(&self) -> Result<Vec<Pod>> {
        let sql = format!("SELECT {POD_COLUMNS} FROM pods ORDER BY created DESC");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_map([], row_to_pod)?.collect())
            .map_err(|e| self.err(e))
    }

    /// A pod's containers, infra included, oldest first (the order they are started in).
    pub fn pod_members(&self, pod_id: &str) -> Result<Vec<Container>> {
        let sql = format!("SELECT {COLUMNS} FROM containers WHERE pod_id = ?1 ORDER BY created");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_map([pod_id], row_to_container)?.collect())
            .map_err(|e| self.err(e))
    }

    pub fn remove_pod(&self, id: &str) -> Result<()> {
        self.exec("DELETE FROM pods WHERE id=?1", params![id])
    }
}

fn row_to_pod(r: &rusqlite::Row<'_>) -> rusqlite::Result<Pod> {
    let config: String = r.get(3)?;
    let config: PodConfig = serde_json::from_str(&config).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Pod {
        id: r.get(0)?,
        name: r.get(1)?,
        created: r.get(2)?,
        config,
    })
}
