//! systemd unit files as data: [`UnitFile`] parses and renders the INI-like format systemd
//! reads (sections, repeated keys, comments, continuation lines), and [`quote`] holds systemd's
//! quoting and escaping rules for command lines, values and unit names. It knows nothing of
//! containers: callers describe a unit, this crate writes it.

mod error;
mod file;
pub mod quote;

pub use error::UnitError;
pub use file::{Entry, Section, UnitFile};
