//! Container endpoints that map onto one burrow command each: list, inspect, stop, kill,
//! restart, wait, remove, top, changes, stats, export, archive (`docker cp`), prune, update.
//! Create is in create.rs; start, attach and logs in streams.rs.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hyper::StatusCode;
use serde_json::{Value, json};

use libpod::runtime::StateView;
use libpod::{ContainerSummary, Status};

use crate::body::{self, ApiError, Resp, Result};
use crate::router::{Req, State};

/// What the handlers need to know about a container before acting on it.
pub struct Facts {
    pub id: String,
    pub status: String,
    pub tty: bool,
    pub open_stdin: bool,
    pub exit_code: i64,
}

/// The container's record, read from the state database in this process: every container
/// request starts with one, and a CLI child would cost more than the request itself. A
/// record that needs repair (its process died unrecorded) goes through `burrow inspect`.
pub async fn facts(st: &State, name: &str) -> Result<Facts> {
    let read = st.with_view(|v| match v.lookup(name) {
        Ok(c) if StateView::is_current(&c) => Some(Ok(Facts {
            status: c.status().as_str().to_string(),
            tty: c.config.tty,
            open_stdin: c.config.stdin_open,
            exit_code: c.state.exit_code.into(),
            id: c.id,
        })),
        Err(libpod::LibpodError::NoSuchContainer(_)) => Some(Err(no_such(name))),
        _ => None,
    });
    match read.flatten() {
        Some(r) => r,
        None => Ok(inspected(st, name).await?.0),
    }
}

fn no_such(name: &str) -> ApiError {
    ApiError::not_found(format!("No such container: {name}"))
}

/// `burrow container inspect`: the facts and the whole inspect JSON.
pub async fn inspected(st: &State, name: &str) -> Result<(Facts, Value)> {
    let v = st
        .cli
        .json(&["container", "inspect", "--format", "json", name])
        .await
        .map_err(|e| {
            if e.status == StatusCode::NOT_FOUND || e.message.contains("no such") {
                no_such(name)
            } else {
                e
            }
        })?;
    let c = v.get(0).cloned().unwrap_or(Value::Null);
    let f = Facts {
        id: c["Id"].as_str().unwrap_or(name).to_string(),
        status: c["State"]["Status"].as_str().unwrap_or("").to_string(),
        tty: c["Config"]["Tty"].as_bool().unwrap_or(false),
        open_stdin: c["Config"]["OpenStdin"].as_bool().unwrap_or(false),
        exit_code: c["State"]["ExitCode"].as_i64().unwrap_or(0),
    };
    Ok((f, c))
}

/// Status reply for commands that print names on success.
pub async fn simple(st: &State, args: &[&str]) -> Result<Resp> {
    st.cli.run(args).await?;
    Ok(body::empty(StatusCode::NO_CONTENT))
}

/// Forwarded ports in docker's list shape.
fn ports(c: &ContainerSummary) -> Vec<Value> {
    c.ports
        .iter()
        .map(|p| {
            json!({
                "IP": p.host_addr().to_string(),
                "PrivatePort": p.container_port,
                "PublicPort": p.host_port,
                "Type": p.protocol.to_string(),
            })
        })
        .collect()
}

/// docker's Status column: "Up 5 seconds (healthy)", "Exited (0) 2 minutes ago".
fn docker_status(st: &State, c: &ContainerSummary) -> String {
    let since = |nanos: i64| {
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
        libpod::clock::human_duration((now - nanos) / 1_000_000_000)
    };
    match c.status() {
        Status::Running => {
            let health = st
                .with_view(|v| v.health(&c.id))
                .flatten()
                .map(|h| format!(" ({})", h.status.as_str()))
                .unwrap_or_default();
            format!("Up {}{health}", since(c.state.started))
        }
        Status::Paused => format!("Up {} (Paused)", since(c.state.started)),
        Status::Exited => format!(
            "Exited ({}) {} ago",
            c.state.exit_code,
            since(c.state.finished)
        ),
        Status::Stopping => "Stopping".into(),
        Status::Created | Status::Initialized => "Created".into(),
    }
}

