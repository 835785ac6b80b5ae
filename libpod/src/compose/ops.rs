//! A project's containers as the state has them (found by their `com.docker.compose.*`
//! labels), and the per-container operations every command shares: stop several at once,
//! remove, start. Progress goes to a [`Report`] so the CLI prints it as docker compose does.

use std::time::{Duration, Instant};

use super::labels;
use crate::state::ContainerSummary;
use crate::{Result, Runtime, Status};

/// One line of progress: `(kind, name, state)`, e.g. `("Container", "p-web-1", "Started")`.
pub type Report<'a> = &'a mut dyn FnMut(&str, &str, &str);

/// A container of the project.
#[derive(Clone, Debug)]
pub struct ProjectContainer {
    pub summary: ContainerSummary,
    pub service: String,
    pub number: u32,
    pub oneoff: bool,
}

impl ProjectContainer {
    pub fn name(&self) -> &str {
        &self.summary.name
    }
    pub fn running(&self) -> bool {
        matches!(self.summary.status(), Status::Running | Status::Paused)
    }
    pub fn label(&self, key: &str) -> &str {
        self.summary.labels.get(key).map_or("", String::as_str)
    }
}

/// The project's containers (all states), ordered by service then number.
pub fn containers(rt: &Runtime, project: &str) -> Result<Vec<ProjectContainer>> {
    let mut out: Vec<ProjectContainer> = rt
        .list_summaries(false)?
        .into_iter()
        .filter(|c| c.labels.get(labels::PROJECT).map(String::as_str) == Some(project))
        .map(|c| ProjectContainer {
            service: c.labels.get(labels::SERVICE).cloned().unwrap_or_default(),
            number: c
                .labels
                .get(labels::NUMBER)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            oneoff: c.labels.get(labels::ONEOFF).is_some_and(|v| v == "True"),
            summary: c,
        })
        .collect();
    out.sort_by(|a, b| {
        (a.service.as_str(), a.oneoff, a.number, a.name()).cmp(&(
            b.service.as_str(),
            b.oneoff,
            b.number,
            b.name(),
        ))
    });
    Ok(out)
}

/// Stops the containers together: each gets its own grace period counted from the same
/// start, so N containers that ignore SIGTERM cost one period, not N (compose stops them in
/// parallel).
pub fn stop_all(
    rt: &Runtime,
    list: &[&ProjectContainer],
    timeout: Option<u32>,
    report: Report,
) -> Vec<crate::LibpodError> {
    let start = Instant::now();
    let mut errors = Vec::new();
    let running: Vec<&&ProjectContainer> = list.iter().filter(|c| c.running()).collect();
    for c in &running {
        report("Container", c.name(), "Stopping");
    }
    for c in &running {
        let grace = match timeout {
            Some(t) => t,
            None => match rt.lookup(&c.summary.id) {
                Ok(full) => full.config.stop_timeout,
                Err(_) => 10,
            },
        };
        let left = Duration::from_secs(grace.into()).saturating_sub(start.elapsed());
        match rt.stop(&c.summary.id, Some(left.as_secs() as u32)) {
            Ok(_) => report("Container", c.name(), "Stopped"),
            Err(e) => errors.push(e),
        }
    }
    errors
}

/// Stops (as [`stop_all`]) and removes the containers; `volumes` removes their anonymous
/// volumes too.
pub fn remove_all(
    rt: &Runtime,
    list: &[&ProjectContainer],
    timeout: Option<u32>,
    volumes: bool,
    report: Report,
) -> Vec<crate::LibpodError> {
    let mut errors = stop_all(rt, list, timeout, report);
    for c in list {
        report("Container", c.name(), "Removing");
        match rt.remove(&c.summary.id, true, volumes) {
            Ok(_) => report("Container", c.name(), "Removed"),
            Err(e) => errors.push(e),
        }
    }
    errors
}
