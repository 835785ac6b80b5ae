//! Request routing: strips the `/v1.NN` prefix, splits the path, and hands each endpoint to
//! the module that owns its object (containers, images, networks/volumes, exec, system).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use tokio::sync::{oneshot, watch};

use crate::body::{self, ApiError, Resp, Result};
use crate::burrow::Cli;

/// What the service remembers between requests: attach connections waiting for their
/// container's start, exit codes of containers it runs in the foreground, exec sessions.
pub struct State {
    pub cli: Cli,
    /// The state database, read in this process (see `containers::facts`); `None` until the
    /// first read, or when it cannot be opened (every read then goes through the CLI).
    pub view: Mutex<Option<libpod::runtime::StateView>>,
    view_opts: libpod::runtime::GlobalOptions,
    /// Hijacked connections and streams in progress: they keep the service from idling out.
    pub busy: AtomicUsize,
    pub attaches: Mutex<HashMap<String, oneshot::Receiver<crate::streams::Hijack>>>,
    pub exits: Mutex<HashMap<String, watch::Sender<Option<i32>>>>,
    /// Containers whose foreground run this service holds (`start` of an attached container):
    /// their exit code comes from that run, never from `burrow wait`.
    pub sessions: Mutex<std::collections::HashSet<String>>,
    pub execs: Mutex<HashMap<String, crate::exec::Session>>,
    /// Pseudo-terminal masters of TTY sessions in progress, by container or exec ID.
    pub ttys: Mutex<HashMap<String, std::sync::Arc<std::os::fd::OwnedFd>>>,
    /// `ConsoleSize` ([height, width]) of containers created and exec sessions made here:
    /// the terminal has it before the process starts, not only after the client's resize.
    pub console_sizes: Mutex<HashMap<String, (u16, u16)>>,
}

impl State {
    pub fn new(program: String, globals: Vec<String>) -> State {
        State {
            view: Mutex::new(None),
            view_opts: view_options(&globals),
            cli: Cli::new(program, globals),
            busy: AtomicUsize::new(0),
            attaches: Mutex::new(HashMap::new()),
            exits: Mutex::new(HashMap::new()),
            sessions: Mutex::new(std::collections::HashSet::new()),
            execs: Mutex::new(HashMap::new()),
            ttys: Mutex::new(HashMap::new()),
            console_sizes: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `f` on the state database; `None` when it cannot be opened here.
    pub fn with_view<T>(&self, f: impl FnOnce(&libpod::runtime::StateView) -> T) -> Option<T> {
        let mut v = self.view.lock().unwrap_or_else(|p| p.into_inner());
        if v.is_none() {
            *v = libpod::runtime::StateView::open(&self.view_opts).ok();
        }
        v.as_ref().map(f)
    }

    /// Remembers a `ConsoleSize` value ([height, width], both non-zero) for `id`.
    pub fn remember_console_size(&self, id: &str, v: &serde_json::Value) {
        let dim = |i: usize| {
            v.get(i)
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| *n > 0)
        };
        if let (Some(h), Some(w)) = (dim(0), dim(1)) {
            self.console_sizes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.to_string(), (h, w));
        }
    }

    /// The remembered `ConsoleSize` of a container or exec session.
    pub fn console_size(&self, id: &str) -> Option<(u16, u16)> {
        let sizes = self.console_sizes.lock().unwrap_or_else(|p| p.into_inner());
        sizes.get(id).copied()
    }

    /// A receiver that sees the exit code of the container's next foreground run.
    pub fn exit_watch(&self, id: &str) -> watch::Receiver<Option<i32>> {
        let mut map = self.exits.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_string())
            .or_insert_with(|| watch::channel(None).0)
            .subscribe()
    }

    pub fn record_exit(&self, id: &str, code: i32) {
        if tracing() {
            eprintln!("{}    exit {id}: {code}", stamp());
        }
        let map = self.exits.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(id) {
            let _ = tx.send(Some(code));
        }
        drop(map);
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// Whether this service runs the container's foreground session now.
    pub fn in_session(&self, id: &str) -> bool {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(id)
    }

    pub fn busy(self: &std::sync::Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }
}

/// The `--root`/`--runroot` of the service's burrow arguments, for reading the same database.
fn view_options(globals: &[String]) -> libpod::runtime::GlobalOptions {
    let mut o = libpod::runtime::GlobalOptions::default();
    let mut it = globals.iter();
    while let Some(flag) = it.next() {
        let value = it.next().map(std::path::PathBuf::from);
        match flag.as_str() {
            "--root" => o.root = value,
            "--runroot" => o.runroot = value,
            _ => {}
        }
    }
    o
}

