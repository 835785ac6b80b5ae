//! Why the rootless user namespace could not be created or joined: each variant names the
//! process, helper or file involved and, where the user can fix it, says how.

use std::path::PathBuf;

#[derive(thiserror::Error, Debug)]
pub enum UserNsError {
    #[error(
        "no subordinate uids for user \"{0}\" in /etc/subuid: add a range with `sudo usermod --add-subuids 100000-165535 {0}`"
    )]
    NoSubuids(String),
    #[error(
        "no subordinate gids for user \"{0}\" in /etc/subgid: add a range with `sudo usermod --add-subgids 100000-165535 {0}`"
    )]
    NoSubgids(String),
    #[error(
        "{0} not found: rootless burrow needs it to map subordinate ids; install it with `sudo apt-get install uidmap`"
    )]
    HelperMissing(String),
    #[error("{} is neither setuid root nor has file capabilities: fix it with `sudo chmod u+s {}`", .0.display(), .0.display())]
    HelperNotPrivileged(PathBuf),
    /// newuidmap or newgidmap refused the mapping; `stderr` is what it said.
    #[error("{} failed: {stderr}: check /etc/subuid and /etc/subgid for user \"{user}\"", .helper.display())]
    IdMap {
        helper: PathBuf,
        stderr: String,
        user: String,
    },
    #[error(
        "cannot create a user namespace: {0}: check that unprivileged user namespaces are enabled (`sudo sysctl -w user.max_user_namespaces=28633`)"
    )]
    Create(nix::Error),
    #[error("cannot start the user namespace holder (exec /proc/self/exe): {0}")]
    ExecHolder(nix::Error),
    #[error("the user namespace holder exited before it created the namespace")]
    HolderExitedBeforeCreate,
    #[error("the user namespace holder process exited right after it was created")]
    HolderExitedAfterCreate,
    #[error("the user namespace holder failed to set up its mount namespace")]
    HolderMountNamespace,
    #[error(
        "cannot join the user namespace of pause process {pid}: {source} (burrow must join it before starting any thread)"
    )]
    JoinUser { pid: i32, source: nix::Error },
    #[error("cannot join the mount namespace of pause process {pid}: {source}")]
    JoinMount { pid: i32, source: nix::Error },
    #[error("cannot read {0}: {1}")]
    ReadMap(&'static str, std::io::Error),
    #[error(
        "nomap requires additional UIDs or GIDs defined in /etc/subuid and /etc/subgid to function correctly"
    )]
    NoMapWithoutSubids,
    #[error(
        "--userns=auto: no free range of {size} ids among the {available} subordinate ids: remove auto containers or ask for a smaller size (auto:size=N)"
    )]
    NoFreeAutoRange { size: u32, available: u32 },
    #[error(
        "{kind} mapping {map} is outside the user namespace, which has ids 0 to {available} (exclusive): map HOST ids of the rootless namespace (see `burrow unshare cat /proc/self/{kind}_map`)"
    )]
    MapOutOfRange {
        kind: &'static str,
        map: String,
        available: u64,
    },
    #[error(
        "the image has files owned by {kind} {id}, which the container's {kind} map ({map}) covers neither directly nor as the overflow id 65534: add it with --{kind}map, or map 65534"
    )]
    ImageIdUnmapped {
        kind: &'static str,
        id: u32,
        map: String,
    },
    #[error("{kind} mappings {a} and {b} overlap: give each id one mapping")]
    MapOverlap {
        kind: &'static str,
        a: String,
        b: String,
    },
    #[error("no {kind} ranges found for {name:?} in {file}")]
    NoSubidsFor {
        kind: &'static str,
        name: String,
        file: &'static str,
    },
    #[error(
        "--userns {mode}: {what} cannot be combined with a user namespace of the container's own yet: drop one of them"
    )]
    Unsupported { mode: String, what: String },
    #[error(
        "--userns {0}: joining an existing user namespace is not supported yet: use host, keep-id, nomap, auto or --uidmap"
    )]
    JoinUnsupported(String),
    #[error("no container with name or ID \"{0}\" found: no such container")]
    NoSuchContainer(String),
    /// The pause process's argv or environment cannot be passed to exec.
    #[error("NUL byte in {0}")]
    NulByte(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_helper_and_the_fix() {
        let helper = PathBuf::from("/usr/bin/newuidmap");
        assert_eq!(
            UserNsError::HelperNotPrivileged(helper.clone()).to_string(),
            "/usr/bin/newuidmap is neither setuid root nor has file capabilities: fix it with `sudo chmod u+s /usr/bin/newuidmap`"
        );
        let id_map = UserNsError::IdMap {
            helper,
            stderr: "write to uid_map failed".into(),
            user: "alice".into(),
        };
        assert_eq!(
            id_map.to_string(),
            "/usr/bin/newuidmap failed: write to uid_map failed: check /etc/subuid and /etc/subgid for user \"alice\""
        );
        let join = UserNsError::JoinMount {
            pid: 42,
            source: nix::Error::EPERM,
        };
        assert_eq!(
            join.to_string(),
            "cannot join the mount namespace of pause process 42: EPERM: Operation not permitted"
        );
    }
}
