//! The SQLite state: one database per user, WAL mode, migrations by `user_version`, every
//! multi-step change in one transaction. Container names are UNIQUE in the schema, so two
//! concurrent `run --name x` cannot both win. The connection is opened once per invocation
//! and its statements are cached.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::container::{Container, ContainerConfig, ContainerState, Status};
use crate::error::{LibpodError, Result};

mod error;
mod lookup;
mod networks;
mod pods;
mod secrets;
mod summary;
mod volumes;

pub use error::StateError;
pub use networks::NewNetwork;
pub use summary::{ContainerSummary, MountSummary};

const MIGRATIONS: &[&str] = &[
    // 1: containers
    "CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        config TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'created',
        pid INTEGER NOT NULL DEFAULT 0,
        pid_start INTEGER NOT NULL DEFAULT 0,
        monitor_pid INTEGER NOT NULL DEFAULT 0,
        started INTEGER NOT NULL DEFAULT 0,
        finished INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER NOT NULL DEFAULT 0,
        oom_killed INTEGER NOT NULL DEFAULT 0,
        restart_count INTEGER NOT NULL DEFAULT 0,
        stopped_by_user INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX containers_created ON containers(created);",
    // 2: named volumes (the volume's directory lives under the data root; this row is its
    // metadata: driver, labels, options, whether copy-up from an image already happened)
    "CREATE TABLE volumes (
        name TEXT PRIMARY KEY,
        created INTEGER NOT NULL,
        config TEXT NOT NULL
    );",
    // 3: pods, and each container's pod (empty: none), indexed for a pod's member list
    "CREATE TABLE pods (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        config TEXT NOT NULL
    );
    ALTER TABLE containers ADD COLUMN pod_id TEXT NOT NULL DEFAULT '';
    CREATE INDEX containers_pod ON containers(pod_id);",
    // 4: what listings show (image, command, labels, ports, mounts) in columns of their own,
    // backfilled from the config: `ps` reads these and never parses a config
    summary::MIGRATION,
    // 5: user-defined networks, and each container's address, MAC, aliases and interface on
    // them (UNIQUE (network, ip): two containers never get one address)
    "CREATE TABLE networks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        config TEXT NOT NULL
    );
    CREATE TABLE container_networks (
        container_id TEXT NOT NULL,
        network_id TEXT NOT NULL,
        ip TEXT NOT NULL,
        mac TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT '[]',
        ifname TEXT NOT NULL,
        PRIMARY KEY (container_id, network_id),
        UNIQUE (network_id, ip)
    );
    CREATE INDEX container_networks_net ON container_networks(network_id);",
    // 6: the process a container row belongs to while it is being made or is temporary (a
    // `--rm` container's supervisor, a build's working container): when that process is
    // dead, the next command removes the container.
    "ALTER TABLE containers ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE containers ADD COLUMN owner_start INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX containers_owner ON containers(owner_pid) WHERE owner_pid != 0;",
    // 7: secrets (their metadata; the data is with the secret's driver, never here)
    secrets::MIGRATION,
];

/// The process a container row belongs to (pid and start time, so a reused pid is never
/// taken for it); `Owner::NONE` for a container that stays when its creator exits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    pub pid: i32,
    pub start: u64,
}

impl Owner {
    pub const NONE: Owner = Owner { pid: 0, start: 0 };
}

pub(super) const COLUMNS: &str = "id, name, created, config, status, pid, pid_start, monitor_pid, started, finished, exit_code, oom_killed, restart_count, stopped_by_user";

pub struct State {
    conn: Connection,
    path: PathBuf,
}

/// Puts the database in WAL mode. Switching a new database's journal needs an exclusive lock
/// that SQLite takes without its busy handler: when two first commands (or a command and the
/// pause process holding the database open) switch at once, one gets SQLITE_BUSY at once.
/// It is retried for as long as the busy timeout would wait.
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

