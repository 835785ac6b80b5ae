//! Image commands: images, rmi, load, import, tag, image inspect/exists and the `image` group.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use libpod::Runtime;
use serde_json::{Value, json};

use super::container::print_formatted;
use super::{Failure, Outcome};
use crate::output::{ago, human_size, print_table};

#[derive(Args, Debug)]
pub struct ImagesArgs {
    /// Show all images (default hides intermediate images)
    #[arg(short = 'a', long)]
    all: bool,
    /// Display only image IDs
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Show digests
    #[arg(long)]
    digests: bool,
    /// Change the output format to JSON or a Go template
    #[arg(long)]
    format: Option<String>,
    /// Filter by reference (repository name)
    #[arg(long)]
    filter: Vec<String>,
    /// Image name to list
    reference: Option<String>,
}

fn split_name(name: &str) -> (String, String) {
    let repo = libpod::reference::repository(name).to_string();
    let tag = name[repo.len()..].trim_start_matches(':').to_string();
    (repo, if tag.is_empty() { "<none>".into() } else { tag })
}

fn image_rows(rt: &Runtime) -> Result<Vec<(libpod::Image, String)>, Failure> {
    let mut rows = Vec::new();
    let mut images = rt.images()?;
    images.sort_by_key(|i| std::cmp::Reverse(i.created));
    for img in images {
        if img.names.is_empty() {
            rows.push((img, "<none>:<none>".to_string()));
        } else {
            for n in img.names.clone() {
                rows.push((img.clone(), n));
            }
        }
    }
    Ok(rows)
}

pub fn images(rt: &Runtime, a: ImagesArgs) -> Outcome {
    let _ = a.all;
    let mut rows = image_rows(rt)?;
    let mut refs: Vec<String> = a
        .filter
        .iter()
        .filter_map(|f| f.strip_prefix("reference=").map(str::to_string))
        .collect();
    if let Some(r) = &a.reference {
        refs.push(r.clone());
    }
    if let Some(bad) = a.filter.iter().find(|f| !f.starts_with("reference=")) {
        return Err(Failure::new(format!(
            "invalid image filter \"{bad}\": only reference= is supported so far"
        )));
    }
    if !refs.is_empty() {
        rows.retain(|(_, n)| refs.iter().any(|r| n.contains(r.as_str())));
    }
    let id = |img: &libpod::Image| {
        if a.no_trunc {
            format!("sha256:{}", img.id)
        } else {
            img.id[..12].to_string()
        }
    };
    if a.quiet {
        let mut seen = std::collections::HashSet::new();
        for (img, _) in &rows {
            if seen.insert(img.id.clone()) {
                println!("{}", id(img));
            }
        }
        return Ok(0);
    }
    if let Some(f) = &a.format {
        let items = rows
            .iter()
            .map(|(img, n)| {
                let (repo, tag) = split_name(n);
                json!({
                    "ID": id(img), "Id": img.id, "Repository": repo, "Tag": tag, "Digest": img.digest,
                    "CreatedAt": img.created.to_rfc3339(), "CreatedSince": ago(img.created.timestamp_nanos_opt().unwrap_or(0)),
                    "Size": human_size(img.size), "Names": img.names,
                })
            })
            .collect();
        return print_formatted(f, items, &|h| match h {
            "ID" => "IMAGE ID".into(),
            "CreatedSince" => "CREATED".into(),
            other => other.to_uppercase(),
        });
    }
    let mut header = vec!["REPOSITORY", "TAG"];
    if a.digests {
        header.push("DIGEST");
    }
    header.extend(["IMAGE ID", "CREATED", "SIZE"]);
    let mut table = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    for (img, n) in &rows {
        let (repo, tag) = if n == "<none>:<none>" {
            ("<none>".into(), "<none>".into())
        } else {
            split_name(n)
        };
        let mut row = vec![repo, tag];
        if a.digests {
            row.push(img.digest.clone());
        }
        row.extend([
            id(img),
            ago(img.created.timestamp_nanos_opt().unwrap_or(0)),
            human_size(img.size),
        ]);
        table.push(row);
    }
    print_table(&table);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct RmiArgs {
    /// Remove all images
    #[arg(short = 'a', long)]
    all: bool,
    /// Force removal of the image and any containers using it
    #[arg(short = 'f', long)]
    force: bool,
    names: Vec<String>,
}

pub fn rmi(rt: &Runtime, a: RmiArgs) -> Outcome {
    let names: Vec<String> = if a.all {
        rt.images()?.into_iter().map(|i| i.id).collect()
    } else if a.names.is_empty() {
        return Err(Failure::new("image name or ID must be specified"));
    } else {
        a.names
    };
    let mut last: Option<Failure> = None;
    for n in &names {
        match rt.remove_image(n, a.force) {
            Ok(r) => {
                for u in r.untagged {
                    println!("Untagged: {u}");
                }
                if let Some(d) = r.deleted {
                    println!("Deleted: {d}");
                }
            }
            Err(e) => {
                if let Some(prev) = last.take() {
                    eprintln!("Error: {}", prev.message);
                }
                last = Some(e.into());
            }
        }
    }
    match last {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Load image from specified file instead of standard input
    #[arg(short = 'i', long)]
    input: Option<PathBuf>,
    /// Suppress the output
    #[arg(short = 'q', long)]
    quiet: bool,
}

fn open_input(path: Option<&PathBuf>) -> Result<Box<dyn Read>, Failure> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            Ok(Box::new(std::fs::File::open(p).map_err(|e| {
                Failure::new(format!("open {}: {e}", p.display()))
            })?))
        }
        _ => {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                return Err(Failure::new(
                    "cannot read from terminal, use command-line redirection or the --input flag",
                ));
            }
            Ok(Box::new(std::io::stdin()))
        }
    }
}

