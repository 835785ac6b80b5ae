//! Registries for the pull/push tests: Debian's real `docker-registry` (the distribution
//! registry) on 127.0.0.1 at a free port, plain or with TLS and htpasswd basic auth, and a small
//! fake registry written here that serves exactly the manifests and blobs a test gives it and can
//! lie about them (wrong bytes, truncated or stalled blobs, a connection closed mid-blob, bearer
//! tokens). Both are stopped when dropped. Nothing here runs burrow.
//!
//! Include it next to the harness: `#[path = "common/registry.rs"] mod registry;`.
#![allow(dead_code)] // each test uses a different part of the registries

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::common::e2e_root;

/// How long a registry may take to answer `/v2/` after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(20);
const DOCKER_REGISTRY: &str = "/usr/bin/docker-registry";
/// What a client accepts when it asks a registry for a manifest.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

/// A fresh directory under the e2e root, 0755 so the test user can read the CA inside.
fn fresh_dir(kind: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = e2e_root().join(format!("{kind}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod registry dir");
    dir
}

/// A port nobody listens on right now (the registry may still lose a race for it: `start`
/// retries with another one).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

#[track_caller]
fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn write_file(path: &Path, data: impl AsRef<[u8]>, mode: u32) {
    fs::write(path, data).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

// ----------------------------------------------------------------------------------------------
// The real registry.

/// TLS material of a secure registry: a CA made for the test and a server certificate for
/// IP:127.0.0.1 signed by it.
pub struct Tls {
    /// The CA certificate (0644).
    pub ca: PathBuf,
    /// A directory holding only `ca.crt`, for `--cert-dir` (0755, files 0644).
    pub cert_dir: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Tls {
    /// Makes a CA and a server certificate with openssl in `dir`. A separate CA (rather than
    /// one self-signed server certificate) because strict verifiers (webpki) refuse a CA
    /// certificate as the server's own.
    fn make(dir: &Path) -> Tls {
        let p = |name: &str| dir.join(name);
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        run_ok(
            Command::new("openssl")
                .args(["req", "-x509"])
                .args(ec)
                .arg("-keyout")
                .arg(p("ca.key"))
                .arg("-out")
                .arg(p("ca.pem"))
                .args(["-days", "2", "-subj", "/CN=burrow test CA"])
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
        );
        run_ok(
            Command::new("openssl")
                .arg("req")
                .args(ec)
                .arg("-keyout")
                .arg(p("server.key"))
                .arg("-out")
                .arg(p("server.csr"))
                .args(["-subj", "/CN=127.0.0.1"]),
        );
        write_file(
            &p("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
            0o644,
        );
        run_ok(
            Command::new("openssl")
                .args(["x509", "-req", "-days", "2", "-set_serial", "2"])
                .arg("-in")
                .arg(p("server.csr"))
                .arg("-CA")
                .arg(p("ca.pem"))
                .arg("-CAkey")
                .arg(p("ca.key"))
                .arg("-extfile")
                .arg(p("server.ext"))
                .arg("-out")
                .arg(p("server.crt")),
        );
        let cert_dir = dir.join("certs.d");
        fs::create_dir_all(&cert_dir).expect("create cert dir");
        fs::set_permissions(&cert_dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        let ca_pem = fs::read(p("ca.pem")).expect("read CA");
        write_file(&cert_dir.join("ca.crt"), &ca_pem, 0o644);
        fs::set_permissions(p("ca.pem"), fs::Permissions::from_mode(0o644)).expect("chmod");
        Tls {
            ca: p("ca.pem"),
            cert_dir,
            cert: p("server.crt"),
            key: p("server.key"),
        }
    }
}

/// One `docker-registry serve` process with its own config and filesystem storage.
pub struct Registry {
    child: Child,
    dir: PathBuf,
    port: u16,
    tls: Option<Tls>,
    creds: Option<(String, String)>,
}

/// One line of the registry's access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// A response read with curl.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Registry {
    /// A plain-HTTP registry without auth.
    pub fn start() -> Registry {
        Registry::launch(false, None)
    }

    /// A registry with TLS (see `tls()`) and htpasswd basic auth for `user`:`password`.
    pub fn start_secure(user: &str, password: &str) -> Registry {
        Registry::launch(true, Some((user.to_string(), password.to_string())))
    }

    fn launch(tls: bool, creds: Option<(String, String)>) -> Registry {
        assert!(
            Path::new(DOCKER_REGISTRY).exists(),
            "{DOCKER_REGISTRY} is missing: run scripts/setup-host (package docker-registry)"
        );
        let dir = fresh_dir("registry");
        let tls = tls.then(|| Tls::make(&dir));
        if let Some((user, password)) = &creds {
            // bcrypt, the only hash the registry's htpasswd backend accepts.
            let line = run_ok(Command::new("htpasswd").args(["-Bbn", user, password]));
            write_file(&dir.join("htpasswd"), line, 0o644);
        }
        let (mut tls, mut creds) = (tls, creds);
        let mut last_err = String::new();
        // A few ports: another process may take the free port before the registry binds it.
        for _ in 0..5 {
            let port = free_port();
            write_file(
                &dir.join("config.yml"),
                config_yaml(&dir, port, tls.as_ref(), creds.is_some()),
                0o644,
            );
            let stdout = fs::File::create(dir.join("access.log")).expect("create access.log");
            let stderr = fs::File::create(dir.join("registry.log")).expect("create registry.log");
            let child = Command::new(DOCKER_REGISTRY)
                .arg("serve")
                .arg(dir.join("config.yml"))
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {DOCKER_REGISTRY}: {e}"));
            let mut reg = Registry {
                child,
                dir: dir.clone(),
                port,
                tls,
                creds,
            };
            match reg.wait_ready() {
                Ok(()) => return reg,
                Err(e) => {
                    last_err = e;
                    tls = reg.tls.take();
                    creds = reg.creds.take();
                    // Drop kills the process; an empty dir keeps the files for the next try.
                    reg.dir = PathBuf::new();
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        panic!("docker-registry did not start: {last_err}");
    }

    /// Waits until `/v2/` answers (200, or 401 when auth is on).
    fn wait_ready(&mut self) -> Result<(), String> {
        let tls = self.tls.as_ref();
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "docker-registry exited ({status}):\n{}",
                    fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
                ));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                let code = curl_status(&self.url("/v2/", tls.is_some()), tls.map(|t| &*t.ca));
                if code == Some(200) || code == Some(401) {
                    return Ok(());
                }
            }
            thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "docker-registry did not answer /v2/ within {START_TIMEOUT:?}:\n{}",
            fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
        ))
    }

    fn url(&self, path: &str, tls: bool) -> String {
        let scheme = if tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}{path}", self.port)
    }

    /// `127.0.0.1:PORT`, the registry part of an image reference.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT/REPO` (REPO may carry `:tag` or `@digest`).
    pub fn image(&self, repo: &str) -> String {
        format!("{}/{repo}", self.host())
    }

    /// The TLS material (secure registries only).
    pub fn tls(&self) -> &Tls {
        self.tls
            .as_ref()
            .expect("this registry was started without TLS (use Registry::start_secure)")
    }

    /// The directory of this registry's files (config, logs, certificates, storage).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The access log: one entry per HTTP request the registry answered so far.
    pub fn accesses(&self) -> Vec<Access> {
        let text = fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        text.lines().filter_map(parse_access).collect()
    }

    /// How many requests so far had `method` and a path containing `needle`.
    pub fn count(&self, method: &str, needle: &str) -> usize {
        self.accesses()
            .iter()
            .filter(|a| a.method == method && a.path.contains(needle))
            .count()
    }

    /// How many blob downloads (GET .../blobs/sha256:...) were answered so far.
    pub fn blob_gets(&self) -> usize {
        self.accesses()
            .iter()
            .filter(|a| a.method == "GET" && a.path.contains("/blobs/sha256:"))
            .count()
    }

    /// A GET with curl (CA and credentials of this registry applied), `accept` as Accept.
    pub fn get(&self, path: &str, accept: Option<&str>) -> Response {
        curl(
            &self.url(path, self.tls.is_some()),
            self.tls.as_ref().map(|t| &*t.ca),
            self.creds.as_ref(),
            accept,
            false,
        )
    }

    /// The manifest of `repo` at `reference` (tag or digest) and its digest as the registry
    /// reports it (Docker-Content-Digest).
    pub fn manifest(&self, repo: &str, reference: &str) -> (String, serde_json::Value) {
        let resp = self.get(
            &format!("/v2/{repo}/manifests/{reference}"),
            Some(MANIFEST_ACCEPT),
        );
        assert_eq!(
            resp.status,
            200,
            "GET manifest {repo}:{reference}: {}",
            String::from_utf8_lossy(&resp.body)
        );
        let digest = resp
            .headers
            .get("docker-content-digest")
            .cloned()
            .expect("Docker-Content-Digest header");
        let json = serde_json::from_slice(&resp.body).expect("manifest is JSON");
        (digest, json)
    }

    /// The tags of `repo` (empty when the repository does not exist).
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let resp = self.get(&format!("/v2/{repo}/tags/list"), None);
        if resp.status != 200 {
            return Vec::new();
        }
        let json: serde_json::Value = serde_json::from_slice(&resp.body).expect("tags JSON");
        json["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A blob's bytes.
    pub fn blob(&self, repo: &str, digest: &str) -> Vec<u8> {
        let resp = self.get(&format!("/v2/{repo}/blobs/{digest}"), None);
        assert_eq!(resp.status, 200, "GET blob {repo}@{digest}");
        resp.body
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.dir.as_os_str().is_empty() {
            return;
        }
        if std::env::var("BURROW_KEEP_TEST_DIRS").is_ok_and(|v| v == "1") {
            eprintln!("BURROW_KEEP_TEST_DIRS=1: kept {}", self.dir.display());
            return;
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn config_yaml(dir: &Path, port: u16, tls: Option<&Tls>, auth: bool) -> String {
    let mut y = format!(
        "version: 0.1\n\
         log:\n  level: info\n  formatter: text\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: burrow-tests\n",
        dir.join("storage").display()
    );
    if let Some(tls) = tls {
        y.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            tls.cert.display(),
            tls.key.display()
        ));
    }
    if auth {
        y.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: burrow-test\n    path: {}\n",
            dir.join("htpasswd").display()
        ));
    }
    y
}

/// `127.0.0.1 - - [date] "GET /v2/ HTTP/1.1" 200 2 "" "agent"` -> Access.
fn parse_access(line: &str) -> Option<Access> {
    let start = line.find('"')? + 1;
    let rest = &line[start..];
    let end = rest.find('"')?;
    let mut req = rest[..end].split_whitespace();
    let method = req.next()?.to_string();
    let path = req.next()?.to_string();
    let status = rest[end + 1..].split_whitespace().next()?.parse().ok()?;
    Some(Access {
        method,
        path,
        status,
    })
}

fn curl_status(url: &str, ca: Option<&Path>) -> Option<u16> {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "5",
    ]);
    if let Some(ca) = ca {
        cmd.arg("--cacert").arg(ca);
    }
    let out = cmd.arg(url).stdin(Stdio::null()).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// One request with curl; headers and body separated.
