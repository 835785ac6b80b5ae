//! `quadlet list|print|rm`: the installed quadlets, their units' states, and removal.

use std::path::{Path, PathBuf};

use libpod::quadlet::{self, Kind, Quadlet, dirs};
use serde_json::json;

use super::install::{app_of, applications};
use super::*;
use crate::output::{print_formatted, print_table};

/// Every quadlet file the generator would read, first of a name only.
pub(super) fn all_quadlets() -> Vec<Quadlet> {
    dirs::load(&dirs::unit_dirs(!is_root())).0
}

/// `(load, active, sub)` of each unit, from the user's manager; none when unreachable.
fn unit_states(units: &[String]) -> Vec<Option<(String, String, String)>> {
    let mut args = vec!["show", "--property=LoadState,ActiveState,SubState", "--"];
    args.extend(units.iter().map(String::as_str));
    let Ok(out) = systemctl(&args) else {
        return vec![None; units.len()];
    };
    if !out.status.success() {
        return vec![None; units.len()];
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let blocks: Vec<&str> = text.split("\n\n").collect();
    units
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let b = blocks.get(i)?;
            let get = |k: &str| {
                b.lines()
                    .find_map(|l| l.strip_prefix(&format!("{k}=")))
                    .unwrap_or_default()
                    .to_string()
            };
            Some((get("LoadState"), get("ActiveState"), get("SubState")))
        })
        .collect()
}

fn status_of(state: &Option<(String, String, String)>) -> String {
    match state {
        Some((load, active, sub)) if load == "loaded" => format!("{active}/{sub}"),
        _ => "Not loaded".to_string(),
    }
}

pub(super) fn list(a: ListArgs) -> Outcome {
    let apps = applications();
    let quadlets = all_quadlets();
    let units: Vec<String> = quadlets
        .iter()
        .map(|q| format!("{}.service", q.service_name()))
        .collect();
    let states = unit_states(&units);
    let mut filters: Vec<(String, String)> = Vec::new();
    for f in &a.filter {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| Failure::new(format!("invalid filter {f:?}")))?;
        if !matches!(k, "name" | "status" | "pod") {
            return Err(Failure::new(format!("{k} is not a valid filter")));
        }
        quadlet::filter_matches(v, "")
            .map_err(|e| Failure::new(format!("invalid filter {f:?}: {e}")))?;
        filters.push((k.to_string(), v.to_string()));
    }
    let mut items = Vec::new();
    for ((q, unit), state) in quadlets.iter().zip(&units).zip(&states) {
        let pod = q
            .unit
            .get("Container", "Pod")
            .unwrap_or_default()
            .to_string();
        let item = json!({
            "Name": q.name,
            "UnitName": unit,
            "Path": q.path.display().to_string(),
            "Status": status_of(state),
            "App": app_of(&apps, &q.name).unwrap_or_default(),
            "Pod": pod,
        });
        let keep = filters.iter().all(|(k, re)| {
            let field = match k.as_str() {
                "name" => "Name",
                "status" => "Status",
                _ => "Pod",
            };
            let v = item[field].as_str().unwrap_or_default();
            quadlet::filter_matches(re, v).unwrap_or(false)
        });
        if keep {
            items.push(item);
        }
    }
    if let Some(fmt) = a.format.as_deref() {
        return print_formatted(fmt, items, &header);
    }
    let fields = ["Name", "UnitName", "Path", "Status", "App", "Pod"];
    let mut rows: Vec<Vec<String>> = Vec::new();
    if !a.noheading {
        rows.push(fields.iter().map(|f| header(f)).collect());
    }
    for item in &items {
        rows.push(
            fields
                .iter()
                .map(|f| item[*f].as_str().unwrap_or_default().to_string())
                .collect(),
        );
    }
    print_table(&rows);
    Ok(0)
}

