//! `--filter` of ps, pod ps, volume ls, network ls and their prune commands, with podman's
//! semantics: `name=` is an unanchored regular expression, `label=KEY[=VALUE]` (and
//! `label!=`) is storage's one label matcher, `until=` takes a Go duration or a timestamp.
//! `images --filter` lives in storage (it needs the image family) and shares the same
//! matchers. Filters are parsed once, up front: a bad filter is refused before anything is
//! listed, whether or not anything would have been tested against it.

pub mod containers;
pub mod networks;
pub mod pods;
pub mod prune;
pub mod volumes;

use std::collections::BTreeMap;

pub use storage::matchers::{go_duration, label_matches, timestamp, until_timestamp};

use crate::error::LibpodError;

/// A filter the user gave that cannot be used, or a lookup one of them needed.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// The message is what the user sees after `Error: `.
    #[error("{0}")]
    Invalid(String),
    /// `since=`, `before=` or `pod=` named something that is not there.
    #[error(transparent)]
    Lookup(#[from] LibpodError),
}

impl From<FilterError> for LibpodError {
    fn from(e: FilterError) -> LibpodError {
        match e {
            FilterError::Invalid(m) => LibpodError::Filter(m),
            FilterError::Lookup(e) => e,
        }
    }
}

/// `KEY=VALUE` (a `label!=VALUE` comes back as key `label!`).
fn split(f: &str) -> Result<(&str, &str), FilterError> {
    f.split_once('=')
        .ok_or_else(|| FilterError::Invalid(format!("invalid filter \"{f}\": use KEY=VALUE")))
}

/// `name=`: podman's `regexp.MatchString`, unanchored. A value that is no valid expression
/// matches nothing, as in podman (which drops the compile error).
#[derive(Clone, Debug)]
pub struct NamePattern(Option<regex_lite::Regex>);

impl NamePattern {
    pub fn new(pattern: &str) -> NamePattern {
        NamePattern(regex_lite::Regex::new(pattern).ok())
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.as_ref().is_some_and(|r| r.is_match(name))
    }
}

/// `label=SPEC` (`negate`: `label!=SPEC`) against a label map.
fn labels_pass(labels: &BTreeMap<String, String>, spec: &str, negate: bool) -> bool {
    label_matches(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())), spec) != negate
}

/// Filter values grouped by key, podman's rule for volumes and networks: the values of one key
/// are alternatives, different keys must all pass, and every `label!=` spec must pass.
#[derive(Clone, Debug)]
struct KeyGroups<V> {
    /// The keys, in the order they are tested.
    keys: &'static [&'static str],
    values: Vec<(&'static str, V)>,
    not_labels: Vec<String>,
}

impl<V> KeyGroups<V> {
    fn new(keys: &'static [&'static str]) -> Self {
        KeyGroups {
            keys,
            values: Vec::new(),
            not_labels: Vec::new(),
        }
    }

    /// Adds a value of `key` (one of `keys`).
    fn push(&mut self, key: &str, value: V) {
        let key = self.keys.iter().find(|k| **k == key).copied().unwrap_or("");
        self.values.push((key, value));
    }

    /// True when the object with `labels` passes; `hit` tests one value.
    fn passes<E>(
        &self,
        labels: &BTreeMap<String, String>,
        mut hit: impl FnMut(&V) -> std::result::Result<bool, E>,
    ) -> std::result::Result<bool, E> {
        if self
            .not_labels
            .iter()
            .any(|spec| !labels_pass(labels, spec, true))
        {
            return Ok(false);
        }
        for key in self.keys {
            let mut any = None;
            for (_, value) in self.values.iter().filter(|(k, _)| k == key) {
                any = Some(any.unwrap_or(false) || hit(value)?);
            }
            if any == Some(false) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// `until=TIME` as nanoseconds since the epoch: objects created before it pass.
fn until_nanos(f: &str, value: &str) -> Result<i64, FilterError> {
    let t = until_timestamp(value)
        .map_err(|e| FilterError::Invalid(format!("invalid filter \"{f}\": {e}")))?;
    Ok(t.timestamp_nanos_opt().unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_an_unanchored_regex() {
        assert!(NamePattern::new("oos").matches("loose"));
        assert!(NamePattern::new("^web-[0-9]+$").matches("web-12"));
        assert!(!NamePattern::new("^web$").matches("web-12"));
        assert!(NamePattern::new("a.c").matches("xabcx"));
        // An invalid expression matches nothing, as podman drops the compile error.
        assert!(!NamePattern::new("a(").matches("a("));
    }

    #[test]
    fn labels_pass_with_and_without_negation() {
        let labels: BTreeMap<String, String> = [("tier".to_string(), "web".to_string())].into();
        assert!(labels_pass(&labels, "tier", false));
        assert!(labels_pass(&labels, "tier=web", false));
        assert!(!labels_pass(&labels, "tier=db", false));
        assert!(labels_pass(&labels, "tier=db", true));
        assert!(!labels_pass(&labels, "tier", true));
    }

    #[test]
    fn until_takes_durations_and_refuses_nonsense() {
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
        let t = until_nanos("until=10m", "10m").unwrap();
        let ago = now - t;
        assert!((599_000_000_000..=601_000_000_000).contains(&ago), "{ago}");
        let e = until_nanos("until=soon", "soon").unwrap_err().to_string();
        assert!(e.contains("invalid filter \"until=soon\""), "{e}");
    }
}
