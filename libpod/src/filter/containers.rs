//! `ps --filter`: every filter must pass (podman ANDs them). `pod=`, `before=` and `since=`
//! name another object, looked up once when the filters are parsed.

use super::{FilterError, NamePattern, labels_pass, split, until_nanos};
use crate::container::Status;
use crate::error::Result;
use crate::runtime::Runtime;
use crate::state::ContainerSummary;

#[derive(Clone, Debug)]
enum Check {
    Name(NamePattern),
    Id(String),
    Status(Status),
    Label {
        spec: String,
        negate: bool,
    },
    Exited(i32),
    Ancestor(String),
    /// The pod's full id.
    Pod(String),
    /// Created before this time (nanoseconds): `before=CTR`, `until=TIME`.
    Before(i64),
    /// Created after that container: `since=CTR`.
    Since(i64),
    /// `health=starting|healthy|unhealthy|none`: the recorded health (none: no healthcheck).
    Health(String, crate::paths::Paths),
}

/// Parsed `ps --filter` values.
#[derive(Clone, Debug, Default)]
pub struct ContainerFilters(Vec<Check>);

impl ContainerFilters {
    /// Parses `KEY=VALUE` filters, looking up the pods and containers they name.
    pub fn parse(rt: &Runtime, filters: &[String]) -> std::result::Result<Self, FilterError> {
        let mut checks = Vec::new();
        for f in filters {
            let (k, v) = split(f)?;
            checks.push(match k {
                "name" => Check::Name(NamePattern::new(v)),
                "id" => Check::Id(v.to_string()),
                "status" => Check::Status(Status::parse(v).ok_or_else(|| {
                    FilterError::Invalid(format!(
                        "invalid status filter \"{v}\": use created, running, paused, stopping or exited"
                    ))
                })?),
                "label" | "label!" => Check::Label {
                    spec: v.to_string(),
                    negate: k == "label!",
                },
                "exited" => Check::Exited(v.parse().map_err(|_| {
                    FilterError::Invalid(format!("invalid exited filter \"{v}\": use a number"))
                })?),
                "ancestor" => Check::Ancestor(v.to_string()),
                "pod" => Check::Pod(rt.pod(v)?.id),
                "before" => Check::Before(rt.lookup(v)?.created),
                "since" => Check::Since(rt.lookup(v)?.created),
                "until" => Check::Before(until_nanos(f, v)?),
                "health" => match v {
                    "starting" | "healthy" | "unhealthy" | "none" => {
                        Check::Health(v.to_string(), rt.paths.clone())
                    }
                    _ => {
                        return Err(FilterError::Invalid(format!(
                            "invalid health filter \"{v}\": use starting, healthy, unhealthy or none"
                        )));
                    }
                },
                _ => {
                    return Err(FilterError::Invalid(format!(
                        "invalid filter \"{k}\": use name, id, status, label, exited, ancestor, pod, before, since, until or health"
                    )));
                }
            });
        }
        Ok(ContainerFilters(checks))
    }

    /// True when no filter was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `c` passes every filter.
    pub fn matches(&self, c: &ContainerSummary) -> bool {
        self.0.iter().all(|check| match check {
            Check::Name(p) => p.matches(&c.name),
            Check::Id(prefix) => c.id.starts_with(prefix.as_str()),
            Check::Status(s) => c.status().as_str() == s.as_str(),
            Check::Label { spec, negate } => labels_pass(&c.labels, spec, *negate),
            Check::Exited(code) => c.status() == Status::Exited && c.state.exit_code == *code,
            Check::Ancestor(v) => c.image_name.contains(v.as_str()) || c.image_id.starts_with(v),
            Check::Pod(id) => &c.pod == id,
            Check::Before(t) => c.created < *t,
            Check::Since(t) => c.created > *t,
            Check::Health(want, paths) => {
                let path = crate::health::state::state_path(paths, &c.id);
                let have =
                    crate::health::HealthState::load(&path).map_or("none", |h| h.status.as_str());
                have == want
            }
        })
    }
}

impl Runtime {
    /// `ps`: the containers (newest first) that pass `filters`; only the running ones when
    /// `running_only`.
    pub fn ps(&self, filters: &[String], running_only: bool) -> Result<Vec<ContainerSummary>> {
        // Parsed first: a bad filter fails before the state is read.
        let filters = ContainerFilters::parse(self, filters)?;
        let mut list = self.list_summaries(running_only)?;
        if running_only {
            list.retain(|c| c.status() == Status::Running);
        }
        if !filters.is_empty() {
            list.retain(|c| filters.matches(c));
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn summary(name: &str, created: i64, labels: &[(&str, &str)]) -> ContainerSummary {
        ContainerSummary {
            id: format!("{name:0<64}"),
            name: name.to_string(),
            created,
            image_name: "docker.io/library/busybox:latest".into(),
            image_id: "beef".repeat(16),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            ..Default::default()
        }
    }

    fn passes(checks: Vec<Check>, c: &ContainerSummary) -> bool {
        ContainerFilters(checks).matches(c)
    }

    #[test]
    fn each_key_tests_what_podman_tests() {
        let c = summary("web-1", 100, &[("tier", "front")]);
        assert!(passes(
            vec![Check::Name(NamePattern::new("^web-[0-9]$"))],
            &c
        ));
        assert!(!passes(vec![Check::Name(NamePattern::new("^eb"))], &c));
        assert!(passes(vec![Check::Id("web".into())], &c));
        assert!(passes(vec![Check::Status(Status::Created)], &c));
        assert!(!passes(vec![Check::Status(Status::Running)], &c));
        let label = |spec: &str, negate| Check::Label {
            spec: spec.into(),
            negate,
        };
        assert!(passes(vec![label("tier=front", false)], &c));
        assert!(!passes(vec![label("tier=front", true)], &c));
        assert!(!passes(vec![Check::Exited(0)], &c));
        assert!(passes(vec![Check::Ancestor("busybox".into())], &c));
        assert!(passes(vec![Check::Ancestor("beefbeef".into())], &c));
        assert!(!passes(vec![Check::Pod("p".into())], &c));
        assert!(passes(vec![Check::Before(101)], &c));
        assert!(!passes(vec![Check::Before(100)], &c));
        assert!(passes(vec![Check::Since(99)], &c));
        // Every filter must pass.
        assert!(!passes(vec![Check::Since(99), Check::Before(50)], &c));
    }
}
