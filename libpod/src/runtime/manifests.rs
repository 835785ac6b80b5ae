//! `manifest create/add/annotate/inspect/remove/rm/exists/push`: the engine side of storage's
//! manifest lists (which store, which registry flags, local image or registry reference).

use storage::manifest_list::{InstanceOptions, ManifestList, Source, local_instance};
use storage::registry::Platform;
use storage::registry::push::LayerCompression;
use storage::registry::push_list::{
    push_list, remote_instance, remote_instances_all, remote_manifest_json,
};

use super::Runtime;
use crate::error::Result;
use crate::registry::{RegistryFlags, options};

/// Where `manifest add` takes an image from: podman's transports, a local image when one has
/// the name, else a registry.
fn local_or_remote(name: &str) -> (bool, &str) {
    if let Some(n) = name.strip_prefix("containers-storage:") {
        (true, n)
    } else if let Some(n) = name.strip_prefix("docker://") {
        (false, n)
    } else {
        (true, name)
    }
}

impl Runtime {
    /// `manifest create [--amend] NAME [IMAGE...]`: `amend` adds to an existing list of that
    /// name instead of refusing it.
    pub fn manifest_create(
        &self,
        name: &str,
        images: &[String],
        flags: &RegistryFlags,
        annotations: &[(String, String)],
        amend: bool,
    ) -> Result<ManifestList> {
        // Every image is resolved before the list exists: nothing is left behind on failure.
        let mut adds = Vec::new();
        for img in images {
            adds.push(self.manifest_instance(img, flags, &InstanceOptions::default())?);
        }
        let list = match self.store.lookup_manifest_list(name) {
            Ok(existing) if amend => existing,
            _ => self.store.create_manifest_list(name)?,
        };
        Ok(self.store.update_manifest_list(&list.id, |l| {
            for (inst, source, opts) in adds {
                l.add(inst, source, &opts);
            }
            l.annotate_index(annotations);
            Ok(())
        })?)
    }

    fn manifest_instance(
        &self,
        image: &str,
        flags: &RegistryFlags,
        opts: &InstanceOptions,
    ) -> Result<(storage::manifest_list::Instance, Source, InstanceOptions)> {
        let (try_local, name) = local_or_remote(image);
        if try_local && let Ok(img) = self.store.lookup(name) {
            let inst = local_instance(&self.store, &img)?;
            return Ok((inst, Source::Local(img.id), opts.clone()));
        }
        let full = storage::reference::normalize_docker(name)?;
        let platform = Platform {
            os: opts.os.clone().unwrap_or_else(|| Platform::default().os),
            architecture: opts
                .arch
                .clone()
                .unwrap_or_else(|| Platform::default().architecture),
            variant: opts.variant.clone(),
        };
        let reg = options(flags, self.rootless)?;
        let (inst, source) = remote_instance(&full, &reg, &platform)?;
        Ok((inst, source, opts.clone()))
    }

    /// `manifest add LIST IMAGE`: returns the list and the instance's digest.
    pub fn manifest_add(
        &self,
        list: &str,
        image: &str,
        flags: &RegistryFlags,
        opts: &InstanceOptions,
    ) -> Result<(ManifestList, String)> {
        // The list must exist before anything is fetched; it is re-read under the lock.
        self.store.lookup_manifest_list(list)?;
        let (inst, source, opts) = self.manifest_instance(image, flags, opts)?;
        let mut digest = String::new();
        let l = self.store.update_manifest_list(list, |l| {
            digest = l.add(inst, source, &opts);
            Ok(())
        })?;
        Ok((l, digest))
    }

    /// `manifest annotate LIST IMAGE-OR-DIGEST` (or `--index`: the list's own annotations).
    pub fn manifest_annotate(
        &self,
        list: &str,
        instance: Option<&str>,
        opts: &InstanceOptions,
    ) -> Result<ManifestList> {
        Ok(self.store.update_manifest_list(list, |l| {
            match instance {
                None => l.annotate_index(&opts.annotations),
                Some(i) => {
                    let digest = self.instance_digest(l, i);
                    l.annotate(&digest, opts)?;
                }
            }
            Ok(())
        })?)
    }

