//! `.container` files: a service whose `ExecStart=` is `burrow run -d --replace --rm ...`
//! with the `[Container]` keys as run flags, the container's monitor as the unit's main
//! process, and `burrow rm` on stop.

use systemd_units::UnitFile;

use super::cmdline::{self, Cmd};
use super::{Ctx, Kind, Quadlet, QuadletError, service};

/// Single-valued keys passed as `FLAG VALUE`.
const STRINGS: &[(&str, &str)] = &[
    ("Timezone", "--tz"),
    ("PidsLimit", "--pids-limit"),
    ("ShmSize", "--shm-size"),
    ("WorkingDir", "--workdir"),
    ("IP", "--ip"),
    ("IP6", "--ip6"),
    ("HostName", "--hostname"),
    ("StopSignal", "--stop-signal"),
    ("StopTimeout", "--stop-timeout"),
    ("Pull", "--pull"),
    ("Memory", "--memory"),
    ("Retry", "--retry"),
    ("RetryDelay", "--retry-delay"),
];

/// Repeatable keys, one `FLAG VALUE` per value.
const ALL_STRINGS: &[(&str, &str)] = &[
    ("NetworkAlias", "--network-alias"),
    ("Ulimit", "--ulimit"),
    ("DNS", "--dns"),
    ("DNSOption", "--dns-option"),
    ("DNSSearch", "--dns-search"),
    ("GroupAdd", "--group-add"),
    ("AddHost", "--add-host"),
    ("Tmpfs", "--tmpfs"),
];

const BOOLEANS: &[(&str, &str)] = &[
    ("RunInit", "--init"),
    ("EnvironmentHost", "--env-host"),
    ("HttpProxy", "--http-proxy"),
    ("ReadOnlyTmpfs", "--read-only-tmpfs"),
];

/// `Health*` keys and the `--health-*` flag each becomes.
const HEALTH: &[(&str, &str)] = &[
    ("HealthCmd", "cmd"),
    ("HealthInterval", "interval"),
    ("HealthOnFailure", "on-failure"),
    ("HealthLogDestination", "log-destination"),
    ("HealthMaxLogCount", "max-log-count"),
    ("HealthMaxLogSize", "max-log-size"),
    ("HealthRetries", "retries"),
    ("HealthStartPeriod", "start-period"),
    ("HealthTimeout", "timeout"),
    ("HealthStartupCmd", "startup-cmd"),
    ("HealthStartupInterval", "startup-interval"),
    ("HealthStartupRetries", "startup-retries"),
    ("HealthStartupSuccess", "startup-success"),
    ("HealthStartupTimeout", "startup-timeout"),
];

const CIDFILE: &str = "%t/%N.cid";

