//! `ps --filter` (and `start`/`stop --filter`): every filter must pass (podman ANDs them),
//! except that repeated `restart-policy=` values pass on any one of them, as in podman.
//! `pod=`, `before=` and `since=` name another object, looked up once when the filters are
//! parsed. `restart-policy=` and `should-start-on-boot=` test the container's config, read
//! only for the listings that use them.

use super::{FilterError, NamePattern, labels_pass, split, until_nanos};
use crate::container::{RestartPolicy, Status};
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
    /// One of these policy names (`restart-policy=`, repeated): "" for none given.
    RestartPolicy(Vec<String>),
    /// Whether `burrow-restart.service` starts it at boot (`should-start-on-boot=`).
    StartsOnBoot(bool),
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
            if k == "restart-policy"
                && let Some(Check::RestartPolicy(names)) = checks
                    .iter_mut()
                    .find(|c| matches!(c, Check::RestartPolicy(_)))
            {
                names.push(restart_policy_name(v)?);
                continue;
            }
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
                "restart-policy" => Check::RestartPolicy(vec![restart_policy_name(v)?]),
                "should-start-on-boot" => Check::StartsOnBoot(v.parse().map_err(|_| {
                    FilterError::Invalid(format!(
                        "invalid should-start-on-boot filter \"{v}\": use true or false"
                    ))
                })?),
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
                        "invalid filter \"{k}\": use name, id, status, label, exited, ancestor, pod, before, since, until, restart-policy, should-start-on-boot or health"
                    )));
                }
            });
        }
        Ok(ContainerFilters(checks))
    }

    /// True when a filter tests the restart policy: the caller reads each config for it.
    pub fn needs_restart_policy(&self) -> bool {
        self.0
            .iter()
            .any(|c| matches!(c, Check::RestartPolicy(_) | Check::StartsOnBoot(_)))
    }

    /// True when no filter was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `c` passes every filter. `restart`: its policy, when
    /// [`ContainerFilters::needs_restart_policy`] (a policy filter fails without it).
    pub fn matches(&self, c: &ContainerSummary, restart: Option<&RestartPolicy>) -> bool {
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
            Check::RestartPolicy(names) => {
                restart.is_some_and(|r| names.iter().any(|n| *n == policy_name(r)))
            }
            Check::StartsOnBoot(want) => {
                restart.is_some_and(|r| starts_on_boot(r, c.state.stopped_by_user) == *want)
            }
            Check::Health(want, paths) => {
                let path = crate::health::state::state_path(paths, &c.id);
                let have =
                    crate::health::HealthState::load(&path).map_or("none", |h| h.status.as_str());
                have == want
            }
        })
    }
}

/// A `restart-policy=` value as stored: podman's names, "none" (and "no") for no policy.
fn restart_policy_name(v: &str) -> std::result::Result<String, FilterError> {
    match v {
        "none" | "no" => Ok(String::new()),
        "always" | "on-failure" | "unless-stopped" => Ok(v.to_string()),
        _ => Err(FilterError::Invalid(format!(
            "invalid restart policy filter \"{v}\": use always, on-failure, unless-stopped, no or none"
        ))),
    }
}

/// A stored policy's name, "no" folded into "" (both mean none).
fn policy_name(r: &RestartPolicy) -> &str {
    match r.name.as_str() {
        "no" => "",
        n => n,
    }
}

/// podman 5's `should-start-on-boot`: `always`, and `unless-stopped` unless the user
/// stopped it.
pub fn starts_on_boot(r: &RestartPolicy, stopped_by_user: bool) -> bool {
    match r.name.as_str() {
        "always" => true,
        "unless-stopped" => !stopped_by_user,
        _ => false,
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
        if filters.needs_restart_policy() {
            let mut kept = Vec::with_capacity(list.len());
            for c in list {
                // A container removed since the listing was read is not listed.
                let Ok(full) = self.lookup(&c.id) else {
                    continue;
                };
                if filters.matches(&c, Some(&full.config.restart)) {
                    kept.push(c);
                }
            }
            list = kept;
        } else if !filters.is_empty() {
            list.retain(|c| filters.matches(c, None));
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
        ContainerFilters(checks).matches(c, None)
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

    #[test]
    fn restart_policy_values_pass_on_any_and_boot_skips_stopped_unless_stopped() {
        let policy = |n: &str| RestartPolicy {
            name: n.into(),
            max_retries: 0,
        };
        let c = summary("web", 1, &[]);
        let f = ContainerFilters(vec![Check::RestartPolicy(vec![
            restart_policy_name("always").unwrap(),
            restart_policy_name("none").unwrap(),
        ])]);
        assert!(f.needs_restart_policy());
        assert!(f.matches(&c, Some(&policy("always"))));
        assert!(f.matches(&c, Some(&policy(""))));
        assert!(f.matches(&c, Some(&policy("no"))));
        assert!(!f.matches(&c, Some(&policy("unless-stopped"))));
        assert!(!f.matches(&c, None));
        assert!(restart_policy_name("sometimes").is_err());
        let boot = ContainerFilters(vec![Check::StartsOnBoot(true)]);
        assert!(boot.matches(&c, Some(&policy("always"))));
        assert!(boot.matches(&c, Some(&policy("unless-stopped"))));
        assert!(!boot.matches(&c, Some(&policy("on-failure"))));
        let mut stopped = c.clone();
        stopped.state.stopped_by_user = true;
        assert!(!boot.matches(&stopped, Some(&policy("unless-stopped"))));
        assert!(boot.matches(&stopped, Some(&policy("always"))));
    }
}
