//! What every generated service shares: the quadlet file's own sections carried over (its
//! group renamed `X-<Group>`), dependencies on other quadlet files translated to their
//! services, and the references (`Network=x.network`, `Volume=x.volume:/data`,
//! `Image=x.image`, `Pod=x.pod`) that become resource names plus `Requires=`/`After=`.

use systemd_units::{Entry, UnitFile};

use super::cmdline::{self, Cmd};
use super::{Ctx, Kind, Quadlet, QuadletError};

/// [Unit] keys whose values may name quadlet files (`After=db.container`).
const DEPENDENCY_KEYS: &[&str] = &[
    "After",
    "Before",
    "BindsTo",
    "Conflicts",
    "OnFailure",
    "OnSuccess",
    "PartOf",
    "PropagatesReloadTo",
    "PropagatesStopTo",
    "ReloadPropagatedFrom",
    "Requires",
    "Requisite",
    "StopPropagatedFrom",
    "Upholds",
    "Wants",
];

/// The service unit before the kind's own keys: a copy of the quadlet file with its group
/// renamed, dependencies translated, and podman's default dependencies added.
pub(super) fn init(q: &Quadlet, ctx: &Ctx) -> Result<UnitFile, QuadletError> {
    let mut service = q.unit.clone();
    // [Unit] first, as a reader expects it, even when the quadlet file has none.
    if service.section("Unit").is_none() {
        service.sections.insert(
            0,
            systemd_units::Section {
                name: "Unit".to_string(),
                entries: Vec::new(),
            },
        );
    }
    translate_dependencies(q, &mut service, ctx)?;
    // `[Quadlet]` is not the kind's group: read it directly.
    let defaults = q.unit.get("Quadlet", "DefaultDependencies");
    let default_deps = !matches!(
        defaults.map(str::to_ascii_lowercase).as_deref(),
        Some("no" | "false" | "off" | "0")
    );
    // The user manager has no network-online.target (podman ships a helper service for it);
    // only system units wait for the network.
    if default_deps && !ctx.opts.user {
        let unit = service.section_mut("Unit");
        for key in ["After", "Wants"] {
            unit.entries.insert(
                0,
                Entry {
                    key: key.to_string(),
                    value: "network-online.target".to_string(),
                },
            );
        }
    }
    // [Service] before [Install], where systemd's own units have it.
    if service.section("Service").is_none() {
        let at = service
            .sections
            .iter()
            .position(|s| s.name == "Install")
            .unwrap_or(service.sections.len());
        service.sections.insert(
            at,
            systemd_units::Section {
                name: "Service".to_string(),
                entries: Vec::new(),
            },
        );
    }
    service.add("Unit", "SourcePath", q.path.display().to_string());
    service.add("Unit", "RequiresMountsFor", "%t/containers");
    for s in service.sections.iter_mut() {
        if s.name == q.kind.group() || s.name == "Quadlet" {
            s.name = format!("X-{}", s.name);
        }
    }
    Ok(service)
}

fn translate_dependencies(
    q: &Quadlet,
    service: &mut UnitFile,
    ctx: &Ctx,
) -> Result<(), QuadletError> {
    for s in service.sections.iter_mut().filter(|s| s.name == "Unit") {
        for e in s
            .entries
            .iter_mut()
            .filter(|e| DEPENDENCY_KEYS.contains(&e.key.as_str()))
        {
            let mut words = Vec::new();
            for dep in e.value.split_whitespace() {
                if Kind::of_file(dep).is_some() {
                    let info = ctx.infos.get(dep).ok_or_else(|| {
                        q.error(format!("unable to translate dependency for {dep}"))
                    })?;
                    words.push(info.service_file());
                } else {
                    words.push(dep.to_string());
                }
            }
            e.value = words.join(" ");
        }
    }
    Ok(())
}

/// `Requires=` and `After=` on another quadlet file's service.
fn depend_on(service: &mut UnitFile, service_file: &str) {
    service.add("Unit", "Requires", service_file);
    service.add("Unit", "After", service_file);
}

