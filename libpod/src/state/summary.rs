//! The listing row ([`ContainerSummary`]) that `ps` and `system df` read: the values a listing
//! shows and filters on, kept in columns of their own beside the config JSON, so listing a
//! thousand containers never parses a thousand configs (measured: ~60% of `ps -a` with 1000
//! containers went to that parse). The columns are written with the config (insert, update)
//! and were backfilled from it by the migration that added them. A summary must never be used
//! to start or change a container: that needs the whole [`crate::Container`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{State, StateError, row_to_state};
use crate::container::{ContainerConfig, ContainerState, Status};
use crate::error::Result;

/// What `ps` and `system df` show of a container.
#[derive(Clone, Debug, Default)]
pub struct ContainerSummary {
    pub id: String,
    pub name: String,
    pub created: i64,
    pub image_name: String,
    pub image_id: String,
    /// The full command (entrypoint + cmd), joined by spaces as `ps` prints it.
    pub command: String,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<network::PortMapping>,
    pub mounts: Vec<MountSummary>,
    pub auto_remove: bool,
    /// The pod's id, empty for none.
    pub pod: String,
    pub state: ContainerState,
}

impl ContainerSummary {
    pub fn status(&self) -> Status {
        self.state.status.unwrap_or(Status::Created)
    }
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

/// A mount as listings need it: where it goes, and which volume it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountSummary {
    /// As [`crate::container::Mount::kind`]: "bind", "tmpfs", "volume" or "image".
    pub kind: String,
    /// The volume's name ("volume"), or the image's ID ("image").
    #[serde(default)]
    pub name: String,
    pub destination: PathBuf,
}

/// The summary columns of one config, as stored.
pub(super) struct SummaryColumns {
    pub image_name: String,
    pub image_id: String,
    pub command: String,
    pub labels: String,
    pub ports: String,
    pub mounts: String,
    pub auto_remove: bool,
}

impl SummaryColumns {
    pub(super) fn of(config: &ContainerConfig) -> Result<SummaryColumns> {
        let json = |v: std::result::Result<String, serde_json::Error>| {
            v.map_err(StateError::encode("container summary"))
        };
        let mounts: Vec<MountSummary> = config
            .mounts
            .iter()
            .map(|m| MountSummary {
                kind: m.kind.clone(),
                name: m.name.clone(),
                destination: m.destination.clone(),
            })
            .collect();
        Ok(SummaryColumns {
            image_name: config.image_name.clone(),
            image_id: config.image_id.clone(),
            command: config.args.join(" "),
            labels: json(serde_json::to_string(&config.labels))?,
            ports: json(serde_json::to_string(&config.ports))?,
            mounts: json(serde_json::to_string(&mounts))?,
            auto_remove: config.auto_remove,
        })
    }
}

/// Migration body: the summary columns, filled from each existing row's config JSON with
/// SQLite's own JSON functions (the same shapes serde writes; args joined in array order),
/// and an index holding every column a listing reads, in listing order: the listing is then
/// read from the index's few pages alone, not from the table's (each row carries its ~1 KiB
/// config; measured with 1000 containers: 3.4 -> 2.4 ms). It replaces the index on `created`,
/// which it starts with.
pub(super) const MIGRATION: &str = "
    ALTER TABLE containers ADD COLUMN image_name TEXT NOT NULL DEFAULT '';
    ALTER TABLE containers ADD COLUMN image_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE containers ADD COLUMN command TEXT NOT NULL DEFAULT '';
    ALTER TABLE containers ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE containers ADD COLUMN ports TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE containers ADD COLUMN mounts TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE containers ADD COLUMN auto_remove INTEGER NOT NULL DEFAULT 0;
    UPDATE containers SET
        image_name = coalesce(json_extract(config, '$.image_name'), ''),
        image_id = coalesce(json_extract(config, '$.image_id'), ''),
        command = coalesce((SELECT group_concat(value, ' ' ORDER BY key)
                            FROM json_each(config, '$.args')), ''),
        labels = coalesce(json_extract(config, '$.labels'), '{}'),
        ports = coalesce(json_extract(config, '$.ports'), '[]'),
        mounts = coalesce((SELECT json_group_array(json_object(
                               'kind', coalesce(json_extract(value, '$.kind'), ''),
                               'name', coalesce(json_extract(value, '$.name'), ''),
                               'destination', coalesce(json_extract(value, '$.destination'), ''))
                               ORDER BY key)
                           FROM json_each(config, '$.mounts')), '[]'),
        auto_remove = coalesce(json_extract(config, '$.auto_remove'), 0);
    CREATE INDEX containers_image ON containers(image_id);
    CREATE INDEX containers_list ON containers(created, id, name, pod_id, status, pid,
        pid_start, monitor_pid, started, finished, exit_code, oom_killed, restart_count,
        stopped_by_user, image_name, image_id, command, labels, ports, mounts, auto_remove);
    DROP INDEX containers_created;";

