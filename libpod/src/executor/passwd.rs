//! The /etc/passwd and /etc/group entries podman adds at start (its generatePasswdAndGroup):
//! a numeric `--user` the image does not know gets a passwd line (and a group line for a
//! numeric group it lacks), `--hostuser` copies host accounts in, `--passwd-entry` and
//! `--group-entry` are the templates. Runs in the child on the mounted rootfs, before
//! pivot_root; it never follows a symlinked /etc/passwd out of the root, and leaves a file a
//! user mount replaces alone.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ChildError;
use super::mounts::in_root;

/// A host account for `--hostuser`, looked up by the parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
}

/// What the child needs to write the entries.
#[derive(Clone, Debug, Default)]
pub struct PasswdPlan {
    /// `--user` as given.
    pub user: String,
    pub workdir: String,
    /// `--passwd-entry` / `--group-entry` templates; empty for podman's formats.
    pub passwd_entry: String,
    pub group_entry: String,
    pub host_users: Vec<HostUser>,
    /// The host's account of a numeric `--user` uid, if any: podman names the entry after it.
    pub host_account_of_uid: Option<HostUser>,
    /// Destinations of user mounts: a mount on /etc/passwd or /etc/group is left alone; a
    /// mounted home directory of a host user is kept as its home.
    pub mount_destinations: Vec<PathBuf>,
    /// `--read-only`: the files are copied here (the container's userdata directory on the
    /// host) with the entries appended, and bound over the image's.
    pub copy_dir: Option<PathBuf>,
    /// `--userns=keep-id`: the host users' entries keep their home directories (podman
    /// gives the user its own home), mounted or not.
    pub keep_home: bool,
}

fn read_regular(path: &Path) -> Option<String> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => fs::read_to_string(path).ok(),
        Ok(_) => None,
        Err(_) => Some(String::new()),
    }
}

fn passwd_has(text: &str, key: &str) -> bool {
    text.lines().any(|l| {
        let f: Vec<&str> = l.split(':').collect();
        f.len() >= 3 && (f[0] == key || f[2] == key)
    })
}

fn group_gid(text: &str, key: &str) -> Option<u32> {
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 3 && (f[0] == key || f[2] == key)).then(|| f[2].parse().ok())?
    })
}

fn template(t: &str, vars: &[(&str, &str)]) -> String {
    let mut s = t.to_string();
    for (k, v) in vars {
        s = s.replace(k, v);
    }
    s + "\n"
}

/// The lines to append to /etc/passwd and /etc/group, given the image's files.
pub fn entries(p: &PasswdPlan, passwd: &str, group: &str) -> Result<(String, String), ChildError> {
    let mut pw = String::new();
    let mut known = passwd.to_string();
    for u in &p.host_users {
        if passwd_has(&known, &u.name) || passwd_has(&known, &u.uid.to_string()) {
            continue;
        }
        // A host home directory mounted into the container stays the home; otherwise the
        // working directory, as podman does.
        let mounted = p.mount_destinations.iter().any(|d| {
            Path::new(&u.home)
                .ancestors()
                .any(|a| a != Path::new("/") && a == d)
        });
        let home = if mounted || p.keep_home {
            u.home.as_str()
        } else {
            &p.workdir
        };
        let (uid, gid) = (u.uid.to_string(), u.gid.to_string());
        let line = if p.passwd_entry.is_empty() {
            format!("{}:*:{uid}:{gid}:{}:{home}:/bin/sh\n", u.name, u.gecos)
        } else {
            template(
                &p.passwd_entry,
                &[
                    ("$USERNAME", &u.name),
                    ("$UID", &uid),
                    ("$GID", &gid),
                    ("$NAME", &u.gecos),
                    ("$HOME", home),
                ],
            )
        };
        known.push_str(&line);
        pw.push_str(&line);
    }
    let (user, group_spec) = match p.user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (p.user.as_str(), None),
    };
    if let Ok(uid) = user.parse::<u32>()
        && !p.user.is_empty()
        && !passwd_has(&known, user)
    {
        let gid = match group_spec {
            None | Some("") => 0,
            Some(g) => match g.parse::<u32>() {
                Ok(n) => n,
                Err(_) => group_gid(group, g).ok_or_else(|| {
                    ChildError::setup(format!(
                        "unable to get gid {g} from group file: no matching entries in group file"
                    ))
                })?,
            },
        };
        let (uid_s, gid_s) = (uid.to_string(), gid.to_string());
        let line = if !p.passwd_entry.is_empty() {
            template(
                &p.passwd_entry,
                &[
                    ("$USERNAME", &uid_s),
                    ("$UID", &uid_s),
                    ("$GID", &gid_s),
                    ("$NAME", "container user"),
                    ("$HOME", &p.workdir),
                ],
            )
        } else if let Some(h) = &p.host_account_of_uid {
            format!(
                "{}:*:{uid}:{gid}:{}:{}:/bin/sh\n",
                h.name, h.gecos, p.workdir
            )
        } else {
            format!("{uid}:*:{uid}:{gid}:container user:{}:/bin/sh\n", p.workdir)
        };
        pw.push_str(&line);
    }
    let mut gr = String::new();
    if !p.user.is_empty() || !p.group_entry.is_empty() {
        let g = group_spec.filter(|g| !g.is_empty()).unwrap_or("0");
        if g.parse::<u32>().is_ok() && group_gid(group, g).is_none() {
            gr = if p.group_entry.is_empty() {
                format!("{g}:x:{g}:{user}\n")
            } else {
                template(
                    &p.group_entry,
                    &[("$GROUPNAME", g), ("$GID", g), ("$USERLIST", user)],
                )
            };
        }
    }
    Ok((pw, gr))
}