    /// An instance named by digest, or by a local image that is in the list.
    fn instance_digest(&self, list: &ManifestList, name: &str) -> String {
        if let Some(i) = list.find_instance(name) {
            return i.digest.clone();
        }
        if let Ok(img) = self.store.lookup(name)
            && let Some(i) = list.find_instance(&img.id)
        {
            return i.digest.clone();
        }
        name.to_string()
    }

    /// `manifest remove LIST DIGEST`.
    pub fn manifest_remove(&self, list: &str, digest: &str) -> Result<ManifestList> {
        Ok(self
            .store
            .update_manifest_list(list, |l| l.remove(digest))?)
    }

    pub fn manifest_list(&self, name: &str) -> Result<ManifestList> {
        Ok(self.store.lookup_manifest_list(name)?)
    }

    /// `manifest inspect`: a local list's index; else, for a registry reference (a
    /// `docker://` one, or a name with a registry host), what the registry holds.
    pub fn manifest_inspect(&self, name: &str, flags: &RegistryFlags) -> Result<String> {
        let err = match self.store.lookup_manifest_list(name) {
            Ok(l) => return Ok(l.index_json()?),
            Err(e) => e,
        };
        let remote = match name.strip_prefix("docker://") {
            Some(n) => n,
            None if matches!(
                err,
                storage::StorageError::ManifestListUnknown(_)
                    | storage::StorageError::NotAManifestList(_)
            ) && storage::reference::Reference::parse(name)
                .is_ok_and(|r| r.domain.is_some_and(|d| d != "localhost")) =>
            {
                name
            }
            None => return Err(err.into()),
        };
        let full = storage::reference::normalize_docker(remote)?;
        Ok(remote_manifest_json(
            &full,
            &options(flags, self.rootless)?,
        )?)
    }

    /// `manifest add --all LIST REFERENCE`: every instance of a registry index.
    pub fn manifest_add_all(
        &self,
        list: &str,
        image: &str,
        flags: &RegistryFlags,
        opts: &InstanceOptions,
    ) -> Result<ManifestList> {
        self.store.lookup_manifest_list(list)?;
        let name = image.strip_prefix("docker://").unwrap_or(image);
        let full = storage::reference::normalize_docker(name)?;
        let all = remote_instances_all(&full, &options(flags, self.rootless)?)?;
        Ok(self.store.update_manifest_list(list, |l| {
            for (inst, source) in all {
                l.add(inst, source, opts);
            }
            Ok(())
        })?)
    }

    /// `manifest rm LIST`: the list only; its images stay.
    pub fn manifest_rm(&self, name: &str) -> Result<ManifestList> {
        let l = self.store.lookup_manifest_list(name)?;
        self.store.remove_manifest_list(&l)?;
        Ok(l)
    }

    /// `manifest push LIST [DEST]`: returns the index's digest. `rm`: the list is removed
    /// after a successful push.
    pub fn manifest_push(
        &self,
        name: &str,
        dest: Option<&str>,
        flags: &RegistryFlags,
        compression: LayerCompression,
        rm: bool,
        report: &dyn storage::registry::Reporter,
    ) -> Result<String> {
        let l = self.store.lookup_manifest_list(name)?;
        crate::trust::check_push(name)?;
        let dest = dest.unwrap_or(name);
        let dest = dest.strip_prefix("docker://").unwrap_or(dest);
        let full = storage::reference::normalize_docker(dest)?;
        let reg = options(flags, self.rootless)?;
        let digest = push_list(&self.store, &l, &full, &reg, compression, report)?;
        if rm {
            self.store.remove_manifest_list(&l)?;
        }
        Ok(digest)
    }
}
