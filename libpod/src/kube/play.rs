//! `kube play`: the objects of YAML files made into secrets, volumes, pods and containers, then
//! started. A failure removes everything this play made, so nothing half-made stays behind.

use std::path::{Path, PathBuf};

use crate::error::{LibpodError, Result};
use crate::registry::RegistryFlags;
use crate::runtime::PodCreateOptions;
use crate::runtime::Runtime;
use crate::runtime::VolumeCreateOptions;
use crate::secrets::SecretCreateOptions;
use crate::spec::ContainerSpec;
use storage::registry::Reporter;

use super::convert::{self, Prepare, Sources};
use super::document::{self, Document, Workload};
use super::ports;
use super::{KubeError, types};

/// One YAML file: its text and the directory `--build` and relative host paths start from.
#[derive(Clone, Debug)]
pub struct PlayInput {
    pub path: String,
    pub text: String,
    pub dir: PathBuf,
}

/// `kube play`'s flags.
#[derive(Clone, Debug, Default)]
pub struct PlayOptions {
    pub inputs: Vec<PlayInput>,
    pub replace: bool,
    /// `--start` (default true).
    pub start: bool,
    /// `--publish`: added to (and for the same container port, over) the YAML's ports.
    pub publish: Vec<String>,
    pub network: Option<String>,
    /// `--configmap` files, read already.
    pub config_maps: Vec<PlayInput>,
    /// `--build`: `Some(true)` always builds, `Some(false)` never, `None` when missing.
    pub build: Option<bool>,
    /// `--service-container`: under a `Type=notify` unit, tell systemd the pod is ready and
    /// which process to follow (the infra container's monitor).
    pub service_container: bool,
    /// `--annotation KEY=VALUE` for every container.
    pub annotations: Vec<String>,
    /// `--label KEY=VALUE` for every pod and container.
    pub labels: Vec<String>,
    /// `--no-pod-prefix`: containers are named as in the YAML, without `<pod>-`.
    pub no_pod_prefix: bool,
    /// `--publish-all`: every containerPort is published (on its own number when it has no
    /// hostPort), not only those with a hostPort.
    pub publish_all: bool,
    /// `--context-dir`: where the build directories are, instead of the YAML's directory.
    pub context_dir: Option<PathBuf>,
    pub registry: RegistryFlags,
}

/// A pod `kube play` made.
#[derive(Clone, Debug, Default)]
pub struct PlayedPod {
    pub id: String,
    pub name: String,
    pub containers: Vec<String>,
    pub init_containers: Vec<String>,
}

/// What `kube play` made, in podman's report order.
#[derive(Clone, Debug, Default)]
pub struct PlayReport {
    pub volumes: Vec<String>,
    pub secrets: Vec<String>,
    pub pods: Vec<PlayedPod>,
}

/// What a failed play must undo.
#[derive(Default)]
struct Made {
    pods: Vec<String>,
    volumes: Vec<String>,
    secrets: Vec<String>,
}

impl Runtime {
    /// `kube play`: see the module's docs.
    pub fn kube_play(&self, o: &PlayOptions, report: &dyn Reporter) -> Result<PlayReport> {
        let mut docs = Vec::new();
        for input in &o.inputs {
            for d in document::parse_documents(&input.text, &input.path)? {
                docs.push((d, input.dir.clone()));
            }
        }
        let mut sources = Sources::default();
        for input in &o.config_maps {
            for d in document::parse_documents(&input.text, &input.path)? {
                match d {
                    Document::ConfigMap(cm) => {
                        let data = document::data_entries(&cm, false)?;
                        sources.config_maps.insert(cm.metadata.name.clone(), data);
                    }
                    other => {
                        return Err(KubeError::Invalid {
                            what: "--configmap file".to_string(),
                            value: input.path.clone(),
                            reason: format!("holds a {}, not a ConfigMap", kind_of(&other)),
                        }
                        .into());
                    }
                }
            }
        }
        for (d, _) in &docs {
            match d {
                Document::ConfigMap(cm) => {
                    let data = document::data_entries(cm, false)?;
                    sources.config_maps.insert(cm.metadata.name.clone(), data);
                }
                Document::Secret(s) => {
                    let data = document::data_entries(s, true)?;
                    sources.secrets.insert(s.metadata.name.clone(), data);
                }
                _ => {}
            }
        }
        self.existing_secrets(&docs, &mut sources);
        let mut made = Made::default();
        match self.play_all(o, &docs, &sources, &mut made, report) {
            Ok(r) => Ok(r),
            Err(e) => Err(e.with_cleanup(self.undo(&made))),
        }
    }

