//! pull, push and the `--pull` policy of run/create: the engine side of storage's registry
//! client (which store, which flags, which files).

use super::ImageError;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use storage::registry::push::LayerCompression;
use storage::registry::signature;
use storage::registry::{Platform, PullOptions, Reporter};
use storage::save::{SaveItem, save_docker_archive, save_oci_archive};

use super::Runtime;
use crate::error::{LibpodError, Result};
use crate::registry::{RegistryFlags, options};

/// `--pull` of run and create.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    #[default]
    Missing,
    Never,
    Newer,
}

impl std::str::FromStr for PullPolicy {
    type Err = LibpodError;
    fn from_str(s: &str) -> Result<PullPolicy> {
        match s.to_ascii_lowercase().as_str() {
            "always" | "true" => Ok(PullPolicy::Always),
            "missing" | "ifmissing" | "ifnotpresent" | "" => Ok(PullPolicy::Missing),
            "never" | "false" => Ok(PullPolicy::Never),
            "newer" | "ifnewer" => Ok(PullPolicy::Newer),
            _ => Err(ImageError::PullPolicy(s.to_string()).into()),
        }
    }
}

/// Where `push` sends an image.
enum Destination<'a> {
    Registry(&'a str),
    OciArchive(&'a str, Option<&'a str>),
    DockerArchive(&'a str, Option<&'a str>),
}

/// `transport:PATH[:REF]` (podman's archive transports), `docker://REF`, or a plain reference.
fn destination(dest: &str) -> Result<Destination<'_>> {
    let split = |rest: &'static str, s: &str| -> Result<()> {
        if s.is_empty() {
            return Err(ImageError::DestinationNeedsPath {
                dest: dest.to_string(),
                transport: rest.to_string(),
            }
            .into());
        }
        Ok(())
    };
    fn path_ref(s: &str) -> (&str, Option<&str>) {
        match s.split_once(':') {
            Some((p, r)) if !r.is_empty() => (p, Some(r)),
            _ => (s.trim_end_matches(':'), None),
        }
    }
    if let Some(r) = dest.strip_prefix("docker://") {
        Ok(Destination::Registry(r))
    } else if let Some(p) = dest.strip_prefix("oci-archive:") {
        split("oci-archive:", p)?;
        let (p, r) = path_ref(p);
        Ok(Destination::OciArchive(p, r))
    } else if let Some(p) = dest.strip_prefix("docker-archive:") {
        split("docker-archive:", p)?;
        let (p, r) = path_ref(p);
        Ok(Destination::DockerArchive(p, r))
    } else if let Some((transport, _)) = dest.split_once(':')
        && matches!(
            transport,
            "dir" | "oci" | "containers-storage" | "docker-daemon"
        )
    {
        Err(ImageError::PushTransport(transport.to_string()).into())
    } else {
        Ok(Destination::Registry(dest))
    }
}

