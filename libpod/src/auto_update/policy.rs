//! What auto-update decides from a container's record alone: its policy (the
//! `io.containers.autoupdate` label), the systemd unit that runs it (`PODMAN_SYSTEMD_UNIT` in
//! its environment), whether its image name can be checked, and what to do after the unit's
//! restart. Pure logic: it must never touch the store, the network or systemd.

use super::AutoUpdateError;

/// The label that opts a container in, as podman names it.
pub const LABEL: &str = "io.containers.autoupdate";

/// The environment variables naming the container's unit: podman's (set by generated units
/// and quadlet), then burrow's own spelling.
pub const UNIT_ENV: [&str; 2] = ["PODMAN_SYSTEMD_UNIT", "BURROW_SYSTEMD_UNIT"];

/// Where a newer image comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// The registry the image name points to (podman's `registry`, alias `image`).
    Registry,
    /// The image now tagged locally under the container's image name.
    Local,
}

impl Policy {
    /// The label's value: `None` when the container is not auto-updated (no label,
    /// `disabled`, or empty, as podman treats them).
    pub fn from_label(
        container: &str,
        value: Option<&str>,
    ) -> Result<Option<Policy>, AutoUpdateError> {
        match value.map(str::trim) {
            None | Some("") | Some("disabled") => Ok(None),
            Some("registry") | Some("image") => Ok(Some(Policy::Registry)),
            Some("local") => Ok(Some(Policy::Local)),
            Some(other) => Err(AutoUpdateError::InvalidPolicy {
                container: container.to_string(),
                value: other.to_string(),
            }),
        }
    }

    /// As podman prints it (`image` is reported as `registry`).
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Registry => "registry",
            Policy::Local => "local",
        }
    }
}

/// The unit named in a container's environment (`KEY=VALUE` entries), podman's name first.
pub fn unit_from_env(env: &[String]) -> Option<String> {
    UNIT_ENV.iter().find_map(|key| {
        env.iter()
            .filter_map(|e| e.split_once('='))
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.to_string())
    })
}

/// A registry check needs to know which registry to ask: podman refuses short names, since
/// what they resolve to depends on registries.conf at the time of the check; and a digest
/// never changes, so there is nothing to check.
pub fn require_checkable(container: &str, image: &str) -> Result<(), AutoUpdateError> {
    let not = |reason: &str| AutoUpdateError::NotQualified {
        container: container.to_string(),
        image: image.to_string(),
        reason: reason.to_string(),
    };
    let r = storage::reference::Reference::parse(image).map_err(|e| not(&e.to_string()))?;
    if r.domain.is_none() {
        return Err(not(
            "a registry auto-update needs a fully-qualified reference (REGISTRY/NAME:TAG)",
        ));
    }
    if r.digest.is_some() {
        return Err(not("a reference by digest never changes"));
    }
    Ok(())
}

/// `.State.Health.Status` of a container's inspect, when it has a healthcheck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// No healthcheck: only the unit's start result counts.
    None,
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn of_inspect(v: &serde_json::Value) -> Health {
        match v
            .pointer("/State/Health/Status")
            .and_then(serde_json::Value::as_str)
        {
            Some("starting") => Health::Starting,
            Some("healthy") => Health::Healthy,
            Some("unhealthy") => Health::Unhealthy,
            _ => Health::None,
        }
    }
}

/// How a restarted unit came up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    /// The unit started and its containers are not unhealthy.
    Ok,
    /// `systemctl restart` failed (its message), or a container came up unhealthy.
    Failed(String),
}

impl Started {
    /// The verdict from the restart's result and each restarted container's health.
    pub fn judge(restart: Result<(), String>, health: &[(String, Health)]) -> Started {
        if let Err(e) = restart {
            return Started::Failed(e);
        }
        match health.iter().find(|(_, h)| *h == Health::Unhealthy) {
            Some((name, _)) => Started::Failed(format!("container {name} is unhealthy")),
            None => Started::Ok,
        }
    }
}

/// What follows a unit's restart with new images.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Updated.
    Done,
    /// Put the previous images back and restart again.
    RollBack(String),
    /// The failure stands (`--rollback=false`).
    Fail(String),
}

pub fn after_restart(started: Started, rollback: bool) -> Next {
    match started {
        Started::Ok => Next::Done,
        Started::Failed(why) if rollback => Next::RollBack(why),
        Started::Failed(why) => Next::Fail(why),
    }
}