    /// Secrets the containers name that the YAML does not define: burrow secrets holding a
    /// Secret object (what `kube play` of a Secret stores, as podman does).
    fn existing_secrets(&self, docs: &[(Document, PathBuf)], sources: &mut Sources) {
        let mut wanted = Vec::new();
        for (d, _) in docs {
            let Some(w) = d.workload() else { continue };
            for c in w.spec.init_containers.iter().chain(&w.spec.containers) {
                for e in &c.env {
                    if let Some(r) = e
                        .value_from
                        .as_ref()
                        .and_then(|f| f.secret_key_ref.as_ref())
                    {
                        wanted.push(r.name.clone());
                    }
                }
                for f in &c.env_from {
                    if let Some(r) = &f.secret_ref {
                        wanted.push(r.name.clone());
                    }
                }
            }
            for v in &w.spec.volumes {
                if let Some(s) = &v.secret {
                    wanted.push(s.secret_name.clone());
                }
            }
        }
        for name in wanted {
            if sources.secrets.contains_key(&name) {
                continue;
            }
            let Ok(secret) = self.secret(&name) else {
                continue;
            };
            let Ok(data) = self.secret_data(&secret) else {
                continue;
            };
            let text = String::from_utf8_lossy(&data);
            let parsed = serde_saphyr::from_str::<types::DataObject>(&text)
                .ok()
                .filter(|o| o.kind == "Secret")
                .and_then(|o| document::data_entries(&o, true).ok());
            if let Some(entries) = parsed {
                sources.secrets.insert(name, entries);
            }
        }
    }

    fn play_all(
        &self,
        o: &PlayOptions,
        docs: &[(Document, PathBuf)],
        sources: &Sources,
        made: &mut Made,
        report: &dyn Reporter,
    ) -> Result<PlayReport> {
        let mut out = PlayReport::default();
        for (d, _) in docs {
            match d {
                Document::Secret(s) => {
                    let data = serde_json::to_vec(s).map_err(|e| {
                        LibpodError::InvalidState(format!("secret {}: {e}", s.metadata.name))
                    })?;
                    let existed = self.secret(&s.metadata.name).is_ok();
                    let created = self.secret_create(
                        &SecretCreateOptions {
                            name: s.metadata.name.clone(),
                            driver: "file".to_string(),
                            labels: Vec::new(),
                            replace: true,
                        },
                        &data,
                    )?;
                    if !existed {
                        made.secrets.push(created.name.clone());
                    }
                    out.secrets.push(created.id);
                }
                Document::PersistentVolumeClaim(p) => {
                    self.ensure_volume(&p.metadata.name, made)?;
                    out.volumes.push(p.metadata.name.clone());
                }
                _ => {}
            }
        }
        let services: Vec<&types::Service> = docs
            .iter()
            .filter_map(|(d, _)| match d {
                Document::Service(s) => Some(s),
                _ => None,
            })
            .collect();
        let mut pods = Vec::new();
        for (d, dir) in docs {
            let Some(w) = d.workload() else { continue };
            let pod = self.play_pod(o, &w, dir, sources, &services, made, report)?;
            pods.push(pod);
        }
        if o.start {
            for p in &pods {
                self.start_played(p)?;
            }
            if o.service_container {
                self.notify_ready(&pods);
            }
        }
        out.pods = pods;
        Ok(out)
    }

