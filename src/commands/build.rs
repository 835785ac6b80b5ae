//! `build` (alias `image build`): flags to [`libpod::builder::BuildOptions`]; the executor lives
//! in libpod. Prints podman's step lines, then the image ID on stdout.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use libpod::Runtime;
use libpod::builder::BuildOptions;

use super::registry::RegistryArgs;
use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Name and optionally a tag (NAME[:TAG]) for the built image (repeatable)
    #[arg(short = 't', long = "tag", value_name = "NAME")]
    tags: Vec<String>,
    /// Containerfile to build from ('-' reads it from stdin)
    #[arg(short = 'f', long = "file", value_name = "PATHNAME")]
    file: Option<PathBuf>,
    /// Argument=value for the build (a bare NAME takes the value from the environment)
    #[arg(long = "build-arg", value_name = "ARG=VALUE")]
    build_arg: Vec<String>,
    /// File of ARG=VALUE lines for the build
    #[arg(long = "build-arg-file", value_name = "ARGFILE")]
    build_arg_file: Vec<PathBuf>,
    /// Set the target build stage to build
    #[arg(long)]
    target: Option<String>,
    /// Set metadata for an image (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    label: Vec<String>,
    /// Set metadata for an image index (accepted; no index is written)
    #[arg(long, value_name = "KEY=VALUE")]
    annotation: Vec<String>,
    /// Set environment variables in the image (KEY=VALUE)
    #[arg(long, value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Format of the built image's manifest and metadata (oci, docker)
    #[arg(long, default_value = "oci")]
    format: String,
    /// Set the OS/ARCH of the built image (the machine's own only)
    #[arg(long)]
    platform: Option<String>,
    /// Write the image ID to the file
    #[arg(long, value_name = "FILE")]
    iidfile: Option<PathBuf>,
    /// Suppress output messages
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not use existing cached images for the container build
    #[arg(long = "no-cache")]
    no_cache: bool,
    /// Pull image policy (always, missing, never, newer)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "always", value_name = "POLICY")]
    pull: Option<String>,
    /// Use intermediate layers during the build process (always on; accepted)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    layers: Option<bool>,
    /// Network for RUN instructions (host, none, slirp4netns)
    #[arg(long, value_name = "MODE")]
    network: Option<String>,
    /// Secret file to expose to RUN --mount=type=secret (id=ID,src=PATH)
    #[arg(long, value_name = "id=ID,src=PATH")]
    secret: Vec<String>,
    /// Squash all of the image's new layers into a single new layer
    #[arg(long)]
    squash: bool,
    /// Squash all layers, base image included, into a single layer
    #[arg(long = "squash-all")]
    squash_all: bool,
    /// Set the created timestamp of the image (seconds since the epoch)
    #[arg(long, value_name = "SECONDS")]
    timestamp: Option<i64>,
    /// Omit build history information in the built image
    #[arg(long = "omit-history")]
    omit_history: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Add the image to the specified manifest list. Creates manifest list if it does not exist
    #[arg(long, value_name = "MANIFEST")]
    manifest: Option<String>,
    /// The build context: a directory or a tar file (default: the current directory)
    context: Option<PathBuf>,
}

fn kv_lines(lines: &[String], what: &str) -> Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    for l in lines {
        match l.split_once('=') {
            Some((k, v)) if !k.is_empty() => out.push((k.to_string(), v.to_string())),
            None if !l.is_empty() => match std::env::var(l) {
                Ok(v) => out.push((l.clone(), v)),
                Err(_) => continue, // podman: a bare NAME not in the environment is skipped
            },
            _ => {
                return Err(Failure::new(format!("invalid {what} {l:?}: use KEY=VALUE")));
            }
        }
    }
    Ok(out)
}

