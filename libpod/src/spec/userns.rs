//! `--userns`, `--uidmap`, `--gidmap`, `--subuidname`, `--subgidname`: which user namespace a
//! container runs in, parsed as podman 5 reads them (pkg/specgen `ParseUserNamespace`,
//! pkg/util `ParseIDMap`, `GetAutoOptions`). Pure parsing: turning a mode into concrete id maps
//! needs the user's namespace and the other containers, and is `crate::userns::maps`' job.

use serde::{Deserialize, Serialize};

use super::SpecError;

/// One line of a uid_map or gid_map: `size` ids from `container_id` inside map to `host_id`
/// onwards in the parent namespace (rootless: the user's namespace, where 0 is the user).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdMap {
    pub container_id: u32,
    pub host_id: u32,
    pub size: u32,
}

impl IdMap {
    /// As podman prints a mapping (`CONTAINER:HOST:SIZE`).
    pub fn triple(&self) -> String {
        format!("{}:{}:{}", self.container_id, self.host_id, self.size)
    }

    /// Where `id` of the container lands in the parent namespace, if this line maps it.
    pub fn to_host(&self, id: u32) -> Option<u32> {
        (id >= self.container_id
            && u64::from(id) < u64::from(self.container_id) + u64::from(self.size))
        .then(|| self.host_id.checked_add(id - self.container_id))
        .flatten()
    }

    /// The container id of parent id `id`, if this line maps it.
    pub fn to_container(&self, id: u32) -> Option<u32> {
        (id >= self.host_id && u64::from(id) < u64::from(self.host_id) + u64::from(self.size))
            .then(|| self.container_id.checked_add(id - self.host_id))
            .flatten()
    }
}

/// `--userns=keep-id[:uid=N,gid=N,size=N]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeepId {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u32>,
}

/// `--userns=auto[:size=N,uidmapping=..,gidmapping=..]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Auto {
    pub size: Option<u32>,
    pub uid_mappings: Vec<IdMap>,
    pub gid_mappings: Vec<IdMap>,
}

/// The user namespace a container asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum UsernsMode {
    /// The user's own namespace (podman's rootless default): no namespace of its own.
    #[default]
    Host,
    KeepId(KeepId),
    /// The subordinate ids only, the user's own id left out.
    NoMap,
    Auto(Auto),
    /// `--uidmap`/`--gidmap`/`--subuidname`/`--subgidname` (podman's `private`).
    Private {
        uid_map: Vec<IdMap>,
        gid_map: Vec<IdMap>,
        /// `--subuidname`/`--subgidname`: the ranges of these names in /etc/subuid, subgid.
        subuid_name: Option<String>,
        subgid_name: Option<String>,
    },
    /// `ns:PATH`.
    Path(std::path::PathBuf),
    /// `container:NAME`.
    Container(String),
}

impl UsernsMode {
    /// All the user-namespace flags together, as podman's `CreateInit` and `ParseIDMapping`
    /// combine them: maps force `private` and exclude `--userns`; a missing gid map copies
    /// the uid map (and the other way round).
    pub fn parse(
        userns: Option<&str>,
        uidmap: &[String],
        gidmap: &[String],
        subuidname: Option<&str>,
        subgidname: Option<&str>,
    ) -> Result<UsernsMode, SpecError> {
        let maps_given = !uidmap.is_empty()
            || !gidmap.is_empty()
            || subuidname.is_some()
            || subgidname.is_some();
        if maps_given {
            if userns.is_some() {
                return Err(SpecError::UsernsWithMaps);
            }
            let mut uid_map = parse_maps(uidmap, "UID", "--uidmap")?;
            let mut gid_map = parse_maps(gidmap, "GID", "--gidmap")?;
            if gid_map.is_empty() {
                gid_map = uid_map.clone();
            }
            if uid_map.is_empty() {
                uid_map = gid_map.clone();
            }
            return Ok(UsernsMode::Private {
                uid_map,
                gid_map,
                subuid_name: subuidname.or(subgidname).map(str::to_string),
                subgid_name: subgidname.or(subuidname).map(str::to_string),
            });
        }
        let value = userns.unwrap_or("");
        let (mode, opts) = match value.split_once(':') {
            Some((m, o)) if matches!(m, "keep-id" | "auto") => (m, Some(o)),
            _ => (value, None),
        };
        Ok(match mode {
            "" | "host" => UsernsMode::Host,
            "nomap" => UsernsMode::NoMap,
            "keep-id" => UsernsMode::KeepId(keep_id_options(opts.unwrap_or(""))?),
            "auto" => UsernsMode::Auto(auto_options(opts.unwrap_or(""))?),
            // podman's `private` without maps: rootless, the same ids as the user's namespace.
            "private" => UsernsMode::Private {
                uid_map: Vec::new(),
                gid_map: Vec::new(),
                subuid_name: None,
                subgid_name: None,
            },
            v => {
                if let Some(path) = v.strip_prefix("ns:") {
                    UsernsMode::Path(path.into())
                } else if let Some(name) = v.strip_prefix("container:") {
                    UsernsMode::Container(name.to_string())
                } else {
                    return Err(SpecError::UsernsMode(v.to_string()));
                }
            }
        })
    }

