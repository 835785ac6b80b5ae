//! Container healthchecks as podman 5 has them: the stored check ([`HealthConfig`]), the
//! recorded results and the status they add up to ([`state`]), one run of the check
//! (`Runtime::healthcheck_run` in runtime/health.rs, `burrow healthcheck run`), and who runs it: a transient systemd timer when the
//! user's systemd manager answers ([`timer`]), else the container's own supervisor, whose
//! poll loop sleeps until the next check is due ([`schedule`]).
//!
//! A container without a healthcheck must never pay for this module: nothing here runs
//! unless its config has a [`HealthConfig`].

pub mod duration;
pub mod schedule;
pub mod state;
pub mod timer;

use serde::{Deserialize, Serialize};

pub use state::{HealthState, HealthStatus};

/// podman's defaults.
pub const DEFAULT_INTERVAL: u64 = 30_000_000_000;
pub const DEFAULT_TIMEOUT: u64 = 30_000_000_000;
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_MAX_LOG_COUNT: u32 = 5;
pub const DEFAULT_MAX_LOG_SIZE: u32 = 500;

/// The check of one container, as stored with its config (durations in nanoseconds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthConfig {
    /// Docker's form: `["CMD", arg...]` or `["CMD-SHELL", "command line"]`.
    pub test: Vec<String>,
    /// 0: no automatic checks (`--health-interval disable`), only `healthcheck run`.
    pub interval: u64,
    pub timeout: u64,
    pub start_period: u64,
    pub retries: u32,
    pub on_failure: OnFailure,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup: Option<StartupCheck>,
    pub log_destination: LogDestination,
    /// 0: unlimited.
    pub max_log_count: u32,
    /// Characters of output kept per result; 0: unlimited.
    pub max_log_size: u32,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            test: Vec::new(),
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            start_period: 0,
            retries: DEFAULT_RETRIES,
            on_failure: OnFailure::None,
            startup: None,
            log_destination: LogDestination::Local,
            max_log_count: DEFAULT_MAX_LOG_COUNT,
            max_log_size: DEFAULT_MAX_LOG_SIZE,
        }
    }
}

/// `--health-startup-*`: a check that runs first, until it passes, before the regular one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StartupCheck {
    pub test: Vec<String>,
    pub interval: u64,
    pub timeout: u64,
    /// Failures before the container is restarted; 0: unlimited.
    pub retries: u32,
    /// Consecutive successes needed; 0 counts as 1.
    pub success: u32,
}

impl Default for StartupCheck {
    fn default() -> Self {
        StartupCheck {
            test: Vec::new(),
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            retries: 0,
            success: 0,
        }
    }
}

/// What `healthcheck run` refuses.
#[derive(thiserror::Error, Debug)]
pub enum HealthError {
    #[error("container {0} has no defined healthcheck")]
    NoHealthcheck(String),
    #[error("container {0} is not running")]
    NotRunning(String),
}

/// `--health-on-failure`: what happens when the container turns unhealthy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    #[default]
    None,
    Kill,
    Restart,
    Stop,
}

impl OnFailure {
    pub fn parse(s: &str) -> Option<OnFailure> {
        Some(match s {
            "none" => OnFailure::None,
            "kill" => OnFailure::Kill,
            "restart" => OnFailure::Restart,
            "stop" => OnFailure::Stop,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OnFailure::None => "none",
            OnFailure::Kill => "kill",
            OnFailure::Restart => "restart",
            OnFailure::Stop => "stop",
        }
    }
}

/// `--health-log-destination`: where the results are kept besides the status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogDestination {
    /// In the container's run directory (`healthcheck.log`), shown by `inspect`.
    #[default]
    Local,
    /// Also in `DIR/<id>-healthcheck.log`.
    Directory(std::path::PathBuf),
    /// In the events log, with each `health_status` event.
    EventsLogger,
}

impl LogDestination {
    /// podman's spelling: `local`, `events_logger`, or a directory path.
    pub fn as_string(&self) -> String {
        match self {
            LogDestination::Local => "local".into(),
            LogDestination::EventsLogger => "events_logger".into(),
            LogDestination::Directory(d) => d.display().to_string(),
        }
    }
}

/// The argv a check runs: `CMD` runs its arguments, `CMD-SHELL` its line through `/bin/sh -c`.
/// `None` for an empty or `NONE` test.
pub fn test_argv(test: &[String]) -> Option<Vec<String>> {
    match test.split_first() {
        Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
        Some((kind, rest)) if kind == "CMD-SHELL" && !rest.is_empty() => {
            Some(vec!["/bin/sh".into(), "-c".into(), rest.join(" ")])
        }
        _ => None,
    }
}

/// `--health-cmd` as podman reads it: `none` disables, a JSON array is the exec form
/// (`["CMD", ...]` or `["CMD-SHELL", ...]` as given, other arrays get `CMD` in front),
/// anything else is a shell command line.
pub fn parse_test(s: &str) -> Result<Vec<String>, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(vec!["NONE".into()]);
    }
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.starts_with('[') {
        let v: Vec<String> =
            serde_json::from_str(t).map_err(|e| format!("not a JSON array of strings: {e}"))?;
        return match v.first().map(String::as_str) {
            None => Err("must not be empty".into()),
            Some("NONE") => Ok(vec!["NONE".into()]),
            Some("CMD" | "CMD-SHELL") if v.len() > 1 => Ok(v),
            Some("CMD" | "CMD-SHELL") => Err("names no command".into()),
            Some(_) => Ok(std::iter::once("CMD".to_string()).chain(v).collect()),
        };
    }
    Ok(vec!["CMD-SHELL".into(), t.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_forms_as_podman() {
        assert_eq!(
            parse_test("test -e /x").unwrap(),
            ["CMD-SHELL", "test -e /x"]
        );
        assert_eq!(parse_test("none").unwrap(), ["NONE"]);
        assert_eq!(parse_test(r#"["ls","/"]"#).unwrap(), ["CMD", "ls", "/"]);
        assert_eq!(
            parse_test(r#"["CMD-SHELL","true"]"#).unwrap(),
            ["CMD-SHELL", "true"]
        );
        assert!(parse_test("").is_err());
        assert!(parse_test("[1]").is_err());
        assert!(parse_test(r#"["CMD"]"#).is_err());
        let argv = |v: &[&str]| test_argv(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(argv(&["CMD", "ls"]), Some(vec!["ls".to_string()]));
        assert_eq!(
            argv(&["CMD-SHELL", "a && b"]),
            Some(vec!["/bin/sh".into(), "-c".into(), "a && b".into()])
        );
        assert_eq!(argv(&["NONE"]), None);
    }
}
