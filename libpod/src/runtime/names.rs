//! Container ids and podman-style random names ("quirky_hopper").

use crate::error::{LibpodError, Result};

const ADJECTIVES: &[&str] = &[
    "admiring",
    "brave",
    "busy",
    "clever",
    "cool",
    "eager",
    "elated",
    "festive",
    "gallant",
    "gifted",
    "happy",
    "hungry",
    "jolly",
    "keen",
    "kind",
    "loving",
    "lucid",
    "modest",
    "nifty",
    "optimistic",
    "peaceful",
    "quirky",
    "relaxed",
    "serene",
    "sharp",
    "sleepy",
    "stoic",
    "tender",
    "upbeat",
    "vibrant",
    "wizardly",
    "zealous",
];
const NAMES: &[&str] = &[
    "agnesi", "babbage", "bell", "booth", "curie", "darwin", "dijkstra", "einstein", "euler",
    "faraday", "fermi", "galileo", "hopper", "hypatia", "kepler", "knuth", "lamport", "lovelace",
    "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "thompson", "torvalds",
    "turing", "wozniak",
];

pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| LibpodError::InvalidState(format!("random: {e}")))?;
    Ok(b)
}

pub fn new_id() -> Result<String> {
    Ok(hex::encode(random_bytes::<32>()?))
}

pub fn random_name() -> Result<String> {
    let b = random_bytes::<2>()?;
    Ok(format!(
        "{}_{}",
        ADJECTIVES[b[0] as usize % ADJECTIVES.len()],
        NAMES[b[1] as usize % NAMES.len()]
    ))
}

/// podman's rule for names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn validate_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(LibpodError::InvalidArgument(format!(
            "invalid container name \"{name}\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
        )))
    }
}
