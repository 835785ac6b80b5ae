//! `cdi generate` and `cdi list`: Container Device Interface specs, as nvidia-ctk's `cdi`
//! commands make and list them. No runtime is opened: these read the host and spec files.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct CdiCmd {
    #[command(subcommand)]
    sub: CdiSub,
}

#[derive(Subcommand, Debug)]
enum CdiSub {
    /// Write a CDI spec for the host's NVIDIA GPUs (device nodes, driver libraries and tools)
    Generate(GenerateArgs),
    /// List the CDI devices the spec directories define
    #[command(alias = "ls")]
    List(ListArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Write the spec to this file (e.g. /etc/cdi/nvidia.json) instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Look for the device nodes under this directory's dev/ (default /)
    #[arg(long = "dev-root", value_name = "DIR", default_value = "/")]
    dev_root: PathBuf,
}

#[derive(Args, Debug)]
pub struct ListArgs {}

pub fn group(c: CdiCmd, spec_dirs: &[PathBuf]) -> Outcome {
    match c.sub {
        CdiSub::Generate(a) => generate(a),
        CdiSub::List(_) => list(spec_dirs),
    }
}

fn generate(a: GenerateArgs) -> Outcome {
    let host = libpod::cdi::generate::discover(&a.dev_root);
    let spec = libpod::cdi::generate::nvidia_spec(&host).map_err(libpod::LibpodError::from)?;
    let text = serde_json::to_string_pretty(&spec).map_err(anyhow::Error::from)? + "\n";
    match a.output {
        None => {
            print!("{text}");
            Ok(0)
        }
        Some(path) => {
            // Through a temporary file: a reader never sees half a spec.
            let tmp = path.with_extension("tmp");
            let write = || -> std::io::Result<()> {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)
            };
            write().map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Failure {
                    code: 125,
                    message: format!("write the CDI spec {}: {e}", path.display()),
                }
            })?;
            eprintln!(
                "Wrote {} ({} GPU(s): nvidia.com/gpu=all, {})",
                path.display(),
                host.gpus.len(),
                host.gpus
                    .iter()
                    .map(|(n, _, _)| format!("nvidia.com/gpu={n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(0)
        }
    }
}

fn list(spec_dirs: &[PathBuf]) -> Outcome {
    let dirs = libpod::cdi::spec_dirs(spec_dirs);
    let reg = libpod::cdi::Registry::load(&dirs).map_err(libpod::LibpodError::from)?;
    for n in reg.names() {
        println!("{n}");
    }
    Ok(0)
}