/// docker's State: docker has no `init`, an initialized container is one not started yet.
fn docker_state(s: Status) -> &'static str {
    match s {
        Status::Initialized => "created",
        s => s.as_str(),
    }
}

/// One row of `GET /containers/json`.
fn docker_row(st: &State, c: &ContainerSummary) -> Value {
    let mounts: Vec<Value> = c
        .mounts
        .iter()
        .map(|m| {
            json!({
                "Type": m.kind,
                "Name": m.name,
                "Destination": m.destination.display().to_string(),
            })
        })
        .collect();
    json!({
        "Id": c.id,
        "Names": [format!("/{}", c.name)],
        "Image": c.image_name,
        "ImageID": format!("sha256:{}", c.image_id),
        "Command": c.command,
        "Created": c.created / 1_000_000_000,
        "Ports": ports(c),
        "Labels": c.labels,
        "State": docker_state(c.status()),
        "Status": docker_status(st, c),
        "HostConfig": {"NetworkMode": "default"},
        "NetworkSettings": {"Networks": {}},
        "Mounts": mounts,
    })
}

/// The list rows, newest first, read from the state database in this process (a CLI child
/// per listing would cost more than the listing). Filters go through `burrow ps`, which
/// knows their meaning; so does a listing with a record to repair (a process that died
/// unrecorded), which `ps` repairs before the rows are read again.
pub async fn list_json(st: &State, all: bool, filters: &[(String, String)]) -> Result<Vec<Value>> {
    let matching: Option<std::collections::HashSet<String>> = if filters.is_empty() {
        None
    } else {
        let mut args: Vec<String> =
            vec!["ps".into(), "-a".into(), "-q".into(), "--no-trunc".into()];
        for (k, v) in filters {
            args.push("--filter".into());
            args.push(format!("{k}={v}"));
        }
        let out = st.cli.run(&args).await?;
        Some(
            String::from_utf8_lossy(&out)
                .lines()
                .map(str::to_string)
                .collect(),
        )
    };
    let mut repaired = false;
    loop {
        let rows = st
            .with_view(|v| v.summaries())
            .ok_or_else(|| ApiError::internal("cannot open burrow's state database"))?
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if !repaired && !rows.iter().all(StateView::is_current_row) {
            st.cli.run(&["ps", "-a", "-q"]).await?;
            repaired = true;
            continue;
        }
        return Ok(rows
            .iter()
            .filter(|c| all || c.status() == Status::Running)
            .filter(|c| matching.as_ref().is_none_or(|m| m.contains(&c.id)))
            .map(|c| docker_row(st, c))
            .collect());
    }
}

pub async fn list(st: &State, req: &Req) -> Result<Resp> {
    let mut filters = req.filters()?;
    let mut all = req.flag("all");
    // docker's `status=exited` and friends imply --all.
    if filters.iter().any(|(k, _)| k == "status" || k == "exited") {
        all = true;
    }
    filters.retain(|(k, _)| k != "is-task");
    let mut rows = list_json(st, all, &filters).await?;
    if let Some(n) = req
        .q("limit")
        .and_then(|l| l.parse::<i64>().ok())
        .filter(|n| *n > 0)
    {
        rows.truncate(n as usize);
    }
    if req.flag("size") {
        for r in &mut rows {
            r["SizeRw"] = json!(0);
            r["SizeRootFs"] = json!(0);
        }
    }
    Ok(body::ok_json(Value::Array(rows)))
}

/// burrow's podman-shaped inspect JSON, adjusted where docker clients read it differently.
pub fn docker_inspect(mut c: Value) -> Value {
    if let Some(n) = c["Name"].as_str() {
        c["Name"] = json!(format!("/{n}"));
    }
    if let Some(img) = c["Image"].as_str() {
        c["Image"] = json!(format!("sha256:{img}"));
    }
    if let Some(name) = c["ImageName"].as_str() {
        c["Config"]["Image"] = json!(name);
    }
    if c["State"]["Status"] == "stopped" {
        c["State"]["Status"] = json!("exited");
    }
    if c["Config"]["Labels"].is_null() {
        c["Config"]["Labels"] = json!({});
    }
    let nm = c["HostConfig"]["NetworkMode"].as_str().unwrap_or("");
    if matches!(nm, "slirp4netns" | "pasta" | "") {
        c["HostConfig"]["NetworkMode"] = json!("default");
    }
    if let Some(obj) = c.as_object_mut() {
        obj.insert("Platform".into(), json!("linux"));
        obj.insert("Driver".into(), json!("overlay2"));
        obj.entry("LogPath").or_insert(json!(""));
    }
    c
}

