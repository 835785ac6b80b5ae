//! Container ids, podman-style random names ("quirky_hopper"), and the one rule every name a
//! user gives an object (container, pod, volume, network) must follow. Each create path calls
//! [`validate`] before it writes anything; there is no other copy of the rule.

use std::fmt;

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

/// What a user-given name names: the kinds podman checks against its name rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Container,
    Pod,
    Volume,
    Network,
}

/// The longest name burrow accepts, for every kind. podman itself sets no limit on these
/// kinds (only secret names, 253) and fails late instead: a 300-character volume or network
/// name stops at "file name too long" when it writes `volumes/<name>` or `<name>.json`, a
/// container name of any length is stored. 253 is the longest DNS name (container and pod
/// names are resolved through the hosts files of user networks), podman's limit for secret
/// names, and below NAME_MAX (255), so `volumes/<name>` can always be created. (A pod's
/// default hostname, its name, is cut to the kernel's 64 bytes where it is made.)
pub const MAX_NAME_LEN: usize = 253;

impl NameKind {
    /// The longest name of this kind; see [`MAX_NAME_LEN`] for why it is the same for all.
    pub const fn max_len(self) -> usize {
        match self {
            NameKind::Container | NameKind::Pod | NameKind::Volume | NameKind::Network => {
                MAX_NAME_LEN
            }
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Container => "container",
            NameKind::Pod => "pod",
            NameKind::Volume => "volume",
            NameKind::Network => "network",
        })
    }
}

/// A name that breaks podman's rule. The text ends like podman's (`names must match
/// [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument`) and names the kind and the name.
#[derive(thiserror::Error, Debug)]
pub enum NameError {
    #[error(
        "invalid {kind} name {name:?}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
    )]
    Pattern { kind: NameKind, name: String },
    #[error(
        "invalid {kind} name {name:?} ({len} characters): names must be at most {max} characters: invalid argument"
    )]
    TooLong {
        kind: NameKind,
        /// The name's beginning: the whole name could be thousands of characters.
        name: String,
        len: usize,
        max: usize,
    },
}

/// How many characters of a bad name an error message shows.
const SHOWN: usize = 40;

fn shown(name: &str) -> String {
    if name.chars().count() <= SHOWN {
        return name.to_string();
    }
    let mut s: String = name.chars().take(SHOWN).collect();
    s.push_str("...");
    s
}

/// podman's rule for names (libpod/define.NameRegex, "must NOT be changed" there):
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, plus burrow's length limit ([`NameKind::max_len`]).
pub fn validate(kind: NameKind, name: &str) -> std::result::Result<(), NameError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        return Err(NameError::Pattern {
            kind,
            name: shown(name),
        });
    }
    // Only ASCII passed the pattern: bytes are characters.
    if name.len() > kind.max_len() {
        return Err(NameError::TooLong {
            kind,
            name: shown(name),
            len: name.len(),
            max: kind.max_len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_name_rule() {
        for good in ["a", "my-net.1_x", "A1", "0abc", &"a".repeat(MAX_NAME_LEN)] {
            assert!(validate(NameKind::Network, good).is_ok(), "{good}");
        }
        for bad in ["", "-bad", "_x", ".x", "a b", "a/b", "a:b", "é", "a\n"] {
            assert!(
                matches!(
                    validate(NameKind::Volume, bad),
                    Err(NameError::Pattern { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn too_long_names_are_refused_with_a_short_message() {
        let name = "a".repeat(5000);
        let e = validate(NameKind::Network, &name).unwrap_err();
        assert!(matches!(e, NameError::TooLong { len: 5000, .. }));
        let msg = e.to_string();
        assert!(msg.len() < 200, "{msg}");
        assert!(msg.starts_with("invalid network name \"aaaa"), "{msg}");
        assert!(
            msg.ends_with("at most 253 characters: invalid argument"),
            "{msg}"
        );
    }

    #[test]
    fn pattern_message_is_podmans() {
        let e = validate(NameKind::Container, "a b")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid container name \"a b\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
        );
    }
}
