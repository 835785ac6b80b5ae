//! The `journald` log driver: each line of a container's output becomes one entry in the
//! systemd journal, sent over journald's native socket with conmon's fields (`MESSAGE`,
//! `CONTAINER_ID`, `CONTAINER_ID_FULL`, `CONTAINER_NAME`, `CONTAINER_TAG`, `SYSLOG_IDENTIFIER`,
//! `PRIORITY`, `CONTAINER_PARTIAL_MESSAGE`), and `logs` reads them back through `journalctl`.
//! It never falls back to a file silently: without the socket the container is refused at
//! create (podman would run it and lose its output). The journald events backend
//! (events.rs) sends and reads its entries through the same socket and `journalctl`.

use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use crate::error::{LibpodError, Result};
use crate::logs::{Entry, Stream};

/// journald's native protocol socket.
pub const SOCKET: &str = "/run/systemd/journal/socket";

/// Whether there is a journal to write to.
pub fn available() -> bool {
    Path::new(SOCKET).exists()
}

/// Sends a container's output to the journal.
pub struct JournalSender {
    socket: Option<UnixDatagram>,
    target: PathBuf,
    /// The fields every entry of this container carries, already encoded.
    fixed: Vec<u8>,
}

impl JournalSender {
    /// For container `id` named `name`, with `--log-opt tag=` (may be empty).
    pub fn new(target: &Path, id: &str, name: &str, tag: &str) -> JournalSender {
        let short = &id[..12.min(id.len())];
        let mut fixed = Vec::new();
        field(&mut fixed, "CONTAINER_ID", short.as_bytes());
        field(&mut fixed, "CONTAINER_ID_FULL", id.as_bytes());
        // conmon's precedence for the identifier: tag, name, short id.
        let mut ident = short;
        if !name.is_empty() {
            field(&mut fixed, "CONTAINER_NAME", name.as_bytes());
            ident = name;
        }
        if !tag.is_empty() {
            field(&mut fixed, "CONTAINER_TAG", tag.as_bytes());
            ident = tag;
        }
        field(&mut fixed, "SYSLOG_IDENTIFIER", ident.as_bytes());
        JournalSender {
            socket: UnixDatagram::unbound().ok(),
            target: target.to_path_buf(),
            fixed,
        }
    }

    /// One entry per line of `data`; a fragment without newline is marked partial.
    pub fn write(&mut self, stream: Stream, data: &[u8]) {
        let Some(sock) = &self.socket else { return };
        let priority: &[u8] = match stream {
            Stream::Stdout => b"6",
            Stream::Stderr => b"3",
        };
        for chunk in data.split_inclusive(|b| *b == b'\n') {
            let (text, partial) = match chunk.strip_suffix(b"\n") {
                Some(t) => (t, false),
                None => (chunk, true),
            };
            let mut msg = self.fixed.clone();
            field(&mut msg, "PRIORITY", priority);
            if partial {
                field(&mut msg, "CONTAINER_PARTIAL_MESSAGE", b"true");
            }
            field(&mut msg, "MESSAGE", text);
            // A lost entry must not stop the container's supervision (as a full disk for
            // k8s-file).
            let _ = sock.send_to(&msg, &self.target);
        }
    }
}

/// `KEY=value\n`, or journald's binary form when the value holds a newline.
pub(crate) fn field(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    out.extend_from_slice(key.as_bytes());
    if value.contains(&b'\n') {
        out.push(b'\n');
        let _ = out.write_all(&(value.len() as u64).to_le_bytes());
    } else {
        out.push(b'=');
    }
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// The entries of container `id` in the journal, oldest first, read with `journalctl`; with a
/// cursor, only those after it. Also returns the cursor of the last entry (the given one when
/// nothing new came), where a follow goes on from.
pub fn read_after(id: &str, cursor: Option<&str>) -> Result<(Vec<Entry>, Option<String>)> {
    let (raw, last) = read_matching(&[format!("CONTAINER_ID_FULL={id}")], cursor)?;
    Ok((raw.iter().filter_map(parse_entry).collect(), last))
}

/// The journal entries that carry all of `matches` (`FIELD=value`), oldest first, as
/// `journalctl --output=json` gives them; with a cursor, only those after it. Also the
/// cursor of the last one (the given one when nothing new came).
pub fn read_matching(
    matches: &[String],
    cursor: Option<&str>,
) -> Result<(Vec<serde_json::Value>, Option<String>)> {
    let mut cmd = journalctl();
    if let Some(c) = cursor {
        cmd.arg(format!("--after-cursor={c}"));
    }
    let out = run(cmd.args(matches))?;
    let mut last = cursor.map(str::to_string);
    let mut entries = Vec::new();
    for line in String::from_utf8_lossy(&out).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(c) = v["__CURSOR"].as_str() {
            last = Some(c.to_string());
        }
        entries.push(v);
    }
    Ok((entries, last))
}

