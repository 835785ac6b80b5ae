//! Which capabilities a container gets: podman 5's default set, `--cap-add` / `--cap-drop` /
//! `--privileged` merged exactly as containers/common's `MergeCapabilities` does, and the
//! names `inspect` prints.
//!
//! Pure decisions only: nothing here changes the capabilities of the calling process (that is
//! [`super::ProcessSecurity::apply`], in the container's child).

use std::str::FromStr;

use caps::{CapSet, Capability, CapsHashSet};

use super::SecurityError;

/// containers.conf `default_capabilities` as shipped with podman 5 (containers/common
/// `DefaultCapabilities`). Docker's extra AUDIT_WRITE, MKNOD and NET_RAW are not in it.
const DEFAULT_CAPABILITIES: [Capability; 11] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FOWNER,
    Capability::CAP_FSETID,
    Capability::CAP_KILL,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETGID,
    Capability::CAP_SETPCAP,
    Capability::CAP_SETUID,
    Capability::CAP_SYS_CHROOT,
];

/// podman 5's default set: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE,
/// SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.
pub fn default_set() -> CapsHashSet {
    DEFAULT_CAPABILITIES.into_iter().collect()
}

/// Every capability a container can be given from here: known to the running kernel
/// (`/proc/sys/kernel/cap_last_cap`) and still in this process's own bounding set. This is
/// containers/common's `capabilities.BoundingSet()`, the set `--privileged` and
/// `--cap-add=all` mean. Asking for more would only make `capset` fail in the child.
pub fn bounding_set() -> CapsHashSet {
    let known = caps::runtime::procfs_all_supported(None)
        .unwrap_or_else(|_| caps::runtime::thread_all_supported());
    // PR_CAPBSET_READ cannot fail for a capability the kernel knows, and unknown ones were
    // filtered above; an unreadable bounding set degrades to "nothing to give".
    let ours = caps::read(None, CapSet::Bounding).unwrap_or_default();
    known.intersection(&ours).copied().collect()
}

/// A normalized `--cap-add`/`--cap-drop` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CapName {
    All,
    One(Capability),
}

/// containers/common `NormalizeCapabilities`: case-insensitive, "CAP_" optional, "ALL" kept.
fn normalize(names: &[String]) -> Result<Vec<CapName>, SecurityError> {
    names
        .iter()
        .map(|name| {
            let upper = name.trim().to_ascii_uppercase();
            if upper == "ALL" {
                return Ok(CapName::All);
            }
            let canonical = caps::to_canonical(&upper);
            Capability::from_str(&canonical)
                .map(CapName::One)
                .map_err(|_| {
                    SecurityError::UnknownCapability(
                        canonical.trim_start_matches("CAP_").to_string(),
                    )
                })
        })
        .collect()
}

/// The container's capability set for `--cap-add`, `--cap-drop` and `--privileged`, following
/// podman (containers/common `MergeCapabilities` over the default set, then the result cut
/// down to [`bounding_set`]):
///
/// - `--privileged`: every capability in [`bounding_set`]; add/drop are ignored (not even
///   validated), as in podman.
/// - `--cap-drop=all`: exactly the `--cap-add` list (`--cap-drop=all --cap-add=X` is just X);
///   `--cap-drop=all --cap-add=all` is an error.
/// - `--cap-add=all`: [`bounding_set`] minus the drops.
/// - otherwise the default set plus the adds minus the drops; naming the same capability in
///   both lists is an error, as in podman (`capability "CAP_X" cannot be dropped and added`).
///
/// Unknown names fail with [`SecurityError::UnknownCapability`].
pub fn resolve(
    cap_add: &[String],
    cap_drop: &[String],
    privileged: bool,
) -> Result<CapsHashSet, SecurityError> {
    resolve_with_defaults(None, cap_add, cap_drop, privileged)
}

/// [`resolve`] with another default set than podman's (containers.conf's
/// `default_capabilities`).
pub fn resolve_with_defaults(
    defaults: Option<&[String]>,
    cap_add: &[String],
    cap_drop: &[String],
    privileged: bool,
) -> Result<CapsHashSet, SecurityError> {
    let available = bounding_set();
    let default_caps = match defaults {
        Some(list) => normalize(list)?
            .into_iter()
            .filter_map(|c| match c {
                CapName::One(cap) => Some(cap),
                CapName::All => None,
            })
            .collect(),
        None => default_set(),
    };
    // podman never looks at the lists when privileged, not even to validate them.
    if privileged {
        return Ok(available);
    }
    let adds = normalize(cap_add)?;
    let drops = normalize(cap_drop)?;

    let only = |list: &[CapName]| -> CapsHashSet {
        list.iter()
            .filter_map(|c| match c {
                CapName::One(cap) => Some(*cap),
                CapName::All => None,
            })
            .collect()
    };
    let add_set = only(&adds);
    let drop_set = only(&drops);

    let merged = if drops.contains(&CapName::All) {
        if adds.contains(&CapName::All) {
            return Err(SecurityError::AddAndDropAll);
        }
        add_set
    } else {
        let base = if adds.contains(&CapName::All) {
            available.clone()
        } else {
            if let Some(both) = sorted(add_set.intersection(&drop_set).copied()).first() {
                return Err(SecurityError::CapabilityAddedAndDropped(both.to_string()));
            }
            default_caps.union(&add_set).copied().collect()
        };
        base.difference(&drop_set).copied().collect::<CapsHashSet>()
    };
    // podman silently leaves out what the engine itself does not hold.
    Ok(merged.intersection(&available).copied().collect())
}

