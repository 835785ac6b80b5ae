//! One container of a pod spec as a [`ContainerSpec`]: Kubernetes' command/args rules, env
//! from values, ConfigMaps and Secrets, volume mounts, ports, security context, resources and
//! restart policy. Pure: everything it needs from the state is handed in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::container::{Mount, RestartPolicy};
use crate::error::Result;
use crate::spec::{ContainerSpec, parse};

use super::KubeError;
use super::quantity;
use super::types::{self, Container, Volume};

/// What a container's env and volumes may refer to.
#[derive(Debug, Default)]
pub struct Sources {
    /// ConfigMaps by name: from the YAML and `--configmap` files.
    pub config_maps: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    /// Secrets by name: from the YAML and burrow secrets holding a Secret object.
    pub secrets: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
}

/// What a mount of a pod volume needs made before the container is created.
#[derive(Debug, PartialEq, Eq)]
pub enum Prepare {
    /// A named volume that must exist (a PVC's claim).
    Volume(String),
    /// A named volume filled with a ConfigMap's or Secret's entries (file name -> data).
    Filled(String, BTreeMap<String, Vec<u8>>),
    /// A host directory or file to create (`DirectoryOrCreate`, `FileOrCreate`).
    HostDir(PathBuf),
    HostFile(PathBuf),
}

/// Kubernetes' rule: `command` replaces the image's ENTRYPOINT (and drops its CMD), `args`
/// replaces its CMD.
pub fn process(c: &Container, spec: &mut ContainerSpec) {
    if !c.command.is_empty() {
        spec.process.entrypoint = Some(c.command.clone());
    }
    spec.process.command = c.args.clone();
}

fn lookup<'a>(
    map: &'a BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    what: &str,
    name: &str,
) -> std::result::Result<&'a BTreeMap<String, Vec<u8>>, KubeError> {
    map.get(name).ok_or_else(|| {
        if what == "secret" {
            KubeError::MissingSecret(name.to_string())
        } else {
            KubeError::MissingConfigMap {
                what: what.to_string(),
                name: name.to_string(),
            }
        }
    })
}

/// `env` and `envFrom`, in Kubernetes' order (envFrom first, env over it).
pub fn env(c: &Container, src: &Sources) -> std::result::Result<Vec<String>, KubeError> {
    let mut out = Vec::new();
    for from in &c.env_from {
        let prefix = from.prefix.clone().unwrap_or_default();
        let (map, what, r) = match (&from.config_map_ref, &from.secret_ref) {
            (Some(r), _) => (&src.config_maps, "configmap", r),
            (None, Some(r)) => (&src.secrets, "secret", r),
            (None, None) => continue,
        };
        match lookup(map, what, &r.name) {
            Ok(entries) => {
                for (k, v) in entries {
                    let entry = format!("{prefix}{k}={}", String::from_utf8_lossy(v));
                    parse::merge_env(&mut out, &entry);
                }
            }
            Err(_) if r.optional => {}
            Err(e) => return Err(e),
        }
    }
    for e in &c.env {
        let value = match (&e.value, &e.value_from) {
            (Some(v), _) => types::scalar(v),
            (None, Some(from)) => {
                let (map, what, r) = match (&from.config_map_key_ref, &from.secret_key_ref) {
                    (Some(r), _) => (&src.config_maps, "configmap", r),
                    (None, Some(r)) => (&src.secrets, "secret", r),
                    (None, None) => continue,
                };
                let found = lookup(map, what, &r.name).and_then(|m| {
                    m.get(&r.key).ok_or_else(|| KubeError::MissingKey {
                        what: what.to_string(),
                        name: r.name.clone(),
                        key: r.key.clone(),
                    })
                });
                match found {
                    Ok(v) => String::from_utf8_lossy(v).into_owned(),
                    Err(_) if r.optional => continue,
                    Err(e) => return Err(e),
                }
            }
            (None, None) => String::new(),
        };
        parse::merge_env(&mut out, &format!("{}={value}", e.name));
    }
    Ok(out)
}

