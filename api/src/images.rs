//! Image endpoints: list, inspect, history, pull (`images/create`, streamed progress), push,
//! tag, remove, prune, save/load tarballs and the classic builder (`POST /build`, a tar
//! context unpacked to a private directory and built by `burrow build`).

use std::sync::Arc;

use bytes::Bytes;
use hyper::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};

use crate::body::{self, ApiError, Resp, Result};
use crate::router::{Req, State};

/// "2.18 MB" (burrow's human size) back to bytes, close enough for listings.
fn parse_size(s: &str) -> i64 {
    let mut it = s.split_whitespace();
    let n: f64 = it.next().and_then(|n| n.parse().ok()).unwrap_or(0.0);
    let mult = match it.next().unwrap_or("B") {
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => 1.0,
    };
    (n * mult) as i64
}

fn unix(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.timestamp())
        .unwrap_or(0)
}

fn sha(id: &str) -> String {
    if id.starts_with("sha256:") {
        id.to_string()
    } else {
        format!("sha256:{id}")
    }
}

pub async fn list_json(st: &State, all: bool) -> Result<Vec<Value>> {
    let mut args = vec!["images", "--format", "json"];
    if all {
        args.push("-a");
    }
    let rows = st.cli.json(&args).await?;
    Ok(rows
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|i| {
            let size = parse_size(i["Size"].as_str().unwrap_or(""));
            let names: Vec<Value> = i["Names"].as_array().cloned().unwrap_or_default();
            let repo = i["Repository"].as_str().unwrap_or("");
            let digests: Vec<Value> = match i["Digest"].as_str() {
                Some(d) if !repo.is_empty() && repo != "<none>" => {
                    vec![json!(format!("{repo}@{d}"))]
                }
                _ => vec![],
            };
            json!({
                "Id": sha(i["Id"].as_str().unwrap_or("")),
                "ParentId": "",
                "RepoTags": names,
                "RepoDigests": digests,
                "Created": unix(i["CreatedAt"].as_str().unwrap_or("")),
                "Size": size,
                "VirtualSize": size,
                "SharedSize": -1,
                "Labels": {},
                "Containers": -1,
            })
        })
        .collect())
}

pub async fn list(st: &State, req: &Req) -> Result<Resp> {
    let mut rows = list_json(st, req.flag("all")).await?;
    for (k, v) in req.filters()? {
        if k == "reference" {
            rows.retain(|r| {
                r["RepoTags"].as_array().is_some_and(|t| {
                    t.iter().filter_map(Value::as_str).any(|n| {
                        n == v
                            || n.ends_with(&format!("/{v}"))
                            || n.split(':').next() == Some(&v)
                            || n.split(':')
                                .next()
                                .is_some_and(|r| r.ends_with(&format!("/{v}")))
                    })
                })
            });
        } else if k == "dangling" {
            let want = v == "true" || v == "1";
            rows.retain(|r| r["RepoTags"].as_array().is_none_or(|t| t.is_empty()) == want);
        }
    }
    Ok(body::ok_json(Value::Array(rows)))
}

fn not_found(name: &str) -> impl Fn(ApiError) -> ApiError + '_ {
    move |e| {
        if e.status == StatusCode::NOT_FOUND || e.message.contains("unknown") {
            ApiError::not_found(format!("No such image: {name}"))
        } else {
            e
        }
    }
}

pub async fn inspect(st: &State, name: &str) -> Result<Resp> {
    let v = st
        .cli
        .json(&["image", "inspect", "--format", "json", name])
        .await
        .map_err(not_found(name))?;
    let mut i = v.get(0).cloned().unwrap_or(Value::Null);
    if let Some(id) = i["Id"].as_str() {
        i["Id"] = json!(sha(id));
    }
    if i["Labels"].is_null() {
        i["Labels"] = json!({});
    }
    i["Config"]["Labels"] = i["Labels"].clone();
    i["ContainerConfig"] = i["Config"].clone();
    i["VirtualSize"] = i["Size"].clone();
    i["DockerVersion"] = json!("");
    Ok(body::ok_json(i))
}

