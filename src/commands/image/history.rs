//! `history`, and Go's size formatting that `history` and `image tree` print.

use clap::Args;
use libpod::Runtime;
use serde_json::{Value, json};

use crate::commands::Outcome;
use crate::output::{ago, print_formatted, print_table};

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Change the output to JSON or a Go template
    #[arg(long)]
    format: Option<String>,
    /// Display sizes and dates in human readable format
    #[arg(
        short = 'H',
        long,
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    human: bool,
    /// Do not truncate the output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Display the numeric IDs only
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Image to show the history of
    image: String,
}

/// go-units' `HumanSizeWithPrecision`: decimal units, `%.Ng`, no space ("4.26MB", "0B").
pub(super) fn go_size(bytes: u64, precision: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < UNITS.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{}{}", go_g(v, precision), UNITS[i])
}

/// Go's `%.Ng` for 0 <= v < 1000.
fn go_g(v: f64, precision: usize) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let exp = v.log10().floor() as i32;
    let decimals = (precision as i32 - 1 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    // Rounding up to 10^precision switches Go to exponent form (999.7 → "1e+03").
    if s.split('.').next().map_or(0, str::len) > precision {
        return format!("1e+{:02}", precision);
    }
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub fn history(rt: &Runtime, a: HistoryArgs) -> Outcome {
    let entries = rt.image_history(&a.image)?;
    let rfc = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    if a.format.as_deref() == Some("json") {
        let items = entries
            .iter()
            .map(|e| {
                let mut v = json!({
                    "id": e.id, "created": rfc(&e.created), "Created": rfc(&e.created),
                    "CreatedBy": e.created_by, "size": e.size, "comment": e.comment,
                });
                if !e.tags.is_empty() {
                    v["tags"] = json!(e.tags);
                }
                v
            })
            .collect();
        crate::output::print_json(&Value::Array(items));
        return Ok(0);
    }
    let id = |e: &libpod::HistoryEntry| {
        if !a.no_trunc && e.id.len() >= 12 {
            e.id[..12].to_string()
        } else {
            e.id.clone()
        }
    };
    if a.quiet {
        for e in &entries {
            println!("{}", id(e));
        }
        return Ok(0);
    }
    let created = |e: &libpod::HistoryEntry| match e.created {
        Some(t) if a.human => ago(t.timestamp_nanos_opt().unwrap_or(0)),
        _ => rfc(&e.created),
    };
    let created_by = |e: &libpod::HistoryEntry| {
        if !a.no_trunc && e.created_by.chars().count() > 45 {
            let cut: String = e.created_by.chars().take(42).collect();
            format!("{cut}...")
        } else {
            e.created_by.clone()
        }
    };
    if let Some(f) = &a.format {
        let items = entries
            .iter()
            .map(|e| {
                json!({
                    "ID": id(e), "Created": created(e), "CreatedSince": created(e),
                    "CreatedAt": rfc(&e.created), "CreatedBy": created_by(e),
                    "Size": go_size(e.size, 3), "Comment": e.comment, "Tags": e.tags,
                })
            })
            .collect();
        return print_formatted(f, items, &|h| match h {
            "CreatedBy" => "CREATED BY".into(),
            other => other.to_uppercase(),
        });
    }
    let mut table = vec![
        ["ID", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
            .map(String::from)
            .to_vec(),
    ];
    for e in &entries {
        table.push(vec![
            id(e),
            created(e),
            created_by(e),
            go_size(e.size, 3),
            e.comment.clone(),
        ]);
    }
    print_table(&table);
    Ok(0)
}