/// The container's mounts, and what must exist for them.
pub fn mounts(
    c: &Container,
    volumes: &[Volume],
    src: &Sources,
    yaml_dir: &Path,
) -> Result<(Vec<Mount>, Vec<Prepare>)> {
    let mut mounts = Vec::new();
    let mut prepare = Vec::new();
    for vm in &c.volume_mounts {
        let vol = volumes.iter().find(|v| v.name == vm.name).ok_or_else(|| {
            KubeError::UndefinedVolume {
                container: c.name.clone(),
                volume: vm.name.clone(),
            }
        })?;
        let ro = if vm.read_only { ":ro" } else { "" };
        let dest = &vm.mount_path;
        let flag = if let Some(hp) = &vol.host_path {
            let mut path = PathBuf::from(&hp.path);
            if path.is_relative() {
                path = yaml_dir.join(path);
            }
            if let Some(sub) = &vm.sub_path {
                path = path.join(sub);
            }
            match hp.kind.as_deref() {
                Some("DirectoryOrCreate") => prepare.push(Prepare::HostDir(path.clone())),
                Some("FileOrCreate") => prepare.push(Prepare::HostFile(path.clone())),
                _ => {}
            }
            format!("{}:{dest}{ro}", path.display())
        } else if let Some(pvc) = &vol.persistent_volume_claim {
            prepare.push(Prepare::Volume(pvc.claim_name.clone()));
            let ro = if vm.read_only || pvc.read_only {
                ":ro"
            } else {
                ""
            };
            format!("{}:{dest}{ro}", pvc.claim_name)
        } else if let Some(cm) = &vol.config_map {
            let entries = match lookup(&src.config_maps, "configmap", &cm.name) {
                Ok(e) => e,
                Err(_) if cm.optional => continue,
                Err(e) => return Err(e.into()),
            };
            prepare.push(Prepare::Filled(cm.name.clone(), select(entries, &cm.items)));
            format!("{}:{dest}:ro", cm.name)
        } else if let Some(s) = &vol.secret {
            let entries = match lookup(&src.secrets, "secret", &s.secret_name) {
                Ok(e) => e,
                Err(_) if s.optional => continue,
                Err(e) => return Err(e.into()),
            };
            prepare.push(Prepare::Filled(
                s.secret_name.clone(),
                select(entries, &s.items),
            ));
            format!("{}:{dest}:ro", s.secret_name)
        } else if vol.empty_dir.is_some() {
            // podman: an emptyDir is an anonymous volume.
            dest.clone()
        } else {
            return Err(KubeError::VolumeSource(vol.name.clone()).into());
        };
        mounts.push(crate::volume::parse_volume_flag(&flag)?);
    }
    Ok((mounts, prepare))
}

/// `items` picks and renames entries; without it every key is a file of its own name.
fn select(
    entries: &BTreeMap<String, Vec<u8>>,
    items: &[types::KeyToPath],
) -> BTreeMap<String, Vec<u8>> {
    if items.is_empty() {
        return entries.clone();
    }
    items
        .iter()
        .filter_map(|i| entries.get(&i.key).map(|v| (i.path.clone(), v.clone())))
        .collect()
}

/// `securityContext`, `workingDir`, `resources.limits`, `tty`/`stdin`.
pub fn settings(c: &Container, spec: &mut ContainerSpec) -> std::result::Result<(), KubeError> {
    spec.process.workdir = c.working_dir.clone().filter(|w| !w.is_empty());
    spec.process.tty = c.tty;
    spec.process.interactive = c.stdin;
    if let Some(sc) = &c.security_context {
        spec.process.user = match (sc.run_as_user, sc.run_as_group) {
            (Some(u), Some(g)) => Some(format!("{u}:{g}")),
            (Some(u), None) => Some(u.to_string()),
            (None, Some(g)) => Some(format!("0:{g}")),
            (None, None) => None,
        };
        spec.security.privileged = sc.privileged.unwrap_or(false);
        spec.storage.read_only = sc.read_only_root_filesystem.unwrap_or(false);
        spec.security.no_new_privileges = sc.allow_privilege_escalation == Some(false);
        if let Some(caps) = &sc.capabilities {
            spec.security.cap_add = caps.add.iter().map(|c| cap_name(c)).collect();
            spec.security.cap_drop = caps.drop.iter().map(|c| cap_name(c)).collect();
        }
    }
    if let Some(r) = &c.resources {
        if let Some(m) = r.limits.get("memory") {
            spec.resources.limits.memory = quantity::bytes("memory", &types::scalar(m))?;
        }
        if let Some(cpu) = r.limits.get("cpu") {
            spec.resources.limits.nano_cpus = quantity::nano_cpus(&types::scalar(cpu))?;
        }
        if let Some(m) = r.requests.get("memory") {
            spec.resources.limits.memory_reservation =
                quantity::bytes("memory request", &types::scalar(m))?;
        }
    }
    Ok(())
}

