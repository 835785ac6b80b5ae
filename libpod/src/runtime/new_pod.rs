//! `run`/`create --pod new:NAME`: the pod is made first and taken away again when the
//! container cannot be created, so a failed command leaves nothing behind.

use super::{CreateOptions, PodCreateOptions, Runtime};
use crate::container::Container;
use crate::error::Result;

impl Runtime {
    /// `create` with `--pod new:NAME` handled: the new pod gets the container's `-p` and
    /// `--network` (as podman does), and is removed again if the create fails.
    pub fn create_with_pod(&self, mut opts: CreateOptions) -> Result<Container> {
        let Some(name) = opts.pod.as_deref().and_then(|p| p.strip_prefix("new:")) else {
            return self.create(&opts);
        };
        let pod = self.pod_create(&PodCreateOptions {
            name: Some(name.to_string()),
            publish: std::mem::take(&mut opts.publish),
            network: opts.network.take(),
            infra: true,
            ..Default::default()
        })?;
        opts.pod = Some(pod.id.clone());
        self.create(&opts).inspect_err(|_| {
            // The create's error is the one to report; a pod that cannot be removed either
            // is left for `pod rm`.
            let _ = self.pod_remove(&pod.id, true);
        })
    }
}