/// Held by a stream or hijacked connection while it runs.
pub struct Busy(std::sync::Arc<State>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One request, parsed: method, path segments after the version prefix, query, headers.
pub struct Req {
    pub method: Method,
    pub segs: Vec<String>,
    pub query: HashMap<String, String>,
    pub inner: Request<Incoming>,
}

impl Req {
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    /// Docker's booleans: `1`, `true`, `True`.
    pub fn flag(&self, key: &str) -> bool {
        self.q(key)
            .is_some_and(|v| matches!(v, "1" | "true" | "True" | "yes"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name).and_then(|v| v.to_str().ok())
    }

    pub async fn bytes(self) -> Result<Bytes> {
        self.inner
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .map_err(|e| ApiError::bad_request(format!("read request body: {e}")))
    }

    /// The body as JSON (an empty body is `{}`).
    pub async fn json(self) -> Result<serde_json::Value> {
        let b = self.bytes().await?;
        if b.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::json!({}));
        }
        serde_json::from_slice(&b)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
    }

    /// `filters={"label":["a=b"]}` (or the old `{"label":{"a=b":true}}`) as name, value pairs.
    pub fn filters(&self) -> Result<Vec<(String, String)>> {
        let Some(raw) = self.q("filters").filter(|s| !s.is_empty()) else {
            return Ok(Vec::new());
        };
        let v: serde_json::Value = serde_json::from_str(raw)
            .map_err(|e| ApiError::bad_request(format!("invalid filters {raw}: {e}")))?;
        let mut out = Vec::new();
        if let Some(map) = v.as_object() {
            for (k, vals) in map {
                match vals {
                    serde_json::Value::Array(a) => out.extend(
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .map(|x| (k.clone(), x.to_string())),
                    ),
                    serde_json::Value::Object(o) => out.extend(
                        o.iter()
                            .filter(|(_, on)| on.as_bool() != Some(false))
                            .map(|(x, _)| (k.clone(), x.clone())),
                    ),
                    _ => {}
                }
            }
        }
        Ok(out)
    }
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse(req: Request<Incoming>) -> Req {
    let uri = req.uri().clone();
    let mut path = uri.path();
    // `/v1.41/containers/json` and `/containers/json` are the same endpoint.
    if let Some(rest) = path.strip_prefix("/v")
        && let Some(slash) = rest.find('/')
        && rest[..slash]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
    {
        path = &rest[slash..];
    }
    let segs = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(kv), String::new()),
        })
        .collect();
    Req {
        method: req.method().clone(),
        segs,
        query,
        inner: req,
    }
}

/// `BURROW_API_TRACE` set: requests, CLI children and exits go to standard error, timed.
pub fn tracing() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BURROW_API_TRACE").is_some())
}

/// Seconds.milliseconds of the wall clock, for trace lines.
pub fn stamp() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:03}", d.as_secs() % 1000, d.subsec_millis())
}

pub async fn handle(
    state: std::sync::Arc<State>,
    req: Request<Incoming>,
) -> std::result::Result<Resp, Infallible> {
    let req = parse(req);
    let trace = tracing();
    let t0 = std::time::Instant::now();
    if trace {
        eprintln!("{} -> {} {}", stamp(), req.method, req.inner.uri());
    }
    let mut r = match route(state, req).await {
        Ok(r) => r,
        Err(e) => body::error(&e),
    };
    if trace {
        eprintln!("{} <- {} in {:?}", stamp(), r.status(), t0.elapsed());
    }
    let h = r.headers_mut();
    h.insert(
        "Api-Version",
        hyper::header::HeaderValue::from_static(crate::system::API_VERSION),
    );
    h.insert(
        "Server",
        hyper::header::HeaderValue::from_static("Burrow (linux)"),
    );
    h.insert("Ostype", hyper::header::HeaderValue::from_static("linux"));
    Ok(r)
}

