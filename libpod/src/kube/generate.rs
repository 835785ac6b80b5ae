//! `kube generate`: containers, pods and volumes described as Kubernetes YAML (a Pod,
//! Deployment, DaemonSet or Job, PersistentVolumeClaims, and with `--service` a NodePort
//! Service), the way podman writes them, so that `kube play` (burrow's or podman's) and
//! kubectl can make them again.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::container::Container as BurrowContainer;
use crate::error::Result;
use crate::runtime::Runtime;

use super::KubeError;
use super::quantity;
use super::types::{
    Capabilities, Container, ContainerPort, DaemonSetSpec, DeploymentSpec, EnvVar, HostPathSource,
    JobSpec, LabelSelector, Object, ObjectMeta, PodSpec, PodTemplate, PvcSource, PvcSpec,
    ResourceRequirements, SecurityContext, ServicePort, ServiceSpec, Volume, VolumeMount,
};

/// `kube generate`'s flags.
#[derive(Clone, Debug, Default)]
pub struct GenerateKubeOptions {
    /// `--service`: add a NodePort Service for the published ports.
    pub service: bool,
    /// `--type`: pod (default), deployment, daemonset or job.
    pub kind: Option<String>,
    /// `--replicas` of a Deployment.
    pub replicas: Option<u32>,
    /// Written into the header comment.
    pub version: String,
}

impl Runtime {
    /// `kube generate NAME...`: the YAML text, header comment included.
    pub fn kube_generate(&self, names: &[String], o: &GenerateKubeOptions) -> Result<String> {
        let kind = o.kind.as_deref().unwrap_or("pod");
        if !matches!(kind, "pod" | "deployment" | "daemonset" | "job") {
            return Err(KubeError::Type(kind.to_string()).into());
        }
        if o.replicas.is_some() && kind != "deployment" {
            return Err(KubeError::Replicas.into());
        }
        let mut pods = Vec::new();
        let mut containers = Vec::new();
        let mut volumes = Vec::new();
        for n in names {
            if let Ok(p) = self.pod(n) {
                pods.push(p);
            } else if let Ok(c) = self.lookup(n) {
                containers.push(c);
            } else if self.volume(n).is_ok() {
                volumes.push(n.clone());
            } else {
                return Err(KubeError::NotFound(n.clone()).into());
            }
        }
        let mut docs: Vec<String> = Vec::new();
        for v in &volumes {
            docs.push(yaml(&pvc(v))?);
        }
        let mut groups: Vec<(String, Vec<BurrowContainer>, Vec<network::PortMapping>)> = Vec::new();
        for p in pods {
            let members: Vec<BurrowContainer> = self
                .pod_containers(&p)?
                .into_iter()
                .filter(|c| !c.config.infra)
                .collect();
            groups.push((p.name.clone(), members, p.config.ports.clone()));
        }
        if let Some(first) = containers.first() {
            // podman: several containers given together become one pod.
            let name = format!("{}-pod", first.name);
            let ports = containers
                .iter()
                .flat_map(|c| c.config.ports.clone())
                .collect();
            groups.push((name, containers, ports));
        }
        for (pod_name, members, ports) in groups {
            let (spec, annotations) = self.pod_spec(&pod_name, &members, &ports)?;
            let (workload, service) = workload(&pod_name, spec, annotations, kind, o)?;
            // podman writes the Service before its workload.
            if o.service {
                docs.push(yaml(&service)?);
            }
            docs.push(workload);
        }
        let mut out = format!(
            "# Save the output of this file and use kubectl create -f to import it into Kubernetes.\n#\n# Created with burrow-{}\n",
            o.version
        );
        for d in docs {
            out.push_str("---\n");
            out.push_str(&d);
        }
        Ok(out)
    }