/// Appends the entries to the container's files (or, read-only, to copies bound over them).
pub fn apply(root: &Path, p: &PasswdPlan) -> Result<(), ChildError> {
    let covered = |dest: &str| p.mount_destinations.iter().any(|d| d == Path::new(dest));
    let passwd_path = in_root(root, Path::new("/etc/passwd"));
    let group_path = in_root(root, Path::new("/etc/group"));
    let (Some(passwd), Some(group)) = (read_regular(&passwd_path), read_regular(&group_path))
    else {
        // A symlinked file could lead out of the root: podman's securejoin would resolve it
        // inside; burrow leaves such an image's files as they are.
        return Ok(());
    };
    let (pw, gr) = entries(p, &passwd, &group)?;
    for (dest, path, old, add) in [
        ("/etc/passwd", &passwd_path, &passwd, pw),
        ("/etc/group", &group_path, &group, gr),
    ] {
        if add.is_empty() || covered(dest) {
            continue;
        }
        let err = |e: std::io::Error| ChildError::setup(format!("add to {dest}: {e}"));
        match &p.copy_dir {
            Some(dir) => {
                let name = dest.trim_start_matches("/etc/");
                let copy = dir.join(name);
                fs::write(&copy, format!("{old}{add}")).map_err(err)?;
                if !path.exists() {
                    fs::File::create(path).map_err(err)?;
                }
                nix::mount::mount(
                    Some(copy.as_path()),
                    path.as_path(),
                    None::<&str>,
                    nix::mount::MsFlags::MS_BIND,
                    None::<&str>,
                )
                .map_err(|e| ChildError::setup(format!("bind {dest}: {e}")))?;
            }
            None => {
                let mut f = fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(err)?;
                f.write_all(add.as_bytes()).map_err(err)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nusers:x:100:\n";

    fn plan(user: &str) -> PasswdPlan {
        PasswdPlan {
            user: user.into(),
            workdir: "/work".into(),
            ..Default::default()
        }
    }

    #[test]
    fn numeric_users_and_groups_get_entries() {
        let (pw, gr) = entries(&plan("1234:5678"), PASSWD, GROUP).unwrap();
        assert_eq!(pw, "1234:*:1234:5678:container user:/work:/bin/sh\n");
        assert_eq!(gr, "5678:x:5678:1234\n");
        let (pw, gr) = entries(&plan("1234:users"), PASSWD, GROUP).unwrap();
        assert_eq!(pw, "1234:*:1234:100:container user:/work:/bin/sh\n");
        assert_eq!(gr, "");
        assert_eq!(
            entries(&plan("0"), PASSWD, GROUP).unwrap(),
            ("".into(), "".into())
        );
        assert_eq!(entries(&plan("root"), PASSWD, GROUP).unwrap().0, "");
        assert!(entries(&plan("1234:nogroup"), PASSWD, GROUP).is_err());
        let mut p = plan("1234");
        p.passwd_entry = "$USERNAME:x:$UID:$GID:$NAME:$HOME:/bin/false".into();
        assert_eq!(
            entries(&p, PASSWD, GROUP).unwrap().0,
            "1234:x:1234:0:container user:/work:/bin/false\n"
        );
        let mut p = plan("1234:777");
        p.group_entry = "$GROUPNAME:x:$GID:$USERLIST,extra".into();
        assert_eq!(
            entries(&p, PASSWD, GROUP).unwrap().1,
            "777:x:777:1234,extra\n"
        );
    }

    #[test]
    fn host_users_are_copied_once() {
        let mut p = plan("");
        p.host_users = vec![HostUser {
            name: "alice".into(),
            uid: 1001,
            gid: 1001,
            gecos: "Alice".into(),
            home: "/home/alice".into(),
        }];
        let (pw, _) = entries(&p, PASSWD, GROUP).unwrap();
        assert_eq!(pw, "alice:*:1001:1001:Alice:/work:/bin/sh\n");
        p.mount_destinations = vec![PathBuf::from("/home/alice")];
        let (pw, _) = entries(&p, PASSWD, GROUP).unwrap();
        assert_eq!(pw, "alice:*:1001:1001:Alice:/home/alice:/bin/sh\n");
        let (pw, _) = entries(&p, &format!("{PASSWD}alice:x:5:5::/:/bin/sh\n"), GROUP).unwrap();
        assert_eq!(pw, "");
    }
}
