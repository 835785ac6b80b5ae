//! `volume prune --filter` and `network prune --filter`: `label=KEY[=VALUE]` and
//! `label!=KEY[=VALUE]`, all of which must pass for an object to be pruned.

use std::collections::BTreeMap;

use super::{FilterError, labels_pass};

/// Parsed prune filters: (negated, spec).
#[derive(Clone, Debug, Default)]
pub struct PruneFilters(Vec<(bool, String)>);

impl PruneFilters {
    pub fn parse(filters: &[String]) -> std::result::Result<Self, FilterError> {
        filters
            .iter()
            .map(|f| match f.split_once('=') {
                Some(("label", v)) => Ok((false, v.to_string())),
                Some(("label!", v)) => Ok((true, v.to_string())),
                _ => Err(FilterError::Invalid(format!(
                    "invalid filter \"{f}\": use label=KEY[=VALUE] or label!=KEY[=VALUE]"
                ))),
            })
            .collect::<std::result::Result<_, _>>()
            .map(PruneFilters)
    }

    /// True when an object with these labels may be pruned.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0
            .iter()
            .all(|(negate, spec)| labels_pass(labels, spec, *negate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_and_negated_label() {
        let labels: BTreeMap<String, String> = [("keep".to_string(), "yes".to_string())].into();
        let f = |raw: &str| PruneFilters::parse(&[raw.to_string()]).unwrap();
        assert!(f("label=keep").matches(&labels));
        assert!(!f("label!=keep=yes").matches(&labels));
        assert!(f("label!=keep=no").matches(&labels));
        assert!(PruneFilters::parse(&["name=x".to_string()]).is_err());
    }
}
