//! Events and the `system` commands: df, prune, reset, migrate and check. `check` is where a
//! killed burrow's leftovers are found (orphan layers and container directories, half-written
//! images, containers recorded running whose process is gone, stale mounts and cgroups); it
//! reports each one and fixes it only with `repair`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::events::Event;
use crate::state::ContainerSummary;

use super::Runtime;

/// One row of `system df -v`'s container table.
#[derive(Clone, Debug)]
pub struct ContainerUsage {
    pub container: ContainerSummary,
    /// Bytes the container wrote (its upper directory).
    pub size: u64,
}

/// `system df`: what the store, containers and volumes occupy.
#[derive(Clone, Debug, Default)]
pub struct DiskUsage {
    /// Each image with the number of containers using it.
    pub images: Vec<(storage::Image, usize)>,
    pub containers: Vec<ContainerUsage>,
    /// Each volume's name, size in bytes and number of containers using it.
    pub volumes: Vec<(String, u64, usize)>,
}

/// What `system prune` removed.
#[derive(Clone, Debug, Default)]
pub struct PruneReport {
    pub containers: Vec<String>,
    pub images: Vec<String>,
    pub volumes: Vec<String>,
    pub reclaimed: u64,
}

/// One finding of `system check`.
#[derive(Clone, Debug)]
pub struct CheckFinding {
    pub what: String,
    pub repaired: bool,
}

impl Runtime {
    pub(crate) fn container_event(&self, c: &Container, status: &str) {
        self.container_event_ext(c, status, None, None);
    }

    /// Records a container event with its image, name and labels (podman's attributes).
    pub(crate) fn container_event_ext(
        &self,
        c: &Container,
        status: &str,
        exit_code: Option<i32>,
        extra: Option<(&str, String)>,
    ) {
        let mut ev = Event::new("container", status, &c.id)
            .name(&c.name)
            .image(&c.config.image_name);
        ev.exit_code = exit_code;
        ev.attributes = c.config.labels.clone();
        if let Some((k, v)) = extra {
            ev.attributes.insert(k.to_string(), v);
        }
        match exit_code {
            Some(code) => crate::debug!(
                "Container {} ({}): {status}, exit code {code}",
                c.id,
                c.name
            ),
            None => crate::debug!("Container {} ({}): {status}", c.id, c.name),
        }
        self.events.write(&ev);
    }

    pub(crate) fn image_event(&self, id: &str, name: &str, status: &str) {
        crate::debug!("Image {id} ({name}): {status}");
        self.events
            .write(&Event::new("image", status, id).name(name).image(name));
    }

    /// Records an event the CLI composes (e.g. `restart`, which it builds from stop + start).
    pub fn record_container_event(&self, name: &str, status: &str) {
        if let Ok(c) = self.state.lookup(name) {
            self.container_event(&c, status);
        }
    }

    /// The recorded events, from the beginning or from now on (`events --stream`).
    pub fn event_reader(&self, from_start: bool) -> Result<crate::events::EventReader> {
        self.events
            .reader(from_start)
            .map_err(LibpodError::InvalidState)
    }

    /// `system df`.
    pub fn disk_usage(&self) -> Result<DiskUsage> {
        // Summaries: the image, the volumes and the state are all `df` needs of a container.
        let containers = self.list_summaries(false)?;
        let images = self
            .store
            .images()?
            .into_iter()
            .map(|i| {
                let n = containers.iter().filter(|c| c.image_id == i.id).count();
                (i, n)
            })
            .collect();
        let mut volumes = Vec::new();
        for v in self.volumes()? {
            let users = containers
                .iter()
                .filter(|c| {
                    c.mounts
                        .iter()
                        .any(|m| m.kind == "volume" && m.name == v.name)
                })
                .count();
            volumes.push((
                v.name.clone(),
                tree_size(&self.volume_mountpoint(&v.name)),
                users,
            ));
        }
        let containers = containers
            .into_iter()
            .map(|c| ContainerUsage {
                size: tree_size(&self.paths.container_dir(&c.id).join("upper")),
                container: c,
            })
            .collect();
        Ok(DiskUsage {
            images,
            containers,
            volumes,
        })
    }