    fn pod_spec(
        &self,
        pod_name: &str,
        members: &[BurrowContainer],
        ports: &[network::PortMapping],
    ) -> Result<(PodSpec, BTreeMap<String, String>)> {
        let mut spec = PodSpec {
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            ..Default::default()
        };
        let mut spec_annotations = BTreeMap::new();
        for (i, c) in members.iter().enumerate() {
            let image = self.image(&c.config.image_id).ok();
            let ic = match &image {
                Some(img) => self
                    .image_config(img)
                    .ok()
                    .and_then(|c| c.config().clone())
                    .unwrap_or_default(),
                None => Default::default(),
            };
            let mut k = container(c, pod_name, &ic);
            annotate(c, &k.name, &mut spec_annotations);
            // The image's full name, as podman writes it (a short name may resolve elsewhere).
            if let Some(full) = image.as_ref().and_then(|i| i.names.first()) {
                k.image = full.clone();
            }
            // The pod's ports sit on its first container, as podman writes them.
            if i == 0 {
                k.ports = ports.iter().map(port).collect();
            }
            let mounts = volume_mounts(c, &mut spec.volumes);
            k.volume_mounts = mounts;
            spec.containers.push(k);
            if spec.restart_policy.is_none() {
                spec.restart_policy = Some(
                    match c.config.restart.name.as_str() {
                        "always" | "unless-stopped" => "Always",
                        "on-failure" => "OnFailure",
                        _ => "Never",
                    }
                    .to_string(),
                );
            }
        }
        Ok((spec, spec_annotations))
    }
}

/// What podman writes into the pod's annotations for a container: its own annotations, and
/// `autoremove`/`init` per container name.
fn annotate(c: &BurrowContainer, name: &str, out: &mut BTreeMap<String, String>) {
    for (k, v) in &c.config.annotations {
        out.insert(k.clone(), v.clone());
    }
    if c.config.auto_remove {
        out.insert(
            format!("{}/{name}", super::convert::AUTOREMOVE),
            "TRUE".to_string(),
        );
    }
    if c.config.init {
        out.insert(
            format!("{}/{name}", super::convert::INIT),
            "TRUE".to_string(),
        );
    }
}

fn yaml<T: Serialize>(v: &T) -> Result<String> {
    serde_saphyr::to_string(v).map_err(|e| {
        KubeError::Invalid {
            what: "YAML".to_string(),
            value: String::new(),
            reason: e.to_string(),
        }
        .into()
    })
}

/// A Kubernetes object name: lower case letters, digits and dashes.
fn dns_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() { c } else { '-' }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').to_string()
}

fn pvc(name: &str) -> Object<PvcSpec> {
    Object {
        api_version: "v1".to_string(),
        kind: "PersistentVolumeClaim".to_string(),
        metadata: ObjectMeta {
            name: name.to_string(),
            annotations: BTreeMap::from([(
                "volume.podman.io/driver".to_string(),
                "local".to_string(),
            )]),
            ..Default::default()
        },
        spec: PvcSpec {
            access_modes: vec!["ReadWriteOnce".to_string()],
            resources: Some(ResourceRequirements {
                requests: BTreeMap::from([("storage".to_string(), "1Gi".into())]),
                ..Default::default()
            }),
        },
    }
}

