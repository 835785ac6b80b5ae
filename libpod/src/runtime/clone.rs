//! `container clone`: a new container with another's configuration (podman's clone): fresh
//! ID, name, anonymous volumes, log and user-network addresses; the limits given override.

use crate::cgroups::ResourceOptions;
use crate::clock::now_nanos;
use crate::container::{Container, ContainerState};
use crate::error::{LibpodError, Result};
use crate::state::Owner;

use super::Runtime;
use super::names::{self, NameKind};

/// What `container clone` may change.
#[derive(Clone, Debug, Default)]
pub struct CloneOptions {
    /// The clone's name (default: podman's `NAME-clone`, `NAME-clone1`, ...).
    pub name: Option<String>,
    /// Another image for the clone.
    pub image: Option<String>,
    /// Limits over the source's.
    pub resources: ResourceOptions,
}

impl Runtime {
    /// Creates the clone (not started); the source is left as it is.
    pub fn container_clone(&self, source: &str, o: &CloneOptions) -> Result<Container> {
        self.container_clone_with(source, o, |_| {})
    }

    /// [`Runtime::container_clone`], with `adjust` changing the copied configuration before
    /// anything is stored (`pod clone` moves the clone into the new pod).
    pub(super) fn container_clone_with(
        &self,
        source: &str,
        o: &CloneOptions,
        adjust: impl FnOnce(&mut crate::container::ContainerConfig),
    ) -> Result<Container> {
        let src = self.lookup(source)?;
        if src.config.infra {
            return Err(LibpodError::InvalidState(format!(
                "container {} is the infra container of a pod: clone the pod's members instead",
                src.id
            )));
        }
        let id = names::new_id()?;
        let name = match &o.name {
            Some(n) => {
                names::validate(NameKind::Container, n)?;
                n.clone()
            }
            None => self.clone_name(&src.name),
        };
        let mut config = src.config.clone();
        config.resources = config.resources.merged(&o.resources)?;
        if config.resources.needs_cgroup()
            && let Some(w) = crate::cgroups::limits_warning(self.rootless)
        {
            // As `create`: podman warns and drops what it cannot enforce.
            eprintln!("{w}");
            config.resources = crate::cgroups::Resources {
                oom_score_adj: config.resources.oom_score_adj,
                shm_size: config.resources.shm_size,
                ..Default::default()
            };
        }
        if let Some(img) = &o.image {
            let image = self.store.lookup(img)?;
            config.image_id = image.id.clone();
            config.image_name = img.clone();
            config.raw_image_name = img.clone();
        }
        // Per-container things the source's ID named.
        if config.hostname == src.id[..12.min(src.id.len())] {
            config.hostname = id[..12].to_string();
        }
        if config.log_path == self.paths.container_dir(&src.id).join("ctr.log") {
            config.log_path = self.paths.container_dir(&id).join("ctr.log");
        }
        // Anonymous volumes are the source's own: the clone gets new ones.
        for m in config.mounts.iter_mut().filter(|m| m.kind == "volume") {
            if self
                .state
                .volume(&m.name)?
                .is_some_and(|v| v.config.anonymous)
            {
                m.name.clear();
            }
        }
        adjust(&mut config);
        let new_volumes = self.resolve_volume_mounts(&mut config.mounts)?;
        let nets: Vec<String> = self
            .state
            .container_attachments(&src.id)?
            .into_iter()
            .map(|a| a.network_name)
            .collect();
        let requests = if nets.is_empty() {
            None
        } else {
            self.attach_requests(Some(&nets.join(",")), &[], None)?
        };
        let c = Container {
            id: id.clone(),
            name,
            created: now_nanos(),
            config,
            state: ContainerState::default(),
        };
        let me = self.me();
        let inserted = match &requests {
            Some(r) => self
                .state
                .insert_container_on_networks(&c, r, me)
                .map(|_| ()),
            None => self.state.insert_container(&c, me),
        };
        if let Err(e) = inserted {
            return Err(e.with_cleanup(self.drop_volumes(&new_volumes)));
        }
        let files = (|| {
            let dir = self.paths.container_dir(&id);
            for sub in ["upper", "work"] {
                std::fs::create_dir_all(dir.join(sub)).map_err(|e| {
                    LibpodError::io(format!("create {}", dir.join(sub).display()), e)
                })?;
            }
            self.write_spec(&c)
        })();
        if let Err(e) = files {
            let mut undo: Vec<LibpodError> =
                self.remove(&id, true, false).err().into_iter().collect();
            undo.extend(self.drop_volumes(&new_volumes));
            return Err(e.with_cleanup(undo));
        }
        self.state.set_owner(&id, Owner::NONE)?;
        self.container_event(&c, "create");
        Ok(c)
    }

    /// The first free container name for a clone of `source`.
    fn clone_name(&self, source: &str) -> String {
        clone_name(source, |n| self.state.lookup(n).is_ok())
    }
}

/// podman's default name for a clone (container or pod): `NAME-clone`, then `NAME-clone1`,
/// `NAME-clone2`, ... until `taken` says no.
pub(crate) fn clone_name(source: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut name = format!("{source}-clone");
    let mut i = 1;
    while taken(&name) {
        name = format!("{source}-clone{i}");
        i += 1;
    }
    name
}
