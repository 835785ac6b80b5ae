//! Output helpers shared by the commands: podman-style tables, human durations and sizes,
//! JSON printed the way podman indents it, and `--format` (json, `table ...`, templates).

use std::io::Write;

use serde_json::Value;

use crate::commands::{Failure, Outcome};
use crate::template;

/// Columns separated by at least two spaces, as podman's tabwriter prints them.
pub fn print_table<S: AsRef<str>>(rows: &[Vec<S>]) {
    // Characters, not bytes, line the columns up; most cells are ASCII, where they agree.
    let width = |s: &str| {
        if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        }
    };
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            widths[i] = widths[i].max(width(cell.as_ref()));
        }
    }
    // The whole table, then one write: stdout is line-buffered, and `ps -a` with 1000
    // containers would otherwise make 1000 write calls.
    let mut out = String::with_capacity(rows.len() * (widths.iter().sum::<usize>() + 2 * cols + 1));
    for r in rows {
        let start = out.len();
        for (i, cell) in r.iter().enumerate() {
            let cell = cell.as_ref();
            out.push_str(cell);
            if i + 1 < r.len() {
                pad(&mut out, widths[i] - width(cell) + 2);
            }
        }
        let line_end = start + out[start..].trim_end().len();
        out.truncate(line_end);
        out.push('\n');
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}

fn pad(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

pub use libpod::clock::human_duration;

/// A time as Go's `time.Time.String()` prints it, the form podman shows in `events`, `ps`
/// and `pod inspect`: `2006-01-02 15:04:05.999999999 -0700 MST`, the fraction without its
/// trailing zeros, `UTC` for a zero offset (chrono knows no zone abbreviations; other
/// offsets are written as `+01:00`).
pub fn go_time(nanos: i64) -> String {
    use chrono::TimeZone;
    go_time_at(chrono::Local.timestamp_nanos(nanos).fixed_offset())
}

fn go_time_at(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    use chrono::Offset;
    let frac = format!("{:09}", t.timestamp_subsec_nanos());
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() { "" } else { "." };
    let zone = if t.offset().fix().local_minus_utc() == 0 {
        "UTC".to_string()
    } else {
        t.format("%Z").to_string()
    };
    format!(
        "{}{dot}{frac} {} {zone}",
        t.format("%Y-%m-%d %H:%M:%S"),
        t.format("%z")
    )
}

pub fn ago(nanos: i64) -> String {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    format!("{} ago", human_duration((now - nanos) / 1_000_000_000))
}

/// podman's sizes: SI units with three significant digits ("4.52 MB", "835 kB").
pub fn human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        return format!("{bytes} B");
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
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s} {}", units[i])
}

/// JSON with podman's four-space indentation.
pub fn print_json(v: &serde_json::Value) {
    if let Ok(text) = json_text(v, b"    ") {
        let _ = std::io::stdout().write_all(text.as_bytes());
        println!();
    }
}

/// Indented JSON as Go's `MarshalIndent` writes it: podman indents its reports with four
/// spaces (`--format json`), some (mount, generate spec) with one.
pub fn json_text<T: serde::Serialize + ?Sized>(
    v: &T,
    indent: &[u8],
) -> Result<String, serde_json::Error> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_trims_the_fraction_and_names_utc() {
        use chrono::TimeZone;
        let utc = chrono::FixedOffset::east_opt(0).unwrap();
        let t = utc.timestamp_nanos(1_764_921_600_500_000_000);
        assert_eq!(go_time_at(t), "2025-12-05 08:00:00.5 +0000 UTC");
        let whole = utc.timestamp_nanos(1_764_921_600_000_000_000);
        assert_eq!(go_time_at(whole), "2025-12-05 08:00:00 +0000 UTC");
        let cet = chrono::FixedOffset::east_opt(3600).unwrap();
        let t = cet.timestamp_nanos(1_764_921_600_123_456_789);
        assert_eq!(go_time_at(t), "2025-12-05 09:00:00.123456789 +0100 +01:00");
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(5), "5 seconds");
        assert_eq!(human_duration(65), "About a minute");
        assert_eq!(human_duration(300), "5 minutes");
        assert_eq!(human_duration(3 * 3600), "3 hours");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(4_520_000), "4.52 MB");
        assert_eq!(human_size(1_000_000), "1 MB");
        assert_eq!(human_size(835_000), "835 kB");
    }
}

/// YAML as podman prints `info`: block style, two-space indents, scalars plain unless they
/// need quotes. Hand-written (40 lines) instead of a YAML crate: output only, no parsing.
pub fn to_yaml(v: &serde_json::Value) -> String {
    let mut out = String::new();
    yaml_into(v, 0, &mut out);
    out
}

