//! A container's own user namespace: the uid and gid maps a `--userns` mode or `--uidmap`
//! stands for, in the ids of the namespace burrow runs in (rootless: the user's namespace,
//! where 0 is the user and 1.. are the subordinate ids), checked against the ids that
//! namespace has. Pure functions over the parent's maps, so they are unit-tested here; the
//! kernel sees the result when the executor writes /proc/PID/uid_map.

use crate::spec::userns::{IdMap, UsernsMode};

use super::UserNsError;

/// `--userns=auto`'s size when none is given (podman's `auto-userns-min-size`).
pub const AUTO_DEFAULT_SIZE: u32 = 1024;

/// The namespace burrow runs in, as its own /proc/self/uid_map and gid_map describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    /// Lines of uid_map / gid_map (inside id, outside id, count).
    pub uids: Vec<IdMap>,
    pub gids: Vec<IdMap>,
}

/// What a container's own namespace is made of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub uid_map: Vec<IdMap>,
    pub gid_map: Vec<IdMap>,
    /// keep-id's default user, `UID:GID` in the container.
    pub keep_id_user: Option<(u32, u32)>,
    /// `container:NAME`: the id of the container whose namespace is joined (it has one of
    /// its own; one in the user's namespace is simply the user's).
    pub joined: Option<String>,
}

impl Parent {
    /// This process's own maps.
    pub fn current() -> Result<Parent, UserNsError> {
        let read = |f: &'static str| {
            std::fs::read_to_string(f)
                .map(|t| parse_proc_map(&t))
                .map_err(|e| UserNsError::ReadMap(f, e))
        };
        Ok(Parent {
            uids: read("/proc/self/uid_map")?,
            gids: read("/proc/self/gid_map")?,
        })
    }

    /// The user's own id outside (the host's uid of the user: what keep-id keeps).
    fn own(maps: &[IdMap]) -> u32 {
        maps.iter()
            .find(|m| m.container_id == 0)
            .map_or(0, |m| m.host_id)
    }

    /// How many ids the namespace has beyond 0 (the subordinate ones), from 1 on.
    fn subordinate(maps: &[IdMap]) -> u32 {
        maps.iter()
            .filter(|m| m.container_id != 0 || m.size > 1)
            .map(|m| {
                if m.container_id == 0 {
                    m.size - 1
                } else {
                    m.size
                }
            })
            .fold(0u32, u32::saturating_add)
    }
}

/// A /proc/PID/uid_map's text as map lines (inside, outside, count).
pub fn parse_proc_map(text: &str) -> Vec<IdMap> {
    text.lines()
        .filter_map(|l| {
            let n: Vec<u32> = l
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            (n.len() == 3).then(|| IdMap {
                container_id: n[0],
                host_id: n[1],
                size: n[2],
            })
        })
        .collect()
}

/// The maps of `mode`; `taken`: the parent ids already given to other `auto` containers.
/// `subids`: `--subuidname`'s and `--subgidname`'s ranges, read by the caller.
pub fn resolve(
    mode: &UsernsMode,
    parent: &Parent,
    taken: &[IdMap],
    subids: Option<(Vec<IdMap>, Vec<IdMap>)>,
) -> Result<Resolved, UserNsError> {
    let r = match mode {
        UsernsMode::Host | UsernsMode::Path(_) | UsernsMode::Container(_) => {
            return Ok(Resolved::default());
        }
        UsernsMode::KeepId(k) => {
            let uid = k.uid.unwrap_or(Parent::own(&parent.uids));
            let gid = k.gid.unwrap_or(Parent::own(&parent.gids));
            Resolved {
                uid_map: keep_id(uid, Parent::subordinate(&parent.uids), k.size),
                gid_map: keep_id(gid, Parent::subordinate(&parent.gids), k.size),
                keep_id_user: Some((uid, gid)),
                joined: None,
            }
        }
        UsernsMode::NoMap => {
            let (u, g) = (
                Parent::subordinate(&parent.uids),
                Parent::subordinate(&parent.gids),
            );
            if u == 0 || g == 0 {
                return Err(UserNsError::NoMapWithoutSubids);
            }
            Resolved {
                uid_map: vec![IdMap {
                    container_id: 0,
                    host_id: 1,
                    size: u,
                }],
                gid_map: vec![IdMap {
                    container_id: 0,
                    host_id: 1,
                    size: g,
                }],
                keep_id_user: None,
                joined: None,
            }
        }
        UsernsMode::Auto(a) => {
            let size = a.size.unwrap_or(AUTO_DEFAULT_SIZE);
            let avail = Parent::subordinate(&parent.uids).min(Parent::subordinate(&parent.gids));
            let start = free_range(size, avail, taken).ok_or(UserNsError::NoFreeAutoRange {
                size,
                available: avail,
            })?;
            let base = IdMap {
                container_id: 0,
                host_id: start,
                size,
            };
            let with = |extra: &[IdMap]| {
                let mut m = vec![base];
                m.extend_from_slice(extra);
                m.sort_by_key(|m| m.container_id);
                m
            };
            Resolved {
                uid_map: with(&a.uid_mappings),
                gid_map: with(&a.gid_mappings),
                keep_id_user: None,
                joined: None,
            }
        }
        UsernsMode::Private {
            uid_map, gid_map, ..
        } => {
            let (mut u, mut g) = (uid_map.clone(), gid_map.clone());
            if let Some((su, sg)) = subids {
                u.extend(su);
                g.extend(sg);
            }
            if u.is_empty() {
                // podman's `private` with no maps: the ids of the parent, one for one.
                u = identity(&parent.uids);
                g = identity(&parent.gids);
            }
            Resolved {
                uid_map: u,
                gid_map: g,
                keep_id_user: None,
                joined: None,
            }
        }
    };
    check(&r.uid_map, &parent.uids, "uid")?;
    check(&r.gid_map, &parent.gids, "gid")?;
    Ok(Resolved {
        uid_map: split_at_parent(&r.uid_map, &parent.uids),
        gid_map: split_at_parent(&r.gid_map, &parent.gids),
        ..r
    })
}

