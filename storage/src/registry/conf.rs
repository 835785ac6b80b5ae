//! registries.conf (v2 format) and what it decides: which fully-qualified names a short name
//! means, and where (mirrors, location, plain HTTP or not) a name is pulled from. podman's
//! containers-registries.conf(5) is the reference. This module must never contact a registry.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::StorageError;
use crate::reference::{self, Reference};

/// The parsed file (libpod finds and reads it; the fields are podman's).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegistriesConf {
    #[serde(rename = "unqualified-search-registries")]
    pub unqualified_search_registries: Vec<String>,
    /// "enforcing" (podman's default), "permissive" or "disabled".
    #[serde(rename = "short-name-mode")]
    pub short_name_mode: Option<String>,
    /// Short name -> fully-qualified name (`[aliases]`).
    pub aliases: BTreeMap<String, String>,
    /// `[[registry]]` tables.
    pub registry: Vec<RegistryEntry>,
}

/// One `[[registry]]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegistryEntry {
    pub prefix: Option<String>,
    pub location: Option<String>,
    pub insecure: bool,
    pub blocked: bool,
    pub mirror: Vec<MirrorEntry>,
}

/// One `[[registry.mirror]]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct MirrorEntry {
    pub location: String,
    pub insecure: bool,
}

/// Where to fetch a name from: `host` and `repository` on that host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `host[:port]` as the user writes it (`docker.io`, not its API host).
    pub registry: String,
    pub repository: String,
    /// Plain HTTP and unverified TLS allowed (registries.conf `insecure = true`).
    pub insecure: bool,
    pub mirror: bool,
}

