//! `logs`, and the `--since`/`--until` times logs and events take.

use clap::Args;
use libpod::Runtime;
use libpod::runtime::LogsOptions;

use crate::commands::{Failure, Outcome, each};

#[derive(Args, Debug)]
pub struct LogsOptionsArgs {
    /// Follow log output
    #[arg(short = 'f', long)]
    follow: bool,
    /// Output the timestamps in the log
    #[arg(short = 't', long)]
    timestamps: bool,
    /// Show logs since TIMESTAMP (RFC3339, unix seconds, or a duration like 10m)
    #[arg(long)]
    since: Option<String>,
    /// Show logs until TIMESTAMP
    #[arg(long)]
    until: Option<String>,
    /// Output the specified number of LINES at the end of the logs
    #[arg(long)]
    tail: Option<i64>,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    #[command(flatten)]
    opts: LogsOptionsArgs,
    #[arg(required = true)]
    names: Vec<String>,
}

pub(crate) fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, Failure> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    let now = chrono::Local::now().fixed_offset();
    if let Ok(secs) = s.parse::<f64>() {
        return chrono::DateTime::from_timestamp(secs as i64, 0)
            .map(|t| t.fixed_offset())
            .ok_or_else(|| Failure::new(format!("invalid time \"{s}\"")));
    }
    let mut total = 0f64;
    let mut num = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            num.push(ch);
            continue;
        }
        let n: f64 = num.parse().map_err(|_| {
            Failure::new(format!(
                "invalid time \"{s}\": use RFC3339, unix seconds or a duration like 10m"
            ))
        })?;
        num.clear();
        total += n * match ch {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            _ => {
                return Err(Failure::new(format!(
                    "invalid time \"{s}\": use RFC3339, unix seconds or a duration like 10m"
                )));
            }
        };
    }
    if !num.is_empty() {
        return Err(Failure::new(format!(
            "invalid time \"{s}\": a duration needs a unit (s, m, h)"
        )));
    }
    Ok(now - chrono::Duration::milliseconds((total * 1000.0) as i64))
}

pub fn logs(rt: &Runtime, a: LogsArgs) -> Outcome {
    let o = a.opts;
    let opts = LogsOptions {
        follow: o.follow,
        timestamps: o.timestamps,
        since: o.since.as_deref().map(parse_time).transpose()?,
        until: o.until.as_deref().map(parse_time).transpose()?,
        tail: o.tail.filter(|t| *t >= 0).map(|t| t as usize),
    };
    each(&a.names, |n| {
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        rt.logs(n, &opts, &mut stdout.lock(), &mut stderr.lock())?;
        Ok(())
    })
}
