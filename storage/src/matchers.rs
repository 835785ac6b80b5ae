//! The value matchers every `--filter` shares (images here; containers, pods, volumes and
//! networks through libpod's filter module): podman's `label=KEY[=VALUE]` test and its
//! `until=` time values. One copy of each, so every command reads a filter the same way.
//! Nothing here looks anything up: these are pure functions of their arguments.

use chrono::{DateTime, Duration, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::filter::glob_match;

/// podman's `MatchLabelFilters` for one `KEY[=VALUE]` value: some label whose key is `KEY`
/// (or matches it as a glob) and, when a non-empty VALUE is given, whose value is VALUE.
pub fn label_matches<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>, spec: &str) -> bool {
    let (key, value) = spec.split_once('=').unwrap_or((spec, ""));
    labels.into_iter().any(|(k, v)| {
        (value.is_empty() || v == value) && (k == key || glob_match(key.as_bytes(), k.as_bytes()))
    })
}

/// An `until=`/`since=` value as a point in time, measured from now (see [`timestamp`]).
pub fn until_timestamp(value: &str) -> Result<DateTime<Utc>, String> {
    timestamp(value, Local::now().fixed_offset())
}

/// moby's `timetype.GetTimestamp`, which podman uses for `until=`: a Go duration (`10m`,
/// `1h30m`: that long before `now`), an RFC3339 time or a prefix of one (`2024-05-01`,
/// `2024-05-01T10`, with or without a zone; without one it is `now`'s zone), or unix seconds
/// (`1714550400`, `1714550400.5`).
pub fn timestamp(value: &str, now: DateTime<FixedOffset>) -> Result<DateTime<Utc>, String> {
    if value != "0"
        && let Some(nanos) = go_duration(value)
    {
        return Ok((now - Duration::nanoseconds(nanos)).with_timezone(&Utc));
    }
    if let Some(t) = rfc3339_like(value, *now.offset()) {
        return Ok(t);
    }
    let fail = || format!("failed to parse value as time or duration: {value:?}");
    if value.contains('-') {
        return Err(fail());
    }
    unix_seconds(value).ok_or_else(fail)
}

/// The RFC3339 shapes moby accepts: the zone, when there is one, is `Z` or `±HH:MM`.
fn rfc3339_like(value: &str, local: FixedOffset) -> Option<DateTime<Utc>> {
    let in_local = !value.contains(['z', 'Z', '+']) && value.matches('-').count() != 3;
    let (body, offset) = if in_local {
        (value, local)
    } else if let Some(body) = value.strip_suffix(['z', 'Z']) {
        (body, FixedOffset::east_opt(0)?)
    } else {
        let split = value.len().checked_sub(6)?;
        let (body, zone) = (value.get(..split)?, value.get(split..)?);
        let sign = match zone.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let (h, m) = zone[1..].split_once(':')?;
        let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
        (body, FixedOffset::east_opt(sign * secs)?)
    };
    let naive = if body.contains('.') {
        NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S%.f").ok()?
    } else if body.contains('T') {
        match body.matches(':').count() {
            0 => NaiveDateTime::parse_from_str(&format!("{body}:00"), "%Y-%m-%dT%H:%M").ok()?,
            1 => NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M").ok()?,
            _ => NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S").ok()?,
        }
    } else {
        NaiveDate::parse_from_str(body, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?
    };
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// `SECONDS[.FRACTION]`, as moby's `ParseTimestamps` reads it.
fn unix_seconds(value: &str) -> Option<DateTime<Utc>> {
    let (secs, frac) = value.split_once('.').unwrap_or((value, ""));
    let secs: i64 = secs.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        let digits = frac.get(..9.min(frac.len()))?;
        let n: u32 = digits.parse().ok()?;
        n * 10u32.pow(9 - digits.len() as u32)
    };
    DateTime::from_timestamp(secs, nanos)
}

/// Go's `time.ParseDuration` in nanoseconds: `[-+]` then one or more `NUMBER UNIT` (units
/// ns, us, µs, ms, s, m, h; fractions allowed), or a bare `0`.
pub fn go_duration(s: &str) -> Option<i64> {
    parse_go_duration(s).ok()
}

/// [`go_duration`] with Go's error text (`time: invalid duration "x"`, `time: missing unit in
/// duration "5"`, `time: unknown unit "d" in duration "5d"`).
pub fn parse_go_duration(s: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {s:?}");
    let (sign, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        Some(_) => (1.0, s),
        None => return Err(invalid()),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(invalid());
        }
        let n: f64 = num.parse().map_err(|_| invalid())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let per = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            unit => return Err(format!("time: unknown unit {unit:?} in duration {s:?}")),
        };
        rest = &rest[unit_len..];
        total += n * per;
    }
    let total = sign * total;
    if total.abs() < i64::MAX as f64 {
        Ok(total.round() as i64)
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2024-05-01T12:00:00+02:00").unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn labels_match_key_value_and_key_globs() {
        let labels = [("tier", "web"), ("app.kind", "db")];
        let m = |spec| label_matches(labels.iter().copied(), spec);
        assert!(m("tier"));
        assert!(m("tier=web"));
        assert!(!m("tier=db"));
        // podman: an empty VALUE matches any value.
        assert!(m("tier="));
        assert!(m("app.*=db"));
        assert!(!m("missing"));
    }

    #[test]
    fn go_durations_parse_as_go_does() {
        assert_eq!(go_duration("10m"), Some(600_000_000_000));
        assert_eq!(go_duration("1h30m"), Some(5_400_000_000_000));
        assert_eq!(go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(go_duration("250ms"), Some(250_000_000));
        assert_eq!(go_duration("-2s"), Some(-2_000_000_000));
        assert_eq!(go_duration("0"), Some(0));
        for bad in ["", "10", "m", "1d", "1..5s", "s10"] {
            assert_eq!(go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_accept_durations_times_dates_and_unix_seconds() {
        assert_eq!(timestamp("10m", now()), Ok(at("2024-05-01T09:50:00Z")));
        assert_eq!(timestamp("1h30m", now()), Ok(at("2024-05-01T08:30:00Z")));
        assert_eq!(
            timestamp("2024-04-01T10:00:00Z", now()),
            Ok(at("2024-04-01T10:00:00Z"))
        );
        assert_eq!(
            timestamp("2024-04-01T10:00:00.5+01:00", now()),
            Ok(at("2024-04-01T09:00:00.5Z"))
        );
        assert_eq!(
            timestamp("2024-04-01T10:00:00-01:00", now()),
            Ok(at("2024-04-01T11:00:00Z"))
        );
        // No zone: now's zone (+02:00).
        assert_eq!(
            timestamp("2024-04-01T10", now()),
            Ok(at("2024-04-01T08:00:00Z"))
        );
        assert_eq!(
            timestamp("2024-04-01", now()),
            Ok(at("2024-03-31T22:00:00Z"))
        );
        assert_eq!(
            timestamp("1714550400", now()),
            Ok(at("2024-05-01T08:00:00Z"))
        );
        assert_eq!(
            timestamp("1714550400.5", now()),
            Ok(at("2024-05-01T08:00:00.5Z"))
        );
        assert!(timestamp("yesterday", now()).is_err());
        assert!(timestamp("2024-13-01", now()).is_err());
    }
}
