//! `ps`: the container table, `--format` rows and `--quiet` ids.

use std::borrow::Cow;
use std::collections::HashMap;

use clap::Args;
use libpod::{ContainerSummary, Runtime, Status};
use serde_json::{Value, json};

use super::port::ports_text;
use crate::commands::Outcome;
use crate::output::{ago, human_duration, print_formatted, print_table};

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Show all the containers, default is only running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Print the numeric IDs of the containers only
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Act on the latest container burrow is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Print the n last created containers (all states)
    #[arg(short = 'n', long)]
    last: Option<usize>,
    /// Display the extended information
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Filter output based on conditions given
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Pretty-print containers to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Display the pods the containers are associated with
    #[arg(long)]
    pod: bool,
    /// Display the total file sizes
    #[arg(short = 's', long)]
    size: bool,
    /// Sort output by: command, created, id, image, names, runningfor, size, status
    #[arg(long, default_value = "created")]
    sort: String,
    /// Show containers in storage not controlled by burrow (burrow has none: same output)
    #[arg(long)]
    external: bool,
}

const SORT_KEYS: &[&str] = &[
    "command",
    "created",
    "id",
    "image",
    "names",
    "runningfor",
    "size",
    "status",
];

/// podman's `--sort` orders (entities.SortPsOutput): newest first for created/runningfor,
/// ascending text otherwise, smallest first for size.
fn sort_list(list: &mut [ContainerSummary], key: &str, sizes: &HashMap<String, (u64, u64)>) {
    match key {
        "command" => list.sort_by(|a, b| a.command.cmp(&b.command)),
        "id" => list.sort_by(|a, b| a.id.cmp(&b.id)),
        "image" => list.sort_by(|a, b| a.image_name.cmp(&b.image_name)),
        "names" => list.sort_by(|a, b| a.name.cmp(&b.name)),
        "runningfor" => list.sort_by_key(|c| std::cmp::Reverse(c.state.started)),
        "status" => list.sort_by(|a, b| a.status().as_str().cmp(b.status().as_str())),
        "size" => list.sort_by_key(|c| sizes.get(&c.id).map_or(0, |s| s.1)),
        _ => list.sort_by_key(|c| std::cmp::Reverse(c.created)),
    }
}

/// go-units' HumanSizeWithPrecision(n, 3), as podman's `ps --size` prints: "4.26MB", "0B".
fn go_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{s}{}", units[i])
}

fn size_text((rw, rootfs): (u64, u64)) -> String {
    format!("{} (virtual {})", go_size(rw), go_size(rootfs))
}

fn status_text(rt: &Runtime, c: &ContainerSummary) -> String {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    match c.status() {
        Status::Running => {
            let up = human_duration((now - c.state.started) / 1_000_000_000);
            // podman's "Up 5 seconds (healthy)"; one failed open for a container without.
            match rt.health_status(&c.id) {
                Some(h) => format!("Up {up} ({})", h.status.as_str()),
                None => format!("Up {up}"),
            }
        }
        Status::Exited => format!("Exited ({}) {}", c.state.exit_code, ago(c.state.finished)),
        Status::Paused => "Paused".into(),
        Status::Stopping => "Stopping".into(),
        Status::Created => "Created".into(),
        Status::Initialized => "Initialized".into(),
    }
}

/// One row of `ps --format`: like podman, `.ID` is the short id unless `--no-trunc`; `.Id`
/// (and `--format json`) keeps the full one.
fn ps_json(rt: &Runtime, c: &ContainerSummary, no_trunc: bool) -> Value {
    json!({
        "ID": if no_trunc { c.id.as_str() } else { c.short_id() },
        "Id": c.id,
        "Image": c.image_name,
        "ImageID": c.image_id,
        "Command": c.command,
        "Created": c.created / 1_000_000_000,
        "CreatedAt": crate::output::go_time(c.created),
        "CreatedHuman": ago(c.created),
        "RunningFor": ago(c.created),
        "Status": status_text(rt, c),
        "State": c.status().as_str(),
        "Names": c.name,
        "Labels": c.labels,
        "Ports": ports_text(c),
        "Mounts": c.mounts.iter().map(|m| m.destination.display().to_string()).collect::<Vec<_>>(),
        "Pid": c.state.pid,
        "ExitCode": c.state.exit_code,
        "Exited": c.status() == Status::Exited,
        "AutoRemove": c.auto_remove,
        "Restarts": c.state.restart_count,
        "Pod": if no_trunc { c.pod.as_str() } else { &c.pod[..12.min(c.pod.len())] },
        "PodName": "",
        "Networks": [],
    })
}