pub fn curl(
    url: &str,
    ca: Option<&Path>,
    creds: Option<&(String, String)>,
    accept: Option<&str>,
    head: bool,
) -> Response {
    let body_file = tempfile::NamedTempFile::new().expect("temp file");
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "60", "-D", "-", "-o"])
        .arg(body_file.path());
    if head {
        cmd.arg("-I");
    }
    if let Some(ca) = ca {
        cmd.arg("--cacert").arg(ca);
    }
    if let Some((user, password)) = creds {
        cmd.arg("-u").arg(format!("{user}:{password}"));
    }
    if let Some(accept) = accept {
        cmd.arg("-H").arg(format!("Accept: {accept}"));
    }
    let head_text = String::from_utf8_lossy(&run_ok(cmd.arg(url))).into_owned();
    // After redirects curl prints several header blocks: the last one is the answer.
    let last = head_text
        .split("\r\n\r\n")
        .filter(|b| b.starts_with("HTTP/"))
        .last()
        .unwrap_or_default()
        .to_string();
    let mut lines = last.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: fs::read(body_file.path()).unwrap_or_default(),
    }
}

// ----------------------------------------------------------------------------------------------
// The fake (hostile) registry.

/// How the fake registry serves one blob on GET (HEAD always tells the truth about it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The bytes as given.
    None,
    /// The same length, one byte changed: the digest does not match.
    WrongBytes,
    /// Only the first half, with an honest Content-Length of that half.
    Truncated,
    /// Content-Length of the whole blob, then the first half and the connection is closed.
    CloseMidway,
    /// The first GET sends half the blob and then stalls (until `FakeRegistry::release` or the
    /// end of the test); later GETs get the whole blob.
    StallOnce,
}

