//! The unit of one container, with or without `--new`, as podman's containers.go writes it.

use std::time::Duration;

use systemd_units::{
    Command, Dependency, EnvVar, InstallInfo, NotifyAccess, Restart, Service, ServiceType, UnitInfo,
};

use super::command::{self, RunCommand};
use super::{GenerateError, GeneratedUnit, SystemdOptions, header, service_name};
use crate::container::Container;
use crate::error::Result;
use crate::runtime::Runtime;

/// podman's minimum for `TimeoutStopSec=`: the stop timeout is added to it.
const MIN_TIMEOUT_STOP_SEC: u64 = 60;

/// The environment variable every generated unit sets to its own name (podman's; auto-update
/// finds a container's unit through it).
pub const UNIT_ENV: &str = "PODMAN_SYSTEMD_UNIT";

/// Where a `--new` unit keeps the id of the container it created.
const CIDFILE: &str = "%t/%n.ctr-id";

/// What a container's unit is made of, before rendering.
pub(super) struct ContainerInfo {
    pub service: String,
    pub name_or_id: String,
    pub stop_timeout: u32,
    pub run: Option<RunCommand>,
    /// The container's environment (for `-e NAME` taken from the host at create).
    pub env: Vec<String>,
    /// The units it is bound to (its pod's).
    pub bound_to: Vec<String>,
    /// `PIDFile=` of a unit without `--new`: the monitor's pid file.
    pub pid_file: String,
    pub run_root: String,
    /// `--new` in a pod's units: the pod unit's `--pod-id-file`, which names the pod to join.
    pub pod_id_file: Option<String>,
}

/// Where a pod's `--new` unit keeps the id of the pod it created.
pub(super) fn pod_id_file(pod_service: &str) -> String {
    format!("%t/{pod_service}.pod-id")
}

impl Runtime {
    pub(super) fn container_info(
        &self,
        c: &Container,
        o: &SystemdOptions,
        bound_to: Option<&str>,
    ) -> Result<ContainerInfo> {
        let run = if o.new {
            if c.config.create_command.is_empty() {
                return Err(GenerateError::NoCreateCommand(c.id.clone()).into());
            }
            Some(
                command::parse(&c.config.create_command, &o.value_flags, bound_to.is_some())
                    .map_err(GenerateError::from)?,
            )
        } else {
            if !matches!(c.config.restart.name.as_str(), "" | "no") {
                crate::warn!(
                    "Container {} has restart policy {:?} which can lead to issues on shutdown: consider recreating the container without a restart policy and use systemd's restart mechanism instead",
                    c.id,
                    c.config.restart.name
                );
            }
            None
        };
        let name_or_id = if o.use_name {
            c.name.clone()
        } else {
            c.id.clone()
        };
        Ok(ContainerInfo {
            service: service_name(&o.container_prefix, &o.separator, &name_or_id),
            name_or_id,
            stop_timeout: o.stop_timeout.unwrap_or(c.config.stop_timeout),
            run,
            env: c.config.env.clone(),
            bound_to: bound_to.map(str::to_string).into_iter().collect(),
            pid_file: self.paths.monitor_pid_file(&c.id).display().to_string(),
            run_root: self.paths.run.display().to_string(),
            pod_id_file: bound_to.filter(|_| o.new).map(pod_id_file),
        })
    }
}