impl State {
    pub fn open(path: &Path) -> Result<State> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)
                .map_err(|e| LibpodError::io(format!("create {}", dir.display()), e))?;
        }
        let err = |source| LibpodError::State {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        // Concurrent burrow processes (a monitor recording an exit while the user runs `ps`)
        // wait for each other instead of failing with SQLITE_BUSY.
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        set_wal(&conn).map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        // The state of a few thousand containers is a few hundred KiB; SQLite's default page
        // cache (2 MiB) only adds to the resident size of every short-lived command.
        conn.pragma_update(None, "cache_size", -256).map_err(err)?;
        let mut state = State {
            conn,
            path: path.to_path_buf(),
        };
        state.migrate()?;
        Ok(state)
    }

    /// An idle connection in WAL mode, for the pause process (see userns): while it is open,
    /// the WAL index stays valid and short-lived commands skip the checkpoint at close.
    pub fn hold_open(path: &Path) -> Option<Connection> {
        create_private_dir(path.parent()?).ok()?;
        let conn = Connection::open(path).ok()?;
        conn.busy_timeout(Duration::from_secs(10)).ok()?;
        set_wal(&conn).ok()?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .ok()?;
        Some(conn)
    }

    fn err(&self, source: rusqlite::Error) -> LibpodError {
        LibpodError::State {
            path: self.path.clone(),
            source,
        }
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if version >= MIGRATIONS.len() as i64 {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |source| LibpodError::State {
            path: path.clone(),
            source,
        };
        // IMMEDIATE: two first invocations racing must not both run the same migration.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        for m in &MIGRATIONS[(version.max(0) as usize).min(MIGRATIONS.len())..] {
            tx.execute_batch(m).map_err(err)?;
        }
        tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)
            .map_err(err)?;
        tx.commit().map_err(err)
    }

    pub fn insert_container(&self, c: &Container, owner: Owner) -> Result<()> {
        let config =
            serde_json::to_string(&c.config).map_err(StateError::encode("container config"))?;
        let s = summary::SummaryColumns::of(&c.config)?;
        let res = self.conn.prepare_cached(
            "INSERT INTO containers (id, name, created, config, status, pod_id, image_name, image_id, command, labels, ports, mounts, auto_remove, owner_pid, owner_start) VALUES (?1, ?2, ?3, ?4, 'created', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .and_then(|mut st| {
            st.execute(params![
                c.id,
                c.name,
                c.created,
                config,
                c.config.pod,
                s.image_name,
                s.image_id,
                s.command,
                s.labels,
                s.ports,
                s.mounts,
                s.auto_remove,
                owner.pid,
                owner.start as i64
            ])
        });
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_constraint_violation(&e) => {
                let holder = self.container_id_by_name(&c.name)?.unwrap_or_default();
                Err(LibpodError::NameInUse(c.name.clone(), holder))
            }
            Err(e) => Err(self.err(e)),
        }
    }

    fn container_id_by_name(&self, name: &str) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT id FROM containers WHERE name = ?1")
            .and_then(|mut st| st.query_row([name], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// By exact name, full id or unique id prefix, as podman resolves them.
    pub fn lookup(&self, name_or_id: &str) -> Result<Container> {
        let containers = lookup::Named {
            table: "containers",
            columns: COLUMNS,
            kind: "container",
            row: row_to_container,
            not_found: LibpodError::NoSuchContainer,
        };
        self.lookup_named(&containers, name_or_id)
    }

    /// Every container, newest first (podman's `ps` order).
    pub fn list(&self) -> Result<Vec<Container>> {
        let sql = format!("SELECT {COLUMNS} FROM containers ORDER BY created DESC");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_map([], row_to_container)?.collect())
            .map_err(|e| self.err(e))
    }

    pub fn containers_using_image(&self, image_id: &str) -> Result<Vec<Container>> {
        let sql =
            format!("SELECT {COLUMNS} FROM containers WHERE image_id = ?1 ORDER BY created DESC");
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_map([image_id], row_to_container)?.collect())
            .map_err(|e| self.err(e))
    }

    /// Records a start, and who owns the running container from now on (its supervisor for
    /// a `--rm` one, nobody for a container that outlives its supervisor).
    pub fn set_running(
        &self,
        id: &str,
        pid: i32,
        pid_start: u64,
        monitor_pid: i32,
        started: i64,
        owner: Owner,
    ) -> Result<()> {
        self.exec(
            // A start clears stopped_by_user in the same write (one WAL commit per start).
            "UPDATE containers SET status='running', pid=?2, pid_start=?3, monitor_pid=?4, started=?5, exit_code=0, oom_killed=0, stopped_by_user=0, owner_pid=?6, owner_start=?7 WHERE id=?1",
            params![id, pid, pid_start as i64, monitor_pid, started, owner.pid, owner.start as i64],
        )
    }

    /// Containers that belong to a process: (id, owner), for the next command to remove
    /// those whose owner died.
    pub fn owned_containers(&self) -> Result<Vec<(String, Owner)>> {
        self.conn
            .prepare_cached(
                "SELECT id, owner_pid, owner_start FROM containers WHERE owner_pid != 0",
            )
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        Owner {
                            pid: r.get(1)?,
                            start: r.get::<_, i64>(2)? as u64,
                        },
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// Makes `new` the owner of the container if `old` still is; false if someone else took
    /// it (or the row is gone), so two commands never clean up the same container.
    pub fn take_ownership(&self, id: &str, old: Owner, new: Owner) -> Result<bool> {
        self.conn
            .prepare_cached(
                "UPDATE containers SET owner_pid=?4, owner_start=?5 WHERE id=?1 AND owner_pid=?2 AND owner_start=?3",
            )
            .and_then(|mut st| {
                st.execute(params![
                    id,
                    old.pid,
                    old.start as i64,
                    new.pid,
                    new.start as i64
                ])
            })
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }

    /// The process a container belongs to (`Owner::NONE` for most).
    pub fn owner_of(&self, id: &str) -> Result<Owner> {
        self.conn
            .prepare_cached("SELECT owner_pid, owner_start FROM containers WHERE id = ?1")
            .and_then(|mut st| {
                st.query_row([id], |r| {
                    Ok(Owner {
                        pid: r.get(0)?,
                        start: r.get::<_, i64>(1)? as u64,
                    })
                })
            })
            .map_err(|e| self.err(e))
    }

    /// Sets or clears the owner of a container.
    pub fn set_owner(&self, id: &str, owner: Owner) -> Result<()> {
        self.exec(
            "UPDATE containers SET owner_pid=?2, owner_start=?3 WHERE id=?1",
            params![id, owner.pid, owner.start as i64],
        )
    }

    pub fn set_exited(
        &self,
        id: &str,
        exit_code: i32,
        finished: i64,
        oom_killed: bool,
    ) -> Result<()> {
        self.exec(
            "UPDATE containers SET status='exited', pid=0, pid_start=0, exit_code=?2, finished=?3, oom_killed=?4 WHERE id=?1",
            params![id, exit_code, finished, oom_killed],
        )
    }

    /// Records an `init`: the container's process exists, waiting to exec its command.
    pub fn set_initialized(&self, id: &str, pid: i32, pid_start: u64, monitor: i32) -> Result<()> {
        self.exec(
            "UPDATE containers SET status='initialized', pid=?2, pid_start=?3, monitor_pid=?4 WHERE id=?1",
            params![id, pid, pid_start as i64, monitor],
        )
    }

    pub fn set_status(&self, id: &str, status: Status) -> Result<()> {
        self.exec(
            "UPDATE containers SET status=?2 WHERE id=?1",
            params![id, status.as_str()],
        )
    }

    pub fn set_monitor(&self, id: &str, monitor_pid: i32) -> Result<()> {
        self.exec(
            "UPDATE containers SET monitor_pid=?2 WHERE id=?1",
            params![id, monitor_pid],
        )
    }

    pub fn set_stopped_by_user(&self, id: &str, stopped: bool) -> Result<()> {
        self.exec(
            "UPDATE containers SET stopped_by_user=?2 WHERE id=?1",
            params![id, stopped],
        )
    }

    pub fn bump_restart_count(&self, id: &str) -> Result<()> {
        self.exec(
            "UPDATE containers SET restart_count=restart_count+1 WHERE id=?1",
            params![id],
        )
    }

    pub fn rename(&self, id: &str, new_name: &str) -> Result<()> {
        match self.exec(
            "UPDATE containers SET name=?2 WHERE id=?1",
            params![id, new_name],
        ) {
            Err(LibpodError::State { source, .. }) if is_constraint_violation(&source) => {
                let holder = self.container_id_by_name(new_name)?.unwrap_or_default();
                Err(LibpodError::NameInUse(new_name.to_string(), holder))
            }
            other => other,
        }
    }

    pub fn remove(&self, id: &str) -> Result<()> {
        // Its addresses on user networks are free again.
        self.exec(
            "DELETE FROM container_networks WHERE container_id=?1",
            params![id],
        )?;
        self.exec("DELETE FROM containers WHERE id=?1", params![id])
    }

    /// Replaces a container's stored config (`update`), and the summary columns taken from it.
    pub fn update_config(&self, id: &str, config: &ContainerConfig) -> Result<()> {
        let s = summary::SummaryColumns::of(config)?;
        let config =
            serde_json::to_string(config).map_err(StateError::encode("container config"))?;
        self.exec(
            "UPDATE containers SET config=?2, image_name=?3, image_id=?4, command=?5, labels=?6, ports=?7, mounts=?8, auto_remove=?9 WHERE id=?1",
            params![
                id,
                config,
                s.image_name,
                s.image_id,
                s.command,
                s.labels,
                s.ports,
                s.mounts,
                s.auto_remove
            ],
        )
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<()> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(p))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// The data root holds every container's environment (secrets included) and its files: like
/// podman's storage root it is private to the user (0700) when burrow creates it.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// A UNIQUE (or other constraint) refusal: a name or address already taken.
pub(super) fn is_constraint_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

/// The JSON text in column `i` (a row's `config`), parsed; bad JSON is a conversion error
/// naming the column.
pub(super) fn json_column<T: serde::de::DeserializeOwned>(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(super) fn row_to_container(r: &rusqlite::Row<'_>) -> rusqlite::Result<Container> {
    Ok(Container {
        id: r.get(0)?,
        name: r.get(1)?,
        created: r.get(2)?,
        config: json_column(r, 3)?,
        state: row_to_state(r, 4)?,
    })
}

/// The ten state columns (status .. stopped_by_user, in [`COLUMNS`]' order) from `first` on.
pub(super) fn row_to_state(
    r: &rusqlite::Row<'_>,
    first: usize,
) -> rusqlite::Result<ContainerState> {
    let status = r.get_ref(first)?.as_str()?;
    Ok(ContainerState {
        status: Status::parse(status),
        pid: r.get(first + 1)?,
        pid_start: r.get::<_, i64>(first + 2)? as u64,
        monitor_pid: r.get(first + 3)?,
        started: r.get(first + 4)?,
        finished: r.get(first + 5)?,
        exit_code: r.get(first + 6)?,
        oom_killed: r.get(first + 7)?,
        restart_count: r.get(first + 8)?,
        stopped_by_user: r.get(first + 9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Pins that commands opening a brand-new database at once (and the pause process holding
    // it open) all get it: the switch to WAL is retried instead of failing "database is locked".
    #[test]
    fn concurrent_first_opens_all_succeed() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("burrow.db");
            let barrier = std::sync::Barrier::new(5);
            std::thread::scope(|s| {
                let held = s.spawn(|| {
                    barrier.wait();
                    State::hold_open(&db).is_some()
                });
                let opens: Vec<_> = (0..4)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            State::open(&db).map(drop)
                        })
                    })
                    .collect();
                for o in opens {
                    o.join().unwrap().expect("open succeeds");
                }
                assert!(held.join().unwrap(), "hold_open succeeds");
            });
        }
    }

    fn sample(id: &str, name: &str) -> Container {
        Container {
            id: id.to_string(),
            name: name.to_string(),
            created: 1,
            config: ContainerConfig::default(),
            state: ContainerState::default(),
        }
    }

    #[test]
    fn names_are_unique_and_prefixes_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let st = State::open(&dir.path().join("db")).unwrap();
        st.insert_container(&sample("abc123", "web"), Owner::NONE)
            .unwrap();
        st.insert_container(&sample("abd456", "db"), Owner::NONE)
            .unwrap();
        let err = st
            .insert_container(&sample("fff", "web"), Owner::NONE)
            .unwrap_err();
        assert!(
            err.to_string().contains("already in use by abc123"),
            "{err}"
        );
        assert_eq!(st.lookup("web").unwrap().id, "abc123");
        assert_eq!(st.lookup("abd").unwrap().name, "db");
        assert!(
            st.lookup("ab")
                .unwrap_err()
                .to_string()
                .contains("more than one")
        );
        assert!(matches!(
            st.lookup("zzz"),
            Err(LibpodError::NoSuchContainer(_))
        ));
        st.rename("abc123", "front").unwrap();
        assert!(st.rename("abd456", "front").is_err());
        // reopening runs no migration twice
        drop(st);
        let st = State::open(&dir.path().join("db")).unwrap();
        assert_eq!(st.list().unwrap().len(), 2);
    }
}
