//! One registry host, spoken to over the OCI distribution API: the `/v2/` ping that finds the
//! scheme and the auth challenge, Bearer tokens (per repository scope) and Basic auth, and the
//! few requests pull and push need. Blocking (ureq): no runtime and no background thread, so it
//! is usable after joining the user namespace; a client is `Sync` for parallel blob transfers.
//! This module must never send credentials over plain HTTP unless the registry is insecure.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ureq::Agent;
use ureq::http::{Response, StatusCode};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::auth::Credentials;
use crate::error::StorageError;

/// TLS settings for one host.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// Skip verification and allow plain HTTP (`--tls-verify=false`, registries.conf insecure).
    pub insecure: bool,
    /// `--cert-dir`; otherwise podman's per-host dirs are used when they exist.
    pub cert_dir: Option<PathBuf>,
}

/// What the registry answered to the ping.
#[derive(Clone, Debug)]
enum Challenge {
    None,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

struct Session {
    base: String,
    challenge: Challenge,
}

/// A connection to one registry host (`registry` as the user names it, e.g. `docker.io`).
pub struct Client {
    registry: String,
    api_host: String,
    agent: Agent,
    insecure: bool,
    creds: Option<Credentials>,
    session: OnceLock<Session>,
    tokens: Mutex<HashMap<String, String>>,
}

pub type Body = ureq::Body;

/// A request body.
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    Empty,
    Bytes(&'a [u8]),
    /// Streamed from a file (re-opened if the request is retried).
    File(&'a Path),
}

/// A `Read` of a response body.
pub type BodyReader = ureq::BodyReader<'static>;

impl Client {
    pub fn new(
        registry: &str,
        tls: &TlsOptions,
        creds: Option<Credentials>,
    ) -> Result<Client, StorageError> {
        let api_host = match registry {
            "docker.io" | "index.docker.io" => "registry-1.docker.io".to_string(),
            r => r.to_string(),
        };
        let mut certs = system_roots();
        let dirs: Vec<PathBuf> = match &tls.cert_dir {
            Some(d) => vec![d.clone()],
            None => default_cert_dirs(registry),
        };
        for dir in &dirs {
            certs.extend(dir_certs(dir)?);
        }
        let roots = if certs.is_empty() {
            RootCerts::WebPki
        } else {
            RootCerts::new_with_certs(&certs)
        };
        let tls_config = TlsConfig::builder()
            .root_certs(roots)
            .disable_verification(tls.insecure)
            .build();
        let agent: Agent = Agent::config_builder()
            .tls_config(tls_config)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_recv_body(Some(Duration::from_secs(600)))
            .user_agent(concat!("burrow/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            registry: registry.to_string(),
            api_host,
            agent,
            insecure: tls.insecure,
            creds,
            session: OnceLock::new(),
            tokens: Mutex::new(HashMap::new()),
        })
    }

    pub fn registry(&self) -> &str {
        &self.registry
    }

    fn http_error(&self, e: ureq::Error) -> StorageError {
        let text = e.to_string();
        // rustls' wording for a plain-HTTP answer is obscure; say it as podman (Go) does.
        let message = if text.contains("InvalidContentType") {
            "http: server gave HTTP response to HTTPS client".to_string()
        } else {
            text
        };
        StorageError::RegistryUnreachable {
            registry: self.registry.clone(),
            message,
            hint: if self.insecure {
                ""
            } else {
                " (for a plain-HTTP or self-signed registry use --tls-verify=false, or --cert-dir with its CA)"
            },
        }
    }

    /// Pings `/v2/` once: HTTPS first, then (insecure only) plain HTTP, as podman does.
    fn session(&self) -> Result<&Session, StorageError> {
        if let Some(s) = self.session.get() {
            return Ok(s);
        }
        let schemes: &[&str] = if self.insecure {
            &["https", "http"]
        } else {
            &["https"]
        };
        let mut last = None;
        for scheme in schemes {
            let base = format!("{scheme}://{}", self.api_host);
            match self.agent.get(format!("{base}/v2/")).call() {
                Ok(resp) => {
                    let challenge = match resp.status() {
                        StatusCode::UNAUTHORIZED => parse_challenge(&resp),
                        s if s.is_success() => Challenge::None,
                        // A registry that hides /v2/ still serves the API below it.
                        _ => Challenge::None,
                    };
                    let _ = self.session.set(Session { base, challenge });
                    return self
                        .session
                        .get()
                        .ok_or_else(|| self.ping_failed("no session"));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => self.http_error(e),
            None => self.ping_failed("no scheme to try"),
        })
    }

    fn ping_failed(&self, why: &str) -> StorageError {
        StorageError::RegistryUnreachable {
            registry: self.registry.clone(),
            message: why.to_string(),
            hint: "",
        }
    }

    /// Checks that the credentials are accepted (`login`): the ping, then a token or a
    /// Basic-authenticated `/v2/`.
    pub fn check_login(&self) -> Result<(), StorageError> {
        let session = self.session()?;
        let unauthorized = || StorageError::Unauthorized {
            registry: self.registry.clone(),
            hint: "check the user name and password",
        };
        match &session.challenge {
            Challenge::None => Ok(()),
            Challenge::Bearer { .. } => self.token("").map(|_| ()).map_err(|e| match e {
                StorageError::Unauthorized { .. } => unauthorized(),
                other => other,
            }),
            Challenge::Basic => {
                let resp = self.send("GET", "/v2/", "", &[], Payload::Empty)?;
                if resp.status() == StatusCode::UNAUTHORIZED {
                    return Err(unauthorized());
                }
                Ok(())
            }
        }
    }

    /// A Bearer token for `scope` (cached), from the challenge's realm.
    fn token(&self, scope: &str) -> Result<String, StorageError> {
        if let Some(t) = self.tokens.lock().ok().and_then(|m| m.get(scope).cloned()) {
            return Ok(t);
        }
        let session = self.session()?;
        let Challenge::Bearer { realm, service } = &session.challenge else {
            return Ok(String::new());
        };
        let mut req = self.agent.get(realm);
        if let Some(s) = service {
            req = req.query("service", s);
        }
        if !scope.is_empty() {
            req = req.query("scope", scope);
        }
        if let Some(c) = &self.creds {
            req = req.header("Authorization", basic(c));
        }
        let mut resp = req.call().map_err(|e| self.http_error(e))?;
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(self.unauthorized());
            }
            s => {
                return Err(self.status_error(&format!("token from {realm}"), s, &mut resp));
            }
        }
        let text = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(|e| self.http_error(e))?;
        let body: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| StorageError::InvalidJson {
                what: format!("token from {realm}"),
                reason: e.to_string(),
            })?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        if let Ok(mut m) = self.tokens.lock() {
            m.insert(scope.to_string(), token.clone());
        }
        Ok(token)
    }