/// The state columns first, at the offsets `row_to_state` reads. All in `containers_list`.
const COLUMNS: &str = "id, name, created, pod_id, status, pid, pid_start, monitor_pid, started, finished, exit_code, oom_killed, restart_count, stopped_by_user, image_name, image_id, command, labels, ports, mounts, auto_remove";

fn row_to_summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContainerSummary> {
    Ok(ContainerSummary {
        id: r.get(0)?,
        name: r.get(1)?,
        created: r.get(2)?,
        pod: r.get(3)?,
        state: row_to_state(r, 4)?,
        image_name: r.get(14)?,
        image_id: r.get(15)?,
        command: r.get(16)?,
        labels: json_column(r, 17, "{}")?,
        ports: json_column(r, 18, "[]")?,
        mounts: json_column(r, 19, "[]")?,
        auto_remove: r.get(20)?,
    })
}

/// A JSON column, not parsed at all when it holds the empty value (nearly every row).
fn json_column<T: Default + serde::de::DeserializeOwned>(
    r: &rusqlite::Row<'_>,
    idx: usize,
    empty: &str,
) -> rusqlite::Result<T> {
    let text = r.get_ref(idx)?.as_str()?;
    if text == empty {
        return Ok(T::default());
    }
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl State {
    /// Every container's summary, newest first (podman's `ps` order), as recorded: a stale
    /// running record is repaired by the runtime, not here. `active_only`: only the records
    /// that say running, paused or stopping (`ps` without `-a` converts no other row).
    pub fn list_summaries(&self, active_only: bool) -> Result<Vec<ContainerSummary>> {
        let sql = if active_only {
            format!(
                "SELECT {COLUMNS} FROM containers WHERE status IN ('running', 'paused', 'stopping') ORDER BY created DESC"
            )
        } else {
            format!("SELECT {COLUMNS} FROM containers ORDER BY created DESC")
        };
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_map([], row_to_summary)?.collect())
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{Container, Mount};

    fn config() -> ContainerConfig {
        ContainerConfig {
            image_id: "f00d".into(),
            image_name: "localhost/busybox:latest".into(),
            args: vec!["sh".into(), "-c".into(), "echo a  b".into()],
            labels: [
                ("app".to_string(), "web".to_string()),
                ("x".into(), "".into()),
            ]
            .into(),
            ports: vec![network::PortMapping {
                host_ip: Some("127.0.0.1".parse().unwrap()),
                host_port: 8080,
                container_port: 80,
                protocol: network::Protocol::Tcp,
            }],
            mounts: vec![
                Mount {
                    kind: "volume".into(),
                    source: "/v/data/_data".into(),
                    destination: "/data".into(),
                    options: vec!["rw".into()],
                    name: "data".into(),
                    ..Mount::default()
                },
                Mount {
                    kind: "tmpfs".into(),
                    destination: "/run".into(),
                    ..Mount::default()
                },
            ],
            auto_remove: true,
            pod: "0123456789abcdef".into(),
            ..ContainerConfig::default()
        }
    }

    fn container(id: &str, name: &str, config: ContainerConfig) -> Container {
        Container {
            id: id.into(),
            name: name.into(),
            created: 7,
            config,
            state: ContainerState::default(),
        }
    }

    fn stored_columns(st: &State, id: &str) -> Vec<String> {
        st.conn
            .query_row(
                "SELECT image_name, image_id, command, labels, ports, mounts, auto_remove FROM containers WHERE id = ?1",
                [id],
                |r| {
                    (0..7)
                        .map(|i| r.get_ref(i).map(|v| format!("{v:?}")))
                        .collect::<rusqlite::Result<Vec<_>>>()
                },
            )
            .unwrap()
    }

    // Pins that a summary shows what the container was created with, and follows `update`.
    #[test]
    fn summary_follows_insert_and_update() {
        let dir = tempfile::tempdir().unwrap();
        let st = State::open(&dir.path().join("db")).unwrap();
        st.insert_container(
            &container("aaa", "web", config()),
            crate::state::Owner::NONE,
        )
        .unwrap();
        st.insert_container(
            &container("bbb", "plain", ContainerConfig::default()),
            crate::state::Owner::NONE,
        )
        .unwrap();
        let rows = st.list_summaries(false).unwrap();
        let web = rows.iter().find(|s| s.id == "aaa").unwrap();
        assert_eq!(web.name, "web");
        assert_eq!(web.image_name, "localhost/busybox:latest");
        assert_eq!(web.image_id, "f00d");
        assert_eq!(web.command, "sh -c echo a  b");
        assert_eq!(web.labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(web.ports, config().ports);
        assert_eq!(web.mounts.len(), 2);
        assert_eq!(
            (web.mounts[0].kind.as_str(), web.mounts[0].name.as_str()),
            ("volume", "data")
        );
        assert_eq!(web.mounts[1].destination, PathBuf::from("/run"));
        assert!(web.auto_remove);
        assert_eq!(web.pod, "0123456789abcdef");
        assert_eq!(web.status(), Status::Created);
        let plain = rows.iter().find(|s| s.id == "bbb").unwrap();
        assert!(plain.labels.is_empty() && plain.ports.is_empty() && plain.mounts.is_empty());

        let mut changed = config();
        changed.labels.insert("tier".into(), "front".into());
        changed.ports.clear();
        st.update_config("aaa", &changed).unwrap();
        let web = st
            .list_summaries(false)
            .unwrap()
            .into_iter()
            .find(|s| s.id == "aaa")
            .unwrap();
        assert_eq!(web.labels.get("tier").map(String::as_str), Some("front"));
        assert!(web.ports.is_empty());
    }

    // Pins the migration's backfill: rows made before it get exactly the columns an insert
    // writes today, so `ps` shows old containers as it did.
    #[test]
    fn migration_backfills_rows_made_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mine = super::super::MIGRATIONS
            .iter()
            .position(|m| *m == MIGRATION)
            .unwrap();
        let old = rusqlite::Connection::open(&path).unwrap();
        for m in &super::super::MIGRATIONS[..mine] {
            old.execute_batch(m).unwrap();
        }
        old.pragma_update(None, "user_version", mine as i64)
            .unwrap();
        for (id, cfg) in [("aaa", config()), ("bbb", ContainerConfig::default())] {
            old.execute(
                "INSERT INTO containers (id, name, created, config) VALUES (?1, ?1, 1, ?2)",
                rusqlite::params![id, serde_json::to_string(&cfg).unwrap()],
            )
            .unwrap();
        }
        drop(old);
        let st = State::open(&path).unwrap();
        let backfilled = (stored_columns(&st, "aaa"), stored_columns(&st, "bbb"));
        let fresh = State::open(&dir.path().join("fresh")).unwrap();
        fresh
            .insert_container(
                &container("aaa", "aaa", config()),
                crate::state::Owner::NONE,
            )
            .unwrap();
        fresh
            .insert_container(
                &container("bbb", "bbb", ContainerConfig::default()),
                crate::state::Owner::NONE,
            )
            .unwrap();
        assert_eq!(
            backfilled,
            (stored_columns(&fresh, "aaa"), stored_columns(&fresh, "bbb"))
        );
        let web = st.list_summaries(false).unwrap();
        assert_eq!(web.len(), 2);
        assert!(web.iter().any(|s| s.command == "sh -c echo a  b"));
    }
}
