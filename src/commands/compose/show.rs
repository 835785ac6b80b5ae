//! `compose ps/logs/config/images/port/top/version`: what a project has, printed as docker
//! compose prints it.

use clap::Args;
use libpod::compose::ops::{ProjectContainer, containers};
use libpod::{Runtime, Status};
use serde_json::{Value, json};

use super::Ctx;
use crate::commands::{Failure, Outcome};
use crate::output::{ago, human_duration, human_size, print_table};

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Show all stopped containers (including those created by the run command)
    #[arg(short = 'a', long)]
    all: bool,
    /// Only display IDs
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Display services
    #[arg(long)]
    services: bool,
    /// Format the output: table or json
    #[arg(long, default_value = "table")]
    format: String,
    /// Services (default: all)
    service: Vec<String>,
}

fn status_text(rt: &Runtime, c: &ProjectContainer) -> String {
    let s = &c.summary;
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    match s.status() {
        Status::Running => {
            let up = human_duration((now - s.state.started) / 1_000_000_000);
            match rt.health_status(&s.id) {
                Some(h) => format!("Up {up} ({})", h.status.as_str()),
                None => format!("Up {up}"),
            }
        }
        Status::Exited => format!("Exited ({}) {}", s.state.exit_code, ago(s.state.finished)),
        Status::Paused => "Paused".into(),
        Status::Stopping => "Stopping".into(),
        Status::Created => "Created".into(),
        Status::Initialized => "Initialized".into(),
    }
}

