//! `volume ls --filter`: values of one key are alternatives, different keys must all pass
//! (podman's rule for volumes); `label!=` values must all pass.

use super::{FilterError, KeyGroups, NamePattern, labels_pass, split, until_nanos};
use crate::error::Result;
use crate::runtime::Runtime;
use crate::volume::Volume;

const KEYS: &[&str] = &["name", "label", "driver", "dangling", "scope", "until"];

/// Parsed `volume ls --filter` values.
#[derive(Clone, Debug)]
pub struct VolumeFilters(KeyGroups<Value>);

#[derive(Clone, Debug)]
enum Value {
    Name(NamePattern),
    Label(String),
    Driver(String),
    Dangling(bool),
    Scope(String),
    Until(i64),
}

impl VolumeFilters {
    pub fn parse(filters: &[String]) -> std::result::Result<Self, FilterError> {
        let mut out = KeyGroups::new(KEYS);
        for f in filters {
            let (k, v) = split(f)?;
            let value = match k {
                "name" => Value::Name(NamePattern::new(v)),
                "label" => Value::Label(v.to_string()),
                "label!" => {
                    out.not_labels.push(v.to_string());
                    continue;
                }
                "driver" => Value::Driver(v.to_string()),
                "dangling" => Value::Dangling(match v {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(FilterError::Invalid(format!(
                            "invalid dangling filter value \"{v}\": use true or false"
                        )));
                    }
                }),
                "scope" => Value::Scope(v.to_string()),
                "until" => Value::Until(until_nanos(f, v)?),
                _ => {
                    return Err(FilterError::Invalid(format!(
                        "invalid filter \"{k}\": use name, label, label!, driver, dangling, scope or until"
                    )));
                }
            };
            out.push(k, value);
        }
        Ok(VolumeFilters(out))
    }

    /// True when `v` passes; `dangling` answers whether no container uses it, and is only
    /// asked for by `dangling=`.
    pub fn matches(&self, v: &Volume, dangling: impl Fn() -> Result<bool>) -> Result<bool> {
        self.0.passes(&v.config.labels, |value| {
            Ok(match value {
                Value::Name(p) => p.matches(&v.name),
                Value::Label(spec) => labels_pass(&v.config.labels, spec, false),
                Value::Driver(d) => v.config.driver == *d,
                Value::Scope(s) => s == "local",
                Value::Dangling(want) => dangling()? == *want,
                Value::Until(t) => v.created < *t,
            })
        })
    }
}

impl Runtime {
    /// `volume ls`: the volumes that pass `filters`.
    pub fn volumes_filtered(&self, filters: &[String]) -> Result<Vec<Volume>> {
        let filters = VolumeFilters::parse(filters)?;
        let mut out = Vec::new();
        for v in self.volumes()? {
            if filters.matches(&v, || self.volume_dangling(&v.name))? {
                out.push(v);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(name: &str) -> Volume {
        let mut v = Volume {
            name: name.to_string(),
            created: 100,
            config: Default::default(),
        };
        v.config.driver = "local".into();
        v.config.labels.insert("keep".into(), "yes".into());
        v
    }

    fn passes(raw: &[&str], v: &Volume, dangling: bool) -> bool {
        let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        VolumeFilters::parse(&raw)
            .unwrap()
            .matches(v, || Ok(dangling))
            .unwrap()
    }

    #[test]
    fn each_key_tests_what_podman_tests() {
        let v = volume("loose");
        assert!(passes(&["name=oos"], &v, true));
        assert!(passes(&["name=^lo+se$"], &v, true));
        assert!(!passes(&["name=^oos"], &v, true));
        assert!(passes(&["label=keep=yes"], &v, true));
        assert!(!passes(&["label!=keep"], &v, true));
        assert!(passes(&["driver=local"], &v, true));
        assert!(passes(&["scope=local"], &v, true));
        assert!(passes(&["dangling=true"], &v, true));
        assert!(!passes(&["dangling=0"], &v, true));
        assert!(passes(&["until=10m"], &v, true));
        // One key's values are alternatives; different keys must all pass.
        assert!(passes(&["name=nope", "name=loose"], &v, true));
        assert!(!passes(&["name=loose", "driver=nfs"], &v, true));
    }

    #[test]
    fn bad_filters_are_refused() {
        for f in ["bogus=1", "dangling=maybe", "until=whenever", "name"] {
            assert!(VolumeFilters::parse(&[f.to_string()]).is_err(), "{f}");
        }
    }
}
