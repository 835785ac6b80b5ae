//! The one place a [`ContainerSpec`] meets its defaults: the image's config (docker's
//! entrypoint/cmd rules, ENV, WORKDIR, USER, LABEL, STOPSIGNAL, VOLUME) and containers.conf
//! (`env`, `default_ulimits`, `init`, `seccomp_profile`, `default_capabilities`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oci_spec::image::Config as ImageConfig;

use crate::config::ContainersTable;
use crate::container::{Mount, Ulimit};
use crate::error::Result;

use super::{ContainerSpec, SpecError, parse};

/// What the container runs and with what, after the defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    /// Entrypoint then cmd: the process's argv.
    pub args: Vec<String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub user: String,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: String,
    pub ulimits: Vec<Ulimit>,
    pub init: bool,
    /// "" (the built-in profile), "unconfined", or a path.
    pub seccomp: String,
    pub default_caps: Option<Vec<String>>,
    /// The spec's mounts (with what `--volumes-from` brought), then the image's VOLUMEs no
    /// mount covers as anonymous volumes, then the `--read-only-tmpfs` directories.
    pub mounts: Vec<Mount>,
    /// podman's systemd mode (`--systemd` and the command): see [`super::systemd`].
    pub systemd: bool,
}

/// Merges `spec` with the image's config `ic` and containers.conf's `conf`. `mounts` are the
/// spec's mounts as the runtime resolved them (`--volumes-from` needs other containers).
pub fn merge(
    spec: &ContainerSpec,
    mut mounts: Vec<Mount>,
    ic: &ImageConfig,
    conf: &ContainersTable,
) -> Result<Merged> {
    let p = &spec.process;
    let mut stop_signal = match p.stop_signal.as_deref().or(ic.stop_signal().as_deref()) {
        Some(s) => {
            parse::signal_number(s)?;
            s.to_string()
        }
        None => "SIGTERM".to_string(),
    };
    // The image's VOLUME entries not covered by a mount become anonymous volumes (or, with
    // --image-volume, tmpfs mounts or nothing at all).
    let mut image_volumes: Vec<&String> = ic
        .volumes()
        .as_ref()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    image_volumes.sort();
    for path in image_volumes {
        if mounts.iter().any(|m| m.destination == Path::new(path)) {
            continue;
        }
        match spec.storage.image_volume {
            super::ImageVolumeMode::Bind => mounts.push(Mount {
                kind: "volume".into(),
                destination: PathBuf::from(path),
                ..Mount::default()
            }),
            super::ImageVolumeMode::Tmpfs => {
                mounts.push(crate::volume::parse_tmpfs_flag(&format!("{path}:rw"))?)
            }
            super::ImageVolumeMode::Ignore => {}
        }
    }
    if spec.storage.read_only && spec.storage.read_only_tmpfs {
        for dir in ["/tmp", "/var/tmp", "/run"] {
            if !mounts.iter().any(|m| m.destination == Path::new(dir)) {
                mounts.push(crate::volume::parse_tmpfs_flag(&format!(
                    "{dir}:rw,nosuid,nodev"
                ))?);
            }
        }
    }
    // containers.conf's default_ulimits, then --ulimit (the later one per name wins).
    let mut ulimits: Vec<Ulimit> = Vec::new();
    for u in conf.default_ulimits.iter().map(|u| parse::ulimit(u)) {
        let u = u?;
        ulimits.retain(|x| x.name != u.name);
        ulimits.push(u);
    }
    for u in &spec.resources.ulimits {
        ulimits.retain(|x| x.name != u.name);
        ulimits.push(u.clone());
    }
    // Capabilities are checked now so a typo fails `create`, not `start`.
    crate::security::capabilities::resolve_with_defaults(
        conf.default_capabilities.as_deref(),
        &spec.security.cap_add,
        &spec.security.cap_drop,
        spec.security.privileged,
    )?;
    // containers.conf's env first: the image's and the user's override it (spec/env.rs).
    let host_env = if p.env_host || p.http_proxy {
        super::env::caller_env()
    } else {
        Vec::new()
    };
    let image_env = ic.env().clone().unwrap_or_default();
    let env = super::env::assemble(&conf.env, &image_env, &host_env, p)?;
    let mut labels: BTreeMap<String, String> = ic
        .labels()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    labels.extend(spec.labels.clone());
    // docker's rules: --entrypoint replaces the image's entrypoint and drops its cmd;
    // a command after the image replaces the image's cmd.
    let (entrypoint, cmd) = match &p.entrypoint {
        Some(ep) => (ep.clone(), p.command.clone()),
        None => {
            let cmd = if p.command.is_empty() {
                ic.cmd().clone().unwrap_or_default()
            } else {
                p.command.clone()
            };
            (ic.entrypoint().clone().unwrap_or_default(), cmd)
        }
    };
    let args: Vec<String> = entrypoint.iter().chain(cmd.iter()).cloned().collect();
    if args.is_empty() {
        return Err(SpecError::NoCommand(spec.image.clone()).into());
    }
    let systemd = p.systemd.applies(&args);
    let mut env = env;
    if systemd {
        // systemd's halt request, unless the user or the image chose a signal.
        if p.stop_signal.is_none() && ic.stop_signal().is_none() {
            stop_signal = super::systemd::STOP_SIGNAL.to_string();
        }
        // systemd and the tools it runs know podman's value, not burrow's.
        if !p.env.iter().any(|e| e.starts_with("container=")) {
            for e in env.iter_mut().filter(|e| *e == "container=burrow") {
                *e = "container=podman".to_string();
            }
        }
    }
    Ok(Merged {
        args,
        cmd,
        entrypoint,
        env,
        workdir: p
            .workdir
            .clone()
            .or_else(|| ic.working_dir().clone().filter(|w| !w.is_empty()))
            .unwrap_or_else(|| "/".to_string()),
        user: p
            .user
            .clone()
            .or_else(|| ic.user().clone())
            .unwrap_or_default(),
        labels,
        stop_signal,
        ulimits,
        init: p.init || conf.init,
        seccomp: spec
            .security
            .seccomp
            .clone()
            .or_else(|| conf.seccomp_profile.clone())
            .unwrap_or_default(),
        default_caps: conf.default_capabilities.clone(),
        mounts,
        systemd,
    })
}