    /// As inspect shows it (`HostConfig.UsernsMode`): "" for the user's namespace, `private`
    /// for one of the container's own.
    pub fn inspect_name(&self) -> String {
        match self {
            UsernsMode::Host => String::new(),
            UsernsMode::Path(p) => format!("ns:{}", p.display()),
            UsernsMode::Container(c) => format!("container:{c}"),
            _ => "private".to_string(),
        }
    }
}

fn option_u32(key: &str, value: &str) -> Result<u32, SpecError> {
    value.parse().map_err(|_| SpecError::IdMapValue {
        value: value.to_string(),
        why: format!("{key} must be a number"),
    })
}

fn keep_id_options(opts: &str) -> Result<KeepId, SpecError> {
    let mut k = KeepId::default();
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        let Some((key, val)) = o.split_once('=') else {
            return Err(SpecError::UsernsOption(o.to_string()));
        };
        match key {
            "uid" => k.uid = Some(option_u32(key, val)?),
            "gid" => k.gid = Some(option_u32(key, val)?),
            "size" => k.size = Some(option_u32(key, val)?),
            _ => return Err(SpecError::UsernsOption(o.to_string())),
        }
    }
    Ok(k)
}

fn auto_options(opts: &str) -> Result<Auto, SpecError> {
    let mut a = Auto::default();
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        let Some((key, val)) = o.split_once('=') else {
            return Err(SpecError::UsernsInvalidOption(o.to_string()));
        };
        match key {
            "size" => a.size = Some(option_u32(key, val)?),
            "uidmapping" => a.uid_mappings.extend(parse_maps(
                &[val.to_string()],
                "UID",
                "--userns auto:uidmapping",
            )?),
            "gidmapping" => a.gid_mappings.extend(parse_maps(
                &[val.to_string()],
                "GID",
                "--userns auto:gidmapping",
            )?),
            _ => return Err(SpecError::UsernsOption(key.to_string())),
        }
    }
    Ok(a)
}

/// The most lines a uid_map or gid_map may have (the kernel's UID_GID_MAP_MAX_EXTENTS).
pub const MAX_MAP_LINES: usize = 340;

