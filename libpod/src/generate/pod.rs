//! The units of a pod, as podman's pods.go writes them: the pod's own unit starts and stops
//! its infra container and wants every member's unit; each member's unit is bound to it.

use std::time::Duration;

use systemd_units::{
    Command, Dependency, EnvVar, InstallInfo, Restart, Service, ServiceType, UnitInfo,
};

use super::container::UNIT_ENV;
use super::{GenerateError, GeneratedUnit, SystemdOptions, header, service_name};
use crate::error::Result;
use crate::pod::Pod;
use crate::runtime::Runtime;

impl Runtime {
    pub(super) fn pod_units(&self, pod: &Pod, o: &SystemdOptions) -> Result<Vec<GeneratedUnit>> {
        if o.new {
            return Err(GenerateError::NewPod(pod.id.clone()).into());
        }
        if !pod.config.infra {
            return Err(GenerateError::NoInfra(pod.name.clone()).into());
        }
        let members = self.pod_containers(pod)?;
        let infra = members
            .iter()
            .find(|c| c.config.infra)
            .ok_or_else(|| GenerateError::NoInfra(pod.name.clone()))?;
        let others: Vec<_> = members.iter().filter(|c| !c.config.infra).collect();
        if others.is_empty() {
            return Err(GenerateError::EmptyPod(pod.name.clone()).into());
        }
        let (pod_name, infra_name) = if o.use_name {
            (pod.name.clone(), infra.name.clone())
        } else {
            (pod.id.clone(), infra.id.clone())
        };
        let pod_service = service_name(&o.pod_prefix, &o.separator, &pod_name);
        let mut infos = Vec::new();
        for c in others {
            infos.push(self.container_info(c, o, Some(&pod_service))?);
        }
        infos.sort_by(|a, b| a.service.cmp(&b.service));
        let required: Vec<String> = infos
            .iter()
            .map(|i| format!("{}.service", i.service))
            .collect();

        let exe = o.executable.display().to_string();
        let mut unit = UnitInfo::new(format!("Burrow {pod_service}.service"));
        unit.documentation
            .push("man:burrow-generate-systemd(1)".to_string());
        unit.depend(Dependency::Wants, ["network-online.target"])
            .depend(Dependency::After, ["network-online.target"])
            .depend(
                Dependency::RequiresMountsFor,
                [self.paths.run.display().to_string()],
            )
            .depend(Dependency::Wants, required.clone())
            .depend(Dependency::Before, required)
            .depend(Dependency::Wants, o.wants.clone())
            .depend(Dependency::After, o.after.clone())
            .depend(Dependency::Requires, o.requires.clone());
        let stop_timeout = o.stop_timeout.unwrap_or(infra.config.stop_timeout);
        let t = stop_timeout.to_string();
        let stop = Command::new([exe.as_str(), "stop", "-t", &t, &infra_name]);
        let mut s = Service {
            header: header(&format!("{pod_service}.service"), o),
            unit,
            restart: Some(
                o.restart_policy
                    .as_deref()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(Restart::OnFailure),
            ),
            restart_sec: o.restart_sec.map(Duration::from_secs),
            timeout_stop: Some(Duration::from_secs(60 + u64::from(stop_timeout))),
            exec_start: vec![Command::new([exe.as_str(), "start", &infra_name])],
            exec_stop: vec![stop.clone()],
            exec_stop_post: vec![stop],
            pid_file: Some(self.paths.monitor_pid_file(&infra.id).display().to_string()),
            kind: ServiceType::Forking,
            install: InstallInfo::wanted_by("default.target"),
            ..Service::default()
        };
        s.environment.push(EnvVar {
            key: UNIT_ENV.into(),
            value: "%n".into(),
            specifiers: true,
        });
        let mut units = vec![GeneratedUnit {
            name: pod_service,
            text: s.render(),
        }];
        units.extend(infos.iter().map(|i| i.render(o)));
        Ok(units)
    }
}
