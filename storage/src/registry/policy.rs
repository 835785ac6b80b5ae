//! containers-policy.json(5): which images may be pulled (docker transport, scoped by
//! registry, namespace, repository or image), pushed (containers-storage) or loaded
//! (docker-archive/oci-archive); `image trust show`'s rows and `image trust set`'s edit.
//!
//! `signedBy` (registry::signature) and `sigstoreSigned` with public keys (registry::sigstore)
//! requirements are checked after the manifest is fetched; keyless `sigstoreSigned` (Fulcio,
//! Rekor, PKI) refuses the image. This module must never accept an image that a requirement of
//! the chosen scope rejects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use super::signature::{SignedBy, SignedIdentity};
use super::sigstore::SigstoreSigned;
use crate::error::StorageError;

/// One policy requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    InsecureAcceptAnything,
    Reject,
    SignedBy(super::signature::SignedBy),
    SigstoreSigned(SigstoreSigned),
    /// A `sigstoreSigned` requirement burrow cannot check (its trust root, e.g. `fulcio`).
    SigstoreKeyless(&'static str),
}

/// A requirement left to check once the manifest's digest is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    SignedBy(SignedBy),
    SigstoreSigned(SigstoreSigned),
}

/// A parsed policy.json.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub path: PathBuf,
    pub default: Vec<Requirement>,
    /// Transport → scope → requirements.
    pub transports: BTreeMap<String, BTreeMap<String, Vec<Requirement>>>,
}