fn sorted(caps: impl Iterator<Item = Capability>) -> Vec<Capability> {
    let mut v: Vec<Capability> = caps.collect();
    v.sort_by_key(|c| c.to_string());
    v
}

/// Names as podman prints them in `inspect` (`EffectiveCaps`, `BoundingCaps`): "CAP_CHOWN",
/// sorted by name.
pub fn names(set: &CapsHashSet) -> Vec<String> {
    let mut v: Vec<String> = set.iter().map(|c| c.to_string()).collect();
    v.sort();
    v
}

/// The kernel's bit mask for a set, as `/proc/PID/status` shows it in `CapEff:` etc.
pub fn mask(set: &CapsHashSet) -> u64 {
    set.iter().fold(0, |m, c| m | c.bitmask())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(list: &[&str]) -> Vec<String> {
        list.iter().map(|x| x.to_string()).collect()
    }

    fn set(list: &[Capability]) -> CapsHashSet {
        list.iter().copied().collect()
    }

    #[test]
    fn default_set_is_podmans_eleven() {
        assert_eq!(mask(&default_set()), 0x0000_0000_8004_05fb);
        assert_eq!(
            names(&default_set()),
            s(&[
                "CAP_CHOWN",
                "CAP_DAC_OVERRIDE",
                "CAP_FOWNER",
                "CAP_FSETID",
                "CAP_KILL",
                "CAP_NET_BIND_SERVICE",
                "CAP_SETFCAP",
                "CAP_SETGID",
                "CAP_SETPCAP",
                "CAP_SETUID",
                "CAP_SYS_CHROOT",
            ])
        );
    }

    #[test]
    fn no_flags_give_the_default_set() {
        assert_eq!(resolve(&[], &[], false).unwrap(), default_set());
    }

    #[test]
    fn add_and_drop_accept_every_spelling() {
        let got = resolve(
            &s(&["net_admin", "CAP_SYS_PTRACE", "Cap_Net_Raw"]),
            &s(&["chown", "CAP_KILL", "cap_setfcap"]),
            false,
        )
        .unwrap();
        let mut want = default_set();
        want.extend([
            Capability::CAP_NET_ADMIN,
            Capability::CAP_SYS_PTRACE,
            Capability::CAP_NET_RAW,
        ]);
        for c in [
            Capability::CAP_CHOWN,
            Capability::CAP_KILL,
            Capability::CAP_SETFCAP,
        ] {
            want.remove(&c);
        }
        assert_eq!(got, want);
    }

    #[test]
    fn drop_all_then_add_gives_only_the_adds() {
        assert_eq!(
            resolve(&s(&["net_bind_service"]), &s(&["all"]), false).unwrap(),
            set(&[Capability::CAP_NET_BIND_SERVICE])
        );
        assert!(resolve(&[], &s(&["ALL"]), false).unwrap().is_empty());
        // "all" may sit next to other drops.
        assert_eq!(
            resolve(&s(&["CAP_KILL"]), &s(&["chown", "All"]), false).unwrap(),
            set(&[Capability::CAP_KILL])
        );
    }

    #[test]
    fn add_all_gives_the_bounding_set_minus_drops() {
        let mut want = bounding_set();
        assert_eq!(resolve(&s(&["all"]), &[], false).unwrap(), want);
        want.remove(&Capability::CAP_SYS_ADMIN);
        assert_eq!(
            resolve(&s(&["ALL"]), &s(&["sys_admin"]), false).unwrap(),
            want
        );
    }

    #[test]
    fn add_all_and_drop_all_is_refused() {
        let err = resolve(&s(&["all"]), &s(&["all"]), false).unwrap_err();
        assert!(matches!(err, SecurityError::AddAndDropAll), "{err}");
    }

    #[test]
    fn adding_and_dropping_one_capability_is_refused_like_podman() {
        let err = resolve(&s(&["net_admin"]), &s(&["CAP_NET_ADMIN"]), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "capability \"CAP_NET_ADMIN\" cannot be dropped and added"
        );
    }

    #[test]
    fn privileged_is_everything_the_kernel_and_engine_have() {
        let all = resolve(&[], &[], true).unwrap();
        assert_eq!(all, bounding_set());
        assert!(all.is_superset(&default_set()));
        // Drops do not narrow --privileged in podman either.
        assert_eq!(resolve(&[], &s(&["chown"]), true).unwrap(), all);
        let last: u8 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(all.iter().all(|c| c.index() <= last));
    }

    #[test]
    fn unknown_names_are_reported_with_the_cap_prefix() {
        let err = resolve(&s(&["net_foo"]), &[], false).unwrap_err();
        assert!(matches!(&err, SecurityError::UnknownCapability(n) if n == "NET_FOO"));
        assert_eq!(err.to_string(), "unknown capability \"CAP_NET_FOO\"");
        let err = resolve(&[], &s(&["CAP_BOGUS"]), false).unwrap_err();
        assert_eq!(err.to_string(), "unknown capability \"CAP_BOGUS\"");
    }

    #[test]
    fn names_are_sorted_and_prefixed() {
        assert_eq!(
            names(&set(&[
                Capability::CAP_SYS_ADMIN,
                Capability::CAP_AUDIT_WRITE
            ])),
            s(&["CAP_AUDIT_WRITE", "CAP_SYS_ADMIN"])
        );
    }
}