struct FakeBlob {
    data: Vec<u8>,
    fault: Fault,
}

#[derive(Default)]
struct FakeContent {
    /// (repository, tag or digest) -> (media type, bytes).
    manifests: HashMap<(String, String), (String, Vec<u8>)>,
    blobs: HashMap<String, FakeBlob>,
    /// Some((user, password)): every /v2/ request needs a bearer token from /token, which is
    /// given for these basic-auth credentials.
    token_auth: Option<(String, String)>,
}

/// What the fake registry will serve; `start` it when complete.
#[derive(Default)]
pub struct FakeBuilder {
    content: FakeContent,
}

impl FakeBuilder {
    /// Serves `bytes` as the manifest of `repo` under `tag` and under its own digest.
    pub fn manifest(&mut self, repo: &str, tag: &str, media_type: &str, bytes: &[u8]) -> &mut Self {
        let digest = crate::archives::sha256_digest(bytes);
        self.manifest_at(repo, tag, media_type, bytes);
        self.manifest_at(repo, &digest, media_type, bytes)
    }

    /// Serves `bytes` as the manifest of `repo` under `reference` only (which may be a digest
    /// the bytes do not have: a lying registry).
    pub fn manifest_at(
        &mut self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> &mut Self {
        self.content.manifests.insert(
            (repo.to_string(), reference.to_string()),
            (media_type.to_string(), bytes.to_vec()),
        );
        self
    }

    /// Serves `data` under `digest` (any repository), with `fault`.
    pub fn blob(&mut self, digest: &str, data: &[u8], fault: Fault) -> &mut Self {
        self.content.blobs.insert(
            digest.to_string(),
            FakeBlob {
                data: data.to_vec(),
                fault,
            },
        );
        self
    }

    /// Requires bearer tokens, handed out by `/token` for basic auth `user`:`password`.
    pub fn token_auth(&mut self, user: &str, password: &str) -> &mut Self {
        self.content.token_auth = Some((user.to_string(), password.to_string()));
        self
    }

    pub fn start(&mut self) -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake registry");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            content: std::mem::take(&mut self.content),
            log: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            release: AtomicBool::new(false),
            stalled: AtomicBool::new(false),
            served: Mutex::new(HashMap::new()),
            port,
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let shared = Arc::clone(&shared);
                    thread::spawn(move || serve_connection(conn, &shared));
                }
            })
        };
        FakeRegistry {
            port,
            shared,
            acceptor: Some(acceptor),
        }
    }
}

