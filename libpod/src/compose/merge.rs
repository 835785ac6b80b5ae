//! Compose files as trees: the list forms normalised to maps (`environment`, `labels`,
//! `build.args`, `depends_on`, `networks`), and several files (or a service and the one it
//! `extends`) merged by docker compose's rules: maps merge key by key, `command`,
//! `entrypoint` and `healthcheck.test` are replaced, `ports`, `expose`, `dns`, `env_file`,
//! `cap_add`... are appended, `volumes`, `secrets` and `configs` are merged by target.

use serde_json::{Map, Value};

/// `[KEY=VALUE, KEY]` to `{KEY: VALUE, KEY: null}`; a map stays as it is.
fn list_to_map(v: &mut Value) {
    if let Value::Array(items) = v {
        let mut m = Map::new();
        for it in items.iter() {
            let s = match it {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match s.split_once('=') {
                Some((k, val)) => m.insert(k.to_string(), Value::String(val.to_string())),
                None => m.insert(s, Value::Null),
            };
        }
        *v = Value::Object(m);
    }
}

/// A list of names to `{name: null}` (networks) or `{name: {condition: service_started}}`.
fn names_to_map(v: &mut Value, each: impl Fn() -> Value) {
    if let Value::Array(items) = v {
        let m = items
            .iter()
            .filter_map(|i| i.as_str().map(|s| (s.to_string(), each())))
            .collect();
        *v = Value::Object(m);
    }
}

/// Normalises the list forms of one service in place.
pub fn normalise_service(svc: &mut Value) {
    let Some(o) = svc.as_object_mut() else { return };
    for key in ["environment", "labels"] {
        if let Some(v) = o.get_mut(key) {
            list_to_map(v);
        }
    }
    if let Some(Value::Object(b)) = o.get_mut("build")
        && let Some(a) = b.get_mut("args")
    {
        list_to_map(a);
    }
    if let Some(Value::Object(hosts)) = o.get("extra_hosts") {
        let list = hosts
            .iter()
            .map(|(h, ip)| Value::String(format!("{h}={}", ip.as_str().unwrap_or_default())))
            .collect();
        o.insert("extra_hosts".into(), Value::Array(list));
    }
    for key in ["annotations"] {
        if let Some(v) = o.get_mut(key) {
            list_to_map(v);
        }
    }
    if let Some(v) = o.get_mut("depends_on") {
        names_to_map(v, || serde_json::json!({"condition": "service_started"}));
    }
    if let Some(v) = o.get_mut("networks") {
        names_to_map(v, || Value::Null);
    }
}

/// Normalises every service of a file tree.
pub fn normalise_file(file: &mut Value) {
    if let Some(Value::Object(services)) = file.get_mut("services") {
        for svc in services.values_mut() {
            normalise_service(svc);
        }
    }
}

/// Merges `over` into `base`: a later file, or a service over the one it extends.
pub fn merge_files(base: &mut Value, over: Value) {
    let (Value::Object(b), Value::Object(o)) = (&mut *base, over) else {
        return;
    };
    for (k, v) in o {
        match (k.as_str(), b.get_mut(&k)) {
            ("services", Some(Value::Object(bs))) => {
                if let Value::Object(os) = v {
                    for (name, svc) in os {
                        match bs.get_mut(&name) {
                            Some(existing) => merge_service(existing, svc),
                            None => {
                                bs.insert(name, svc);
                            }
                        }
                    }
                }
            }
            (_, Some(existing)) => deep_merge(existing, v),
            (_, None) => {
                b.insert(k, v);
            }
        }
    }
}

fn deep_merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(e) => deep_merge(e, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// What a list entry is keyed by when lists merge by key (`volumes` by target...).
fn entry_key(key: &str, v: &Value) -> String {
    match (key, v) {
        ("volumes", Value::String(s)) => {
            let parts: Vec<&str> = s.split(':').collect();
            match parts.len() {
                1 => parts[0].to_string(),
                _ => parts[1].to_string(),
            }
        }
        ("volumes", Value::Object(o)) => {
            o.get("target").and_then(Value::as_str).unwrap_or("").into()
        }
        ("secrets" | "configs", Value::String(s)) => format!("/{s}"),
        ("secrets" | "configs", Value::Object(o)) => o
            .get("target")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                o.get("source")
                    .and_then(Value::as_str)
                    .map(|s| format!("/{s}"))
            })
            .unwrap_or_default(),
        (_, other) => other.to_string(),
    }
}

