//! Parsers for single flag values of a container spec (`--ulimit`, `--stop-signal`,
//! `--security-opt`, `--dns`...), each returning the typed value or a [`SpecError`] that names
//! the flag.

use std::collections::BTreeMap;

pub use super::placement::{StaticAddresses, cgroup_placement, static_addresses};
use std::path::Path;

use crate::container::Ulimit;
use crate::error::Result;

use super::{CgroupnsMode, CgroupsMode, SecretUse, SpecError, VolumesFrom};

/// `--ulimit nofile=1024:2048`, `--ulimit nproc=-1` (unlimited).
pub fn ulimit(u: &str) -> std::result::Result<Ulimit, SpecError> {
    let bad = |why: String| SpecError::Ulimit {
        value: u.to_string(),
        why,
    };
    let usage = || bad("use NAME=SOFT[:HARD], e.g. nofile=1024:2048".into());
    let (name, vals) = u.split_once('=').ok_or_else(usage)?;
    crate::executor::rlimit_resource(name)
        .ok_or_else(|| bad(format!("unknown resource \"{name}\"")))?;
    let num = |s: &str| -> std::result::Result<u64, SpecError> {
        if s == "-1" || s == "unlimited" {
            Ok(libc::RLIM_INFINITY)
        } else {
            s.parse().map_err(|_| usage())
        }
    };
    let (soft, hard) = match vals.split_once(':') {
        Some((s, h)) => (num(s)?, num(h)?),
        None => (num(vals)?, num(vals)?),
    };
    if soft > hard {
        return Err(bad("the soft limit must not exceed the hard limit".into()));
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

/// "SIGTERM", "TERM", "15" → the signal.
pub fn signal(s: &str) -> std::result::Result<nix::sys::signal::Signal, SpecError> {
    use std::str::FromStr;
    let bad = || SpecError::Signal(s.to_string());
    if let Ok(n) = s.parse::<i32>() {
        return nix::sys::signal::Signal::try_from(n).map_err(|_| bad());
    }
    let up = s.to_ascii_uppercase();
    let full = if up.starts_with("SIG") {
        up
    } else {
        format!("SIG{up}")
    };
    nix::sys::signal::Signal::from_str(&full).map_err(|_| bad())
}

/// A stop signal as its number: [`signal`]'s names and numbers, and the real-time signals
/// nix has no name for (`SIGRTMIN+3`, `RTMAX-1`, `36`), which systemd's halt request needs.
pub fn signal_number(s: &str) -> std::result::Result<i32, SpecError> {
    if let Ok(sig) = signal(s) {
        return Ok(sig as i32);
    }
    let bad = || SpecError::Signal(s.to_string());
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
    let offset = |rest: &str, sign: char| -> std::result::Result<i32, SpecError> {
        match rest.strip_prefix(sign) {
            None if rest.is_empty() => Ok(0),
            Some(n) => n.parse::<i32>().map_err(|_| bad()),
            None => Err(bad()),
        }
    };
    let n = if let Ok(n) = name.parse::<i32>() {
        n
    } else if let Some(rest) = name.strip_prefix("RTMIN") {
        min + offset(rest, '+')?
    } else if let Some(rest) = name.strip_prefix("RTMAX") {
        max - offset(rest, '-')?
    } else {
        return Err(bad());
    };
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(bad())
    }
}

/// `--volumes-from CTR[:ro|rw]` (`z` is accepted and ignored, as podman without SELinux).
pub fn volumes_from(from: &str) -> std::result::Result<VolumesFrom, SpecError> {
    let (container, mode) = match from.split_once(':') {
        Some((c, m)) => (c, Some(m)),
        None => (from, None),
    };
    let read_only = match mode {
        None | Some("z") => None,
        Some("ro") => Some(true),
        Some("rw") => Some(false),
        Some(_) => return Err(SpecError::VolumesFrom(from.to_string())),
    };
    Ok(VolumesFrom {
        container: container.to_string(),
        read_only,
    })
}

/// `--cgroups enabled|disabled|no-conmon|split`.
pub fn cgroups_mode(m: Option<&str>) -> std::result::Result<CgroupsMode, SpecError> {
    Ok(match m.unwrap_or("enabled") {
        "enabled" => CgroupsMode::Enabled,
        "disabled" => CgroupsMode::Disabled,
        "no-conmon" => CgroupsMode::NoConmon,
        "split" => CgroupsMode::Split,
        other => return Err(SpecError::CgroupsMode(other.to_string())),
    })
}

/// `--cgroupns private|host`.
pub fn cgroupns_mode(m: Option<&str>) -> std::result::Result<CgroupnsMode, SpecError> {
    Ok(match m.unwrap_or("private") {
        "private" => CgroupnsMode::Private,
        "host" => CgroupnsMode::Host,
        other => return Err(SpecError::Cgroupns(other.to_string())),
    })
}

/// What `--security-opt` asks for.
#[derive(Debug, Default, PartialEq)]
pub struct SecurityOpts {
    /// The seccomp profile ("unconfined" or an existing file), if any.
    pub seccomp: Option<String>,
    pub no_new_privileges: bool,
    /// `mask=P1:P2`: more paths hidden like podman's default masked ones.
    pub mask: Vec<String>,
    /// `unmask=ALL|P1:P2`: default masked or read-only paths left as they are.
    pub unmask: Vec<String>,
}

/// `--security-opt`. SELinux and AppArmor labels are accepted and have no effect (burrow
/// supports neither, as podman on a host without them).
pub fn security_opts(opts: &[String]) -> std::result::Result<SecurityOpts, SpecError> {
    let mut out = SecurityOpts::default();
    for s in opts {
        match s.split_once(['=', ':']) {
            Some(("seccomp", v)) => {
                if v != "unconfined" && !Path::new(v).is_file() {
                    return Err(SpecError::SeccompProfile(v.to_string()));
                }
                out.seccomp = Some(v.to_string());
            }
            Some(("no-new-privileges", v)) => out.no_new_privileges = v != "false",
            Some(("label" | "apparmor", _)) => {}
            // podman's spelling of "no masked or read-only system paths".
            Some(("systempaths", "unconfined")) => out.unmask.push("ALL".into()),
            Some((kind @ ("mask" | "unmask"), v)) => {
                let paths = v.split(':').filter(|p| !p.is_empty());
                for p in paths {
                    let all = kind == "unmask" && p == "ALL";
                    if !all && (!p.starts_with('/') || p.split('/').any(|c| c == "..")) {
                        return Err(SpecError::MaskPath(s.clone()));
                    }
                    let list = if kind == "mask" {
                        &mut out.mask
                    } else {
                        &mut out.unmask
                    };
                    list.push(p.to_string());
                }
            }
            None if s == "no-new-privileges" => out.no_new_privileges = true,
            _ => return Err(SpecError::SecurityOpt(s.clone())),
        }
    }
    Ok(out)
}

/// `--entrypoint`: a JSON array, or one word; "" clears the image's.
pub fn entrypoint(ep: &str) -> std::result::Result<Vec<String>, SpecError> {
    if ep.is_empty() {
        Ok(Vec::new())
    } else if ep.trim_start().starts_with('[') {
        serde_json::from_str(ep).map_err(|source| SpecError::Entrypoint {
            value: ep.to_string(),
            source,
        })
    } else {
        Ok(vec![ep.to_string()])
    }
}

/// The non-empty, non-comment lines of an env or label file.
pub fn read_lines(path: &Path, what: &'static str) -> std::result::Result<Vec<String>, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::ReadFile {
        what,
        path: path.to_path_buf(),
        source,
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// `-e KEY=VALUE` sets, `-e KEY` copies the caller's value (or drops it if unset); a key set
/// again replaces the earlier entry and moves to the end.
pub fn merge_env(env: &mut Vec<String>, entry: &str) {
    let (key, value) = match entry.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => match std::env::var(entry) {
            Ok(v) => (entry.to_string(), v),
            Err(_) => return,
        },
    };
    env.retain(|e| e.split_once('=').map(|(k, _)| k) != Some(key.as_str()));
    env.push(format!("{key}={value}"));
}

/// `KEY=VALUE` (or `KEY`, an empty value) entries into a map; a later key wins.
pub fn key_values<'a>(
    into: &mut BTreeMap<String, String>,
    entries: impl IntoIterator<Item = &'a str>,
) {
    for e in entries {
        let (k, v) = e.split_once('=').unwrap_or((e, ""));
        into.insert(k.to_string(), v.to_string());
    }
}