fn invalid(path: &Path, reason: impl std::fmt::Display) -> StorageError {
    StorageError::InvalidPolicy {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn requirements(path: &Path, v: &Value, scope: &str) -> Result<Vec<Requirement>, StorageError> {
    let list = v
        .as_array()
        .ok_or_else(|| invalid(path, format!("{scope}: expected a list of requirements")))?;
    if list.is_empty() {
        return Err(invalid(path, format!("{scope}: no policy requirements")));
    }
    list.iter()
        .map(|r| {
            let ty = r.get("type").and_then(Value::as_str).unwrap_or_default();
            let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
            match ty {
                "insecureAcceptAnything" => Ok(Requirement::InsecureAcceptAnything),
                "reject" => Ok(Requirement::Reject),
                "signedBy" => {
                    if s("keyType").is_some_and(|t| t != "GPGKeys") {
                        return Err(invalid(path, format!("{scope}: keyType must be GPGKeys")));
                    }
                    let (key_paths, key_data, identity) = trusted_keys(
                        path,
                        r,
                        scope,
                        "signedBy",
                        &["keyPath", "keyPaths", "keyData"],
                    )?;
                    Ok(Requirement::SignedBy(SignedBy {
                        key_paths,
                        key_data,
                        identity,
                    }))
                }
                "sigstoreSigned" => sigstore_signed(path, r, scope),
                other => Err(invalid(
                    path,
                    format!("{scope}: unknown policy requirement type {other:?}"),
                )),
            }
        })
        .collect()
}

/// The trusted keys of a signature requirement `r` of type `kind` (files, then inline data,
/// from the `fields` it takes: one value for `keyPath`/`keyData`, a list for the plurals) and
/// its `signedIdentity`.
fn trusted_keys(
    path: &Path,
    r: &Value,
    scope: &str,
    kind: &str,
    fields: &[&str],
) -> Result<(Vec<String>, Vec<String>, SignedIdentity), StorageError> {
    let (mut key_paths, mut key_data) = (Vec::new(), Vec::new());
    for field in fields {
        let values: Vec<String> = match r.get(*field) {
            Some(Value::String(v)) => vec![v.clone()],
            Some(Value::Array(vs)) => vs
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        if field.starts_with("keyPath") {
            key_paths.extend(values);
        } else {
            key_data.extend(values);
        }
    }
    if key_paths.is_empty() && key_data.is_empty() {
        return Err(invalid(
            path,
            format!("{scope}: {kind} needs {}", fields.join(", ")),
        ));
    }
    let identity = SignedIdentity::from_value(r.get("signedIdentity"))
        .map_err(|e| invalid(path, format!("{scope}: {e}")))?;
    Ok((key_paths, key_data, identity))
}

/// A `sigstoreSigned` requirement: public keys (`keyPath`, `keyPaths`, `keyData`,
/// `keyDatas`), or a keyless trust root burrow refuses when the requirement applies.
fn sigstore_signed(path: &Path, r: &Value, scope: &str) -> Result<Requirement, StorageError> {
    for keyless in [
        "fulcio",
        "pki",
        "rekorPublicKeyPath",
        "rekorPublicKeyPaths",
        "rekorPublicKeyData",
        "rekorPublicKeyDatas",
    ] {
        if r.get(keyless).is_some() {
            return Ok(Requirement::SigstoreKeyless(keyless));
        }
    }
    let (key_paths, key_data, identity) = trusted_keys(
        path,
        r,
        scope,
        "sigstoreSigned",
        &["keyPath", "keyPaths", "keyData", "keyDatas"],
    )?;
    Ok(Requirement::SigstoreSigned(SigstoreSigned {
        key_paths,
        key_data,
        identity,
    }))
}

impl Policy {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Policy, StorageError> {
        let data = std::fs::read(path).map_err(|e| StorageError::io("reading", path, e))?;
        let v: Value = serde_json::from_slice(&data).map_err(|e| invalid(path, e))?;
        Policy::from_value(path, &v)
    }

    pub fn from_value(path: &Path, v: &Value) -> Result<Policy, StorageError> {
        let default = requirements(
            path,
            v.get("default")
                .ok_or_else(|| invalid(path, "no \"default\" requirements"))?,
            "default",
        )?;
        let mut transports = BTreeMap::new();
        if let Some(t) = v.get("transports").and_then(Value::as_object) {
            for (name, scopes) in t {
                let scopes = scopes
                    .as_object()
                    .ok_or_else(|| invalid(path, format!("transport {name}: expected scopes")))?;
                let mut m = BTreeMap::new();
                for (scope, reqs) in scopes {
                    m.insert(scope.clone(), requirements(path, reqs, scope)?);
                }
                transports.insert(name.clone(), m);
            }
        }
        Ok(Policy {
            path: path.to_path_buf(),
            default,
            transports,
        })
    }

    /// The requirements for `transport` and the first scope of `scopes` (most specific
    /// first) that the policy names; then the transport's "" scope; then the default.
    fn requirements_for(&self, transport: &str, scopes: &[String]) -> &[Requirement] {
        if let Some(t) = self.transports.get(transport) {
            for s in scopes.iter().map(String::as_str).chain([""]) {
                if let Some(r) = t.get(s) {
                    return r;
                }
            }
        }
        &self.default
    }

    /// Evaluates every requirement for the image `display` (`transport:ref`) that can be
    /// decided before its manifest is known; returns the signature requirements, which the
    /// caller checks against the manifest's signatures (all of them must hold).
    fn check(
        &self,
        transport: &str,
        scopes: &[String],
        display: &str,
    ) -> Result<Vec<Pending>, StorageError> {
        let mut pending = Vec::new();
        for r in self.requirements_for(transport, scopes) {
            match r {
                Requirement::InsecureAcceptAnything => {}
                Requirement::Reject => {
                    return Err(StorageError::PolicyRejected(format!(
                        "Running image {display} is rejected by policy."
                    )));
                }
                Requirement::SignedBy(s) => pending.push(Pending::SignedBy(s.clone())),
                Requirement::SigstoreSigned(s) => pending.push(Pending::SigstoreSigned(s.clone())),
                Requirement::SigstoreKeyless(what) => {
                    return Err(StorageError::PolicyRejected(format!(
                        "{display}: the sigstoreSigned requirement of {} uses {what}, which burrow does not support: trust a public key (keyPath or keyData) instead",
                        self.path.display()
                    )));
                }
            }
        }
        Ok(pending)
    }

    /// May `full` (`host/path[:tag|@digest]`) be pulled? The signature requirements left to
    /// check once its manifest digest is known.
    pub fn check_docker(&self, full: &str) -> Result<Vec<Pending>, StorageError> {
        self.check("docker", &docker_scopes(full), &format!("docker://{full}"))
    }

    /// May an image be copied from `transport` (`containers-storage` for push,
    /// `docker-archive`/`oci-archive` for load)? Only the transport's "" scope and the
    /// default apply: burrow has no per-path or per-store scopes. Archives and the local
    /// store carry no signatures: a `signedBy` requirement refuses them.
    pub fn check_transport(&self, transport: &str, what: &str) -> Result<(), StorageError> {
        if self
            .check(transport, &[], &format!("{transport}:{what}"))?
            .is_empty()
        {
            Ok(())
        } else {
            Err(StorageError::PolicyRejected(
                "A signature was required, but no signature exists".to_string(),
            ))
        }
    }

    /// `image trust show`: the default, then each docker scope, then the other transports'.
    pub fn trust_rows(&self) -> Vec<TrustRow> {
        let mut rows = vec![row("all", "* (default)", "default", &self.default)];
        for (transport, scopes) in &self.transports {
            for (scope, reqs) in scopes {
                let t = if transport == "docker" {
                    "repository"
                } else {
                    transport
                };
                rows.push(row(t, scope, scope, reqs));
            }
        }
        rows
    }
}

/// The docker transport's scopes for `full`, most specific first: the image itself, the
/// repository, each parent namespace, the host, then `*.` wildcards of the host's domains.
pub fn docker_scopes(full: &str) -> Vec<String> {
    let mut scopes = vec![full.to_string()];
    let repo = crate::reference::repository(full);
    let mut cur = repo.to_string();
    loop {
        if !scopes.contains(&cur) {
            scopes.push(cur.clone());
        }
        match cur.rfind('/') {
            Some(i) => cur.truncate(i),
            None => break,
        }
    }
    let host = repo.split('/').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    let mut rest = host;
    while let Some(i) = rest.find('.') {
        rest = &rest[i + 1..];
        scopes.push(format!("*.{rest}"));
    }
    scopes
}

/// One line of `image trust show` (podman's JSON field names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrustRow {
    pub transport: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repo_name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    #[serde(rename = "sigstore", skip_serializing_if = "String::is_empty")]
    pub signature_store: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gpg_id: String,
}

fn row(transport: &str, name: &str, repo_name: &str, reqs: &[Requirement]) -> TrustRow {
    let mut keys = Vec::new();
    let kind = match reqs.first() {
        Some(Requirement::InsecureAcceptAnything) => "accept",
        Some(Requirement::Reject) => "reject",
        Some(Requirement::SignedBy { .. }) => "signed",
        Some(Requirement::SigstoreSigned(_) | Requirement::SigstoreKeyless(_)) => "sigstoreSigned",
        None => "",
    };
    for r in reqs {
        match r {
            Requirement::SignedBy(s) => keys.extend(s.key_paths.iter().cloned()),
            Requirement::SigstoreSigned(s) => keys.extend(s.key_paths.iter().cloned()),
            _ => {}
        }
    }
    TrustRow {
        transport: transport.to_string(),
        name: name.to_string(),
        repo_name: repo_name.to_string(),
        keys,
        signature_store: String::new(),
        kind: kind.to_string(),
        // podman prints no key IDs for sigstore keys (they are not GPG keys).
        gpg_id: if kind == "sigstoreSigned" {
            "N/A".to_string()
        } else {
            String::new()
        },
    }
}

/// `image trust set --type TYPE [--pubkeysfile F...] SCOPE` on the policy document `doc`
/// (`default` sets the default requirements, anything else a docker scope).
pub fn set_trust(
    doc: &mut Value,
    scope: &str,
    kind: &str,
    pubkeys: &[String],
) -> Result<(), StorageError> {
    let bad = |reason: String| StorageError::InvalidTrust(reason);
    let reqs = match kind {
        "accept" => json!([{"type": "insecureAcceptAnything"}]),
        "reject" => json!([{"type": "reject"}]),
        "signedBy" | "sigstoreSigned" => {
            if pubkeys.is_empty() {
                return Err(bad(format!(
                    "at least one public key must be defined for type {kind:?}: use --pubkeysfile"
                )));
            }
            if kind == "signedBy" {
                Value::Array(
                    pubkeys
                        .iter()
                        .map(|k| json!({"type": "signedBy", "keyType": "GPGKeys", "keyPath": k}))
                        .collect(),
                )
            } else {
                Value::Array(
                    pubkeys
                        .iter()
                        .map(|k| json!({"type": "sigstoreSigned", "keyPath": k}))
                        .collect(),
                )
            }
        }
        other => {
            return Err(bad(format!(
                "invalid choice: {other} (choose from 'accept', 'reject', 'signedBy', 'sigstoreSigned')"
            )));
        }
    };
    if !doc.is_object() {
        *doc = json!({});
    }
    if scope == "default" {
        doc["default"] = reqs;
        return Ok(());
    }
    if scope.is_empty() || scope.contains("://") {
        return Err(bad(format!(
            "invalid registry scope {scope:?}: use REGISTRY[/REPOSITORY] or default"
        )));
    }
    if !doc["transports"].is_object() {
        doc["transports"] = json!({});
    }
    if !doc["transports"]["docker"].is_object() {
        doc["transports"]["docker"] = json!({});
    }
    doc["transports"]["docker"][scope] = reqs;
    if doc.get("default").is_none() {
        doc["default"] = json!([{"type": "insecureAcceptAnything"}]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(v: Value) -> Policy {
        Policy::from_value(Path::new("/p.json"), &v).unwrap()
    }

    #[test]
    fn most_specific_scope_wins() {
        let p = policy(json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {
                "r.example.com": [{"type": "insecureAcceptAnything"}],
                "r.example.com/team/bad": [{"type": "reject"}],
                "r.example.com/team/bad:ok": [{"type": "insecureAcceptAnything"}],
                "*.signed.org": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k"}]
            }}
        }));
        assert!(p.check_docker("r.example.com/a/b:1").is_ok());
        let e = p.check_docker("r.example.com/team/bad:1").unwrap_err();
        assert!(
            e.to_string()
                .contains("Running image docker://r.example.com/team/bad:1 is rejected by policy."),
            "{e}"
        );
        assert!(p.check_docker("r.example.com/team/bad:ok").is_ok());
        assert!(p.check_docker("other.io/x:1").is_err());
        let pending = p.check_docker("reg.signed.org/x:1").unwrap();
        assert_eq!(pending.len(), 1, "signedBy is left for the signature check");
        assert!(matches!(&pending[0], Pending::SignedBy(s) if s.key_paths == ["/k"]));
        assert!(p.check_transport("containers-storage", "x").is_err());
    }

    #[test]
    fn sigstore_requirements_are_pending_or_refused() {
        let p = policy(json!({
            "default": [{"type": "sigstoreSigned", "keyPath": "/a.pub", "keyDatas": ["QUJD"],
                         "signedIdentity": {"type": "matchRepository"}}],
            "transports": {"docker": {
                "keyless.io": [{"type": "sigstoreSigned", "fulcio": {}, "rekorPublicKeyPath": "/r"}]
            }}
        }));
        let pending = p.check_docker("r.io/x:1").unwrap();
        let Pending::SigstoreSigned(s) = &pending[0] else {
            panic!("{pending:?}");
        };
        assert_eq!(s.key_paths, ["/a.pub"]);
        assert_eq!(s.key_data, ["QUJD"]);
        assert_eq!(s.identity, SignedIdentity::MatchRepository);
        let e = p.check_docker("keyless.io/x:1").unwrap_err();
        assert!(e.to_string().contains("does not support"), "{e}");
        assert_eq!(p.trust_rows()[0].keys, ["/a.pub"]);
        assert_eq!(p.trust_rows()[0].gpg_id, "N/A");
        let mut doc = json!({});
        set_trust(&mut doc, "r.io", "sigstoreSigned", &["/k.pub".into()]).unwrap();
        // As podman writes it: the default identity rule (matchRepoDigestOrExact).
        assert_eq!(
            doc["transports"]["docker"]["r.io"],
            json!([{"type": "sigstoreSigned", "keyPath": "/k.pub"}])
        );
        assert!(p.check_transport("docker-archive", "x").is_err());
    }

    #[test]
    fn bad_policies_are_refused() {
        let path = Path::new("/p.json");
        assert!(Policy::from_value(path, &json!({})).is_err());
        assert!(Policy::from_value(path, &json!({"default": []})).is_err());
        let e = Policy::from_value(path, &json!({"default": [{"type": "sigstoreSigned"}]}))
            .unwrap_err();
        assert!(e.to_string().contains("needs keyPath"), "{e}");
        let e = Policy::from_value(path, &json!({"default": [{"type": "maybe"}]})).unwrap_err();
        assert!(e.to_string().contains("\"maybe\""), "{e}");
    }

    #[test]
    fn trust_set_edits_the_document() {
        let mut doc = json!({"default": [{"type": "insecureAcceptAnything"}]});
        set_trust(&mut doc, "docker.io", "reject", &[]).unwrap();
        set_trust(&mut doc, "default", "reject", &[]).unwrap();
        set_trust(&mut doc, "quay.io", "signedBy", &["/k.gpg".into()]).unwrap();
        let p = policy(doc.clone());
        let rows = p.trust_rows();
        assert_eq!(rows[0].kind, "reject");
        assert_eq!(rows[1].repo_name, "docker.io");
        assert_eq!(rows[2].kind, "signed");
        assert_eq!(rows[2].keys, vec!["/k.gpg".to_string()]);
        assert!(set_trust(&mut doc, "x", "bogus", &[]).is_err());
        assert!(set_trust(&mut doc, "x", "signedBy", &[]).is_err());
        assert_eq!(
            docker_scopes("a.b.io:5000/ns/repo:1"),
            vec![
                "a.b.io:5000/ns/repo:1",
                "a.b.io:5000/ns/repo",
                "a.b.io:5000/ns",
                "a.b.io:5000",
                "*.b.io",
                "*.io"
            ]
        );
    }
}