/// Whether the registry holds something else than the container's image: its manifest
/// digest differs. A false positive (an image pushed from here, whose stored manifest is
/// not the registry's) costs one pull that finds the same image id, so no restart.
pub fn registry_differs(local_digest: &str, remote_digest: &str) -> bool {
    local_digest != remote_digest
}

/// Whether the image now tagged under the name is another than the container's.
pub fn local_differs(container_image_id: &str, tagged_image_id: &str) -> bool {
    container_image_id != tagged_image_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_labels_as_podman_reads_them() {
        let p = |v| Policy::from_label("c", v);
        assert_eq!(p(None).ok(), Some(None));
        assert_eq!(p(Some("disabled")).ok(), Some(None));
        assert_eq!(p(Some("")).ok(), Some(None));
        assert_eq!(p(Some("registry")).ok(), Some(Some(Policy::Registry)));
        assert_eq!(p(Some("image")).ok(), Some(Some(Policy::Registry)));
        assert_eq!(p(Some("local")).ok(), Some(Some(Policy::Local)));
        let err = p(Some("nightly"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("\"nightly\"") && err.contains("registry"),
            "{err}"
        );
    }

    #[test]
    fn unit_comes_from_podmans_variable_first() {
        let env = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            unit_from_env(&env(&["PATH=/bin", "PODMAN_SYSTEMD_UNIT=web.service"])),
            Some("web.service".into())
        );
        assert_eq!(
            unit_from_env(&env(&[
                "BURROW_SYSTEMD_UNIT=b.service",
                "PODMAN_SYSTEMD_UNIT=p.service"
            ])),
            Some("p.service".into())
        );
        assert_eq!(
            unit_from_env(&env(&["BURROW_SYSTEMD_UNIT=b.service"])),
            Some("b.service".into())
        );
        assert_eq!(unit_from_env(&env(&["PODMAN_SYSTEMD_UNIT="])), None);
        assert_eq!(unit_from_env(&env(&["A=1"])), None);
    }

    #[test]
    fn registry_checks_need_a_qualified_tag_reference() {
        assert!(require_checkable("c", "quay.io/a/b:1").is_ok());
        assert!(require_checkable("c", "127.0.0.1:5000/img").is_ok());
        assert!(require_checkable("c", "localhost/img:latest").is_ok());
        let short = require_checkable("c", "busybox")
            .err()
            .map(|e| e.to_string());
        assert!(
            short
                .as_deref()
                .is_some_and(|m| m.contains("fully-qualified")),
            "{short:?}"
        );
        let digest = format!("quay.io/a@sha256:{}", "0".repeat(64));
        assert!(require_checkable("c", &digest).is_err());
    }

    #[test]
    fn health_is_read_only_where_inspect_has_it() {
        let v = |s: &str| serde_json::json!({"State": {"Health": {"Status": s}}});
        assert_eq!(Health::of_inspect(&v("healthy")), Health::Healthy);
        assert_eq!(Health::of_inspect(&v("unhealthy")), Health::Unhealthy);
        assert_eq!(Health::of_inspect(&v("starting")), Health::Starting);
        assert_eq!(
            Health::of_inspect(&serde_json::json!({"State": {"Status": "running"}})),
            Health::None
        );
    }

    #[test]
    fn a_failed_start_or_an_unhealthy_container_rolls_back() {
        let ok = Started::judge(Ok(()), &[("web".into(), Health::None)]);
        assert_eq!(after_restart(ok.clone(), true), Next::Done);
        let healthy = Started::judge(Ok(()), &[("web".into(), Health::Healthy)]);
        assert_eq!(after_restart(healthy, true), Next::Done);
        let failed = Started::judge(Err("exit 1".into()), &[]);
        assert_eq!(
            after_restart(failed.clone(), true),
            Next::RollBack("exit 1".into())
        );
        assert_eq!(after_restart(failed, false), Next::Fail("exit 1".into()));
        let sick = Started::judge(Ok(()), &[("web".into(), Health::Unhealthy)]);
        assert!(matches!(after_restart(sick, true), Next::RollBack(m) if m.contains("web")));
    }

    #[test]
    fn image_comparisons() {
        assert!(registry_differs("sha256:a", "sha256:b"));
        assert!(!registry_differs("sha256:a", "sha256:a"));
        assert!(local_differs("a", "b"));
        assert!(!local_differs("a", "a"));
    }
}