/// The annotations podman reads back from its own YAML: `io.podman.annotations.autoremove/CTR`
/// and `init/CTR` (TRUE), and `io.containers.autoupdate[/CTR]`, which becomes the label
/// auto-update looks for.
pub fn podman_annotations(container: &str, spec: &mut ContainerSpec) {
    let get = |key: &str| spec.annotations.get(&format!("{key}/{container}")).cloned();
    if get(AUTOREMOVE).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        spec.auto_remove = true;
    }
    if get(INIT).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        spec.process.init = true;
    }
    let update = get(AUTOUPDATE).or_else(|| spec.annotations.get(AUTOUPDATE).cloned());
    if let Some(policy) = update {
        spec.labels.insert(AUTOUPDATE.to_string(), policy);
    }
}

/// podman's annotation keys (each followed by `/CONTAINER`).
pub const AUTOREMOVE: &str = "io.podman.annotations.autoremove";
pub const INIT: &str = "io.podman.annotations.init";
pub const AUTOUPDATE: &str = "io.containers.autoupdate";

/// Kubernetes writes capabilities without `CAP_`; `ALL` stays as is.
fn cap_name(c: &str) -> String {
    let up = c.to_ascii_uppercase();
    if up == "ALL" || up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    }
}

/// A pod's `restartPolicy` as a container restart policy.
pub fn restart(policy: &str) -> std::result::Result<RestartPolicy, KubeError> {
    let name = match policy {
        "Always" => "always",
        "OnFailure" => "on-failure",
        "Never" => "no",
        other => {
            return Err(KubeError::Invalid {
                what: "restartPolicy".to_string(),
                value: other.to_string(),
                reason: "use Always, OnFailure or Never".to_string(),
            });
        }
    };
    Ok(RestartPolicy {
        name: name.to_string(),
        max_retries: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::types::{EnvVar, EnvVarSource, KeyRef};

    #[test]
    fn command_and_args_follow_kubernetes() {
        let mut s = ContainerSpec::default();
        let c = Container {
            args: vec!["-c".into(), "x".into()],
            ..Default::default()
        };
        process(&c, &mut s);
        assert_eq!(s.process.entrypoint, None);
        assert_eq!(s.process.command, ["-c", "x"]);
        let c = Container {
            command: vec!["sh".into()],
            ..Default::default()
        };
        process(&c, &mut s);
        assert_eq!(s.process.entrypoint, Some(vec!["sh".to_string()]));
        assert!(s.process.command.is_empty());
    }

    #[test]
    fn env_from_configmap_and_values() {
        let mut src = Sources::default();
        src.config_maps.insert(
            "cm".into(),
            BTreeMap::from([("K".to_string(), b"v".to_vec())]),
        );
        let c = Container {
            env: vec![
                EnvVar {
                    name: "A".into(),
                    value: Some(serde_json::json!(1)),
                    value_from: None,
                },
                EnvVar {
                    name: "B".into(),
                    value: None,
                    value_from: Some(EnvVarSource {
                        config_map_key_ref: Some(KeyRef {
                            name: "cm".into(),
                            key: "K".into(),
                            optional: false,
                        }),
                        secret_key_ref: None,
                    }),
                },
            ],
            ..Default::default()
        };
        assert_eq!(env(&c, &src).unwrap(), ["A=1", "B=v"]);
        let missing = Sources::default();
        assert!(matches!(
            env(&c, &missing),
            Err(KubeError::MissingConfigMap { .. })
        ));
    }

    #[test]
    fn podman_annotations_apply_per_container() {
        let mut s = ContainerSpec::default();
        s.annotations
            .insert(format!("{AUTOREMOVE}/web"), "TRUE".to_string());
        s.annotations
            .insert(format!("{INIT}/other"), "TRUE".to_string());
        s.annotations
            .insert(AUTOUPDATE.to_string(), "registry".to_string());
        podman_annotations("web", &mut s);
        assert!(s.auto_remove);
        assert!(!s.process.init);
        assert_eq!(s.labels[AUTOUPDATE], "registry");
    }

    #[test]
    fn restart_policies() {
        assert_eq!(restart("OnFailure").unwrap().name, "on-failure");
        assert!(restart("Sometimes").is_err());
    }
}
