//! The engine's error type. Every variant names the thing involved; the CLI prints
//! `Error: <message>` and exits with [`LibpodError::exit_code`].

use std::path::PathBuf;

#[derive(thiserror::Error, Debug)]
pub enum LibpodError {
    #[error("{0}")]
    Storage(#[from] storage::StorageError),
    #[error("state database {path}: {source}")]
    State {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Security(#[from] crate::security::SecurityError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Sys { context: String, source: nix::Error },
    #[error("{0}")]
    UserNamespace(#[from] crate::userns::UserNsError),
    #[error("{0}")]
    Network(#[from] network::NetworkError),
    #[error("{0}")]
    Cgroup(#[from] crate::cgroups::CgroupError),
    #[error("{0}")]
    Cdi(#[from] crate::cdi::CdiError),
    /// An image that a container uses: podman exits 2 for it (as for a volume or network in
    /// use, [`crate::volume::VolumeError::InUse`] and
    /// [`crate::network_def::NetworkConfigError::InUse`]).
    #[error("{0}")]
    InUse(String),
    #[error("no container with name or ID \"{0}\" found: no such container")]
    NoSuchContainer(String),
    #[error(
        "the container name \"{0}\" is already in use by {1}. You have to remove that container to be able to reuse that name: that name is already in use, or use --replace to instruct burrow to do so."
    )]
    NameInUse(String, String),
    #[error("no pod with name or ID {0} found: no such pod")]
    NoSuchPod(String),
    #[error("no volume with name \"{0}\" found: no such volume")]
    NoSuchVolume(String),
    #[error("unable to find network with name or ID {0}: network not found")]
    NoSuchNetwork(String),
    /// What the state database refuses: a name or address taken, an ambiguous prefix.
    #[error("{0}")]
    StateRecord(#[from] crate::state::StateError),
    #[error("{0}")]
    Spec(#[from] crate::spec::SpecError),
    #[error(transparent)]
    Image(#[from] crate::runtime::ImageError),
    #[error(transparent)]
    Pod(#[from] crate::pod::PodError),
    #[error(transparent)]
    Health(#[from] crate::health::HealthError),
    /// A `--filter` that cannot be used (libpod::filter).
    #[error("{0}")]
    Filter(String),
    /// An operation failed and undoing what it had done failed too: every error is reported.
    #[error("{error}; cleaning up also failed: {}", join(cleanup))]
    Cleanup {
        error: Box<LibpodError>,
        cleanup: Vec<LibpodError>,
    },
    #[error("{0}")]
    Name(#[from] crate::runtime::names::NameError),
    #[error(transparent)]
    Volume(#[from] crate::volume::VolumeError),
    #[error(transparent)]
    Copy(#[from] crate::runtime::CopyError),
    #[error(transparent)]
    NetworkConfig(#[from] crate::network_def::NetworkConfigError),
    #[error(transparent)]
    Exec(#[from] crate::runtime::ExecError),
    #[error(transparent)]
    Top(#[from] crate::runtime::TopError),
    #[error(transparent)]
    Commit(#[from] crate::runtime::CommitError),
    #[error(transparent)]
    Resources(#[from] crate::runtime::ResourcesError),
    #[error(transparent)]
    Device(#[from] crate::runtime::DeviceError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Generate(#[from] crate::generate::GenerateError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error("{0}")]
    InvalidState(String),
    #[error("{message}")]
    /// The container's process could not be started; carries podman's exit code (125/126/127).
    StartFailed { message: String, code: i32 },
    #[error(transparent)]
    AutoUpdate(#[from] crate::auto_update::AutoUpdateError),
    #[error(transparent)]
    Compose(#[from] crate::compose::ComposeError),
    #[error(transparent)]
    Kube(#[from] crate::kube::KubeError),
    #[error(transparent)]
    Artifact(#[from] storage::artifact::ArtifactError),
    #[error(transparent)]
    Runlabel(#[from] crate::runtime::runlabel::RunlabelError),
}

impl LibpodError {
    /// podman's convention: 126 cannot invoke, 127 not found, 2 for something in use, 125
    /// everything else of ours.
    pub fn exit_code(&self) -> i32 {
        match self {
            LibpodError::StartFailed { code, .. } => *code,
            LibpodError::InUse(_)
            | LibpodError::Volume(crate::volume::VolumeError::InUse { .. })
            | LibpodError::NetworkConfig(crate::network_def::NetworkConfigError::InUse {
                ..
            }) => 2,
            LibpodError::Cleanup { error, .. } => error.exit_code(),
            _ => 125,
        }
    }

    /// Whether this says that the named container, pod, volume, network or image does not
    /// exist (podman's removal commands exit 1 for that).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            LibpodError::NoSuchContainer(_)
                | LibpodError::NoSuchPod(_)
                | LibpodError::NoSuchVolume(_)
                | LibpodError::NoSuchNetwork(_)
                | LibpodError::Storage(storage::StorageError::ImageNotFound(_))
        )
    }

    /// This error, with the errors of the cleanup that followed it (none: unchanged).
    pub fn with_cleanup(self, cleanup: Vec<LibpodError>) -> LibpodError {
        if cleanup.is_empty() {
            self
        } else {
            LibpodError::Cleanup {
                error: Box::new(self),
                cleanup,
            }
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        LibpodError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn sys(context: impl Into<String>, source: nix::Error) -> Self {
        LibpodError::Sys {
            context: context.into(),
            source,
        }
    }
}

fn join(errors: &[LibpodError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

pub type Result<T> = std::result::Result<T, LibpodError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network_def::NetworkConfigError;
    use crate::volume::VolumeError;

    #[test]
    fn in_use_exits_2_whatever_the_area() {
        let volume = LibpodError::from(VolumeError::InUse {
            name: "v".into(),
            containers: vec!["0123456789ab".into()],
        });
        assert_eq!(volume.exit_code(), 2);
        assert_eq!(
            volume.to_string(),
            "volume v is being used by the following container(s): 0123456789ab: volume is being used (remove the containers first, or use --force)"
        );
        let network = LibpodError::from(NetworkConfigError::InUse {
            network: "n".into(),
            containers: vec!["a".into(), "b".into()],
        });
        assert_eq!(network.exit_code(), 2);
        assert_eq!(
            network.to_string(),
            "network n is being used by container(s) a, b: remove them first, or use -f to remove them too"
        );
        let cleanup = network.with_cleanup(vec![VolumeError::Exists("v".into()).into()]);
        assert_eq!(cleanup.exit_code(), 2);
        assert_eq!(
            LibpodError::from(VolumeError::Exists("v".into())).exit_code(),
            125
        );
    }
}