impl TryFrom<BuildArgs> for BuildOptions {
    type Error = Failure;
    fn try_from(a: BuildArgs) -> Result<BuildOptions, Failure> {
        if !matches!(a.format.as_str(), "oci" | "docker") {
            return Err(Failure::new(format!(
                "unrecognized image type \"{}\": use oci or docker",
                a.format
            )));
        }
        if let Some(p) = &a.platform {
            libpod::builder::check_platform(p)
                .map_err(|e| Failure::new(format!("--platform {p}: {e}")))?;
        }
        let mut build_args: HashMap<String, String> = HashMap::new();
        for f in &a.build_arg_file {
            let text = std::fs::read_to_string(f)
                .map_err(|e| Failure::new(format!("--build-arg-file {}: {e}", f.display())))?;
            let lines: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect();
            build_args.extend(kv_lines(&lines, "--build-arg-file line")?);
        }
        build_args.extend(kv_lines(&a.build_arg, "--build-arg")?);
        let mut secrets = HashMap::new();
        for s in &a.secret {
            let mut id = None;
            let mut src = None;
            for field in s.split(',') {
                match field.split_once('=') {
                    Some(("id", v)) => id = Some(v.to_string()),
                    Some(("src" | "source", v)) => src = Some(PathBuf::from(v)),
                    Some(("type", "file")) => {}
                    _ => {
                        return Err(Failure::new(format!(
                            "invalid --secret {s:?}: use id=ID,src=PATH"
                        )));
                    }
                }
            }
            let id = id.ok_or_else(|| Failure::new(format!("--secret {s:?}: id= is required")))?;
            let src = src.unwrap_or_else(|| PathBuf::from(&id));
            let src = std::fs::canonicalize(&src)
                .map_err(|e| Failure::new(format!("--secret {s:?}: {}: {e}", src.display())))?;
            secrets.insert(id, src);
        }
        // --layers is podman's default (a cached image per step); =false is accepted too.
        let _ = a.layers;
        let mut annotations = std::collections::HashMap::new();
        for s in &a.annotation {
            let (k, v) = s.split_once('=').ok_or_else(|| {
                Failure::new(format!("invalid --annotation {s:?}: use KEY=VALUE"))
            })?;
            annotations.insert(k.to_string(), v.to_string());
        }
        let context = a.context.unwrap_or_else(|| PathBuf::from("."));
        Ok(BuildOptions {
            context,
            file: a.file,
            tags: a.tags,
            build_args,
            target: a.target,
            labels: a.label,
            env: a.env,
            pull: a.pull.as_deref().unwrap_or("missing").parse()?,
            registry: a.registry.flags(),
            no_cache: a.no_cache,
            quiet: a.quiet,
            network: a.network,
            secrets,
            squash_all: a.squash_all,
            squash: a.squash,
            timestamp: a.timestamp,
            omit_history: a.omit_history,
            annotations,
        })
    }
}

pub fn build(rt: &Runtime, a: BuildArgs) -> Outcome {
    let iidfile = a.iidfile.clone();
    let manifest = a.manifest.clone();
    if let Some(list) = &manifest
        && rt.manifest_list(list).is_err()
        && rt.image(list).is_ok()
    {
        // Refused before the build, which would otherwise leave an unnamed image behind.
        return Err(Failure::new(format!(
            "--manifest {list}: an image has that name, not a manifest list: choose another name"
        )));
    }
    let opts = BuildOptions::try_from(a)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let image = rt.build(&opts, &mut out).map_err(|e| Failure {
        message: e.message,
        code: e.code,
    })?;
    if let Some(p) = &iidfile {
        std::fs::write(p, format!("sha256:{}", image.id))
            .map_err(|e| Failure::new(format!("write {}: {e}", p.display())))?;
    }
    if let Some(list) = &manifest {
        // podman's --manifest: the list is made if it does not exist, else the image is added.
        rt.manifest_create(
            list,
            std::slice::from_ref(&image.id),
            &opts.registry,
            &[],
            true,
        )?;
    }
    let _ = writeln!(out, "{}", image.id);
    Ok(0)
}
