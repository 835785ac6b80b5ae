//! `auto-update`: containers labelled `io.containers.autoupdate=registry|local` that run
//! under a systemd unit get their image's newer version (pulled from the registry, or the one
//! now tagged locally) by a restart of their unit, which recreates them (`run --replace`); a
//! unit that then fails to start, or a container that comes up unhealthy, gets the previous
//! image back (`--rollback`). podman 5's behaviour.
//!
//! This module decides and acts; it never prints (the CLI prints the reports) and never
//! creates containers itself: the unit does, so what runs stays what the unit says.

mod policy;
mod unit;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use storage::registry::{PullOptions, Reporter};

use crate::container::Container;
use crate::error::Result;
use crate::registry::RegistryFlags;
use crate::{LibpodError, Runtime, Status};

pub use policy::{Health, LABEL, Policy, UNIT_ENV};
pub use unit::{Systemctl, UnitManager};

use policy::Next;

/// How long a restarted container may stay `starting` before its health counts as failed.
const HEALTH_WAIT: Duration = Duration::from_secs(60);

#[derive(thiserror::Error, Debug)]
pub enum AutoUpdateError {
    #[error(
        "auto-updating container {container:?}: invalid auto-update policy {value:?} in label {LABEL}: valid policies are \"registry\" (or \"image\"), \"local\" and \"disabled\""
    )]
    InvalidPolicy { container: String, value: String },
    #[error(
        "auto-updating container {container:?}: no PODMAN_SYSTEMD_UNIT environment variable: it must run under a systemd unit that sets it (generated units and quadlet do)"
    )]
    NoUnit { container: String },
    #[error("auto-updating container {container:?}: image {image:?} cannot be checked: {reason}")]
    NotQualified {
        container: String,
        image: String,
        reason: String,
    },
    #[error("auto-updating container {container:?}: checking image {image:?}: {source}")]
    Check {
        container: String,
        image: String,
        source: Box<LibpodError>,
    },
    #[error("restarting unit {unit:?}: {reason}")]
    Restart { unit: String, reason: String },
    #[error("restarting unit {unit:?} failed ({reason}) and rolling back failed too: {rollback}")]
    Rollback {
        unit: String,
        reason: String,
        rollback: String,
    },
}

/// What `auto-update` is told.
#[derive(Clone, Debug)]
pub struct AutoUpdateOptions {
    /// Report what would be updated; change nothing.
    pub dry_run: bool,
    /// Put the previous image back when the restarted unit fails.
    pub rollback: bool,
    /// `--authfile`, `--tls-verify` for the registry checks and pulls.
    pub registry: RegistryFlags,
}

/// The result for one container, as podman reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Updated {
    #[serde(rename = "true")]
    True,
    #[serde(rename = "false")]
    False,
    #[serde(rename = "pending")]
    Pending,
    #[serde(rename = "rolled back")]
    RolledBack,
    #[serde(rename = "failed")]
    Failed,
}

impl Updated {
    pub fn as_str(self) -> &'static str {
        match self {
            Updated::True => "true",
            Updated::False => "false",
            Updated::Pending => "pending",
            Updated::RolledBack => "rolled back",
            Updated::Failed => "failed",
        }
    }
}

/// One row of `auto-update`'s output; the field names are podman's `--format` fields.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoUpdateReport {
    pub unit: String,
    /// `SHORT-ID (NAME)`.
    pub container: String,
    pub container_name: String,
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    pub image: String,
    pub policy: String,
    pub updated: Updated,
}

/// Every container's report, and the errors met on the way (the others were still handled).
#[derive(Debug, Default)]
pub struct AutoUpdateOutcome {
    pub reports: Vec<AutoUpdateReport>,
    pub errors: Vec<AutoUpdateError>,
}

/// The image reference the container was created from; the stored full name for rows
/// older than that field.
fn raw_image_name(c: &Container) -> &str {
    if c.config.raw_image_name.is_empty() {
        &c.config.image_name
    } else {
        &c.config.raw_image_name
    }
}

