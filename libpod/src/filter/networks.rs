//! `network ls --filter`: values of one key are alternatives, different keys must all pass
//! (podman's rule for networks); `label!=` values must all pass.

use super::{FilterError, KeyGroups, NamePattern, labels_pass, split, until_nanos};
use crate::error::Result;
use crate::network_def::Network;
use crate::runtime::Runtime;

const KEYS: &[&str] = &["name", "id", "driver", "label", "until"];

#[derive(Clone, Debug)]
enum Value {
    Name(NamePattern),
    Id(String),
    Driver(String),
    Label(String),
    Until(i64),
}

/// Parsed `network ls --filter` values.
#[derive(Clone, Debug)]
pub struct NetworkFilters(KeyGroups<Value>);

impl NetworkFilters {
    pub fn parse(filters: &[String]) -> std::result::Result<Self, FilterError> {
        let mut out = KeyGroups::new(KEYS);
        for f in filters {
            let (k, v) = split(f)?;
            let value = match k {
                "name" => Value::Name(NamePattern::new(v)),
                "id" => Value::Id(v.to_string()),
                "driver" => Value::Driver(v.to_string()),
                "label" => Value::Label(v.to_string()),
                "label!" => {
                    out.not_labels.push(v.to_string());
                    continue;
                }
                "until" => Value::Until(until_nanos(f, v)?),
                _ => {
                    return Err(FilterError::Invalid(format!(
                        "invalid filter \"{k}\": use name, id, driver, label, label! or until"
                    )));
                }
            };
            out.push(k, value);
        }
        Ok(NetworkFilters(out))
    }

    /// True when `n` passes.
    pub fn matches(&self, n: &Network) -> bool {
        let hit = |v: &Value| -> std::result::Result<bool, std::convert::Infallible> {
            Ok(match v {
                Value::Name(p) => p.matches(&n.name),
                Value::Id(prefix) => n.id.starts_with(prefix.as_str()),
                Value::Driver(d) => n.config.driver == *d,
                Value::Label(spec) => labels_pass(&n.config.labels, spec, false),
                Value::Until(t) => n.created < *t,
            })
        };
        self.0.passes(&n.config.labels, hit).unwrap_or(false)
    }
}

impl Runtime {
    /// `network ls`: the networks that pass `filters`.
    pub fn networks_filtered(&self, filters: &[String]) -> Result<Vec<Network>> {
        let filters = NetworkFilters::parse(filters)?;
        Ok(self
            .networks()?
            .into_iter()
            .filter(|n| filters.matches(n))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network() -> Network {
        let mut n = Network {
            name: "backend".into(),
            id: "abc".repeat(21) + "d",
            created: 100,
            config: Default::default(),
        };
        n.config.driver = "bridge".into();
        n.config.labels.insert("env".into(), "dev".into());
        n
    }

    fn passes(raw: &[&str]) -> bool {
        let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        NetworkFilters::parse(&raw).unwrap().matches(&network())
    }

    #[test]
    fn each_key_tests_what_podman_tests() {
        assert!(passes(&["name=back"]));
        assert!(passes(&["name=^back.*d$"]));
        assert!(!passes(&["name=^end"]));
        assert!(passes(&["id=abcabc"]));
        assert!(!passes(&["id=bca"]));
        assert!(passes(&["driver=bridge"]));
        assert!(passes(&["label=env=dev"]));
        assert!(!passes(&["label!=env=dev"]));
        assert!(passes(&["until=1m"]));
        assert!(passes(&["name=front", "name=back"]));
        assert!(!passes(&["name=back", "driver=macvlan"]));
    }

    #[test]
    fn bad_filters_are_refused() {
        for f in ["bogus=1", "until=later", "name"] {
            assert!(NetworkFilters::parse(&[f.to_string()]).is_err(), "{f}");
        }
    }
}
