//! `.kube` files: a service running `burrow kube play` on the YAML files and
//! `burrow kube down` after it stops.

use systemd_units::UnitFile;

use super::cmdline::{self, Cmd};
use super::{Ctx, Quadlet, QuadletError, build, service};

pub(super) fn convert(q: &Quadlet, ctx: &mut Ctx) -> Result<UnitFile, QuadletError> {
    let g = "Kube";
    let mut service = service::init(q, ctx)?;
    let mut yamls = Vec::new();
    for v in q.unit.get_all(g, "Yaml") {
        for y in cmdline::split(q, v)? {
            yamls.push(cmdline::absolute(q, &y));
        }
    }
    if yamls.is_empty() {
        return Err(q.error("no Yaml key specified"));
    }
    service::kill_mode(q, &mut service)?;
    service.add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n");
    match q.unit.get("Service", "Type") {
        Some("oneshot") => {}
        Some("notify") | None => {
            service.set("Service", "Type", "notify");
            service.set("Service", "NotifyAccess", "all");
        }
        Some(other) => return Err(q.error(format!("invalid service Type '{other}'"))),
    }
    if q.unit.get("Service", "SyslogIdentifier").is_none() {
        service.set("Service", "SyslogIdentifier", "%N");
    }
    let mut play = Cmd::base(q, ctx)?;
    play.add(["kube", "play", "--replace", "--service-container=true"]);
    if let Some(ecp) = q
        .unit
        .get(g, "ExitCodePropagation")
        .filter(|e| !e.is_empty())
    {
        play.add([format!("--service-exit-code-propagation={ecp}")]);
    }
    service::logging(q, &mut play)?;
    service::user_mappings(q, &mut play)?;
    service::networks(q, &mut service, ctx, &mut play)?;
    for v in q.unit.get_all(g, "AutoUpdate") {
        for update in v.split_whitespace() {
            let arg = match update.split_once('/') {
                Some((container, kind)) => {
                    format!("--annotation=io.containers.autoupdate/{container}={kind}")
                }
                None => format!("--annotation=io.containers.autoupdate={update}"),
            };
            play.add([arg]);
        }
    }
    for v in q.unit.get_all(g, "ConfigMap") {
        for c in cmdline::split(q, v)? {
            play.add(["--configmap".to_string(), cmdline::absolute(q, &c)]);
        }
    }
    play.publish(q);
    play.podman_args(q)?;
    play.add(yamls.iter().cloned());
    service.add("Service", "ExecStart", play.line());
    // ExecStopPost also runs after a failed start: nothing is left behind.
    let mut down = Cmd::base(q, ctx)?;
    down.add(["kube", "down"]);
    if let Some(force) = cmdline::boolean(q, "KubeDownForce")? {
        down.add_bool("--force", force);
    }
    down.add(yamls);
    service.add("Service", "ExecStopPost", down.line());
    build::working_directory(q, &mut service)?;
    Ok(service)
}
