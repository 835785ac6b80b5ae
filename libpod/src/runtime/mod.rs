//! [`Runtime`]: the one object the CLI talks to. Opening it joins the rootless user namespace
//! (before anything could start a thread), opens the SQLite state once and the image store.

mod artifacts;
mod attach;
mod attach_streams;
mod boot;
mod cleanup;
pub(crate) mod clone;
pub(crate) mod commit;
mod cp;
mod create;
mod devices;
mod exec;
mod exec_session;
mod garbage;
mod health;
mod image_error;
mod images;
mod info;
mod init;
mod inspect;
mod inspect_image;
mod lifecycle;
mod manifests;
pub mod names;
mod namespaces;
mod network_reload;
mod network_update;
mod networks;
mod new_pod;
mod pod_clone;
mod pods;
mod process;
mod pull;
mod pull_retry;
mod requires;
mod resources;
mod restart;
mod run_limits;
pub mod runlabel;
mod seccomp_policy;
mod start;
mod static_addresses;
mod system;
mod top;
mod userns_mode;
mod view;
mod volume_mount;
mod volumes;

use std::path::PathBuf;

pub use crate::spec::CreateOptions;
pub use attach::{AttachClientOptions, AttachEnd};
pub use attach_streams::AttachStreams;
pub use cleanup::CleanupOptions;
pub use clone::CloneOptions;
pub use commit::{Change, CommitError, CommitOptions};
pub use cp::{CopyEnd, CopyError, CopyOptions};
pub use devices::DeviceError;
pub use exec::{ExecError, ExecOptions};
pub use image_error::ImageError;
pub use images::{MountedImage, SaveDest};
pub use info::version_info;
pub use inspect_image::InspectType;
pub use lifecycle::LogsOptions;
pub use networks::NetworkCreateOptions;
pub use pod_clone::PodCloneOptions;
pub use pods::PodCreateOptions;
pub use pull::{PullPolicy, Signing};
pub use pull_retry::PullRetry;
pub use resources::ResourcesError;
pub use start::AttachOptions;
pub use system::{CheckFinding, ContainerUsage, DiskUsage, PruneReport};
pub use top::TopError;
pub use view::StateView;
pub use volumes::VolumeCreateOptions;

use crate::error::Result;
use crate::paths::Paths;
use crate::state::State;

/// Global options every command accepts (`--root`, `--runroot`, `--storage-driver`).
#[derive(Clone, Debug, Default)]
pub struct GlobalOptions {
    pub root: Option<PathBuf>,
    pub runroot: Option<PathBuf>,
    pub storage_driver: Option<String>,
    /// `--cdi-spec-dir`: where CDI specs are read (podman's defaults when empty).
    pub cdi_spec_dirs: Vec<PathBuf>,
    /// `--tmpdir`: where temporary files go (default: under the data root).
    pub tmpdir: Option<PathBuf>,
    /// `--events-backend` (default: containers.conf's `events_logger`, else file).
    pub events_backend: Option<String>,
}

pub struct Runtime {
    pub paths: Paths,
    state: State,
    store: storage::Store,
    rootless: bool,
    /// containers.conf defaults applied at create time.
    conf: crate::config::ContainersConf,
    /// The event log (`burrow events`); opened at the first event.
    events: crate::events::EventLog,
    /// `--cdi-spec-dir`.
    cdi_dirs: Vec<PathBuf>,
}

