//! Registries: registries.conf resolution, credentials, the distribution API client, pull and
//! push. Knows nothing of containers; libpod passes in the files and flags.

pub mod attachments;
pub mod auth;
pub mod client;
pub mod conf;
pub mod manifest;
pub mod policy;
pub mod pull;
pub mod push;
pub mod push_list;
pub mod search;
pub mod signature;
pub mod sigstore;

pub use auth::Credentials;
pub use conf::RegistriesConf;
pub use manifest::Platform;
pub use pull::{PullEvent, PullOptions, Quiet, RegistryOptions, Reporter, pull};