pub async fn history(st: &State, name: &str) -> Result<Resp> {
    let v = st
        .cli
        .json(&["history", "--format", "json", name])
        .await
        .map_err(not_found(name))?;
    let rows: Vec<Value> = v
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|h| {
            json!({
                "Id": h["id"].as_str().map(sha).unwrap_or_else(|| "<missing>".into()),
                "Created": unix(h["created"].as_str().unwrap_or("")),
                "CreatedBy": h["CreatedBy"],
                "Tags": h["tags"],
                "Size": h["size"],
                "Comment": h["comment"],
            })
        })
        .collect();
    Ok(body::ok_json(Value::Array(rows)))
}

/// Streams a burrow command's output lines as docker's JSON progress messages; a failure
/// ends the stream with an `error` message (the status is already 200 by then).
async fn progress(
    st: &Arc<State>,
    args: Vec<String>,
    input: Option<Bytes>,
    key: &'static str,
    done: Vec<Value>,
) -> Result<Resp> {
    let mut cmd = st.cli.command(&args);
    if input.is_some() {
        cmd.stdin(std::process::Stdio::piped());
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| ApiError::internal(format!("run burrow: {e}")))?;
    if let (Some(data), Some(mut stdin)) = (input, child.stdin.take()) {
        tokio::spawn(async move {
            let _ = tokio::io::AsyncWriteExt::write_all(&mut stdin, &data).await;
        });
    }
    let (resp, tx) = body::stream("application/json");
    let busy = st.busy();
    let out = child.stdout.take();
    let err = child.stderr.take();
    tokio::spawn(async move {
        let _busy = busy;
        let send = |v: Value| {
            let tx = tx.clone();
            async move { tx.send(Bytes::from(format!("{v}\r\n"))).await.is_ok() }
        };
        let errors = tokio::spawn(async move {
            let mut s = String::new();
            if let Some(mut e) = err {
                let _ = e.read_to_string(&mut s).await;
            }
            s
        });
        if let Some(o) = out {
            let mut lines = tokio::io::BufReader::new(o).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let msg = if key == "stream" { format!("{l}\n") } else { l };
                if !send(json!({ key: msg })).await {
                    return;
                }
            }
        }
        let stderr = errors.await.unwrap_or_default();
        match child.wait().await {
            Ok(s) if s.success() => {
                for d in done {
                    send(d).await;
                }
            }
            _ => {
                let e = crate::burrow::failure(stderr.as_bytes());
                send(json!({"errorDetail": {"message": e.message}, "error": e.message})).await;
            }
        }
    });
    Ok(resp)
}

pub async fn pull(st: &Arc<State>, req: Req) -> Result<Resp> {
    if let Some(src) = req.q("fromSrc").filter(|s| !s.is_empty()) {
        let mut args: Vec<String> = vec!["import".into()];
        let repo = req.q("repo").unwrap_or("").to_string();
        let src = src.to_string();
        let data = if src == "-" {
            Some(req.bytes().await?)
        } else {
            None
        };
        args.push(src);
        if !repo.is_empty() {
            args.push(repo);
        }
        return progress(st, args, data, "status", vec![]).await;
    }
    let image = req.q("fromImage").unwrap_or("").to_string();
    if image.is_empty() {
        return Err(ApiError::bad_request("fromImage is required"));
    }
    let tag = req.q("tag").filter(|t| !t.is_empty());
    let reference = match tag {
        Some(t) if t.starts_with("sha256:") => format!("{image}@{t}"),
        Some(t) => format!("{image}:{t}"),
        None if image.contains('@')
            || image.rsplit('/').next().is_some_and(|l| l.contains(':')) =>
        {
            image.clone()
        }
        None => format!("{image}:latest"),
    };
    let args = vec!["pull".into(), reference.clone()];
    let done = vec![json!({"status": format!("Status: Downloaded newer image for {reference}")})];
    progress(st, args, None, "status", done).await
}