impl RegistriesConf {
    /// The fully-qualified names (`host/repo:tag` or `host/repo@digest`) a user's name may
    /// mean, in the order to try, after `[aliases]` and `unqualified-search-registries`.
    /// `tty`: whether the user could be asked, which podman's enforcing mode needs when a
    /// short name has several candidates.
    pub fn candidates(&self, name: &str, tty: bool) -> Result<Vec<String>, StorageError> {
        let parsed = Reference::parse(name)?;
        if parsed.domain.is_some() {
            return Ok(vec![reference::normalize_docker(name)?]);
        }
        let suffix = |r: &Reference| match (&r.tag, &r.digest) {
            (_, Some(d)) => format!("@{d}"),
            (Some(t), None) => format!(":{t}"),
            (None, None) => ":latest".to_string(),
        };
        if let Some(target) = self.aliases.get(&parsed.path) {
            let alias = Reference::parse(target)?;
            let base = match (&alias.tag, &alias.digest) {
                (None, None) => format!("{target}{}", suffix(&parsed)),
                _ => target.clone(),
            };
            return Ok(vec![reference::normalize_docker(&base)?]);
        }
        if self.unqualified_search_registries.is_empty() {
            return Err(StorageError::NoSearchRegistries(name.to_string()));
        }
        let names = self
            .unqualified_search_registries
            .iter()
            .map(|reg| {
                reference::normalize_docker(&format!("{reg}/{}{}", parsed.path, suffix(&parsed)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let enforcing = matches!(self.short_name_mode.as_deref(), None | Some("enforcing"));
        if names.len() > 1 && enforcing && !tty {
            return Err(StorageError::AmbiguousShortName {
                name: name.to_string(),
                candidates: names.join(", "),
            });
        }
        Ok(names)
    }

    /// The endpoints for a fully-qualified name: mirrors first, then the location, as podman
    /// tries them. A blocked registry is an error. `force_insecure`: `--tls-verify=false`.
    pub fn endpoints(
        &self,
        full_name: &str,
        force_insecure: bool,
    ) -> Result<Vec<Endpoint>, StorageError> {
        let r = Reference::parse(full_name)?;
        let registry = r.domain.clone().unwrap_or_else(|| "docker.io".to_string());
        let repo_path = format!("{registry}/{}", r.path);
        let entry = self
            .registry
            .iter()
            .filter_map(|e| {
                // Trailing slashes are dropped, as podman's parseLocation does: `rest` below
                // is cut at the prefix's length.
                let prefix = e
                    .prefix
                    .as_deref()
                    .or(e.location.as_deref())?
                    .trim_end_matches('/');
                prefix_matches(prefix, &repo_path).then_some((prefix.len(), prefix, e))
            })
            .max_by_key(|(len, _, _)| *len);
        let Some((_, prefix, entry)) = entry else {
            return Ok(vec![Endpoint {
                registry,
                repository: r.path,
                insecure: force_insecure,
                mirror: false,
            }]);
        };
        if entry.blocked {
            return Err(StorageError::RegistryBlocked {
                name: full_name.to_string(),
                registry: prefix.to_string(),
            });
        }
        let rest = &repo_path[prefix.len()..];
        let rewrite = |location: &str, insecure: bool, mirror: bool| {
            let full = format!("{}{rest}", location.trim_end_matches('/'));
            let (reg, repo) = full.split_once('/').unwrap_or((full.as_str(), ""));
            Endpoint {
                registry: reg.to_string(),
                repository: repo.to_string(),
                insecure: insecure || force_insecure,
                mirror,
            }
        };
        let mut out: Vec<Endpoint> = entry
            .mirror
            .iter()
            .map(|m| rewrite(&m.location, m.insecure, true))
            .collect();
        let location = entry.location.as_deref().unwrap_or(prefix);
        out.push(rewrite(location, entry.insecure, false));
        Ok(out)
    }

    /// True if `registry` (host[:port]) is marked insecure in a `[[registry]]` table.
    pub fn is_insecure(&self, registry: &str) -> bool {
        self.registry.iter().any(|e| {
            e.insecure
                && [e.prefix.as_deref(), e.location.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|p| p == registry || p.split('/').next() == Some(registry))
        })
    }
}

/// podman's prefix rule: `prefix` matches `repo_path` at a path boundary.
fn prefix_matches(prefix: &str, repo_path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    repo_path == prefix
        || repo_path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same tables as TOML would give (serde reads both; libpod parses the TOML).
    fn conf(json: &str) -> RegistriesConf {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn short_names_follow_search_list_and_aliases() {
        let c = conf(
            r#"{"unqualified-search-registries":["docker.io","quay.io"],
            "short-name-mode":"permissive",
            "aliases":{"tool":"quay.io/team/tool"}}"#,
        );
        assert_eq!(
            c.candidates("busybox", false).unwrap(),
            vec!["docker.io/library/busybox:latest", "quay.io/busybox:latest"]
        );
        assert_eq!(
            c.candidates("tool:2", false).unwrap(),
            vec!["quay.io/team/tool:2"]
        );
        assert_eq!(
            c.candidates("127.0.0.1:5000/x/y", false).unwrap(),
            vec!["127.0.0.1:5000/x/y:latest"]
        );
    }

    #[test]
    fn enforcing_mode_refuses_ambiguity_without_a_tty() {
        let c = conf(r#"{"unqualified-search-registries":["docker.io","quay.io"]}"#);
        assert!(matches!(
            c.candidates("busybox", false),
            Err(StorageError::AmbiguousShortName { .. })
        ));
        assert_eq!(c.candidates("busybox", true).unwrap().len(), 2);
        let none = RegistriesConf::default();
        assert!(matches!(
            none.candidates("busybox", false),
            Err(StorageError::NoSearchRegistries(_))
        ));
    }

    #[test]
    fn registry_tables_rewrite_block_and_mirror() {
        let c = conf(
            r#"{"registry":[
            {"prefix":"example.com/foo","location":"127.0.0.1:5000/bar","insecure":true,
             "mirror":[{"location":"mirror.local/m"}]},
            {"location":"evil.io","blocked":true}]}"#,
        );
        let eps = c.endpoints("example.com/foo/app:1", false).unwrap();
        assert_eq!(eps.len(), 2);
        assert_eq!(eps[0].registry, "mirror.local");
        assert_eq!(eps[0].repository, "m/app");
        assert!(eps[0].mirror);
        assert_eq!(eps[1].registry, "127.0.0.1:5000");
        assert_eq!(eps[1].repository, "bar/app");
        assert!(eps[1].insecure);
        assert!(matches!(
            c.endpoints("evil.io/x:1", false),
            Err(StorageError::RegistryBlocked { .. })
        ));
        // "example.com/foobar" is not under the prefix "example.com/foo".
        let plain = c.endpoints("example.com/foobar:1", false).unwrap();
        assert_eq!(plain[0].repository, "foobar");
        assert!(!plain[0].insecure);
    }

    /// Regression (found by fuzz target conf_files): a prefix with a trailing slash panicked
    /// (slice past the end) for the name equal to it, and rewrote others without their `/`.
    #[test]
    fn trailing_slashes_of_prefix_and_location_are_ignored() {
        let c = conf(
            r#"{"registry":[{"prefix":"docker.io/library/","location":"mirror.local/lib/"},
            {"prefix":"quay.io//","location":"127.0.0.1:5000"}]}"#,
        );
        let eps = c.endpoints("docker.io/library", false).unwrap();
        assert_eq!(
            (eps[0].registry.as_str(), eps[0].repository.as_str()),
            ("mirror.local", "lib")
        );
        let eps = c.endpoints("docker.io/library/busybox:1", false).unwrap();
        assert_eq!(eps[0].repository, "lib/busybox");
        let eps = c.endpoints("quay.io/team/app", false).unwrap();
        assert_eq!(
            (eps[0].registry.as_str(), eps[0].repository.as_str()),
            ("127.0.0.1:5000", "team/app")
        );
    }
}
