//! `image mount` and `image unmount`.

use clap::Args;
use libpod::Runtime;
use serde_json::{Value, json};

use crate::commands::{Failure, Outcome};
use crate::output::print_table;

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