/// One container: only what differs from its image is written.
fn container(c: &BurrowContainer, pod_name: &str, ic: &oci_spec::image::Config) -> Container {
    let cfg = &c.config;
    let name = c
        .name
        .strip_prefix(&format!("{pod_name}-"))
        .unwrap_or(&c.name);
    let image_ep = ic.entrypoint().clone().unwrap_or_default();
    let image_cmd = ic.cmd().clone().unwrap_or_default();
    let (command, args) = if cfg.entrypoint != image_ep {
        (cfg.entrypoint.clone(), cfg.cmd.clone())
    } else if cfg.cmd != image_cmd {
        (Vec::new(), cfg.cmd.clone())
    } else {
        (Vec::new(), Vec::new())
    };
    let image_env = ic.env().clone().unwrap_or_default();
    let env = cfg
        .env
        .iter()
        .filter(|e| !image_env.contains(e))
        .filter_map(|e| e.split_once('='))
        .filter(|(k, _)| {
            // PATH stays even when it is the default: without it in the image, podman's
            // runtime would find no command.
            !matches!(*k, "container" | "HOSTNAME" | "HOME" | "TERM")
        })
        .map(|(k, v)| EnvVar {
            name: k.to_string(),
            value: Some(v.into()),
            value_from: None,
        })
        .collect();
    let image_wd = ic.working_dir().clone().unwrap_or_default();
    let working_dir = Some(cfg.workdir.clone())
        .filter(|w| !w.is_empty() && *w != image_wd && !(w == "/" && image_wd.is_empty()));
    let mut sc = SecurityContext::default();
    let strip = |c: &String| c.trim_start_matches("CAP_").to_string();
    if !cfg.cap_add.is_empty() || !cfg.cap_drop.is_empty() {
        sc.capabilities = Some(Capabilities {
            add: cfg.cap_add.iter().map(strip).collect(),
            drop: cfg.cap_drop.iter().map(strip).collect(),
        });
    }
    if cfg.privileged {
        sc.privileged = Some(true);
    }
    if cfg.read_only {
        sc.read_only_root_filesystem = Some(true);
    }
    if cfg.no_new_privileges {
        sc.allow_privilege_escalation = Some(false);
    }
    let image_user = ic.user().clone().unwrap_or_default();
    if !cfg.user.is_empty() && cfg.user != image_user {
        let (u, g) = match cfg.user.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (cfg.user.as_str(), None),
        };
        sc.run_as_user = u.parse().ok();
        sc.run_as_group = g.and_then(|g| g.parse().ok());
    }
    let has_sc = sc.capabilities.is_some()
        || sc.privileged.is_some()
        || sc.read_only_root_filesystem.is_some()
        || sc.allow_privilege_escalation.is_some()
        || sc.run_as_user.is_some();
    let mut limits = BTreeMap::new();
    if cfg.resources.memory > 0 {
        limits.insert(
            "memory".to_string(),
            quantity::format_bytes(cfg.resources.memory).into(),
        );
    }
    if cfg.resources.nano_cpus > 0 {
        limits.insert(
            "cpu".to_string(),
            quantity::format_cpus(cfg.resources.nano_cpus).into(),
        );
    }
    let image = if cfg.raw_image_name.is_empty() {
        cfg.image_name.clone()
    } else {
        cfg.raw_image_name.clone()
    };
    Container {
        name: dns_name(name),
        image,
        command,
        args,
        env,
        working_dir,
        security_context: has_sc.then_some(sc),
        resources: (!limits.is_empty()).then(|| ResourceRequirements {
            limits,
            ..Default::default()
        }),
        tty: cfg.tty,
        stdin: cfg.interactive,
        ..Default::default()
    }
}

fn port(p: &network::PortMapping) -> ContainerPort {
    ContainerPort {
        container_port: p.container_port,
        host_port: Some(p.host_port).filter(|h| *h != 0),
        host_ip: p.host_ip.map(|i| i.to_string()),
        protocol: match p.protocol {
            network::Protocol::Tcp => None,
            network::Protocol::Udp => Some("UDP".to_string()),
        },
        name: None,
    }
}

/// Named volumes become persistentVolumeClaims, bind mounts hostPaths; the pod's volume
/// list gains each once.
fn volume_mounts(c: &BurrowContainer, volumes: &mut Vec<Volume>) -> Vec<VolumeMount> {
    let mut out = Vec::new();
    for m in &c.config.mounts {
        let vol = match m.kind.as_str() {
            "volume" if !m.name.is_empty() => Volume {
                name: dns_name(&format!("{}-pvc", m.name)),
                persistent_volume_claim: Some(PvcSource {
                    claim_name: m.name.clone(),
                    read_only: false,
                }),
                ..Default::default()
            },
            "bind" => {
                let kind = if m.source.is_dir() {
                    "Directory"
                } else {
                    "File"
                };
                Volume {
                    name: format!(
                        "{}-host-{}",
                        dns_name(&m.source.to_string_lossy()),
                        out.len()
                    ),
                    host_path: Some(HostPathSource {
                        path: m.source.to_string_lossy().into_owned(),
                        kind: Some(kind.to_string()),
                    }),
                    ..Default::default()
                }
            }
            _ => continue,
        };
        out.push(VolumeMount {
            name: vol.name.clone(),
            mount_path: m.destination.to_string_lossy().into_owned(),
            read_only: m.read_only(),
            sub_path: None,
        });
        if !volumes.iter().any(|v| v.name == vol.name) {
            volumes.push(vol);
        }
    }
    out
}

