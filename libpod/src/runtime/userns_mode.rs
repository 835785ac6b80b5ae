//! A container's own user namespace against the state: at create, `--userns` becomes concrete
//! maps (auto ranges kept apart from other auto containers'); at start, the image's layers as
//! a copy owned the way the namespace needs (`storage::mapped`), and keep-id's passwd entry.

use std::path::PathBuf;

use crate::container::Container;
use crate::error::Result;
use crate::spec::userns::{IdMap, UsernsMode};
use crate::userns::UserNsError;
use crate::userns::maps::{self, Parent, Resolved};

use super::Runtime;
use super::namespaces::NamespaceModes;

/// As stored in a container's config (`ContainerConfig::userns`).
pub(super) fn stored_name(mode: &UsernsMode) -> String {
    match mode {
        UsernsMode::Host => "",
        UsernsMode::KeepId(_) => "keep-id",
        UsernsMode::NoMap => "nomap",
        UsernsMode::Auto(_) => "auto",
        UsernsMode::Private { .. } | UsernsMode::Path(_) | UsernsMode::Container(_) => "private",
    }
    .to_string()
}

/// `/etc/subuid`'s (or subgid's) ranges of `name`, as maps from container id 0 on.
fn subid_maps(file: &'static str, kind: &'static str, name: &str) -> Result<Vec<IdMap>> {
    let ranges = crate::userns::subid_ranges(std::path::Path::new(file), name, u32::MAX)?;
    if ranges.is_empty() {
        return Err(UserNsError::NoSubidsFor {
            kind,
            name: name.to_string(),
            file,
        }
        .into());
    }
    let mut next = 0u32;
    Ok(ranges
        .iter()
        .map(|r| {
            let m = IdMap {
                container_id: next,
                host_id: r.start,
                size: r.count,
            };
            next = next.saturating_add(r.count);
            m
        })
        .collect())
}

impl Runtime {
    /// The maps of the container's own user namespace (empty for the user's namespace).
    pub(super) fn resolve_userns(
        &self,
        mode: &UsernsMode,
        network: &str,
        pod_id: &str,
        ns: &NamespaceModes,
    ) -> Result<Resolved> {
        let name = || {
            let s = stored_name(mode);
            match mode {
                UsernsMode::Path(p) => format!("ns:{}", p.display()),
                UsernsMode::Container(c) => format!("container:{c}"),
                _ => s,
            }
        };
        let unsupported = |what: &str| -> crate::LibpodError {
            UserNsError::Unsupported {
                mode: name(),
                what: what.to_string(),
            }
            .into()
        };
        match mode {
            UsernsMode::Host => return Ok(Resolved::default()),
            UsernsMode::Path(_) => return Err(UserNsError::JoinUnsupported(name()).into()),
            UsernsMode::Container(other) => {
                // Its namespace, so its maps: the same mapped layers, the same owners.
                let other = self
                    .state
                    .lookup(other)
                    .map_err(|_| UserNsError::NoSuchContainer(other.clone()))?;
                // A pod member may join its own pod's namespace only (what the pod's
                // `--userns` makes every member do).
                let own_pods = other.config.infra && other.config.pod == pod_id;
                if !pod_id.is_empty() && !own_pods {
                    return Err(unsupported("a pod"));
                }
                // A keep-id pod's members run as the user too, as its infra was made for.
                let keep_id_user =
                    (other.config.infra && other.config.userns == "keep-id").then(|| {
                        let own = |m: &[IdMap]| maps::to_container(m, 0).unwrap_or(0);
                        (own(&other.config.uid_map), own(&other.config.gid_map))
                    });
                return Ok(Resolved {
                    uid_map: other.config.uid_map,
                    gid_map: other.config.gid_map,
                    keep_id_user,
                    joined: (!other.config.userns.is_empty()).then_some(other.id),
                });
            }
            _ => {}
        }
        // The namespaces below belong to the user's namespace: the container's own one would
        // hold no capability over them.
        if !pod_id.is_empty() {
            return Err(unsupported("a pod"));
        }
        if network.starts_with("container:") || network.starts_with("ns:") {
            return Err(unsupported("--network container: or ns:"));
        }
        for (flag, v) in [("--pid", &ns.pid), ("--ipc", &ns.ipc), ("--uts", &ns.uts)] {
            if v.starts_with("container:") || v.starts_with("ns:") {
                return Err(unsupported(&format!("{flag} {v}")));
            }
        }
        let parent = Parent::current()?;
        let taken: Vec<IdMap> = if matches!(mode, UsernsMode::Auto(_)) {
            self.state
                .list()?
                .into_iter()
                .filter(|c| c.config.userns == "auto")
                .flat_map(|c| c.config.uid_map.into_iter().chain(c.config.gid_map))
                .collect()
        } else {
            Vec::new()
        };
        let subids = match mode {
            UsernsMode::Private {
                subuid_name: Some(u),
                subgid_name: Some(g),
                ..
            } => Some((
                subid_maps("/etc/subuid", "subuid", u)?,
                subid_maps("/etc/subgid", "subgid", g)?,
            )),
            _ => None,
        };
        Ok(maps::resolve(mode, &parent, &taken, subids)?)
    }

