//! `run`/`create --pod new:NAME`: the pod is made first and taken away again when the
//! container cannot be created, so a failed command leaves nothing behind.

use super::{CreateOptions, PodCreateOptions, Runtime};
use crate::container::Container;
use crate::error::Result;
use crate::spec::ContainerSpec;

impl Runtime {
    /// `create` from the CLI's options, with `--pod new:NAME` handled: the container's flags
    /// are checked first, then the new pod gets the container's `-p` and `--network` (as
    /// podman does), and is removed again if the create fails.
    pub fn create_with_pod(&self, mut opts: CreateOptions) -> Result<Container> {
        let Some(name) = opts
            .pod
            .as_deref()
            .and_then(|p| p.strip_prefix("new:"))
            .map(str::to_string)
        else {
            return self.create(&ContainerSpec::try_from(&opts)?);
        };
        let publish = std::mem::take(&mut opts.publish);
        let network = opts.network.take();
        let mut spec = ContainerSpec::try_from(&opts)?;
        let pod = self.pod_create(&PodCreateOptions {
            name: Some(name),
            publish,
            network,
            infra: true,
            ..Default::default()
        })?;
        spec.pod = Some(pod.id.clone());
        self.create(&spec).map_err(|e| {
            let undo = self.pod_remove(&pod.id, true).err();
            e.with_cleanup(undo.into_iter().collect())
        })
    }
}