/// One container to check.
struct Task {
    container: Container,
    policy: Policy,
    unit: String,
}

impl Task {
    fn report(&self, updated: Updated) -> AutoUpdateReport {
        let c = &self.container;
        AutoUpdateReport {
            unit: self.unit.clone(),
            container: format!("{} ({})", &c.id[..c.id.len().min(12)], c.name),
            container_name: c.name.clone(),
            container_id: c.id.clone(),
            image: raw_image_name(c).to_string(),
            policy: self.policy.as_str().to_string(),
            updated,
        }
    }

    fn check_error(&self, e: LibpodError) -> AutoUpdateError {
        AutoUpdateError::Check {
            container: self.container.name.clone(),
            image: raw_image_name(&self.container).to_string(),
            source: Box::new(e),
        }
    }
}

/// What the check of one container found.
enum Found {
    Current,
    /// A newer image is there (pulled already unless this is a dry run).
    Newer,
}

impl Runtime {
    /// `auto-update`: checks every running auto-updated container and restarts the units of
    /// those with a newer image, through the user's systemd manager (the system's as root).
    pub fn auto_update(
        &self,
        opts: &AutoUpdateOptions,
        report: &dyn Reporter,
    ) -> Result<AutoUpdateOutcome> {
        let units = Systemctl {
            user: self.rootless(),
        };
        self.auto_update_with(opts, report, &units)
    }

    /// [`Runtime::auto_update`] with the units restarted by `units`.
    pub fn auto_update_with(
        &self,
        opts: &AutoUpdateOptions,
        report: &dyn Reporter,
        units: &dyn UnitManager,
    ) -> Result<AutoUpdateOutcome> {
        let mut out = AutoUpdateOutcome::default();
        let mut by_unit: BTreeMap<String, Vec<Task>> = BTreeMap::new();
        for task in self.auto_update_tasks(&mut out.errors)? {
            by_unit.entry(task.unit.clone()).or_default().push(task);
        }
        for (unit, mut tasks) in by_unit {
            tasks.sort_by(|a, b| a.container.name.cmp(&b.container.name));
            self.update_unit(&unit, &tasks, opts, report, units, &mut out);
        }
        Ok(out)
    }

