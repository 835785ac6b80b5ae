//! The results of a container's checks and the status they add up to, kept as podman keeps
//! them: a JSON file (`healthcheck.log` in the container's run directory) with `Status`,
//! `FailingStreak` and the last results in `Log`. The rules: `starting` until the first
//! success; a failure inside the start period does not count; `retries` consecutive failures
//! make it `unhealthy`; a success makes it `healthy` again.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::HealthConfig;

/// Where a container's health is kept: `healthcheck.log` in its run directory, as podman.
pub fn state_path(paths: &crate::paths::Paths, id: &str) -> std::path::PathBuf {
    paths.userdata_dir(id).join("healthcheck.log")
}

/// podman's health status words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    #[default]
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// One check's result, as `inspect` shows it in `State.Health.Log`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthLogEntry {
    pub start: String,
    pub end: String,
    pub exit_code: i32,
    pub output: String,
}

/// The file's contents. The `Startup*` fields are burrow's own bookkeeping of
/// `--health-startup-cmd`; `inspect` shows the podman fields only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HealthState {
    pub status: HealthStatus,
    pub failing_streak: u32,
    pub log: Vec<HealthLogEntry>,
    pub startup_passed: bool,
    pub startup_successes: u32,
    pub startup_failures: u32,
}

/// What one recorded result changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The status went from something else to unhealthy: `--health-on-failure` applies.
    pub turned_unhealthy: bool,
    /// The startup check failed its `--health-startup-retries`: the container restarts.
    pub startup_exhausted: bool,
}

impl HealthState {
    /// A container that just started.
    pub fn fresh(cfg: &HealthConfig) -> HealthState {
        HealthState {
            startup_passed: cfg.startup.is_none(),
            ..HealthState::default()
        }
    }

    /// Whether the next check is the startup one.
    pub fn in_startup(&self, cfg: &HealthConfig) -> bool {
        cfg.startup.is_some() && !self.startup_passed
    }

    /// Records a result of the regular check. `in_start_period`: the container started less
    /// than `start_period` ago.
    pub fn record(
        &mut self,
        cfg: &HealthConfig,
        entry: HealthLogEntry,
        in_start_period: bool,
    ) -> Outcome {
        let before = self.status;
        if entry.exit_code == 0 {
            self.status = HealthStatus::Healthy;
            self.failing_streak = 0;
        } else if !in_start_period {
            self.failing_streak += 1;
            if self.failing_streak >= cfg.retries.max(1) {
                self.status = HealthStatus::Unhealthy;
            }
        }
        self.push_log(cfg, entry);
        Outcome {
            turned_unhealthy: before != HealthStatus::Unhealthy
                && self.status == HealthStatus::Unhealthy,
            startup_exhausted: false,
        }
    }

    /// Records a result of the startup check; the status stays `starting` meanwhile.
    pub fn record_startup(&mut self, cfg: &HealthConfig, entry: HealthLogEntry) -> Outcome {
        let Some(s) = &cfg.startup else {
            return Outcome::default();
        };
        let mut out = Outcome::default();
        if entry.exit_code == 0 {
            self.startup_successes += 1;
            self.startup_failures = 0;
            if self.startup_successes >= s.success.max(1) {
                self.startup_passed = true;
            }
        } else {
            self.startup_successes = 0;
            self.startup_failures += 1;
            out.startup_exhausted = s.retries > 0 && self.startup_failures >= s.retries;
        }
        self.push_log(cfg, entry);
        out
    }

    fn push_log(&mut self, cfg: &HealthConfig, mut entry: HealthLogEntry) {
        if cfg.max_log_size > 0 && entry.output.chars().count() > cfg.max_log_size as usize {
            entry.output = entry
                .output
                .chars()
                .take(cfg.max_log_size as usize)
                .collect();
        }
        self.log.push(entry);
        if cfg.max_log_count > 0 && self.log.len() > cfg.max_log_count as usize {
            let extra = self.log.len() - cfg.max_log_count as usize;
            self.log.drain(..extra);
        }
    }

    /// The file, or `None` when there is none (no healthcheck, or never started).
    pub fn load(path: &Path) -> Option<HealthState> {
        let bytes = std::fs::read(path).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Replaces the file whole (written aside, then renamed), so a reader never sees half.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    }

    /// podman's `State.Health`.
    pub fn inspect_json(&self) -> serde_json::Value {
        serde_json::json!({
            "Status": self.status.as_str(),
            "FailingStreak": self.failing_streak,
            "Log": self.log,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: i32) -> HealthLogEntry {
        HealthLogEntry {
            exit_code: code,
            output: "x".repeat(10),
            ..Default::default()
        }
    }

    #[test]
    fn starting_until_a_success_unhealthy_after_retries() {
        let cfg = HealthConfig {
            retries: 2,
            max_log_count: 3,
            max_log_size: 4,
            ..Default::default()
        };
        let mut s = HealthState::fresh(&cfg);
        // Inside the start period failures do not count.
        assert_eq!(s.record(&cfg, entry(1), true), Outcome::default());
        assert_eq!((s.status, s.failing_streak), (HealthStatus::Starting, 0));
        s.record(&cfg, entry(1), false);
        assert_eq!((s.status, s.failing_streak), (HealthStatus::Starting, 1));
        assert!(s.record(&cfg, entry(1), false).turned_unhealthy);
        assert_eq!(s.status, HealthStatus::Unhealthy);
        // Still unhealthy: the action is not repeated.
        assert!(!s.record(&cfg, entry(1), false).turned_unhealthy);
        s.record(&cfg, entry(0), false);
        assert_eq!((s.status, s.failing_streak), (HealthStatus::Healthy, 0));
        s.record(&cfg, entry(1), false);
        assert_eq!(s.status, HealthStatus::Healthy);
        assert_eq!(s.log.len(), 3);
        assert_eq!(s.log[0].output, "xxxx");
    }

    #[test]
    fn startup_check_runs_until_it_passes() {
        let cfg = HealthConfig {
            startup: Some(super::super::StartupCheck {
                test: vec!["CMD".into(), "true".into()],
                retries: 2,
                success: 2,
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut s = HealthState::fresh(&cfg);
        assert!(s.in_startup(&cfg));
        s.record_startup(&cfg, entry(0));
        assert!(s.in_startup(&cfg));
        s.record_startup(&cfg, entry(1));
        assert!(s.record_startup(&cfg, entry(1)).startup_exhausted);
        s.record_startup(&cfg, entry(0));
        s.record_startup(&cfg, entry(0));
        assert!(!s.in_startup(&cfg));
        assert_eq!(s.status, HealthStatus::Starting);
    }
}
