//! `--device-cgroup-rule 'TYPE MAJOR:MINOR ACCESS'`: a rule for the devices cgroup, read as
//! podman reads it (`c 1:3 rwm`, `a *:* r`). Only parsing and the rootless refusal live here:
//! podman refuses rules for a rootless user, and burrow gives root's containers no devices
//! cgroup to add them to.

use super::SpecError;

/// One parsed rule; `None` stands for `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCgroupRule {
    pub kind: char,
    pub major: Option<u64>,
    pub minor: Option<u64>,
    pub access: String,
}

/// podman's `parseLinuxResourcesDeviceAccess`, its checks in its order and its words.
pub fn parse(rule: &str) -> Result<DeviceCgroupRule, SpecError> {
    let bad = |m: String| SpecError::DeviceCgroupRule(m);
    let fields: Vec<&str> = rule.split(' ').collect();
    let [kind, numbers, access] = fields[..] else {
        return Err(bad(format!(
            "invalid device cgroup rule requires type, major:Minor, and access rules: {rule:?}"
        )));
    };
    if !matches!(kind, "a" | "b" | "c") {
        return Err(bad(format!(
            "invalid device type in device-access-add: {kind}"
        )));
    }
    // Go's strconv error, as podman passes it on.
    let number = |s: &str| -> Result<Option<u64>, SpecError> {
        if s == "*" {
            return Ok(None);
        }
        s.parse()
            .map(Some)
            .map_err(|_| bad(format!("strconv.ParseUint: parsing {s:?}: invalid syntax")))
    };
    let (major, minor) = match numbers.split_once(':') {
        Some((ma, mi)) => (number(ma)?, number(mi)?),
        None => (number(numbers)?, None),
    };
    if let Some(c) = access.chars().find(|c| !matches!(c, 'r' | 'w' | 'm')) {
        return Err(bad(format!(
            "invalid device access in device-access-add: {c}"
        )));
    }
    Ok(DeviceCgroupRule {
        kind: kind.chars().next().unwrap_or('a'),
        major,
        minor,
        access: access.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_as_podman_reads_them() {
        let r = parse("c 1:3 rwm").unwrap();
        assert_eq!((r.kind, r.major, r.minor), ('c', Some(1), Some(3)));
        let r = parse("a *:* r").unwrap();
        assert_eq!((r.major, r.minor, r.access.as_str()), (None, None, "r"));
        let msg = |s: &str| parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("c 1:3"),
            "invalid device cgroup rule requires type, major:Minor, and access rules: \"c 1:3\""
        );
        assert_eq!(
            msg("x 1:3 r"),
            "invalid device type in device-access-add: x"
        );
        assert_eq!(
            msg("c one:3 r"),
            "strconv.ParseUint: parsing \"one\": invalid syntax"
        );
        assert_eq!(
            msg("c 1:3 rx"),
            "invalid device access in device-access-add: x"
        );
    }
}
