//! The pods table: one row per pod, its creation options as JSON. Members point at their pod
//! through `containers.pod_id`; a pod's status is derived from its members, never stored.

use rusqlite::params;

use super::lookup::Named;
use super::{COLUMNS, State, StateError, is_constraint_violation, json_column, row_to_container};
use crate::container::Container;
use crate::error::{LibpodError, Result};
use crate::pod::Pod;

const POD_COLUMNS: &str = "id, name, created, config";

impl State {
    /// Records a new pod; a name already taken is podman's "pod already exists" error.
    pub fn insert_pod(&self, p: &Pod) -> Result<()> {
        let config = serde_json::to_string(&p.config).map_err(StateError::encode("pod config"))?;
        let res = self
            .conn
            .prepare_cached("INSERT INTO pods (id, name, created, config) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut st| st.execute(params![p.id, p.name, p.created, config]));
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_constraint_violation(&e) => {
                Err(StateError::PodExists(p.name.clone()).into())
            }
            Err(e) => Err(self.err(e)),
        }
    }

    /// By exact name, full id or unique id prefix, as for containers.
    pub fn lookup_pod(&self, name_or_id: &str) -> Result<Pod> {
        let pods = Named {
            table: "pods",
            columns: POD_COLUMNS,
            kind: "pod",
            row: row_to_pod,
            not_found: LibpodError::NoSuchPod,
        };
        self.lookup_named(&pods, name_or_id)
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
    Ok(Pod {
        id: r.get(0)?,
        name: r.get(1)?,
        created: r.get(2)?,
        config: json_column(r, 3)?,
    })
}
