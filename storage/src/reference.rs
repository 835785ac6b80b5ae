//! Image name parsing and normalising, in podman's vocabulary.
//!
//! Two normal forms exist because podman uses two: a name the user gives to `import` or `tag`
//! without a registry becomes `localhost/NAME:latest` ([`normalize_local`]); a `RepoTags` entry
//! of a docker-archive, written by docker, means Docker Hub and becomes
//! `docker.io/library/NAME:latest` ([`normalize_docker`]). This module is pure string logic:
//! it must never touch the file system or the network.

use crate::digest::parse_sha256;
use crate::error::StorageError;

/// A parsed image reference: `[domain/]path[:tag][@digest]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub domain: Option<String>,
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

fn invalid(name: &str, reason: &str) -> StorageError {
    StorageError::InvalidReference {
        name: name.to_string(),
        reason: reason.to_string(),
    }
}

fn valid_path_component(c: &str) -> bool {
    // [a-z0-9]+ separated by '.', '_', '__' or any number of '-'.
    if c.is_empty() {
        return false;
    }
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.bytes()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'.' | b'-' | b':' | b'[' | b']'))
}

impl Reference {
    /// Parses without applying any default registry or tag.
    pub fn parse(name: &str) -> Result<Reference, StorageError> {
        if name.is_empty() {
            return Err(invalid(name, "empty name"));
        }
        let (rest, digest) = match name.split_once('@') {
            Some((r, d)) => {
                parse_sha256(d).map_err(|_| invalid(name, "invalid digest"))?;
                (r, Some(d.to_string()))
            }
            None => (name, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (rest, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let t = &rest[last_slash + i + 1..];
                if !valid_tag(t) {
                    return Err(invalid(name, "invalid tag"));
                }
                (&rest[..last_slash + i], Some(t.to_string()))
            }
            None => (rest, None),
        };
        let (domain, path) = match rest.split_once('/') {
            Some((d, p)) if d.contains('.') || d.contains(':') || d == "localhost" => {
                if !valid_domain(d) {
                    return Err(invalid(name, "invalid registry name"));
                }
                (Some(d.to_string()), p)
            }
            _ => (None, rest),
        };
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid(name, "repository name must be lowercase"));
        }
        if !path.split('/').all(valid_path_component) {
            return Err(invalid(name, "invalid repository name"));
        }
        Ok(Reference {
            domain,
            path: path.to_string(),
            tag,
            digest,
        })
    }

    fn qualified(mut self, default_domain: &str) -> String {
        let domain = match self.domain.take() {
            Some(d) if d == "index.docker.io" => "docker.io".to_string(),
            Some(d) => d,
            None => default_domain.to_string(),
        };
        if domain == "docker.io" && !self.path.contains('/') {
            self.path = format!("library/{}", self.path);
        }
        let mut out = format!("{domain}/{}", self.path);
        match (&self.tag, &self.digest) {
            (Some(t), _) => {
                out.push(':');
                out.push_str(t);
            }
            (None, None) => out.push_str(":latest"),
            (None, Some(_)) => {}
        }
        if let Some(d) = &self.digest {
            out.push('@');
            out.push_str(d);
        }
        out
    }
}

/// `busybox` → `localhost/busybox:latest`; qualified names keep their registry
/// (`docker.io/busybox` → `docker.io/library/busybox:latest`). What `import` and `tag` use.
pub fn normalize_local(name: &str) -> Result<String, StorageError> {
    Ok(Reference::parse(name)?.qualified("localhost"))
}

/// `busybox:1` → `docker.io/library/busybox:1`: how docker-written names (RepoTags) are read.
pub fn normalize_docker(name: &str) -> Result<String, StorageError> {
    Ok(Reference::parse(name)?.qualified("docker.io"))
}

/// The name `import` and `tag` store: same as [`normalize_local`].
pub fn normalize(name: &str) -> Result<String, StorageError> {
    normalize_local(name)
}

/// The fully qualified names a user-typed name may refer to, in lookup order:
/// `localhost/NAME:latest` then `docker.io/library/NAME:latest` for a short name.
pub fn candidates(name: &str) -> Result<Vec<String>, StorageError> {
    let r = Reference::parse(name)?;
    if r.domain.is_some() {
        return Ok(vec![r.qualified("")]);
    }
    Ok(vec![
        r.clone().qualified("localhost"),
        r.qualified("docker.io"),
    ])
}

/// `quay.io/a/b:1` → `quay.io/a/b`: the repository part of a stored name.
pub fn repository(name: &str) -> &str {
    let no_digest = name.split_once('@').map_or(name, |(r, _)| r);
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[last_slash..].rfind(':') {
        Some(i) => &no_digest[..last_slash + i],
        None => no_digest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_normalisation() {
        assert_eq!(
            normalize_local("busybox").unwrap(),
            "localhost/busybox:latest"
        );
        assert_eq!(
            normalize_local("my/app:1.0").unwrap(),
            "localhost/my/app:1.0"
        );
        assert_eq!(
            normalize_local("quay.io/x/y").unwrap(),
            "quay.io/x/y:latest"
        );
        assert_eq!(
            normalize_local("docker.io/busybox").unwrap(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            normalize_local("localhost:5000/a:b").unwrap(),
            "localhost:5000/a:b"
        );
        assert_eq!(normalize("busybox:1").unwrap(), "localhost/busybox:1");
    }

    #[test]
    fn docker_normalisation() {
        assert_eq!(
            normalize_docker("busybox:latest").unwrap(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            normalize_docker("user/app").unwrap(),
            "docker.io/user/app:latest"
        );
        assert_eq!(
            normalize_docker("index.docker.io/library/alpine:3").unwrap(),
            "docker.io/library/alpine:3"
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            normalize_docker(&format!("alpine@{d}")).unwrap(),
            format!("docker.io/library/alpine@{d}")
        );
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "",
            "Busybox",
            "a//b",
            "a:",
            "a:-x",
            "-a",
            "a@sha256:12",
            "a b",
        ] {
            assert!(normalize_local(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn short_name_candidates() {
        assert_eq!(
            candidates("busybox").unwrap(),
            vec![
                "localhost/busybox:latest",
                "docker.io/library/busybox:latest"
            ]
        );
        assert_eq!(candidates("quay.io/a:1").unwrap(), vec!["quay.io/a:1"]);
    }

    #[test]
    fn repository_strips_tag_and_digest() {
        assert_eq!(repository("localhost:5000/a/b:1"), "localhost:5000/a/b");
        assert_eq!(repository("localhost:5000/a/b"), "localhost:5000/a/b");
        assert_eq!(repository("x/y@sha256:00"), "x/y");
    }
}