/// Merges one service over another (compose's per-key rules).
pub fn merge_service(base: &mut Value, over: Value) {
    let (Value::Object(b), Value::Object(o)) = (&mut *base, over) else {
        return;
    };
    for (k, v) in o {
        let Some(existing) = b.get_mut(&k) else {
            b.insert(k, v);
            continue;
        };
        match k.as_str() {
            "command" | "entrypoint" => *existing = v,
            "ports" | "expose" | "dns" | "dns_search" | "env_file" | "cap_add" | "cap_drop"
            | "extra_hosts" | "external_links" | "security_opt" | "tmpfs" | "profiles" => {
                let mut list = as_list(std::mem::take(existing));
                for item in as_list(v) {
                    if !list.contains(&item) {
                        list.push(item);
                    }
                }
                *existing = Value::Array(list);
            }
            "volumes" | "secrets" | "configs" => {
                let mut list = as_list(std::mem::take(existing));
                for item in as_list(v) {
                    let key = entry_key(&k, &item);
                    match list.iter().position(|e| entry_key(&k, e) == key) {
                        Some(i) => list[i] = item,
                        None => list.push(item),
                    }
                }
                *existing = Value::Array(list);
            }
            "healthcheck" => {
                if let (Value::Object(eh), Value::Object(oh)) = (&mut *existing, &v) {
                    for (hk, hv) in oh {
                        eh.insert(hk.clone(), hv.clone());
                    }
                } else {
                    *existing = v;
                }
            }
            "build" => match (&mut *existing, v) {
                (Value::Object(_), Value::String(ctx)) => {
                    deep_merge(existing, serde_json::json!({ "context": ctx }))
                }
                (Value::String(ctx), over @ Value::Object(_)) => {
                    *existing = serde_json::json!({ "context": ctx });
                    deep_merge(existing, over);
                }
                (_, over) => deep_merge(existing, over),
            },
            _ => deep_merge(existing, v),
        }
    }
}

fn as_list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_forms_become_maps() {
        let mut s = json!({
            "environment": ["A=1", "B"],
            "labels": ["x=y"],
            "depends_on": ["db"],
            "networks": ["front"],
            "build": {"context": ".", "args": ["V=2"]}
        });
        normalise_service(&mut s);
        assert_eq!(s["environment"], json!({"A": "1", "B": null}));
        assert_eq!(s["labels"], json!({"x": "y"}));
        assert_eq!(
            s["depends_on"],
            json!({"db": {"condition": "service_started"}})
        );
        assert_eq!(s["networks"], json!({"front": null}));
        assert_eq!(s["build"]["args"], json!({"V": "2"}));
    }

    #[test]
    fn later_files_win_by_compose_rules() {
        let mut a = json!({"services": {"web": {
            "image": "a", "command": ["x", "y"], "ports": ["80:80"],
            "environment": {"A": "1", "B": "2"},
            "volumes": ["data:/data", "/cache"],
            "healthcheck": {"test": ["CMD", "a"], "interval": "5s"}
        }}, "volumes": {"data": null}});
        let b = json!({"services": {
            "web": {
                "image": "b", "command": ["z"], "ports": ["81:81", "80:80"],
                "environment": {"B": "3"},
                "volumes": ["other:/data"],
                "healthcheck": {"test": ["CMD", "b"]}
            },
            "db": {"image": "busybox"}
        }});
        merge_files(&mut a, b);
        let w = &a["services"]["web"];
        assert_eq!(w["image"], "b");
        assert_eq!(w["command"], json!(["z"]));
        assert_eq!(w["ports"], json!(["80:80", "81:81"]));
        assert_eq!(w["environment"], json!({"A": "1", "B": "3"}));
        assert_eq!(w["volumes"], json!(["other:/data", "/cache"]));
        assert_eq!(
            w["healthcheck"],
            json!({"test": ["CMD", "b"], "interval": "5s"})
        );
        assert_eq!(a["services"]["db"]["image"], "busybox");
        assert_eq!(a["volumes"], json!({"data": null}));
    }

    #[test]
    fn build_string_merges_with_long_form() {
        let mut a = json!({"build": {"context": ".", "target": "t"}});
        merge_service(&mut a, json!({"build": "./other"}));
        assert_eq!(a["build"], json!({"context": "./other", "target": "t"}));
    }
}