    /// `container prune`: every stopped (exited or created) container that passes `filters`
    /// (ps's: `label=`, `label!=`, `until=`, ...), with its anonymous volumes; the IDs removed
    /// and the bytes their writable layers held.
    pub fn container_prune(&self, filters: &[String]) -> Result<(Vec<String>, u64)> {
        let passing: Option<Vec<String>> = if filters.is_empty() {
            None
        } else {
            Some(self.ps(filters, false)?.into_iter().map(|s| s.id).collect())
        };
        let mut removed = Vec::new();
        let mut reclaimed = 0;
        for c in self.list()? {
            // An infra container belongs to a pod that still runs: it goes with that pod.
            if c.config.infra || !matches!(c.status(), Status::Exited | Status::Created) {
                continue;
            }
            if passing.as_ref().is_some_and(|p| !p.contains(&c.id)) {
                continue;
            }
            reclaimed += tree_size(&self.paths.container_dir(&c.id).join("upper"));
            self.remove(&c.id, false, true)?;
            removed.push(c.id);
        }
        Ok((removed, reclaimed))
    }

    /// `system prune`: stopped containers, then unused images (dangling only unless `all`),
    /// then, with `volumes`, volumes no container uses.
    pub fn system_prune(&self, all: bool, volumes: bool) -> Result<PruneReport> {
        let mut report = PruneReport::default();
        // Pods with nothing running go first, with their containers (podman prunes pods too).
        let before = self.list()?;
        let pods = self.pod_prune()?;
        report.containers.extend(
            before
                .iter()
                .filter(|c| pods.iter().any(|p| p.id == c.config.pod))
                .map(|c| c.id.clone()),
        );
        let (removed, reclaimed) = self.container_prune(&[])?;
        report.containers.extend(removed);
        report.reclaimed += reclaimed;
        let before: u64 = self.store.images()?.iter().map(|i| i.size).sum();
        report.images = self.prune_images(all)?;
        let after: u64 = self.store.images()?.iter().map(|i| i.size).sum();
        report.reclaimed += before.saturating_sub(after);
        if volumes {
            let sizes: Vec<(String, u64)> = self
                .volumes()?
                .iter()
                .map(|v| (v.name.clone(), tree_size(&self.volume_mountpoint(&v.name))))
                .collect();
            // As podman: with --volumes every volume no container uses goes, named or not.
            report.volumes = self.volume_prune(|_| false)?;
            report.reclaimed += sizes
                .iter()
                .filter(|(n, _)| report.volumes.contains(n))
                .map(|(_, s)| s)
                .sum::<u64>();
        }
        Ok(report)
    }

    /// `system reset`: every container (killed first), image, volume, the event log and the
    /// database go. The data root is emptied, not removed, so `--root` stays valid. Last, the
    /// pause process goes too, as podman's reset stops it: it held the removed database
    /// open, and the next command starts from nothing, namespace included.
    pub fn reset(&self) -> Result<()> {
        let mut errors = Vec::new();
        // Pods first: an infra container goes only with its pod.
        for p in self.state.pods()? {
            if let Err(e) = self.pod_remove(&p.id, true) {
                errors.push(e);
            }
        }
        for c in self.state.list()? {
            if let Err(e) = self.remove(&c.id, true, true) {
                errors.push(e);
            }
        }
        for img in self.store.images()? {
            let _ = self.store.remove_image(&img);
        }
        // The rootless netns of user networks (their bridges go with it); the networks
        // themselves are rows of the database removed below.
        crate::rootless_netns::stop(&self.paths.run);
        // Layers owned by sub-ids are deletable here: we are root of the user namespace.
        for dir in [&self.paths.data, &self.paths.run] {
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name();
                // The pause process's pid file: stop_pause below needs it.
                if name == "pause.pid" {
                    continue;
                }
                let p = e.path();
                let res = if p.is_dir() && !p.is_symlink() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
                if let Err(err) = res
                    && err.kind() != std::io::ErrorKind::NotFound
                {
                    errors.push(LibpodError::io(format!("remove {}", p.display()), err));
                }
            }
        }
        let _ = self.cgroup_cleanup_all();
        if self.rootless {
            // This process stays in the namespaces until it exits; nothing else needs them.
            crate::userns::stop_pause(&self.paths);
        }
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `system migrate`: stops running containers and ends the pause process, so the next
    /// command builds the user namespace again from the current /etc/subuid and /etc/subgid.
    pub fn migrate(&self) -> Result<usize> {
        let mut stopped = 0;
        for c in self.list()? {
            if c.status() == Status::Running {
                self.stop(&c.id, None)?;
                stopped += 1;
            }
        }
        if self.rootless {
            crate::userns::stop_pause(&self.paths);
        }
        Ok(stopped)
    }

