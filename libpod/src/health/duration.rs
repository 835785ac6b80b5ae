//! Go's `time.ParseDuration` syntax, as podman's duration flags take it: `30s`, `1m30s`,
//! `1.5h`, `500ms`, a bare `0` (parsed by storage's one Go duration parser), and Go's way of
//! printing one.

/// Parses a Go duration into nanoseconds; the error says what is wrong, as Go's does. A
/// negative duration is refused (no check runs before it was started).
pub fn parse(s: &str) -> Result<u64, String> {
    if s.starts_with('-') {
        return Err(format!("time: invalid duration {s:?}"));
    }
    storage::matchers::parse_go_duration(s).map(|n| n as u64)
}

/// Go's `Duration.String()`: `30s`, `1m30s`, `1h0m0s`, `500ms`, `0s`.
pub fn format(ns: u64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    if ns < 1_000_000_000 {
        return match ns {
            n if n < 1_000 => format!("{n}ns"),
            n if n < 1_000_000 => format!("{}µs", trim(n as f64 / 1e3)),
            n => format!("{}ms", trim(n as f64 / 1e6)),
        };
    }
    let h = ns / 3_600_000_000_000;
    let m = ns / 60_000_000_000 % 60;
    let s = (ns % 60_000_000_000) as f64 / 1e9;
    match (h, m) {
        (0, 0) => format!("{}s", trim(s)),
        (0, m) => format!("{m}m{}s", trim(s)),
        (h, m) => format!("{h}h{m}m{}s", trim(s)),
    }
}

fn trim(v: f64) -> String {
    let t = format!("{v:.9}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse("30s"), Ok(30_000_000_000));
        assert_eq!(parse("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse("500ms"), Ok(500_000_000));
        assert_eq!(parse("0"), Ok(0));
        for bad in ["", "10", "-1s", "1x", "s", "1.2.3s", "abc"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format(90_000_000_000), "1m30s");
        assert_eq!(format(3_600_000_000_000), "1h0m0s");
        assert_eq!(format(500_000_000), "500ms");
        assert_eq!(format(1_500_000_000), "1.5s");
        assert_eq!(format(0), "0s");
    }
}
