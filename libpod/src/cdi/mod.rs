//! Container Device Interface: devices named `vendor.com/class=name` (`--device`, `--gpus`)
//! resolved through the spec files in /etc/cdi and /var/run/cdi (or `--cdi-spec-dir`) into
//! what the container gets: device nodes (bound from the host: a user namespace may not
//! mknod), mounts, environment and hooks. `generate` writes a spec for the NVIDIA devices the
//! host has. This module reads specs and the host; it changes nothing but the file
//! `generate` is asked to write.

pub mod generate;
pub mod spec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use spec::{CdiMount, ContainerEdits, DeviceNode, Hook, Spec};

#[derive(thiserror::Error, Debug)]
pub enum CdiError {
    #[error("CDI spec {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("CDI spec {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Unresolved(String),
    #[error("{0}")]
    Generate(String),
}

/// Where podman looks for specs, lowest priority first.
pub const DEFAULT_SPEC_DIRS: &[&str] = &["/etc/cdi", "/var/run/cdi"];

/// Every device of every spec found, by qualified name.
#[derive(Debug, Default)]
pub struct Registry {
    /// Qualified name -> (spec index, device index).
    devices: BTreeMap<String, (usize, usize)>,
    specs: Vec<Spec>,
}

impl Registry {
    /// Reads the spec files of `dirs`; a later directory's device of the same name wins. A
    /// file that does not parse is an error naming it.
    pub fn load(dirs: &[PathBuf]) -> Result<Registry, CdiError> {
        let mut r = Registry::default();
        for dir in dirs {
            for file in spec::files_in(dir) {
                let s = spec::read(&file)?;
                let i = r.specs.len();
                for (j, d) in s.devices.iter().enumerate() {
                    r.devices.insert(format!("{}={}", s.kind, d.name), (i, j));
                }
                r.specs.push(s);
            }
        }
        Ok(r)
    }

    /// The qualified names of every device, sorted.
    pub fn names(&self) -> Vec<String> {
        self.devices.keys().cloned().collect()
    }

    /// The edits of the named devices together: each spec's common edits once, then every
    /// device's own, in the order asked.
    pub fn resolve(&self, names: &[String]) -> Result<ContainerEdits, CdiError> {
        let mut edits = ContainerEdits::default();
        let mut specs_done = Vec::new();
        for name in names {
            let Some(&(i, j)) = self.devices.get(name) else {
                let known = self.names();
                return Err(CdiError::Unresolved(if known.is_empty() {
                    format!(
                        "unresolvable CDI devices {name}: no CDI specs found (in {}); for NVIDIA GPUs create one with `burrow cdi generate`",
                        DEFAULT_SPEC_DIRS.join(", ")
                    )
                } else {
                    format!(
                        "unresolvable CDI devices {name}: known devices are {}",
                        known.join(", ")
                    )
                }));
            };
            if !specs_done.contains(&i) {
                specs_done.push(i);
                edits.append(&self.specs[i].container_edits);
            }
            edits.append(&self.specs[i].devices[j].container_edits);
        }
        for h in &edits.hooks {
            if matches!(h.hook_name.as_str(), "poststart" | "poststop") {
                return Err(CdiError::Unresolved(format!(
                    "CDI hook {} ({}): burrow runs prestart, createRuntime, createContainer and startContainer hooks only",
                    h.hook_name, h.path
                )));
            }
        }
        Ok(edits)
    }
}

/// The spec directories to use: the ones given, else podman's defaults.
pub fn spec_dirs(given: &[PathBuf]) -> Vec<PathBuf> {
    if given.is_empty() {
        DEFAULT_SPEC_DIRS.iter().map(PathBuf::from).collect()
    } else {
        given.to_vec()
    }
}

/// True if `s` names a CDI device rather than a host path.
pub fn is_cdi_name(s: &str) -> bool {
    spec::parse_qualified(s).is_some()
}

/// `--gpus` as podman maps it onto CDI: `all` (or a count, which podman also takes as all)
/// is `nvidia.com/gpu=all`; `device=0,1` names GPUs by index.
pub fn gpus_to_devices(gpus: &str) -> Result<Vec<String>, CdiError> {
    let g = gpus.trim();
    if g == "all" || g.parse::<u32>().is_ok() {
        return Ok(vec!["nvidia.com/gpu=all".into()]);
    }
    if let Some(list) = g.strip_prefix("device=") {
        let v: Vec<String> = list
            .trim_matches('"')
            .split(',')
            .filter(|d| !d.is_empty())
            .map(|d| format!("nvidia.com/gpu={d}"))
            .collect();
        if !v.is_empty() {
            return Ok(v);
        }
    }
    Err(CdiError::Unresolved(format!(
        "invalid --gpus value {gpus:?}: use all, a count, or device=ID[,ID...]"
    )))
}

/// A host path exists for every device node and mount source.
pub fn check_host_paths(edits: &ContainerEdits) -> Result<(), CdiError> {
    for n in &edits.device_nodes {
        if !Path::new(n.host_path()).exists() {
            return Err(CdiError::Unresolved(format!(
                "CDI device node {}: {} does not exist on the host",
                n.path,
                n.host_path()
            )));
        }
    }
    for m in &edits.mounts {
        if !Path::new(&m.host_path).exists() {
            return Err(CdiError::Unresolved(format!(
                "CDI mount {}: {} does not exist on the host",
                m.container_path, m.host_path
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn later_dirs_win_and_common_edits_come_once() {
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        write(
            &a,
            "x.yaml",
            "cdiVersion: 0.6.0\nkind: ex.com/c\ncontainerEdits:\n  env: [C=1]\ndevices:\n- name: d0\n  containerEdits:\n    env: [D=a]\n- name: d1\n  containerEdits:\n    env: [E=1]\n",
        );
        write(
            &b,
            "y.json",
            r#"{"cdiVersion":"0.6.0","kind":"ex.com/c","devices":[{"name":"d0","containerEdits":{"env":["D=b"]}}]}"#,
        );
        let r = Registry::load(&[a, b]).unwrap();
        assert_eq!(r.names(), vec!["ex.com/c=d0", "ex.com/c=d1"]);
        let e = r.resolve(&["ex.com/c=d0".into()]).unwrap();
        assert_eq!(e.env, vec!["D=b"]);
        let e = r.resolve(&["ex.com/c=d1".into()]).unwrap();
        assert_eq!(e.env, vec!["C=1", "E=1"]);
        let err = r
            .resolve(&["ex.com/c=nope".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("known devices are ex.com/c=d0, ex.com/c=d1"),
            "{err}"
        );
    }

    #[test]
    fn gpus_map_onto_nvidia_cdi_names() {
        assert_eq!(gpus_to_devices("all").unwrap(), vec!["nvidia.com/gpu=all"]);
        assert_eq!(
            gpus_to_devices("device=0,1").unwrap(),
            vec!["nvidia.com/gpu=0", "nvidia.com/gpu=1"]
        );
        assert!(gpus_to_devices("lots").is_err());
    }
}
