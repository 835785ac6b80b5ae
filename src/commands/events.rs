//! `events`: reads the event log, filters and prints it, following it by default like podman
//! (only new events, unless --since/--until or --stream=false ask for the recorded ones).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use clap::Args;
use libpod::events::Event;
use serde_json::{Value, json};

use super::container::parse_time;
use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Filter output (container=, image=, event=, type=, label=, volume=, pod=)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Format the output as JSON or with a Go template
    #[arg(long)]
    format: Option<String>,
    /// Show all events created since timestamp
    #[arg(long)]
    since: Option<String>,
    /// Show all events until timestamp
    #[arg(long)]
    until: Option<String>,
    /// Stream new events (false: print the recorded ones and exit)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    stream: bool,
    /// Do not truncate the output
    #[arg(long = "no-trunc", default_value_t = true, action = clap::ArgAction::Set)]
    no_trunc: bool,
}

/// Filters: values of one key are alternatives, different keys must all match (podman).
struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    fn parse(raw: &[String]) -> Result<Filters, Failure> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in raw {
            let (k, v) = f
                .split_once('=')
                .ok_or_else(|| Failure::new(format!("invalid filter \"{f}\": use KEY=VALUE")))?;
            if !matches!(
                k,
                "container" | "image" | "event" | "type" | "label" | "volume" | "pod"
            ) {
                return Err(Failure::new(format!(
                    "{k} is an invalid filter: use container, image, event, type, label, volume or pod"
                )));
            }
            m.entry(k.to_string()).or_default().push(v.to_string());
        }
        Ok(Filters(m))
    }

    fn matches(&self, e: &Event) -> bool {
        self.0.iter().all(|(k, vals)| {
            vals.iter().any(|v| match k.as_str() {
                "container" => {
                    e.kind == "container"
                        && (e.name == *v || (!v.is_empty() && e.id.starts_with(v)))
                }
                "volume" => e.kind == "volume" && (e.name == *v || e.id == *v),
                "pod" => e.kind == "pod" && (e.name == *v || e.id.starts_with(v.as_str())),
                "image" => {
                    e.image == *v
                        || (e.kind == "image" && e.id.starts_with(v.as_str()))
                        || e.image.rsplit('/').next() == Some(v.as_str())
                        || e.image.split(':').next() == Some(v.as_str())
                        || e.image.split(':').next().and_then(|r| r.rsplit('/').next())
                            == Some(v.as_str())
                }
                "event" => e.status == *v || (v == "die" && e.status == "died"),
                "type" => e.kind == *v,
                "label" => libpod::filter::label_matches(
                    e.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    v,
                ),
                _ => false,
            })
        })
    }
}

/// Go's default time format, which podman's human output uses.
fn human(e: &Event) -> String {
    let time = crate::output::go_time(e.time);
    match e.kind.as_str() {
        "container" | "pod" => {
            let mut s = format!(
                "{time} {} {} {} (image={}, name={}",
                e.kind, e.status, e.id, e.image, e.name
            );
            if let Some(code) = e.exit_code {
                s.push_str(&format!(", containerExitCode={code}"));
            }
            for (k, v) in &e.attributes {
                s.push_str(&format!(", {k}={v}"));
            }
            s.push(')');
            s
        }
        _ => format!("{time} {} {} {} {}", e.kind, e.status, e.id, e.name),
    }
}

fn to_json(e: &Event) -> Value {
    use chrono::TimeZone;
    let t = chrono::Local.timestamp_nanos(e.time);
    let mut v = json!({
        "ID": e.id,
        "Image": e.image,
        "Name": e.name,
        "Status": e.status,
        "Type": e.kind,
        "Time": t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false),
        "TimeNano": e.time,
        "Attributes": e.attributes,
    });
    if let Some(code) = e.exit_code {
        v["ContainerExitCode"] = json!(code);
    }
    v
}

pub fn events(rt: &libpod::Runtime, a: EventsArgs) -> Outcome {
    let _ = a.no_trunc;
    let filters = Filters::parse(&a.filter)?;
    let nanos = |t: chrono::DateTime<chrono::FixedOffset>| t.timestamp_nanos_opt().unwrap_or(0);
    let since = a.since.as_deref().map(parse_time).transpose()?.map(nanos);
    let until = a.until.as_deref().map(parse_time).transpose()?.map(nanos);
    let template = match a.format.as_deref() {
        None | Some("json") | Some("{{json .}}") => None,
        Some(f) => Some(crate::template::Template::parse(f).map_err(Failure::new)?),
    };
    let as_json = matches!(a.format.as_deref(), Some("json") | Some("{{json .}}"));
    let from_start = since.is_some() || until.is_some() || !a.stream;
    let mut reader = rt.event_reader(from_start)?;
    let stdout = std::io::stdout();
    loop {
        let batch = reader.next_batch().map_err(Failure::new)?;
        let mut out = stdout.lock();
        for e in &batch {
            if since.is_some_and(|s| e.time < s) || until.is_some_and(|u| e.time > u) {
                continue;
            }
            if !filters.matches(e) {
                continue;
            }
            let line = match &template {
                Some(t) => t.execute(&to_json(e)).map_err(Failure::new)?,
                None if as_json => to_json(e).to_string(),
                None => human(e),
            };
            if writeln!(out, "{line}").is_err() {
                return Ok(0);
            }
        }
        let _ = out.flush();
        drop(out);
        if !a.stream {
            return Ok(0);
        }
        if let Some(u) = until
            && libpod_now() > u
        {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn libpod_now() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}
