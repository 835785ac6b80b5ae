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
    /// Filter output based on conditions provided (dangling, label, reference, before, since, id, digest, intermediate)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Sort by created, id, repository, size or tag
    #[arg(long, default_value = "created")]
    sort: String,
    /// Do not print column headings
    #[arg(short = 'n', long)]
    noheading: bool,
    /// Image name to list
    reference: Option<String>,
}

fn split_name(name: &str) -> (String, String) {
    let repo = libpod::reference::repository(name).to_string();
    let tag = name[repo.len()..].trim_start_matches(':').to_string();
    (repo, if tag.is_empty() { "<none>".into() } else { tag })
}

/// One row per name (an untagged image is one `<none>:<none>` row), sorted as `--sort` asks.
fn image_rows(images: Vec<libpod::Image>, sort: &str) -> Vec<(libpod::Image, String)> {
    let mut rows = Vec::new();
    for img in images {
        if img.names.is_empty() {
            rows.push((img, "<none>:<none>".to_string()));
        } else {
            for n in img.names.clone() {
                rows.push((img.clone(), n));
            }
        }
    }
    match sort {
        "id" => rows.sort_by(|a, b| a.0.id.cmp(&b.0.id)),
        "repository" => rows.sort_by(|a, b| split_name(&a.1).0.cmp(&split_name(&b.1).0)),
        "tag" => rows.sort_by(|a, b| split_name(&a.1).1.cmp(&split_name(&b.1).1)),
        "size" => rows.sort_by_key(|r| r.0.size),
        _ => rows.sort_by_key(|r| std::cmp::Reverse(r.0.created)),
    }
    rows
}

const SORT_FIELDS: [&str; 5] = ["created", "id", "repository", "size", "tag"];