/// `--dns` (IP addresses, or `none` alone) and `--add-host` (NAME:IP).
pub fn dns_and_hosts(dns: &[String], add_hosts: &[String]) -> Result<()> {
    if dns.iter().any(|d| d == "none") && dns.len() > 1 {
        return Err(SpecError::DnsNoneWithOthers.into());
    }
    if let Some(d) = dns
        .iter()
        .find(|d| *d != "none" && d.parse::<std::net::IpAddr>().is_err())
    {
        return Err(SpecError::Dns(d.clone()).into());
    }
    for h in add_hosts {
        network::parse_add_host(h)?;
    }
    Ok(())
}

/// `-p` specs, parsed (host ports are picked and checked at create).
pub fn ports(publish: &[String]) -> Result<Vec<network::PortMapping>> {
    let mut ports = Vec::new();
    for spec in publish {
        ports.extend(network::parse_port(spec)?);
    }
    Ok(ports)
}

/// `--secret NAME[,type=mount|env][,target=T][,uid=N][,gid=N][,mode=OCTAL]` as podman parses
/// it (its messages too): `source=NAME` may stand anywhere instead of the leading name; uid,
/// gid and mode belong to `mount` secrets only.
pub fn secret(value: &str) -> std::result::Result<SecretUse, SpecError> {
    use crate::secrets::SecretKind;
    let bad = |why: String| SpecError::Secret(why);
    let mut parts: Vec<&str> = value.split(',').collect();
    let mut name = "";
    if !parts[0].contains('=') {
        name = parts.remove(0);
    }
    let (mut kind, mut target, mut mount_only) = (None, None, false);
    let (mut uid, mut gid, mut mode) = (0, 0, 0o444);
    for p in parts {
        let (key, v) = p
            .split_once('=')
            .ok_or_else(|| bad(format!("option {p} must be in form option=value")))?;
        match key {
            "source" => name = v,
            "type" => {
                if kind.is_some() {
                    return Err(bad("cannot set more than one secret type".into()));
                }
                kind = Some(match v {
                    "mount" => SecretKind::Mount,
                    "env" => SecretKind::Env,
                    _ => return Err(bad(format!("type {v} is invalid"))),
                });
            }
            "target" => target = Some(v.to_string()),
            "mode" => {
                mount_only = true;
                mode = u32::from_str_radix(v, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| bad(format!("mode {v} invalid")))?;
            }
            "uid" | "UID" => {
                mount_only = true;
                uid = v.parse().map_err(|_| bad(format!("UID {v} invalid")))?;
            }
            "gid" | "GID" => {
                mount_only = true;
                gid = v.parse().map_err(|_| bad(format!("GID {v} invalid")))?;
            }
            _ => return Err(bad(format!("option {p} invalid"))),
        }
    }
    if name.is_empty() {
        return Err(bad(format!("no source found {value}")));
    }
    let kind = kind.unwrap_or_default();
    if let Some(t) = &target {
        let ok = match kind {
            SecretKind::Mount => crate::secrets::target_is_plain(t),
            SecretKind::Env => !t.is_empty() && !t.contains('=') && !t.contains('\0'),
        };
        if !ok {
            return Err(bad(format!("target {t} invalid")));
        }
    }
    if kind == SecretKind::Env && mount_only {
        return Err(bad(
            "UID, GID, Mode options cannot be set with secret type env".into(),
        ));
    }
    Ok(SecretUse {
        name: name.to_string(),
        kind,
        target,
        uid,
        gid,
        mode,
    })
}

