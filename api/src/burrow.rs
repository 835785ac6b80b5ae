//! Running the burrow CLI for a request: the child does the namespace and fork work this
//! multi-threaded process must not do. Its `Error: ...` line becomes docker's error shape.

use std::process::Stdio;

use bytes::Bytes;
use hyper::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::body::{ApiError, Result};
use crate::worker::{Launcher, Spawned, Stream};

pub struct Cli {
    program: String,
    globals: Vec<String>,
    launcher: Launcher,
}

impl Cli {
    pub fn new(program: String, globals: Vec<String>) -> Cli {
        Cli {
            launcher: Launcher::new(program.clone()),
            program,
            globals,
        }
    }

    /// Starts the first warm worker (the service's start).
    pub fn warm_up(&self) {
        self.launcher.refill();
    }

    /// `burrow <globals> <args>`, stdin from /dev/null, killed if the request goes away.
    /// For commands that need their own environment or `Command` settings; the others go
    /// through [`Cli::spawn`].
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.globals)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    /// `burrow <globals> <args>` with these streams, through a warm worker when one is ready;
    /// `ctty`: a new session whose controlling terminal is standard input.
    pub fn spawn<S: AsRef<std::ffi::OsStr>>(
        &self,
        args: &[S],
        streams: [Stream; 3],
        ctty: bool,
    ) -> std::io::Result<Spawned> {
        let all: Vec<&std::ffi::OsStr> = self
            .globals
            .iter()
            .map(std::ffi::OsStr::new)
            .chain(args.iter().map(AsRef::as_ref))
            .collect();
        self.launcher.spawn(&all, streams, ctty)
    }

    /// Runs burrow; its standard output on success.
    pub async fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<Vec<u8>> {
        self.run_input(args, None).await
    }

    pub async fn run_input<S: AsRef<std::ffi::OsStr>>(
        &self,
        args: &[S],
        input: Option<Bytes>,
    ) -> Result<Vec<u8>> {
        let t0 = std::time::Instant::now();
        let stdin = if input.is_some() {
            Stream::Piped
        } else {
            Stream::Null
        };
        let mut sp = self
            .spawn(args, [stdin, Stream::Piped, Stream::Piped], false)
            .map_err(|e| {
                let status = match e.kind() {
                    // A NUL in a name, a path or a JSON string: the client's input.
                    std::io::ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                ApiError::new(status, format!("run {}: {e}", self.program))
            })?;
        if let (Some(data), Some(mut w)) = (input, sp.stdin.take()) {
            tokio::spawn(async move {
                let _ = w.write_all(&data).await;
            });
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (so, se) = (sp.stdout.take(), sp.stderr.take());
        let read_out = async {
            if let Some(mut r) = so {
                let _ = r.read_to_end(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(mut r) = se {
                let _ = r.read_to_end(&mut err).await;
            }
        };
        let (_, _, status) = tokio::join!(read_out, read_err, sp.child.wait());
        let status =
            status.map_err(|e| ApiError::internal(format!("run {}: {e}", self.program)))?;
        if crate::router::tracing() {
            let words: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
            eprintln!(
                "{}    burrow {} ({:?}, {})",
                crate::router::stamp(),
                words.join(" "),
                t0.elapsed(),
                if sp.warm { "warm" } else { "exec" }
            );
        }
        if status.success() {
            Ok(out)
        } else {
            Err(failure(&err))
        }
    }

    /// Runs burrow and parses its standard output as JSON.
    pub async fn json<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<serde_json::Value> {
        let out = self.run(args).await?;
        serde_json::from_slice(&out)
            .map_err(|e| ApiError::internal(format!("burrow printed no JSON: {e}")))
    }
}

/// The message of burrow's `Error: ...` lines, with the HTTP status docker uses for it.
pub fn failure(stderr: &[u8]) -> ApiError {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Error: "))
        .collect();
    let message = if lines.is_empty() {
        text.trim().to_string()
    } else {
        lines.join("; ")
    };
    ApiError::new(status_for(&message), message)
}

pub fn status_for(message: &str) -> StatusCode {
    let m = message.to_ascii_lowercase();
    if m.contains("no such")
        || m.contains("not found")
        || m.contains("not known")
        || m.contains("does not exist")
    {
        StatusCode::NOT_FOUND
    } else if m.contains("already")
        || m.contains("in use")
        || m.contains("improper")
        || m.contains("is running")
        || m.contains("is paused")
        || m.contains("can only")
        || m.contains("cannot remove")
        || m.contains("is not running")
    {
        StatusCode::CONFLICT
    } else if m.contains("invalid") || m.contains("unknown") || m.contains("bad ") {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_docker_statuses() {
        let e = failure(b"Error: no such container: x\n");
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert_eq!(e.message, "no such container: x");
        let e = failure(b"Error: the name \"a\" is already in use by 1234\n");
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert_eq!(failure(b"boom").status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