/// The cursor of the newest entry carrying `matches` (none yet: `None`), where reading
/// "from now on" starts.
pub fn last_cursor(matches: &[String]) -> Result<Option<String>> {
    let out = run(journalctl().args(["--lines=1"]).args(matches))?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["__CURSOR"].as_str().map(str::to_string)))
}

fn journalctl() -> Command {
    let mut cmd = Command::new("journalctl");
    cmd.args(["--no-pager", "--output=json", "--all"]);
    cmd
}

/// Runs journalctl; its standard output.
fn run(cmd: &mut Command) -> Result<Vec<u8>> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            LibpodError::InvalidState(format!(
                "journalctl cannot be run ({e}): the journal is read through systemd's journalctl; install it, or use the file log driver and events backend"
            ))
        })?;
    if !out.status.success() {
        return Err(LibpodError::InvalidState(format!(
            "journalctl failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// One line of `journalctl --output=json`, parsed.
fn parse_entry(v: &serde_json::Value) -> Option<Entry> {
    let text = match &v["MESSAGE"] {
        serde_json::Value::String(s) => s.clone(),
        // journalctl gives non-UTF-8 or binary messages as byte arrays.
        serde_json::Value::Array(bytes) => {
            let raw: Vec<u8> = bytes
                .iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            String::from_utf8_lossy(&raw).into_owned()
        }
        _ => String::new(),
    };
    let stream = if v["PRIORITY"].as_str() == Some("3") {
        Stream::Stderr
    } else {
        Stream::Stdout
    };
    let usec: i64 = v["__REALTIME_TIMESTAMP"].as_str()?.parse().ok()?;
    let time: DateTime<FixedOffset> = Utc
        .timestamp_micros(usec)
        .single()?
        .with_timezone(&chrono::Local)
        .fixed_offset();
    Some(Entry {
        time,
        stream,
        partial: v["CONTAINER_PARTIAL_MESSAGE"].as_str() == Some("true"),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_carry_conmons_fields() {
        let dir = std::env::temp_dir().join(format!("burrow-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("socket");
        let server = UnixDatagram::bind(&path).unwrap();
        let id = "0123456789abcdef0123";
        let mut s = JournalSender::new(&path, id, "web", "");
        s.write(Stream::Stderr, b"oops\nhalf");
        let mut buf = [0u8; 4096];
        let n = server.recv(&mut buf).unwrap();
        let first = String::from_utf8_lossy(&buf[..n]).to_string();
        for want in [
            "CONTAINER_ID=0123456789ab\n",
            "CONTAINER_ID_FULL=0123456789abcdef0123\n",
            "CONTAINER_NAME=web\n",
            "SYSLOG_IDENTIFIER=web\n",
            "PRIORITY=3\n",
            "MESSAGE=oops\n",
        ] {
            assert!(first.contains(want), "{want:?} in {first:?}");
        }
        let n = server.recv(&mut buf).unwrap();
        let second = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(
            second.contains("CONTAINER_PARTIAL_MESSAGE=true\n"),
            "{second}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tag_wins_and_newlines_use_the_binary_form() {
        let mut out = Vec::new();
        field(&mut out, "MESSAGE", b"a\nb");
        assert_eq!(out, b"MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\n");
        let s = JournalSender::new(Path::new("/nonexistent"), "0123456789abcdef", "", "t");
        let fixed = String::from_utf8_lossy(&s.fixed).to_string();
        assert!(fixed.contains("SYSLOG_IDENTIFIER=t\n") && fixed.contains("CONTAINER_TAG=t\n"));
    }

    #[test]
    fn reads_journalctl_json() {
        let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        let e = parse_entry(&json(
            r#"{"MESSAGE":"hi","PRIORITY":"6","__REALTIME_TIMESTAMP":"1700000000000000"}"#,
        ))
        .unwrap();
        assert_eq!(
            (e.text.as_str(), e.stream, e.partial),
            ("hi", Stream::Stdout, false)
        );
        let e = parse_entry(&json(
            r#"{"MESSAGE":[104,105],"PRIORITY":"3","__REALTIME_TIMESTAMP":"1700000000000000","CONTAINER_PARTIAL_MESSAGE":"true"}"#,
        ))
        .unwrap();
        assert_eq!(
            (e.text.as_str(), e.stream, e.partial),
            ("hi", Stream::Stderr, true)
        );
    }
}
