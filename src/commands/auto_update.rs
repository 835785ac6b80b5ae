//! `auto-update`: parses the flags, runs libpod's auto-update, prints its reports.

use std::path::PathBuf;

use clap::Args;
use libpod::Runtime;
use libpod::auto_update::AutoUpdateOptions;
use libpod::registry::RegistryFlags;

use super::registry::Progress;
use super::{Failure, Outcome};
use crate::output::print_formatted;

/// podman's default: one row per container.
const DEFAULT_FORMAT: &str =
    "table {{.Unit}}\t{{.Container}}\t{{.Image}}\t{{.Policy}}\t{{.Updated}}";

#[derive(Args, Debug)]
pub struct AutoUpdateArgs {
    /// Path of the authentication file
    #[arg(long, value_name = "PATH", env = "REGISTRY_AUTH_FILE", hide_env = true)]
    authfile: Option<PathBuf>,
    /// Check for pending updates
    #[arg(long = "dry-run")]
    dry_run: bool,
    /// Change the output format to JSON or a Go template
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Rollback to previous image if update fails
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", action = clap::ArgAction::Set)]
    rollback: bool,
    /// Require HTTPS and verify certificates when contacting registries
    #[arg(long = "tls-verify", num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    tls_verify: Option<bool>,
}

pub fn auto_update(rt: &Runtime, a: AutoUpdateArgs) -> Outcome {
    let opts = AutoUpdateOptions {
        dry_run: a.dry_run,
        rollback: a.rollback,
        registry: RegistryFlags {
            tls_verify: a.tls_verify,
            authfile: a.authfile,
            ..RegistryFlags::default()
        },
    };
    // Pull progress goes to stderr, as a pull's does; stdout keeps only the reports.
    let outcome = rt.auto_update(&opts, &Progress::new(false))?;
    if !outcome.reports.is_empty() {
        let items = outcome
            .reports
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Failure::new(e.to_string()))?;
        let format = a.format.as_deref().unwrap_or(DEFAULT_FORMAT);
        print_formatted(format, items, &|h| h.to_uppercase())?;
    }
    // Every container was handled; each failure is reported, the last one as the result.
    let mut errors = outcome.errors.into_iter().map(libpod::LibpodError::from);
    let last = errors.next_back();
    for e in errors {
        eprintln!("Error: {e}");
    }
    match last {
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}