    /// Whether the container runs keep-id's way (its own `--userns keep-id`, or membership of
    /// a pod made with it): the user's passwd entry, with its home.
    pub(super) fn is_keep_id(&self, c: &Container) -> bool {
        match c.config.userns.strip_prefix("container:") {
            None => c.config.userns == "keep-id",
            Some(id) => self
                .state
                .lookup(id)
                .is_ok_and(|o| o.config.infra && o.config.userns == "keep-id"),
        }
    }

    /// `pod create --userns`: the infra container's maps and stored mode ("" for none).
    pub(super) fn pod_userns(
        &self,
        userns: Option<&str>,
        infra: bool,
    ) -> Result<(String, Resolved)> {
        let mode = UsernsMode::parse(userns, &[], &[], None, None)?;
        match mode {
            UsernsMode::Host => return Ok((String::new(), Resolved::default())),
            UsernsMode::Path(_) | UsernsMode::Container(_) => {
                return Err(UserNsError::JoinUnsupported(userns.unwrap_or("").to_string()).into());
            }
            _ if !infra => {
                return Err(UserNsError::Unsupported {
                    mode: userns.unwrap_or("").to_string(),
                    what: "a pod without an infra container".to_string(),
                }
                .into());
            }
            _ => {}
        }
        let none = NamespaceModes {
            pid: String::new(),
            ipc: String::new(),
            uts: String::new(),
            hostname: None,
        };
        let r = self.resolve_userns(&mode, "", "", &none)?;
        Ok((stored_name(&mode), r))
    }

    /// The user namespace a new member of pod `pod_id` joins by default: its infra
    /// container's, if the pod was made with `--userns`.
    pub(super) fn pod_member_userns(&self, pod_id: &str) -> Result<UsernsMode> {
        let pod = self.state.lookup_pod(pod_id)?;
        if pod.config.infra_id.is_empty() {
            return Ok(UsernsMode::Host);
        }
        let infra = self.state.lookup(&pod.config.infra_id)?;
        Ok(if infra.config.uid_map.is_empty() {
            UsernsMode::Host
        } else {
            UsernsMode::Container(infra.id)
        })
    }

    /// `--userns container:NAME`: that container's user namespace, opened now so that a
    /// stopped container fails the start with a clear error.
    pub(super) fn userns_to_join(&self, c: &Container) -> Result<Option<std::os::fd::OwnedFd>> {
        let Some(id) = c.config.userns.strip_prefix("container:") else {
            return Ok(None);
        };
        let other = self.lookup(id)?;
        if other.status() != crate::container::Status::Running {
            return Err(crate::LibpodError::InvalidState(format!(
                "cannot join the user namespace of container {}: it is not running: start it first",
                other.name
            )));
        }
        let path = format!("/proc/{}/ns/user", other.state.pid);
        std::fs::File::open(&path)
            .map(std::os::fd::OwnedFd::from)
            .map(Some)
            .map_err(|e| crate::LibpodError::io(format!("open {path}"), e))
    }

