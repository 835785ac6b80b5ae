//! Reading a (multi-document) YAML file into typed Kubernetes objects, and the pods that
//! Pods, Deployments, DaemonSets and Jobs stand for.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::KubeError;
use super::types::{self, DataObject, ObjectMeta, PodSpec};

/// One object of a YAML file.
#[derive(Clone, Debug)]
pub enum Document {
    Pod(types::Pod),
    Deployment(types::Deployment),
    DaemonSet(types::DaemonSet),
    Job(types::Job),
    PersistentVolumeClaim(types::PersistentVolumeClaim),
    ConfigMap(DataObject),
    Secret(DataObject),
    Service(types::Service),
}

/// A pod to make: from a Pod, or the template of a Deployment, DaemonSet or Job.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The pod's name: a Pod's own, `<name>-pod` for the others (podman's naming).
    pub pod_name: String,
    pub kind: &'static str,
    /// Labels of the pod (the template's for controllers): what Services select.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: PodSpec,
    /// The default restart policy when the spec names none.
    pub default_restart: &'static str,
}

fn typed<T: DeserializeOwned>(v: Value, path: &str) -> Result<T, KubeError> {
    serde_json::from_value(v).map_err(|e| KubeError::Yaml {
        path: path.to_string(),
        reason: e.to_string(),
    })
}

/// Every object of `text` (read from `path`), in order; empty documents are skipped.
pub fn parse_documents(text: &str, path: &str) -> Result<Vec<Document>, KubeError> {
    let values: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| KubeError::Yaml {
        path: path.to_string(),
        reason: e.to_string().lines().next().unwrap_or_default().to_string(),
    })?;
    let mut out = Vec::new();
    for v in values {
        if v.is_null() {
            continue;
        }
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let doc = match kind.as_str() {
            "Pod" => Document::Pod(typed(v, path)?),
            "Deployment" => Document::Deployment(typed(v, path)?),
            "DaemonSet" => Document::DaemonSet(typed(v, path)?),
            "Job" => Document::Job(typed(v, path)?),
            "PersistentVolumeClaim" => Document::PersistentVolumeClaim(typed(v, path)?),
            "ConfigMap" => Document::ConfigMap(typed(v, path)?),
            "Secret" => Document::Secret(typed(v, path)?),
            "Service" => Document::Service(typed(v, path)?),
            _ => {
                return Err(KubeError::Kind {
                    path: path.to_string(),
                    kind,
                });
            }
        };
        if doc.meta().name.is_empty() {
            return Err(KubeError::NoName {
                path: path.to_string(),
                kind,
            });
        }
        out.push(doc);
    }
    if out.is_empty() {
        return Err(KubeError::Empty {
            path: path.to_string(),
        });
    }
    Ok(out)
}

impl Document {
    pub fn meta(&self) -> &ObjectMeta {
        match self {
            Document::Pod(o) => &o.metadata,
            Document::Deployment(o) => &o.metadata,
            Document::DaemonSet(o) => &o.metadata,
            Document::Job(o) => &o.metadata,
            Document::PersistentVolumeClaim(o) => &o.metadata,
            Document::ConfigMap(o) | Document::Secret(o) => &o.metadata,
            Document::Service(o) => &o.metadata,
        }
    }

    /// The pod this object stands for, if it is a workload.
    pub fn workload(&self) -> Option<Workload> {
        let controller = |kind, name: &str, t: &types::PodTemplate, restart| Workload {
            pod_name: format!("{name}-pod"),
            kind,
            labels: t.metadata.labels.clone(),
            annotations: t.metadata.annotations.clone(),
            spec: t.spec.clone(),
            default_restart: restart,
        };
        Some(match self {
            Document::Pod(p) => Workload {
                pod_name: p.metadata.name.clone(),
                kind: "Pod",
                labels: p.metadata.labels.clone(),
                annotations: p.metadata.annotations.clone(),
                spec: p.spec.clone(),
                default_restart: "Always",
            },
            Document::Deployment(d) => {
                controller("Deployment", &d.metadata.name, &d.spec.template, "Always")
            }
            Document::DaemonSet(d) => {
                controller("DaemonSet", &d.metadata.name, &d.spec.template, "Always")
            }
            Document::Job(j) => controller("Job", &j.metadata.name, &j.spec.template, "OnFailure"),
            _ => return None,
        })
    }
}

/// A ConfigMap's or Secret's entries as bytes (a Secret's `data` is base64).
pub fn data_entries(o: &DataObject, secret: bool) -> Result<BTreeMap<String, Vec<u8>>, KubeError> {
    let mut out = BTreeMap::new();
    for (k, v) in &o.data {
        let s = types::scalar(v);
        let bytes = if secret {
            base64_decode(s.trim()).ok_or_else(|| KubeError::Invalid {
                what: format!("data.{k} of secret {}", o.metadata.name),
                value: s.clone(),
                reason: "not base64: put plain text under stringData".to_string(),
            })?
        } else {
            s.into_bytes()
        };
        out.insert(k.clone(), bytes);
    }
    for (k, v) in &o.binary_data {
        if let Some(b) = base64_decode(v.trim()) {
            out.insert(k.clone(), b);
        }
    }
    for (k, v) in &o.string_data {
        out.insert(k.clone(), v.clone().into_bytes());
    }
    Ok(out)
}

/// Standard base64 (padding optional, whitespace ignored).
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Standard base64 with padding.
#[cfg(test)]
pub fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in ["", "a", "ab", "abc", "hello world"] {
            assert_eq!(
                base64_decode(&base64_encode(s.as_bytes())).unwrap(),
                s.as_bytes()
            );
        }
        assert_eq!(base64_encode(b"abc"), "YWJj");
    }

    #[test]
    fn multi_document_yaml() {
        let y = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  A: \"1\"\n  B: 2\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: c\n        image: busybox\n        command: [\"sleep\", \"100\"]\n";
        let docs = parse_documents(y, "x.yaml").unwrap();
        assert_eq!(docs.len(), 2);
        let w = docs[1].workload().unwrap();
        assert_eq!(w.pod_name, "web-pod");
        assert_eq!(w.spec.containers[0].command, ["sleep", "100"]);
        let Document::ConfigMap(cm) = &docs[0] else {
            panic!("not a configmap")
        };
        assert_eq!(data_entries(cm, false).unwrap()["B"], b"2");
    }

    #[test]
    fn unknown_kind_and_bad_yaml() {
        let e = parse_documents("kind: Foo\nmetadata:\n  name: x\n", "f.yaml").unwrap_err();
        assert!(
            e.to_string().contains("kind \"Foo\" is not supported"),
            "{e}"
        );
        assert!(parse_documents("kind: [\n", "f.yaml").is_err());
    }
}
