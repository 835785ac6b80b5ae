//! `secret create/ls/inspect/rm/exists`: thin adapters over libpod's secret calls, printing
//! what podman prints. The data is read here (a file, stdin, or a variable with `--env`) and
//! handed to libpod; it is printed only by `inspect --showsecret`.

use std::io::Read;

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::secrets::SecretCreateOptions;
use libpod::secrets::filter::SecretFilters;
use serde_json::{Value, json};

use super::{Failure, Outcome};
use crate::output::{ago, print_json, print_listing};

#[derive(Args, Debug)]
pub struct SecretCmd {
    #[command(subcommand)]
    sub: SecretSub,
}

#[derive(Subcommand, Debug)]
enum SecretSub {
    /// Create a new secret
    Create(CreateArgs),
    /// List secrets
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Inspect a secret
    Inspect(InspectArgs),
    /// Remove one or more secrets
    Rm(RmArgs),
    /// Check if a secret exists
    Exists(ExistsArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The secret's name
    name: String,
    /// A file holding the data, - for standard input, or with --env the variable's name
    source: String,
    /// Specify secret driver
    #[arg(short = 'd', long, default_value = "file")]
    driver: String,
    /// Read secret data from environment variable
    #[arg(long)]
    env: bool,
    /// Specify labels on the secret
    #[arg(short = 'l', long)]
    label: Vec<String>,
    /// If a secret with the same name exists, replace it
    #[arg(long)]
    replace: bool,
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// Filter secret output (name=, id=, label=)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Format secret output using Go template
    #[arg(long)]
    format: Option<String>,
    /// Do not print headers
    #[arg(long)]
    noheading: bool,
    /// Print secret IDs only
    #[arg(short = 'q', long)]
    quiet: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[arg(required = true)]
    names: Vec<String>,
    /// Format inspect output using Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Display the secret's data
    #[arg(long)]
    showsecret: bool,
    /// Print inspect output in human-readable format
    #[arg(long)]
    pretty: bool,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    names: Vec<String>,
    /// Remove all secrets
    #[arg(short = 'a', long)]
    all: bool,
    /// Ignore errors when a specified secret is missing
    #[arg(short = 'i', long)]
    ignore: bool,
}

#[derive(Args, Debug)]
pub struct ExistsArgs {
    name: String,
}

pub fn group(rt: &Runtime, c: SecretCmd) -> Outcome {
    match c.sub {
        SecretSub::Create(a) => create(rt, a),
        SecretSub::Ls(a) => ls(rt, a),
        SecretSub::Inspect(a) => inspect(rt, a),
        SecretSub::Rm(a) => rm(rt, a),
        SecretSub::Exists(a) => Ok(if rt.secret(&a.name).is_ok() { 0 } else { 1 }),
    }
}

fn create(rt: &Runtime, a: CreateArgs) -> Outcome {
    let data = if a.env {
        std::env::var_os(&a.source)
            .map(|v| std::os::unix::ffi::OsStrExt::as_bytes(v.as_os_str()).to_vec())
            .ok_or_else(|| {
                Failure::from(libpod::LibpodError::from(
                    libpod::secrets::SecretError::EnvNotSet(a.source.clone()),
                ))
            })?
    } else if a.source == "-" {
        let mut d = Vec::new();
        // One byte past the limit is enough to know the data is too large.
        std::io::stdin()
            .lock()
            .take(libpod::secrets::MAX_DATA as u64 + 1)
            .read_to_end(&mut d)
            .map_err(|e| Failure::new(format!("read the secret from standard input: {e}")))?;
        d
    } else {
        let f = std::fs::File::open(&a.source)
            .map_err(|e| Failure::new(format!("open {}: {e}", a.source)))?;
        let mut d = Vec::new();
        f.take(libpod::secrets::MAX_DATA as u64 + 1)
            .read_to_end(&mut d)
            .map_err(|e| Failure::new(format!("read {}: {e}", a.source)))?;
        d
    };
    let s = rt.secret_create(
        &SecretCreateOptions {
            name: a.name,
            driver: a.driver,
            labels: a.label,
            replace: a.replace,
        },
        &data,
    )?;
    println!("{}", s.id);
    Ok(0)
}

fn ls(rt: &Runtime, a: LsArgs) -> Outcome {
    let filters = SecretFilters::parse(&a.filter)?;
    let secrets: Vec<_> = rt
        .secrets()?
        .into_iter()
        .filter(|s| filters.matches(s))
        .collect();
    if a.quiet {
        for s in &secrets {
            println!("{}", s.id);
        }
        return Ok(0);
    }
    // podman's listing fields: ID, Name, Driver, CreatedAt and UpdatedAt (both "... ago").
    let items: Vec<Value> = secrets
        .iter()
        .map(|s| {
            json!({
                "ID": s.id,
                "Name": s.name,
                "Driver": s.driver,
                "CreatedAt": ago(s.created),
                "UpdatedAt": ago(s.updated.max(s.created)),
                "Labels": s.labels,
            })
        })
        .collect();
    let columns = [
        ("ID", "ID"),
        ("NAME", "Name"),
        ("DRIVER", "Driver"),
        ("CREATED", "CreatedAt"),
        ("UPDATED", "UpdatedAt"),
    ];
    print_listing(
        items,
        a.format.as_deref(),
        a.noheading,
        &columns,
        &|h| match h {
            "CreatedAt" => "CREATED".into(),
            "UpdatedAt" => "UPDATED".into(),
            other => other.to_uppercase(),
        },
    )
}

fn inspect(rt: &Runtime, a: InspectArgs) -> Outcome {
    let mut items = Vec::new();
    let mut failed = None;
    for n in &a.names {
        match rt.secret(n) {
            Ok(s) => {
                let data = if a.showsecret {
                    Some(rt.secret_data(&s)?)
                } else {
                    None
                };
                items.push(rt.secret_json(&s, data.as_deref()));
            }
            // podman prints what it found, then the error.
            Err(e) => failed = Some(Failure::from(e)),
        }
    }
    match a.format.as_deref() {
        None | Some("json") => print_json(&Value::Array(items)),
        Some(f) => {
            let tmpl = crate::template::Template::parse(f).map_err(Failure::new)?;
            for i in &items {
                println!("{}", tmpl.execute(i).map_err(Failure::new)?);
            }
        }
    }
    failed.map_or(Ok(0), Err)
}

fn rm(rt: &Runtime, a: RmArgs) -> Outcome {
    let names: Vec<String> = if a.all {
        if !a.names.is_empty() {
            return Err(Failure::new(
                "when using the --all switch, you may not pass any secret names or IDs",
            ));
        }
        rt.secrets()?.into_iter().map(|s| s.id).collect()
    } else if a.names.is_empty() {
        return Err(Failure::new(
            "`burrow secret rm` requires one argument, or the --all flag",
        ));
    } else {
        a.names
    };
    super::each(&names, |n| match rt.secret_remove(n) {
        Ok(s) => {
            println!("{}", s.id);
            Ok(())
        }
        Err(libpod::LibpodError::Secret(libpod::secrets::SecretError::NoSuch(_))) if a.ignore => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    })
}
