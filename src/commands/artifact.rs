//! `artifact add/ls/inspect/rm/extract/push/pull`: thin adapters over libpod's artifact
//! calls, printing what podman prints.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::artifact::{AddOptions, Artifact, ExtractOptions};
use serde::Serialize;
use serde_json::{Value, json};

use super::registry::{Progress, RegistryArgs};
use super::{Failure, Outcome};
use crate::output::{ago, print_listing};

#[derive(Args, Debug)]
pub struct ArtifactCmd {
    #[command(subcommand)]
    sub: ArtifactSub,
}

#[derive(Subcommand, Debug)]
enum ArtifactSub {
    /// Add an OCI artifact to the local store
    Add(AddArgs),
    /// Extract an OCI artifact to a local path
    Extract(ExtractArgs),
    /// Inspect an OCI artifact
    Inspect(InspectArgs),
    /// List OCI artifacts
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Pull an OCI artifact
    Pull(PullArgs),
    /// Push an OCI artifact
    Push(PushArgs),
    /// Remove an OCI artifact
    Rm(RmArgs),
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// Name of the artifact (a fully qualified reference)
    name: String,
    /// Files to add
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Set an annotation (KEY=VALUE) on the artifact and its files
    #[arg(long, value_name = "KEY=VALUE")]
    annotation: Vec<String>,
    /// Use type to describe an artifact
    #[arg(long = "type", value_name = "TYPE")]
    artifact_type: Option<String>,
    /// Append files to an existing artifact
    #[arg(short = 'a', long)]
    append: bool,
    /// Replace an existing artifact
    #[arg(long)]
    replace: bool,
    /// Set file type to use for the artifact (layer)
    #[arg(long = "file-type", value_name = "TYPE")]
    file_type: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// The artifact (name or digest)
    artifact: String,
    /// A directory (gets every file by its title) or a file
    target: PathBuf,
    /// Only extract blob with the given digest
    #[arg(long, conflicts_with = "title")]
    digest: Option<String>,
    /// Only extract blob with the given title
    #[arg(long)]
    title: Option<String>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The artifact (name or digest)
    name: String,
    /// Format the output using JSON or a Go template
    #[arg(short = 'f', long, default_value = "json")]
    format: String,
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// Format the output using JSON or a Go template
    #[arg(long)]
    format: Option<String>,
    /// Do not print column headings
    #[arg(short = 'n', long)]
    noheading: bool,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    no_trunc: bool,
}

#[derive(Args, Debug)]
pub struct PullArgs {
    /// Suppress output information when pulling
    #[arg(short = 'q', long)]
    quiet: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The artifact to pull (a registry reference)
    name: String,
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// Suppress output information when pushing
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Write the digest of the pushed manifest to this file
    #[arg(long, value_name = "PATH")]
    digestfile: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The artifact to push
    name: String,
    /// Where to push it (default: its own name)
    dest: Option<String>,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Artifacts (names or digests)
    names: Vec<String>,
    /// Remove all artifacts
    #[arg(short = 'a', long)]
    all: bool,
    /// Ignore error if artifact does not exist
    #[arg(short = 'i', long)]
    ignore: bool,
}

pub fn group(rt: &Runtime, c: ArtifactCmd) -> Outcome {
    match c.sub {
        ArtifactSub::Add(a) => add(rt, a),
        ArtifactSub::Extract(a) => extract(rt, a),
        ArtifactSub::Inspect(a) => inspect(rt, a),
        ArtifactSub::Ls(a) => ls(rt, a),
        ArtifactSub::Pull(a) => pull(rt, a),
        ArtifactSub::Push(a) => push(rt, a),
        ArtifactSub::Rm(a) => rm(rt, a),
    }
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

fn add(rt: &Runtime, a: AddArgs) -> Outcome {
    if a.append && a.replace {
        return Err(Failure::new(
            "--append and --replace options cannot be used together",
        ));
    }
    let mut annotations = BTreeMap::new();
    for kv in &a.annotation {
        let Some((k, v)) = kv.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(Failure::new(format!(
                "annotation {kv:?} must be formatted KEY=VALUE"
            )));
        };
        annotations.insert(k.to_string(), v.to_string());
    }
    let opts = AddOptions {
        artifact_type: a.artifact_type,
        annotations,
        append: a.append,
        replace: a.replace,
        file_type: a.file_type,
    };
    let digest = rt.artifact_add(&a.name, &a.files, &opts)?;
    println!("{}", hex(&digest));
    Ok(0)
}

fn extract(rt: &Runtime, a: ExtractArgs) -> Outcome {
    let opts = ExtractOptions {
        digest: a.digest,
        title: a.title,
    };
    rt.artifact_extract(&a.artifact, &a.target, &opts)?;
    Ok(0)
}

/// podman's inspect report: the manifest (in Go's field order), the name, the digest.
#[derive(Serialize)]
struct Report<'a> {
    #[serde(rename = "Manifest")]
    manifest: &'a libpod::artifact::ArtifactManifest,
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Digest")]
    digest: &'a str,
}