/// The container's healthcheck: the spec's `--health-*` over the image's HEALTHCHECK (read
/// from the image config's JSON, `image`), as [`super::health::merge`] does it.
pub fn health(
    spec: &ContainerSpec,
    image: Option<&super::health::ImageHealthcheck>,
) -> Option<crate::health::HealthConfig> {
    super::health::merge(&spec.health, image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::image::ConfigBuilder;

    fn image() -> ImageConfig {
        ConfigBuilder::default()
            .entrypoint(vec!["/entry".to_string()])
            .cmd(vec!["default".to_string()])
            .env(vec!["PATH=/img".to_string(), "IMG=1".to_string()])
            .working_dir("/work".to_string())
            .labels(
                [("a".to_string(), "image".to_string())]
                    .into_iter()
                    .collect::<std::collections::HashMap<_, _>>(),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn docker_entrypoint_and_cmd_rules() {
        let conf = ContainersTable::default();
        let mut s = ContainerSpec {
            image: "img".into(),
            ..Default::default()
        };
        let m = merge(&s, Vec::new(), &image(), &conf).unwrap();
        assert_eq!(m.args, vec!["/entry", "default"]);
        s.process.command = vec!["mine".into()];
        let m = merge(&s, Vec::new(), &image(), &conf).unwrap();
        assert_eq!(m.args, vec!["/entry", "mine"]);
        s.process.entrypoint = Some(Vec::new());
        let m = merge(&s, Vec::new(), &image(), &conf).unwrap();
        assert_eq!(m.args, vec!["mine"]);
        s.process.command.clear();
        assert!(merge(&s, Vec::new(), &image(), &conf).is_err());
    }

    #[test]
    fn user_settings_override_image_and_conf() {
        let conf = ContainersTable {
            env: vec!["CONF=1".into(), "IMG=conf".into()],
            default_ulimits: vec!["nofile=10:10".into(), "nproc=5:5".into()],
            init: true,
            ..Default::default()
        };
        let mut s = ContainerSpec::default();
        s.process.env = vec!["IMG=user".into()];
        s.process.tty = true;
        s.labels.insert("a".into(), "user".into());
        s.resources.ulimits = vec![parse::ulimit("nofile=20:20").unwrap()];
        let m = merge(&s, Vec::new(), &image(), &conf).unwrap();
        assert_eq!(
            m.env,
            vec![
                "CONF=1",
                "PATH=/img",
                "TERM=xterm",
                "container=burrow",
                "IMG=user"
            ]
        );
        assert_eq!(m.labels["a"], "user");
        assert_eq!(m.workdir, "/work");
        assert!(m.init);
        let names: Vec<_> = m
            .ulimits
            .iter()
            .map(|u| (u.name.as_str(), u.soft))
            .collect();
        assert_eq!(names, vec![("nproc", 5), ("nofile", 20)]);
        assert_eq!(m.stop_signal, "SIGTERM");
    }
}