/// `--umask`: 1 to 4 octal digits (podman's `^[0-7]{1,4}$`), kept as given.
pub fn umask(u: &str) -> std::result::Result<String, SpecError> {
    let ok = (1..=4).contains(&u.len()) && u.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if ok {
        Ok(u.to_string())
    } else {
        Err(SpecError::Umask(u.to_string()))
    }
}

/// The umask a stored `--umask` string stands for (0022 when empty or unreadable).
pub fn umask_bits(u: &str) -> u32 {
    u32::from_str_radix(u, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .unwrap_or(0o022)
}

/// `--tz`: `local`, or a zone name as Go's time.LoadLocation takes it (no `..`, not absolute)
/// that exists under the host's zoneinfo ($TZDIR, else /usr/share/zoneinfo): its file is what
/// the container's /etc/localtime becomes.
pub fn timezone(tz: &str) -> std::result::Result<String, SpecError> {
    if tz == "local" {
        return Ok(tz.to_string());
    }
    let bad = |why: String| SpecError::Timezone { why };
    if tz.is_empty()
        || tz.starts_with('/')
        || tz.starts_with('\\')
        || tz.split(['/', '\\']).any(|c| c == "..")
    {
        return Err(bad("time: invalid location name".into()));
    }
    if !zoneinfo_file(tz).is_file() {
        return Err(bad(format!("unknown time zone {tz}")));
    }
    Ok(tz.to_string())
}

/// The host's file for zone `tz` (`local`: what /etc/localtime points at).
pub fn zoneinfo_file(tz: &str) -> std::path::PathBuf {
    if tz == "local" {
        return std::fs::canonicalize("/etc/localtime")
            .unwrap_or_else(|_| std::path::PathBuf::from("/etc/localtime"));
    }
    let dir = std::env::var_os("TZDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(
            || std::path::PathBuf::from("/usr/share/zoneinfo"),
            std::path::PathBuf::from,
        );
    dir.join(tz)
}

/// `--expose PORT[-END][/tcp|udp|sctp]`: one "PORT/PROTO" entry per port, as podman's
/// CreateExpose and checkProtocol read it (a protocol list like `tcp,udp` gives both).
pub fn expose(value: &str) -> std::result::Result<Vec<String>, SpecError> {
    let bad = |why: &str| SpecError::Expose {
        value: value.to_string(),
        why: why.to_string(),
    };
    let parts: Vec<&str> = value.split('/').collect();
    if parts.len() > 2 {
        return Err(bad(
            "the protocol can only be given once: use PORT[-END][/PROTOCOL]",
        ));
    }
    let mut protos: Vec<&str> = Vec::new();
    for p in parts.get(1).copied().unwrap_or("tcp").split(',') {
        let p = match p.to_ascii_lowercase().as_str() {
            "" | "tcp" => "tcp",
            "udp" => "udp",
            "sctp" => "sctp",
            _ => return Err(bad("unknown protocol: use tcp, udp or sctp")),
        };
        if !protos.contains(&p) {
            protos.push(p);
        }
    }
    let port = |s: &str| -> std::result::Result<u16, SpecError> {
        match s.parse::<u16>() {
            Ok(0) => Err(bad("cannot expose 0 as it is not a valid port number")),
            Ok(n) => Ok(n),
            Err(_) => Err(bad(
                "not a port number: use PORT[-END][/PROTOCOL], e.g. 8080/tcp",
            )),
        }
    };
    let (start, end) = match parts[0].split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => (port(parts[0])?, port(parts[0])?),
    };
    if end < start {
        return Err(bad("the end of the range is below its start"));
    }
    let mut out = Vec::new();
    for n in start..=end {
        for p in &protos {
            out.push(format!("{n}/{p}"));
        }
    }
    Ok(out)
}

