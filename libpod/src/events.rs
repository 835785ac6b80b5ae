//! The event log. podman's `events_logger = "file"` (burrow's default): one JSON object per
//! line in `<runroot>/events/events.log`. `journald`: one journal entry per event with
//! podman's `PODMAN_*` fields, read back through `journalctl`. `none`: nothing is recorded. Recording sits on the hot path of every `run`, so it is one
//! `write(2)` of one line to a descriptor opened once per process with O_APPEND (atomic for a
//! line this short, so concurrent burrow processes never interleave), no fsync, no extra process.
//! The log is capped: past [`MAX_SIZE`] the older half is dropped, as podman's
//! `events_logfile_max_size` does. Nothing here may fail a command: a lost event is better
//! than a failed `run`.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// podman's default `events_logfile_max_size` (1 MB).
pub const MAX_SIZE: u64 = 1_000_000;

/// One event, in podman's file-logger field names.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Event {
    /// Container or image id (empty for system events).
    #[serde(rename = "ID", default)]
    pub id: String,
    /// The image a container runs, or the image reference of an image event.
    #[serde(rename = "Image", default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(rename = "Name", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// create, init, start, attach, exec, died, stop, remove, kill, pause, pull, tag, ...
    #[serde(rename = "Status")]
    pub status: String,
    /// container, image, volume, pod or system.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Nanoseconds since the epoch.
    #[serde(rename = "timeNano")]
    pub time: i64,
    #[serde(
        rename = "ContainerExitCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exit_code: Option<i32>,
    /// Container labels, and extra details such as a kill's signal.
    #[serde(
        rename = "Attributes",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    pub fn new(kind: &str, status: &str, id: &str) -> Event {
        Event {
            id: id.to_string(),
            status: status.to_string(),
            kind: kind.to_string(),
            time: crate::clock::now_nanos(),
            ..Event::default()
        }
    }
    pub fn name(mut self, name: &str) -> Event {
        self.name = name.to_string();
        self
    }
    pub fn image(mut self, image: &str) -> Event {
        self.image = image.to_string();
        self
    }
    pub fn attr(mut self, k: &str, v: impl Into<String>) -> Event {
        self.attributes.insert(k.to_string(), v.into());
        self
    }
}

/// Where events go: `--events-backend`, or containers.conf's `events_logger`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    #[default]
    File,
    Journald,
    None,
}

