//! Image commands: images, rmi, load, import, tag, untag, history, save, export, image
//! inspect/exists/prune/tree/mount and the `image` group.

mod archive;
mod history;
mod list;
mod manage;
mod mount;
mod tree;
mod trust;

use clap::{Args, Subcommand};
use libpod::Runtime;
use serde_json::Value;

pub use archive::{ExportArgs, ImportArgs, LoadArgs, SaveArgs, export, import, load, save};
pub use history::{HistoryArgs, history};
pub use list::{ImagesArgs, images};
pub use manage::{PruneArgs, RmiArgs, TagArgs, UntagArgs, prune, rmi, tag, untag};
pub use mount::{ImageMountArgs, ImageUnmountArgs, image_mount, image_unmount};
pub use tree::{TreeArgs, tree};

use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct ImageCmd {
    #[command(subcommand)]
    cmd: ImageSub,
}

#[derive(Subcommand, Debug)]
enum ImageSub {
    /// List images in local storage
    #[command(alias = "ls")]
    List(ImagesArgs),
    /// Remove one or more images from local storage
    Rm(RmiArgs),
    /// Load image(s) from a tar archive
    Load(LoadArgs),
    /// Import a tarball to create a filesystem image
    Import(ImportArgs),
    /// Add an additional name to a local image
    Tag(TagArgs),
    /// Display the configuration of an image
    Inspect(ImageInspectArgs),
    /// Check if an image exists in local storage
    Exists(ImageExistsArgs),
    /// Remove a name from a local image
    Untag(UntagArgs),
    /// Remove unused images
    Prune(PruneArgs),
    /// Show history of a specified image
    History(HistoryArgs),
    /// Print layer hierarchy of an image in a tree format
    Tree(TreeArgs),
    /// Save image(s) to an archive
    Save(SaveArgs),
    /// Mount an image's root filesystem
    Mount(ImageMountArgs),
    /// Unmount an image's root filesystem
    #[command(alias = "umount")]
    Unmount(ImageUnmountArgs),
    /// Inspect changes to the image's file systems
    Diff(super::files::DiffArgs),
    /// Build an image using instructions from Containerfiles
    Build(Box<super::build::BuildArgs>),
    /// Pull an image from a registry
    Pull(super::registry::PullArgs),
    /// Push an image to a specified destination
    Push(super::registry::PushArgs),
    /// Search a registry for an image
    Search(super::registry::SearchArgs),
    /// Manage container image trust policy
    Trust(trust::TrustCmd),
    /// Sign an image in a registry (simple signing with a GPG key)
    Sign(super::registry::SignArgs),
}

#[derive(Args, Debug)]
pub struct ImageInspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long)]
    format: Option<String>,
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ImageExistsArgs {
    name: String,
}

pub fn group(rt: &Runtime, c: ImageCmd) -> Outcome {
    match c.cmd {
        ImageSub::List(a) => images(rt, a),
        ImageSub::Rm(a) => rmi(rt, a),
        ImageSub::Load(a) => load(rt, a),
        ImageSub::Import(a) => import(rt, a),
        ImageSub::Tag(a) => tag(rt, a),
        ImageSub::Inspect(a) => {
            let mut items = Vec::new();
            for n in &a.names {
                items.push(rt.inspect_image(n)?);
            }
            match &a.format {
                Some(f) if f != "json" => {
                    for i in &items {
                        println!("{}", crate::template::render(f, i).map_err(Failure::new)?);
                    }
                    Ok(0)
                }
                _ => {
                    crate::output::print_json(&Value::Array(items));
                    Ok(0)
                }
            }
        }
        ImageSub::Exists(a) => Ok(if rt.image(&a.name).is_ok() { 0 } else { 1 }),
        ImageSub::Diff(a) => super::files::diff(rt, a),
        ImageSub::Build(a) => super::build::build(rt, *a),
        ImageSub::Pull(a) => super::registry::pull(rt, a),
        ImageSub::Push(a) => super::registry::push(rt, a),
        ImageSub::Search(a) => super::registry::search(a),
        ImageSub::Untag(a) => untag(rt, a),
        ImageSub::Prune(a) => prune(rt, a),
        ImageSub::History(a) => history(rt, a),
        ImageSub::Tree(a) => tree(rt, a),
        ImageSub::Save(a) => save(rt, a),
        ImageSub::Mount(a) => image_mount(rt, a),
        ImageSub::Unmount(a) => image_unmount(rt, a),
        ImageSub::Trust(c) => trust::trust(rt, c),
        ImageSub::Sign(a) => super::registry::sign(rt, a),
    }
}
