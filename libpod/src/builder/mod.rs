//! `burrow build`: Containerfile parsing, variable substitution, the build context and its
//! ignore rules, COPY/ADD layers, the build cache and the step executor. Callers use
//! [`BuildOptions`], [`BuildError`], [`check_platform`] and `Runtime::build`.

pub mod cache;
mod commit;
mod context;
pub mod copy;
mod copy_step;
mod error;
mod executor;
#[cfg(test)]
mod fuzz_tests;
mod healthcheck;
mod heredoc;
pub mod ignore;
mod instruction;
mod options;
pub mod plan;
mod run_step;
pub mod words;

pub use error::BuildError;
pub use options::{BuildOptions, check_platform};