impl Runtime {
    /// `pull NAME`: into the store; returns the image.
    pub fn pull(
        &self,
        name: &str,
        flags: &RegistryFlags,
        platform: Option<Platform>,
        tty: bool,
        report: &dyn Reporter,
    ) -> Result<storage::Image> {
        flags.check_decryption_keys()?;
        let opts = PullOptions {
            registry: options(flags, self.rootless)?,
            platform: platform.unwrap_or_default(),
            tty,
        };
        let retry = flags.retry;
        let mut failures = 0;
        let image = loop {
            match storage::registry::pull(&self.store, name, &opts, report) {
                Ok(image) => break image,
                Err(e) if failures < retry.max && super::pull_retry::retryable(&e) => {
                    let wait = retry.delay_for(failures);
                    failures += 1;
                    // podman's warning, word for word.
                    crate::warn!(
                        "Failed, retrying in {} ... ({failures}/{}). Error: {e}",
                        crate::health::duration::format(wait.as_nanos() as u64),
                        retry.max
                    );
                    std::thread::sleep(wait);
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.image_event(&image.id, name, "pull");
        Ok(image)
    }

    /// The image `run`/`create` use under a `--pull` policy: pulled when the policy says so.
    pub fn image_for_run(
        &self,
        name: &str,
        policy: PullPolicy,
        flags: &RegistryFlags,
        platform: Option<Platform>,
        report: &dyn Reporter,
    ) -> Result<storage::Image> {
        let local = self.store.lookup(name);
        let tty = false;
        match (policy, local) {
            (PullPolicy::Never, local) => Ok(local?),
            (PullPolicy::Missing, Ok(img)) => Ok(img),
            (PullPolicy::Missing | PullPolicy::Always, _) => {
                self.pull(name, flags, platform, tty, report)
            }
            (PullPolicy::Newer, Ok(img)) => {
                let opts = PullOptions {
                    registry: options(flags, self.rootless)?,
                    platform: platform.clone().unwrap_or_default(),
                    tty,
                };
                // podman's "newer": pull when the registry's manifest differs; an unreachable
                // registry keeps the local image.
                match storage::registry::pull::remote_digest(name, &opts) {
                    Ok(d) if d != img.digest => self.pull(name, flags, platform, tty, report),
                    _ => Ok(img),
                }
            }
            (PullPolicy::Newer, Err(_)) => self.pull(name, flags, platform, tty, report),
        }
    }

    /// `run`/`create --pull POLICY IMAGE`: applies the policy (the flag's word) and returns
    /// the name to create the container from. The fast path of every `run` (`missing`, image
    /// present) reads no registries.conf and touches no network.
    pub fn image_name_for_run(
        &self,
        name: &str,
        pull: &str,
        flags: &RegistryFlags,
        platform: Option<Platform>,
        report: &dyn Reporter,
    ) -> Result<String> {
        let policy: PullPolicy = pull.parse()?;
        flags.check_decryption_keys()?;
        if policy == PullPolicy::Missing && self.image(name).is_ok() {
            return Ok(name.to_string());
        }
        let img = self.image_for_run(name, policy, flags, platform, report)?;
        // A pull under another name (a short name resolved to a registry's) is created from
        // what the store now holds.
        if self.image(name).ok().map(|i| i.id) != Some(img.id.clone()) {
            return Ok(img.names.first().cloned().unwrap_or(img.id));
        }
        Ok(name.to_string())
    }

    /// `push IMAGE [DEST]`: returns the manifest digest for registries, `None` for archives.
    pub fn push(
        &self,
        name: &str,
        dest: Option<&str>,
        flags: &RegistryFlags,
        compression: LayerCompression,
        report: &dyn Reporter,
    ) -> Result<Option<String>> {
        self.push_signed(name, dest, flags, compression, report, None)
    }

    /// [`Runtime::push`], and with `sign` a simple signature of the pushed manifest written
    /// to the lookaside store (registries.d). The key is checked before anything is pushed.
    pub fn push_signed(
        &self,
        name: &str,
        dest: Option<&str>,
        flags: &RegistryFlags,
        compression: LayerCompression,
        report: &dyn Reporter,
        sign: Option<&Signing>,
    ) -> Result<Option<String>> {
        let image = self.store.lookup(name)?;
        let dest = dest.unwrap_or(name);
        self.image_event(&image.id, dest, "push");
        let archive = |path: &str, r: Option<&str>, oci: bool| -> Result<Option<String>> {
            let names = match r {
                Some(r) => vec![storage::reference::normalize_local(r)?],
                None => image.names.iter().take(1).cloned().collect(),
            };
            let item = SaveItem {
                image: image.clone(),
                names,
            };
            let path = Path::new(path);
            let file = File::create(path)
                .map_err(|e| LibpodError::io(format!("create {}", path.display()), e))?;
            let out = BufWriter::new(file);
            let result = if oci {
                save_oci_archive(&self.store, &item, out)
            } else {
                save_docker_archive(&self.store, std::slice::from_ref(&item), out)
            };
            if let Err(e) = result {
                let _ = std::fs::remove_file(path);
                return Err(e.into());
            }
            Ok(None)
        };
        let target = destination(dest)?;
        if let Some(s) = sign {
            if !matches!(target, Destination::Registry(_)) {
                return Err(LibpodError::Storage(storage::StorageError::Signature(
                    format!(
                        "--sign-by: {dest} is not a registry: only images pushed to a registry can be signed"
                    ),
                )));
            }
            signature::check_key(&s.key)?;
        }
        match target {
            Destination::OciArchive(p, r) => archive(p, r, true),
            Destination::DockerArchive(p, r) => archive(p, r, false),
            Destination::Registry(r) => {
                crate::trust::check_push(name)?;
                let full = storage::reference::normalize_docker(r)?;
                let opts = options(flags, self.rootless)?;
                let digest = storage::registry::push::push(
                    &self.store,
                    &image,
                    &full,
                    &opts,
                    compression,
                    report,
                )?;
                if let Some(s) = sign {
                    signature::sign(
                        &opts.lookaside,
                        &full,
                        &digest,
                        &s.key,
                        s.passphrase_file.as_deref(),
                        concat!("burrow ", env!("CARGO_PKG_VERSION")),
                    )?;
                }
                Ok(Some(digest))
            }
        }
    }
}

impl Runtime {
    /// `image sign --sign-by KEY [-d DIR] [--all] docker://REF...`: signs what each registry
    /// reference points to now (with `all`, each entry of an index too), writing to `dir` or
    /// the lookaside staging store. Returns the signature files written.
    pub fn image_sign(
        &self,
        names: &[String],
        sign: &Signing,
        dir: Option<&Path>,
        all: bool,
        flags: &RegistryFlags,
    ) -> Result<Vec<std::path::PathBuf>> {
        signature::check_key(&sign.key)?;
        let opts = options(flags, self.rootless)?;
        let lookaside = match dir {
            Some(d) => signature::Lookaside {
                builtin: Some(format!("file://{}", d.display())),
                ..Default::default()
            },
            None => opts.lookaside.clone(),
        };
        let mut written = Vec::new();
        for name in names {
            let Some(remote) = name.strip_prefix("docker://") else {
                return Err(LibpodError::Storage(storage::StorageError::Signature(
                    format!(
                        "{name}: only docker:// references can be signed: name the image in its registry (docker://REGISTRY/REPO:TAG)"
                    ),
                )));
            };
            let full = storage::reference::normalize_docker(remote)?;
            let (top, instances) =
                storage::registry::push_list::remote_manifest_digests(&full, &opts)?;
            let digests = std::iter::once(top).chain(instances.into_iter().filter(|_| all));
            for digest in digests {
                written.push(signature::sign(
                    &lookaside,
                    &full,
                    &digest,
                    &sign.key,
                    sign.passphrase_file.as_deref(),
                    concat!("burrow ", env!("CARGO_PKG_VERSION")),
                )?);
            }
        }
        Ok(written)
    }

    /// Fails unless the user's GPG keyring has the secret key `key` (before a signed push).
    pub fn check_signing_key(&self, key: &str) -> Result<()> {
        Ok(signature::check_key(key)?)
    }

    /// Signs `dest` (a registry reference just pushed) at manifest `digest` into the lookaside
    /// staging store (`manifest push --sign-by`).
    pub fn sign_pushed(
        &self,
        dest: &str,
        digest: &str,
        sign: &Signing,
        flags: &RegistryFlags,
    ) -> Result<std::path::PathBuf> {
        let dest = dest.strip_prefix("docker://").unwrap_or(dest);
        let full = storage::reference::normalize_docker(dest)?;
        let opts = options(flags, self.rootless)?;
        Ok(signature::sign(
            &opts.lookaside,
            &full,
            digest,
            &sign.key,
            sign.passphrase_file.as_deref(),
            concat!("burrow ", env!("CARGO_PKG_VERSION")),
        )?)
    }
}

/// `push --sign-by KEY [--sign-passphrase-file FILE]`.
#[derive(Clone, Debug)]
pub struct Signing {
    /// A GPG key ID, fingerprint or user ID of a secret key in the user's keyring.
    pub key: String,
    pub passphrase_file: Option<std::path::PathBuf>,
}