    fn status_error(
        &self,
        what: &str,
        status: StatusCode,
        resp: &mut Response<Body>,
    ) -> StorageError {
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        // The registry's JSON errors carry a readable message: prefer it.
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                let e = v.get("errors")?.get(0)?;
                Some(format!(
                    "{}: {}",
                    e.get("code")?.as_str()?,
                    e.get("message")?.as_str()?
                ))
            })
            .unwrap_or_else(|| text.trim().chars().take(200).collect());
        StorageError::RegistryStatus {
            registry: self.registry.clone(),
            what: what.to_string(),
            status: status.as_u16(),
            message,
        }
    }

    /// Sends one request to `path` (under the registry's base URL, or an absolute URL the
    /// registry handed out), authenticating for `scope`, retrying once after a 401 with a
    /// fresh token.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        scope: &str,
        headers: &[(&str, &str)],
        body: Payload<'_>,
    ) -> Result<Response<Body>, StorageError> {
        let session = self.session()?;
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", session.base)
        };
        let plain_http = url.starts_with("http://");
        for attempt in 0..2 {
            let mut req = ureq::http::Request::builder().method(method).uri(&url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let auth = match &session.challenge {
                Challenge::Bearer { .. } => {
                    if attempt == 1
                        && let Ok(mut m) = self.tokens.lock()
                    {
                        m.remove(scope);
                    }
                    let t = self.token(scope)?;
                    (!t.is_empty()).then(|| format!("Bearer {t}"))
                }
                Challenge::Basic => self.creds.as_ref().map(basic),
                Challenge::None => None,
            };
            if let Some(a) = auth
                && (!plain_http || self.insecure)
            {
                req = req.header("Authorization", a);
            }
            let result = match body {
                Payload::Empty => req.body(()).map(|r| self.agent.run(r)),
                Payload::Bytes(b) => req.body(b).map(|r| self.agent.run(r)),
                Payload::File(path) => {
                    let file = std::fs::File::open(path)
                        .map_err(|e| StorageError::io("reading", path, e))?;
                    let len = file
                        .metadata()
                        .map_err(|e| StorageError::io("reading", path, e))?
                        .len();
                    let mut file = file;
                    req.header("Content-Length", len.to_string())
                        .body(ureq::SendBody::from_reader(&mut file))
                        .map(|r| self.agent.run(r))
                }
            };
            let resp = result
                .map_err(|e| self.http_error(ureq::Error::Http(e)))?
                .map_err(|e| self.http_error(e))?;
            if resp.status() == StatusCode::UNAUTHORIZED && attempt == 0 {
                if matches!(session.challenge, Challenge::Bearer { .. }) {
                    continue;
                }
                return Err(self.unauthorized());
            }
            return Ok(resp);
        }
        Err(self.unauthorized())
    }

    fn unauthorized(&self) -> StorageError {
        StorageError::Unauthorized {
            registry: self.registry.clone(),
            hint: if self.creds.is_some() {
                "check the user name and password"
            } else {
                "log in with `burrow login` or pass --creds"
            },
        }
    }

    /// GET a manifest by tag or digest. Returns (bytes, content type).
    pub fn manifest(
        &self,
        repo: &str,
        reference: &str,
        accept: &str,
    ) -> Result<(Vec<u8>, String), StorageError> {
        let scope = format!("repository:{repo}:pull");
        let path = format!("/v2/{repo}/manifests/{reference}");
        let mut resp = self.send("GET", &path, &scope, &[("Accept", accept)], Payload::Empty)?;
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => {
                return Err(StorageError::ManifestUnknown(format!(
                    "{}/{repo}:{reference}",
                    self.registry
                )));
            }
            s => {
                return Err(self.status_error(
                    &format!("manifest {repo}:{reference}"),
                    s,
                    &mut resp,
                ));
            }
        }
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_MANIFEST)
            .read_to_vec()
            .map_err(|e| self.http_error(e))?;
        Ok((bytes, ctype))
    }

    /// GET of a small JSON document (`/v2/_catalog`, tags, docker's `/v1/search`); `None`
    /// when the registry does not have the endpoint (404, 405, 501).
    pub fn get_json(
        &self,
        path: &str,
        scope: &str,
        what: &str,
    ) -> Result<Option<serde_json::Value>, StorageError> {
        let mut resp = self.send("GET", path, scope, &[], Payload::Empty)?;
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::NOT_IMPLEMENTED => {
                return Ok(None);
            }
            s => return Err(self.status_error(what, s, &mut resp)),
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_MANIFEST)
            .read_to_vec()
            .map_err(|e| self.http_error(e))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StorageError::invalid_json(what, e))
    }

    /// A blob's body as a stream (verified by the caller while it reads).
    pub fn blob(&self, repo: &str, digest: &str) -> Result<BodyReader, StorageError> {
        let scope = format!("repository:{repo}:pull");
        let path = format!("/v2/{repo}/blobs/{digest}");
        let mut resp = self.send("GET", &path, &scope, &[], Payload::Empty)?;
        if !resp.status().is_success() {
            let s = resp.status();
            return Err(self.status_error(&format!("blob {digest}"), s, &mut resp));
        }
        Ok(resp.into_body().into_with_config().limit(u64::MAX).reader())
    }

    /// True if the registry already has the blob in `repo` (push skips it).
    pub fn has_blob(&self, repo: &str, digest: &str) -> Result<bool, StorageError> {
        let scope = format!("repository:{repo}:pull,push");
        let resp = self.send(
            "HEAD",
            &format!("/v2/{repo}/blobs/{digest}"),
            &scope,
            &[],
            Payload::Empty,
        )?;
        Ok(resp.status().is_success())
    }

    /// Uploads a blob from `file` (monolithic: POST for a session, then PUT with the digest).
    pub fn upload_blob(&self, repo: &str, digest: &str, file: &Path) -> Result<(), StorageError> {
        self.upload(repo, digest, Payload::File(file))
    }

    /// [`Client::upload_blob`] of a small blob held in memory (signature payloads, configs).
    pub fn upload_blob_bytes(
        &self,
        repo: &str,
        digest: &str,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        self.upload(repo, digest, Payload::Bytes(bytes))
    }

    fn upload(&self, repo: &str, digest: &str, body: Payload<'_>) -> Result<(), StorageError> {
        let scope = format!("repository:{repo}:pull,push");
        let mut resp = self.send(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/"),
            &scope,
            &[],
            Payload::Empty,
        )?;
        if resp.status() != StatusCode::ACCEPTED {
            let s = resp.status();
            return Err(self.status_error(&format!("starting upload to {repo}"), s, &mut resp));
        }
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| StorageError::RegistryStatus {
                registry: self.registry.clone(),
                what: format!("starting upload to {repo}"),
                status: 202,
                message: "no Location header".to_string(),
            })?
            .to_string();
        let location = self.absolute(&location)?;
        let sep = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{sep}digest={digest}");
        let mut resp = self.send(
            "PUT",
            &url,
            &scope,
            &[("Content-Type", "application/octet-stream")],
            body,
        )?;
        if !resp.status().is_success() {
            let s = resp.status();
            return Err(self.status_error(&format!("uploading blob {digest}"), s, &mut resp));
        }
        Ok(())
    }

    /// PUT a manifest under a tag or digest; returns the digest the registry reports.
    pub fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Option<String>, StorageError> {
        let scope = format!("repository:{repo}:pull,push");
        let mut resp = self.send(
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &scope,
            &[("Content-Type", media_type)],
            Payload::Bytes(bytes),
        )?;
        if !resp.status().is_success() {
            let s = resp.status();
            return Err(self.status_error(&format!("manifest {repo}:{reference}"), s, &mut resp));
        }
        Ok(resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string))
    }

    fn absolute(&self, location: &str) -> Result<String, StorageError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            Ok(location.to_string())
        } else {
            Ok(format!("{}{location}", self.session()?.base))
        }
    }
}

