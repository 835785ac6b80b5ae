//! Container logs in podman's k8s-file format: one line per chunk of output,
//! `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`, where P marks a partial line (the
//! output did not end in a newline yet) and F a full one.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, FixedOffset, Local};

use crate::error::{LibpodError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Appends to a container's log, creating the file at the first output (a container that
/// prints nothing costs no file).
pub struct LogWriter {
    path: std::path::PathBuf,
    file: Option<File>,
    /// `--log-opt max-size`: the file starts over before it would pass this (0: no limit).
    max_size: u64,
    written: u64,
    /// `--log-driver journald`: entries go to the journal instead of the file.
    journal: Option<crate::journald::JournalSender>,
}

impl LogWriter {
    pub fn open(path: &Path) -> Result<LogWriter> {
        Ok(LogWriter {
            path: path.to_path_buf(),
            file: None,
            max_size: 0,
            written: 0,
            journal: None,
        })
    }

    /// The container's writer: none for `--log-driver none` and `passthrough`.
    pub fn for_container(c: &crate::container::Container) -> Option<LogWriter> {
        let cfg = &c.config;
        if cfg.log_driver == "none" || cfg.log_driver == "passthrough" {
            return None;
        }
        if cfg.log_driver == "journald" {
            return Some(LogWriter {
                path: std::path::PathBuf::new(),
                file: None,
                max_size: 0,
                written: 0,
                journal: Some(crate::journald::JournalSender::new(
                    Path::new(crate::journald::SOCKET),
                    &c.id,
                    &c.name,
                    &cfg.log_tag,
                )),
            });
        }
        let written = std::fs::metadata(&cfg.log_path).map_or(0, |m| m.len());
        Some(LogWriter {
            path: cfg.log_path.clone(),
            file: None,
            max_size: cfg.log_size_max.max(0) as u64,
            written,
            journal: None,
        })
    }

    /// Writes `data` as log lines; a trailing fragment without newline becomes a P line.
    pub fn write(&mut self, stream: Stream, data: &[u8]) {
        if let Some(j) = &mut self.journal {
            j.write(stream, data);
            return;
        }
        let now = Local::now().format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string();
        let name = match stream {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        };
        let mut out = Vec::with_capacity(data.len() + 64);
        for chunk in data.split_inclusive(|b| *b == b'\n') {
            let (tag, text) = match chunk.strip_suffix(b"\n") {
                Some(t) => ("F", t),
                None => ("P", chunk),
            };
            out.extend_from_slice(format!("{now} {name} {tag} ").as_bytes());
            out.extend_from_slice(text);
            out.push(b'\n');
        }
        if self.max_size > 0 && self.written + out.len() as u64 > self.max_size {
            // As conmon's log-size-max: the file starts over (a single chunk larger than the
            // limit is still written whole).
            self.file = None;
            let _ = File::create(&self.path);
            self.written = 0;
        }
        self.written += out.len() as u64;
        if self.file.is_none() {
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .ok();
        }
        // A full disk must not kill the container's supervision; output is still shown.
        if let Some(f) = &mut self.file {
            let _ = f.write_all(&out);
        }
    }
}

/// inspect's LogConfig.Size: `--log-opt max-size` as podman shows it (docker's
/// `units.HumanSize`: decimal units, four significant digits; "0B" for none).
pub fn size_string(bytes: i64) -> String {
    if bytes <= 0 {
        return "0B".into();
    }
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    let int_digits = (v.log10().floor() as i32 + 1).max(1);
    let decimals = (4 - int_digits).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{s}{}", units[i])
}

/// One parsed log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub time: DateTime<FixedOffset>,
    pub stream: Stream,
    pub partial: bool,
    pub text: String,
}

pub fn parse_line(line: &str) -> Option<Entry> {
    let mut it = line.splitn(4, ' ');
    let time = DateTime::parse_from_rfc3339(it.next()?).ok()?;
    let stream = match it.next()? {
        "stdout" => Stream::Stdout,
        "stderr" => Stream::Stderr,
        _ => return None,
    };
    let partial = it.next()? == "P";
    let text = it.next().unwrap_or("").to_string();
    Some(Entry {
        time,
        stream,
        partial,
        text,
    })
}

/// Reads entries from `pos` on; returns them and the new position (for `logs -f`).
pub fn read_from(path: &Path, pos: u64) -> Result<(Vec<Entry>, u64)> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), pos)),
        Err(e) => return Err(LibpodError::io(format!("open log {}", path.display()), e)),
    };
    f.seek(SeekFrom::Start(pos))
        .map_err(|e| LibpodError::io("seek log", e))?;
    let mut reader = BufReader::new(f);
    let mut entries = Vec::new();
    let mut consumed = pos;
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| LibpodError::io("read log", e))?;
        if n == 0 || !line.ends_with('\n') {
            break; // an unfinished line is read again next time
        }
        consumed += n as u64;
        if let Some(e) = parse_line(line.trim_end_matches('\n')) {
            entries.push(e);
        }
    }
    Ok((entries, consumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_partial_lines_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log");
        let mut w = LogWriter::open(&p).unwrap();
        w.write(Stream::Stdout, b"one\ntwo\nthr");
        w.write(Stream::Stderr, b"oops\n");
        let (entries, pos) = read_from(&p, 0).unwrap();
        let texts: Vec<_> = entries
            .iter()
            .map(|e| (e.text.as_str(), e.partial, e.stream))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("one", false, Stream::Stdout),
                ("two", false, Stream::Stdout),
                ("thr", true, Stream::Stdout),
                ("oops", false, Stream::Stderr)
            ]
        );
        assert_eq!(read_from(&p, pos).unwrap().0.len(), 0);
    }

    #[test]
    fn sizes_as_podman_shows_them() {
        assert_eq!(size_string(0), "0B");
        assert_eq!(size_string(512), "512B");
        assert_eq!(size_string(1024), "1.024kB");
        assert_eq!(size_string(10 * 1024 * 1024), "10.49MB");
    }
}
