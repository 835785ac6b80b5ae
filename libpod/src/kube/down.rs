//! `kube down`: stops and removes the pods a YAML file's workloads stand for and the secrets
//! its Secrets made; the volumes of its PersistentVolumeClaims stay unless forced (podman's
//! `kube down --force`).

use std::time::{Duration, Instant};

use crate::container::Status;
use crate::error::Result;
use crate::runtime::Runtime;

use super::document::{self, Document};
use super::play::PlayInput;

/// What `kube down` removed, in podman's report order.
#[derive(Clone, Debug, Default)]
pub struct DownReport {
    pub pods_stopped: Vec<String>,
    pub pods_removed: Vec<String>,
    pub secrets_removed: Vec<String>,
    pub volumes_removed: Vec<String>,
}

impl Runtime {
    /// Sends every running member its stop signal at once and waits up to the longest stop
    /// timeout for them all (podman stops a pod's containers in parallel); what is still
    /// running afterwards gets SIGKILL from the `pod_stop` with timeout 0 that follows.
    fn signal_members(&self, pod: &crate::pod::Pod) {
        let Ok(members) = self.pod_containers(pod) else {
            return;
        };
        let running: Vec<_> = members
            .iter()
            .filter(|c| !c.config.infra && c.status() == Status::Running)
            .collect();
        let mut timeout = 0;
        for c in &running {
            if self.kill(&c.id, &c.config.stop_signal).is_ok() {
                timeout = timeout.max(c.config.stop_timeout);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(timeout.into());
        while Instant::now() < deadline {
            let busy = running.iter().any(|c| {
                self.lookup(&c.id)
                    .is_ok_and(|c| c.status() == Status::Running)
            });
            if !busy {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kube down FILE...`: what is not there is skipped; every failure is collected and the
    /// rest still goes.
    pub fn kube_down(&self, inputs: &[PlayInput], force: bool) -> Result<DownReport> {
        let mut docs = Vec::new();
        for input in inputs {
            docs.extend(document::parse_documents(&input.text, &input.path)?);
        }
        let mut report = DownReport::default();
        let mut errors = Vec::new();
        for d in &docs {
            let Some(w) = d.workload() else { continue };
            let Ok(pod) = self.pod(&w.pod_name) else {
                continue;
            };
            self.signal_members(&pod);
            match self.pod_stop(&pod.id, Some(0)) {
                Ok(_) => report.pods_stopped.push(pod.id.clone()),
                Err(e) => errors.push(e),
            }
            match self.pod_remove(&pod.id, true) {
                Ok(_) => report.pods_removed.push(pod.id.clone()),
                Err(e) => errors.push(e),
            }
        }
        for d in &docs {
            match d {
                Document::Secret(s) => {
                    if let Ok(secret) = self.secret(&s.metadata.name) {
                        match self.secret_remove(&secret.id) {
                            Ok(_) => report.secrets_removed.push(secret.id),
                            Err(e) => errors.push(e),
                        }
                    }
                }
                Document::PersistentVolumeClaim(p)
                    if force && self.volume(&p.metadata.name).is_ok() =>
                {
                    match self.volume_remove(&p.metadata.name, true) {
                        Ok(()) => report.volumes_removed.push(p.metadata.name.clone()),
                        Err(e) => errors.push(e),
                    }
                }
                _ => {}
            }
        }
        match errors.len() {
            0 => Ok(report),
            _ => {
                let first = errors.remove(0);
                Err(first.with_cleanup(errors))
            }
        }
    }
}
