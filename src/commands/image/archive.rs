//! load, import, save and export: images and containers in and out as tar archives.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use libpod::Runtime;

use crate::commands::{Failure, Outcome};

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