    /// `system check`.
    pub fn check(&self, repair: bool) -> Result<Vec<CheckFinding>> {
        let mut out: Vec<CheckFinding> = self
            .store
            .check(repair)?
            .into_iter()
            .map(|f| CheckFinding {
                what: f.what,
                repaired: f.repaired,
            })
            .collect();
        // Raw rows, not `list()`: that repairs stale records silently on read.
        let rows = self.state.list()?;
        let ids: HashSet<&str> = rows.iter().map(|c| c.id.as_str()).collect();
        for c in &rows {
            if matches!(
                c.status(),
                Status::Running | Status::Paused | Status::Stopping
            ) && !super::lifecycle::process_alive(c.state.pid, c.state.pid_start)
                && !super::lifecycle::process_alive(c.state.monitor_pid, 0)
            {
                if repair {
                    self.state
                        .set_exited(&c.id, -1, crate::clock::now_nanos(), false)?;
                }
                out.push(CheckFinding {
                    what: format!(
                        "container {} ({}) is recorded {} but its process is gone",
                        c.short_id(),
                        c.name,
                        c.status().as_str()
                    ),
                    repaired: repair,
                });
            }
            // An infra container has no image by design.
            if !c.config.infra
                && c.config.rootfs.is_empty()
                && self.store.lookup(&c.config.image_id).is_err()
            {
                out.push(CheckFinding {
                    what: format!(
                        "container {} ({}) uses image {} which is missing: remove the container",
                        c.short_id(),
                        c.name,
                        &c.config.image_id[..12.min(c.config.image_id.len())]
                    ),
                    repaired: false,
                });
            }
        }
        // A pod whose infra container is gone: half a pod, which no command can start.
        for p in self.state.pods()? {
            if p.config.infra && !ids.contains(p.config.infra_id.as_str()) {
                let repaired = repair && self.state.remove_pod(&p.id).is_ok();
                out.push(CheckFinding {
                    what: format!("pod {} ({}) has no infra container", p.short_id(), p.name),
                    repaired,
                });
            }
        }
        // Directories no row refers to: an interrupted `rm` or `--rm`, or a killed `create`.
        for base in [
            self.paths.data.join("containers"),
            self.paths.run.join("containers"),
        ] {
            let Ok(rd) = std::fs::read_dir(&base) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(".removing-") {
                    // A `--rm` deletion in progress (not a problem), or one whose deleter was
                    // killed: --repair finishes it.
                    if repair {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                    continue;
                }
                if name.starts_with('.') || ids.contains(name.as_str()) {
                    continue;
                }
                let p = e.path();
                let mut repaired = false;
                if repair {
                    unmount_under(&p);
                    repaired = std::fs::remove_dir_all(&p).is_ok();
                }
                out.push(CheckFinding {
                    what: format!("orphan container directory {}", p.display()),
                    repaired,
                });
            }
        }
        // Mounts left under the data root by a killed process (not a user's `burrow mount`).
        for m in mounts_under(&self.paths.data) {
            let owner = m
                .strip_prefix(self.paths.data.join("containers"))
                .ok()
                .and_then(|r| r.iter().next())
                .map(|s| s.to_string_lossy().into_owned());
            let stale = match &owner {
                Some(id) if id == ".rootfs" => true,
                Some(id) => !ids.contains(id.as_str()),
                None => false,
            };
            if stale {
                let repaired = repair && storage::rootfs::unmount(&m).is_ok();
                out.push(CheckFinding {
                    what: format!("stale mount {}", m.display()),
                    repaired,
                });
            }
        }
        // cgroups of containers that no longer run.
        let running: HashSet<&str> = rows
            .iter()
            .filter(|c| matches!(c.status(), Status::Running | Status::Paused))
            .filter(|c| super::lifecycle::process_alive(c.state.pid, c.state.pid_start))
            .map(|c| c.id.as_str())
            .collect();
        for id in crate::cgroups::existing_container_cgroups(self.rootless) {
            if running.contains(id.as_str()) {
                continue;
            }
            let repaired = repair
                && crate::cgroups::Cgroup::for_container(&id, self.rootless)
                    .and_then(|cg| cg.remove())
                    .is_ok();
            out.push(CheckFinding {
                what: format!("stale cgroup of container {}", &id[..12.min(id.len())]),
                repaired,
            });
        }
        Ok(out)
    }

    fn cgroup_cleanup_all(&self) -> Result<()> {
        for id in crate::cgroups::existing_container_cgroups(self.rootless) {
            if let Ok(cg) = crate::cgroups::Cgroup::for_container(&id, self.rootless) {
                let _ = cg.remove();
            }
        }
        Ok(())
    }
}

/// Mount points at or below `root`, deepest first (the order to unmount them in).
fn mounts_under(root: &Path) -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(root) && p != root)
        .collect();
    v.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    v.dedup();
    v
}

fn unmount_under(dir: &Path) {
    for m in mounts_under(dir) {
        let _ = storage::rootfs::unmount(&m);
    }
}

/// Bytes of regular files under `dir`, not following symlinks.
pub(crate) fn tree_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}
