//! `secret ls --filter`: `name=` (an unanchored regular expression), `id=` (an id prefix) and
//! `label=KEY[=VALUE]`. Values of one key are alternatives, different keys must all pass, as
//! podman filters secrets.

use super::Secret;
use crate::filter::{FilterError, NamePattern, label_matches};

/// Parsed `secret ls --filter` values.
#[derive(Clone, Debug, Default)]
pub struct SecretFilters {
    names: Vec<NamePattern>,
    ids: Vec<String>,
    labels: Vec<String>,
}

impl SecretFilters {
    pub fn parse(filters: &[String]) -> Result<Self, FilterError> {
        let mut out = SecretFilters::default();
        for f in filters {
            let (k, v) = f.split_once('=').ok_or_else(|| {
                FilterError::Invalid(format!("invalid filter \"{f}\": use KEY=VALUE"))
            })?;
            match k {
                "name" => out.names.push(NamePattern::new(v)),
                "id" => out.ids.push(v.to_string()),
                "label" => out.labels.push(v.to_string()),
                _ => {
                    return Err(FilterError::Invalid(format!(
                        "invalid filter \"{k}\": use name, id or label"
                    )));
                }
            }
        }
        Ok(out)
    }

    pub fn matches(&self, s: &Secret) -> bool {
        let labels = || s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        (self.names.is_empty() || self.names.iter().any(|p| p.matches(&s.name)))
            && (self.ids.is_empty() || self.ids.iter().any(|p| s.id.starts_with(p.as_str())))
            && (self.labels.is_empty() || self.labels.iter().any(|l| label_matches(labels(), l)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, id: &str, labels: &[(&str, &str)]) -> Secret {
        Secret {
            name: name.into(),
            id: id.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn keys_all_pass_values_are_alternatives() {
        let s = secret("db-pass", "abc123", &[("env", "prod")]);
        let f = |v: &[&str]| {
            SecretFilters::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
        };
        assert!(f(&[]).matches(&s));
        assert!(f(&["name=db"]).matches(&s));
        assert!(f(&["name=nope", "name=pass"]).matches(&s));
        assert!(!f(&["name=db", "id=ff"]).matches(&s));
        assert!(f(&["id=abc", "label=env=prod"]).matches(&s));
        assert!(f(&["label=env"]).matches(&s));
        assert!(!f(&["label=env=dev"]).matches(&s));
        assert!(SecretFilters::parse(&["driver=file".to_string()]).is_err());
    }
}