/// `--hosts-file`: `none`, `image`, "" (the default) or the absolute path of a host file.
pub fn hosts_file(h: &str) -> std::result::Result<(), SpecError> {
    if matches!(h, "" | "none" | "image") || (h.starts_with('/') && Path::new(h).is_file()) {
        Ok(())
    } else {
        Err(SpecError::HostsFile(h.to_string()))
    }
}

/// `--hostuser NAME|UID`: the host account, which must exist.
pub fn host_user(u: &str) -> std::result::Result<nix::unistd::User, SpecError> {
    let found = match u.parse::<u32>() {
        Ok(uid) => nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)),
        Err(_) => nix::unistd::User::from_name(u),
    };
    match found {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(SpecError::HostUser {
            name: u.to_string(),
            why: "no such user on the host: give a user name or UID from the host's /etc/passwd"
                .into(),
        }),
        Err(e) => Err(SpecError::HostUser {
            name: u.to_string(),
            why: e.to_string(),
        }),
    }
}

/// `--sysctl KEY=VALUE`s as podman's ValidateSysctls takes them: only what a container's own
/// namespaces hold (net.*, the IPC keys, fs.mqueue.*), no spaces around `=`.
pub fn sysctls(values: &[String]) -> std::result::Result<Vec<(String, String)>, SpecError> {
    const IPC: [&str; 8] = [
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ];
    let mut out: Vec<(String, String)> = Vec::new();
    for v in values {
        let Some((key, value)) = v.split_once('=') else {
            return Err(SpecError::Sysctl(format!(
                "{v} is invalid, sysctl values must be in the form of KEY=VALUE"
            )));
        };
        if key.trim() != key || value.trim() != value {
            return Err(SpecError::Sysctl(format!(
                "'{v}' is invalid, extra spaces found"
            )));
        }
        let allowed = IPC.contains(&key)
            || ((key.starts_with("net.") || key.starts_with("fs.mqueue."))
                && key
                    .split('.')
                    .all(|c| !c.is_empty() && c != ".." && !c.contains('/')));
        if !allowed {
            return Err(SpecError::Sysctl(format!("sysctl '{key}' is not allowed")));
        }
        out.retain(|(k, _)| k != key);
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

/// A repeatable flag whose values may also be comma-separated (podman's string slices):
/// every entry, in order, empty ones dropped.
pub fn comma_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realtime_stop_signals_parse_to_numbers() {
        let min = libc::SIGRTMIN();
        assert_eq!(signal_number("SIGRTMIN+3").unwrap(), min + 3);
        assert_eq!(signal_number("rtmin+3").unwrap(), min + 3);
        assert_eq!(signal_number("RTMAX-1").unwrap(), libc::SIGRTMAX() - 1);
        assert_eq!(signal_number("TERM").unwrap(), libc::SIGTERM);
        assert!(signal_number("RTMIN+99").is_err());
        assert!(signal_number("RTMINX").is_err());
    }

    #[test]
    fn ulimits_and_signals() {
        let u = ulimit("nofile=10:20").unwrap();
        assert_eq!((u.soft, u.hard), (10, 20));
        assert_eq!(ulimit("nproc=-1").unwrap().soft, libc::RLIM_INFINITY);
        assert!(ulimit("nofile=20:10").is_err());
        assert!(ulimit("bogus=1").is_err());
        assert!(ulimit("nofile").is_err());
        assert_eq!(signal("term").unwrap(), nix::sys::signal::Signal::SIGTERM);
        assert_eq!(signal("9").unwrap(), nix::sys::signal::Signal::SIGKILL);
        assert!(signal("SIGNOPE").is_err());
    }

    #[test]
    fn env_merge_overrides() {
        let mut env = vec!["PATH=/bin".to_string(), "A=1".to_string()];
        merge_env(&mut env, "A=2");
        merge_env(&mut env, "B=x=y");
        assert_eq!(env, vec!["PATH=/bin", "A=2", "B=x=y"]);
    }

    #[test]
    fn modes_and_options() {
        assert_eq!(cgroups_mode(None).unwrap(), CgroupsMode::Enabled);
        assert_eq!(cgroups_mode(Some("split")).unwrap().stored(), "split");
        assert!(cgroups_mode(Some("bogus")).is_err());
        assert_eq!(cgroupns_mode(Some("host")).unwrap(), CgroupnsMode::Host);
        assert!(cgroupns_mode(Some("shared")).is_err());
        assert_eq!(
            volumes_from("a:ro").unwrap(),
            VolumesFrom {
                container: "a".into(),
                read_only: Some(true)
            }
        );
        assert!(volumes_from("a:x").is_err());
        let o = security_opts(&["seccomp=unconfined".into(), "no-new-privileges".into()]).unwrap();
        assert_eq!(
            (o.seccomp.as_deref(), o.no_new_privileges),
            (Some("unconfined"), true)
        );
        let o = security_opts(&["mask=/a:/b".into(), "unmask=ALL".into()]).unwrap();
        assert_eq!(
            (o.mask, o.unmask),
            (vec!["/a".into(), "/b".into()], vec!["ALL".into()])
        );
        assert!(security_opts(&["mask=rel".into()]).is_err());
        assert!(security_opts(&["unmask=/a/../b".into()]).is_err());
        assert!(security_opts(&["seccomp=/does/not/exist".into()]).is_err());
        assert!(security_opts(&["bogus".into()]).is_err());
        assert_eq!(entrypoint("").unwrap(), Vec::<String>::new());
        assert_eq!(entrypoint("[\"a\",\"b\"]").unwrap(), vec!["a", "b"]);
        assert!(entrypoint("[nope").is_err());
        assert!(dns_and_hosts(&["none".into(), "1.1.1.1".into()], &[]).is_err());
        assert!(dns_and_hosts(&["nope".into()], &[]).is_err());
        assert!(dns_and_hosts(&["1.1.1.1".into()], &["h:10.0.0.1".into()]).is_ok());
    }

    #[test]
    fn secrets_as_podman_parses_them() {
        use crate::secrets::SecretKind;
        let s = secret("db").unwrap();
        assert_eq!(
            (s.name.as_str(), s.kind, s.mode),
            ("db", SecretKind::Mount, 0o444)
        );
        let s = secret("db,type=env,target=PASS").unwrap();
        assert_eq!(
            (s.kind, s.target.as_deref()),
            (SecretKind::Env, Some("PASS"))
        );
        let s = secret("type=mount,source=db,target=x/y,uid=1000,gid=100,mode=0400").unwrap();
        assert_eq!(
            (s.name.as_str(), s.uid, s.gid, s.mode),
            ("db", 1000, 100, 0o400)
        );
        for (bad, msg) in [
            ("db,type=file", "type file is invalid: parsing secret"),
            (
                "db,type=env,type=env",
                "cannot set more than one secret type: parsing secret",
            ),
            ("db,mode=999", "mode 999 invalid: parsing secret"),
            ("db,uid=-1", "UID -1 invalid: parsing secret"),
            ("db,gid=x", "GID x invalid: parsing secret"),
            ("db,bogus=1", "option bogus=1 invalid: parsing secret"),
            (
                "db,target",
                "option target must be in form option=value: parsing secret",
            ),
            ("type=env", "no source found type=env: parsing secret"),
            ("", "no source found : parsing secret"),
            (
                "db,type=env,uid=1",
                "UID, GID, Mode options cannot be set with secret type env: parsing secret",
            ),
            (
                "db,target=../../etc/passwd",
                "target ../../etc/passwd invalid: parsing secret",
            ),
            (
                "db,type=env,target=A=B",
                "target A=B invalid: parsing secret",
            ),
        ] {
            assert_eq!(secret(bad).unwrap_err().to_string(), msg, "{bad}");
        }
    }

    #[test]
    fn umask_timezone_expose() {
        assert_eq!(umask("0027").unwrap(), "0027");
        assert_eq!(umask_bits("22"), 0o022);
        assert!(umask("9999").is_err());
        assert!(umask("07777").is_err());
        assert!(umask("").is_err());
        assert_eq!(timezone("local").unwrap(), "local");
        assert!(timezone("../../etc/passwd").is_err());
        assert!(timezone("/etc/passwd").is_err());
        assert!(timezone("No/Such_Zone").is_err());
        assert_eq!(expose("80").unwrap(), vec!["80/tcp"]);
        assert_eq!(
            expose("53/udp,tcp").unwrap(),
            vec!["53/udp".to_string(), "53/tcp".to_string()]
        );
        assert_eq!(expose("3300-3302").unwrap().len(), 3);
        for bad in ["0", "x", "80/icmp", "80/tcp/udp", "90-80", "70000"] {
            assert!(expose(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sysctls_as_podman_allows_them() {
        let s = sysctls(&["net.ipv4.ip_forward=1".into(), "kernel.shmmax=1000".into()]).unwrap();
        assert_eq!(s[0], ("net.ipv4.ip_forward".into(), "1".into()));
        assert_eq!(s.len(), 2);
        for bad in [
            "kernel.hostname=x",
            "vm.swappiness=1",
            "net.ipv4.ip_forward",
            "net.ipv4.ip_forward = 1",
            "net.ipv4/../x=1",
        ] {
            assert!(sysctls(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn comma_lists_split_and_drop_empty_entries() {
        let given = vec!["a,b".to_string(), "".to_string(), " c ,".to_string()];
        assert_eq!(super::comma_list(&given), vec!["a", "b", "c"]);
    }
}