pub fn load(rt: &Runtime, a: LoadArgs) -> Outcome {
    let input = open_input(a.input.as_ref())?;
    let loaded = rt.load(input)?;
    let _ = a.quiet;
    let names: Vec<String> = loaded
        .iter()
        .flat_map(|i| {
            if i.names.is_empty() {
                vec![format!("sha256:{}", i.id)]
            } else {
                i.names.clone()
            }
        })
        .collect();
    println!("Loaded image: {}", names.join("\nLoaded image: "));
    Ok(0)
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Apply the following possible instructions to the created image: CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | STOPSIGNAL | USER | VOLUME | WORKDIR
    #[arg(short = 'c', long)]
    change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    message: Option<String>,
    /// Suppress output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Tarball path, or - for standard input
    path: PathBuf,
    /// Name of the new image
    reference: Option<String>,
}

pub fn import(rt: &Runtime, a: ImportArgs) -> Outcome {
    let input = open_input(Some(&a.path))?;
    let img = rt.import(
        input,
        a.reference.as_deref(),
        &a.change,
        a.message.as_deref(),
    )?;
    if !a.quiet {
        println!("sha256:{}", img.id);
    } else {
        println!("{}", img.id);
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct TagArgs {
    image: String,
    #[arg(required = true)]
    names: Vec<String>,
}

pub fn tag(rt: &Runtime, a: TagArgs) -> Outcome {
    rt.tag(&a.image, &a.names)?;
    Ok(0)
}

/// podman's image inspect shape.
pub fn inspect_json(rt: &Runtime, name: &str) -> Result<Value, Failure> {
    let img = rt.image(name)?;
    let cfg = rt.image_config(&img)?;
    let config = serde_json::to_value(&cfg).unwrap_or(Value::Null);
    let c = config.get("config").cloned().unwrap_or(json!({}));
    let rename = |v: &Value| -> Value {
        let mut out = serde_json::Map::new();
        if let Some(o) = v.as_object() {
            for (k, val) in o {
                let key = match k.as_str() {
                    "User" | "Env" | "Entrypoint" | "Cmd" | "Volumes" | "WorkingDir" | "Labels"
                    | "StopSignal" | "ExposedPorts" => k.clone(),
                    other => other.to_string(),
                };
                out.insert(key, val.clone());
            }
        }
        Value::Object(out)
    };
    Ok(json!({
        "Id": img.id,
        "Digest": img.digest,
        "RepoTags": img.names,
        "RepoDigests": img.names.iter().map(|n| format!("{}@{}", libpod::reference::repository(n), img.digest)).collect::<Vec<_>>(),
        "Parent": "",
        "Comment": config.get("history").and_then(|h| h.as_array()).and_then(|h| h.last()).and_then(|h| h.get("comment")).cloned().unwrap_or(json!("")),
        "Created": img.created.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "Config": rename(&c),
        "Version": "",
        "Author": config.get("author").cloned().unwrap_or(json!("")),
        "Architecture": config.get("architecture").cloned().unwrap_or(json!("")),
        "Os": config.get("os").cloned().unwrap_or(json!("")),
        "Size": img.size,
        "VirtualSize": img.size,
        "GraphDriver": {"Name": rt.storage_driver(), "Data": {}},
        "RootFS": {"Type": "layers", "Layers": config.get("rootfs").and_then(|r| r.get("diff_ids")).cloned().unwrap_or(json!([]))},
        "Labels": c.get("Labels").cloned().unwrap_or(Value::Null),
        "Annotations": {},
        "ManifestType": "application/vnd.oci.image.manifest.v1+json",
        "User": c.get("User").cloned().unwrap_or(json!("")),
        "History": config.get("history").cloned().unwrap_or(json!([])),
        "NamesHistory": img.names,
    }))
}

#[derive(Args, Debug)]
pub struct ImageCmd {
    #[command(subcommand)]
    cmd: ImageSub,
}

#[derive(Subcommand, Debug)]
enum ImageSub {
    /// List images in local storage
    #[command(alias = "ls")]
    List(ImagesArgs),
    /// Remove one or more images from local storage
    Rm(RmiArgs),
    /// Load image(s) from a tar archive
    Load(LoadArgs),
    /// Import a tarball to create a filesystem image
    Import(ImportArgs),
    /// Add an additional name to a local image
    Tag(TagArgs),
    /// Display the configuration of an image
    Inspect(ImageInspectArgs),
    /// Check if an image exists in local storage
    Exists(ImageExistsArgs),
}

#[derive(Args, Debug)]
pub struct ImageInspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long)]
    format: Option<String>,
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ImageExistsArgs {
    name: String,
}

pub fn group(rt: &Runtime, c: ImageCmd) -> Outcome {
    match c.cmd {
        ImageSub::List(a) => images(rt, a),
        ImageSub::Rm(a) => rmi(rt, a),
        ImageSub::Load(a) => load(rt, a),
        ImageSub::Import(a) => import(rt, a),
        ImageSub::Tag(a) => tag(rt, a),
        ImageSub::Inspect(a) => {
            let mut items = Vec::new();
            for n in &a.names {
                items.push(inspect_json(rt, n)?);
            }
            match &a.format {
                Some(f) if f != "json" => {
                    for i in &items {
                        println!("{}", crate::template::render(f, i).map_err(Failure::new)?);
                    }
                    Ok(0)
                }
                _ => {
                    crate::output::print_json(&Value::Array(items));
                    Ok(0)
                }
            }
        }
        ImageSub::Exists(a) => Ok(if rt.image(&a.name).is_ok() { 0 } else { 1 }),
    }
}
