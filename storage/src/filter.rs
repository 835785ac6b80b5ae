//! `images --filter` and the image family (parent, children, dangling, intermediate) as podman's
//! libimage computes them from layers: image B is a child of A when B's top layer sits directly
//! on A's top layer, or when both share the top layer and A's history is a strict prefix of
//! B's (an image that only added config). Filters of different keys are AND-ed; `reference=`
//! values are OR-ed among themselves (podman 5), every other key's values are AND-ed.
//! This module must never read an image config unless a filter or the family rule needs it:
//! `images` with no filter stays an index read.

use chrono::{DateTime, Utc};

use crate::error::StorageError;
use crate::index::Image;
use crate::matchers::{label_matches, until_timestamp};
use crate::store::{Store, lookup_in};

/// One compiled filter (other than `reference`, which is kept apart to be OR-ed).
#[derive(Clone, Debug)]
enum Check {
    Since(DateTime<Utc>),
    /// `before=IMAGE`, or `until=TIME`.
    Before(DateTime<Utc>),
    Dangling(bool),
    Intermediate(bool),
    /// `KEY` or `KEY=VALUE` (see [`label_matches`]).
    Label(String),
    Id(String),
    Digest(String),
}

/// Parsed `--filter` values, ready to apply to a list of images.
#[derive(Clone, Debug, Default)]
pub struct ImageFilters {
    checks: Vec<(bool, Check)>,
    wanted_refs: Vec<String>,
    unwanted_refs: Vec<String>,
}

fn bad(filter: &str, reason: impl Into<String>) -> StorageError {
    StorageError::InvalidFilter {
        filter: filter.to_string(),
        reason: reason.into(),
    }
}

fn parse_bool(filter: &str, value: &str) -> Result<bool, StorageError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "t" => Ok(true),
        "false" | "0" | "f" => Ok(false),
        _ => Err(bad(filter, format!("non-boolean value {value:?}"))),
    }
}

impl ImageFilters {
    /// True when no filter was given.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty() && self.wanted_refs.is_empty() && self.unwanted_refs.is_empty()
    }

    /// Adds the hidden `intermediate=false` podman applies to `images` without `-a`.
    pub fn hide_intermediate(&mut self) {
        self.checks.push((false, Check::Intermediate(false)));
    }
}

impl Store {
    /// Parses `key=value` / `key!=value` filters; `before`/`since` name images that must exist.
    pub fn parse_image_filters(&self, filters: &[String]) -> Result<ImageFilters, StorageError> {
        let images = self.images()?;
        let mut out = ImageFilters::default();
        let mut bools: Vec<(String, String)> = Vec::new();
        for f in filters {
            let (key, value, negate) = match f.split_once("!=") {
                Some((k, v)) => (k, v, true),
                None => match f.split_once('=') {
                    Some((k, v)) => (k, v, false),
                    None => {
                        return Err(bad(
                            f,
                            "must be in the format \"filter=value or filter!=value\"",
                        ));
                    }
                },
            };
            let mut boolean = |key: &str| -> Result<bool, StorageError> {
                if let Some((_, prev)) = bools.iter().find(|(k, _)| k == key)
                    && prev != value
                {
                    return Err(bad(
                        f,
                        format!(
                            "specifying {key:?} filter more than once with different values is not supported"
                        ),
                    ));
                }
                bools.push((key.to_string(), value.to_string()));
                parse_bool(f, value)
            };
            let check = match key {
                "since" | "after" | "before" => {
                    let img = lookup_in(&images, value).map_err(|e| {
                        bad(f, format!("could not find local image for filter: {e}"))
                    })?;
                    if key == "before" {
                        Check::Before(img.created)
                    } else {
                        Check::Since(img.created)
                    }
                }
                "until" => Check::Before(until_timestamp(value).map_err(|e| bad(f, e))?),
                "dangling" => Check::Dangling(boolean(key)?),
                "intermediate" => Check::Intermediate(boolean(key)?),
                "label" => Check::Label(value.to_string()),
                "id" => Check::Id(value.trim_start_matches("sha256:").to_string()),
                "digest" => {
                    if !value.starts_with("sha256:") {
                        return Err(bad(f, format!("invalid value {value:?} for digest filter")));
                    }
                    Check::Digest(value.to_string())
                }
                "reference" => {
                    if negate {
                        out.unwanted_refs.push(value.to_string());
                    } else {
                        out.wanted_refs.push(value.to_string());
                    }
                    continue;
                }
                other => return Err(bad(f, format!("unsupported image filter {other:?}"))),
            };
            out.checks.push((negate, check));
        }
        Ok(out)
    }