pub async fn push(st: &Arc<State>, name: &str, req: Req) -> Result<Resp> {
    let reference = match req.q("tag").filter(|t| !t.is_empty()) {
        Some(t) => format!("{name}:{t}"),
        None => name.to_string(),
    };
    let done = vec![
        json!({"status": format!("pushed {reference}"), "aux": {"Tag": req.q("tag").unwrap_or("latest")}}),
    ];
    progress(st, vec!["push".into(), reference], None, "status", done).await
}

pub async fn tag(st: &State, name: &str, req: &Req) -> Result<Resp> {
    let repo = req.q("repo").unwrap_or("");
    let target = match req.q("tag").filter(|t| !t.is_empty()) {
        Some(t) => format!("{repo}:{t}"),
        None => repo.to_string(),
    };
    st.cli
        .run(&["tag", name, &target])
        .await
        .map_err(not_found(name))?;
    Ok(body::empty(StatusCode::CREATED))
}

pub async fn remove(st: &State, name: &str, req: &Req) -> Result<Resp> {
    let mut args = vec!["rmi"];
    if req.flag("force") {
        args.push("-f");
    }
    args.push(name);
    let out = st.cli.run(&args).await.map_err(not_found(name))?;
    let mut rows: Vec<Value> = Vec::new();
    for l in String::from_utf8_lossy(&out).lines() {
        if let Some(t) = l.strip_prefix("Untagged: ") {
            rows.push(json!({"Untagged": t}));
        } else if let Some(d) = l.strip_prefix("Deleted: ") {
            rows.push(json!({"Deleted": sha(d)}));
        }
    }
    Ok(body::ok_json(Value::Array(rows)))
}

pub async fn prune(st: &State, req: &Req) -> Result<Resp> {
    let mut args = vec!["image", "prune", "-f"];
    if req
        .filters()?
        .iter()
        .any(|(k, v)| k == "dangling" && (v == "false" || v == "0"))
    {
        args.push("-a");
    }
    let out = st.cli.run(&args).await?;
    let deleted: Vec<Value> = String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| json!({"Deleted": sha(l.trim())}))
        .collect();
    Ok(body::ok_json(
        json!({"ImagesDeleted": deleted, "SpaceReclaimed": 0}),
    ))
}

pub async fn save(st: &Arc<State>, req: &Req) -> Result<Resp> {
    let names: Vec<String> = req
        .inner
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.strip_prefix("names="))
        .map(crate::router::percent_decode)
        .collect();
    if names.is_empty() {
        return Err(ApiError::bad_request("names is required"));
    }
    let mut args: Vec<String> = vec!["save".into()];
    args.extend(names);
    crate::containers::pipe_out(st, args, "application/x-tar").await
}

pub async fn save_one(st: &Arc<State>, name: &str) -> Result<Resp> {
    crate::containers::pipe_out(st, vec!["save".into(), name.into()], "application/x-tar").await
}

pub async fn load(st: &Arc<State>, req: Req) -> Result<Resp> {
    let data = req.bytes().await?;
    progress(st, vec!["load".into()], Some(data), "stream", vec![]).await
}

/// Unpacks a build context (a tar, maybe gzip-compressed) into `dir`.
fn unpack(data: &[u8], dir: &std::path::Path) -> std::io::Result<()> {
    if data.starts_with(&[0x1f, 0x8b]) {
        tar::Archive::new(flate2_free_gunzip(data)?.as_slice()).unpack(dir)
    } else {
        tar::Archive::new(data).unpack(dir)
    }
}

/// Gzip contexts are rare (docker sends plain tar unless told to compress); they are
/// unpacked with the host's gzip rather than linking an inflater for them.
fn flate2_free_gunzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .arg("-dc")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("gzip stdin"))?;
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output()?;
    let _ = writer.join();
    Ok(out.stdout)
}

