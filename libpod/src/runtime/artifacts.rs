//! `artifact add/ls/inspect/rm/extract/push/pull`: the engine side of storage's artifact
//! store (which store root, which registry settings). Nothing here prints.

use std::path::{Path, PathBuf};

use storage::artifact::extract::{ExtractOptions, extract};
use storage::artifact::{AddFile, AddOptions, Artifact, ArtifactStore, transfer};
use storage::registry::Reporter;

use super::Runtime;
use crate::error::Result;
use crate::registry::{RegistryFlags, options};

impl Runtime {
    fn artifact_store(&self) -> ArtifactStore {
        ArtifactStore::new(self.store.root())
    }

    /// `artifact add NAME FILE...`: returns the manifest digest.
    pub fn artifact_add(&self, name: &str, files: &[PathBuf], opts: &AddOptions) -> Result<String> {
        let files: Vec<AddFile> = files.iter().map(|p| AddFile::new(p)).collect();
        Ok(self.artifact_store().add(name, &files, opts)?)
    }

    /// `artifact ls`.
    pub fn artifacts(&self) -> Result<Vec<Artifact>> {
        Ok(self.artifact_store().list()?)
    }

    /// One artifact by name or (partial) digest.
    pub fn artifact(&self, name_or_digest: &str) -> Result<Artifact> {
        Ok(self.artifact_store().lookup(name_or_digest)?)
    }

    /// `artifact rm`: returns the removed manifest's digest.
    pub fn artifact_remove(&self, name_or_digest: &str) -> Result<String> {
        Ok(self.artifact_store().remove(name_or_digest)?)
    }

    /// `artifact extract NAME TARGET`.
    pub fn artifact_extract(
        &self,
        name_or_digest: &str,
        target: &Path,
        opts: &ExtractOptions,
    ) -> Result<()> {
        let store = self.artifact_store();
        let art = store.lookup(name_or_digest)?;
        Ok(extract(&store, &art, target, opts)?)
    }

    /// `artifact push NAME [DEST]`: returns the manifest digest.
    pub fn artifact_push(
        &self,
        name: &str,
        dest: Option<&str>,
        flags: &RegistryFlags,
        report: &dyn Reporter,
    ) -> Result<String> {
        let store = self.artifact_store();
        let art = store.lookup(name)?;
        let dest = dest.unwrap_or(&art.name);
        let dest = dest.strip_prefix("docker://").unwrap_or(dest);
        let full = storage::reference::normalize_docker(dest)?;
        let reg = options(flags, self.rootless)?;
        Ok(transfer::push(&store, &art.name, &full, &reg, report)?)
    }

    /// `artifact pull NAME`: stored under NAME as given, fetched from its registry.
    pub fn artifact_pull(
        &self,
        name: &str,
        flags: &RegistryFlags,
        report: &dyn Reporter,
    ) -> Result<String> {
        let name = name.strip_prefix("docker://").unwrap_or(name);
        let full = storage::reference::normalize_docker(name)?;
        let reg = options(flags, self.rootless)?;
        Ok(transfer::pull(
            &self.artifact_store(),
            name,
            &full,
            &reg,
            report,
        )?)
    }
}
