//! `extends`: a service built over another of the same file or of another file (whose
//! relative build context is rebased), recursively, with cycles refused.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::file::{absolute, parse_file};
use super::interpolate::Vars;
use super::merge::{merge_service, normalise_service};
use super::{CResult, ComposeError};

/// Resolves `extends` of `name` within `services` (whose relative `file:` paths are relative
/// to `dir`), recursively; `seen` catches cycles.
pub(super) fn resolve_extends(
    name: &str,
    services: &mut Map<String, Value>,
    dir: &Path,
    vars: &Vars,
    unset: &mut Vec<String>,
    seen: &mut Vec<String>,
) -> CResult<()> {
    let Some(ext) = services
        .get_mut(name)
        .and_then(Value::as_object_mut)
        .and_then(|o| o.remove("extends"))
    else {
        return Ok(());
    };
    let err = |message: String| ComposeError::Service {
        service: name.to_string(),
        message,
    };
    if seen.iter().any(|s| s == name) {
        return Err(err(format!(
            "extends loops back through {}",
            seen.join(" -> ")
        )));
    }
    seen.push(name.to_string());
    let (base_name, file) = match &ext {
        Value::String(s) => (s.clone(), None),
        Value::Object(o) => (
            o.get("service")
                .and_then(Value::as_str)
                .ok_or_else(|| err("extends needs a service".into()))?
                .to_string(),
            o.get("file").and_then(Value::as_str).map(PathBuf::from),
        ),
        _ => {
            return Err(err(
                "extends must be a service name or {service, file}".into()
            ));
        }
    };
    let mut base = match file {
        None => {
            resolve_extends(&base_name, services, dir, vars, unset, seen)?;
            services
                .get(&base_name)
                .cloned()
                .ok_or_else(|| err(format!("extends an undefined service {base_name:?}")))?
        }
        Some(f) => {
            let path = absolute(dir, &f);
            let other = parse_file(&path, vars, unset)?;
            let mut others = match other.get("services") {
                Some(Value::Object(s)) => s.clone(),
                _ => Map::new(),
            };
            let other_dir = path.parent().unwrap_or(dir).to_path_buf();
            resolve_extends(&base_name, &mut others, &other_dir, vars, unset, seen)?;
            let mut b = others.remove(&base_name).ok_or_else(|| {
                err(format!(
                    "extends {base_name:?}, which {} does not define",
                    path.display()
                ))
            })?;
            rebase_build(&mut b, &other_dir);
            b
        }
    };
    seen.pop();
    let own = services.remove(name).unwrap_or(Value::Null);
    merge_service(&mut base, own);
    normalise_service(&mut base);
    services.insert(name.to_string(), base);
    Ok(())
}

/// A build context of a service from another file is relative to that file.
fn rebase_build(svc: &mut Value, dir: &Path) {
    let Some(b) = svc.get_mut("build") else {
        return;
    };
    let ctx = match b {
        Value::String(s) => s,
        Value::Object(o) => match o.get_mut("context") {
            Some(Value::String(s)) => s,
            _ => return,
        },
        _ => return,
    };
    if !Path::new(ctx.as_str()).is_absolute() {
        *ctx = dir.join(&*ctx).display().to_string();
    }
}