/// The workload document of `--type`, and the Service that `--service` adds.
fn workload(
    pod_name: &str,
    mut spec: PodSpec,
    annotations: BTreeMap<String, String>,
    kind: &str,
    o: &GenerateKubeOptions,
) -> Result<(String, Object<ServiceSpec>)> {
    let labels = BTreeMap::from([("app".to_string(), dns_name(pod_name))]);
    let created = Some(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let service = Object {
        api_version: "v1".to_string(),
        kind: "Service".to_string(),
        metadata: ObjectMeta {
            name: dns_name(pod_name),
            labels: labels.clone(),
            creation_timestamp: created.clone(),
            ..Default::default()
        },
        spec: ServiceSpec {
            selector: labels.clone(),
            ports: spec
                .containers
                .iter()
                .flat_map(|c| &c.ports)
                .map(|p| ServicePort {
                    name: Some(p.container_port.to_string()),
                    port: p.container_port,
                    target_port: Some(p.container_port.into()),
                    node_port: Some(node_port()),
                    protocol: p.protocol.clone(),
                })
                .collect(),
            kind: Some("NodePort".to_string()),
        },
    };
    let meta = |suffix: &str| ObjectMeta {
        name: format!("{}{suffix}", dns_name(pod_name)),
        labels: labels.clone(),
        creation_timestamp: created.clone(),
        ..Default::default()
    };
    // The pod's own metadata (a template's for controllers) carries the annotations.
    let pod_meta = |name: String| ObjectMeta {
        name,
        labels: labels.clone(),
        annotations: annotations.clone(),
        creation_timestamp: created.clone(),
    };
    let selector = LabelSelector {
        match_labels: labels.clone(),
    };
    let text = match kind {
        "deployment" | "daemonset" => {
            spec.restart_policy = Some("Always".to_string());
            let template = PodTemplate {
                metadata: pod_meta(dns_name(pod_name)),
                spec,
            };
            if kind == "deployment" {
                yaml(&Object {
                    api_version: "apps/v1".to_string(),
                    kind: "Deployment".to_string(),
                    metadata: meta("-deployment"),
                    spec: DeploymentSpec {
                        replicas: Some(o.replicas.unwrap_or(1)),
                        selector,
                        template,
                    },
                })?
            } else {
                yaml(&Object {
                    api_version: "apps/v1".to_string(),
                    kind: "DaemonSet".to_string(),
                    metadata: meta("-daemonset"),
                    spec: DaemonSetSpec { selector, template },
                })?
            }
        }
        "job" => {
            if spec.restart_policy.as_deref() != Some("OnFailure") {
                spec.restart_policy = Some("Never".to_string());
            }
            yaml(&Object {
                api_version: "batch/v1".to_string(),
                kind: "Job".to_string(),
                metadata: meta("-job"),
                spec: JobSpec {
                    template: PodTemplate {
                        metadata: pod_meta(dns_name(pod_name)),
                        spec,
                    },
                },
            })?
        }
        _ => yaml(&Object {
            api_version: "v1".to_string(),
            kind: "Pod".to_string(),
            metadata: pod_meta(pod_name.to_string()),
            spec,
        })?,
    };
    Ok((text, service))
}

/// podman picks a random port of Kubernetes' NodePort range.
fn node_port() -> u16 {
    let mut b = [0u8; 2];
    if getrandom_fill(&mut b).is_err() {
        return 30000;
    }
    30000 + (u16::from_le_bytes(b) % 2768)
}

fn getrandom_fill(b: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(dns_name("/home/u/My_Data"), "home-u-my-data");
        assert_eq!(dns_name("web"), "web");
    }

    #[test]
    fn deployment_document_reads_back() {
        let spec = PodSpec {
            containers: vec![Container {
                name: "c".into(),
                image: "busybox".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let o = GenerateKubeOptions {
            replicas: Some(2),
            ..Default::default()
        };
        let (text, _) = workload("web", spec, BTreeMap::new(), "deployment", &o).unwrap();
        let docs = super::super::parse_documents(&text, "g.yaml").unwrap();
        let w = docs[0].workload().unwrap();
        assert_eq!(w.pod_name, "web-deployment-pod");
        assert_eq!(w.spec.containers[0].image, "busybox");
    }
}
