//! `pod ps --filter`: every filter must pass (podman ANDs them).

use super::{FilterError, NamePattern, labels_pass, split, until_nanos};
use crate::error::Result;
use crate::pod::{Pod, PodStatus};
use crate::runtime::Runtime;

/// The pod states `status=` accepts.
const STATUSES: [&str; 6] = [
    "created", "running", "degraded", "paused", "exited", "stopped",
];

#[derive(Clone, Debug)]
enum Check {
    Name(NamePattern),
    Id(String),
    /// Lower case, one of [`STATUSES`].
    Status(String),
    Label {
        spec: String,
        negate: bool,
    },
    Until(i64),
}

/// Parsed `pod ps --filter` values.
#[derive(Clone, Debug, Default)]
pub struct PodFilters(Vec<Check>);

impl PodFilters {
    pub fn parse(filters: &[String]) -> std::result::Result<Self, FilterError> {
        let mut checks = Vec::new();
        for f in filters {
            let (k, v) = split(f)?;
            checks.push(match k {
                "name" => Check::Name(NamePattern::new(v)),
                "id" => Check::Id(v.to_string()),
                "status" => {
                    if !STATUSES.contains(&v) {
                        return Err(FilterError::Invalid(format!(
                            "invalid status filter \"{v}\": use one of {}",
                            STATUSES.join(", ")
                        )));
                    }
                    Check::Status(v.to_string())
                }
                "label" | "label!" => Check::Label {
                    spec: v.to_string(),
                    negate: k == "label!",
                },
                "until" => Check::Until(until_nanos(f, v)?),
                _ => {
                    return Err(FilterError::Invalid(format!(
                        "invalid filter \"{k}\": use name, id, status, label or until"
                    )));
                }
            });
        }
        Ok(PodFilters(checks))
    }

    /// True when a `status=` filter needs the pod's status (its members' states).
    pub fn needs_status(&self) -> bool {
        self.0.iter().any(|c| matches!(c, Check::Status(_)))
    }

    /// True when `p` passes every filter; `status` is only asked for by `status=`.
    pub fn matches(&self, p: &Pod, status: Option<PodStatus>) -> bool {
        self.0.iter().all(|check| match check {
            Check::Name(pat) => pat.matches(&p.name),
            Check::Id(prefix) => p.id.starts_with(prefix.as_str()),
            Check::Status(want) => status.is_some_and(|s| s.as_str().eq_ignore_ascii_case(want)),
            Check::Label { spec, negate } => labels_pass(&p.config.labels, spec, *negate),
            Check::Until(t) => p.created < *t,
        })
    }
}

impl Runtime {
    /// `pod ps`: the pods that pass `filters`.
    pub fn pods_filtered(&self, filters: &[String]) -> Result<Vec<Pod>> {
        let filters = PodFilters::parse(filters)?;
        let mut out = Vec::new();
        for p in self.pods()? {
            let status = if filters.needs_status() {
                Some(self.pod_status(&p)?)
            } else {
                None
            };
            if filters.matches(&p, status) {
                out.push(p);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, created: i64) -> Pod {
        let mut config = crate::pod::PodConfig::default();
        config.labels.insert("tier".into(), "web".into());
        Pod {
            id: format!("{name:0<64}"),
            name: name.to_string(),
            created,
            config,
        }
    }

    fn filters(raw: &[&str]) -> PodFilters {
        let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        PodFilters::parse(&raw).unwrap()
    }

    #[test]
    fn each_key_tests_what_podman_tests() {
        let p = pod("web-pod", 100);
        let running = Some(PodStatus::Running);
        assert!(filters(&["name=^web-"]).matches(&p, None));
        assert!(!filters(&["name=^pod"]).matches(&p, None));
        assert!(filters(&["id=web"]).matches(&p, None));
        assert!(filters(&["status=running"]).matches(&p, running));
        assert!(!filters(&["status=exited"]).matches(&p, running));
        assert!(filters(&["label=tier=web"]).matches(&p, None));
        assert!(!filters(&["label!=tier"]).matches(&p, None));
        assert!(filters(&["until=1h"]).matches(&p, None));
        assert!(filters(&["status=running"]).needs_status());
    }

    #[test]
    fn bad_filters_are_refused() {
        for (f, want) in [
            ("bogus=1", "invalid filter \"bogus\""),
            ("status=sleepy", "invalid status filter \"sleepy\""),
            ("name", "invalid filter \"name\": use KEY=VALUE"),
        ] {
            let e = PodFilters::parse(&[f.to_string()]).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}");
        }
    }
}