async fn route(st: std::sync::Arc<State>, req: Req) -> Result<Resp> {
    use crate::{containers as c, exec, images as i, objects as o, streams, system as s};
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let m = req.method.clone();
    match (m.as_str(), segs.as_slice()) {
        ("GET" | "HEAD", ["_ping"]) => Ok(s::ping(&req)),
        ("GET", ["version"]) => s::version(&st).await,
        ("GET", ["info"]) => s::info(&st).await,
        ("GET", ["events"]) => s::events(&st, req).await,
        ("GET", ["system", "df"]) => s::df(&st).await,
        ("POST", ["auth"]) => Ok(s::auth()),

        ("POST", ["containers", "create"]) => crate::create::create(&st, req).await,
        ("GET", ["containers", "json"]) => c::list(&st, &req).await,
        ("POST", ["containers", "prune"]) => c::prune(&st, &req).await,
        ("GET", ["containers", id, "json"]) => c::inspect(&st, id).await,
        ("POST", ["containers", id, "start"]) => streams::start(&st, id).await,
        ("POST", ["containers", id, "stop"]) => c::stop(&st, id, &req).await,
        ("POST", ["containers", id, "kill"]) => c::kill(&st, id, &req).await,
        ("POST", ["containers", id, "restart"]) => c::restart(&st, id, &req).await,
        ("POST", ["containers", id, "wait"]) => c::wait(&st, id, &req).await,
        ("POST", ["containers", id, "rename"]) => {
            c::simple(&st, &["rename", id, req.q("name").unwrap_or("")]).await
        }
        ("POST", ["containers", id, "pause"]) => c::simple(&st, &["pause", id]).await,
        ("POST", ["containers", id, "unpause"]) => c::simple(&st, &["unpause", id]).await,
        ("POST", ["containers", id, "update"]) => c::update(&st, id.to_string(), req).await,
        ("DELETE", ["containers", id]) => c::remove(&st, id, &req).await,
        ("GET", ["containers", id, "top"]) => c::top(&st, id, &req).await,
        ("GET", ["containers", id, "changes"]) => c::changes(&st, id).await,
        ("GET", ["containers", id, "stats"]) => c::stats(&st, id, &req).await,
        ("GET", ["containers", id, "export"]) => c::export(&st, id).await,
        ("GET" | "HEAD", ["containers", id, "archive"]) => c::archive_get(&st, id, &req).await,
        ("PUT", ["containers", id, "archive"]) => c::archive_put(&st, id.to_string(), req).await,
        ("GET", ["containers", id, "logs"]) => streams::logs(&st, id, &req).await,
        ("POST", ["containers", id, "attach"]) => streams::attach(&st, id.to_string(), req).await,
        ("POST", ["containers", id, "resize"]) => streams::resize(&st, id, &req).await,
        ("POST", ["containers", id, "exec"]) => exec::create(&st, id.to_string(), req).await,
        ("POST", ["exec", id, "start"]) => exec::start(&st, id.to_string(), req).await,
        ("POST", ["exec", id, "resize"]) => exec::resize(&st, id, &req).await,
        ("GET", ["exec", id, "json"]) => exec::inspect(&st, id).await,

        ("GET", ["images", "json"]) => i::list(&st, &req).await,
        ("POST", ["images", "create"]) => i::pull(&st, req).await,
        ("POST", ["images", "load"]) => i::load(&st, req).await,
        ("GET", ["images", "get"]) => i::save(&st, &req).await,
        ("POST", ["images", "prune"]) => i::prune(&st, &req).await,
        ("GET", ["images", "search"]) => Ok(body::ok_json(serde_json::json!([]))),
        ("POST", ["build"]) => i::build(&st, req).await,
        ("POST", ["build", "prune"]) => Ok(body::ok_json(serde_json::json!({"SpaceReclaimed": 0}))),
        ("DELETE", ["images", name @ ..]) => i::remove(&st, &name.join("/"), &req).await,
        ("GET", ["images", name @ .., "json"]) => i::inspect(&st, &name.join("/")).await,
        ("GET", ["images", name @ .., "history"]) => i::history(&st, &name.join("/")).await,
        ("GET", ["images", name @ .., "get"]) => i::save_one(&st, &name.join("/")).await,
        ("POST", ["images", name @ .., "tag"]) => i::tag(&st, &name.join("/"), &req).await,
        ("POST", ["images", name @ .., "push"]) => i::push(&st, &name.join("/"), req).await,

        ("GET", ["networks"]) => o::networks(&st, &req).await,
        ("POST", ["networks", "create"]) => o::network_create(&st, req).await,
        ("POST", ["networks", "prune"]) => o::network_prune(&st).await,
        ("GET", ["networks", id]) => o::network_inspect(&st, id).await,
        ("DELETE", ["networks", id]) => o::network_remove(&st, id).await,
        ("POST", ["networks", id, "connect"]) => {
            o::network_connect(&st, id.to_string(), req, true).await
        }
        ("POST", ["networks", id, "disconnect"]) => {
            o::network_connect(&st, id.to_string(), req, false).await
        }

        ("GET", ["volumes"]) => o::volumes(&st, &req).await,
        ("POST", ["volumes", "create"]) => o::volume_create(&st, req).await,
        ("POST", ["volumes", "prune"]) => o::volume_prune(&st).await,
        ("GET", ["volumes", name]) => o::volume_inspect(&st, name).await,
        ("DELETE", ["volumes", name]) => o::volume_remove(&st, name, &req).await,
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("page not found: {} {}", req.method, req.inner.uri().path()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb+c%7B"), "a/b c{");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
