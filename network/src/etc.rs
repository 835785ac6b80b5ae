//! The generated /etc/hosts and /etc/resolv.conf, in podman's layout.

use std::net::IpAddr;

use crate::NetworkError;

/// One /etc/hosts line: an address and its names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEntry {
    pub ip: String,
    pub names: Vec<String>,
}

/// `--add-host NAME:IP` (podman also takes `NAME1;NAME2:IP`, and `host-gateway` for the host's
/// address as `host.containers.internal` sees it). An IPv6 address keeps its colons: the
/// split is at the first ':'.
pub fn parse_add_host(spec: &str) -> Result<HostEntry, NetworkError> {
    let bad = |why: &str| NetworkError::InvalidHost {
        spec: spec.to_string(),
        why: why.to_string(),
    };
    let (names, ip) = spec
        .split_once(':')
        .ok_or_else(|| bad("use NAME:IP, e.g. db:10.0.0.5"))?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if ip != "host-gateway" && ip.parse::<IpAddr>().is_err() {
        return Err(bad(&format!("\"{ip}\" is not an IP address")));
    }
    let names: Vec<String> = names.split(';').map(str::to_string).collect();
    for n in &names {
        if n.is_empty()
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(bad(&format!("\"{n}\" is not a valid host name")));
        }
    }
    Ok(HostEntry {
        ip: ip.to_string(),
        names,
    })
}

const LOCALHOST: &str = "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n";

/// podman's order: the `--add-host` entries first (they win a lookup), localhost, the
/// container's own names, then `host.containers.internal`.
pub fn hosts_file(
    extra: &[HostEntry],
    own: Option<&HostEntry>,
    host_internal: Option<&str>,
) -> String {
    let line = |e: &HostEntry| format!("{}\t{}\n", e.ip, e.names.join(" "));
    let mut out: String = extra.iter().map(line).collect();
    out.push_str(LOCALHOST);
    if let Some(e) = own {
        out.push_str(&line(e));
    }
    if let Some(ip) = host_internal {
        out.push_str(&format!(
            "{ip}\thost.containers.internal host.docker.internal\n"
        ));
    }
    out
}

/// /etc/resolv.conf with the given servers, search domains (`.` alone means none) and options.
pub fn resolv_conf(nameservers: &[String], search: &[String], options: &[String]) -> String {
    let mut out = String::new();
    let search: Vec<&String> = search.iter().filter(|s| s.as_str() != ".").collect();
    if !search.is_empty() {
        out.push_str("search");
        for s in search {
            out.push(' ');
            out.push_str(s);
        }
        out.push('\n');
    }
    for n in nameservers {
        out.push_str(&format!("nameserver {n}\n"));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_host() {
        let e = parse_add_host("db:10.0.0.5").unwrap();
        assert_eq!(
            (e.ip.as_str(), e.names.clone()),
            ("10.0.0.5", vec!["db".into()])
        );
        assert_eq!(parse_add_host("v6:::1").unwrap().ip, "::1");
        assert_eq!(parse_add_host("a;b:1.2.3.4").unwrap().names.len(), 2);
        assert_eq!(
            parse_add_host("gw:host-gateway").unwrap().ip,
            "host-gateway"
        );
        for bad in ["nocolon", "db:999.1.1.1", ":1.2.3.4", "a b:1.2.3.4"] {
            assert!(parse_add_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts_layout() {
        let extra = [parse_add_host("db:10.0.0.5").unwrap()];
        let own = HostEntry {
            ip: "10.0.2.100".into(),
            names: vec!["abc".into(), "web".into()],
        };
        let h = hosts_file(&extra, Some(&own), Some("10.0.2.2"));
        let lines: Vec<&str> = h.lines().collect();
        assert_eq!(lines[0], "10.0.0.5\tdb");
        assert!(lines[1].starts_with("127.0.0.1\tlocalhost"));
        assert_eq!(lines[3], "10.0.2.100\tabc web");
        assert_eq!(
            lines[4],
            "10.0.2.2\thost.containers.internal host.docker.internal"
        );
    }

    #[test]
    fn resolv() {
        let r = resolv_conf(
            &["10.0.2.3".into()],
            &["example.com".into()],
            &["ndots:2".into()],
        );
        assert_eq!(
            r,
            "search example.com\nnameserver 10.0.2.3\noptions ndots:2\n"
        );
        assert_eq!(resolv_conf(&[], &[".".into()], &[]), "");
    }
}
