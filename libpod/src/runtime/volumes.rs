//! Volumes: `volume create/ls/inspect/rm/prune/exists/import/export`, and the volumes a
//! container needs at create time (named ones created when missing, anonymous ones for `-v
//! /path` and the image's VOLUME entries). A volume's files are `volumes/NAME/_data` under
//! the data root, created inside the user namespace so the container's root owns them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::container::{Container, Mount};
use crate::error::{LibpodError, Result};
use crate::volume::{self, Volume, VolumeConfig, VolumeError};

use super::{Runtime, names};
use crate::clock::now_nanos;

/// `volume create`'s flags.
#[derive(Clone, Debug, Default)]
pub struct VolumeCreateOptions {
    pub name: Option<String>,
    pub driver: Option<String>,
    pub opts: Vec<String>,
    pub labels: Vec<String>,
    /// `--ignore`: an existing volume of that name is returned instead of an error.
    pub ignore: bool,
}

impl Runtime {
    pub fn volume_create(&self, o: &VolumeCreateOptions) -> Result<Volume> {
        let driver = o.driver.clone().unwrap_or_else(|| "local".to_string());
        if driver != "local" {
            return Err(VolumeError::Driver(driver).into());
        }
        let mut options = BTreeMap::new();
        for opt in &o.opts {
            let (k, v) = volume::parse_volume_opt(opt)?;
            options.insert(k, v);
        }
        if let Some(t) = options.get("type")
            && t != "tmpfs"
            && !options
                .get("o")
                .is_some_and(|o| o.split(',').any(|x| x == "bind"))
        {
            return Err(VolumeError::NeedsRoot(t.clone()).into());
        }
        if options
            .get("o")
            .is_some_and(|o| o.split(',').any(|x| x == "bind"))
        {
            let dev = options.get("device").cloned().unwrap_or_default();
            if !PathBuf::from(&dev).is_absolute() || !PathBuf::from(&dev).is_dir() {
                return Err(VolumeError::BindDevice(dev).into());
            }
        }
        let labels = o
            .labels
            .iter()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        let name = match &o.name {
            Some(n) => {
                names::validate(names::NameKind::Volume, n)?;
                if o.ignore
                    && let Some(v) = self.state.volume(n)?
                {
                    return Ok(v);
                }
                n.clone()
            }
            None => names::new_id()?,
        };
        self.new_volume(
            name,
            VolumeConfig {
                driver,
                labels,
                options,
                anonymous: false,
                needs_copy_up: true,
            },
        )
    }

    /// Creates the volume's directory, then its row; a failed insert removes the directory.
    fn new_volume(&self, name: String, config: VolumeConfig) -> Result<Volume> {
        let dir = self.paths.volume_dir(&name);
        if self.state.volume(&name)?.is_some() {
            return Err(VolumeError::Exists(name).into());
        }
        let data = dir.join("_data");
        std::fs::create_dir_all(&data)
            .map_err(|e| LibpodError::io(format!("create {}", data.display()), e))?;
        let v = Volume {
            name,
            created: now_nanos(),
            config,
        };
        if let Err(e) = self.state.insert_volume(&v) {
            let cleanup = std::fs::remove_dir_all(&dir)
                .map_err(|err| LibpodError::io(format!("remove {}", dir.display()), err));
            return Err(e.with_cleanup(cleanup.err().into_iter().collect()));
        }
        self.volume_event(&v.name, "create");
        Ok(v)
    }

    pub fn volume(&self, name: &str) -> Result<Volume> {
        self.state
            .volume(name)?
            .ok_or_else(|| LibpodError::NoSuchVolume(name.to_string()))
    }

    pub fn volumes(&self) -> Result<Vec<Volume>> {
        self.state.volumes()
    }

    /// The directory a container sees.
    pub fn volume_mountpoint(&self, name: &str) -> PathBuf {
        self.paths.volume_dir(name).join("_data")
    }

    /// Containers whose mounts name the volume, whatever their state.
    pub fn volume_users(&self, name: &str) -> Result<Vec<Container>> {
        Ok(self
            .state
            .list()?
            .into_iter()
            .filter(|c| {
                c.config
                    .mounts
                    .iter()
                    .any(|m| m.kind == "volume" && m.name == name)
            })
            .collect())
    }

