//! `--requires`: containers another one depends on. They are resolved to ids at create, started
//! (with what they in turn require) before it at every start, and cannot be removed while it
//! exists, as podman's container dependencies.

use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::spec::SpecError;

use super::Runtime;

impl Runtime {
    /// The ids of the containers `requires` names, each once; a pod member may only require
    /// members of its own pod (podman's rule: they share its lifetime).
    pub(super) fn resolve_requires(
        &self,
        requires: &[String],
        pod_id: &str,
    ) -> Result<Vec<String>> {
        let mut ids: Vec<String> = Vec::new();
        for name in requires {
            let dep = self.state.lookup(name).map_err(|e| SpecError::Requires {
                name: name.clone(),
                why: e.to_string(),
            })?;
            if !pod_id.is_empty() && dep.config.pod != pod_id {
                return Err(LibpodError::InvalidState(format!(
                    "container has joined pod {pod_id} and dependency container {} is not a member of the pod: use --requires with containers of the same pod",
                    dep.id
                )));
            }
            if !ids.contains(&dep.id) {
                ids.push(dep.id);
            }
        }
        Ok(ids)
    }

    /// Starts every container `c` requires that is not running (their own requirements first,
    /// through the same check); a paused one is refused, as podman refuses it.
    pub(super) fn ensure_dependencies(&self, c: &Container) -> Result<()> {
        for id in &c.config.dependencies {
            let dep = self.lookup(id)?;
            match dep.status() {
                Status::Running => {}
                Status::Paused => {
                    return Err(LibpodError::InvalidState(format!(
                        "container {} depends on container {} which is paused: unpause it first",
                        c.id, dep.id
                    )));
                }
                _ => self.start_detached(&dep).map_err(|e| {
                    LibpodError::InvalidState(format!(
                        "starting dependency container {} of container {}: {e}",
                        dep.id, c.id
                    ))
                })?,
            }
        }
        Ok(())
    }

    /// podman's refusal to remove a container that others require.
    pub(super) fn refuse_if_required(&self, c: &Container) -> Result<()> {
        let dependents: Vec<String> = self
            .state
            .list()?
            .into_iter()
            .filter(|o| o.config.dependencies.contains(&c.id))
            .map(|o| o.id)
            .collect();
        if dependents.is_empty() {
            return Ok(());
        }
        Err(LibpodError::InvalidState(format!(
            "container {} has dependent containers which must be removed before it: {}: container already exists",
            c.id,
            dependents.join(", ")
        )))
    }
}