impl Backend {
    pub fn parse(s: &str) -> Result<Backend, String> {
        match s {
            "file" => Ok(Backend::File),
            "journald" => Ok(Backend::Journald),
            "none" => Ok(Backend::None),
            _ => Err(format!(
                "unknown event logger type: {s:?}: use file, journald or none"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::File => "file",
            Backend::Journald => "journald",
            Backend::None => "none",
        }
    }
}

/// The event log of one runtime; the file (or journal socket) is opened at the first event
/// only, so commands that record nothing (`ps`, `inspect`) never touch it.
pub struct EventLog {
    path: PathBuf,
    file: OnceCell<Option<File>>,
    backend: Backend,
    journal: OnceCell<Option<std::os::unix::net::UnixDatagram>>,
}

impl EventLog {
    pub fn new(run_root: &Path, backend: Backend) -> EventLog {
        EventLog {
            path: run_root.join("events").join("events.log"),
            file: OnceCell::new(),
            backend,
            journal: OnceCell::new(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open(path: &Path) -> Option<File> {
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .custom_flags(libc::O_CLOEXEC)
                .open(path)
        };
        match open() {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(path.parent()?).ok()?;
                open().ok()
            }
            Err(_) => None,
        }
    }

    /// Records one event; never fails the caller.
    pub fn write(&self, ev: &Event) {
        match self.backend {
            Backend::File => self.append(ev),
            Backend::Journald => self.send(ev),
            Backend::None => {}
        }
    }

    /// One journal entry; the whole event rides along as JSON so that `events` reads back
    /// exactly what was recorded, and the run root tells this store's events from others'.
    fn send(&self, ev: &Event) {
        let sock = self
            .journal
            .get_or_init(|| std::os::unix::net::UnixDatagram::unbound().ok());
        let Some(sock) = sock else { return };
        let Ok(json) = serde_json::to_vec(ev) else {
            return;
        };
        let mut msg = Vec::new();
        let mut put = |k: &str, v: &[u8]| crate::journald::field(&mut msg, k, v);
        put("SYSLOG_IDENTIFIER", b"burrow");
        put(
            "MESSAGE",
            format!("{} {} {}", ev.kind, ev.status, ev.id).as_bytes(),
        );
        put("PODMAN_EVENT", ev.status.as_bytes());
        put("PODMAN_TYPE", ev.kind.as_bytes());
        put("PODMAN_TIME", ev.time.to_string().as_bytes());
        if !ev.id.is_empty() {
            put("PODMAN_ID", ev.id.as_bytes());
        }
        if !ev.name.is_empty() {
            put("PODMAN_NAME", ev.name.as_bytes());
        }
        if !ev.image.is_empty() {
            put("PODMAN_IMAGE", ev.image.as_bytes());
        }
        if let Some(code) = ev.exit_code {
            put("PODMAN_EXIT_CODE", code.to_string().as_bytes());
        }
        put("BURROW_EVENT", &json);
        put(
            "BURROW_RUNROOT",
            self.run_root().as_os_str().as_encoded_bytes(),
        );
        let _ = sock.send_to(&msg, crate::journald::SOCKET);
    }

    /// The run root the log belongs to (the journal's filter for this store).
    fn run_root(&self) -> &Path {
        self.path
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("/"))
    }

    /// Reads what is recorded: from the beginning, or (`from_start` false) only what comes
    /// after now. podman's error for the `none` backend.
    pub fn reader(&self, from_start: bool) -> Result<EventReader, String> {
        let at = match self.backend {
            Backend::None => {
                return Err("cannot read events with the \"none\" backend".to_string());
            }
            Backend::File => Position::Offset(if from_start {
                0
            } else {
                std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
            }),
            Backend::Journald => Position::Cursor(if from_start {
                None
            } else {
                crate::journald::last_cursor(&self.journal_match()).map_err(|e| e.to_string())?
            }),
        };
        Ok(EventReader {
            path: self.path.clone(),
            matches: self.journal_match(),
            at,
        })
    }

    fn journal_match(&self) -> Vec<String> {
        vec![
            "SYSLOG_IDENTIFIER=burrow".to_string(),
            format!("BURROW_RUNROOT={}", self.run_root().display()),
        ]
    }

    /// Appends one event to the file.
    fn append(&self, ev: &Event) {
        let Some(file) = self.file.get_or_init(|| Self::open(&self.path)) else {
            return;
        };
        let Ok(mut line) = serde_json::to_vec(ev) else {
            return;
        };
        line.push(b'\n');
        // One write call: O_APPEND makes the line land whole at the end.
        let mut f: &File = file;
        let _ = f.write_all(&line);
        if let Ok(m) = file.metadata()
            && m.len() > MAX_SIZE
        {
            rotate(&self.path, MAX_SIZE / 2);
        }
    }

    /// Every event recorded so far, oldest first; lines that do not parse are skipped.
    pub fn read_all(&self) -> Vec<Event> {
        read_from(&self.path, 0).0
    }
}

enum Position {
    Offset(u64),
    Cursor(Option<String>),
}

/// Reads the events recorded after a position, batch by batch (for following the log).
pub struct EventReader {
    path: PathBuf,
    matches: Vec<String>,
    at: Position,
}

impl EventReader {
    /// The events recorded since the last call (or the reader's start).
    pub fn next_batch(&mut self) -> Result<Vec<Event>, String> {
        match &mut self.at {
            Position::Offset(pos) => {
                let (events, next) = read_from(&self.path, *pos);
                *pos = next;
                Ok(events)
            }
            Position::Cursor(cursor) => {
                let (entries, next) =
                    crate::journald::read_matching(&self.matches, cursor.as_deref())
                        .map_err(|e| e.to_string())?;
                *cursor = next;
                Ok(entries
                    .iter()
                    .filter_map(|v| v["BURROW_EVENT"].as_str())
                    .filter_map(|j| serde_json::from_str(j).ok())
                    .collect())
            }
        }
    }
}

/// Events after byte `offset`, and the offset to continue from (for following the log).
pub fn read_from(path: &Path, offset: u64) -> (Vec<Event>, u64) {
    use std::io::Seek;
    let Ok(mut f) = File::open(path) else {
        return (Vec::new(), offset);
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    // The log was rotated under us: start again from its beginning.
    let offset = if len < offset { 0 } else { offset };
    if f.seek(std::io::SeekFrom::Start(offset)).is_err() {
        return (Vec::new(), offset);
    }
    let mut reader = std::io::BufReader::new(f);
    let mut events = Vec::new();
    let mut pos = offset;
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                // A line still being written has no newline yet: read it next time.
                if !line.ends_with('\n') {
                    break;
                }
                pos += n as u64;
                if let Ok(ev) = serde_json::from_str::<Event>(line.trim_end()) {
                    events.push(ev);
                }
            }
        }
    }
    (events, pos)
}

/// Keeps the newest `keep` bytes (whole lines) of the log: written to a temporary file and
/// renamed over the log, so a reader sees either the old or the new file.
fn rotate(path: &Path, keep: u64) {
    let Ok(data) = std::fs::read(path) else {
        return;
    };
    let start = data.len().saturating_sub(keep as usize);
    let start = match data[start..].iter().position(|&b| b == b'\n') {
        Some(i) => start + i + 1,
        None => return,
    };
    let tmp = path.with_extension(format!("rotate-{}", std::process::id()));
    if std::fs::write(&tmp, &data[start..]).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::new(dir.path(), Backend::File);
        log.write(&Event::new("container", "start", "abc").name("web"));
        log.write(&Event::new("image", "tag", "def").name("x:latest"));
        let all = log.read_all();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].name, "web");
        assert_eq!(all[1].kind, "image");
        let (_, pos) = read_from(log.path(), 0);
        log.write(&Event::new("container", "died", "abc").name("web"));
        let (more, _) = read_from(log.path(), pos);
        assert_eq!(more.len(), 1);
        assert_eq!(more[0].status, "died");
        rotate(log.path(), 10);
        assert!(log.read_all().len() <= 1);
    }
}
