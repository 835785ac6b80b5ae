//! The one clock of the state database and the event log: nanoseconds since the epoch, the
//! unit every stored time uses. It depends on nothing else in libpod, so any module can read
//! it. Also the human form of a duration that listings print.

/// Nanoseconds since the epoch, the unit of every time in the state database.
pub(crate) fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}

/// docker's units.HumanDuration: "5 seconds", "About a minute", "3 hours", "2 weeks".
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match s {
        0 => "Less than a second".into(),
        1..=59 => plural(s, "second"),
        60..=119 => "About a minute".into(),
        _ if s < 3600 => plural(s / 60, "minute"),
        _ if s < 7200 => "About an hour".into(),
        _ if s < 48 * 3600 => plural(s / 3600, "hour"),
        _ if s < 14 * 86400 => plural(s / 86400, "day"),
        _ if s < 60 * 86400 => plural(s / (7 * 86400), "week"),
        _ if s < 730 * 86400 => plural(s / (30 * 86400), "month"),
        _ => plural(s / (365 * 86400), "year"),
    }
}
