//! The docker/podman seccomp profile format (`/usr/share/containers/seccomp.json`,
//! `--security-opt seccomp=FILE`), as containers/common's `pkg/seccomp` reads it.
//!
//! Only the JSON shape lives here; turning it into a filter is `seccomp.rs`'s job. Fields the
//! format carries for humans (`comment`, `errno`, `defaultErrno`) are accepted and ignored, as
//! podman does.

use serde::{Deserialize, Deserializer};

/// A whole profile file.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeccompProfile {
    #[serde(default)]
    pub default_action: String,
    pub default_errno_ret: Option<u32>,
    /// Legacy flat list of `SCMP_ARCH_*`; a profile may use this or `archMap`, not both.
    #[serde(default, deserialize_with = "null_as_default")]
    pub architectures: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub arch_map: Vec<ArchMap>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub syscalls: Vec<SyscallRule>,
    /// `SECCOMP_FILTER_FLAG_*` names.
    #[serde(default, deserialize_with = "null_as_default")]
    pub flags: Vec<String>,
    /// Set only by profiles that route syscalls to a notify listener.
    #[serde(default)]
    pub listener_path: String,
}

/// One `archMap` entry: the native architecture and the sub-architectures that may run on it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArchMap {
    pub architecture: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sub_architectures: Vec<String>,
}

/// One `syscalls[]` block: the same action for a list of syscall names.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SyscallRule {
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub names: Vec<String>,
    pub action: String,
    pub errno_ret: Option<u32>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub args: Vec<ArgRule>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub includes: Filter,
    #[serde(default, deserialize_with = "null_as_default")]
    pub excludes: Filter,
}

/// `includes` / `excludes`: the block applies only if the container has all `caps`, runs on
/// one of `arches` (Go names: amd64, arm64, ...), and the kernel is at least `minKernel`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Filter {
    #[serde(default, deserialize_with = "null_as_default")]
    pub caps: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub arches: Vec<String>,
    /// "MAJOR.MINOR", e.g. "5.8".
    pub min_kernel: Option<String>,
}

/// A condition on one syscall argument.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArgRule {
    pub index: u32,
    #[serde(default)]
    pub value: u64,
    #[serde(default)]
    pub value_two: u64,
    pub op: String,
}

/// Go's encoder writes `null` for empty slices and the shipped profiles contain `"args": null`;
/// treat it like a missing field.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A kernel version as profiles and `uname -r` spell it, compared on major.minor only
/// (containers/common's `KernelVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct KernelVersion {
    pub major: u64,
    pub minor: u64,
}

impl KernelVersion {
    /// Parses "6.18", "6.18.44-fc-v782" or "5.8": anything after the minor number is ignored.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.trim().splitn(3, '.');
        let major = parts.next()?.parse().ok()?;
        let minor_part = parts.next()?;
        let digits_end = minor_part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(minor_part.len());
        let minor = minor_part[..digits_end].parse().ok()?;
        Some(Self { major, minor })
    }

    /// The running kernel, from uname(2).
    pub fn running() -> Option<Self> {
        let uts = nix::sys::utsname::uname().ok()?;
        Self::parse(&uts.release().to_string_lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_version_parses_uname_and_profile_spellings() {
        assert_eq!(
            KernelVersion::parse("6.18.44-fc-v782"),
            Some(KernelVersion {
                major: 6,
                minor: 18
            })
        );
        assert_eq!(
            KernelVersion::parse("5.8"),
            Some(KernelVersion { major: 5, minor: 8 })
        );
        assert_eq!(
            KernelVersion::parse("4.19-rc1"),
            Some(KernelVersion {
                major: 4,
                minor: 19
            })
        );
        assert_eq!(KernelVersion::parse("six"), None);
        assert!(KernelVersion::parse("5.10").unwrap() > KernelVersion::parse("5.8").unwrap());
    }

    #[test]
    fn null_lists_read_as_empty() {
        let p: SeccompProfile = serde_json::from_str(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":null,"includes":{"caps":null},"excludes":null}]}"#,
        )
        .unwrap();
        assert!(p.syscalls[0].args.is_empty());
        assert!(p.syscalls[0].includes.caps.is_empty());
    }
}