fn ports_text(c: &ProjectContainer) -> String {
    c.summary
        .ports
        .iter()
        .map(|m| {
            format!(
                "{}->{}/{}",
                std::net::SocketAddr::new(m.host_addr(), m.host_port),
                m.container_port,
                m.protocol.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn ps_json(rt: &Runtime, ctx: &Ctx, c: &ProjectContainer) -> Value {
    let s = &c.summary;
    let health = rt
        .health_status(&s.id)
        .map(|h| h.status.as_str().to_string())
        .unwrap_or_default();
    json!({
        "ID": s.id,
        "Name": s.name,
        "Names": s.name,
        "Image": s.image_name,
        "Command": s.command,
        "Project": ctx.project.name,
        "Service": c.service,
        "CreatedAt": chrono::DateTime::from_timestamp_nanos(s.created).to_rfc3339(),
        "State": s.status().as_str(),
        "Status": status_text(rt, c),
        "Health": health,
        "ExitCode": s.state.exit_code,
        "Labels": s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
        "Ports": ports_text(c),
        "Publishers": s.ports.iter().map(|m| json!({
            "URL": m.host_addr().to_string(),
            "TargetPort": m.container_port,
            "PublishedPort": m.host_port,
            "Protocol": m.protocol.as_str(),
        })).collect::<Vec<_>>(),
    })
}

/// `"cmd…"` as docker compose shows a command: quoted, cut at 20 characters.
fn short_command(cmd: &str) -> String {
    let chars: Vec<char> = cmd.chars().collect();
    if chars.len() > 20 {
        format!("\"{}…\"", chars[..19].iter().collect::<String>())
    } else {
        format!("\"{cmd}\"")
    }
}

pub fn ps(rt: &Runtime, ctx: &Ctx, a: &PsArgs) -> Outcome {
    if a.services {
        for s in ctx.project.model.services.keys() {
            if a.service.is_empty() || a.service.contains(s) {
                println!("{s}");
            }
        }
        return Ok(0);
    }
    let list: Vec<ProjectContainer> = containers(rt, &ctx.project.name)?
        .into_iter()
        .filter(|c| a.all || (c.running() && !c.oneoff) || (c.oneoff && c.running()))
        .filter(|c| a.service.is_empty() || a.service.contains(&c.service))
        .collect();
    if a.quiet {
        for c in &list {
            println!("{}", c.summary.id);
        }
        return Ok(0);
    }
    match a.format.as_str() {
        "json" => {
            for c in &list {
                println!("{}", ps_json(rt, ctx, c));
            }
        }
        "table" => {
            let mut rows = vec![
                [
                    "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
                ]
                .map(String::from)
                .to_vec(),
            ];
            for c in &list {
                rows.push(vec![
                    c.summary.name.clone(),
                    c.summary.image_name.clone(),
                    short_command(&c.summary.command),
                    c.service.clone(),
                    ago(c.summary.created),
                    status_text(rt, c),
                    ports_text(c),
                ]);
            }
            print_table(&rows);
        }
        f => {
            return Err(Failure::new(format!(
                "invalid --format {f:?}: use table or json"
            )));
        }
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Follow log output
    #[arg(short = 'f', long)]
    follow: bool,
    /// Number of lines to show from the end of the logs for each container ("all" or a number)
    #[arg(short = 'n', long, default_value = "all")]
    tail: String,
    /// Show timestamps
    #[arg(short = 't', long)]
    timestamps: bool,
    /// Don't print prefix in logs
    #[arg(long = "no-log-prefix")]
    no_log_prefix: bool,
    /// Services (default: all)
    services: Vec<String>,
}

pub fn logs(rt: &Runtime, ctx: &Ctx, a: &LogsArgs) -> Outcome {
    let tail = match a.tail.as_str() {
        "all" => None,
        n => Some(
            n.parse()
                .map_err(|_| Failure::new(format!("invalid --tail {n:?}: use a number or all")))?,
        ),
    };
    for s in &a.services {
        if !ctx.project.model.services.contains_key(s) {
            return Err(Failure::new(format!("no such service: {s}")));
        }
    }
    let list: Vec<libpod::Container> = containers(rt, &ctx.project.name)?
        .iter()
        .filter(|c| !c.oneoff && (a.services.is_empty() || a.services.contains(&c.service)))
        .filter_map(|c| rt.lookup(&c.summary.id).ok())
        .collect();
    if a.follow {
        libpod::compose::logs::catch_interrupt();
    }
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    libpod::compose::logs::print(
        rt,
        &list,
        &libpod::compose::logs::FollowOptions {
            follow: a.follow,
            tail,
            timestamps: a.timestamps,
            no_prefix: a.no_log_prefix,
        },
        &mut stdout.lock(),
        &mut stderr.lock(),
    )?;
    Ok(0)
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// Print the service names, one per line
    #[arg(long)]
    services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    volumes: bool,
    /// Only validate the configuration, don't print anything
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Format the output: yaml or json
    #[arg(long, default_value = "yaml")]
    format: String,
}

pub fn config(ctx: &Ctx, a: &ConfigArgs) -> Outcome {
    let p = &ctx.project;
    if a.quiet {
        return Ok(0);
    }
    if a.services {
        for s in p.ordered(&[]).map_err(libpod::LibpodError::from)? {
            println!("{s}");
        }
        return Ok(0);
    }
    if a.volumes {
        for v in p.model.volumes.keys() {
            println!("{v}");
        }
        return Ok(0);
    }
    let mut model = p.model.clone();
    model.name = Some(p.name.clone());
    // As docker compose shows it: the default network every service without networks joins.
    if libpod::compose::up::used_networks(p)
        .iter()
        .any(|n| n == "default")
    {
        model.networks.entry("default".into()).or_insert(None);
    }
    let mut v = serde_json::to_value(&model).map_err(|e| Failure::new(e.to_string()))?;
    // As docker compose prints them: a command string as its words.
    if let Some(services) = v.get_mut("services").and_then(Value::as_object_mut) {
        for svc in services.values_mut() {
            for key in ["command", "entrypoint"] {
                if let Some(Value::String(cmd)) = svc.get(key) {
                    let words = libpod::compose::model::split_words(cmd);
                    svc[key] = json!(words);
                }
            }
        }
    }
    if let Some(nets) = v.get_mut("networks").and_then(Value::as_object_mut) {
        for (k, n) in nets.iter_mut() {
            if n.is_null() {
                *n = json!({});
            }
            if let Some(o) = n.as_object_mut() {
                o.entry("name").or_insert_with(|| json!(p.network_name(k)));
            }
        }
    }
    if let Some(vols) = v.get_mut("volumes").and_then(Value::as_object_mut) {
        for (k, n) in vols.iter_mut() {
            if n.is_null() {
                *n = json!({});
            }
            if let Some(o) = n.as_object_mut() {
                o.entry("name").or_insert_with(|| json!(p.volume_name(k)));
            }
        }
    }
    match a.format.as_str() {
        "json" => crate::output::print_json(&v),
        "yaml" => print!("{}", crate::output::to_yaml(&v)),
        f => {
            return Err(Failure::new(format!(
                "invalid --format {f:?}: use yaml or json"
            )));
        }
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct ServicesArgs {
    /// Services (default: all)
    services: Vec<String>,
}

pub fn images(rt: &Runtime, ctx: &Ctx, a: &ServicesArgs) -> Outcome {
    let mut rows = vec![
        ["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"]
            .map(String::from)
            .to_vec(),
    ];
    for c in containers(rt, &ctx.project.name)?
        .iter()
        .filter(|c| a.services.is_empty() || a.services.contains(&c.service))
    {
        let name = &c.summary.image_name;
        let (repo, tag) = match name.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
            _ => (name.clone(), "latest".into()),
        };
        let size = rt.image(&c.summary.image_id).map(|i| i.size).unwrap_or(0);
        rows.push(vec![
            c.summary.name.clone(),
            repo,
            tag,
            c.summary.image_id.chars().take(12).collect(),
            human_size(size),
        ]);
    }
    print_table(&rows);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct PortArgs {
    /// The service
    service: String,
    /// The container port
    private_port: u16,
    /// tcp or udp
    #[arg(long, default_value = "tcp")]
    protocol: String,
    /// Index of the container if service has multiple replicas
    #[arg(long, default_value_t = 1)]
    index: u32,
}

pub fn port(rt: &Runtime, ctx: &Ctx, a: &PortArgs) -> Outcome {
    let list = containers(rt, &ctx.project.name)?;
    let c = list
        .iter()
        .find(|c| c.service == a.service && c.number == a.index && !c.oneoff)
        .ok_or_else(|| {
            Failure::new(format!(
                "service {} has no container {}",
                a.service, a.index
            ))
        })?;
    let m = c
        .summary
        .ports
        .iter()
        .find(|m| m.container_port == a.private_port && m.protocol.as_str() == a.protocol)
        .ok_or_else(|| {
            Failure::new(format!(
                "no port {}/{} for container {}",
                a.private_port,
                a.protocol,
                c.name()
            ))
        })?;
    println!("{}", std::net::SocketAddr::new(m.host_addr(), m.host_port));
    Ok(0)
}

pub fn top(rt: &Runtime, ctx: &Ctx, a: &ServicesArgs) -> Outcome {
    for c in containers(rt, &ctx.project.name)?
        .iter()
        .filter(|c| c.running() && (a.services.is_empty() || a.services.contains(&c.service)))
    {
        println!("{}", c.name());
        print_table(&rt.top(&c.summary.id, &[])?);
        println!();
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct VersionArgs {
    /// Shows only the version number
    #[arg(long)]
    short: bool,
    /// Format the output: pretty or json
    #[arg(short = 'f', long, default_value = "pretty")]
    format: String,
}

pub fn version(a: &VersionArgs) -> Outcome {
    let v = libpod::compose::labels::COMPOSE_VERSION;
    if a.short {
        println!("{v}");
    } else if a.format == "json" {
        println!("{}", json!({ "version": format!("v{v}") }));
    } else {
        println!(
            "burrow compose version v{v} (built in, burrow {})",
            env!("CARGO_PKG_VERSION")
        );
    }
    Ok(0)
}