/// `map` with each line cut where its parent ids cross from one of the parent's lines to
/// the next: the kernel takes a line only if its whole range lies in one parent line
/// (`map_id_range_down`), and answers EPERM otherwise (`private`'s 0:0:65537 over the
/// rootless namespace's `0 1001 1` and `1 100000 65536`).
fn split_at_parent(map: &[IdMap], parent: &[IdMap]) -> Vec<IdMap> {
    let mut cuts: Vec<u64> = parent
        .iter()
        .flat_map(|p| {
            let start = u64::from(p.container_id);
            [start, start + u64::from(p.size)]
        })
        .collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    for m in map {
        let (mut host, end) = (
            u64::from(m.host_id),
            u64::from(m.host_id) + u64::from(m.size),
        );
        let mut container = u64::from(m.container_id);
        while host < end {
            let next = cuts
                .iter()
                .copied()
                .find(|c| *c > host && *c < end)
                .unwrap_or(end);
            // Every value fits u32: each lies within the line being cut.
            out.push(IdMap {
                container_id: u32::try_from(container).unwrap_or(u32::MAX),
                host_id: u32::try_from(host).unwrap_or(u32::MAX),
                size: u32::try_from(next - host).unwrap_or(u32::MAX),
            });
            container += next - host;
            host = next;
        }
    }
    out
}

/// podman's `getRootlessKeepIDMapping`: the user's id to `uid` inside, the ids below it to
/// the first subordinate ones, the ids above it to the same ids.
fn keep_id(uid: u32, subordinate: u32, size: Option<u32>) -> Vec<IdMap> {
    let mut max = subordinate;
    if let Some(s) = size.filter(|s| *s > 0) {
        max = max.min(s - 1);
    }
    let mut m = Vec::new();
    if subordinate > 0 && uid != 0 && max > 0 {
        m.push(IdMap {
            container_id: 0,
            host_id: 1,
            size: uid.min(max),
        });
    }
    m.push(IdMap {
        container_id: uid,
        host_id: 0,
        size: 1,
    });
    if max > uid {
        m.push(IdMap {
            container_id: uid + 1,
            host_id: uid + 1,
            size: max - uid,
        });
    }
    m
}

fn identity(parent: &[IdMap]) -> Vec<IdMap> {
    let total = parent.iter().map(|m| u64::from(m.size)).sum::<u64>();
    vec![IdMap {
        container_id: 0,
        host_id: 0,
        size: u32::try_from(total).unwrap_or(u32::MAX),
    }]
}

/// The first start >= 1 where `size` parent ids are free of `taken`, within 1..=avail.
fn free_range(size: u32, avail: u32, taken: &[IdMap]) -> Option<u32> {
    let mut spans: Vec<(u64, u64)> = taken
        .iter()
        .map(|m| {
            (
                u64::from(m.host_id),
                u64::from(m.host_id) + u64::from(m.size),
            )
        })
        .collect();
    spans.sort_unstable();
    let end = u64::from(avail) + 1;
    let mut start = 1u64;
    for (s, e) in spans {
        if start + u64::from(size) <= s {
            break;
        }
        start = start.max(e);
    }
    if size == 0 || start + u64::from(size) > end {
        return None;
    }
    u32::try_from(start).ok()
}