/// Oneshot defaults for the services that create something and exit.
pub(super) fn oneshot(q: &Quadlet, service: &mut UnitFile, remain_after_exit: bool) {
    if q.unit.get("Service", "SyslogIdentifier").is_none() {
        service.set("Service", "SyslogIdentifier", "%N");
    }
    if q.unit.get("Service", "Type").is_none() {
        service.set("Service", "Type", "oneshot");
    }
    if remain_after_exit && q.unit.get("Service", "RemainAfterExit").is_none() {
        service.set("Service", "RemainAfterExit", "yes");
    }
}

/// `Network=`: `x.network` becomes its network's name, `x.container` joins that
/// container's network namespace; both make this service depend on theirs.
pub(super) fn networks(
    q: &Quadlet,
    service: &mut UnitFile,
    ctx: &Ctx,
    cmd: &mut Cmd,
) -> Result<(), QuadletError> {
    for network in q.unit.get_all(q.kind.group(), "Network") {
        let (name, options) = match network.split_once(':') {
            Some((n, o)) => (n, Some(o)),
            None => (network, None),
        };
        let value = match Kind::of_file(name) {
            Some(kind @ (Kind::Network | Kind::Container)) => {
                let info = ctx.info(q, name)?;
                if info.resource.is_empty() {
                    return Err(q.error(format!("cannot get the resource name of {name}")));
                }
                depend_on(service, &info.service_file());
                match (kind, options) {
                    (Kind::Container, Some(_)) => {
                        return Err(q.error(
                            "extra options are not supported when joining another container's network",
                        ));
                    }
                    (Kind::Container, None) => format!("container:{}", info.resource),
                    (_, Some(o)) => format!("{}:{o}", info.resource),
                    (_, None) => info.resource.clone(),
                }
            }
            _ => network.to_string(),
        };
        cmd.add(["--network".to_string(), value]);
    }
    Ok(())
}

/// A mount source: a relative path made absolute (and required mounted), `x.volume` (or
/// `x.image` where images may be mounted) made the resource's name with a dependency.
pub(super) fn storage_source(
    q: &Quadlet,
    service: &mut UnitFile,
    ctx: &Ctx,
    source: &str,
    images: bool,
) -> Result<String, QuadletError> {
    if source.is_empty() {
        return Err(q.error("source cannot be empty"));
    }
    let mut source = source.to_string();
    if source.starts_with('.') {
        source = cmdline::absolute(q, &source);
    }
    if source.starts_with('/') {
        service.add("Unit", "RequiresMountsFor", source.clone());
    } else if source.ends_with(".volume") || (images && source.ends_with(".image")) {
        let info = ctx
            .infos
            .get(&source)
            .ok_or_else(|| q.error(format!("requested Quadlet source {source} was not found")))?;
        depend_on(service, &info.service_file());
        source = info.resource.clone();
    }
    Ok(source)
}

/// `Volume=[SOURCE:]DEST[:OPTIONS]` as `-v`.
pub(super) fn volumes(
    q: &Quadlet,
    service: &mut UnitFile,
    ctx: &Ctx,
    cmd: &mut Cmd,
) -> Result<(), QuadletError> {
    for volume in q.unit.get_all(q.kind.group(), "Volume") {
        let parts: Vec<&str> = volume.splitn(3, ':').collect();
        let value = match parts.as_slice() {
            [dest] => dest.to_string(),
            [source, rest @ ..] => {
                let source = storage_source(q, service, ctx, source, false)?;
                format!("{source}:{}", rest.join(":"))
            }
            [] => continue,
        };
        cmd.add(["-v".to_string(), value]);
    }
    Ok(())
}

/// `Image=x.image` or `Image=x.build`: the image that unit provides, with a dependency.
pub(super) fn image_source(
    q: &Quadlet,
    service: &mut UnitFile,
    ctx: &Ctx,
    image: &str,
) -> Result<String, QuadletError> {
    if image.ends_with(".image") || image.ends_with(".build") {
        let info = ctx
            .infos
            .get(image)
            .ok_or_else(|| q.error(format!("requested Quadlet image {image} was not found")))?;
        depend_on(service, &info.service_file());
        return Ok(info.resource.clone());
    }
    Ok(image.to_string())
}

