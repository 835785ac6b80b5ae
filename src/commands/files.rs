//! `cp`, `commit` and `diff`: files between host and containers, a container's changes as
//! a new image, and the list of those changes.

use std::path::PathBuf;

use clap::Args;
use libpod::Runtime;
use libpod::runtime::{CommitOptions, CopyEnd, CopyOptions};
use serde_json::json;

use super::{Failure, Outcome};
use crate::output::print_json;

#[derive(Args, Debug)]
pub struct CpArgs {
    /// Source: a host path, CONTAINER:PATH, or - for a tar stream on standard input
    src: String,
    /// Destination: a host path, CONTAINER:PATH, or - for a tar stream on standard output
    dest: String,
    /// Chown copied files to the primary uid/gid of the destination container
    #[arg(short = 'a', long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    archive: bool,
    /// Allow directories to be overwritten with non-directories and vice versa
    #[arg(long)]
    overwrite: bool,
}

/// `CTR:PATH` names a container path; a path starting with `/` or `.` is always the host's
/// (podman's rule, so a host file with a colon can be given as `./a:b`).
fn copy_end(arg: &str) -> CopyEnd {
    if arg == "-" {
        return CopyEnd::Stream;
    }
    if !arg.starts_with('/')
        && !arg.starts_with('.')
        && let Some((ctr, path)) = arg.split_once(':')
        && !ctr.is_empty()
    {
        return CopyEnd::Container {
            name: ctr.to_string(),
            path: path.to_string(),
        };
    }
    CopyEnd::Host(arg.to_string())
}

pub fn cp(rt: &Runtime, a: CpArgs) -> Outcome {
    let src = copy_end(&a.src);
    let dest = copy_end(&a.dest);
    let opts = CopyOptions {
        archive: a.archive,
        overwrite: a.overwrite,
    };
    match (&src, &dest) {
        (CopyEnd::Container { .. }, CopyEnd::Container { .. }) => Err(Failure::new(
            "copying between containers is not supported: copy to the host first",
        )),
        (CopyEnd::Container { .. }, _) | (_, CopyEnd::Container { .. }) => {
            rt.copy(&src, &dest, &opts)?;
            Ok(0)
        }
        _ => Err(Failure::new(
            "one of the source and the destination must be CONTAINER:PATH",
        )),
    }
}

#[derive(Args, Debug)]
pub struct CommitArgs {
    /// The container to commit
    container: String,
    /// The new image's name
    image: Option<String>,
    /// Set the author for the image committed
    #[arg(short = 'a', long)]
    author: Option<String>,
    /// Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR
    #[arg(short = 'c', long)]
    change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    message: Option<String>,
    /// Pause container during commit
    #[arg(short = 'p', long)]
    pause: bool,
    /// Squash newly built layers into a single new layer
    #[arg(long)]
    squash: bool,
    /// Suppress image ID output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Format of the image manifest and metadata (oci or docker)
    #[arg(short = 'f', long, default_value = "oci")]
    format: String,
    /// Write the image ID to the file
    #[arg(long)]
    iidfile: Option<PathBuf>,
}

pub fn commit(rt: &Runtime, a: CommitArgs) -> Outcome {
    if !matches!(a.format.as_str(), "oci" | "docker") {
        return Err(Failure::new(format!(
            "unrecognized image type \"{}\": use oci or docker",
            a.format
        )));
    }
    if a.format == "docker" {
        // Said out loud rather than silently giving a different format.
        libpod::warn!(
            "--format docker: the image is stored with an OCI manifest; `burrow save` (docker-archive by default) writes it in docker's format"
        );
    }
    let image = rt.commit(
        &a.container,
        &CommitOptions {
            name: a.image,
            author: a.author,
            changes: a.change,
            message: a.message,
            pause: a.pause,
            squash: a.squash,
            docker_format: a.format == "docker",
        },
    )?;
    if let Some(p) = &a.iidfile {
        std::fs::write(p, format!("sha256:{}", image.id))
            .map_err(|e| Failure::new(format!("write {}: {e}", p.display())))?;
    }
    if !a.quiet {
        eprintln!("Writing manifest to image destination");
    }
    println!("{}", image.id);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// A container or an image
    name: String,
    /// Compared to this container or image instead of the parent
    other: Option<String>,
    /// Change the output format (json)
    #[arg(long)]
    format: Option<String>,
}

pub fn diff(rt: &Runtime, a: DiffArgs) -> Outcome {
    if a.other.is_some() {
        return Err(Failure::new(
            "comparing two objects is not supported: give one container or image",
        ));
    }
    let changes = rt.diff(&a.name)?;
    match a.format.as_deref() {
        None => {
            for c in &changes {
                println!("{} {}", c.kind, c.path);
            }
        }
        Some("json") => {
            let pick = |k: char| -> Vec<&str> {
                changes
                    .iter()
                    .filter(|c| c.kind == k)
                    .map(|c| c.path.as_str())
                    .collect()
            };
            let mut out = serde_json::Map::new();
            for (key, k) in [("changed", 'C'), ("added", 'A'), ("deleted", 'D')] {
                let v = pick(k);
                if !v.is_empty() {
                    out.insert(key.into(), json!(v));
                }
            }
            print_json(&serde_json::Value::Object(out));
        }
        Some(f) => {
            return Err(Failure::new(format!(
                "unknown --format \"{f}\": diff supports only json"
            )));
        }
    }
    Ok(0)
}
