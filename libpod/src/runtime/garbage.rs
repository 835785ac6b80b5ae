//! Half-done work of a killed command, finished by the next one: podman's `container
//! cleanup`, without a conmon to call it. A container that belongs to a process (being made
//! by `create`/`run`/`pod create`, a `--rm` container under its supervisor, a build's working
//! container) is removed once that process is dead; an unfinished pod's infra container
//! takes its pod with it. Every command looks once, when it opens the
//! runtime: one indexed query that finds nothing in the usual case.

use crate::state::Owner;

use super::Runtime;
use super::lifecycle::process_alive;
use super::start::pid_start_time;

impl Runtime {
    /// This process as an owner of containers (its start time read once per process: a
    /// forked child asks again).
    pub(crate) fn me(&self) -> Owner {
        static ME: std::sync::Mutex<Owner> = std::sync::Mutex::new(Owner::NONE);
        let pid = std::process::id() as i32;
        let Ok(mut me) = ME.lock() else {
            return Owner {
                pid,
                start: pid_start_time(pid),
            };
        };
        if me.pid != pid {
            *me = Owner {
                pid,
                start: pid_start_time(pid),
            };
        }
        *me
    }

    /// Removes the containers whose owner died. Each is first taken over in one conditional
    /// write, so two commands never remove the same one and a live owner never loses one;
    /// a removal that fails stays ours and is tried again by the next command.
    pub(super) fn collect_garbage(&self) {
        let Ok(owned) = self.state.owned_containers() else {
            return;
        };
        if owned.is_empty() {
            return;
        }
        let me = self.me();
        for (id, owner) in owned {
            if owner == me || process_alive(owner.pid, owner.start) {
                continue;
            }
            if self.state.take_ownership(&id, owner, me).unwrap_or(false) {
                // An infra container still owned means its `pod create` or `pod rm` never
                // finished: the pod goes, members and all.
                let pod = self
                    .state
                    .lookup(&id)
                    .ok()
                    .filter(|c| c.config.infra)
                    .map(|c| c.config.pod);
                match pod {
                    Some(pod) if self.state.lookup_pod(&pod).is_ok() => {
                        let _ = self.pod_remove(&pod, true);
                    }
                    _ => {
                        let _ = self.remove_container(&id, true, true, true);
                    }
                }
            }
        }
    }
}