pub async fn inspect(st: &State, id: &str) -> Result<Resp> {
    let (_, raw) = inspected(st, id).await?;
    Ok(body::ok_json(docker_inspect(raw)))
}

fn running(status: &str) -> bool {
    matches!(status, "running" | "paused")
}

pub async fn stop(st: &State, id: &str, req: &Req) -> Result<Resp> {
    let f = facts(st, id).await?;
    if !running(&f.status) {
        return Err(ApiError::new(
            StatusCode::NOT_MODIFIED,
            "container already stopped",
        ));
    }
    let t = req.q("t").unwrap_or("10").to_string();
    st.cli.run(&["stop", "-t", &t, &f.id]).await?;
    Ok(body::empty(StatusCode::NO_CONTENT))
}

pub async fn kill(st: &State, id: &str, req: &Req) -> Result<Resp> {
    let sig = req.q("signal").filter(|s| !s.is_empty()).unwrap_or("KILL");
    let f = facts(st, id).await?;
    if !running(&f.status) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "Cannot kill container: {id}: container {} is not running",
                f.id
            ),
        ));
    }
    st.cli.run(&["kill", "-s", sig, &f.id]).await?;
    Ok(body::empty(StatusCode::NO_CONTENT))
}

pub async fn restart(st: &State, id: &str, req: &Req) -> Result<Resp> {
    let t = req.q("t").unwrap_or("10").to_string();
    st.cli.run(&["restart", "-t", &t, id]).await?;
    Ok(body::empty(StatusCode::NO_CONTENT))
}

pub async fn remove(st: &State, id: &str, req: &Req) -> Result<Resp> {
    let mut args = vec!["rm"];
    if req.flag("force") {
        args.push("-f");
    } else {
        let f = facts(st, id).await?;
        if running(&f.status) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "cannot remove container \"{id}\": container is running: stop the container \
                     before removing or force remove"
                ),
            ));
        }
    }
    if req.flag("v") {
        args.push("-v");
    }
    args.push(id);
    st.cli.run(&args).await.map_err(|e| {
        if e.status == StatusCode::NOT_FOUND {
            ApiError::not_found(format!("No such container: {id}"))
        } else {
            e
        }
    })?;
    Ok(body::empty(StatusCode::NO_CONTENT))
}

/// `wait?condition=not-running|next-exit|removed`. The status line goes out at once (the
/// docker CLI starts the container only after it has it); the body follows at the exit. A
/// foreground run this service started reports its exit code directly (an `--rm`
/// container is gone before anyone could ask); otherwise `burrow wait` blocks on the
/// container's process.
pub async fn wait(st: &Arc<State>, id: &str, req: &Req) -> Result<Resp> {
    let cond = req
        .q("condition")
        .filter(|c| !c.is_empty())
        .unwrap_or("not-running")
        .to_string();
    let f = facts(st, id).await?;
    let exited = st.exit_watch(&f.id);
    let (resp, tx) = body::stream("application/json");
    let st = st.clone();
    let f_id = f.id.clone();
    tokio::spawn(async move {
        let _busy = st.busy();
        let body = match wait_for(&st, f, &cond, exited).await {
            Ok(code) => json!({"StatusCode": code, "Error": null}),
            Err(e) => json!({"StatusCode": -1, "Error": {"Message": e.message}}),
        };
        if crate::router::tracing() {
            eprintln!("{}    wait {}: {body}", crate::router::stamp(), f_id);
        }
        let _ = tx.send(Bytes::from(format!("{body}\n"))).await;
    });
    Ok(resp)
}