struct Shared {
    content: FakeContent,
    /// "METHOD PATH" of every request.
    log: Mutex<Vec<String>>,
    stop: AtomicBool,
    release: AtomicBool,
    /// A StallOnce blob is stalling (or has stalled).
    stalled: AtomicBool,
    /// How many GETs each blob got.
    served: Mutex<HashMap<String, usize>>,
    port: u16,
}

/// A running fake registry on 127.0.0.1 (plain HTTP: pull from it with `--tls-verify=false`).
pub struct FakeRegistry {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

const TOKEN: &str = "burrow-test-token";

impl FakeRegistry {
    pub fn builder() -> FakeBuilder {
        FakeBuilder::default()
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT/REPO`.
    pub fn image(&self, repo: &str) -> String {
        format!("{}/{repo}", self.host())
    }

    /// "METHOD PATH" of every request so far.
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Blocks until a StallOnce blob has sent its first half (false after `timeout`).
    pub fn wait_stalled(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.shared.stalled.load(Ordering::SeqCst) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Lets a stalled blob finish.
    pub fn release(&self) {
        self.shared.release.store(true, Ordering::SeqCst);
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.release.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
    }
}

/// Reads one request head; None for anything that is not plain HTTP (a TLS hello first: the
/// client then falls back to HTTP, as `--tls-verify=false` clients do).
fn read_head(conn: &mut TcpStream) -> Option<Vec<String>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        if buf.is_empty() && !byte[0].is_ascii_uppercase() {
            return None; // 0x16 = TLS handshake
        }
        buf.push(byte[0]);
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
    let text = String::from_utf8(buf).ok()?;
    Some(text.lines().map(String::from).collect())
}

fn respond(conn: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body);
}

fn not_found(conn: &mut TcpStream, code: &str) {
    let body = format!(r#"{{"errors":[{{"code":"{code}","message":"not found"}}]}}"#);
    respond(
        conn,
        "404 Not Found",
        &[
            ("Content-Type", "application/json".into()),
            ("Content-Length", body.len().to_string()),
        ],
        body.as_bytes(),
    );
}

fn serve_connection(mut conn: TcpStream, shared: &Shared) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(lines) = read_head(&mut conn) else {
        let _ = conn.shutdown(Shutdown::Both);
        return;
    };
    let mut first = lines
        .first()
        .map(|l| l.split_whitespace())
        .into_iter()
        .flatten();
    let (method, target) = (
        first.next().unwrap_or_default().to_string(),
        first.next().unwrap_or_default().to_string(),
    );
    let header = |name: &str| {
        lines.iter().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    shared
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(format!("{method} {target}"));
    let head_only = method == "HEAD";
    let path = target.split('?').next().unwrap_or_default();

    if let Some((user, password)) = &shared.content.token_auth {
        if path == "/token" {
            let want = format!("Basic {}", base64(&format!("{user}:{password}")));
            if header("authorization").as_deref() != Some(want.as_str()) {
                respond(
                    &mut conn,
                    "401 Unauthorized",
                    &[("Content-Length", "0".into())],
                    b"",
                );
                return;
            }
            let body =
                format!(r#"{{"token":"{TOKEN}","access_token":"{TOKEN}","expires_in":300}}"#);
            respond(
                &mut conn,
                "200 OK",
                &[
                    ("Content-Type", "application/json".into()),
                    ("Content-Length", body.len().to_string()),
                ],
                body.as_bytes(),
            );
            return;
        }
        if header("authorization").as_deref() != Some(format!("Bearer {TOKEN}").as_str()) {
            let scope = repo_of(path)
                .map(|r| format!(",scope=\"repository:{r}:pull\""))
                .unwrap_or_default();
            let challenge = format!(
                "Bearer realm=\"http://127.0.0.1:{}/token\",service=\"fake\"{scope}",
                shared.port
            );
            let body =
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
            respond(
                &mut conn,
                "401 Unauthorized",
                &[
                    ("WWW-Authenticate", challenge),
                    ("Content-Type", "application/json".into()),
                    ("Content-Length", body.len().to_string()),
                ],
                body,
            );
            return;
        }
    }

    if path == "/v2/" || path == "/v2" {
        respond(
            &mut conn,
            "200 OK",
            &[
                ("Docker-Distribution-Api-Version", "registry/2.0".into()),
                ("Content-Type", "application/json".into()),
                ("Content-Length", "2".into()),
            ],
            if head_only { b"" } else { b"{}" },
        );
        return;
    }
    if let Some((repo, reference)) = split_route(path, "/manifests/") {
        let Some((media_type, bytes)) = shared.content.manifests.get(&(repo, reference)) else {
            return not_found(&mut conn, "MANIFEST_UNKNOWN");
        };
        let headers = [
            ("Content-Type", media_type.clone()),
            ("Content-Length", bytes.len().to_string()),
            (
                "Docker-Content-Digest",
                crate::archives::sha256_digest(bytes),
            ),
            ("Docker-Distribution-Api-Version", "registry/2.0".into()),
        ];
        respond(
            &mut conn,
            "200 OK",
            &headers,
            if head_only { b"" } else { bytes },
        );
        return;
    }
    if let Some((_repo, digest)) = split_route(path, "/blobs/") {
        let Some(blob) = shared.content.blobs.get(&digest) else {
            return not_found(&mut conn, "BLOB_UNKNOWN");
        };
        let full = blob.data.len();
        let half = full / 2;
        let mut headers = vec![
            ("Content-Type", "application/octet-stream".to_string()),
            ("Docker-Content-Digest", digest.clone()),
        ];
        if head_only {
            headers.push(("Content-Length", full.to_string()));
            return respond(&mut conn, "200 OK", &headers, b"");
        }
        let nth = {
            let mut served = shared.served.lock().unwrap_or_else(|e| e.into_inner());
            let n = served.entry(digest.clone()).or_insert(0);
            *n += 1;
            *n
        };
        match blob.fault {
            Fault::None => {
                headers.push(("Content-Length", full.to_string()));
                respond(&mut conn, "200 OK", &headers, &blob.data);
            }
            Fault::StallOnce if nth > 1 => {
                headers.push(("Content-Length", full.to_string()));
                respond(&mut conn, "200 OK", &headers, &blob.data);
            }
            Fault::WrongBytes => {
                let mut data = blob.data.clone();
                if let Some(b) = data.get_mut(half) {
                    *b ^= 0x55;
                }
                headers.push(("Content-Length", full.to_string()));
                respond(&mut conn, "200 OK", &headers, &data);
            }
            Fault::Truncated => {
                headers.push(("Content-Length", half.to_string()));
                respond(&mut conn, "200 OK", &headers, &blob.data[..half]);
            }
            Fault::CloseMidway => {
                headers.push(("Content-Length", full.to_string()));
                respond(&mut conn, "200 OK", &headers, &blob.data[..half]);
                let _ = conn.flush();
                let _ = conn.shutdown(Shutdown::Both);
            }
            Fault::StallOnce => {
                headers.push(("Content-Length", full.to_string()));
                respond(&mut conn, "200 OK", &headers, &blob.data[..half]);
                let _ = conn.flush();
                shared.stalled.store(true, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(300);
                while !shared.release.load(Ordering::SeqCst) && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(20));
                }
                let _ = conn.shutdown(Shutdown::Both);
            }
        }
        return;
    }
    not_found(&mut conn, "NAME_UNKNOWN");
}

/// `/v2/REPO/<kind>REF` -> (REPO, REF).
fn split_route(path: &str, kind: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/v2/")?;
    let at = rest.rfind(kind)?;
    Some((rest[..at].to_string(), rest[at + kind.len()..].to_string()))
}

/// The repository a `/v2/...` path is about.
fn repo_of(path: &str) -> Option<String> {
    split_route(path, "/manifests/")
        .or_else(|| split_route(path, "/blobs/"))
        .map(|(repo, _)| repo)
}

/// Standard base64 (for basic auth headers and auth.json checks).
pub fn base64(input: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = input.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
