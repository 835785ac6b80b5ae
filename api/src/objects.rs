//! Networks and volumes: create, list, inspect, connect/disconnect, remove, prune, each one
//! burrow command, reshaped into docker's JSON.

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::body::{self, ApiError, Resp, Result};
use crate::router::{Req, State};

/// A burrow network (netavark-shaped JSON) in docker's shape.
fn docker_network(n: &Value) -> Value {
    let config: Vec<Value> = n["subnets"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| json!({"Subnet": s["subnet"], "Gateway": s["gateway"]}))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "Name": n["name"],
        "Id": n["id"],
        "Created": n["created"],
        "Scope": "local",
        "Driver": n["driver"],
        "EnableIPv6": n["ipv6_enabled"],
        "IPAM": {"Driver": "default", "Options": {}, "Config": config},
        "Internal": n["internal"],
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": n["containers"].as_object().cloned().unwrap_or_default(),
        "Options": n["options"].as_object().cloned().unwrap_or_default(),
        "Labels": n["labels"].as_object().cloned().unwrap_or_default(),
    })
}

pub async fn networks(st: &State, req: &Req) -> Result<Resp> {
    let mut args: Vec<String> = vec![
        "network".into(),
        "ls".into(),
        "--format".into(),
        "json".into(),
    ];
    for (k, v) in req.filters()? {
        args.push("--filter".into());
        args.push(format!("{k}={v}"));
    }
    let v = st.cli.json(&args).await?;
    let rows: Vec<Value> = v
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(docker_network)
        .collect();
    Ok(body::ok_json(Value::Array(rows)))
}

pub async fn network_inspect(st: &State, id: &str) -> Result<Resp> {
    let v = st
        .cli
        .json(&["network", "inspect", "--format", "json", id])
        .await
        .map_err(|_| ApiError::not_found(format!("network {id} not found")))?;
    Ok(body::ok_json(docker_network(&v[0])))
}

