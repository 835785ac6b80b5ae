//! `manifest`: create, add, annotate, inspect, push, remove, rm and exists for manifest lists
//! (OCI image indexes) kept in the local store.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::manifest_list::InstanceOptions;

use super::registry::{Progress, RegistryArgs};
use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct ManifestCmd {
    #[command(subcommand)]
    cmd: ManifestSub,
}

#[derive(Subcommand, Debug)]
enum ManifestSub {
    /// Create manifest list or image index
    Create(CreateArgs),
    /// Add images to a manifest list or image index
    Add(AddArgs),
    /// Add or update information about an entry in a manifest list or image index
    Annotate(AnnotateArgs),
    /// Display the contents of a manifest list or image index
    Inspect(InspectArgs),
    /// Push a manifest list or image index to a registry
    Push(PushArgs),
    /// Remove an item from a manifest list or image index
    Remove(RemoveArgs),
    /// Remove manifest list or image index from local storage
    Rm(RmArgs),
    /// Check if a manifest list exists in local storage
    Exists(ExistsArgs),
}

/// The instance flags `add` and `annotate` share.
#[derive(Args, Debug, Default)]
struct InstanceArgs {
    /// Set an annotation on the entry (KEY=VALUE)
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    annotation: Vec<String>,
    /// Override the architecture of the entry
    #[arg(long, value_name = "ARCH")]
    arch: Option<String>,
    /// Override the operating system of the entry
    #[arg(long, value_name = "OS")]
    os: Option<String>,
    /// Override the variant of the entry
    #[arg(long, value_name = "VARIANT")]
    variant: Option<String>,
    /// Override the OS version of the entry
    #[arg(long = "os-version", value_name = "VERSION")]
    os_version: Option<String>,
    /// Override the OS features of the entry
    #[arg(long, value_name = "FEATURES", value_delimiter = ',')]
    features: Vec<String>,
}

fn annotations(specs: &[String]) -> Result<Vec<(String, String)>, Failure> {
    specs
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Failure::new(format!(
                "no value given for annotation {s:?}: use --annotation KEY=VALUE"
            ))),
        })
        .collect()
}

impl InstanceArgs {
    fn options(&self) -> Result<InstanceOptions, Failure> {
        Ok(InstanceOptions {
            arch: self.arch.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
            os_version: self.os_version.clone(),
            features: self.features.clone(),
            annotations: annotations(&self.annotation)?,
        })
    }
}

#[derive(Args, Debug)]
struct CreateArgs {
    /// Add to the list if it exists already, instead of failing
    #[arg(short = 'a', long)]
    amend: bool,
    /// Set an annotation on the index (KEY=VALUE)
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    annotation: Vec<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Name of the list
    list: String,
    /// Images to add to the list
    images: Vec<String>,
}

#[derive(Args, Debug)]
struct AddArgs {
    /// Add every image of a registry's manifest list, not only this platform's
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    instance: InstanceArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    list: String,
    #[arg(required = true)]
    images: Vec<String>,
}

#[derive(Args, Debug)]
struct AnnotateArgs {
    #[command(flatten)]
    instance: InstanceArgs,
    /// Apply the annotations to the index itself
    #[arg(long)]
    index: bool,
    list: String,
    /// Digest of the entry, or a local image in the list
    instance_name: Option<String>,
}

#[derive(Args, Debug)]
struct InspectArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    list: String,
}

#[derive(Args, Debug)]
struct PushArgs {
    /// Push the images the list refers to as well as the list (always done)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", action = clap::ArgAction::Set)]
    all: bool,
    /// Remove the manifest list after a successful push
    #[arg(long)]
    rm: bool,
    /// Do not print progress information
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Compression format of the pushed layers (gzip or zstd)
    #[arg(long = "compression-format", default_value = "gzip")]
    compression_format: String,
    /// Write the digest of the pushed list to this file
    #[arg(long = "digestfile", value_name = "PATH")]
    digestfile: Option<PathBuf>,
    #[command(flatten)]
    sign: super::registry::PushSignArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    list: String,
    destination: Option<String>,
}

