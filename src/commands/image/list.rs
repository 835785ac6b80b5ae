//! `images`: one row per image name, sorted and filtered as podman does.

use clap::Args;
use libpod::Runtime;
use serde_json::json;

use crate::commands::{Failure, Outcome};
use crate::output::{ago, human_size, print_formatted, print_table};

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