/// Manifests are small; anything larger is not one.
const MAX_MANIFEST: u64 = 8 * 1024 * 1024;

fn basic(c: &Credentials) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", c.username, c.password))
    )
}

fn parse_challenge(resp: &Response<Body>) -> Challenge {
    let Some(h) = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
    else {
        return Challenge::None;
    };
    let (scheme, params) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Challenge::Basic;
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Challenge::None;
    }
    let params = parse_params(params);
    match params.get("realm") {
        Some(realm) => Challenge::Bearer {
            realm: realm.clone(),
            service: params.get("service").cloned(),
        },
        None => Challenge::None,
    }
}

/// `key="value", key2=value2` (RFC 7235 auth-params; values may hold commas inside quotes).
fn parse_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        out.insert(key, value.to_string());
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

/// The system's CA bundle (Debian's ca-certificates), if present.
fn system_roots() -> Vec<Certificate<'static>> {
    [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
    ]
    .iter()
    .find_map(|p| std::fs::read(p).ok())
    .map(|pem| pem_certs(&pem))
    .unwrap_or_default()
}

fn pem_certs(pem: &[u8]) -> Vec<Certificate<'static>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c.to_owned()),
            _ => None,
        })
        .collect()
}

/// podman's per-registry certificate dirs.
fn default_cert_dirs(registry: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(
            Path::new(&home)
                .join(".config/containers/certs.d")
                .join(registry),
        );
    }
    dirs.push(Path::new("/etc/containers/certs.d").join(registry));
    dirs.push(Path::new("/etc/docker/certs.d").join(registry));
    dirs
}

/// The CA certificates (`*.crt`) of a cert dir; a missing dir has none.
fn dir_certs(dir: &Path) -> Result<Vec<Certificate<'static>>, StorageError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StorageError::io("reading", dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "crt") {
            let pem = std::fs::read(&path).map_err(|e| StorageError::io("reading", &path, e))?;
            out.extend(pem_certs(&pem));
        }
    }
    Ok(out)
}

/// Reads everything into memory: for config blobs, which are small.
pub fn read_small(mut r: impl Read, limit: u64, what: &str) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::new();
    r.by_ref()
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|source| StorageError::Read {
            what: what.to_string(),
            source,
        })?;
    if out.len() as u64 > limit {
        return Err(StorageError::InvalidJson {
            what: what.to_string(),
            reason: format!("larger than {limit} bytes"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_params_parse_with_quoted_commas() {
        let p = parse_params(
            r#"realm="https://auth.io/token",service="registry.io",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(p["realm"], "https://auth.io/token");
        assert_eq!(p["service"], "registry.io");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
    }
}