/// `UserNS=`, `UIDMap=`, `GIDMap=`, `SubUIDMap=`, `SubGIDMap=`, and the deprecated
/// `RemapUsers=` family.
pub(super) fn user_mappings(q: &Quadlet, cmd: &mut Cmd) -> Result<(), QuadletError> {
    let g = q.kind.group();
    let before = cmd.args.len();
    cmd.strings(q, &[("UserNS", "--userns")]);
    cmd.all_strings(q, &[("UIDMap", "--uidmap"), ("GIDMap", "--gidmap")]);
    cmd.strings(
        q,
        &[("SubUIDMap", "--subuidname"), ("SubGIDMap", "--subgidname")],
    );
    let remap = q.unit.get(g, "RemapUsers").unwrap_or_default();
    let remap_uids = q.unit.get_all(g, "RemapUid");
    let remap_gids = q.unit.get_all(g, "RemapGid");
    if cmd.args.len() > before {
        if !remap.is_empty() || !remap_uids.is_empty() || !remap_gids.is_empty() {
            return Err(q.error("deprecated Remap keys are set along with explicit mapping keys"));
        }
        return Ok(());
    }
    match remap {
        "" if !remap_uids.is_empty() => Err(q.error("UidMap set without RemapUsers")),
        "" if !remap_gids.is_empty() => Err(q.error("GidMap set without RemapUsers")),
        "" => Ok(()),
        "manual" if q.kind != Kind::Kube => {
            cmd.all_strings(q, &[("RemapUid", "--uidmap"), ("RemapGid", "--gidmap")]);
            Ok(())
        }
        "auto" => {
            let mut opts: Vec<String> = remap_uids
                .iter()
                .map(|m| format!("uidmapping={m}"))
                .chain(remap_gids.iter().map(|m| format!("gidmapping={m}")))
                .collect();
            if let Some(size) = q.unit.get(g, "RemapUidSize").filter(|s| *s != "0") {
                opts.push(format!("size={size}"));
            }
            cmd.add(["--userns".to_string(), userns("auto", &opts)]);
            Ok(())
        }
        "keep-id" => {
            if remap_uids.len() > 1 || remap_gids.len() > 1 {
                return Err(
                    q.error("RemapUsers=keep-id supports only a single value for UID mapping")
                );
            }
            let opts: Vec<String> = remap_uids
                .first()
                .map(|u| format!("uid={u}"))
                .into_iter()
                .chain(remap_gids.first().map(|g| format!("gid={g}")))
                .collect();
            cmd.add(["--userns".to_string(), userns("keep-id", &opts)]);
            Ok(())
        }
        other => Err(q.error(format!("unsupported RemapUsers option '{other}'"))),
    }
}

fn userns(kind: &str, opts: &[String]) -> String {
    if opts.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}:{}", opts.join(","))
    }
}

/// `LogDriver=` and `LogOpt=`.
pub(super) fn logging(q: &Quadlet, cmd: &mut Cmd) -> Result<(), QuadletError> {
    cmd.strings(q, &[("LogDriver", "--log-driver")]);
    for v in q.unit.get_all(q.kind.group(), "LogOpt") {
        for o in cmdline::split(q, v)? {
            cmd.add(["--log-opt".to_string(), o]);
        }
    }
    Ok(())
}

/// Only `KillMode=mixed` (the default set here) or `control-group` keep the container's
/// processes in the unit's hands.
pub(super) fn kill_mode(q: &Quadlet, service: &mut UnitFile) -> Result<(), QuadletError> {
    match q.unit.get("Service", "KillMode") {
        None => {
            service.set("Service", "KillMode", "mixed");
            Ok(())
        }
        Some("mixed" | "control-group") => Ok(()),
        Some(other) => Err(q.error(format!("invalid KillMode '{other}'"))),
    }
}
