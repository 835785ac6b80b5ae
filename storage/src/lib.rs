//! burrow's image store: content-addressed layers keyed by chain ID and extracted once,
//! image records in one small index, docker-archive/oci-archive loading, tarball import and
//! rootfs mounts. A library with plain inputs: it must never know about containers, pods,
//! networks or libpod's database.

pub mod archive;
pub mod artifact;
pub mod changes;
pub mod check;
pub mod commit;
pub mod compression;
pub mod copy;
pub mod detached;
pub mod digest;
pub mod dirtar;
pub mod error;
pub mod filter;
pub mod history;
pub mod import;
pub mod index;
pub mod layer;
mod manifest;
pub mod manifest_list;
pub mod mapped;
pub mod matchers;
pub mod mount_ns;
pub mod reference;
pub mod registry;
pub mod rootfs;
pub mod save;
mod stage;
pub mod store;
pub mod tags;
pub mod tarsplit;
pub mod timefmt;
mod workdir;
mod xattr;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod testutil;

pub use error::StorageError;
pub use index::{Image, LayerRecord};
pub use oci_spec::image::{ImageConfiguration, ImageManifest};
pub use store::{Driver, Store};
