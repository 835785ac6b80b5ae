//! burrow's own log lines on stderr, filtered by the global `--log-level` as podman's are:
//! `panic`, `fatal`, `error`, `warn` (the default), `info`, `debug`, `trace`. A line is
//! logrus's terminal form, as podman prints it: `WARN[0000] message`, the number being whole
//! seconds since the command started. Below the chosen level a call costs one atomic load.
//!
//! Written by hand rather than with `log` + a logger crate: the whole job is a level check and
//! one formatted line, and the start-up path of every command goes through here.

use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

/// The levels, most severe first (logrus's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Panic = 0,
    Fatal = 1,
    Error = 2,
    Warn = 3,
    Info = 4,
    Debug = 5,
    Trace = 6,
}

impl Level {
    /// logrus's four-letter tag.
    fn tag(self) -> &'static str {
        match self {
            Level::Panic => "PANI",
            Level::Fatal => "FATA",
            Level::Error => "ERRO",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBU",
            Level::Trace => "TRAC",
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);
static START: OnceLock<Instant> = OnceLock::new();

/// `--log-level NAME` (logrus's names; `warning` as `warn`). An unknown name is podman's error.
pub fn set_level(name: &str) -> Result<(), String> {
    let level = match name.to_ascii_lowercase().as_str() {
        "panic" => Level::Panic,
        "fatal" => Level::Fatal,
        "error" => Level::Error,
        "warn" | "warning" => Level::Warn,
        "info" => Level::Info,
        "debug" => Level::Debug,
        "trace" => Level::Trace,
        _ => {
            return Err(format!(
                "log-level \"{name}\" is invalid: use one of trace, debug, info, warn, error, fatal, panic"
            ));
        }
    };
    START.get_or_init(Instant::now);
    LEVEL.store(level as u8, Ordering::Relaxed);
    Ok(())
}

/// Whether lines of `level` are printed.
pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Prints one line at `level` if that level is on.
pub fn line(level: Level, msg: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let secs = START.get().map_or(0, |s| s.elapsed().as_secs());
    // One write per line, so lines of concurrent processes do not interleave mid-line.
    let text = format!("{}[{secs:04}] {msg}\n", level.tag());
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `warn!("...")`: a warning, shown unless `--log-level` is error or less.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::line($crate::log::Level::Warn, format_args!($($arg)*)) };
}

/// `info!("...")`: shown with `--log-level info` or more.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::line($crate::log::Level::Info, format_args!($($arg)*)) };
}

/// `debug!("...")`: shown with `--log-level debug` or more.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::line($crate::log::Level::Debug, format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_filter_and_names_parse() {
        assert!(enabled(Level::Warn) && !enabled(Level::Info));
        set_level("debug").unwrap();
        assert!(enabled(Level::Debug) && !enabled(Level::Trace));
        set_level("WARNING").unwrap();
        assert!(enabled(Level::Warn) && !enabled(Level::Info));
        assert!(set_level("loud").is_err());
        set_level("warn").unwrap();
    }
}
