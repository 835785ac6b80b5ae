#![recursion_limit = "256"]
//! libpod: burrow's engine. Containers, their state, the rootless user namespace, the
//! built-in executor and the per-container monitor. The CLI calls [`Runtime`]; nothing here
//! prints to the terminal except a container's own output.

pub mod attach;
pub mod auto_update;
pub mod builder;
pub mod cdi;
pub mod cgroups;
pub mod clock;
pub mod compose;
pub mod config;
mod config_layers;
pub mod container;
pub mod doctor;
pub mod error;
pub mod events;
pub mod executor;
pub mod filter;
pub mod generate;
pub mod health;
pub mod in_root;
pub mod journald;
pub mod kube;
mod lockfile;
pub mod log;
pub mod logs;
pub(crate) mod mounts_conf;
pub mod network_def;
pub mod paths;
pub mod pod;
pub mod quadlet;
pub mod registries_d;
pub mod registry;
pub mod rootless;
pub mod rootless_netns;
pub mod runtime;
pub mod sdnotify;
pub mod sealed_exe;
pub mod secrets;
pub mod security;
pub mod spec;
pub mod state;
pub mod supervise;
pub mod trust;
pub mod userns;
pub mod volume;

pub use container::{Container, ContainerConfig, Status};
pub use error::{LibpodError, Result};
pub use runtime::Runtime;
pub use state::ContainerSummary;

/// Image types the CLI prints; the store itself stays behind [`Runtime`].
pub use storage::Image;
pub use storage::history::{HistoryEntry, TreeLayer};
pub use storage::save::SaveFormat;
/// The registry types the CLI names (platforms, progress events, compression).
pub mod storage_registry {
    pub use storage::StorageError;
    pub use storage::registry::policy::TrustRow;
    pub use storage::registry::push::LayerCompression;
    pub use storage::registry::search::SearchResult;
    pub use storage::registry::{Platform, PullEvent, Reporter};
}
/// Manifest lists as the CLI prints and edits them.
pub mod manifest_list {
    pub use storage::manifest_list::{InstanceOptions, ManifestList};
}
/// OCI artifacts as the CLI adds, lists and extracts them.
pub mod artifact {
    pub use storage::artifact::extract::ExtractOptions;
    pub use storage::artifact::{
        AddOptions, Artifact, ArtifactError, ArtifactManifest, CREATED, Descriptor,
    };
}
pub mod reference {
    pub use storage::reference::repository;
}
