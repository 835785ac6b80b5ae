//! Parsers of the flags that place a container: its cgroup (`--cgroup-parent`,
//! `--cgroup-conf`) and its fixed addresses (`--mac-address`, `--ip6`, `--link-local-ip`).
//! They only check and type the values; what the runtime does with them is elsewhere.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::SpecError;
use super::parse::comma_list;

/// `--cgroup-parent` and `--cgroup-conf`, checked: an absolute parent without `..`, and
/// KEY=VALUE entries whose key is a plain cgroup file name (a later key wins).
pub fn cgroup_placement(
    parent: &Option<String>,
    conf: &[String],
) -> std::result::Result<(Option<String>, BTreeMap<String, String>), SpecError> {
    let parent = match parent.as_deref() {
        None | Some("") => None,
        Some(p) => {
            if !p.starts_with('/') || p.split('/').any(|c| c == "..") {
                return Err(SpecError::CgroupParent(p.to_string()));
            }
            Some(p.trim_end_matches('/').to_string()).filter(|p| !p.is_empty())
        }
    };
    let mut map = BTreeMap::new();
    for entry in conf {
        match entry.split_once('=') {
            Some((k, v))
                if !k.is_empty()
                    && k.contains('.')
                    && !k.contains('/')
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) =>
            {
                map.insert(k.to_string(), v.to_string());
            }
            _ => return Err(SpecError::CgroupConf(entry.clone())),
        }
    }
    Ok((parent, map))
}

/// The addresses checked and turned into their typed form.
pub type StaticAddresses = (Option<String>, Option<IpAddr>, Vec<IpAddr>);

/// `--mac-address` (six bytes, `:` or `-` separated, returned lower-case with `:`), `--ip6`
/// (any address, as podman's parser takes it) and `--link-local-ip` (link-local ones only).
pub fn static_addresses(
    mac: &Option<String>,
    ip6: &Option<String>,
    link_local: &[String],
) -> std::result::Result<StaticAddresses, SpecError> {
    let mac = match mac.as_deref() {
        None | Some("") => None,
        Some(m) => {
            let bytes: Vec<&str> = m.split([':', '-']).collect();
            let ok = bytes.len() == 6
                && bytes
                    .iter()
                    .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()));
            if !ok {
                return Err(SpecError::MacAddress(m.to_string()));
            }
            Some(bytes.join(":").to_ascii_lowercase())
        }
    };
    let ip6 = match ip6.as_deref() {
        None | Some("") => None,
        Some(a) => Some(
            a.parse::<IpAddr>()
                .map_err(|_| SpecError::Ip6(a.to_string()))?,
        ),
    };
    let mut locals = Vec::new();
    for a in comma_list(link_local) {
        let ip: IpAddr = a.parse().map_err(|_| SpecError::LinkLocalIp(a.clone()))?;
        let link_local = match ip {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        };
        if !link_local {
            return Err(SpecError::LinkLocalIp(a));
        }
        locals.push(ip);
    }
    Ok((mac, ip6, locals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_placement_is_checked() {
        let (p, c) = cgroup_placement(&Some("/a/b/".into()), &["pids.max=5".into()]).unwrap();
        assert_eq!(p.as_deref(), Some("/a/b"));
        assert_eq!(c.get("pids.max").map(String::as_str), Some("5"));
        for bad in ["rel", "/a/../b"] {
            assert!(cgroup_placement(&Some(bad.into()), &[]).is_err(), "{bad}");
        }
        for bad in ["pids.max", "../x.y=1", "a/b.c=1", "=1"] {
            assert!(cgroup_placement(&None, &[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn static_addresses_are_checked() {
        let (mac, ip6, ll) = static_addresses(
            &Some("92-D0-C6-0A-29-33".into()),
            &Some("fd00::5".into()),
            &["169.254.1.1,fe80::1".into()],
        )
        .unwrap();
        assert_eq!(mac.as_deref(), Some("92:d0:c6:0a:29:33"));
        assert!(ip6.is_some() && ll.len() == 2);
        assert!(static_addresses(&Some("92:d0:c6:0a:29".into()), &None, &[]).is_err());
        assert!(static_addresses(&None, &Some("fd00::zz".into()), &[]).is_err());
        assert!(static_addresses(&None, &None, &["10.0.0.1".into()]).is_err());
    }
}
