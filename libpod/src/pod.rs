//! The pod model: a group of containers sharing namespaces held by an infra container
//! ([`PodConfig`], stored as JSON), the pod status podman derives from its members
//! ([`PodStatus`]), and the infra container's pause program ([`infra_main`]).
//! A pod never stores a status of its own: it is always computed from its containers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::container::Status;

/// What `pod create` refuses, and what a pod refuses of a container joining it.
#[derive(thiserror::Error, Debug)]
pub enum PodError {
    #[error(
        "adding pod to state: name \"{0}\" is in use: pod already exists: remove it first (burrow pod rm {0})"
    )]
    NameInUse(String),
    #[error(
        "you must have an infra container to publish port bindings to the host: drop --infra=false"
    )]
    PortsWithoutInfra,
    #[error("cannot set a network for a pod without an infra container: drop --infra=false")]
    NetworkWithoutInfra,
    #[error(
        "you cannot share kernel namespaces on the pod level without an infra container: drop --share or --infra=false"
    )]
    ShareWithoutInfra,
    #[error("cannot publish ports on a pod that does not share its network: add net to --share")]
    PortsWithoutSharedNetwork,
    #[error("a pod cannot use --network container:NAME: give the pod its own network")]
    ContainerNetwork,
    #[error(
        "invalid --share \"{share}\": a pod can share cgroup, ipc, net, pid and uts (or none), not \"{namespace}\""
    )]
    Share { share: String, namespace: String },
    #[error(
        "invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod"
    )]
    MemberPorts,
    #[error(
        "invalid config provided: networks must be defined when the pod is created: network cannot be configured when it is shared with a pod"
    )]
    MemberNetwork,
    #[error(
        "invalid config provided: cannot set hostname when joining the pod UTS namespace: set --hostname on the pod"
    )]
    MemberHostname,
    #[error("invalid pod exit policy: {0:?}: use continue or stop")]
    ExitPolicy(String),
}

/// `pod create --exit-policy`: what happens to the pod when its last member exits (podman's
/// `continue` keeps the infra running, `stop` stops the pod: the monitor of the last member to
/// exit stops the infra container, see `Runtime::apply_pod_exit_policy`).
pub const EXIT_POLICIES: &[&str] = &["continue", "stop"];

/// Namespaces a pod can share with its members (podman's `--share`), in podman's spelling.
pub const SHAREABLE: &[&str] = &["cgroup", "ipc", "net", "pid", "uts"];

/// podman 5's default `--share`.
pub const DEFAULT_SHARE: &[&str] = &["ipc", "net", "uts"];

/// What `pod create` was told, after validation.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PodConfig {
    pub hostname: String,
    pub labels: BTreeMap<String, String>,
    /// Namespaces the members join from the infra container ("ipc", "net", "uts").
    pub share: Vec<String>,
    /// Whether the pod has an infra container (`--infra`, default true).
    pub infra: bool,
    /// The infra container's id (empty without infra).
    pub infra_id: String,
    /// `--network` of the pod (the infra container's), as stored for containers.
    pub network: String,
    /// `-p` of the pod: published by the infra container, which holds the network.
    pub ports: Vec<network::PortMapping>,
    pub add_hosts: Vec<String>,
    pub dns: Vec<String>,
    /// The command line that created it (podman's CreateCommand), for `generate systemd --new`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create_command: Vec<String>,
    /// `--exit-policy` (empty: podman's default, continue). See [`EXIT_POLICIES`].
    #[serde(skip_serializing_if = "String::is_empty")]
    pub exit_policy: String,
}

impl PodConfig {
    pub fn shares(&self, ns: &str) -> bool {
        self.infra && self.share.iter().any(|s| s == ns)
    }
}

/// One row of the pods table.
#[derive(Clone, Debug)]
pub struct Pod {
    pub id: String,
    pub name: String,
    pub created: i64,
    pub config: PodConfig,
}

impl Pod {
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

/// A pod's state as `pod ps` shows it (podman's define.PodState*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodStatus {
    Created,
    Running,
    Degraded,
    Paused,
    Exited,
    Stopped,
}