impl Runtime {
    pub fn open(opts: &GlobalOptions) -> Result<Runtime> {
        // Decided before joining the namespace, where every user reads as uid 0.
        let rootless = crate::rootless::is_rootless();
        let storage_conf = crate::config::storage_conf(rootless)?.storage;
        let paths = Self::paths_with(opts, &storage_conf, rootless);
        let joined = crate::userns::ensure(&paths)?;
        crate::state::create_private_dir(&paths.data)
            .map_err(|e| crate::LibpodError::io(format!("create {}", paths.data.display()), e))?;
        let asked = opts
            .storage_driver
            .clone()
            .or_else(|| {
                std::env::var("STORAGE_DRIVER")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .or(storage_conf.driver);
        let driver = match asked {
            Some(name) => name.parse()?,
            None => choose_driver(&paths, rootless),
        };
        let conf = crate::config::containers_conf(rootless)?;
        if crate::log::enabled(crate::log::Level::Debug) {
            crate::debug!("Rootless: {rootless}; user namespace: {joined:?}");
            crate::debug!("Using graph driver {}", driver.as_str());
            crate::debug!("Using graph root {}", paths.storage().display());
            crate::debug!("Using run root {}", paths.run.display());
            crate::debug!("Using state database {}", paths.db().display());
        }
        let store = storage::Store::open(&paths.storage(), driver, rootless)?;
        let state = State::open(&paths.db())?;
        let backend = opts
            .events_backend
            .as_deref()
            .or(conf.engine.events_logger.as_deref())
            .map(crate::events::Backend::parse)
            .transpose()
            .map_err(crate::LibpodError::InvalidState)?
            .unwrap_or_default();
        // podman's fallback: without a journal, events go to the file.
        let backend = if backend == crate::events::Backend::Journald
            && !crate::journald::available()
        {
            crate::warn!(
                "the journald events backend needs a systemd journal, which this host does not run: using file"
            );
            crate::events::Backend::File
        } else {
            backend
        };
        let events = crate::events::EventLog::new(&paths.run, backend);
        let rt = Runtime {
            paths,
            state,
            store,
            rootless,
            conf,
            events,
            cdi_dirs: opts.cdi_spec_dirs.clone(),
        };
        // A reboot ends the pause process, so rootless the check is due only when this
        // command made a new one (every other command of this boot joined it and skips two
        // file reads). Not fatal: a root this process cannot write still serves reads, and
        // each record is still checked by its pid.
        if joined != crate::userns::Joined::Existing {
            let _ = rt.forget_previous_boot();
        }
        rt.collect_garbage();
        Ok(rt)
    }

    /// Where the state and store live: the global options, else storage.conf, else the
    /// defaults (XDG dirs rootless, /var/lib/burrow and /run/burrow as root).
    pub fn paths_for(opts: &GlobalOptions) -> Result<Paths> {
        let rootless = crate::rootless::is_rootless();
        let storage_conf = crate::config::storage_conf(rootless)?.storage;
        Ok(Self::paths_with(opts, &storage_conf, rootless))
    }

    fn paths_with(
        opts: &GlobalOptions,
        storage_conf: &crate::config::StorageTable,
        rootless: bool,
    ) -> Paths {
        let root = opts.root.as_deref().or(storage_conf.data_root(rootless));
        let runroot = opts.runroot.as_deref().or(storage_conf.runroot.as_deref());
        let mut paths = Paths::resolve(root, runroot);
        paths.tmp = opts.tmpdir.clone();
        paths
    }

    pub fn rootless(&self) -> bool {
        self.rootless
    }

    /// The state database, for the engine's modules outside `runtime` (secrets).
    pub(crate) fn state(&self) -> &State {
        &self.state
    }

    pub fn store(&self) -> &storage::Store {
        &self.store
    }
}

/// The driver recorded at first use, or, the first time: native overlay where the kernel
/// allows it inside the user namespace, else fuse-overlayfs, else the copying vfs driver.
fn choose_driver(paths: &Paths, rootless: bool) -> storage::Driver {
    if let Some(d) = storage::Store::recorded_driver(&paths.storage()) {
        return d;
    }
    let scratch = paths.data.join(format!(".probe-{}", std::process::id()));
    if storage::rootfs::native_overlay_works(&scratch, rootless) {
        storage::Driver::Overlay
    } else if storage::rootfs::fuse_overlay_available() {
        storage::Driver::FuseOverlay
    } else {
        storage::Driver::Vfs
    }
}

impl Runtime {
    /// `mount`: the container's root filesystem, mounted in the user's long-lived mount
    /// namespace (visible inside `burrow unshare`, as with podman).
    pub fn mount(&self, name: &str) -> Result<PathBuf> {
        let c = self.lookup(name)?;
        if !c.config.rootfs.is_empty() && !c.config.rootfs_overlay {
            // `--rootfs` without `:O`: the directory is the root filesystem already.
            return Ok(PathBuf::from(&c.config.rootfs));
        }
        let lowers = if c.config.rootfs.is_empty() {
            let image = self.store.lookup(&c.config.image_id)?;
            self.mapped_lowers(&c, self.store.layer_dirs(&image)?)?
        } else {
            vec![PathBuf::from(&c.config.rootfs)]
        };
        let dir = self.paths.container_dir(&c.id);
        let merged = dir.join("merged");
        std::fs::create_dir_all(&merged)
            .map_err(|e| crate::LibpodError::io(format!("create {}", merged.display()), e))?;
        if !is_mountpoint(&merged) {
            storage::rootfs::mount(
                &self.store,
                &lowers,
                &dir.join("upper"),
                &dir.join("work"),
                &merged,
            )?;
        }
        Ok(merged)
    }

    pub fn unmount(&self, name: &str) -> Result<()> {
        let c = self.lookup(name)?;
        self.unmount_rootfs(&c.id)
    }

    /// The containers `mount` mounted, with their mount points.
    pub fn mounted(&self) -> Result<Vec<(crate::Container, PathBuf)>> {
        Ok(self
            .list()?
            .into_iter()
            .filter_map(|c| {
                let merged = self.paths.container_dir(&c.id).join("merged");
                is_mountpoint(&merged).then_some((c, merged))
            })
            .collect())
    }

    /// Undoes `mount` of container `id`, if it is mounted; removal does it first, as podman's
    /// does (its directory could not go while mounted).
    pub(crate) fn unmount_rootfs(&self, id: &str) -> Result<()> {
        let merged = self.paths.container_dir(id).join("merged");
        if is_mountpoint(&merged) {
            storage::rootfs::unmount(&merged)?;
        }
        Ok(())
    }
}

fn is_mountpoint(p: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(p), p.parent().map(std::fs::metadata)) {
        (Ok(a), Some(Ok(b))) => a.dev() != b.dev(),
        _ => false,
    }
}
