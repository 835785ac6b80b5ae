//! The OCI runtime config (`config.json`) of a stored container, built with oci-spec's runtime
//! types. burrow's executor works from the container's own config; this file is what OCI tools
//! and `inspect`'s OCIConfigPath read.

use std::path::Path;
use std::str::FromStr;

use oci_spec::runtime::{
    Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxNamespaceBuilder, LinuxNamespaceType,
    MountBuilder, PosixRlimitBuilder, PosixRlimitType, ProcessBuilder, RootBuilder, Spec,
    SpecBuilder, UserBuilder,
};

use crate::container::Container;
use crate::error::{LibpodError, Result};
use crate::security;

/// Where the container's files are: the overlay mount point and the generated /etc files.
pub struct Locations<'a> {
    pub rootfs: &'a Path,
    pub userdata: &'a Path,
}

fn oci(e: oci_spec::OciSpecError) -> LibpodError {
    LibpodError::InvalidState(format!("OCI runtime config: {e}"))
}

fn mount(
    dest: &str,
    typ: &str,
    source: &str,
    options: &[&str],
) -> Result<oci_spec::runtime::Mount> {
    MountBuilder::default()
        .destination(dest)
        .typ(typ)
        .source(source)
        .options(options.iter().map(|o| o.to_string()).collect::<Vec<_>>())
        .build()
        .map_err(oci)
}