    /// The lower directories of a container with its own user namespace: one copy of the
    /// image's layers, owned as the container must see them (image uid N is the container's
    /// uid N, wherever its namespace puts that).
    pub(super) fn mapped_lowers(
        &self,
        c: &Container,
        lowers: Vec<PathBuf>,
    ) -> Result<Vec<PathBuf>> {
        let (uids, gids) = (&c.config.uid_map, &c.config.gid_map);
        if uids.is_empty() {
            return Ok(lowers);
        }
        let key = map_key(uids, gids);
        // An image id the map leaves out is the container's overflow id (nobody), as the
        // kernel shows unmapped ids; kept raw, it would be some other id of the user's
        // namespace (another container's, or one this container sees as a real user).
        let overflow = (
            maps::to_parent(uids, OVERFLOW_ID),
            maps::to_parent(gids, OVERFLOW_ID),
        );
        let owners = |u: u32, g: u32| {
            let uid = maps::to_parent(uids, u).or(overflow.0).ok_or(("uid", u))?;
            let gid = maps::to_parent(gids, g).or(overflow.1).ok_or(("gid", g))?;
            Ok((uid, gid))
        };
        match storage::mapped::ensure(&self.store, &lowers, &key, &owners) {
            Ok(copy) => Ok(vec![copy]),
            Err(storage::StorageError::UnmappedOwner { kind, id }) => {
                let map = if kind == "uid" { uids } else { gids };
                Err(UserNsError::ImageIdUnmapped {
                    kind,
                    id,
                    map: map.iter().map(IdMap::triple).collect::<Vec<_>>().join(","),
                }
                .into())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The id the kernel shows for an id the namespace does not map (overflowuid/overflowgid).
const OVERFLOW_ID: u32 = 65534;

/// A short, stable name for a pair of maps (the cache key beside the top layer's id).
fn map_key(uids: &[IdMap], gids: &[IdMap]) -> String {
    let text = format!("u{}g{}", maps::proc_text(uids), maps::proc_text(gids));
    let digest = storage::digest::sha256_hex(text.as_bytes());
    digest[..16].to_string()
}

/// A file owner in the container's view, from the parent's (`commit`, `diff` of a container
/// with its own user namespace); unmapped ids become nobody, as the container sees them.
pub(crate) fn owner_in_container(c: &Container, uid: u32, gid: u32) -> (u32, u32) {
    if c.config.uid_map.is_empty() {
        return (uid, gid);
    }
    (
        maps::to_container(&c.config.uid_map, uid).unwrap_or(65534),
        maps::to_container(&c.config.gid_map, gid).unwrap_or(65534),
    )
}

/// The upper and work directories belong to the container's root, which overlayfs (mounted
/// by that root) must be able to write through even where the user's own id is not mapped.
pub(super) fn own_container_dirs(c: &Container, dirs: &[&std::path::Path]) -> Result<()> {
    let uid = maps::to_parent(&c.config.uid_map, 0).unwrap_or(0);
    let gid = maps::to_parent(&c.config.gid_map, 0).unwrap_or(0);
    for d in dirs {
        std::fs::create_dir_all(d)
            .map_err(|e| crate::LibpodError::io(format!("create {}", d.display()), e))?;
        nix::unistd::chown(
            *d,
            Some(nix::unistd::Uid::from_raw(uid)),
            Some(nix::unistd::Gid::from_raw(gid)),
        )
        .map_err(|e| crate::LibpodError::sys(format!("chown {}", d.display()), e))?;
    }
    Ok(())
}

/// keep-id's passwd entry: the user's host account (name, home), with the ids it has in the
/// container (`keep-id:uid=N,gid=N` may differ from the host's).
pub(super) fn keep_id_account(c: &Container) -> Option<nix::unistd::User> {
    let own = Parent::current().ok()?;
    let host_uid = own.uids.iter().find(|m| m.container_id == 0)?.host_id;
    let mut u = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(host_uid)).ok()??;
    let (uid, gid) = c
        .config
        .user
        .split_once(':')
        .unwrap_or((&c.config.user, ""));
    if let Ok(n) = uid.parse() {
        u.uid = nix::unistd::Uid::from_raw(n);
    }
    if let Ok(n) = gid.parse() {
        u.gid = nix::unistd::Gid::from_raw(n);
    }
    Some(u)
}

/// Whether the container has a namespace of its own in which the user's own id (0 of the
/// user's namespace, the owner of all of burrow's files) is not mapped: its root then has no
/// more rights on burrow's directories than any other user.
pub(super) fn user_unmapped(c: &Container) -> bool {
    !c.config.uid_map.is_empty() && maps::to_container(&c.config.uid_map, 0).is_none()
}

/// Takes back the search permission for other users that earlier versions gave the data
/// root (0711) for containers like these: with it, any local user could open files under it
/// by their predictable paths (the database, layers with setuid programs).
pub(super) fn data_private(data: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(data) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 == 0o011 {
        std::fs::set_permissions(data, std::fs::Permissions::from_mode(mode & !0o077))
            .map_err(|e| crate::LibpodError::io(format!("chmod {}", data.display()), e))?;
    }
    Ok(())
}

/// Where such a container's process attaches its rootfs: `dir/rootfs`, `dir` owned by the
/// container's root, which the process opens before it becomes that root (the executor's
/// `rootfs_anchor`) and reaches through that descriptor afterwards.
pub(super) fn rootfs_anchor(c: &Container, dir: &std::path::Path) -> Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let rootfs = dir.join("rootfs");
    for d in [dir, rootfs.as_path()] {
        match std::fs::DirBuilder::new().mode(0o700).create(d) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(crate::LibpodError::io(format!("create {}", d.display()), e));
            }
        }
    }
    own_container_dirs(c, &[dir, &rootfs])?;
    Ok(dir.to_path_buf())
}

/// `path` as `/proc/self/fd/N` of a detached copy of its mount (open_tree), kept in `fds`:
/// made here, where the path can be walked, and moved into place by the container's
/// process, which could not walk it (the executor moves rather than binds such sources).
pub(super) fn via_fd(
    path: &std::path::Path,
    fds: &mut Vec<std::os::fd::OwnedFd>,
) -> Result<PathBuf> {
    use std::os::fd::AsRawFd;
    let fd = storage::detached::clone_tree(path, true)?;
    let p = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
    fds.push(fd);
    Ok(p)
}
