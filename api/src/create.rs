//! `POST /containers/create`: docker's Config, HostConfig and NetworkingConfig turned into a
//! `burrow create` command line, so the container is exactly what the CLI would create.

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::body::{self, ApiError, Resp, Result};
use crate::router::{Req, State};

fn strs(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str())
            .map(str::to_string)
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn push(args: &mut Vec<String>, flag: &str, value: impl Into<String>) {
    args.push(flag.to_string());
    args.push(value.into());
}

/// The networks docker means by "use the default": burrow picks its own default.
fn default_network(mode: &str) -> bool {
    matches!(mode, "" | "default" | "bridge")
}

/// The `burrow create` arguments (without the program) for a docker create request.
pub fn create_args(name: Option<&str>, b: &Value) -> std::result::Result<Vec<String>, String> {
    let mut a: Vec<String> = vec!["create".into(), "--pull".into(), "never".into()];
    let hc = &b["HostConfig"];
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        push(&mut a, "--name", n);
    }
    let image = b["Image"]
        .as_str()
        .filter(|i| !i.is_empty())
        .ok_or("Config.Image is required")?;
    let s = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(h) = s(&b["Hostname"]) {
        push(&mut a, "--hostname", h);
    }
    if let Some(u) = s(&b["User"]) {
        push(&mut a, "--user", u);
    }
    if let Some(w) = s(&b["WorkingDir"]) {
        push(&mut a, "--workdir", w);
    }
    for e in strs(&b["Env"]) {
        push(&mut a, "--env", e);
    }
    if let Some(labels) = b["Labels"].as_object() {
        for (k, v) in labels {
            push(
                &mut a,
                "--label",
                format!("{k}={}", v.as_str().unwrap_or("")),
            );
        }
    }
    if b["Tty"].as_bool() == Some(true) {
        a.push("--tty".into());
    }
    if b["OpenStdin"].as_bool() == Some(true) {
        a.push("--interactive".into());
    }
    if let Some(sig) = s(&b["StopSignal"]) {
        push(&mut a, "--stop-signal", sig);
    }
    if let Some(t) = b["StopTimeout"].as_i64() {
        push(&mut a, "--stop-timeout", t.to_string());
    }
    // Anonymous volumes, unless a bind or mount already covers the path (compose sends both).
    let mut covered: Vec<String> = strs(&hc["Binds"])
        .iter()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .collect();
    if let Some(m) = hc["Mounts"].as_array() {
        covered.extend(
            m.iter()
                .filter_map(|m| m["Target"].as_str())
                .map(str::to_string),
        );
    }
    if let Some(vols) = b["Volumes"].as_object() {
        for path in vols.keys().filter(|p| !covered.contains(p)) {
            push(&mut a, "--volume", path.clone());
        }
    }
    if let Some(hcheck) = b["Healthcheck"].as_object() {
        let test = strs(&hcheck.get("Test").cloned().unwrap_or(Value::Null));
        match test.first().map(String::as_str) {
            Some("NONE") => a.push("--no-healthcheck".into()),
            Some("CMD-SHELL") if test.len() > 1 => push(&mut a, "--health-cmd", test[1].clone()),
            Some("CMD") if test.len() > 1 => push(
                &mut a,
                "--health-cmd",
                serde_json::to_string(&test[1..]).unwrap_or_default(),
            ),
            _ => {}
        }
        let dur = |k: &str| hcheck.get(k).and_then(Value::as_i64).filter(|n| *n > 0);
        for (k, flag) in [
            ("Interval", "--health-interval"),
            ("Timeout", "--health-timeout"),
            ("StartPeriod", "--health-start-period"),
        ] {
            if let Some(ns) = dur(k) {
                push(&mut a, flag, format!("{}ms", ns / 1_000_000));
            }
        }
        if let Some(r) = dur("Retries") {
            push(&mut a, "--health-retries", r.to_string());
        }
    }

    for bind in strs(&hc["Binds"]) {
        push(&mut a, "--volume", bind);
    }
    if let Some(mounts) = hc["Mounts"].as_array() {
        for m in mounts {
            let mut spec = format!(
                "type={},destination={}",
                m["Type"].as_str().unwrap_or("volume"),
                m["Target"].as_str().unwrap_or("")
            );
            if let Some(src) = s(&m["Source"]) {
                spec.push_str(&format!(",source={src}"));
            }
            if m["ReadOnly"].as_bool() == Some(true) {
                spec.push_str(",readonly");
            }
            if let Some(size) = m["TmpfsOptions"]["SizeBytes"].as_i64() {
                spec.push_str(&format!(",tmpfs-size={size}"));
            }
            push(&mut a, "--mount", spec);
        }
    }
    if let Some(t) = hc["Tmpfs"].as_object() {
        for (path, opts) in t {
            match opts.as_str().filter(|o| !o.is_empty()) {
                Some(o) => push(&mut a, "--tmpfs", format!("{path}:{o}")),
                None => push(&mut a, "--tmpfs", path.clone()),
            }
        }
    }
    if let Some(pb) = hc["PortBindings"].as_object() {
        for (cport, binds) in pb {
            let binds = binds.as_array().cloned().unwrap_or_default();
            if binds.is_empty() {
                push(&mut a, "--publish", cport.clone());
            }
            for bnd in binds {
                let ip = bnd["HostIp"].as_str().unwrap_or("");
                let port = bnd["HostPort"].as_str().unwrap_or("");
                let spec = match (ip.is_empty(), port.is_empty()) {
                    (true, true) => cport.clone(),
                    (true, false) => format!("{port}:{cport}"),
                    (false, _) => format!("{ip}:{port}:{cport}"),
                };
                push(&mut a, "--publish", spec);
            }
        }
    }
    if hc["PublishAllPorts"].as_bool() == Some(true) {
        a.push("--publish-all".into());
    }
    let mode = hc["NetworkMode"].as_str().unwrap_or("");
    let endpoints = b["NetworkingConfig"]["EndpointsConfig"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if !default_network(mode) {
        push(&mut a, "--network", mode);
    }
    for (net, cfg) in &endpoints {
        if default_network(mode) && !default_network(net) {
            push(&mut a, "--network", net.clone());
        }
        for alias in strs(&cfg["Aliases"]) {
            push(&mut a, "--network-alias", alias);
        }
        if let Some(ip) = s(&cfg["IPAMConfig"]["IPv4Address"]) {
            push(&mut a, "--ip", ip);
        }
    }
    if let Some(rp) = s(&hc["RestartPolicy"]["Name"]) {
        let max = hc["RestartPolicy"]["MaximumRetryCount"]
            .as_i64()
            .unwrap_or(0);
        if rp == "on-failure" && max > 0 {
            push(&mut a, "--restart", format!("on-failure:{max}"));
        } else if rp != "no" {
            push(&mut a, "--restart", rp);
        }
    }
    if hc["AutoRemove"].as_bool() == Some(true) {
        a.push("--rm".into());
    }
    let n = |k: &str| hc[k].as_i64().filter(|n| *n > 0);
    if let Some(m) = n("Memory") {
        push(&mut a, "--memory", m.to_string());
    }
    if let Some(m) = n("MemorySwap") {
        push(&mut a, "--memory-swap", m.to_string());
    }
    if let Some(m) = n("MemoryReservation") {
        push(&mut a, "--memory-reservation", m.to_string());
    }
    if let Some(c) = n("NanoCpus") {
        push(&mut a, "--cpus", format!("{}", c as f64 / 1e9));
    } else if let (Some(q), Some(p)) = (n("CpuQuota"), n("CpuPeriod")) {
        push(&mut a, "--cpus", format!("{}", q as f64 / p as f64));
    }
    if let Some(c) = n("CpuShares") {
        push(&mut a, "--cpu-shares", c.to_string());
    }
    if let Some(c) = s(&hc["CpusetCpus"]) {
        push(&mut a, "--cpuset-cpus", c);
    }
    if let Some(p) = n("PidsLimit") {
        push(&mut a, "--pids-limit", p.to_string());
    }
    if let Some(sz) = n("ShmSize") {
        push(&mut a, "--shm-size", sz.to_string());
    }
    for c in strs(&hc["CapAdd"]) {
        push(&mut a, "--cap-add", c);
    }
    for c in strs(&hc["CapDrop"]) {
        push(&mut a, "--cap-drop", c);
    }
    for g in strs(&hc["GroupAdd"]) {
        push(&mut a, "--group-add", g);
    }
    for o in strs(&hc["SecurityOpt"]) {
        push(&mut a, "--security-opt", o);
    }
    if hc["Privileged"].as_bool() == Some(true) {
        a.push("--privileged".into());
    }
    if hc["ReadonlyRootfs"].as_bool() == Some(true) {
        a.push("--read-only".into());
    }
    if hc["Init"].as_bool() == Some(true) {
        a.push("--init".into());
    }
    for h in strs(&hc["ExtraHosts"]) {
        push(&mut a, "--add-host", h);
    }
    for d in strs(&hc["Dns"]) {
        push(&mut a, "--dns", d);
    }
    for d in strs(&hc["DnsSearch"]) {
        push(&mut a, "--dns-search", d);
    }
    for d in strs(&hc["DnsOptions"]) {
        push(&mut a, "--dns-option", d);
    }
    if let Some(devs) = hc["Devices"].as_array() {
        for d in devs {
            let host = d["PathOnHost"].as_str().unwrap_or("");
            let inner = d["PathInContainer"]
                .as_str()
                .filter(|p| !p.is_empty())
                .unwrap_or(host);
            push(&mut a, "--device", format!("{host}:{inner}"));
        }
    }
    if let Some(ul) = hc["Ulimits"].as_array() {
        for u in ul {
            push(
                &mut a,
                "--ulimit",
                format!(
                    "{}={}:{}",
                    u["Name"].as_str().unwrap_or(""),
                    u["Soft"],
                    u["Hard"]
                ),
            );
        }
    }
    if let Some(vf) = hc["VolumesFrom"].as_array() {
        for v in vf.iter().filter_map(Value::as_str) {
            push(&mut a, "--volumes-from", v);
        }
    }

    let entrypoint = strs(&b["Entrypoint"]);
    let cmd = strs(&b["Cmd"]);
    let mut rest: Vec<String> = Vec::new();
    match (&b["Entrypoint"], entrypoint.split_first()) {
        (_, Some((first, more))) => {
            push(&mut a, "--entrypoint", first.clone());
            rest.extend(more.iter().cloned());
        }
        // `"Entrypoint": []` or `""` clears the image's entrypoint.
        (Value::Array(_) | Value::String(_), None) => push(&mut a, "--entrypoint", ""),
        _ => {}
    }
    rest.extend(cmd);
    a.push("--".into());
    a.push(image.to_string());
    a.extend(rest);
    Ok(a)
}