impl PodStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PodStatus::Created => "Created",
            PodStatus::Running => "Running",
            PodStatus::Degraded => "Degraded",
            PodStatus::Paused => "Paused",
            PodStatus::Exited => "Exited",
            PodStatus::Stopped => "Stopped",
        }
    }

    /// podman's createPodStatusResults: running next to anything else is Degraded; all of one
    /// kind is that kind; some exited among created ones is Stopped; no container is Created.
    pub fn from_members(statuses: &[Status]) -> PodStatus {
        let count = |f: &dyn Fn(Status) -> bool| statuses.iter().filter(|s| f(**s)).count();
        let n = statuses.len();
        let running = count(&|s| s == Status::Running);
        let paused = count(&|s| s == Status::Paused);
        let stopped = count(&|s| matches!(s, Status::Exited | Status::Stopping));
        // podman counts its configured and created (our initialized) states alike.
        let created = count(&|s| matches!(s, Status::Created | Status::Initialized));
        if n == 0 {
            PodStatus::Created
        } else if running > 0 && (paused + stopped + created) > 0 {
            PodStatus::Degraded
        } else if running > 0 {
            PodStatus::Running
        } else if paused == n {
            PodStatus::Paused
        } else if stopped == n {
            PodStatus::Exited
        } else if stopped > 0 {
            PodStatus::Stopped
        } else {
            PodStatus::Created
        }
    }
}

/// `--share ipc,net,uts` (or `none`): validated, in podman's order.
pub fn parse_share(s: &str) -> Result<Vec<String>, PodError> {
    let mut out = Vec::new();
    for ns in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        if ns == "none" {
            continue;
        }
        let ns = ns.trim_start_matches('+');
        if !SHAREABLE.contains(&ns) {
            return Err(PodError::Share {
                share: s.to_string(),
                namespace: ns.to_string(),
            });
        }
        if !out.iter().any(|o| o == ns) {
            out.push(ns.to_string());
        }
    }
    Ok(out)
}

extern "C" fn infra_exit(_: libc::c_int) {
    // SAFETY: _exit is async-signal-safe; nothing needs flushing in the pause program.
    unsafe { libc::_exit(0) }
}

/// The infra container's process (`burrow __infra`): PID 1 of its pid namespace, holding the
/// pod's network, ipc and uts namespaces open by existing. As PID 1 it gets no default signal
/// actions, so SIGTERM, SIGINT and SIGHUP are handled explicitly (stop), and it reaps nothing
/// since it never has children. Never returns.
pub fn infra_main() -> ! {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let _ = nix::sys::prctl::set_name(c"burrow-infra");
    let act = SigAction::new(
        SigHandler::Handler(infra_exit),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        // SAFETY: the handler only calls _exit.
        let _ = unsafe { sigaction(sig, &act) };
    }
    // With `--share pid` the members' orphans are re-parented to this PID 1: reap them, as
    // podman's catatonit does. Blocking SIGCHLD and waiting also sleeps when there are none.
    let mut chld = SigSet::empty();
    chld.add(Signal::SIGCHLD);
    let _ = chld.thread_block();
    loop {
        let _ = chld.wait();
        while let Ok(status) = nix::sys::wait::waitpid(
            nix::unistd::Pid::from_raw(-1),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        ) {
            if status == nix::sys::wait::WaitStatus::StillAlive {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_status_follows_podman() {
        use Status::*;
        assert_eq!(PodStatus::from_members(&[]), PodStatus::Created);
        assert_eq!(
            PodStatus::from_members(&[Status::Running, Status::Initialized]),
            PodStatus::Degraded
        );
        assert_eq!(
            PodStatus::from_members(&[Created, Created]),
            PodStatus::Created
        );
        assert_eq!(
            PodStatus::from_members(&[Running, Running]),
            PodStatus::Running
        );
        assert_eq!(
            PodStatus::from_members(&[Running, Exited]),
            PodStatus::Degraded
        );
        assert_eq!(
            PodStatus::from_members(&[Running, Created]),
            PodStatus::Degraded
        );
        assert_eq!(
            PodStatus::from_members(&[Exited, Exited]),
            PodStatus::Exited
        );
        assert_eq!(
            PodStatus::from_members(&[Exited, Created]),
            PodStatus::Stopped
        );
        assert_eq!(
            PodStatus::from_members(&[Paused, Paused]),
            PodStatus::Paused
        );
    }

    #[test]
    fn share_parsing() {
        assert_eq!(parse_share("net,uts").unwrap(), vec!["net", "uts"]);
        assert!(parse_share("none").unwrap().is_empty());
        assert_eq!(parse_share("pid,+ipc").unwrap(), vec!["pid", "ipc"]);
        assert!(parse_share("user").is_err());
    }
}
