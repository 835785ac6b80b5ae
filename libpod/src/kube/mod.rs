//! Kubernetes YAML: `kube play` turns Pods, Deployments, DaemonSets, Jobs, PersistentVolumeClaims,
//! ConfigMaps, Secrets and Services into pods, containers, volumes and secrets through the
//! ordinary container spec and pod API; `kube down` removes what a YAML file made; `kube
//! generate` describes existing containers, pods and volumes as YAML. Nothing here starts a
//! process of its own or touches the state except through [`crate::Runtime`].

mod convert;
mod document;
mod down;
mod generate;
mod image;
mod play;
mod ports;
mod quantity;
pub mod types;

pub use document::{Document, Workload, parse_documents};
pub use down::DownReport;
pub use generate::GenerateKubeOptions;
pub use play::{PlayInput, PlayOptions, PlayReport, PlayedPod};

/// What `kube play`, `kube down` and `kube generate` refuse.
#[derive(thiserror::Error, Debug)]
pub enum KubeError {
    #[error("reading {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("unable to read YAML {path} as Kube objects: {reason}")]
    Yaml { path: String, reason: String },
    #[error(
        "{path}: kind \"{kind}\" is not supported: burrow kube play takes Pod, Deployment, DaemonSet, Job, PersistentVolumeClaim, ConfigMap, Secret and Service"
    )]
    Kind { path: String, kind: String },
    #[error("{path}: a {kind} has no metadata.name: give it a name")]
    NoName { path: String, kind: String },
    #[error("{what} {name}: no containers in the pod spec: add one under spec.containers")]
    NoContainers { what: String, name: String },
    #[error("container {container} of {pod}: no image: set image")]
    NoImage { pod: String, container: String },
    #[error("{path}: no objects found: the YAML has no documents")]
    Empty { path: String },
    #[error("{what} \"{name}\" not found: define it in the YAML or pass --configmap FILE")]
    MissingConfigMap { what: String, name: String },
    #[error(
        "secret \"{0}\" not found: define it in the YAML or create it with burrow secret create"
    )]
    MissingSecret(String),
    #[error("key \"{key}\" not found in {what} \"{name}\"")]
    MissingKey {
        what: String,
        name: String,
        key: String,
    },
    #[error(
        "volume \"{volume}\" of container {container} is not defined in spec.volumes: add it there"
    )]
    UndefinedVolume { container: String, volume: String },
    #[error(
        "volume \"{0}\": only hostPath, persistentVolumeClaim, configMap, secret and emptyDir are supported"
    )]
    VolumeSource(String),
    #[error("invalid quantity \"{value}\" for {what}")]
    Quantity { what: String, value: String },
    #[error("invalid {what} \"{value}\": {reason}")]
    Invalid {
        what: String,
        value: String,
        reason: String,
    },
    #[error("invalid --type \"{0}\": use pod, deployment, daemonset or job")]
    Type(String),
    #[error("--replicas only applies to --type deployment")]
    Replicas,
    #[error("name or ID \"{0}\" not found: no such container, pod or volume")]
    NotFound(String),
    #[error("building image {image} from {dir}: {reason}")]
    Build {
        image: String,
        dir: String,
        reason: String,
    },
}
