//! Property/fuzz tests of the storage parsers that read what a registry or an archive hands
//! us (run by `fuzz-harness`; the `*_long` tests are `#[ignore]`d and run by scripts/fuzz):
//!
//! - `layer`: layer tar extraction ([`crate::layer::extract`], used by every pull and load)
//!   must never panic, hang, or create, change or link anything outside its destination;
//! - `images`: registry manifests, indexes and image configs, and whole docker-/oci-archives
//!   through [`crate::Store::load`], must never panic or hang, whatever the bytes.
//!
//! Test-only. The generators build their own raw tar bytes (names the tar crate's safe
//! setters refuse, lying sizes, bad checksums); they must never produce a GNU sparse map with
//! large holes: extraction writes holes as zeros, so such an entry is a disk-filling input by
//! design (as in podman), not a finding.

mod images;
mod layer;

/// Bytes shown as an escaped string in failure reports (a name, a link target, a payload).
#[derive(Clone, PartialEq, Eq)]
struct Bytes(Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}
