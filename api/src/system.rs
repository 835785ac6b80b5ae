//! `_ping`, `version`, `info`, `events`, `system/df` and `auth`: the service and the host.

use std::sync::Arc;

use hyper::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use crate::body::{self, Resp, Result};
use crate::router::{Req, State};

/// The newest Engine API version answered; clients negotiate down to it.
pub const API_VERSION: &str = "1.47";
pub const MIN_API_VERSION: &str = "1.24";

pub fn ping(req: &Req) -> Resp {
    let mut r = if req.method == hyper::Method::HEAD {
        body::empty(StatusCode::OK)
    } else {
        body::respond(StatusCode::OK, "text/plain; charset=utf-8", "OK")
    };
    let h = r.headers_mut();
    h.insert(
        "Builder-Version",
        hyper::header::HeaderValue::from_static("1"),
    );
    h.insert(
        "Docker-Experimental",
        hyper::header::HeaderValue::from_static("false"),
    );
    h.insert(
        "Cache-Control",
        hyper::header::HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    r
}

fn kernel() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub async fn version(_st: &State) -> Result<Resp> {
    let v = env!("CARGO_PKG_VERSION");
    let k = kernel();
    Ok(body::ok_json(json!({
        "Platform": {"Name": "Burrow Engine"},
        "Components": [{
            "Name": "Engine",
            "Version": v,
            "Details": {
                "ApiVersion": API_VERSION,
                "MinAPIVersion": MIN_API_VERSION,
                "Arch": "amd64",
                "KernelVersion": k,
                "Os": "linux",
                "GitCommit": "",
                "GoVersion": "",
                "BuildTime": "",
                "Experimental": "false",
            }
        }],
        "Version": v,
        "ApiVersion": API_VERSION,
        "MinAPIVersion": MIN_API_VERSION,
        "GitCommit": "",
        "GoVersion": "",
        "Os": "linux",
        "Arch": std::env::consts::ARCH.replace("x86_64", "amd64"),
        "KernelVersion": k,
        "BuildTime": "",
    })))
}

pub async fn info(st: &State) -> Result<Resp> {
    let i = st.cli.json(&["info", "--format", "json"]).await?;
    let host = &i["host"];
    let store = &i["store"];
    let cs = &store["containerStore"];
    let rootless = !nix::unistd::geteuid().is_root();
    let mut security = vec![json!("name=seccomp,profile=default")];
    if rootless {
        security.push(json!("name=rootless"));
    }
    Ok(body::ok_json(json!({
        "ID": host["hostname"],
        "Containers": cs["number"],
        "ContainersRunning": cs["running"],
        "ContainersPaused": cs["paused"],
        "ContainersStopped": cs["stopped"],
        "Images": store["imageStore"]["number"],
        "Driver": store["graphDriverName"],
        "DriverStatus": [["Backing Filesystem", "extfs"]],
        "DockerRootDir": store["graphRoot"],
        "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "none"], "Log": ["k8s-file"]},
        "MemoryLimit": true,
        "SwapLimit": true,
        "CpuCfsPeriod": true,
        "CpuCfsQuota": true,
        "CPUShares": true,
        "CPUSet": true,
        "PidsLimit": true,
        "IPv4Forwarding": true,
        "Debug": false,
        "NFd": 0,
        "NGoroutines": 0,
        "SystemTime": chrono::Utc::now().to_rfc3339(),
        "LoggingDriver": "k8s-file",
        "CgroupDriver": host["cgroupManager"],
        "CgroupVersion": host["cgroupVersion"].as_str().unwrap_or("v2").trim_start_matches('v'),
        "KernelVersion": host["kernel"],
        "OperatingSystem": host["distribution"]["distribution"],
        "OSVersion": host["distribution"]["version"],
        "OSType": "linux",
        "Architecture": std::env::consts::ARCH,
        "NCPU": host["cpus"],
        "MemTotal": host["memTotal"],
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {"IndexConfigs": {}, "InsecureRegistryCIDRs": [], "Mirrors": []},
        "Name": host["hostname"],
        "Labels": [],
        "ExperimentalBuild": false,
        "ServerVersion": env!("CARGO_PKG_VERSION"),
        "Runtimes": {"burrow": {"path": "burrow"}},
        "DefaultRuntime": "burrow",
        "Swarm": {"LocalNodeState": "inactive", "NodeID": "", "NodeAddr": ""},
        "LiveRestoreEnabled": false,
        "Isolation": "",
        "InitBinary": "",
        "SecurityOptions": security,
        "Warnings": [],
    })))
}

/// A burrow event (its `--format json` line) in docker's shape.
pub fn docker_event(e: &Value) -> Value {
    let typ = e["Type"].as_str().unwrap_or("container");
    let action = e["Status"].as_str().unwrap_or("");
    let mut attrs = e["Attributes"].as_object().cloned().unwrap_or_default();
    if let Some(n) = e["Name"].as_str() {
        attrs.insert("name".into(), json!(n));
    }
    if typ == "container"
        && let Some(img) = e["Image"].as_str()
    {
        attrs.insert("image".into(), json!(img));
    }
    let nano = e["TimeNano"].as_i64().unwrap_or(0);
    let mut out = json!({
        "Type": typ,
        "Action": action,
        "Actor": {"ID": e["ID"], "Attributes": attrs},
        "scope": "local",
        "time": nano / 1_000_000_000,
        "timeNano": nano,
    });
    if typ == "container" {
        out["status"] = json!(action);
        out["id"] = e["ID"].clone();
        out["from"] = e["Image"].clone();
    }
    out
}

/// Docker filter names that burrow's `events --filter` knows under the same name.
fn event_filter(k: &str, v: &str) -> Option<String> {
    let k = match k {
        "container" | "image" | "event" | "type" | "label" | "volume" | "pod" => k,
        "network" => return None,
        _ => return None,
    };
    Some(format!("{k}={v}"))
}

pub async fn events(st: &Arc<State>, req: Req) -> Result<Resp> {
    let mut args: Vec<String> = vec!["events".into(), "--format".into(), "json".into()];
    for (k, v) in req.filters()? {
        if let Some(f) = event_filter(&k, &v) {
            args.push("--filter".into());
            args.push(f);
        }
    }
    if let Some(s) = req.q("since").filter(|s| !s.is_empty()) {
        args.push("--since".into());
        args.push(s.split('.').next().unwrap_or(s).to_string());
    }
    if let Some(u) = req.q("until").filter(|s| !s.is_empty()) {
        args.push("--until".into());
        args.push(u.split('.').next().unwrap_or(u).to_string());
        args.push("--stream=false".into());
    }
    let mut child = st
        .cli
        .command(&args)
        .spawn()
        .map_err(|e| body::ApiError::internal(format!("run burrow events: {e}")))?;
    let Some(stdout) = child.stdout.take() else {
        return Err(body::ApiError::internal("burrow events has no output"));
    };
    let (resp, tx) = body::stream("application/json");
    let busy = st.busy();
    tokio::spawn(async move {
        let _busy = busy;
        let _child = child;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let Ok(e) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let mut s = docker_event(&e).to_string();
            s.push('\n');
            if tx.send(s.into()).await.is_err() {
                break;
            }
        }
    });
    Ok(resp)
}

pub async fn df(st: &State) -> Result<Resp> {
    let images = crate::images::list_json(st, true).await?;
    let containers = crate::containers::list_json(st, true, &[]).await?;
    let volumes = st.cli.json(&["volume", "ls", "--format", "json"]).await?;
    let volumes: Vec<Value> = volumes
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| {
                    let mut d = crate::objects::docker_volume(v);
                    d["UsageData"] = json!({"Size": -1, "RefCount": -1});
                    d
                })
                .collect()
        })
        .unwrap_or_default();
    let layers: i64 = images.iter().filter_map(|i| i["Size"].as_i64()).sum();
    Ok(body::ok_json(json!({
        "LayersSize": layers,
        "Images": images,
        "Containers": containers,
        "Volumes": volumes,
        "BuildCache": [],
    })))
}

pub fn auth() -> Resp {
    // Credentials are accepted and not checked: burrow logs in when it pulls or pushes.
    body::ok_json(json!({"Status": "Login Succeeded", "IdentityToken": ""}))
}
