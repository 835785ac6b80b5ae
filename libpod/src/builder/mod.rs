//! `burrow build` (issue "burrow build"): Containerfile parsing, variable substitution, the
//! build context's ignore rules, COPY/ADD layers, the build cache and the step executor.

pub mod cache;
pub mod copy;
pub mod exec;
#[cfg(test)]
mod fuzz_tests;
mod heredoc;
pub mod ignore;
pub mod plan;
pub mod words;

pub use exec::{BuildError, BuildOptions};