pub(super) fn convert(q: &Quadlet, ctx: &mut Ctx) -> Result<UnitFile, QuadletError> {
    let g = "Container";
    let mut service = service::init(q, ctx)?;
    let image = q.unit.get(g, "Image").unwrap_or_default();
    let rootfs = q.unit.get(g, "Rootfs").unwrap_or_default();
    let image = match (image.is_empty(), rootfs.is_empty()) {
        (true, true) => return Err(q.error("no Image or Rootfs key specified")),
        (false, false) => {
            return Err(q.error("the Image And Rootfs keys conflict can not be specified together"));
        }
        (false, true) => service::image_source(q, &mut service, ctx, image)?,
        (true, false) => String::new(),
    };
    let name = match q.unit.get(g, "ContainerName") {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => "systemd-%N".to_string(),
    };

    // So that auto-update can find the unit that runs the container.
    service.add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n");
    service::kill_mode(q, &mut service)?;

    // The monitor may have died without removing the container: force it, ignoring a
    // container that is already gone; ExecStopPost also runs when the main process was killed.
    let mut stop = Cmd::base(q, ctx)?;
    stop.add(["rm", "-v", "-f", "-i"]);
    if ctx.opts.rm_cidfile {
        stop.add([format!("--cidfile={CIDFILE}")]);
    } else {
        stop.add([name.as_str()]);
    }
    service.add("Service", "ExecStop", stop.line());
    service.add("Service", "ExecStopPost", format!("-{}", stop.line()));
    reload(q, &mut service, ctx, &name)?;

    let mut run = Cmd::base(q, ctx)?;
    run.add(["run", "--name", &name]);
    if ctx.opts.rm_cidfile {
        run.add([format!("--cidfile={CIDFILE}")]);
    }
    run.add(["--replace", "--rm"]);
    service::logging(q, &mut run)?;
    service.add("Service", "Delegate", "yes");
    match q.unit.get(g, "CgroupsMode").filter(|m| !m.is_empty()) {
        Some(mode) => run.add(["--cgroups", mode]),
        None => run.add(["--cgroups=split"]),
    };
    // An empty Entrypoint= is meaningful: it clears the image's entrypoint.
    if let Some(ep) = q.unit.get(g, "Entrypoint") {
        run.add([format!("--entrypoint={ep}")]);
    }
    run.strings(q, STRINGS);
    run.all_strings(q, ALL_STRINGS);
    run.booleans(q, BOOLEANS)?;
    service::networks(q, &mut service, ctx, &mut run)?;
    notify(q, &mut service, ctx, &mut run)?;
    if q.unit.get("Service", "SyslogIdentifier").is_none() {
        service.set("Service", "SyslogIdentifier", "%N");
    }
    security(q, &mut run)?;
    user(q, &mut run)?;
    service::user_mappings(q, &mut run)?;
    service::volumes(q, &mut service, ctx, &mut run)?;
    if let Some(update) = q.unit.get(g, "AutoUpdate").filter(|u| !u.is_empty()) {
        run.add([
            "--label".to_string(),
            format!("io.containers.autoupdate={update}"),
        ]);
    }
    for port in q.unit.get_all(g, "ExposeHostPort") {
        run.add(["--expose", port.trim()]);
    }
    run.publish(q);
    run.key_values(
        q,
        &[
            ("Environment", "--env"),
            ("Label", "--label"),
            ("Annotation", "--annotation"),
        ],
    )?;
    for (key, opt) in [("Mask", "mask"), ("Unmask", "unmask")] {
        for v in q.unit.get_all(g, key) {
            for path in cmdline::split(q, v)? {
                run.add(["--security-opt".to_string(), format!("{opt}={path}")]);
            }
        }
    }
    for v in q.unit.get_all(g, "EnvironmentFile") {
        for f in cmdline::split(q, v)? {
            run.add(["--env-file".to_string(), cmdline::absolute(q, &f)]);
        }
    }
    for v in q.unit.get_all(g, "Secret") {
        for secret in cmdline::split(q, v)? {
            run.add(["--secret".to_string(), secret]);
        }
    }
    for v in q.unit.get_all(g, "Mount") {
        for m in cmdline::split(q, v)? {
            let m = mount(q, &mut service, ctx, &m)?;
            run.add(["--mount".to_string(), m]);
        }
    }
    for (key, flag) in HEALTH {
        if let Some(v) = q.unit.get(g, key).filter(|v| !v.is_empty()) {
            run.add([format!("--health-{flag}"), v.to_string()]);
        }
    }
    pod(q, &mut service, ctx, &mut run)?;
    run.podman_args(q)?;
    if image.is_empty() {
        run.add(["--rootfs", rootfs]);
    } else {
        run.add([image]);
    }
    if let Some(exec) = q.unit.get(g, "Exec") {
        run.add(cmdline::split(q, exec)?);
    }
    service.add("Service", "ExecStart", run.line());
    Ok(service)
}

/// `Notify=`: the container's monitor (conmon in podman) tells systemd READY, or the
/// container itself (`Notify=yes`), or the healthcheck (`Notify=healthy`). Without
/// `--sdnotify` in this burrow the unit is `Type=forking`: `run -d` returns once the
/// container runs, and its monitor stays in the unit.
fn notify(
    q: &Quadlet,
    service: &mut UnitFile,
    ctx: &Ctx,
    run: &mut Cmd,
) -> Result<(), QuadletError> {
    let kind = q.unit.get("Service", "Type");
    if kind.is_some_and(|t| t != "notify" && t != "oneshot") {
        return Err(q.error(format!(
            "invalid service Type '{}'",
            kind.unwrap_or_default()
        )));
    }
    if kind == Some("oneshot") {
        return Ok(());
    }
    if ctx.opts.sdnotify {
        let mode = match q.unit.get("Container", "Notify") {
            Some(n) if n.eq_ignore_ascii_case("healthy") => "healthy",
            _ if cmdline::boolean(q, "Notify")? == Some(true) => "container",
            _ => "conmon",
        };
        run.add([format!("--sdnotify={mode}")]);
        service.set("Service", "Type", "notify");
        service.set("Service", "NotifyAccess", "all");
    } else {
        service.set("Service", "Type", "forking");
    }
    run.add(["-d"]);
    Ok(())
}

fn security(q: &Quadlet, run: &mut Cmd) -> Result<(), QuadletError> {
    let g = "Container";
    if cmdline::boolean(q, "NoNewPrivileges")? == Some(true) {
        run.add(["--security-opt=no-new-privileges"]);
    }
    if cmdline::boolean(q, "SecurityLabelDisable")? == Some(true) {
        run.add(["--security-opt", "label=disable"]);
    }
    if cmdline::boolean(q, "SecurityLabelNested")? == Some(true) {
        run.add(["--security-opt", "label=nested"]);
    }
    for (key, opt) in [
        ("SecurityLabelType", "label=type:"),
        ("SecurityLabelFileType", "label=filetype:"),
        ("SecurityLabelLevel", "label=level:"),
        ("AppArmor", "apparmor="),
    ] {
        if let Some(v) = q.unit.get(g, key).filter(|v| !v.is_empty()) {
            run.add(["--security-opt".to_string(), format!("{opt}{v}")]);
        }
    }
    for device in q.unit.get_all(g, "AddDevice") {
        // A leading '-' makes the device optional: skipped when absent on this host.
        if let Some(optional) = device.strip_prefix('-') {
            let path = optional.split(':').next().unwrap_or_default();
            if std::path::Path::new(path).exists() {
                run.add(["--device", optional]);
            }
        } else {
            run.add(["--device", device]);
        }
    }
    if let Some(p) = q.unit.get(g, "SeccompProfile") {
        run.add(["--security-opt".to_string(), format!("seccomp={p}")]);
    }
    for (key, flag) in [
        ("DropCapability", "--cap-drop"),
        ("AddCapability", "--cap-add"),
    ] {
        for v in q.unit.get_all(g, key) {
            for cap in v.split_whitespace() {
                run.add([flag.to_string(), cap.to_lowercase()]);
            }
        }
    }
    for v in q.unit.get_all(g, "Sysctl") {
        for s in v.split_whitespace() {
            run.add(["--sysctl", s]);
        }
    }
    let read_only = cmdline::boolean(q, "ReadOnly")?;
    if let Some(ro) = read_only {
        run.add_bool("--read-only", ro);
    }
    if cmdline::boolean(q, "VolatileTmp")? == Some(true) && read_only != Some(true) {
        run.add(["--tmpfs", "/tmp:rw,size=512M,mode=1777"]);
    }
    Ok(())
}