impl ContainerInfo {
    pub(super) fn render(&self, o: &SystemdOptions) -> GeneratedUnit {
        let exe = o.executable.display().to_string();
        let mut unit = UnitInfo::new(format!("Burrow {}.service", self.service));
        unit.documentation
            .push("man:burrow-generate-systemd(1)".to_string());
        unit.depend(Dependency::Wants, ["network-online.target"])
            .depend(Dependency::After, ["network-online.target"])
            .depend(Dependency::RequiresMountsFor, [self.run_root.clone()]);
        let bound: Vec<String> = self
            .bound_to
            .iter()
            .map(|b| format!("{b}.service"))
            .collect();
        unit.depend(Dependency::BindsTo, bound.clone())
            .depend(Dependency::After, bound)
            .depend(Dependency::Wants, o.wants.clone())
            .depend(Dependency::After, o.after.clone())
            .depend(Dependency::Requires, o.requires.clone());
        let mut s = Service {
            header: header(&format!("{}.service", self.service), o),
            unit,
            restart: Some(Restart::OnFailure),
            timeout_start: o.start_timeout.map(Duration::from_secs),
            timeout_stop: Some(Duration::from_secs(
                MIN_TIMEOUT_STOP_SEC + u64::from(self.stop_timeout),
            )),
            install: InstallInfo::wanted_by("default.target"),
            ..Service::default()
        };
        s.environment.push(EnvVar {
            key: UNIT_ENV.into(),
            value: "%n".into(),
            specifiers: true,
        });
        let t = self.stop_timeout.to_string();
        match &self.run {
            None => {
                s.exec_start
                    .push(Command::new([exe.as_str(), "start", &self.name_or_id]));
                let stop = Command::new([exe.as_str(), "stop", "-t", &t, &self.name_or_id]);
                s.exec_stop.push(stop.clone());
                s.exec_stop_post.push(stop);
                s.pid_file = Some(self.pid_file.clone());
                s.kind = ServiceType::Forking;
            }
            Some(run) => {
                self.new_commands(&mut s, run, &exe, &t);
                if o.restart_policy.is_none()
                    && let Some(r) = &run.restart
                {
                    // The container's own policy, as systemd spells it.
                    let (name, burst) = match r.split_once(':') {
                        Some((n, b)) => (n, b.parse().ok()),
                        None => (r.as_str(), None),
                    };
                    let name = if name == "unless-stopped" {
                        "always"
                    } else {
                        name
                    };
                    if let Ok(p) = name.parse() {
                        s.restart = Some(p);
                    }
                    s.unit.start_limit_burst = burst;
                }
                for key in &run.env_from_host {
                    if let Some(kv) = self
                        .env
                        .iter()
                        .find(|e| e.split_once('=').is_some_and(|(k, _)| k == key))
                    {
                        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                        s.env(k, v);
                    }
                }
            }
        }
        for e in &o.env {
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            s.env(k, v);
        }
        if let Some(p) = &o.restart_policy
            && let Ok(p) = p.parse()
        {
            s.restart = Some(p);
        }
        if let Some(sec) = o.restart_sec {
            s.restart_sec = Some(Duration::from_secs(sec));
        }
        GeneratedUnit {
            name: self.service.clone(),
            text: s.render(),
        }
    }

    /// `--new`: `run -d --replace` under `Type=notify`, the monitor being the main process;
    /// stopped and removed through the cidfile.
    fn new_commands(&self, s: &mut Service, run: &RunCommand, exe: &str, t: &str) {
        let mut start = Command::new([exe])
            .args(run.root_flags.iter().cloned())
            .arg("run")
            .arg_with_specifiers(format!("--cidfile={CIDFILE}"))
            .arg("--cgroups=no-conmon")
            .arg("--rm");
        if let Some(f) = &self.pod_id_file {
            start = start.arg("--pod-id-file").arg_with_specifiers(f.clone());
        }
        if run.sdnotify.is_none() || run.sdnotify.as_deref() == Some("ignore") {
            start = start.arg("--sdnotify=conmon");
        }
        if !run.detach {
            start = start.arg("-d");
        }
        if run.name && !run.replace {
            start = start.arg("--replace");
        }
        s.exec_start.push(start.args(run.rest.iter().cloned()));
        let root = run.root_flags.iter().cloned();
        s.exec_stop.push(
            Command::new([exe])
                .args(root.clone())
                .args(["stop", "--ignore", "-t", t])
                .arg_with_specifiers(format!("--cidfile={CIDFILE}")),
        );
        s.exec_stop_post.push(
            Command::new([exe])
                .args(root)
                .args(["rm", "-f", "--ignore", "-t", t])
                .arg_with_specifiers(format!("--cidfile={CIDFILE}")),
        );
        s.kind = ServiceType::Notify;
        s.notify_access = Some(NotifyAccess::All);
    }
}