    /// The images of `images` that pass every filter, in the same order.
    pub fn filter_images(
        &self,
        images: Vec<Image>,
        filters: &ImageFilters,
    ) -> Result<Vec<Image>, StorageError> {
        if filters.is_empty() {
            return Ok(images);
        }
        let all = self.images()?;
        let mut out = Vec::new();
        for img in images {
            if self.passes(&img, &all, filters)? {
                out.push(img);
            }
        }
        Ok(out)
    }

    fn passes(
        &self,
        img: &Image,
        all: &[Image],
        filters: &ImageFilters,
    ) -> Result<bool, StorageError> {
        if filters
            .unwanted_refs
            .iter()
            .any(|r| matches_reference(all, img, r))
        {
            return Ok(false);
        }
        if !filters.wanted_refs.is_empty()
            && !filters
                .wanted_refs
                .iter()
                .any(|r| matches_reference(all, img, r))
        {
            return Ok(false);
        }
        for (negate, check) in &filters.checks {
            let hit = match check {
                Check::Since(t) => img.created > *t,
                Check::Before(t) => img.created < *t,
                Check::Dangling(want) => {
                    (img.names.is_empty() && !self.has_children(img, all)?) == *want
                }
                Check::Intermediate(want) => {
                    (img.names.is_empty() && self.has_children(img, all)?) == *want
                }
                Check::Label(spec) => {
                    let labels = self.labels(img)?;
                    label_matches(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())), spec)
                }
                Check::Id(prefix) => img.id.starts_with(prefix.as_str()),
                Check::Digest(d) => img.digest.starts_with(d.as_str()),
            };
            if hit == *negate {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn labels(&self, img: &Image) -> Result<Vec<(String, String)>, StorageError> {
        let config = self.config(img)?;
        Ok(config
            .config()
            .as_ref()
            .and_then(|c| c.labels().clone())
            .map(|m| m.into_iter().collect())
            .unwrap_or_default())
    }

    /// The `created_by`/`created` pairs of an image's history (for same-top-layer children).
    fn history_keys(&self, img: &Image) -> Vec<(Option<String>, Option<String>)> {
        self.config(img)
            .ok()
            .and_then(|c| c.history().clone())
            .unwrap_or_default()
            .iter()
            .map(|h| (h.created().clone(), h.created_by().clone()))
            .collect()
    }

    /// True when `child` is a child image of `parent` (see the module docs).
    fn is_child(&self, parent: &Image, child: &Image) -> bool {
        if parent.id == child.id || parent.layers.is_empty() {
            return false;
        }
        if child.layers.len() == parent.layers.len() + 1 {
            return child.layers.starts_with(&parent.layers);
        }
        if child.layers == parent.layers {
            let (p, c) = (self.history_keys(parent), self.history_keys(child));
            return c.len() > p.len() && c.starts_with(&p);
        }
        false
    }

    /// True when another image builds on `img`.
    pub fn has_children(&self, img: &Image, all: &[Image]) -> Result<bool, StorageError> {
        Ok(all.iter().any(|c| self.is_child(img, c)))
    }

    /// The image `img` builds on, if it is in the store (podman's `Parent`).
    pub fn parent(&self, img: &Image) -> Result<Option<Image>, StorageError> {
        let all = self.images()?;
        Ok(all.iter().find(|p| self.is_child(p, img)).cloned())
    }
}

/// podman's reference filter: the image the value names, or any name of the image matching
/// the value as a glob in one of its forms (full, without registry, last component; each with
/// and without the tag).
fn matches_reference(all: &[Image], img: &Image, value: &str) -> bool {
    if let Ok(found) = lookup_in(all, value)
        && found.id == img.id
    {
        return true;
    }
    img.names.iter().any(|name| {
        reference_forms(name)
            .iter()
            .any(|form| glob_match(value.as_bytes(), form.as_bytes()))
    })
}

fn reference_forms(name: &str) -> Vec<String> {
    let repo = crate::reference::repository(name);
    let suffix = &name[repo.len()..];
    let path = match repo.split_once('/') {
        Some((domain, rest)) if domain.contains(['.', ':']) || domain == "localhost" => rest,
        _ => repo,
    };
    let last = repo.rsplit('/').next().unwrap_or(repo);
    let mut forms = vec![
        name.to_string(),
        path.to_string(),
        format!("{last}{suffix}"),
    ];
    if !suffix.is_empty() {
        forms.extend([
            repo.to_string(),
            format!("{path}{suffix}"),
            last.to_string(),
        ]);
    }
    forms
}

/// Go's `path.Match`: `*` and `?` never match `/`; `[...]` classes with ranges and `^`.
pub fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some(b'*') => {
            let rest = &pattern[1..];
            let mut i = 0;
            loop {
                if glob_match(rest, &name[i..]) {
                    return true;
                }
                if i == name.len() || name[i] == b'/' {
                    return false;
                }
                i += 1;
            }
        }
        Some(b'?') => !name.is_empty() && name[0] != b'/' && glob_match(&pattern[1..], &name[1..]),
        Some(b'[') => {
            let Some((&c, rest_name)) = name.split_first() else {
                return false;
            };
            let mut p = 1;
            let negate = matches!(pattern.get(p), Some(b'^') | Some(b'!'));
            if negate {
                p += 1;
            }
            let mut hit = false;
            let mut first = true;
            while p < pattern.len() && (first || pattern[p] != b']') {
                first = false;
                let lo = pattern[p];
                if pattern.get(p + 1) == Some(&b'-')
                    && pattern.get(p + 2).is_some_and(|&h| h != b']')
                {
                    hit |= lo <= c && c <= pattern[p + 2];
                    p += 3;
                } else {
                    hit |= lo == c;
                    p += 1;
                }
            }
            if p >= pattern.len() {
                return false; // unterminated class: Go reports ErrBadPattern, i.e. no match
            }
            hit != negate && c != b'/' && glob_match(&pattern[p + 1..], rest_name)
        }
        Some(b'\\') if pattern.len() > 1 => {
            name.first() == Some(&pattern[1]) && glob_match(&pattern[2..], &name[1..])
        }
        Some(&c) => name.first() == Some(&c) && glob_match(&pattern[1..], &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_follows_go_path_match() {
        assert!(glob_match(b"busy*", b"busybox"));
        assert!(!glob_match(b"*", b"a/b"));
        assert!(glob_match(b"*/*", b"a/b"));
        assert!(glob_match(b"b?sy[a-c]ox", b"busybox"));
        assert!(!glob_match(b"b[^u]sybox", b"busybox"));
        assert!(!glob_match(b"busy", b"busybox"));
    }

    #[test]
    fn reference_forms_cover_short_and_full_names() {
        let forms = reference_forms("localhost/my/app:1.0");
        for want in [
            "localhost/my/app:1.0",
            "my/app",
            "app:1.0",
            "localhost/my/app",
            "my/app:1.0",
            "app",
        ] {
            assert!(forms.iter().any(|f| f == want), "{want} missing: {forms:?}");
        }
    }
}