/// `User=` and `Group=` as `--user USER[:GROUP]`.
fn user(q: &Quadlet, run: &mut Cmd) -> Result<(), QuadletError> {
    let user = q.unit.get("Container", "User").filter(|u| !u.is_empty());
    let group = q.unit.get("Container", "Group").filter(|g| !g.is_empty());
    match (user, group) {
        (None, Some(_)) => Err(q.error("invalid Group set without User")),
        (None, None) => Ok(()),
        (Some(u), None) => {
            run.add(["--user", u]);
            Ok(())
        }
        (Some(u), Some(g)) => {
            run.add(["--user".to_string(), format!("{u}:{g}")]);
            Ok(())
        }
    }
}

/// `ReloadCmd=` (`burrow exec`) or `ReloadSignal=` (`burrow kill`) as `ExecReload=`.
fn reload(q: &Quadlet, service: &mut UnitFile, ctx: &Ctx, name: &str) -> Result<(), QuadletError> {
    let signal = q
        .unit
        .get("Container", "ReloadSignal")
        .filter(|s| !s.is_empty());
    let command = q
        .unit
        .get("Container", "ReloadCmd")
        .filter(|s| !s.is_empty());
    let mut cmd = Cmd::base(q, ctx)?;
    match (command, signal) {
        (Some(_), Some(_)) => {
            return Err(
                q.error("ReloadCmd and ReloadSignal are mutually exclusive but both are set")
            );
        }
        (Some(c), None) => {
            cmd.add(["exec", name]).add(cmdline::split(q, c)?);
        }
        (None, Some(s)) => {
            cmd.add(["kill", "--signal", s, name]);
        }
        (None, None) => return Ok(()),
    }
    service.add("Service", "ExecReload", cmd.line());
    Ok(())
}

/// `Mount=`: the type first, and a `source=` naming a quadlet volume or image resolved.
fn mount(
    q: &Quadlet,
    service: &mut UnitFile,
    ctx: &Ctx,
    mount: &str,
) -> Result<String, QuadletError> {
    let mut kind = "volume".to_string();
    let mut tokens = Vec::new();
    for token in mount.split(',') {
        match token.split_once('=') {
            Some(("type", t)) => kind = t.to_string(),
            _ => tokens.push(token.to_string()),
        }
    }
    if matches!(kind.as_str(), "volume" | "bind" | "glob" | "image") {
        let mut has_source = false;
        for t in tokens.iter_mut() {
            if let Some(("source" | "src", v)) = t.split_once('=') {
                let v = v.to_string();
                *t = format!(
                    "source={}",
                    service::storage_source(q, service, ctx, &v, true)?
                );
                has_source = true;
            }
        }
        if !has_source && kind != "volume" {
            return Err(q.error(format!(
                "source parameter is required for mount type {kind}"
            )));
        }
    }
    Ok(std::iter::once(format!("type={kind}"))
        .chain(tokens)
        .collect::<Vec<_>>()
        .join(","))
}

/// `Pod=x.pod`: the container joins that pod, its service is bound to the pod's, and the
/// pod's service starts it (unless `StartWithPod=false`).
fn pod(
    q: &Quadlet,
    service: &mut UnitFile,
    ctx: &mut Ctx,
    run: &mut Cmd,
) -> Result<(), QuadletError> {
    let Some(pod) = q.unit.get("Container", "Pod").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    if Kind::of_file(pod) != Some(Kind::Pod) {
        return Err(q.error(format!("pod {pod} is not Quadlet based")));
    }
    let start_with_pod = cmdline::boolean(q, "StartWithPod")?.unwrap_or(true);
    let own = format!("{}.service", q.service_name());
    let info = ctx
        .infos
        .get_mut(pod)
        .ok_or_else(|| q.error(format!("quadlet pod unit {pod} does not exist")))?;
    run.add(["--pod", &info.resource]);
    service.add("Unit", "BindsTo", info.service_file());
    service.add("Unit", "After", info.service_file());
    if start_with_pod {
        info.containers.push(own);
    }
    Ok(())
}
