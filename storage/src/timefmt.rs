//! Timestamps in image configs as Go writes them (`time.RFC3339Nano`): UTC, and the fraction
//! of a second without trailing zeros (none at all for a whole second).
//!
//! Why it matters: an image's ID is the digest of its config bytes. podman (containers/image)
//! re-marshals the config when it converts an image between docker and OCI formats, so a
//! config burrow writes keeps its ID through podman only when its bytes are what Go would
//! write. chrono's `SecondsFormat::Nanos` always prints nine digits, which differs whenever
//! the nanoseconds end in a zero (one time in ten).

use chrono::{DateTime, SecondsFormat, Utc};

/// `t` in Go's RFC3339Nano layout, e.g. `2026-11-23T06:14:05.12345678Z`.
pub fn rfc3339_nano(t: DateTime<Utc>) -> String {
    let s = t.to_rfc3339_opts(SecondsFormat::Nanos, true);
    // "....SS.fffffffffZ": trim the fraction's trailing zeros, then a bare dot.
    let Some(body) = s.strip_suffix('Z') else {
        return s;
    };
    let trimmed = match body.rfind('.') {
        Some(_) => body.trim_end_matches('0').trim_end_matches('.'),
        None => body,
    };
    format!("{trimmed}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn trailing_zeros_go_as_in_go() {
        let at = |nanos| Utc.timestamp_opt(1_795_400_045, nanos).unwrap();
        assert_eq!(
            rfc3339_nano(at(123_456_789)),
            "2026-11-23T02:14:05.123456789Z"
        );
        assert_eq!(
            rfc3339_nano(at(123_456_780)),
            "2026-11-23T02:14:05.12345678Z"
        );
        assert_eq!(rfc3339_nano(at(500_000_000)), "2026-11-23T02:14:05.5Z");
        assert_eq!(rfc3339_nano(at(0)), "2026-11-23T02:14:05Z");
    }
}