/// The runtime config of `c`.
pub fn runtime_config(c: &Container, at: &Locations) -> Result<Spec> {
    let cfg = &c.config;
    let mut mounts = vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        )?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        )?,
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        )?,
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        )?,
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        )?,
    ];
    for (name, dest) in [
        ("hostname", "/etc/hostname"),
        ("hosts", "/etc/hosts"),
        ("resolv.conf", "/etc/resolv.conf"),
    ] {
        mounts.push(
            MountBuilder::default()
                .destination(dest)
                .typ("bind")
                .source(at.userdata.join(name))
                .options(vec!["bind".to_string()])
                .build()
                .map_err(oci)?,
        );
    }
    for m in &cfg.mounts {
        let mut options = m.options.clone();
        if m.kind == "bind" {
            options.push("rbind".into());
        }
        mounts.push(
            MountBuilder::default()
                .destination(&m.destination)
                .typ(&m.kind)
                .source(&m.source)
                .options(options)
                .build()
                .map_err(oci)?,
        );
    }
    let mut namespaces = vec![
        LinuxNamespaceType::Pid,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Mount,
        LinuxNamespaceType::Cgroup,
    ];
    if cfg.network != "host" {
        namespaces.push(LinuxNamespaceType::Network);
    }
    // `--pid/--ipc/--uts host`: that namespace is not a new one.
    for (mode, typ) in [
        (&cfg.pid_mode, LinuxNamespaceType::Pid),
        (&cfg.ipc_mode, LinuxNamespaceType::Ipc),
        (&cfg.uts_mode, LinuxNamespaceType::Uts),
    ] {
        if mode == "host" {
            namespaces.retain(|t| *t != typ);
        }
    }
    let namespaces = namespaces
        .into_iter()
        .map(|typ| {
            LinuxNamespaceBuilder::default()
                .typ(typ)
                .build()
                .map_err(oci)
        })
        .collect::<Result<Vec<_>>>()?;
    // Capabilities this oci-spec release has no name for are left out of the file; the
    // executor sets them all the same (it works from the container's config).
    let caps: oci_spec::runtime::Capabilities = security::capabilities::names(&cfg.capabilities()?)
        .iter()
        .filter_map(|n| Capability::from_str(n.trim_start_matches("CAP_")).ok())
        .collect();
    let rlimits = cfg
        .ulimits
        .iter()
        .filter_map(|u| {
            let typ =
                PosixRlimitType::from_str(&format!("RLIMIT_{}", u.name.to_uppercase())).ok()?;
            Some(
                PosixRlimitBuilder::default()
                    .typ(typ)
                    .soft(u.soft)
                    .hard(u.hard)
                    .build()
                    .map_err(oci),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let mut capabilities = LinuxCapabilitiesBuilder::default()
        .bounding(caps.clone())
        .effective(caps.clone())
        .permitted(caps)
        .build()
        .map_err(oci)?;
    // The builder starts from a sample set; the process gets no inheritable or ambient ones.
    capabilities.set_inheritable(None);
    capabilities.set_ambient(None);
    let process = ProcessBuilder::default()
        .terminal(cfg.tty)
        .user(
            UserBuilder::default()
                .uid(0u32)
                .gid(0u32)
                .umask(super::parse::umask_bits(&cfg.umask))
                .build()
                .map_err(oci)?,
        )
        .args(cfg.args.clone())
        .env(cfg.env.clone())
        .cwd(&cfg.workdir)
        .capabilities(capabilities)
        .rlimits(rlimits)
        .no_new_privileges(cfg.no_new_privileges)
        .build()
        .map_err(oci)?;
    let (masked, readonly) = security::masked_and_readonly(cfg.privileged, &cfg.mask, &cfg.unmask);
    let mut linux = LinuxBuilder::default()
        .namespaces(namespaces)
        .masked_paths(masked)
        .readonly_paths(readonly)
        .sysctl(
            cfg.sysctls
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<std::collections::HashMap<_, _>>(),
        )
        .build()
        .map_err(oci)?;
    // The builder starts from a sample config; burrow sets no device cgroup rules here.
    linux.set_resources(None);
    SpecBuilder::default()
        .version("1.2.0")
        .process(process)
        .root(
            RootBuilder::default()
                .path(at.rootfs)
                .readonly(cfg.read_only)
                .build()
                .map_err(oci)?,
        )
        .hostname(&cfg.hostname)
        .mounts(mounts)
        .annotations(
            cfg.annotations
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<std::collections::HashMap<_, _>>(),
        )
        .linux(linux)
        .build()
        .map_err(oci)
}

/// Writes `c`'s runtime config to `path`.
pub fn write(c: &Container, at: &Locations, path: &Path) -> Result<()> {
    let spec = runtime_config(c, at)?;
    let text = serde_json::to_vec(&spec).map_err(|e| LibpodError::InvalidState(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| LibpodError::io(format!("write {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{ContainerConfig, ContainerState, Ulimit};

    #[test]
    fn config_json_holds_what_the_container_runs() {
        let c = Container {
            id: "abc".into(),
            name: "c".into(),
            created: 0,
            config: ContainerConfig {
                args: vec!["echo".into(), "hi".into()],
                env: vec!["A=1".into()],
                workdir: "/w".into(),
                hostname: "h".into(),
                network: "host".into(),
                ulimits: vec![Ulimit {
                    name: "nofile".into(),
                    soft: 10,
                    hard: 20,
                }],
                ..Default::default()
            },
            state: ContainerState::default(),
        };
        let at = Locations {
            rootfs: Path::new("/r"),
            userdata: Path::new("/u"),
        };
        let v = serde_json::to_value(runtime_config(&c, &at).unwrap()).unwrap();
        assert_eq!(v["process"]["args"], serde_json::json!(["echo", "hi"]));
        assert_eq!(v["process"]["cwd"], "/w");
        assert_eq!(v["process"]["rlimits"][0]["type"], "RLIMIT_NOFILE");
        assert!(v["process"]["capabilities"].get("ambient").is_none());
        assert!(
            v["process"]["capabilities"]["bounding"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "CAP_CHOWN")
        );
        assert_eq!(v["hostname"], "h");
        assert_eq!(v["root"]["path"], "/r");
        let ns: Vec<_> = v["linux"]["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].clone())
            .collect();
        assert!(
            !ns.contains(&serde_json::json!("network")),
            "host network: {ns:?}"
        );
        assert!(v["linux"].get("resources").is_none());
        assert_eq!(v["mounts"][6]["source"], "/u/hostname");
    }
}