    /// Creates the named volume if missing (an existing one is reused: its data survives
    /// `kube down` and a new play).
    fn ensure_volume(&self, name: &str, made: &mut Made) -> Result<()> {
        if self.volume(name).is_ok() {
            return Ok(());
        }
        self.volume_create(&VolumeCreateOptions {
            name: Some(name.to_string()),
            ignore: true,
            ..Default::default()
        })?;
        made.volumes.push(name.to_string());
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn play_pod(
        &self,
        o: &PlayOptions,
        w: &Workload,
        dir: &Path,
        sources: &Sources,
        services: &[&types::Service],
        made: &mut Made,
        report: &dyn Reporter,
    ) -> Result<PlayedPod> {
        if w.spec.containers.is_empty() {
            return Err(KubeError::NoContainers {
                what: w.kind.to_string(),
                name: w.pod_name.clone(),
            }
            .into());
        }
        let restart = convert::restart(
            w.spec
                .restart_policy
                .as_deref()
                .unwrap_or(w.default_restart),
        )?;
        // Everything that can be checked without the state is checked before the pod exists.
        let mut specs = Vec::new();
        for (init, c) in w
            .spec
            .init_containers
            .iter()
            .map(|c| (true, c))
            .chain(w.spec.containers.iter().map(|c| (false, c)))
        {
            if c.image.is_empty() {
                return Err(KubeError::NoImage {
                    pod: w.pod_name.clone(),
                    container: c.name.clone(),
                }
                .into());
            }
            let mut spec = ContainerSpec {
                name: Some(if o.no_pod_prefix {
                    c.name.clone()
                } else {
                    format!("{}-{}", w.pod_name, c.name)
                }),
                ..Default::default()
            };
            convert::process(c, &mut spec);
            spec.process.env = convert::env(c, sources)?;
            convert::settings(c, &mut spec)?;
            let (mounts, prepare) = convert::mounts(c, &w.spec.volumes, sources, dir)?;
            spec.storage.mounts = mounts;
            spec.restart = if init {
                Default::default()
            } else {
                restart.clone()
            };
            spec.annotations = w.annotations.clone();
            for a in &o.annotations {
                if let Some((k, v)) = a.split_once('=') {
                    spec.annotations.insert(k.to_string(), v.to_string());
                }
            }
            convert::podman_annotations(&c.name, &mut spec);
            for l in &o.labels {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                spec.labels.insert(k.to_string(), v.to_string());
            }
            // Under a generated unit podman labels the containers with it (auto-update's key).
            if let Ok(unit) = std::env::var("PODMAN_SYSTEMD_UNIT") {
                spec.labels.insert("PODMAN_SYSTEMD_UNIT".to_string(), unit);
            }
            spec.lifecycle.replace = o.replace;
            if o.service_container {
                spec.lifecycle.sdnotify = crate::sdnotify::SdNotifyMode::Ignore;
            }
            specs.push((init, c, spec, prepare));
        }
        let publish = ports::merge_publish(ports::of(w, services, o.publish_all), &o.publish);
        let mut labels: Vec<String> = w.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        labels.extend(o.labels.iter().cloned());
        let pod = self.pod_create(&PodCreateOptions {
            name: Some(w.pod_name.clone()),
            publish,
            hostname: w.spec.hostname.clone(),
            labels,
            infra: true,
            network: if w.spec.host_network {
                Some("host".to_string())
            } else {
                o.network.clone()
            },
            replace: o.replace,
            ..Default::default()
        })?;
        made.pods.push(pod.id.clone());
        let mut played = PlayedPod {
            id: pod.id.clone(),
            name: pod.name.clone(),
            ..Default::default()
        };
        for (init, c, mut spec, prepare) in specs {
            for p in prepare {
                self.prepare(p, made)?;
            }
            spec.image = self.kube_image(c, dir, o, report)?;
            spec.pod = Some(pod.id.clone());
            let ctr = self.create(&spec)?;
            if init {
                played.init_containers.push(ctr.id);
            } else {
                played.containers.push(ctr.id);
            }
        }
        Ok(played)
    }

    fn prepare(&self, p: Prepare, made: &mut Made) -> Result<()> {
        match p {
            Prepare::Volume(name) => {
                self.ensure_volume(&name, made)?;
            }
            Prepare::Filled(name, files) => {
                self.ensure_volume(&name, made)?;
                let dir = self.volume_mountpoint(&name);
                for (file, data) in files {
                    let path = dir.join(&file);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| LibpodError::io(parent.display().to_string(), e))?;
                    }
                    std::fs::write(&path, data)
                        .map_err(|e| LibpodError::io(path.display().to_string(), e))?;
                }
            }
            Prepare::HostDir(d) => {
                std::fs::create_dir_all(&d)
                    .map_err(|e| LibpodError::io(d.display().to_string(), e))?;
            }
            Prepare::HostFile(f) => {
                if !f.exists() {
                    std::fs::write(&f, b"")
                        .map_err(|e| LibpodError::io(f.display().to_string(), e))?;
                }
            }
        }
        Ok(())
    }

    /// Init containers run to completion, one after the other (and go, as podman's `once`
    /// init containers do); then the pod starts.
    fn start_played(&self, p: &PlayedPod) -> Result<()> {
        for id in &p.init_containers {
            let c = self.lookup(id)?;
            self.start_detached(&c)?;
            let code = self.wait(id)?;
            if code != 0 {
                return Err(LibpodError::InvalidState(format!(
                    "init container {} of pod {} exited with {code}",
                    c.name, p.name
                )));
            }
            self.remove(id, true, false)?;
        }
        self.pod_start(&p.id)?;
        Ok(())
    }

    /// `--service-container` under a `Type=notify` unit: the first pod's infra monitor is the
    /// unit's main process from now on (it lives as long as the pod).
    fn notify_ready(&self, pods: &[PlayedPod]) {
        let Some(socket) = crate::sdnotify::socket_from_env() else {
            return;
        };
        let mut message = String::from("READY=1");
        if let Some(p) = pods.first()
            && let Ok(pod) = self.pod(&p.id)
        {
            let pidfile = self.paths.monitor_pid_file(&pod.config.infra_id);
            if let Ok(pid) = std::fs::read_to_string(&pidfile)
                && let Ok(pid) = pid.trim().parse::<u32>()
            {
                message = format!("MAINPID={pid}\nREADY=1");
            }
        }
        let _ = crate::sdnotify::notify(&socket, &message);
    }

    /// `--wait`: until every container of the pods is gone for good (exited, and its monitor
    /// gone too, so no restart is pending) or `cancelled()` says to stop waiting.
    pub fn kube_wait(&self, report: &PlayReport, cancelled: &dyn Fn() -> bool) -> Result<()> {
        use crate::container::Status;
        loop {
            if cancelled() {
                return Ok(());
            }
            let busy = report.pods.iter().flat_map(|p| &p.containers).any(|id| {
                let Ok(c) = self.lookup(id) else {
                    return false;
                };
                let pid = c.state.monitor_pid;
                let monitor = pid > 0
                    && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
                matches!(c.status(), Status::Running | Status::Paused)
                    || (c.status() == Status::Exited && monitor)
            });
            if !busy {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    fn undo(&self, made: &Made) -> Vec<LibpodError> {
        let mut errors = Vec::new();
        for p in made.pods.iter().rev() {
            if let Err(e) = self.pod_remove(p, true) {
                errors.push(e);
            }
        }
        for v in &made.volumes {
            if let Err(e) = self.volume_remove(v, true) {
                errors.push(e);
            }
        }
        for s in &made.secrets {
            if let Err(e) = self.secret_remove(s) {
                errors.push(e);
            }
        }
        errors
    }
}

fn kind_of(d: &Document) -> &'static str {
    match d {
        Document::Pod(_) => "Pod",
        Document::Deployment(_) => "Deployment",
        Document::DaemonSet(_) => "DaemonSet",
        Document::Job(_) => "Job",
        Document::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
        Document::ConfigMap(_) => "ConfigMap",
        Document::Secret(_) => "Secret",
        Document::Service(_) => "Service",
    }
}
