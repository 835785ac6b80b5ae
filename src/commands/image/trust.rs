//! `image trust show` and `image trust set`: policy.json as podman prints and writes it.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use libpod::Runtime;

use crate::commands::Outcome;

#[derive(Args, Debug)]
pub struct TrustCmd {
    #[command(subcommand)]
    cmd: TrustSub,
}

#[derive(Subcommand, Debug)]
enum TrustSub {
    /// Display trust policy for the system
    Show(ShowArgs),
    /// Set default trust policy or a new trust policy for a registry
    Set(SetArgs),
}

#[derive(Args, Debug)]
struct ShowArgs {
    /// Output as json
    #[arg(short = 'j', long)]
    json: bool,
    /// Do not print column headings
    #[arg(short = 'n', long)]
    noheading: bool,
    /// Output raw policy file
    #[arg(long)]
    raw: bool,
    /// Policy file to read instead of the one in force
    #[arg(long, value_name = "PATH")]
    policypath: Option<PathBuf>,
    /// Show only this registry scope
    registry: Option<String>,
}

#[derive(Args, Debug)]
struct SetArgs {
    /// Trust type: accept, reject, signedBy or sigstoreSigned
    #[arg(
        short = 't',
        long = "type",
        value_name = "TYPE",
        default_value = "signedBy"
    )]
    kind: String,
    /// Path of an exported public key (repeatable)
    #[arg(short = 'f', long = "pubkeysfile", value_name = "PATH")]
    pubkeysfile: Vec<String>,
    /// Policy file to write instead of the one in force
    #[arg(long, value_name = "PATH")]
    policypath: Option<PathBuf>,
    /// REGISTRY[/REPOSITORY], or default
    registry: String,
}

pub fn trust(rt: &Runtime, c: TrustCmd) -> Outcome {
    match c.cmd {
        TrustSub::Show(a) => {
            if a.raw {
                print!("{}", libpod::trust::raw(a.policypath.as_deref())?);
                return Ok(0);
            }
            let rows: Vec<_> = libpod::trust::show(a.policypath.as_deref())?
                .into_iter()
                .filter(|r| a.registry.as_ref().is_none_or(|s| &r.repo_name == s))
                .collect();
            if a.json {
                let v = serde_json::to_value(&rows).unwrap_or_default();
                crate::output::print_json(&v);
                return Ok(0);
            }
            let mut table = Vec::new();
            if !a.noheading {
                table.push(
                    ["TRANSPORT", "NAME", "TYPE", "ID", "STORE"]
                        .map(String::from)
                        .to_vec(),
                );
            }
            for r in &rows {
                table.push(vec![
                    r.transport.clone(),
                    r.repo_name.clone(),
                    r.kind.clone(),
                    r.gpg_id.clone(),
                    r.signature_store.clone(),
                ]);
            }
            crate::output::print_table(&table);
        }
        TrustSub::Set(a) => {
            libpod::trust::set(
                a.policypath.as_deref(),
                rt.rootless(),
                &a.registry,
                &a.kind,
                &a.pubkeysfile,
            )?;
        }
    }
    Ok(0)
}