#[derive(Args, Debug)]
struct RemoveArgs {
    list: String,
    digest: String,
}

#[derive(Args, Debug)]
struct RmArgs {
    /// Ignore lists that do not exist
    #[arg(short = 'i', long)]
    ignore: bool,
    #[arg(required = true)]
    lists: Vec<String>,
}

#[derive(Args, Debug)]
struct ExistsArgs {
    list: String,
}

pub fn group(rt: &Runtime, c: ManifestCmd) -> Outcome {
    match c.cmd {
        ManifestSub::Create(a) => {
            let ann = annotations(&a.annotation)?;
            let l = rt.manifest_create(&a.list, &a.images, &a.registry.flags(), &ann, a.amend)?;
            println!("{}", l.id);
        }
        ManifestSub::Add(a) => {
            let opts = a.instance.options()?;
            let mut id = String::new();
            for img in &a.images {
                id = if a.all {
                    rt.manifest_add_all(&a.list, img, &a.registry.flags(), &opts)?
                        .id
                } else {
                    rt.manifest_add(&a.list, img, &a.registry.flags(), &opts)?
                        .0
                        .id
                };
            }
            println!("{id}");
        }
        ManifestSub::Annotate(a) => {
            let opts = a.instance.options()?;
            let instance = match (&a.instance_name, a.index) {
                (Some(i), false) => Some(i.as_str()),
                (_, true) => None,
                (None, false) => {
                    return Err(Failure::new(
                        "manifest annotate needs an image or digest of the list, or --index",
                    ));
                }
            };
            println!("{}", rt.manifest_annotate(&a.list, instance, &opts)?.id);
        }
        ManifestSub::Inspect(a) => {
            println!("{}", rt.manifest_inspect(&a.list, &a.registry.flags())?);
        }
        ManifestSub::Push(a) => {
            let compression = a
                .compression_format
                .parse()
                .map_err(|e: libpod::storage_registry::StorageError| Failure::new(e.to_string()))?;
            let (signing, sigstore) = a.sign.keys()?;
            let dest = a.destination.as_deref().unwrap_or(&a.list);
            let sigstore_key = match &sigstore {
                Some(s) => Some(rt.check_sigstore_signing(dest, s, &a.registry.flags())?),
                None => None,
            };
            if let Some(s) = &signing {
                rt.check_signing_key(&s.key)?;
            }
            let progress = Progress::new(a.quiet);
            let digest = rt.manifest_push(
                &a.list,
                a.destination.as_deref(),
                &a.registry.flags(),
                compression,
                a.rm,
                &progress,
            )?;
            if let Some(s) = &signing {
                rt.sign_pushed(dest, &digest, s, &a.registry.flags())?;
            }
            if let Some(key) = &sigstore_key {
                rt.sigstore_sign_pushed(dest, &digest, key, &a.registry.flags())?;
            }
            if let Some(path) = &a.digestfile {
                std::fs::write(path, &digest).map_err(|e| {
                    Failure::new(format!("writing digest file {}: {e}", path.display()))
                })?;
            }
        }
        ManifestSub::Remove(a) => {
            let l = rt.manifest_remove(&a.list, &a.digest)?;
            println!("{} :{}", l.id, a.digest);
        }
        ManifestSub::Rm(a) => {
            let mut failure = None;
            for name in &a.lists {
                match rt.manifest_rm(name) {
                    Ok(l) => {
                        for n in &l.names {
                            println!("Untagged: {n}");
                        }
                        println!("Deleted: {}", l.id);
                    }
                    Err(_) if a.ignore => {}
                    Err(e) => {
                        if let Some(prev) = failure.replace(Failure::from(e)) {
                            eprintln!("Error: {}", prev.message);
                        }
                    }
                }
            }
            if let Some(f) = failure {
                return Err(f);
            }
        }
        ManifestSub::Exists(a) => {
            return Ok(if rt.manifest_list(&a.list).is_ok() {
                0
            } else {
                1
            });
        }
    }
    Ok(0)
}