async fn wait_for(
    st: &State,
    f: Facts,
    cond: &str,
    mut exited: tokio::sync::watch::Receiver<Option<i32>>,
) -> Result<i64> {
    let full = f.id.clone();
    let code = if cond == "not-running" && !running(&f.status) {
        f.exit_code
    } else {
        // Until the container runs, `burrow wait` would answer with the previous exit.
        if !running(&f.status) {
            loop {
                tokio::select! {
                    _ = exited.changed() => break,
                    _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                }
                match facts(st, &full).await {
                    Ok(g) if running(&g.status) => break,
                    Ok(_) => {}
                    Err(e) if e.status == StatusCode::NOT_FOUND => {
                        // An --rm run removes its container before its exit is recorded.
                        if exited.borrow().is_none() {
                            let _ = tokio::time::timeout(Duration::from_secs(5), exited.changed())
                                .await;
                        }
                        return Ok(exited.borrow().unwrap_or(0) as i64);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let known = *exited.borrow();
        match known {
            Some(code) => code as i64,
            // This service's own foreground run reports the exit: `burrow wait` could find an
            // `--rm` container already gone.
            None if st.in_session(&full) => {
                let _ = exited.changed().await;
                exited.borrow().unwrap_or(0) as i64
            }
            None => {
                let wait_args = ["wait".to_string(), full.clone()];
                let waited = st.cli.run(&wait_args);
                tokio::select! {
                    _ = exited.changed() => exited.borrow().unwrap_or(0) as i64,
                    r = waited => match r {
                        Ok(out) => String::from_utf8_lossy(&out).trim().parse().unwrap_or(0),
                        // Removed as it exited (--rm): the foreground run may still report.
                        Err(_) => tokio::time::timeout(Duration::from_secs(2), exited.changed())
                            .await
                            .ok()
                            .and_then(|_| *exited.borrow())
                            .unwrap_or(0) as i64,
                    },
                }
            }
        }
    };
    if cond == "removed" {
        // A read of the database costs tens of microseconds: the removal is seen at once.
        for _ in 0..10_000 {
            if facts(st, &full).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    Ok(code)
}

pub async fn prune(st: &State, req: &Req) -> Result<Resp> {
    let mut args: Vec<String> = vec!["container".into(), "prune".into(), "-f".into()];
    for (k, v) in req.filters()? {
        args.push("--filter".into());
        args.push(format!("{k}={v}"));
    }
    let out = st.cli.run(&args).await?;
    let ids: Vec<String> = String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    Ok(body::ok_json(
        json!({"ContainersDeleted": ids, "SpaceReclaimed": 0}),
    ))
}

pub async fn top(st: &State, id: &str, req: &Req) -> Result<Resp> {
    let _ = req;
    let out = st.cli.run(&["top", id]).await?;
    let text = String::from_utf8_lossy(&out);
    let mut lines = text.lines();
    let titles: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let n = titles.len().max(1);
    let procs: Vec<Vec<String>> = lines
        .map(|l| {
            let mut fields: Vec<String> = Vec::new();
            let mut rest = l.trim_start();
            while fields.len() + 1 < n {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                fields.push(rest[..end].to_string());
                rest = rest[end..].trim_start();
            }
            fields.push(rest.to_string());
            fields
        })
        .collect();
    Ok(body::ok_json(json!({"Titles": titles, "Processes": procs})))
}

pub async fn changes(st: &State, id: &str) -> Result<Resp> {
    let out = st.cli.run(&["diff", id]).await?;
    let rows: Vec<Value> = String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| {
            let (k, p) = l.split_once(' ')?;
            let kind = match k {
                "C" => 0,
                "A" => 1,
                "D" => 2,
                _ => return None,
            };
            Some(json!({"Path": p, "Kind": kind}))
        })
        .collect();
    Ok(body::ok_json(Value::Array(rows)))
}

pub async fn stats(st: &Arc<State>, id: &str, req: &Req) -> Result<Resp> {
    let (f, info) = inspected(st, id).await?;
    let stream = req.q("stream").is_none_or(|s| s == "1" || s == "true");
    let once = req.flag("one-shot") || !stream;
    let sample = |raw: Value| {
        let s = raw.get(0).cloned().unwrap_or(Value::Null);
        json!({
            "id": f.id,
            "name": format!("/{}", info["Name"].as_str().unwrap_or("")),
            "read": chrono::Utc::now().to_rfc3339(),
            "preread": "0001-01-01T00:00:00Z",
            "pids_stats": {"current": s["PIDs"].as_u64().unwrap_or(0)},
            "memory_stats": {"usage": s["MemUsage"].as_u64().unwrap_or(0), "limit": s["MemLimit"].as_u64().unwrap_or(0)},
            "cpu_stats": {"cpu_usage": {"total_usage": s["CPUNano"].as_u64().unwrap_or(0)}, "system_cpu_usage": 0, "online_cpus": 1},
            "precpu_stats": {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0, "online_cpus": 1},
            "networks": {},
            "blkio_stats": {},
        })
    };
    let stat_args = ["stats", "--no-stream", "--format", "json", id];
    if once {
        let raw = st.cli.json(&stat_args).await.unwrap_or(Value::Null);
        return Ok(body::ok_json(sample(raw)));
    }
    let (resp, tx) = body::stream("application/json");
    let st2 = st.clone();
    let id = f.id.clone();
    let first = sample(st.cli.json(&stat_args).await.unwrap_or(Value::Null));
    let busy = st.busy();
    tokio::spawn(async move {
        let _busy = busy;
        let mut next = first;
        loop {
            if tx.send(Bytes::from(format!("{next}\n"))).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            match st2
                .cli
                .json(&["stats", "--no-stream", "--format", "json", &id])
                .await
            {
                Ok(raw) => next["memory_stats"]["usage"] = raw[0]["MemUsage"].clone(),
                Err(_) => break,
            }
            next["read"] = json!(chrono::Utc::now().to_rfc3339());
        }
    });
    Ok(resp)
}

/// Streams a burrow command's standard output as the response body.
pub async fn pipe_out(st: &Arc<State>, args: Vec<String>, content_type: &str) -> Result<Resp> {
    let mut child = st
        .cli
        .command(&args)
        .spawn()
        .map_err(|e| ApiError::internal(format!("run burrow: {e}")))?;
    let Some(mut out) = child.stdout.take() else {
        return Err(ApiError::internal("burrow has no output"));
    };
    // Read the first chunk before answering, so that a failure is an error status.
    let mut first = vec![0u8; 65536];
    let n = tokio::io::AsyncReadExt::read(&mut out, &mut first)
        .await
        .unwrap_or(0);
    if n == 0 {
        let mut err = Vec::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut e, &mut err).await;
        }
        let status = child
            .wait()
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if !status.success() {
            return Err(crate::burrow::failure(&err));
        }
    }
    first.truncate(n);
    let (resp, tx) = body::stream(content_type);
    let busy = st.busy();
    tokio::spawn(async move {
        let _busy = busy;
        let _child = child;
        let _ = tx.send(Bytes::from(first)).await;
        let mut buf = vec![0u8; 65536];
        loop {
            match tokio::io::AsyncReadExt::read(&mut out, &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(Bytes::copy_from_slice(&buf[..n])).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    Ok(resp)
}

pub async fn export(st: &Arc<State>, id: &str) -> Result<Resp> {
    pipe_out(st, vec!["export".into(), id.into()], "application/x-tar").await
}

/// `X-Docker-Container-Path-Stat` from the first entry of the tar `burrow cp` writes.
async fn path_stat(st: &State, id: &str, path: &str) -> Result<(Value, Vec<u8>)> {
    let src = format!("{id}:{path}");
    let out = st.cli.run(&["cp", &src, "-"]).await.map_err(|e| {
        if e.status == StatusCode::NOT_FOUND || e.message.contains("No such file") {
            ApiError::not_found(format!("Could not find the file {path} in container {id}"))
        } else {
            e
        }
    })?;
    let mut ar = tar::Archive::new(&out[..]);
    let stat = {
        let mut entries = ar
            .entries()
            .map_err(|e| ApiError::internal(format!("read archive: {e}")))?;
        let Some(Ok(first)) = entries.next() else {
            return Err(ApiError::not_found(format!(
                "Could not find the file {path} in container {id}"
            )));
        };
        let h = first.header();
        let mut mode = h.mode().unwrap_or(0o644) as u64 & 0o7777;
        if h.entry_type().is_dir() {
            mode |= 1 << 31;
        } else if h.entry_type().is_symlink() {
            mode |= 1 << 27;
        }
        let name = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        let mtime = h.mtime().unwrap_or(0) as i64;
        json!({
            "name": if name.is_empty() { "/".to_string() } else { name },
            "size": h.size().unwrap_or(0),
            "mode": mode,
            "mtime": chrono::DateTime::from_timestamp(mtime, 0).map(|t| t.to_rfc3339()).unwrap_or_default(),
            "linkTarget": h.link_name().ok().flatten().map(|l| l.display().to_string()).unwrap_or_default(),
        })
    };
    Ok((stat, out))
}

pub async fn archive_get(st: &State, id: &str, req: &Req) -> Result<Resp> {
    let path = req.q("path").unwrap_or("/").to_string();
    let (stat, tar) = path_stat(st, id, &path).await?;
    let head = req.method == hyper::Method::HEAD;
    let mut r = if head {
        body::empty(StatusCode::OK)
    } else {
        body::respond(StatusCode::OK, "application/x-tar", tar)
    };
    let enc = base64::engine::general_purpose::STANDARD.encode(stat.to_string());
    if let Ok(v) = enc.parse() {
        r.headers_mut().insert("X-Docker-Container-Path-Stat", v);
    }
    Ok(r)
}

pub async fn archive_put(st: &State, id: String, req: Req) -> Result<Resp> {
    let path = req.q("path").unwrap_or("/").to_string();
    let data = req.bytes().await?;
    let dst = format!("{id}:{path}");
    st.cli.run_input(&["cp", "-", &dst], Some(data)).await?;
    Ok(body::empty(StatusCode::OK))
}

pub async fn update(st: &State, id: String, req: Req) -> Result<Resp> {
    let b = req.json().await?;
    let mut args: Vec<String> = vec!["update".into()];
    let num = |k: &str| b[k].as_i64().filter(|n| *n != 0);
    if let Some(m) = num("Memory") {
        args.extend(["--memory".into(), m.to_string()]);
    }
    if let Some(m) = num("MemorySwap") {
        args.extend(["--memory-swap".into(), m.to_string()]);
    }
    if let Some(c) = num("NanoCpus") {
        args.extend(["--cpus".into(), format!("{}", c as f64 / 1e9)]);
    }
    if let Some(c) = num("CpuShares") {
        args.extend(["--cpu-shares".into(), c.to_string()]);
    }
    if let Some(p) = num("PidsLimit") {
        args.extend(["--pids-limit".into(), p.to_string()]);
    }
    if let Some(r) = b["RestartPolicy"]["Name"]
        .as_str()
        .filter(|r| !r.is_empty())
    {
        args.extend(["--restart".into(), r.to_string()]);
    }
    if args.len() > 1 {
        args.push(id);
        st.cli.run(&args).await?;
    }
    Ok(body::ok_json(json!({"Warnings": []})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_have_docker_fields() {
        let mut c = ContainerSummary {
            id: "abc".into(),
            name: "web".into(),
            image_id: "1234".into(),
            ports: vec![network::PortMapping {
                host_ip: None,
                host_port: 8080,
                container_port: 80,
                protocol: network::Protocol::Tcp,
            }],
            ..Default::default()
        };
        c.state.status = Some(Status::Exited);
        c.state.exit_code = 3;
        let st = State::new("burrow".into(), Vec::new());
        let r = docker_row(&st, &c);
        assert_eq!(r["Names"][0], "/web");
        assert_eq!(r["ImageID"], "sha256:1234");
        assert_eq!(r["Ports"][0]["PublicPort"], 8080);
        assert_eq!(r["Ports"][0]["IP"], "0.0.0.0");
        assert_eq!(r["Ports"][0]["Type"], "tcp");
        assert!(r["Status"].as_str().unwrap().starts_with("Exited (3) "));
    }
}