fn inspect(rt: &Runtime, a: InspectArgs) -> Outcome {
    let art = rt.artifact(&a.name)?;
    let report = Report {
        manifest: &art.manifest,
        name: &art.name,
        digest: &art.digest,
    };
    if a.format.is_empty() || a.format == "json" {
        // A struct, not a Value: the keys keep podman's order.
        let text = crate::output::json_text(&report, b"    ")
            .map_err(|e| Failure::new(format!("printing {}: {e}", art.name)))?;
        println!("{text}");
        return Ok(0);
    }
    let mut v = serde_json::to_value(&report).map_err(|e| Failure::new(e.to_string()))?;
    v["TotalSizeBytes"] = json!(art.total_size());
    v["Artifact"] = json!({"Manifest": v["Manifest"].clone(), "Name": art.name});
    let tmpl = crate::template::Template::parse(&a.format).map_err(Failure::new)?;
    println!("{}", tmpl.execute(&v).map_err(Failure::new)?);
    Ok(0)
}

/// docker/go-units' HumanSize, which `artifact ls` uses: four significant digits, no space
/// ("2.097GB", "12.58MB", "5B").
fn go_human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    let int_digits = if v < 1.0 {
        1
    } else {
        (v.log10().floor() as i32 + 1).max(1)
    };
    let decimals = (4 - int_digits).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{}", units[i])
}

fn ls_item(art: &Artifact, no_trunc: bool) -> Value {
    let repo = libpod::reference::repository(&art.name);
    let rest = &art.name[repo.len()..];
    let tag = rest
        .strip_prefix(':')
        .map(|t| t.split('@').next().unwrap_or(t))
        .unwrap_or("");
    let h = hex(&art.digest);
    let digest = if no_trunc { h } else { &h[..h.len().min(12)] };
    let created = art.created();
    json!({
        "Repository": repo,
        "Tag": tag,
        "Digest": digest,
        "Created": created
            .and_then(|t| t.timestamp_nanos_opt())
            .map(ago)
            .unwrap_or_default(),
        // Go's time.Time String().
        "CreatedAt": created
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.f +0000 UTC").to_string())
            .unwrap_or_default(),
        "Size": go_human_size(art.total_size()),
        "VirtualSize": art.total_size().to_string(),
    })
}

fn ls(rt: &Runtime, a: LsArgs) -> Outcome {
    let items: Vec<Value> = rt
        .artifacts()?
        .iter()
        .map(|art| ls_item(art, a.no_trunc))
        .collect();
    let columns = [
        ("REPOSITORY", "Repository"),
        ("TAG", "Tag"),
        ("DIGEST", "Digest"),
        ("CREATED", "Created"),
        ("SIZE", "Size"),
    ];
    print_listing(
        items,
        a.format.as_deref(),
        a.noheading,
        &columns,
        &|h| match h {
            "CreatedAt" => "CREATED".into(),
            "VirtualSize" => "SIZE".into(),
            other => other.to_uppercase(),
        },
    )
}

fn pull(rt: &Runtime, a: PullArgs) -> Outcome {
    let progress = Progress::new(a.quiet);
    rt.artifact_pull(&a.name, &a.registry.flags(), &progress)?;
    Ok(0)
}

fn push(rt: &Runtime, a: PushArgs) -> Outcome {
    let progress = Progress::new(a.quiet);
    let digest = rt.artifact_push(&a.name, a.dest.as_deref(), &a.registry.flags(), &progress)?;
    if let Some(f) = &a.digestfile {
        std::fs::write(f, &digest)
            .map_err(|e| Failure::new(format!("--digestfile {}: {e}", f.display())))?;
    }
    Ok(0)
}

fn rm(rt: &Runtime, a: RmArgs) -> Outcome {
    let names: Vec<String> = if a.all {
        if !a.names.is_empty() {
            return Err(Failure::new(
                "when using the --all switch, you may not pass any artifact names or digests",
            ));
        }
        rt.artifacts()?
            .into_iter()
            .map(|x| hex(&x.digest).to_string())
            .collect()
    } else if a.names.is_empty() {
        return Err(Failure::new(
            "at least one artifact name or digest must be specified",
        ));
    } else {
        a.names
    };
    // podman stops at the first artifact it cannot remove.
    for n in &names {
        match rt.artifact_remove(n) {
            Ok(d) => println!("{}", hex(&d)),
            Err(libpod::LibpodError::Artifact(libpod::artifact::ArtifactError::NotFound(_)))
                if a.ignore => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_go_units() {
        assert_eq!(go_human_size(5), "5B");
        assert_eq!(go_human_size(1024), "1.024kB");
        assert_eq!(go_human_size(2_097_152_000), "2.097GB");
        assert_eq!(go_human_size(12_580_000), "12.58MB");
        assert_eq!(go_human_size(100_000), "100kB");
        assert_eq!(go_human_size(0), "0B");
    }
}
