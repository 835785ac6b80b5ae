//! The units of a pod, as podman's pods.go writes them: the pod's own unit starts and stops
//! its infra container and wants every member's unit; each member's unit is bound to it.
//! With `--new` the pod unit creates the pod from its create command (naming it through a
//! pod id file the members' units join by) and removes it when stopped.

use std::time::Duration;

use systemd_units::{
    Command, Dependency, EnvVar, InstallInfo, Restart, Service, ServiceType, UnitInfo,
};

use super::command::{self, PodCreateCommand};
use super::container::{UNIT_ENV, pod_id_file};
use super::{GenerateError, GeneratedUnit, SystemdOptions, header, service_name};
use crate::error::Result;
use crate::pod::Pod;
use crate::runtime::Runtime;

impl Runtime {
    pub(super) fn pod_units(&self, pod: &Pod, o: &SystemdOptions) -> Result<Vec<GeneratedUnit>> {
        let new = if o.new {
            if pod.config.create_command.is_empty() {
                return Err(GenerateError::NoPodCreateCommand(pod.id.clone()).into());
            }
            Some(
                command::parse_pod_create(&pod.config.create_command)
                    .map_err(GenerateError::from)?,
            )
        } else {
            None
        };
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
        if let Some(create) = &new {
            new_commands(&mut s, create, &exe, &pod_service, &t);
        }
        let mut units = vec![GeneratedUnit {
            name: pod_service,
            text: s.render(),
        }];
        units.extend(infos.iter().map(|i| i.render(o)));
        Ok(units)
    }
}

/// `--new`: `pod create --replace` before the start, the pod named by its id file from then
/// on; the infra container's monitor writes the pid file systemd tracks.
fn new_commands(s: &mut Service, create: &PodCreateCommand, exe: &str, service: &str, t: &str) {
    let pid_file = format!("%t/{service}.pid");
    let id_file = pod_id_file(service);
    let root = create.root_flags.iter().cloned();
    s.exec_start_pre.push(
        Command::new(["/bin/rm", "-f"])
            .arg_with_specifiers(pid_file.clone())
            .arg_with_specifiers(id_file.clone()),
    );
    let mut pre = Command::new([exe])
        .args(root.clone())
        .args(["pod", "create", "--infra-conmon-pidfile"])
        .arg_with_specifiers(pid_file.clone())
        .arg("--pod-id-file")
        .arg_with_specifiers(id_file.clone());
    if !create.exit_policy {
        pre = pre.arg("--exit-policy=stop");
    }
    pre = pre.args(create.args.iter().cloned());
    if !create.replace {
        pre = pre.arg("--replace");
    }
    s.exec_start_pre.push(pre);
    let by_file = |c: Command| c.arg("--pod-id-file").arg_with_specifiers(id_file.clone());
    s.exec_start = vec![by_file(
        Command::new([exe])
            .args(root.clone())
            .args(["pod", "start"]),
    )];
    s.exec_stop = vec![
        by_file(
            Command::new([exe])
                .args(root.clone())
                .args(["pod", "stop", "--ignore"]),
        )
        .args(["-t", t]),
    ];
    s.exec_stop_post = vec![by_file(
        Command::new([exe])
            .args(root)
            .args(["pod", "rm", "--ignore", "-f"]),
    )];
    s.pid_file = Some(pid_file);
    s.kind = ServiceType::Forking;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_new_pod_unit_creates_starts_stops_and_removes_the_pod_by_its_id_file() {
        let create = command::parse_pod_create(&v(&[
            "burrow", "--root", "/r", "pod", "create", "--name", "web", "-p", "8080:80",
        ]))
        .unwrap();
        let mut s = Service::default();
        new_commands(&mut s, &create, "/usr/bin/burrow", "pod-web", "10");
        let text = s.render();
        for line in [
            "ExecStartPre=/bin/rm -f %t/pod-web.pid %t/pod-web.pod-id",
            "ExecStartPre=/usr/bin/burrow --root /r pod create --infra-conmon-pidfile %t/pod-web.pid --pod-id-file %t/pod-web.pod-id --exit-policy=stop --name web -p 8080:80 --replace",
            "ExecStart=/usr/bin/burrow --root /r pod start --pod-id-file %t/pod-web.pod-id",
            "ExecStop=/usr/bin/burrow --root /r pod stop --ignore --pod-id-file %t/pod-web.pod-id -t 10",
            "ExecStopPost=/usr/bin/burrow --root /r pod rm --ignore -f --pod-id-file %t/pod-web.pod-id",
            "PIDFile=%t/pod-web.pid",
            "Type=forking",
        ] {
            assert!(
                text.contains(&format!("{line}\n")),
                "{line} missing in\n{text}"
            );
        }
    }
}
