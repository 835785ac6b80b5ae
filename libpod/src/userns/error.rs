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
