//! The project's logs as docker compose prints them: each line prefixed by its container's
//! name padded to the longest (`web-1  | line`), all containers' logs together, and with
//! `follow` as they come, until every container stopped or an interrupt (Ctrl-C) arrived.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::logs::{self, Stream};
use crate::{Container, Result, Runtime, Status};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on SIGINT and SIGTERM set a flag ([`interrupted`]) instead of ending the process:
/// foreground `up` stops its containers then.
pub fn catch_interrupt() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let action = SigAction::new(
        SigHandler::Handler(on_interrupt),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let _ = unsafe { sigaction(sig, &action) };
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// `logs` options that matter here.
#[derive(Clone, Debug, Default)]
pub struct FollowOptions {
    pub follow: bool,
    pub tail: Option<usize>,
    pub timestamps: bool,
    /// No `name | ` prefix (`--no-log-prefix`).
    pub no_prefix: bool,
}

fn tail(entries: &mut Vec<logs::Entry>, n: usize) {
    let whole = entries.iter().filter(|e| !e.partial).count();
    let mut skip = whole.saturating_sub(n);
    let mut cut = 0;
    for (i, e) in entries.iter().enumerate() {
        if skip == 0 {
            cut = i;
            break;
        }
        if !e.partial {
            skip -= 1;
        }
        cut = i + 1;
    }
    entries.drain(..cut);
}

/// Prints the containers' logs with prefixes; with `follow`, until all stopped or an
/// interrupt.
pub fn print(
    rt: &Runtime,
    containers: &[Container],
    o: &FollowOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let width = containers
        .iter()
        .map(|c| display_name(c).len())
        .max()
        .unwrap_or(0);
    let prefix = |c: &Container| {
        if o.no_prefix {
            String::new()
        } else {
            format!("{:<w$} | ", display_name(c), w = width + 1)
        }
    };
    let emit = |c: &Container,
                entries: &[logs::Entry],
                out: &mut dyn Write,
                err: &mut dyn Write,
                partial: &mut bool| {
        for e in entries {
            let w: &mut dyn Write = if e.stream == Stream::Stdout {
                &mut *out
            } else {
                &mut *err
            };
            if !*partial {
                let _ = w.write_all(prefix(c).as_bytes());
                if o.timestamps {
                    let _ = write!(w, "{} ", e.time.format("%Y-%m-%dT%H:%M:%S%.9fZ"));
                }
            }
            let _ = w.write_all(e.text.as_bytes());
            *partial = e.partial;
            if !e.partial {
                let _ = w.write_all(b"\n");
            }
        }
        let _ = out.flush();
        let _ = err.flush();
    };
    let mut positions = Vec::with_capacity(containers.len());
    let mut partial = vec![false; containers.len()];
    for (i, c) in containers.iter().enumerate() {
        let (mut entries, pos) = logs::read_from(&c.config.log_path, 0)?;
        if let Some(n) = o.tail {
            tail(&mut entries, n);
        }
        emit(c, &entries, out, err, &mut partial[i]);
        positions.push(pos);
    }
    if !o.follow {
        return Ok(());
    }
    loop {
        let mut any_running = false;
        let mut any_more = false;
        for (i, c) in containers.iter().enumerate() {
            any_running |= rt
                .lookup(&c.id)
                .map(|c| matches!(c.status(), Status::Running | Status::Paused))
                .unwrap_or(false);
            let (more, next) = logs::read_from(&c.config.log_path, positions[i])?;
            positions[i] = next;
            any_more |= !more.is_empty();
            emit(c, &more, out, err, &mut partial[i]);
        }
        if interrupted() || (!any_running && !any_more) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What compose prints for a container: its name without the project prefix
/// (`web-1` for `p-web-1`).
fn display_name(c: &Container) -> String {
    match c.config.labels.get(super::labels::PROJECT) {
        Some(p) => c
            .name
            .strip_prefix(&format!("{p}-"))
            .unwrap_or(&c.name)
            .to_string(),
        None => c.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(t: &str, partial: bool) -> logs::Entry {
        logs::Entry {
            time: chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap(),
            stream: Stream::Stdout,
            text: t.into(),
            partial,
        }
    }

    #[test]
    fn tail_keeps_whole_lines() {
        let mut v = vec![e("a", false), e("b", true), e("c", false), e("d", false)];
        tail(&mut v, 2);
        assert_eq!(v.iter().map(|e| e.text.as_str()).collect::<String>(), "bcd");
    }
}