fn header(field: &str) -> String {
    match field {
        "UnitName" => "UNIT NAME",
        "Path" => "PATH ON DISK",
        "App" => "APPLICATION",
        other => return other.to_uppercase(),
    }
    .to_string()
}

/// The path of the quadlet called `name` in the search directories.
pub(super) fn find(name: &str) -> Result<PathBuf, String> {
    if Kind::of_file(name).is_none() {
        let ext = Path::new(name)
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        return Err(format!("{ext:?} is not a supported quadlet file type"));
    }
    dirs::unit_dirs(!is_root())
        .iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!("could not locate quadlet {name:?} in any supported quadlet directory: no such quadlet")
        })
}

pub(super) fn print(a: PrintArgs) -> Outcome {
    let path = find(&a.quadlet).map_err(Failure::new)?;
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::new(format!(
            "reading quadlet {:?} contents: {e}",
            path.display().to_string()
        ))
    })?;
    print!("{text}");
    Ok(0)
}

pub(super) fn rm(a: RmArgs) -> Outcome {
    if a.quadlets.is_empty() && !a.all {
        return Err(Failure::new("must provide at least 1 quadlet to remove"));
    }
    let apps = applications();
    let install_dir = dirs::install_dir(!is_root());
    let mut names: Vec<String> = if a.all {
        all_quadlets().into_iter().map(|q| q.name).collect()
    } else {
        a.quadlets.clone()
    };
    // Removing one quadlet of an application removes the whole application.
    let mut assets: Vec<String> = Vec::new();
    let mut app_files: Vec<String> = Vec::new();
    let mut i = 0;
    while i < names.len() {
        let app = if names[i].starts_with('.') && names[i].ends_with(".app") {
            Some(names[i].clone())
        } else {
            app_of(&apps, &names[i])
        };
        if let Some(app) = app {
            if let Some((_, files)) = apps.iter().find(|(n, _)| *n == app) {
                for f in files {
                    if Kind::of_file(f).is_none() {
                        assets.push(f.clone());
                    } else if !names.contains(f) {
                        names.push(f.clone());
                    }
                }
            }
            if !app_files.contains(&app) {
                app_files.push(app);
            }
        }
        i += 1;
    }
    names.retain(|n| !(n.starts_with('.') && n.ends_with(".app")));
    let mut failed = Vec::new();
    let mut removed = Vec::new();
    let mut found = Vec::new();
    for n in &names {
        match find(n) {
            Ok(p) => found.push((n.clone(), p)),
            Err(_) if a.ignore => removed.push(n.clone()),
            Err(e) => failed.push(e),
        }
    }
    let units: Vec<String> = found
        .iter()
        .map(|(_, p)| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            Quadlet::parse(p, &text)
                .map(|q| format!("{}.service", q.service_name()))
                .unwrap_or_default()
        })
        .collect();
    let states = unit_states(&units);
    for (((name, path), unit), state) in found.iter().zip(&units).zip(&states) {
        if let Some((load, active, _)) = state
            && load == "loaded"
            && active == "active"
        {
            if !a.force {
                failed.push(format!(
                    "quadlet {name} is running and force is not set, refusing to remove: quadlet is running"
                ));
                continue;
            }
            match systemctl(&["stop", unit]) {
                Ok(o) if o.status.success() => {}
                Ok(o) => {
                    failed.push(format!(
                        "stopping quadlet {name}: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    ));
                    continue;
                }
                Err(e) => {
                    failed.push(format!("stopping quadlet {name}: {e}"));
                    continue;
                }
            }
        }
        match std::fs::remove_file(path) {
            Ok(()) => removed.push(name.clone()),
            Err(e) => failed.push(format!("unable to remove quadlet {name}: {e}")),
        }
    }
    for f in assets.iter().chain(&app_files) {
        let _ = std::fs::remove_file(install_dir.join(f));
    }
    for r in &removed {
        println!("{r}");
    }
    if a.reload_systemd && !removed.is_empty() {
        reload_systemd()?;
    }
    finish(failed)
}
