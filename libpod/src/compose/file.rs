//! One compose file as a tree: read, parsed (serde-saphyr into JSON values), `x-` extension
//! keys dropped, interpolated, list forms normalised, and each key checked on its own against
//! the typed model so an error names the file, the service and the key. Also the variables
//! (`.env` under the process environment). Reads files only.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::interpolate::{Vars, interpolate_value, parse_env_file};
use super::merge::normalise_file;
use super::model::{ComposeFile, Service};
use super::{CResult, ComposeError};

pub(super) fn read(path: &Path) -> CResult<String> {
    std::fs::read_to_string(path).map_err(|source| ComposeError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Parses one file into a tree: `x-` extension keys dropped, interpolated, normalised.
pub(super) fn parse_file(path: &Path, vars: &Vars, unset: &mut Vec<String>) -> CResult<Value> {
    let file = path.display().to_string();
    let text = read(path)?;
    let mut v: Value = serde_saphyr::from_str(&text).map_err(|e| ComposeError::Yaml {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let Value::Object(top) = &mut v else {
        return Err(ComposeError::Yaml {
            file,
            message: "the file must be a mapping of top-level keys (services, networks...)".into(),
        });
    };
    top.retain(|k, _| !k.starts_with("x-"));
    if let Some(Value::Object(services)) = top.get_mut("services") {
        for svc in services.values_mut() {
            if let Value::Object(s) = svc {
                s.retain(|k, _| !k.starts_with("x-"));
            }
        }
    }
    interpolate_value(&mut v, &mut Vec::new(), vars, unset).map_err(|(at, e)| {
        ComposeError::Interpolate {
            file: file.clone(),
            at,
            message: e.to_string(),
        }
    })?;
    normalise_file(&mut v);
    check_keys(&file, &v)?;
    Ok(v)
}

/// Checks each top-level key, and each key of each service, on its own: the error then names
/// the key (serde's messages name only the type).
fn check_keys(file: &str, v: &Value) -> CResult<()> {
    let Value::Object(top) = v else { return Ok(()) };
    // serde lists every known field after an unknown one: the key is what the user needs.
    let bad = |at: String, e: serde_json::Error| ComposeError::Key {
        file: file.to_string(),
        at,
        message: e
            .to_string()
            .split(", expected one of")
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    for (k, val) in top {
        if k == "services" {
            let Value::Object(services) = val else {
                return Err(ComposeError::Key {
                    file: file.into(),
                    at: "services".into(),
                    message: "must be a mapping of service names to services".into(),
                });
            };
            for (name, svc) in services {
                let Value::Object(keys) = svc else {
                    return Err(ComposeError::Key {
                        file: file.into(),
                        at: format!("services.{name}"),
                        message: "must be a mapping".into(),
                    });
                };
                for (sk, sv) in keys {
                    let one = Value::Object(Map::from_iter([(sk.clone(), sv.clone())]));
                    serde_json::from_value::<Service>(one)
                        .map_err(|e| bad(format!("services.{name}.{sk}"), e))?;
                }
            }
            continue;
        }
        let one = Value::Object(Map::from_iter([(k.clone(), val.clone())]));
        serde_json::from_value::<ComposeFile>(one).map_err(|e| bad(k.clone(), e))?;
    }
    Ok(())
}

/// The variables: `.env` in the project directory (or `--env-file`), under the process's.
pub(super) fn variables(dir: &Path, env_file: Option<&Path>, env: &Vars) -> CResult<Vars> {
    let mut vars = Vars::new();
    let path = env_file.map_or_else(|| dir.join(".env"), Path::to_path_buf);
    // A named `--env-file` must exist; the default `.env` is optional.
    if env_file.is_some() || path.is_file() {
        for (k, v) in parse_env_file(&read(&path)?) {
            if let Some(v) = v {
                vars.insert(k, v);
            }
        }
    }
    vars.extend(env.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(vars)
}

pub(super) fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}