fn yaml_scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => {
            let plain = !s.is_empty()
                && !s.contains(": ")
                && !s.contains(" #")
                && !s
                    .starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace())
                && !s.ends_with(char::is_whitespace)
                && !matches!(s.as_str(), "true" | "false" | "null" | "~")
                && s.parse::<f64>().is_err();
            if plain {
                s.clone()
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        serde_json::Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn yaml_into(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = " ".repeat(indent);
    let nested = |v: &Value| match v {
        Value::Object(o) => !o.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    match v {
        Value::Object(o) => {
            for (k, val) in o {
                match val {
                    _ if nested(val) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml_into(val, indent + 2, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{k}: []\n")),
                    _ => out.push_str(&format!("{pad}{k}: {}\n", yaml_scalar(val))),
                }
            }
        }
        Value::Array(a) => {
            for item in a {
                if nested(item) {
                    let mut inner = String::new();
                    yaml_into(item, indent + 2, &mut inner);
                    // The first line of the item goes after the dash.
                    out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
                } else {
                    out.push_str(&format!("{pad}- {}\n", yaml_scalar(item)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", yaml_scalar(other))),
    }
}

#[cfg(test)]
mod yaml_tests {
    use super::to_yaml;

    #[test]
    fn block_style_with_quoting() {
        let v = serde_json::json!({"host": {"arch": "amd64", "ids": [{"a": 1, "b": 2}], "empty": [], "cpus": 2},
            "odd": "a: b", "num": "1.5", "list": ["x", "y"]});
        assert_eq!(
            to_yaml(&v),
            "host:\n  arch: amd64\n  cpus: 2\n  empty: []\n  ids:\n    - a: 1\n      b: 2\nlist:\n  - x\n  - y\nnum: \"1.5\"\nodd: \"a: b\"\n"
        );
    }
}

/// podman's table templates separate columns with spaces as well as tabs: blanks outside
/// `{{...}}` become one tab, so `table {{.ID}} {{.Names}}` gives two aligned columns.
fn table_columns(body: &str) -> String {
    let body = body.replace("\\t", "\t");
    let mut out = String::new();
    let mut rest = body.as_str();
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        push_blanks_as_tabs(&mut out, &rest[..start]);
        out.push_str(&rest[start..start + len + 2]);
        rest = &rest[start + len + 2..];
    }
    push_blanks_as_tabs(&mut out, rest);
    out
}

fn push_blanks_as_tabs(out: &mut String, text: &str) {
    let mut in_blank = false;
    for ch in text.chars() {
        if ch == ' ' || ch == '\t' {
            if !in_blank {
                out.push('\t');
            }
            in_blank = true;
        } else {
            out.push(ch);
            in_blank = false;
        }
    }
}

/// A listing command's output (`secret ls`, `artifact ls`): without `--format`, a table of
/// `columns` (header, key of the item's string field); with one, `print_formatted` (a `table`
/// format loses its header with `--noheading`).
pub fn print_listing(
    items: Vec<Value>,
    format: Option<&str>,
    noheading: bool,
    columns: &[(&str, &str)],
    header: &dyn Fn(&str) -> String,
) -> Outcome {
    let Some(format) = format else {
        let mut rows = Vec::new();
        if !noheading {
            rows.push(columns.iter().map(|(h, _)| h.to_string()).collect());
        }
        for i in &items {
            let field = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            rows.push(columns.iter().map(|(_, k)| field(k)).collect());
        }
        print_table(&rows);
        return Ok(0);
    };
    let format = match format.strip_prefix("table") {
        Some(rest) if noheading => rest.trim_start(),
        _ => format,
    };
    print_formatted(format, items, header)
}

/// `--format`: `json`, `table ...` (with a header row) or a template per item.
pub fn print_formatted(fmt: &str, items: Vec<Value>, header: &dyn Fn(&str) -> String) -> Outcome {
    if fmt == "json" {
        print_json(&Value::Array(items));
        return Ok(0);
    }
    let (table, body) = match fmt.strip_prefix("table") {
        Some(rest) => (true, table_columns(rest.trim_start())),
        None => (false, fmt.to_string()),
    };
    let body = body.as_str();
    let mut rows: Vec<Vec<String>> = Vec::new();
    if table {
        let head = body
            .split("{{")
            .skip(1)
            .filter_map(|p| {
                p.split_once("}}")
                    .map(|(a, _)| a.trim().trim_start_matches('.').to_string())
            })
            .map(|f| header(&f))
            .collect();
        rows.push(head);
    }
    // Parsed once, executed per row.
    let tmpl = template::Template::parse(body).map_err(Failure::new)?;
    for item in &items {
        let line = tmpl.execute(item).map_err(Failure::new)?;
        if table {
            rows.push(line.split('\t').map(str::to_string).collect());
        } else {
            println!("{line}");
        }
    }
    if table {
        print_table(&rows);
    }
    Ok(0)
}
