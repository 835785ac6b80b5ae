//! `run`/`create` from the command line's options: containers.conf's defaults for what it
//! left unset, and `--pod new:NAME` (the pod is made first and taken away again when the
//! container cannot be created, so a failed command leaves nothing behind).

use super::{CreateOptions, PodCreateOptions, Runtime};
use crate::container::Container;
use crate::error::Result;
use crate::spec::ContainerSpec;

impl Runtime {
    /// `create` from the CLI's options, with `--pod new:NAME` handled: the container's flags
    /// are checked first, then the new pod gets the container's `-p` and `--network` (as
    /// podman does), and is removed again if the create fails.
    pub fn create_with_pod(&self, mut opts: CreateOptions) -> Result<Container> {
        self.apply_conf_defaults(&mut opts);
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

    /// containers.conf's `[containers]` defaults for what the command line left unset, as
    /// podman takes them for its flags' defaults.
    fn apply_conf_defaults(&self, opts: &mut CreateOptions) {
        let conf = &self.conf.containers;
        let unset = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
        if unset(&opts.tz) {
            opts.tz.clone_from(&conf.tz);
        }
        if unset(&opts.umask) {
            opts.umask.clone_from(&conf.umask);
        }
        if unset(&opts.log_driver) {
            opts.log_driver.clone_from(&conf.log_driver);
        }
        if let Some(max) = conf.log_size_max.filter(|m| *m > 0)
            && !opts.log_opts.iter().any(|o| o.starts_with("max-size="))
        {
            opts.log_opts.push(format!("max-size={max}"));
        }
        // podman's default pids limit applies only where limits are enforced: rootless on
        // cgroup v1 it would only warn at every create.
        if let Some(limit) = conf.pids_limit.filter(|l| *l > 0)
            && opts.resources.pids_limit.is_none()
            && crate::cgroups::limits_warning(self.rootless).is_none()
        {
            opts.resources.pids_limit = Some(limit.to_string());
        }
        if opts.read_only.is_none() && conf.read_only {
            opts.read_only = Some(true);
        }
        if unset(&opts.network) && opts.pod.is_none() {
            let netns = conf.netns.as_deref().filter(|n| *n != "private");
            opts.network = netns.map(str::to_string);
        }
    }
}