/// `CONTAINER:HOST[:SIZE]`, several triples per value allowed (`0:1:1:1:2:5`), as podman's
/// `ParseIDMap` without its `+`/`u`/`g`/`@` extensions. Ranges the kernel would refuse at
/// start (past 4294967294, the last valid id; more than 340 lines) are refused here, naming
/// `flag`.
pub fn parse_maps(
    values: &[String],
    setting: &'static str,
    flag: &'static str,
) -> Result<Vec<IdMap>, SpecError> {
    let mut out = Vec::new();
    for v in values.iter().filter(|v| !v.is_empty()) {
        let mut parts: Vec<&str> = v.split(':').collect();
        if parts.len() == 2 {
            parts.push("1");
        }
        if !parts.len().is_multiple_of(3) || parts.iter().any(|p| p.is_empty()) {
            return Err(SpecError::IdMapMalformed {
                setting,
                value: v.clone(),
            });
        }
        for t in parts.chunks(3) {
            let num = |s: &str| -> Result<u32, SpecError> {
                s.parse().map_err(|_| SpecError::IdMapValue {
                    value: s.to_string(),
                    why: format!("strconv.ParseUint: parsing {s:?}: invalid syntax"),
                })
            };
            let m = IdMap {
                container_id: num(t[0])?,
                host_id: num(t[1])?,
                size: num(t[2])?,
            };
            if m.size == 0 {
                return Err(SpecError::IdMapMalformed {
                    setting,
                    value: v.clone(),
                });
            }
            // The kernel refuses a line whose end passes 2^32 - 1 (that id is "no id").
            for (side, start) in [("container", m.container_id), ("host", m.host_id)] {
                if u64::from(start) + u64::from(m.size) > u64::from(u32::MAX) {
                    return Err(SpecError::IdMapRange {
                        flag,
                        value: m.triple(),
                        why: format!(
                            "the {side} ids {start} to {} pass 4294967294, the last valid id: use a smaller id or size",
                            u64::from(start) + u64::from(m.size) - 1
                        ),
                    });
                }
            }
            out.push(m);
        }
    }
    if out.len() > MAX_MAP_LINES {
        return Err(SpecError::IdMapRange {
            flag,
            value: format!("{} lines", out.len()),
            why: format!("the kernel takes at most {MAX_MAP_LINES} lines: merge adjacent ranges"),
        });
    }
    out.sort_by_key(|m| m.container_id);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(userns: Option<&str>, uidmap: &[&str]) -> Result<UsernsMode, SpecError> {
        let u: Vec<String> = uidmap.iter().map(|s| s.to_string()).collect();
        UsernsMode::parse(userns, &u, &[], None, None)
    }

    #[test]
    fn modes_parse_as_podman_reads_them() {
        assert_eq!(p(None, &[]).unwrap(), UsernsMode::Host);
        assert_eq!(p(Some("host"), &[]).unwrap(), UsernsMode::Host);
        assert_eq!(p(Some("nomap"), &[]).unwrap(), UsernsMode::NoMap);
        assert_eq!(
            p(Some("keep-id:uid=5,gid=6"), &[]).unwrap(),
            UsernsMode::KeepId(KeepId {
                uid: Some(5),
                gid: Some(6),
                size: None
            })
        );
        let UsernsMode::Auto(a) = p(Some("auto:size=500,uidmapping=0:7:1"), &[]).unwrap() else {
            panic!("auto");
        };
        assert_eq!(a.size, Some(500));
        assert_eq!(a.uid_mappings[0].host_id, 7);
        assert_eq!(
            p(Some("container:web"), &[]).unwrap(),
            UsernsMode::Container("web".into())
        );
        assert_eq!(p(Some("keep-id"), &[]).unwrap().inspect_name(), "private");
        assert_eq!(p(None, &[]).unwrap().inspect_name(), "");
    }

    #[test]
    fn uidmap_forces_private_and_copies_to_gid() {
        let UsernsMode::Private {
            uid_map, gid_map, ..
        } = p(None, &["0:1:1000", "2000:2000"]).unwrap()
        else {
            panic!("private");
        };
        assert_eq!(uid_map, gid_map);
        assert_eq!(uid_map[0].triple(), "0:1:1000");
        assert_eq!(uid_map[1].triple(), "2000:2000:1");
        assert_eq!(uid_map[0].to_host(999), Some(1000));
        assert_eq!(uid_map[0].to_host(1000), None);
        assert_eq!(uid_map[0].to_container(1), Some(0));
    }

    #[test]
    fn bad_values_name_podman_errors() {
        let msg = |r: Result<UsernsMode, SpecError>| r.unwrap_err().to_string();
        assert_eq!(
            msg(p(Some("bogus"), &[])),
            "unrecognized namespace mode bogus passed"
        );
        assert!(msg(p(None, &["0:x"])).contains("parsing id map value \"x\""));
        assert!(msg(p(None, &["0:1:2:3"])).contains("UID setting is malformed"));
        assert!(msg(p(Some("keep-id"), &["0:1:1"])).contains("mutually exclusive"));
        assert!(msg(p(Some("keep-id:color=red"), &[])).contains("unknown option"));
        assert!(msg(p(Some("auto:size"), &[])).contains("invalid option"));
    }

    // Pins M3: container ids past the last valid one were accepted at create and failed at
    // start; the sums in to_host/to_container overflowed (a panic in debug builds).
    #[test]
    fn ranges_past_the_last_id_and_too_many_lines_are_refused() {
        let msg = |r: Result<UsernsMode, SpecError>| r.unwrap_err().to_string();
        let m = msg(p(None, &["4294967000:1:1000"]));
        assert!(
            m.starts_with("invalid --uidmap \"4294967000:1:1000\""),
            "{m}"
        );
        assert!(msg(p(None, &["4294967295:1:1"])).contains("4294967294"));
        assert!(msg(p(None, &["0:4294967295:1"])).contains("host ids"));
        assert!(p(None, &["4294967294:1:1"]).is_ok());
        let many: Vec<String> = (0..341).map(|i| format!("{}:{}:1", i * 2, i * 2)).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(msg(p(None, &many)).contains("at most 340 lines"));
        assert!(p(None, &many[..340]).is_ok());
        let e = UsernsMode::parse(None, &[], &["4294967290:0:10".into()], None, None);
        assert!(msg(e).starts_with("invalid --gidmap"));
        let edge = IdMap {
            container_id: 4_294_967_294,
            host_id: 10,
            size: 1,
        };
        assert_eq!(edge.to_host(4_294_967_294), Some(10));
        let wide = IdMap {
            container_id: 10,
            host_id: 4_294_967_290,
            size: 100,
        };
        assert_eq!(wide.to_host(20), None, "past u32: no id, not a wrap");
        assert_eq!(wide.to_container(4_294_967_295), Some(15));
        let back = IdMap {
            container_id: 4_294_967_290,
            host_id: 10,
            size: 100,
        };
        assert_eq!(back.to_container(20), None);
    }
}