pub fn images(rt: &Runtime, a: ImagesArgs) -> Outcome {
    if !SORT_FIELDS.contains(&a.sort.as_str()) {
        return Err(Failure::new(format!(
            "\"{}\" is not a valid field for sorting. Choose from: {}",
            a.sort,
            SORT_FIELDS.join(", ")
        )));
    }
    let mut filters = a.filter.clone();
    if let Some(r) = &a.reference {
        filters.push(format!("reference={r}"));
    }
    let rows = image_rows(rt.images_filtered(&filters, a.all)?, &a.sort);
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
    if a.noheading {
        table.remove(0);
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
    let manifest = rt.image_manifest_json(&img)?;
    let manifest_type = manifest
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or("application/vnd.oci.image.manifest.v1+json")
        .to_string();
    // podman: an OCI image's comment is its first history entry's; a docker one's is the
    // config's own `comment` field.
    let comment = if manifest_type.contains("docker") {
        config.get("comment").cloned()
    } else {
        config
            .get("history")
            .and_then(|h| h.as_array())
            .and_then(|h| h.first())
            .and_then(|h| h.get("comment"))
            .cloned()
    }
    .unwrap_or(json!(""));
    Ok(json!({
        "Id": img.id,
        "Digest": img.digest,
        "RepoTags": img.names,
        "RepoDigests": repo_digests(&img),
        "Parent": rt.image_parent(&img)?.map(|p| p.id).unwrap_or_default(),
        "Comment": comment,
        "Created": img.created.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "Config": rename(&c),
        "Version": "",
        "Author": config.get("author").cloned().unwrap_or(json!("")),
        "Architecture": config.get("architecture").cloned().unwrap_or(json!("")),
        "Os": config.get("os").cloned().unwrap_or(json!("")),
        "Size": img.size,
        "VirtualSize": img.size,
        "GraphDriver": {"Name": rt.storage_driver(), "Data": graph_data(rt, &img)?},
        "RootFS": {"Type": "layers", "Layers": config.get("rootfs").and_then(|r| r.get("diff_ids")).cloned().unwrap_or(json!([]))},
        "Labels": c.get("Labels").cloned().unwrap_or(Value::Null),
        "Annotations": manifest.get("annotations").cloned().unwrap_or(json!({})),
        "ManifestType": manifest_type,
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
    /// Remove a name from a local image
    Untag(UntagArgs),
    /// Remove unused images
    Prune(PruneArgs),
    /// Show history of a specified image
    History(HistoryArgs),
    /// Print layer hierarchy of an image in a tree format
    Tree(TreeArgs),
    /// Save image(s) to an archive
    Save(SaveArgs),
    /// Mount an image's root filesystem
    Mount(ImageMountArgs),
    /// Unmount an image's root filesystem
    #[command(alias = "umount")]
    Unmount(ImageUnmountArgs),
    /// Inspect changes to the image's file systems
    Diff(super::files::DiffArgs),
    /// Build an image using instructions from Containerfiles
    Build(Box<super::build::BuildArgs>),
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
        ImageSub::Diff(a) => super::files::diff(rt, a),
        ImageSub::Build(a) => super::build::build(rt, *a),
        ImageSub::Untag(a) => untag(rt, a),
        ImageSub::Prune(a) => prune(rt, a),
        ImageSub::History(a) => history(rt, a),
        ImageSub::Tree(a) => tree(rt, a),
        ImageSub::Save(a) => save(rt, a),
        ImageSub::Mount(a) => image_mount(rt, a),
        ImageSub::Unmount(a) => image_unmount(rt, a),
    }
}

// ---------------------------------------------------------------------------------------------
// untag, image prune, history, image tree, save, export, image mount/unmount

#[derive(Args, Debug)]
pub struct UntagArgs {
    /// Image to remove names from
    image: String,
    /// Names to remove (all names when none is given)
    names: Vec<String>,
}

pub fn untag(rt: &Runtime, a: UntagArgs) -> Outcome {
    rt.untag(&a.image, &a.names)?;
    Ok(0)
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Remove all images not in use by containers, not just dangling ones
    #[arg(short = 'a', long)]
    all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

pub fn prune(rt: &Runtime, a: PruneArgs) -> Outcome {
    let what = if a.all {
        "all images without at least one container associated with them"
    } else {
        "all dangling images"
    };
    if !a.force && !super::confirm(&format!("WARNING! This command removes {what}.")) {
        return Ok(0);
    }
    for id in rt.prune_images(a.all)? {
        println!("{id}");
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Change the output to JSON or a Go template
    #[arg(long)]
    format: Option<String>,
    /// Display sizes and dates in human readable format
    #[arg(
        short = 'H',
        long,
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    human: bool,
    /// Do not truncate the output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Display the numeric IDs only
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Image to show the history of
    image: String,
}

/// go-units' `HumanSizeWithPrecision`: decimal units, `%.Ng`, no space ("4.26MB", "0B").
pub fn go_size(bytes: u64, precision: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < UNITS.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{}{}", go_g(v, precision), UNITS[i])
}

/// Go's `%.Ng` for 0 <= v < 1000.
fn go_g(v: f64, precision: usize) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let exp = v.log10().floor() as i32;
    let decimals = (precision as i32 - 1 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    // Rounding up to 10^precision switches Go to exponent form (999.7 → "1e+03").
    if s.split('.').next().map_or(0, str::len) > precision {
        return format!("1e+{:02}", precision);
    }
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub fn history(rt: &Runtime, a: HistoryArgs) -> Outcome {
    let entries = rt.image_history(&a.image)?;
    let rfc = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    if a.format.as_deref() == Some("json") {
        let items = entries
            .iter()
            .map(|e| {
                let mut v = json!({
                    "id": e.id, "created": rfc(&e.created), "Created": rfc(&e.created),
                    "CreatedBy": e.created_by, "size": e.size, "comment": e.comment,
                });
                if !e.tags.is_empty() {
                    v["tags"] = json!(e.tags);
                }
                v
            })
            .collect();
        crate::output::print_json(&Value::Array(items));
        return Ok(0);
    }
    let id = |e: &libpod::HistoryEntry| {
        if !a.no_trunc && e.id.len() >= 12 {
            e.id[..12].to_string()
        } else {
            e.id.clone()
        }
    };
    if a.quiet {
        for e in &entries {
            println!("{}", id(e));
        }
        return Ok(0);
    }
    let created = |e: &libpod::HistoryEntry| match e.created {
        Some(t) if a.human => ago(t.timestamp_nanos_opt().unwrap_or(0)),
        _ => rfc(&e.created),
    };
    let created_by = |e: &libpod::HistoryEntry| {
        if !a.no_trunc && e.created_by.chars().count() > 45 {
            let cut: String = e.created_by.chars().take(42).collect();
            format!("{cut}...")
        } else {
            e.created_by.clone()
        }
    };
    if let Some(f) = &a.format {
        let items = entries
            .iter()
            .map(|e| {
                json!({
                    "ID": id(e), "Created": created(e), "CreatedSince": created(e),
                    "CreatedAt": rfc(&e.created), "CreatedBy": created_by(e),
                    "Size": go_size(e.size, 3), "Comment": e.comment, "Tags": e.tags,
                })
            })
            .collect();
        return print_formatted(f, items, &|h| match h {
            "CreatedBy" => "CREATED BY".into(),
            other => other.to_uppercase(),
        });
    }
    let mut table = vec![
        ["ID", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
            .map(String::from)
            .to_vec(),
    ];
    for e in &entries {
        table.push(vec![
            id(e),
            created(e),
            created_by(e),
            go_size(e.size, 3),
            e.comment.clone(),
        ]);
    }
    print_table(&table);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct TreeArgs {
    /// Show all child images and layers of the specified image
    #[arg(long)]
    whatrequires: bool,
    /// Image to show the layers of
    image: String,
}

/// gotree's rendering: children under `├── `/`└── `, nested with `│   `/`    `.
struct TreeNode {
    text: String,
    children: Vec<TreeNode>,
}

fn render_tree(node: &TreeNode) -> String {
    fn items(out: &mut String, children: &[TreeNode], prefix: &str) {
        for (i, c) in children.iter().enumerate() {
            let last = i + 1 == children.len();
            out.push_str(prefix);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(&c.text);
            out.push('\n');
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            items(out, &c.children, &deeper);
        }
    }
    let mut out = format!("{}\n", node.text);
    items(&mut out, &node.children, "");
    out
}

fn go_list(names: &[String]) -> String {
    format!("[{}]", names.join(" "))
}

fn tree_line(id: &str, size: u64, top_of: &[String]) -> String {
    let tags = if top_of.is_empty() {
        String::new()
    } else {
        format!(" Top Layer of: {}", go_list(top_of))
    };
    format!(
        "ID: {} Size: {:>7}{tags}",
        &id[..12.min(id.len())],
        go_size(size, 4)
    )
}

pub fn tree(rt: &Runtime, a: TreeArgs) -> Outcome {
    let image = rt.image(&a.image)?;
    let stack = rt.image_layer_stack(&image)?;
    let mut root = TreeNode {
        text: format!(
            "Image ID: {}\nTags:     {}\nSize:     {}\n{}",
            &image.id[..12],
            go_list(&image.names),
            go_size(image.size, 4),
            if stack.is_empty() {
                "No Image Layers"
            } else {
                "Image Layers"
            }
        ),
        children: Vec::new(),
    };
    if !a.whatrequires {
        root.children = stack
            .iter()
            .map(|l| TreeNode {
                text: tree_line(&l.id, l.size, &l.top_of),
                children: Vec::new(),
            })
            .collect();
        print!("{}", render_tree(&root));
        return Ok(0);
    }
    // The image's top layer, then every layer stacked on it by other images.
    let Some(top) = stack.last() else {
        print!("{}", render_tree(&root));
        return Ok(0);
    };
    let mut descendants: Vec<Vec<libpod::TreeLayer>> = Vec::new();
    for d in rt.image_descendants(&image)? {
        descendants.push(rt.image_layer_stack(&d)?);
    }
    fn grow(
        depth: usize,
        parent_chain: &[String],
        stacks: &[Vec<libpod::TreeLayer>],
    ) -> Vec<TreeNode> {
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for s in stacks {
            let prefix: Vec<String> = s.iter().take(depth).map(|l| l.id.clone()).collect();
            if prefix != parent_chain || s.len() <= depth || seen.contains(&s[depth].id) {
                continue;
            }
            seen.push(s[depth].id.clone());
            let mut chain = parent_chain.to_vec();
            chain.push(s[depth].id.clone());
            out.push(TreeNode {
                text: tree_line(&s[depth].id, s[depth].size, &s[depth].top_of),
                children: grow(depth + 1, &chain, stacks),
            });
        }
        out
    }
    let chain: Vec<String> = stack.iter().map(|l| l.id.clone()).collect();
    let mut top_node = TreeNode {
        text: tree_line(&top.id, top.size, &top.top_of),
        children: Vec::new(),
    };
    let below = grow(stack.len(), &chain, &descendants);
    // gotree: a lone child continues the line; siblings branch.
    if below.len() <= 1 {
        root.children.push(top_node);
        let mut next = below;
        while let Some(mut n) = next.pop() {
            let kids = std::mem::take(&mut n.children);
            root.children.push(n);
            if kids.len() > 1 {
                if let Some(l) = root.children.last_mut() {
                    l.children = kids;
                }
                break;
            }
            next = kids;
        }
    } else {
        top_node.children = below;
        root.children.push(top_node);
    }
    print!("{}", render_tree(&root));
    Ok(0)
}

#[derive(Args, Debug)]
pub struct SaveArgs {
    /// Write to a specified file (default: stdout, which must be redirected)
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Save image to oci-archive, oci-dir (directory with oci manifest type) or docker-archive
    #[arg(long, default_value = "docker-archive")]
    format: String,
    /// Interpret additional arguments as images not tags and create a multi-image-archive (only for docker-archive)
    #[arg(short = 'm', long = "multi-image-archive")]
    multi_image_archive: bool,
    /// Suppress the output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Image to save, then more images (-m) or extra tags
    #[arg(required = true)]
    images: Vec<String>,
}

fn refuse_terminal(what: &str) -> Result<(), Failure> {
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return Err(Failure::new(format!(
            "refusing to {what} to terminal. Use -o flag or redirect"
        )));
    }
    Ok(())
}

/// Runs `write` into `-o FILE` (removed again if writing fails) or stdout.
fn write_output(
    output: Option<&PathBuf>,
    what: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Failure>,
) -> Outcome {
    match output {
        Some(path) => {
            let mut f = std::fs::File::create(path)
                .map_err(|e| Failure::new(format!("creating {}: {e}", path.display())))?;
            let result = write(&mut f);
            if result.is_err() {
                let _ = std::fs::remove_file(path);
            }
            result?;
            Ok(0)
        }
        None => {
            refuse_terminal(what)?;
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            write(&mut lock)?;
            std::io::Write::flush(&mut lock)
                .map_err(|e| Failure::new(format!("writing to stdout: {e}")))?;
            Ok(0)
        }
    }
}

pub fn save(rt: &Runtime, a: SaveArgs) -> Outcome {
    let _ = a.quiet;
    let format: libpod::SaveFormat = a
        .format
        .parse()
        .map_err(|e| Failure::from(libpod::LibpodError::from(e)))?;
    if a.multi_image_archive && a.images.len() > 1 && format != libpod::SaveFormat::DockerArchive {
        return Err(Failure::new(format!(
            "unsupported format {:?} for saving multiple images (only docker-archive)",
            a.format
        )));
    }
    let items = rt.save_items(&a.images, a.multi_image_archive)?;
    if format == libpod::SaveFormat::OciDir {
        let Some(dir) = &a.output else {
            return Err(Failure::new(
                "oci-dir needs a directory to write to: use -o DIR",
            ));
        };
        rt.save(&items, format, libpod::runtime::SaveDest::Dir(dir))?;
        return Ok(0);
    }
    write_output(a.output.as_ref(), "save", |w| {
        rt.save(&items, format, libpod::runtime::SaveDest::Stream(w))?;
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Write to a specified file (default: stdout, which must be redirected)
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Container to export
    container: String,
}

pub fn export(rt: &Runtime, a: ExportArgs) -> Outcome {
    write_output(a.output.as_ref(), "export", |w| {
        rt.export(&a.container, w)?;
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct ImageMountArgs {
    /// Mount all images
    #[arg(short = 'a', long)]
    all: bool,
    /// Print the mounted images in specified format (json)
    #[arg(long)]
    format: Option<String>,
    /// Images to mount (none: list the mounted images)
    images: Vec<String>,
}

pub fn image_mount(rt: &Runtime, a: ImageMountArgs) -> Outcome {
    if a.all && !a.images.is_empty() {
        return Err(Failure::new(
            "when using the --all switch, you may not pass any image names or IDs",
        ));
    }
    let names: Vec<String> = if a.all {
        rt.images()?.into_iter().map(|i| i.id).collect()
    } else {
        a.images.clone()
    };
    for n in &names {
        rt.mount_image(n)?;
    }
    if a.images.len() == 1 && a.format.is_none() {
        println!("{}", rt.mount_image(&a.images[0])?.display());
        return Ok(0);
    }
    let mounted = rt.mounted_images()?;
    match a.format.as_deref() {
        Some("json") => {
            let items = mounted
                .iter()
                .map(|m| {
                    json!({
                        "id": m.image.id,
                        "Names": [m.image.names.first().cloned().unwrap_or_default()],
                        "Repositories": m.image.names,
                        "mountpoint": m.path,
                    })
                })
                .collect();
            crate::output::print_json(&Value::Array(items));
        }
        None => {
            let rows: Vec<Vec<String>> = mounted
                .iter()
                .map(|m| {
                    vec![
                        m.image.names.first().cloned().unwrap_or(m.image.id.clone()),
                        m.path.display().to_string(),
                    ]
                })
                .collect();
            print_table(&rows);
        }
        Some(other) => {
            return Err(Failure::new(format!(
                "unknown --format argument: {other:?}"
            )));
        }
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct ImageUnmountArgs {
    /// Unmount all of the currently mounted images
    #[arg(short = 'a', long)]
    all: bool,
    /// Force the complete unmount of the specified mounted images
    #[arg(short = 'f', long)]
    force: bool,
    /// Images to unmount
    images: Vec<String>,
}

pub fn image_unmount(rt: &Runtime, a: ImageUnmountArgs) -> Outcome {
    let _ = a.force;
    if a.images.is_empty() && !a.all {
        return Err(Failure::new("image name or ID must be specified"));
    }
    if a.all && !a.images.is_empty() {
        return Err(Failure::new(
            "when using the --all switch, you may not pass any image names or IDs",
        ));
    }
    let names: Vec<String> = if a.all {
        rt.mounted_images()?
            .into_iter()
            .map(|m| m.image.id)
            .collect()
    } else {
        a.images
    };
    let mut last: Option<Failure> = None;
    for n in &names {
        match rt.unmount_image(n) {
            Ok(id) => println!("{id}"),
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

/// `repo@digest` once per repository, as podman's RepoDigests.
fn repo_digests(img: &libpod::Image) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in &img.names {
        let d = format!("{}@{}", libpod::reference::repository(n), img.digest);
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// podman's overlay `GraphDriver.Data`: the top layer as UpperDir, the others as LowerDir.
fn graph_data(rt: &Runtime, img: &libpod::Image) -> Result<Value, Failure> {
    if rt.storage_driver() == "vfs" {
        return Ok(json!({}));
    }
    let dirs = rt.image_layer_dirs(img)?;
    let Some((top, lower)) = dirs.split_first() else {
        return Ok(json!({}));
    };
    let mut data = serde_json::Map::new();
    if !lower.is_empty() {
        let joined: Vec<String> = lower.iter().map(|d| d.display().to_string()).collect();
        data.insert("LowerDir".into(), json!(joined.join(":")));
    }
    data.insert("UpperDir".into(), json!(top.display().to_string()));
    Ok(Value::Object(data))
}
