//! rmi, tag, untag and image prune: naming and removing images.

use clap::Args;
use libpod::Runtime;

use crate::commands::{Failure, Outcome};

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
                last = Some(Failure::removal(e));
            }
        }
    }
    match last {
        Some(e) => Err(e),
        None => Ok(0),
    }
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
    if !a.force && !crate::commands::confirm(&format!("WARNING! This command removes {what}.")) {
        return Ok(0);
    }
    for id in rt.prune_images(a.all)? {
        println!("{id}");
    }
    Ok(0)
}
