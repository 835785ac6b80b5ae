//! `inspect` (containers and images) and `container inspect`.

use clap::Args;
use libpod::Runtime;
use serde_json::Value;

use crate::commands::{Failure, Outcome};
use crate::output::print_json;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Specify inspect-object type (container, image, all)
    #[arg(short = 't', long = "type", default_value = "all")]
    pub(super) kind: String,
    /// Display total file size (SizeRw, SizeRootFs)
    #[arg(short = 's', long)]
    size: bool,
    #[arg(required = true)]
    names: Vec<String>,
}

pub fn inspect(rt: &Runtime, a: InspectArgs) -> Outcome {
    let kind: libpod::runtime::InspectType = a.kind.parse()?;
    let mut items = Vec::new();
    let mut missing: Option<Failure> = None;
    for n in &a.names {
        match rt.inspect_object(n, kind, a.size) {
            Ok(v) => items.push(v),
            Err(e) => {
                if let Some(prev) = missing.take() {
                    eprintln!("Error: {}", prev.message);
                }
                missing = Some(e.into());
            }
        }
    }
    match &a.format {
        Some(f) if f != "json" => {
            for item in &items {
                println!(
                    "{}",
                    crate::template::render(f, item).map_err(Failure::new)?
                );
            }
        }
        _ => print_json(&Value::Array(items)),
    }
    match missing {
        Some(e) => Err(e),
        None => Ok(0),
    }
}
