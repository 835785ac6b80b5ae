//! Resolves `--user` (uid, uid:gid, name, name:group) against the image's own /etc/passwd and
//! /etc/group, as docker and podman do. Runs in the child after pivot_root, so the files read
//! are the container's.

use std::fs;

use super::ChildError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecUser {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub home: String,
}

pub fn resolve(spec: &str, group_add: &[String]) -> Result<ExecUser, ChildError> {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let group = fs::read_to_string("/etc/group").unwrap_or_default();
    resolve_in(spec, group_add, &passwd, &group)
}

struct PwEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

fn passwd_entries(text: &str) -> impl Iterator<Item = PwEntry<'_>> {
    text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 6).then_some(())?;
        Some(PwEntry {
            name: f[0],
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            home: f[5],
        })
    })
}

fn group_entries(text: &str) -> impl Iterator<Item = (&str, u32, Vec<&str>)> {
    text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 3).then_some(())?;
        let members = f
            .get(3)
            .map(|m| m.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        Some((f[0], f[2].parse().ok()?, members))
    })
}

pub fn resolve_in(
    spec: &str,
    group_add: &[String],
    passwd: &str,
    group: &str,
) -> Result<ExecUser, ChildError> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let u = if u.is_empty() { "0" } else { u };
    let entry = match u.parse::<u32>() {
        Ok(uid) => passwd_entries(passwd).find(|e| e.uid == uid),
        Err(_) => Some(
            passwd_entries(passwd)
                .find(|e| e.name == u)
                .ok_or_else(|| {
                    ChildError::setup(format!(
                        "unable to find user {u}: no matching entries in passwd file"
                    ))
                })?,
        ),
    };
    let uid = u
        .parse::<u32>()
        .ok()
        .or(entry.as_ref().map(|e| e.uid))
        .unwrap_or(0);
    let mut gid = entry.as_ref().map(|e| e.gid).unwrap_or(0);
    if let Some(g) = g {
        gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group_entries(group)
                .find(|(n, _, _)| *n == g)
                .map(|(_, id, _)| id)
                .ok_or_else(|| {
                    ChildError::setup(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                })?,
        };
    }
    let name = entry.as_ref().map(|e| e.name).unwrap_or("");
    let mut additional: Vec<u32> = Vec::new();
    // Supplementary groups as initgroups(3) makes them: the primary group plus /etc/group
    // membership, unless a group was given explicitly.
    if g.is_none() && !name.is_empty() {
        additional.push(gid);
        for (_, id, members) in group_entries(group) {
            if members.contains(&name) && !additional.contains(&id) {
                additional.push(id);
            }
        }
    }
    for extra in group_add.iter().filter(|g| *g != super::KEEP_GROUPS) {
        let id = match extra.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group_entries(group)
                .find(|(n, _, _)| n == extra)
                .map(|(_, id, _)| id)
                .ok_or_else(|| {
                    ChildError::setup(format!(
                        "unable to find group {extra}: no matching entries in group file"
                    ))
                })?,
        };
        if !additional.contains(&id) {
            additional.push(id);
        }
    }
    let home = entry
        .as_ref()
        .map(|e| e.home.to_string())
        .unwrap_or_else(|| "/".to_string());
    Ok(ExecUser {
        uid,
        gid,
        additional_gids: additional,
        home,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str =
        "root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000::/home/tester:/bin/sh\n";
    const GROUP: &str = "root:x:0:\ntty:x:5:\ntester:x:1000:\nextra:x:2000:tester\n";

    #[test]
    fn names_numbers_and_groups() {
        let r = resolve_in("", &[], PASSWD, GROUP).unwrap();
        assert_eq!((r.uid, r.gid, r.home.as_str()), (0, 0, "/root"));
        let t = resolve_in("tester", &[], PASSWD, GROUP).unwrap();
        assert_eq!(
            (t.uid, t.gid, t.additional_gids.clone()),
            (1000, 1000, vec![1000, 2000])
        );
        let n = resolve_in("4242:4243", &[], PASSWD, GROUP).unwrap();
        assert_eq!((n.uid, n.gid, n.home.as_str()), (4242, 4243, "/"));
        let g = resolve_in("tester:tty", &["extra".into()], PASSWD, GROUP).unwrap();
        assert_eq!((g.gid, g.additional_gids.clone()), (5, vec![2000]));
        assert!(resolve_in("nobody", &[], PASSWD, GROUP).is_err());
        assert!(resolve_in("0:nogroup", &[], PASSWD, GROUP).is_err());
    }
}