pub async fn create(st: &State, req: Req) -> Result<Resp> {
    let name = req.q("name").map(str::to_string);
    let b = req.json().await?;
    let args = create_args(name.as_deref(), &b).map_err(ApiError::bad_request)?;
    // Docker clients expect a 404 for a missing image, so that they pull (with progress)
    // and retry: burrow must not pull it itself.
    let image = b["Image"].as_str().unwrap_or("");
    let out = st.cli.run(&args).await.map_err(|e| {
        if e.message.contains("already in use") {
            ApiError::new(StatusCode::CONFLICT, e.message)
        } else if e.status == StatusCode::NOT_FOUND && e.message.contains("image") {
            ApiError::not_found(format!("No such image: {image}"))
        } else {
            e
        }
    })?;
    let id = String::from_utf8_lossy(&out)
        .trim()
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    st.remember_console_size(&id, &b["HostConfig"]["ConsoleSize"]);
    Ok(body::json(
        StatusCode::CREATED,
        &json!({"Id": id, "Warnings": []}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_create_becomes_burrow_create() {
        let b = json!({
            "Image": "busybox", "Cmd": ["echo", "hi"], "Env": ["A=1"], "Tty": true,
            "Labels": {"x": "y"},
            "HostConfig": {"Binds": ["/a:/b:ro"], "AutoRemove": true, "NetworkMode": "default",
                "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}},
            "NetworkingConfig": {"EndpointsConfig": {"proj_default": {"Aliases": ["web"]}}}
        });
        let a = create_args(Some("n"), &b).unwrap().join(" ");
        assert_eq!(
            a,
            "create --pull never --name n --env A=1 --label x=y --tty --volume /a:/b:ro --publish 8080:80/tcp \
             --network proj_default --network-alias web --restart on-failure:3 --rm -- busybox echo hi"
        );
        let b = json!({"Image": "i", "Entrypoint": ["sh", "-c"], "Cmd": ["true"]});
        assert_eq!(
            create_args(None, &b).unwrap().join(" "),
            "create --pull never --entrypoint sh -- i -c true"
        );
        assert!(create_args(None, &json!({})).is_err());
    }
}