/// Every line maps only ids the parent has, and no two lines overlap on either side (the
/// kernel's own rule, checked here so the user gets a message naming the flag).
fn check(map: &[IdMap], parent: &[IdMap], kind: &'static str) -> Result<(), UserNsError> {
    let total: u64 = parent.iter().map(|m| u64::from(m.size)).sum();
    for (i, m) in map.iter().enumerate() {
        let end = u64::from(m.host_id) + u64::from(m.size);
        if m.size == 0 || end > total {
            return Err(UserNsError::MapOutOfRange {
                kind,
                map: m.triple(),
                available: total,
            });
        }
        let overlaps = |a: u32, a_size: u32, b: u32, b_size: u32| {
            u64::from(a) < u64::from(b) + u64::from(b_size)
                && u64::from(b) < u64::from(a) + u64::from(a_size)
        };
        if let Some(o) = map[..i].iter().find(|o| {
            overlaps(m.container_id, m.size, o.container_id, o.size)
                || overlaps(m.host_id, m.size, o.host_id, o.size)
        }) {
            return Err(UserNsError::MapOverlap {
                kind,
                a: o.triple(),
                b: m.triple(),
            });
        }
    }
    Ok(())
}

/// A container id's id in the parent namespace (`None`: unmapped).
pub fn to_parent(map: &[IdMap], id: u32) -> Option<u32> {
    map.iter().find_map(|m| m.to_host(id))
}

/// A parent id's id in the container (`None`: unmapped).
pub fn to_container(map: &[IdMap], id: u32) -> Option<u32> {
    map.iter().find_map(|m| m.to_container(id))
}

/// /proc/PID/uid_map's text for `map`.
pub fn proc_text(map: &[IdMap]) -> String {
    map.iter()
        .map(|m| format!("{} {} {}\n", m.container_id, m.host_id, m.size))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::userns::{Auto, KeepId};

    fn parent() -> Parent {
        let p = parse_proc_map("0 1001 1\n1 100000 65536\n");
        Parent {
            uids: p.clone(),
            gids: p,
        }
    }

    #[test]
    fn keep_id_maps_the_user_to_its_own_id() {
        let r = resolve(&UsernsMode::KeepId(KeepId::default()), &parent(), &[], None).unwrap();
        let t: Vec<String> = r.uid_map.iter().map(IdMap::triple).collect();
        assert_eq!(t, ["0:1:1001", "1001:0:1", "1002:1002:64535"]);
        assert_eq!(r.keep_id_user, Some((1001, 1001)));
        assert_eq!(to_parent(&r.uid_map, 0), Some(1));
        assert_eq!(to_container(&r.uid_map, 0), Some(1001));
    }

    #[test]
    fn lines_are_cut_at_the_parents_lines() {
        let private = UsernsMode::parse(Some("private"), &[], &[], None, None).unwrap();
        let r = resolve(&private, &parent(), &[], None).unwrap();
        let t: Vec<String> = r.uid_map.iter().map(IdMap::triple).collect();
        assert_eq!(t, ["0:0:1", "1:1:65536"]);
        let m = [IdMap {
            container_id: 10,
            host_id: 0,
            size: 5,
        }];
        let t: Vec<String> = split_at_parent(&m, &parent().uids)
            .iter()
            .map(IdMap::triple)
            .collect();
        assert_eq!(t, ["10:0:1", "11:1:4"]);
    }

    #[test]
    fn auto_ranges_do_not_overlap() {
        let auto = UsernsMode::Auto(Auto::default());
        let a = resolve(&auto, &parent(), &[], None).unwrap();
        assert_eq!(a.uid_map[0].triple(), "0:1:1024");
        let b = resolve(&auto, &parent(), &a.uid_map, None).unwrap();
        assert_eq!(b.uid_map[0].triple(), "0:1025:1024");
        let big = UsernsMode::Auto(Auto {
            size: Some(70000),
            ..Default::default()
        });
        assert!(resolve(&big, &parent(), &[], None).is_err());
    }

    #[test]
    fn maps_outside_the_namespace_are_refused() {
        let m = |t: &str| UsernsMode::parse(None, &[t.to_string()], &[], None, None).unwrap();
        assert!(resolve(&m("0:1:1000"), &parent(), &[], None).is_ok());
        let e = resolve(&m("0:70000:10"), &parent(), &[], None).unwrap_err();
        assert!(e.to_string().contains("0:70000:10"), "{e}");
        let both = UsernsMode::parse(None, &["0:1:10".into(), "5:100:10".into()], &[], None, None)
            .unwrap();
        assert!(resolve(&both, &parent(), &[], None).is_err());
    }
}
