//! `--pid`, `--ipc`, `--uts` against the state: at create, another container's name becomes
//! its id, a namespace file must exist, and a pod member may not leave a namespace its pod
//! shares; at start, the namespaces to join are opened (a stopped container fails the start
//! with a clear error) and the host's are flagged for the executor.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::spec::namespaces::NsMode;
use crate::spec::{ContainerSpec, SpecError};

use super::Runtime;

/// The stored `--pid`, `--ipc`, `--uts`, and the hostname a shared UTS namespace implies.
pub(super) struct NamespaceModes {
    pub pid: String,
    pub ipc: String,
    pub uts: String,
    pub hostname: Option<String>,
}

/// What the executor does with the namespaces at start.
#[derive(Default)]
pub(super) struct OwnNamespaces {
    pub join_pid: Option<OwnedFd>,
    pub join_ipc: Option<OwnedFd>,
    pub join_uts: Option<OwnedFd>,
    pub host_pid: bool,
    pub host_ipc: bool,
    pub host_uts: bool,
}

const KINDS: [(&str, &str); 3] = [("--pid", "pid"), ("--ipc", "ipc"), ("--uts", "uts")];

impl Runtime {
    pub(super) fn resolve_namespace_modes(&self, spec: &ContainerSpec) -> Result<NamespaceModes> {
        let n = &spec.namespaces;
        let pod = match &spec.pod {
            Some(p) => Some(self.state.lookup_pod(p)?),
            None => None,
        };
        let mut stored = Vec::new();
        let mut hostname = None;
        for ((flag, ns), mode) in KINDS.iter().zip([&n.pid, &n.ipc, &n.uts]) {
            if let Some(pod) = &pod
                && pod.config.shares(ns)
                && !mode.is_private()
            {
                return Err(SpecError::NamespaceInPod {
                    flag,
                    pod: pod.name.clone(),
                    ns,
                }
                .into());
            }
            let value = match mode {
                NsMode::Container(name) => {
                    let other =
                        self.state
                            .lookup(name)
                            .map_err(|_| SpecError::NamespaceContainer {
                                flag,
                                name: name.clone(),
                            })?;
                    if *ns == "uts" {
                        hostname = Some(other.config.hostname.clone());
                    }
                    NsMode::Container(other.id).stored()
                }
                NsMode::Path(p) if !p.exists() => {
                    return Err(SpecError::NamespacePath {
                        flag,
                        value: mode.stored(),
                        path: p.clone(),
                    }
                    .into());
                }
                NsMode::Host if *ns == "uts" => {
                    hostname = nix::unistd::gethostname()
                        .ok()
                        .and_then(|h| h.into_string().ok());
                    mode.stored()
                }
                m => m.stored(),
            };
            stored.push(value);
        }
        let [pid, ipc, uts]: [String; 3] = stored
            .try_into()
            .map_err(|_| LibpodError::InvalidState("namespace modes".into()))?;
        Ok(NamespaceModes {
            pid,
            ipc,
            uts,
            hostname,
        })
    }

    /// The container's own `--pid`/`--ipc`/`--uts` (a pod's shared ones come from the pod).
    pub(super) fn own_namespaces(&self, c: &Container) -> Result<OwnNamespaces> {
        let cfg = &c.config;
        let mut out = OwnNamespaces::default();
        for ((flag, ns), stored) in KINDS
            .iter()
            .zip([&cfg.pid_mode, &cfg.ipc_mode, &cfg.uts_mode])
        {
            let path = match NsMode::from_stored(flag, stored) {
                NsMode::Private | NsMode::Shareable => continue,
                NsMode::Host => {
                    match *ns {
                        "pid" => out.host_pid = true,
                        "ipc" => out.host_ipc = true,
                        _ => out.host_uts = true,
                    }
                    continue;
                }
                NsMode::Container(id) => {
                    let other = self.lookup(&id)?;
                    if other.status() != Status::Running {
                        return Err(LibpodError::InvalidState(format!(
                            "cannot join the {ns} namespace of container {}: it is not running: start it first",
                            other.name
                        )));
                    }
                    PathBuf::from(format!("/proc/{}/ns/{ns}", other.state.pid))
                }
                NsMode::Path(p) => p,
            };
            let f = std::fs::File::open(&path).map_err(|e| {
                LibpodError::io(
                    format!(
                        "open the {ns} namespace {} for container {}",
                        path.display(),
                        c.name
                    ),
                    e,
                )
            })?;
            let fd = Some(OwnedFd::from(f));
            match *ns {
                "pid" => out.join_pid = fd,
                "ipc" => out.join_ipc = fd,
                _ => out.join_uts = fd,
            }
        }
        Ok(out)
    }
}