pub async fn network_create(st: &State, req: Req) -> Result<Resp> {
    let b = req.json().await?;
    let name = b["Name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("Name is required"))?;
    let mut args: Vec<String> = vec!["network".into(), "create".into()];
    if let Some(d) = b["Driver"].as_str().filter(|d| !d.is_empty()) {
        args.extend(["--driver".into(), d.into()]);
    }
    if b["Internal"].as_bool() == Some(true) {
        args.push("--internal".into());
    }
    if let Some(l) = b["Labels"].as_object() {
        for (k, v) in l {
            args.extend([
                "--label".into(),
                format!("{k}={}", v.as_str().unwrap_or("")),
            ]);
        }
    }
    if let Some(cfgs) = b["IPAM"]["Config"].as_array() {
        for c in cfgs {
            if let Some(s) = c["Subnet"].as_str() {
                args.extend(["--subnet".into(), s.into()]);
            }
            if let Some(g) = c["Gateway"].as_str() {
                args.extend(["--gateway".into(), g.into()]);
            }
        }
    }
    args.push(name.into());
    let out = st.cli.run(&args).await.map_err(|e| {
        if e.message.contains("exists") {
            ApiError::new(
                StatusCode::CONFLICT,
                format!("network with name {name} already exists"),
            )
        } else {
            e
        }
    })?;
    let _ = out;
    let v = st
        .cli
        .json(&["network", "inspect", "--format", "json", name])
        .await?;
    Ok(body::json(
        StatusCode::CREATED,
        &json!({"Id": v[0]["id"], "Warning": ""}),
    ))
}

pub async fn network_remove(st: &State, id: &str) -> Result<Resp> {
    st.cli.run(&["network", "rm", id]).await?;
    Ok(body::empty(StatusCode::NO_CONTENT))
}

pub async fn network_prune(st: &State) -> Result<Resp> {
    let out = st.cli.run(&["network", "prune", "-f"]).await?;
    let names: Vec<String> = String::from_utf8_lossy(&out)
        .lines()
        .map(str::to_string)
        .collect();
    Ok(body::ok_json(json!({"NetworksDeleted": names})))
}

pub async fn network_connect(st: &State, id: String, req: Req, connect: bool) -> Result<Resp> {
    let b = req.json().await?;
    let ctr = b["Container"].as_str().unwrap_or("").to_string();
    let mut args: Vec<String> = vec![
        "network".into(),
        if connect { "connect" } else { "disconnect" }.into(),
    ];
    if connect {
        if let Some(a) = b["EndpointConfig"]["Aliases"].as_array() {
            for alias in a.iter().filter_map(Value::as_str) {
                args.extend(["--alias".into(), alias.into()]);
            }
        }
        if let Some(ip) = b["EndpointConfig"]["IPAMConfig"]["IPv4Address"]
            .as_str()
            .filter(|s| !s.is_empty())
        {
            args.extend(["--ip".into(), ip.into()]);
        }
    } else if b["Force"].as_bool() == Some(true) {
        args.push("--force".into());
    }
    args.push(id);
    args.push(ctr);
    st.cli.run(&args).await?;
    Ok(body::empty(StatusCode::OK))
}

pub fn docker_volume(v: &Value) -> Value {
    json!({
        "Name": v["Name"],
        "Driver": v["Driver"],
        "Mountpoint": v["Mountpoint"],
        "CreatedAt": v["CreatedAt"],
        "Labels": v["Labels"].as_object().cloned().unwrap_or_default(),
        "Scope": "local",
        "Options": v["Options"].as_object().cloned().unwrap_or_default(),
    })
}

pub async fn volumes(st: &State, req: &Req) -> Result<Resp> {
    let mut args: Vec<String> = vec![
        "volume".into(),
        "ls".into(),
        "--format".into(),
        "json".into(),
    ];
    for (k, v) in req.filters()? {
        args.push("--filter".into());
        args.push(format!("{k}={v}"));
    }
    let v = st.cli.json(&args).await?;
    let rows: Vec<Value> = v
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(docker_volume)
        .collect();
    Ok(body::ok_json(json!({"Volumes": rows, "Warnings": []})))
}

pub async fn volume_inspect(st: &State, name: &str) -> Result<Resp> {
    let v = st
        .cli
        .json(&["volume", "inspect", "--format", "json", name])
        .await
        .map_err(|_| ApiError::not_found(format!("get {name}: no such volume")))?;
    Ok(body::ok_json(docker_volume(&v[0])))
}

pub async fn volume_create(st: &State, req: Req) -> Result<Resp> {
    let b = req.json().await?;
    let mut args: Vec<String> = vec!["volume".into(), "create".into()];
    if let Some(d) = b["Driver"].as_str().filter(|d| !d.is_empty()) {
        args.extend(["--driver".into(), d.into()]);
    }
    if let Some(l) = b["Labels"].as_object() {
        for (k, v) in l {
            args.extend([
                "--label".into(),
                format!("{k}={}", v.as_str().unwrap_or("")),
            ]);
        }
    }
    if let Some(o) = b["DriverOpts"].as_object() {
        for (k, v) in o {
            args.extend(["--opt".into(), format!("{k}={}", v.as_str().unwrap_or(""))]);
        }
    }
    let name = b["Name"].as_str().unwrap_or("").to_string();
    if !name.is_empty() {
        // docker answers an existing volume's create with the volume.
        if let Ok(v) = st
            .cli
            .json(&["volume", "inspect", "--format", "json", &name])
            .await
        {
            return Ok(body::json(StatusCode::CREATED, &docker_volume(&v[0])));
        }
        args.push(name);
    }
    let out = st.cli.run(&args).await?;
    let created = String::from_utf8_lossy(&out).trim().to_string();
    let v = st
        .cli
        .json(&["volume", "inspect", "--format", "json", &created])
        .await?;
    Ok(body::json(StatusCode::CREATED, &docker_volume(&v[0])))
}

pub async fn volume_remove(st: &State, name: &str, req: &Req) -> Result<Resp> {
    let mut args = vec!["volume", "rm"];
    if req.flag("force") {
        args.push("-f");
    }
    args.push(name);
    st.cli.run(&args).await.map_err(|e| {
        if e.message.contains("in use") || e.message.contains("being used") {
            ApiError::new(StatusCode::CONFLICT, e.message)
        } else {
            e
        }
    })?;
    Ok(body::empty(StatusCode::NO_CONTENT))
}

pub async fn volume_prune(st: &State) -> Result<Resp> {
    let out = st.cli.run(&["volume", "prune", "-f"]).await?;
    let names: Vec<String> = String::from_utf8_lossy(&out)
        .lines()
        .map(str::to_string)
        .collect();
    Ok(body::ok_json(
        json!({"VolumesDeleted": names, "SpaceReclaimed": 0}),
    ))
}