pub fn ps(rt: &Runtime, a: PsArgs) -> Outcome {
    // Summaries, not whole containers: nothing `ps` shows or filters on needs a config parse.
    let show_all = a.all || a.latest || a.last.is_some() || !a.filter.is_empty();
    if !SORT_KEYS.contains(&a.sort.as_str()) {
        return Err(crate::commands::Failure::new(
            "invalid option for --sort, options are: command, created, id, image, names, runningfor, size, or status",
        ));
    }
    let mut list = rt.ps(&a.filter, !show_all)?;
    if a.latest {
        list.truncate(1);
    }
    if let Some(n) = a.last {
        list.truncate(n);
    }
    // Sizes walk each container's writable layer: only when asked for.
    let sizes: HashMap<String, (u64, u64)> = if a.size || a.sort == "size" {
        list.iter()
            .map(|c| (c.id.clone(), rt.container_size(&c.id, &c.image_id)))
            .collect()
    } else {
        HashMap::new()
    };
    if a.sort != "created" {
        sort_list(&mut list, &a.sort, &sizes);
    }
    if a.quiet {
        let mut out = String::with_capacity(list.len() * 65);
        for c in &list {
            out.push_str(if a.no_trunc { &c.id } else { c.short_id() });
            out.push('\n');
        }
        print!("{out}");
        return Ok(0);
    }
    // Pod names only when a pod exists: the common `ps` reads no pods table.
    let pod_names: std::collections::HashMap<String, String> =
        if list.iter().any(|c| !c.pod.is_empty()) {
            rt.pods()?.into_iter().map(|p| (p.id, p.name)).collect()
        } else {
            Default::default()
        };
    let pod_name = |c: &ContainerSummary| pod_names.get(&c.pod).cloned().unwrap_or_default();
    if let Some(fmt) = &a.format {
        // User networks are one query, made only when a format may show them.
        let networks = rt.network_names_by_container()?;
        return print_formatted(
            fmt,
            list.iter()
                .map(|c| {
                    let mut v = ps_json(rt, c, a.no_trunc);
                    v["PodName"] = Value::String(pod_name(c));
                    if let Some(n) = networks.get(&c.id) {
                        v["Networks"] = json!(n);
                    }
                    // JSON carries podman's object; a template's {{.Size}} its text.
                    v["Size"] = match sizes.get(&c.id) {
                        Some(&(rw, rootfs)) if a.size && fmt == "json" => {
                            json!({"RwSize": rw, "RootFsSize": rootfs})
                        }
                        Some(&s) if a.size => Value::String(size_text(s)),
                        _ => Value::Null,
                    };
                    v
                })
                .collect(),
            &ps_header,
        );
    }
    // Cells borrow from the summaries where they can: with 1000 containers, copying each
    // name and image into the table was measurable.
    let mut head: Vec<Cow<str>> = [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]
    .map(Cow::Borrowed)
    .to_vec();
    if a.pod {
        head.extend([Cow::Borrowed("POD ID"), Cow::Borrowed("PODNAME")]);
    }
    if a.size {
        head.push(Cow::Borrowed("SIZE"));
    }
    let mut rows = Vec::with_capacity(list.len() + 1);
    rows.push(head);
    for c in &list {
        let cmd = if !a.no_trunc && c.command.chars().count() > 17 {
            Cow::Owned(format!(
                "{}...",
                c.command.chars().take(17).collect::<String>()
            ))
        } else {
            Cow::Borrowed(c.command.as_str())
        };
        let mut row = vec![
            Cow::Borrowed(if a.no_trunc {
                c.id.as_str()
            } else {
                c.short_id()
            }),
            Cow::Borrowed(c.image_name.as_str()),
            cmd,
            Cow::Owned(ago(c.created)),
            Cow::Owned(status_text(rt, c)),
            if c.ports.is_empty() {
                Cow::Borrowed("")
            } else {
                Cow::Owned(ports_text(c))
            },
            Cow::Borrowed(c.name.as_str()),
        ];
        if a.pod {
            let id = &c.pod;
            let id = if a.no_trunc {
                id.as_str()
            } else {
                &id[..12.min(id.len())]
            };
            row.extend([Cow::Borrowed(id), Cow::Owned(pod_name(c))]);
        }
        if a.size {
            row.push(Cow::Owned(
                sizes.get(&c.id).map(|&s| size_text(s)).unwrap_or_default(),
            ));
        }
        rows.push(row);
    }
    print_table(&rows);
    // Not freed: the process exits next, and freeing thousands of strings one by one is
    // time for nothing (as main does with the parser).
    std::mem::forget(rows);
    std::mem::forget(list);
    Ok(0)
}

fn ps_header(field: &str) -> String {
    match field {
        "ID" | "Id" => "CONTAINER ID".into(),
        "RunningFor" | "CreatedHuman" => "CREATED".into(),
        "CreatedAt" => "CREATED AT".into(),
        "ImageID" => "IMAGE ID".into(),
        other => other.to_uppercase(),
    }
}
