//! Process security for containers: which capabilities a container gets, its seccomp filter,
//! podman's masked and read-only paths, and the credential switch the container's first
//! process performs on itself right before `execve`.
//!
//! Decisions ([`capabilities::resolve`], [`seccomp::compile`]) are made in the parent, before
//! it forks; [`ProcessSecurity::apply`] is the only part that changes a process and it must run
//! in the forked child, never in burrow itself. Nothing here starts a thread.

pub mod bpf;
mod bpf_compact;
pub mod capabilities;
mod process;
mod profile;
pub mod seccomp;

use std::path::PathBuf;

pub use process::ProcessSecurity;

/// Paths podman hides in every non-privileged container (containers/common
/// `DefaultMaskedPaths`, podman 5): files get /dev/null bound over them, directories an empty
/// read-only tmpfs.
pub const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/dev/block",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
    "/sys/fs/selinux",
];

/// Paths podman remounts read-only in every non-privileged container (containers/common
/// `DefaultReadOnlyPaths`).
pub const READONLY_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// The paths a container gets masked and read-only: podman's defaults (none when privileged),
/// minus `unmask` ("ALL": every default), plus `mask`.
pub fn masked_and_readonly(
    privileged: bool,
    mask: &[String],
    unmask: &[String],
) -> (Vec<String>, Vec<String>) {
    let all = unmask.iter().any(|u| u == "ALL");
    let keep = |p: &&&str| !privileged && !all && !unmask.iter().any(|u| u == **p);
    let mut masked: Vec<String> = MASKED_PATHS
        .iter()
        .filter(keep)
        .map(|p| p.to_string())
        .collect();
    for m in mask {
        if !masked.contains(m) {
            masked.push(m.clone());
        }
    }
    let readonly = READONLY_PATHS
        .iter()
        .filter(keep)
        .map(|p| p.to_string())
        .collect();
    (masked, readonly)
}

/// Errors of this module; each message names the capability, profile file or syscall involved.
#[derive(thiserror::Error, Debug)]
pub enum SecurityError {
    /// `--cap-add`/`--cap-drop` named a capability that does not exist; holds the name without
    /// the "CAP_" prefix, upper-cased.
    #[error("unknown capability \"CAP_{0}\"")]
    UnknownCapability(String),

    /// The same capability in `--cap-add` and `--cap-drop` ("CAP_X").
    #[error("capability \"{0}\" cannot be dropped and added")]
    CapabilityAddedAndDropped(String),

    #[error("adding all caps and removing all caps not allowed")]
    AddAndDropAll,

    #[error("opening seccomp profile {path}: {source}")]
    ProfileRead {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("decoding seccomp profile {profile}: {source}")]
    ProfileParse {
        profile: String,
        source: serde_json::Error,
    },

    /// The profile parsed but asks for something invalid or unsupported.
    #[error("seccomp profile {profile}: {reason}")]
    ProfileInvalid { profile: String, reason: String },

    /// libseccomp refused part of the profile while compiling it.
    #[error("seccomp profile {profile}: {what}: {source}")]
    Seccomp {
        profile: String,
        what: String,
        source: libseccomp::error::SeccompError,
    },

    #[error("loading the seccomp filter: {0}")]
    SeccompLoad(libseccomp::error::SeccompError),

    /// A credential or capability syscall failed in the container's child, e.g.
    /// `setresuid(1000): EPERM`.
    #[error("{call}: {source}")]
    Syscall {
        call: String,
        source: nix::errno::Errno,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_lists_are_absolute_and_distinct() {
        for list in [MASKED_PATHS, READONLY_PATHS] {
            let mut seen = std::collections::HashSet::new();
            for p in list {
                assert!(p.starts_with('/'), "{p}");
                assert!(seen.insert(p), "{p} twice");
            }
        }
        assert!(MASKED_PATHS.iter().all(|m| !READONLY_PATHS.contains(m)));
    }
}
