//! `search`: the repositories a registry offers for a term, and a repository's tags. Docker
//! Hub answers docker's `/v1/search`; a plain distribution registry has no search API, so
//! (as podman does) its catalog (`/v2/_catalog`) is listed and filtered by the term.

use super::pull::RegistryOptions;
use crate::error::StorageError;

/// One repository found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchResult {
    /// The registry searched (`docker.io`, `127.0.0.1:5000`).
    pub index: String,
    /// `registry/repository`.
    pub name: String,
    pub description: String,
    pub stars: u64,
    pub official: bool,
    pub automated: bool,
}

/// Catalog entries asked for in one request: enough for a personal registry; a larger one
/// answers with a `Link` to the rest, which a search does not need.
const CATALOG_PAGE: usize = 1000;

/// Repositories on `registry` whose name contains `term` (all of them for an empty term),
/// at most `limit`.
pub fn search(
    opts: &RegistryOptions,
    registry: &str,
    term: &str,
    limit: usize,
) -> Result<Vec<SearchResult>, StorageError> {
    let client = opts.client(registry, "", false)?;
    // Docker Hub's search lives on its index host, not on the registry API host.
    let v1 = if matches!(registry, "docker.io" | "index.docker.io") {
        format!(
            "https://index.docker.io/v1/search?q={}&n={limit}",
            encode(term)
        )
    } else {
        format!("/v1/search?q={}&n={limit}", encode(term))
    };
    if let Some(v) = client.get_json(&v1, "", &format!("search {registry}"))? {
        let results = v.get("results").and_then(|r| r.as_array());
        return Ok(results
            .into_iter()
            .flatten()
            .take(limit)
            .map(|r| {
                let name = r.get("name").and_then(|n| n.as_str()).unwrap_or_default();
                let full = match (registry, name.contains('/')) {
                    ("docker.io", false) => format!("docker.io/library/{name}"),
                    _ => format!("{registry}/{name}"),
                };
                SearchResult {
                    index: registry.to_string(),
                    name: full,
                    description: str_field(r, "description"),
                    stars: r.get("star_count").and_then(|s| s.as_u64()).unwrap_or(0),
                    official: r.get("is_official").and_then(|b| b.as_bool()) == Some(true),
                    automated: r.get("is_automated").and_then(|b| b.as_bool()) == Some(true),
                }
            })
            .collect());
    }
    let catalog = client
        .get_json(
            &format!("/v2/_catalog?n={CATALOG_PAGE}"),
            "registry:catalog:*",
            &format!("catalog of {registry}"),
        )?
        .ok_or_else(|| StorageError::RegistryStatus {
            registry: registry.to_string(),
            what: "search".to_string(),
            status: 404,
            message: "the registry offers neither /v1/search nor /v2/_catalog".to_string(),
        })?;
    let needle = term.to_ascii_lowercase();
    Ok(catalog
        .get("repositories")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
        .filter(|r| r.to_ascii_lowercase().contains(&needle))
        .take(limit)
        .map(|r| SearchResult {
            index: registry.to_string(),
            name: format!("{registry}/{r}"),
            ..Default::default()
        })
        .collect())
}

/// The tags of `repository` on `registry` (`search --list-tags`), at most `limit`.
pub fn list_tags(
    opts: &RegistryOptions,
    registry: &str,
    repository: &str,
    limit: usize,
) -> Result<Vec<String>, StorageError> {
    let client = opts.client(registry, repository, false)?;
    let what = format!("tags of {registry}/{repository}");
    let v = client
        .get_json(
            &format!("/v2/{repository}/tags/list"),
            &format!("repository:{repository}:pull"),
            &what,
        )?
        .ok_or_else(|| StorageError::ManifestUnknown(format!("{registry}/{repository}")))?;
    Ok(v.get("tags")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .take(limit)
        .collect())
}

fn str_field(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Percent-encodes a query value. By hand: one tiny use, and the URL crate ureq brings is
/// not re-exported for it.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("busy box/1+2"), "busy%20box%2F1%2B2");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
    }
}