    /// podman's `volume inspect` object.
    pub fn volume_json(&self, v: &Volume) -> Result<Value> {
        let created = chrono::DateTime::from_timestamp_nanos(v.created)
            .with_timezone(&chrono::Local)
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, false);
        let mut out = json!({
            "Name": v.name,
            "Driver": v.config.driver,
            "Mountpoint": self.volume_mountpoint(&v.name),
            "CreatedAt": created,
            "Labels": v.config.labels,
            "Scope": "local",
            "Options": v.config.options,
            "MountCount": 0,
            "NeedsCopyUp": v.config.needs_copy_up,
            "NeedsChown": v.config.needs_copy_up,
            "LockNumber": 0,
        });
        if v.config.anonymous {
            out["Anonymous"] = json!(true);
        }
        Ok(out)
    }

    /// `volume rm`: a volume in use is refused unless `force`, which removes the containers
    /// using it first (as podman does).
    pub fn volume_remove(&self, name: &str, force: bool) -> Result<()> {
        let v = self.volume(name)?;
        let users = self.volume_users(&v.name)?;
        if !users.is_empty() {
            if !force {
                return Err(VolumeError::InUse {
                    name: v.name,
                    containers: users.iter().map(|c| c.short_id().to_string()).collect(),
                }
                .into());
            }
            for c in users {
                self.remove(&c.id, true, false)?;
            }
        }
        self.delete_volume(&v)
    }

    /// podman's volume events carry the volume's name only.
    fn volume_event(&self, name: &str, status: &str) {
        self.events
            .write(&crate::events::Event::new("volume", status, "").name(name));
    }

    fn delete_volume(&self, v: &Volume) -> Result<()> {
        self.state.remove_volume(&v.name)?;
        self.volume_event(&v.name, "remove");
        let dir = self.paths.volume_dir(&v.name);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(LibpodError::io(format!("remove {}", dir.display()), e)),
        }
    }

    /// `volume prune`: removes the volumes no container uses that `keep` does not spare;
    /// returns their names.
    pub fn volume_prune(&self, keep: impl Fn(&Volume) -> bool) -> Result<Vec<String>> {
        let used: std::collections::HashSet<String> = self
            .state
            .list()?
            .into_iter()
            .flat_map(|c| c.config.mounts.into_iter())
            .filter(|m| m.kind == "volume")
            .map(|m| m.name)
            .collect();
        let mut removed = Vec::new();
        for v in self.state.volumes()? {
            if used.contains(&v.name) || keep(&v) {
                continue;
            }
            self.delete_volume(&v)?;
            self.volume_event(&v.name, "prune");
            removed.push(v.name);
        }
        Ok(removed)
    }

    /// True when no container mounts the volume (`volume ls --filter dangling=true`).
    pub fn volume_dangling(&self, name: &str) -> Result<bool> {
        Ok(self.volume_users(name)?.is_empty())
    }

    /// `volume export`: the volume's contents as a tar stream.
    pub fn volume_export(&self, name: &str, out: impl std::io::Write) -> Result<()> {
        let v = self.volume(name)?;
        storage::dirtar::tar_dir(&self.volume_mountpoint(&v.name), out)?;
        Ok(())
    }

    /// `volume import`: a tar stream unpacked into the volume (over what is there), with the
    /// store's secure extraction: no entry can land outside the volume.
    pub fn volume_import(&self, name: &str, reader: impl std::io::Read) -> Result<()> {
        let mut v = self.volume(name)?;
        let data = self.volume_mountpoint(&v.name);
        let plain = storage::compression::decompress(reader, "volume tarball")?;
        let opts = storage::layer::ExtractOptions {
            whiteouts: storage::layer::Whiteouts::Delete,
            rootless: self.rootless,
        };
        storage::layer::extract(plain, &data, opts, &format!("volume {name}"), None)?;
        if v.config.needs_copy_up {
            v.config.needs_copy_up = false;
            self.state.update_volume(&v)?;
        }
        Ok(())
    }

    /// At create: gives every volume mount its source, creating a missing named volume and a
    /// new anonymous one for each unnamed. Returns the volumes created, for rollback.
    pub(crate) fn resolve_volume_mounts(&self, mounts: &mut [Mount]) -> Result<Vec<String>> {
        let mut created = Vec::new();
        let res: Result<()> = (|| {
            for m in mounts.iter_mut() {
                match m.kind.as_str() {
                    "volume" => {
                        if m.name.is_empty() {
                            let v = self.new_volume(
                                names::new_id()?,
                                VolumeConfig {
                                    driver: "local".into(),
                                    anonymous: true,
                                    needs_copy_up: true,
                                    ..VolumeConfig::default()
                                },
                            )?;
                            m.name = v.name.clone();
                            created.push(v.name);
                        } else if self.state.volume(&m.name)?.is_none() {
                            let v = self.new_volume(
                                m.name.clone(),
                                VolumeConfig {
                                    driver: "local".into(),
                                    needs_copy_up: true,
                                    ..VolumeConfig::default()
                                },
                            )?;
                            created.push(v.name);
                        }
                        m.source = self.volume_mountpoint(&m.name);
                    }
                    "image" => {
                        let image = self.store.lookup(&m.name)?;
                        m.name = image.id;
                    }
                    _ => {}
                }
            }
            Ok(())
        })();
        match res {
            Ok(()) => Ok(created),
            Err(e) => Err(e.with_cleanup(self.drop_volumes(&created))),
        }
    }

    pub(crate) fn drop_volumes(&self, names: &[String]) -> Vec<LibpodError> {
        let mut errors = Vec::new();
        for n in names {
            match self.state.volume(n) {
                Ok(Some(v)) => errors.extend(self.delete_volume(&v).err()),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        errors
    }

    /// At start: what the executor mounts for each of the container's mounts. A volume
    /// with `type=tmpfs` or `o=bind` options becomes that mount; a volume still waiting for
    /// copy-up gets it now (unless `nocopy`) and is marked done; an image is mounted
    /// read-only in the user's mount namespace and bound from there.
    pub(crate) fn plan_mounts(&self, c: &Container) -> Result<Vec<Mount>> {
        let mut out = Vec::new();
        for (n, m) in c.config.mounts.iter().enumerate() {
            let mut m = m.clone();
            if m.options.iter().any(|o| o == "O") {
                m.overlay = Some(self.fresh_overlay_dirs(c, n)?);
            }
            match m.kind.as_str() {
                "volume" => {
                    let mut v = self.volume(&m.name)?;
                    let opts = &v.config.options;
                    if opts.get("type").map(String::as_str) == Some("tmpfs") {
                        m.kind = "tmpfs".into();
                        m.source = PathBuf::from("tmpfs");
                        if let Some(o) = opts.get("o") {
                            m.options.extend(o.split(',').map(str::to_string));
                        }
                    } else if opts
                        .get("o")
                        .is_some_and(|o| o.split(',').any(|x| x == "bind"))
                    {
                        m.source = PathBuf::from(opts.get("device").cloned().unwrap_or_default());
                    } else if v.config.needs_copy_up {
                        m.copy_up = !m.options.iter().any(|o| o == "nocopy");
                        v.config.needs_copy_up = false;
                        self.state.update_volume(&v)?;
                    }
                }
                "image" => {
                    m.source = self.mount_image(&m.name)?;
                }
                _ => {}
            }
            out.push(m);
        }
        if c.config.init && !c.config.init_path.is_empty() {
            out.push(Mount {
                kind: "bind".into(),
                source: PathBuf::from(&c.config.init_path),
                destination: PathBuf::from(crate::container::INIT_PATH_IN_CONTAINER),
                options: vec!["ro".into()],
                ..Mount::default()
            });
        }
        Ok(out)
    }

    /// Empty upper and work directories for the `n`th mount's `:O` overlay, in the
    /// container's directory (same file system for both, as overlayfs demands): what the
    /// previous run wrote there is gone, as podman discards it when the container stops.
    fn fresh_overlay_dirs(&self, c: &Container, n: usize) -> Result<(PathBuf, PathBuf)> {
        let base = self
            .paths
            .container_dir(&c.id)
            .join("overlay-mounts")
            .join(n.to_string());
        match std::fs::remove_dir_all(&base) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(LibpodError::io(format!("remove {}", base.display()), e)),
        }
        let (upper, work) = (base.join("upper"), base.join("work"));
        for d in [&upper, &work] {
            std::fs::create_dir_all(d)
                .map_err(|e| LibpodError::io(format!("create {}", d.display()), e))?;
        }
        Ok((upper, work))
    }

    /// `rm -v` and `--rm`: the container's anonymous volumes go with it (named ones stay).
    pub(crate) fn remove_anonymous_volumes(&self, c: &Container) {
        for m in &c.config.mounts {
            if m.kind != "volume" {
                continue;
            }
            if let Ok(Some(v)) = self.state.volume(&m.name)
                && v.config.anonymous
                && self
                    .volume_users(&v.name)
                    .map(|u| u.iter().all(|x| x.id == c.id))
                    .unwrap_or(false)
            {
                // Best effort: the container is gone already, and a volume left behind stays
                // listed by `volume ls` for the user to remove.
                let _ = self.delete_volume(&v);
            }
        }
    }
}