pub async fn build(st: &Arc<State>, req: Req) -> Result<Resp> {
    let mut args: Vec<String> = vec!["build".into()];
    let all = req.inner.uri().query().unwrap_or("").to_string();
    for kv in all.split('&') {
        if let Some(t) = kv.strip_prefix("t=") {
            args.extend(["--tag".into(), crate::router::percent_decode(t)]);
        }
    }
    let mut dockerfile = req.q("dockerfile").unwrap_or("Dockerfile").to_string();
    if dockerfile.is_empty() {
        dockerfile = "Dockerfile".into();
    }
    if req.flag("nocache") {
        args.push("--no-cache".into());
    }
    if let Some(t) = req.q("target").filter(|t| !t.is_empty()) {
        args.extend(["--target".into(), t.into()]);
    }
    for (key, flag) in [("buildargs", "--build-arg"), ("labels", "--label")] {
        if let Some(raw) = req.q(key).filter(|r| !r.is_empty())
            && let Ok(Value::Object(m)) = serde_json::from_str::<Value>(raw)
        {
            for (k, v) in m {
                args.extend([flag.into(), format!("{k}={}", v.as_str().unwrap_or(""))]);
            }
        }
    }
    let quiet = req.flag("q");
    let data = req.bytes().await?;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("burrow-build-{}", crate::exec::new_id()));
    let d2 = dir.clone();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&d2)?;
        unpack(&data, &d2)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| ApiError::bad_request(format!("unpack the build context: {e}")))?;
    args.extend(["--file".into(), dir.join(&dockerfile).display().to_string()]);
    let iid = dir.join(".iidfile");
    args.extend(["--iidfile".into(), iid.display().to_string()]);
    if quiet {
        args.push("--quiet".into());
    }
    args.push(dir.display().to_string());
    let mut cmd = st.cli.command(&args);
    cmd.stderr(std::process::Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| ApiError::internal(format!("run burrow build: {e}")))?;
    let (resp, tx) = body::stream("application/json");
    let busy = st.busy();
    let out = child.stdout.take();
    let err = child.stderr.take();
    tokio::spawn(async move {
        let _busy = busy;
        let (ltx, mut lrx) = tokio::sync::mpsc::channel::<String>(64);
        let feed = |r: Option<Box<dyn tokio::io::AsyncRead + Send + Unpin>>,
                    ltx: tokio::sync::mpsc::Sender<String>| {
            tokio::spawn(async move {
                let Some(r) = r else { return };
                let mut lines = tokio::io::BufReader::new(r).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    if ltx.send(l).await.is_err() {
                        break;
                    }
                }
            })
        };
        let a = feed(out.map(|o| Box::new(o) as _), ltx.clone());
        let b = feed(err.map(|o| Box::new(o) as _), ltx);
        let mut last_error = String::new();
        while let Some(l) = lrx.recv().await {
            if let Some(e) = l.strip_prefix("Error: ") {
                last_error = e.to_string();
                continue;
            }
            if !quiet {
                let _ = tx
                    .send(Bytes::from(format!(
                        "{}\r\n",
                        json!({"stream": format!("{l}\n")})
                    )))
                    .await;
            }
        }
        let _ = (a.await, b.await);
        let ok = child.wait().await.is_ok_and(|s| s.success());
        let id = std::fs::read_to_string(&iid)
            .unwrap_or_default()
            .trim()
            .to_string();
        let msgs = if ok && !id.is_empty() {
            let short: String = id.trim_start_matches("sha256:").chars().take(12).collect();
            vec![
                json!({"aux": {"ID": sha(&id)}}),
                json!({"stream": format!("Successfully built {short}\n")}),
            ]
        } else {
            let m = if last_error.is_empty() {
                "build failed".to_string()
            } else {
                last_error
            };
            vec![json!({"errorDetail": {"message": m}, "error": m})]
        };
        for m in msgs {
            let _ = tx.send(Bytes::from(format!("{m}\r\n"))).await;
        }
        let _ = tokio::fs::remove_dir_all(&dir).await;
    });
    Ok(resp)
}