    /// The running containers that ask for auto-updates, each checked for what the update
    /// needs; the ones that cannot be updated become errors.
    fn auto_update_tasks(&self, errors: &mut Vec<AutoUpdateError>) -> Result<Vec<Task>> {
        let mut tasks = Vec::new();
        for c in self.list()? {
            // podman updates running containers only: a stopped one's unit is not running.
            if c.status() != Status::Running || c.config.infra {
                continue;
            }
            let label = c.config.labels.get(LABEL).map(String::as_str);
            let policy = match Policy::from_label(&c.name, label) {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let Some(unit) = policy::unit_from_env(&c.config.env) else {
                errors.push(AutoUpdateError::NoUnit {
                    container: c.name.clone(),
                });
                continue;
            };
            if policy == Policy::Registry
                && let Err(e) = policy::require_checkable(&c.name, raw_image_name(&c))
            {
                errors.push(e);
                continue;
            }
            tasks.push(Task {
                container: c,
                policy,
                unit,
            });
        }
        Ok(tasks)
    }

    /// Checks (and, unless a dry run, pulls for) one container.
    fn auto_update_check(
        &self,
        task: &Task,
        opts: &AutoUpdateOptions,
        report: &dyn Reporter,
    ) -> Result<Found> {
        let c = &task.container;
        let name = raw_image_name(c);
        match task.policy {
            Policy::Local => {
                let tagged = self.store().lookup(name)?;
                Ok(if policy::local_differs(&c.config.image_id, &tagged.id) {
                    Found::Newer
                } else {
                    Found::Current
                })
            }
            Policy::Registry => {
                let current = self.store().lookup(&c.config.image_id)?;
                let pull = PullOptions {
                    registry: crate::registry::options(&opts.registry, self.rootless())?,
                    platform: Default::default(),
                    tty: false,
                };
                let remote = storage::registry::pull::remote_digest(name, &pull)?;
                if !policy::registry_differs(&current.digest, &remote) {
                    return Ok(Found::Current);
                }
                if opts.dry_run {
                    return Ok(Found::Newer);
                }
                let pulled = self.pull(name, &opts.registry, None, false, report)?;
                Ok(if pulled.id == current.id {
                    Found::Current
                } else {
                    Found::Newer
                })
            }
        }
    }

    /// Checks every container of `unit`, restarts it when one has a newer image, and rolls
    /// back when it does not come up.
    fn update_unit(
        &self,
        unit: &str,
        tasks: &[Task],
        opts: &AutoUpdateOptions,
        report: &dyn Reporter,
        units: &dyn UnitManager,
        out: &mut AutoUpdateOutcome,
    ) {
        let mut newer: Vec<&Task> = Vec::new();
        let mut rows: Vec<(&Task, Updated)> = Vec::new();
        for task in tasks {
            match self.auto_update_check(task, opts, report) {
                Ok(Found::Current) => rows.push((task, Updated::False)),
                Ok(Found::Newer) if opts.dry_run => rows.push((task, Updated::Pending)),
                Ok(Found::Newer) => newer.push(task),
                Err(e) => {
                    out.errors.push(task.check_error(e));
                    rows.push((task, Updated::Failed));
                }
            }
        }
        if !newer.is_empty() {
            let verdict = self.restart_and_judge(unit, &newer, units);
            let updated = match policy::after_restart(verdict, opts.rollback) {
                Next::Done => Updated::True,
                Next::Fail(reason) => {
                    out.errors.push(AutoUpdateError::Restart {
                        unit: unit.to_string(),
                        reason,
                    });
                    Updated::Failed
                }
                Next::RollBack(reason) => match self.roll_back(unit, &newer, units) {
                    Ok(()) => Updated::RolledBack,
                    Err(rollback) => {
                        out.errors.push(AutoUpdateError::Rollback {
                            unit: unit.to_string(),
                            reason,
                            rollback,
                        });
                        Updated::Failed
                    }
                },
            };
            rows.extend(newer.iter().map(|t| (*t, updated)));
        }
        rows.sort_by(|a, b| a.0.container.name.cmp(&b.0.container.name));
        out.reports
            .extend(rows.into_iter().map(|(t, u)| t.report(u)));
    }

    /// Restarts `unit` and waits for the health of its updated containers (those with a
    /// healthcheck), found again by name: the unit recreated them under new ids.
    fn restart_and_judge(
        &self,
        unit: &str,
        newer: &[&Task],
        units: &dyn UnitManager,
    ) -> policy::Started {
        let restart = units.restart(unit);
        let mut health = Vec::new();
        if restart.is_ok() {
            for t in newer {
                health.push((
                    t.container.name.clone(),
                    self.settled_health(&t.container.name),
                ));
            }
        }
        policy::Started::judge(restart, &health)
    }

    /// The container's health once it has left `starting` (or [`HEALTH_WAIT`] passed);
    /// [`Health::None`] without a healthcheck or when the container is gone.
    fn settled_health(&self, name: &str) -> Health {
        let deadline = Instant::now() + HEALTH_WAIT;
        loop {
            let health = self
                .lookup(name)
                .and_then(|c| self.inspect(&c))
                .map_or(Health::None, |v| Health::of_inspect(&v));
            if health != Health::Starting || Instant::now() >= deadline {
                return health;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Gives each updated container's image name back to the image it ran, and restarts the
    /// unit on it.
    fn roll_back(
        &self,
        unit: &str,
        newer: &[&Task],
        units: &dyn UnitManager,
    ) -> std::result::Result<(), String> {
        for t in newer {
            let (id, name) = (&t.container.config.image_id, raw_image_name(&t.container));
            self.tag(id, &[name.to_string()])
                .map_err(|e| format!("tagging {id} as {name}: {e}"))?;
        }
        units.restart(unit)
    }
}
