//! `.pod` files: `NAME-pod.service` creating the pod (`burrow pod create`), starting it, and
//! starting the containers whose `Pod=` names it.
//!
//! podman's pod unit is `Type=forking` on its infra conmon's pid file; burrow's pod has no
//! such file, so the unit is a oneshot that stays active, and a leftover pod of the same name
//! is removed before creating it (podman passes `--replace`).

use systemd_units::UnitFile;

use super::cmdline::Cmd;
use super::{Ctx, Quadlet, QuadletError, service};

pub(super) fn convert(q: &Quadlet, ctx: &mut Ctx) -> Result<UnitFile, QuadletError> {
    let g = "Pod";
    let mut service = service::init(q, ctx)?;
    let info = ctx.info(q, &q.name)?.clone();
    let name = info.resource.as_str();
    for container in &info.containers {
        service.add("Unit", "Wants", container.as_str());
        service.add("Unit", "Before", container.as_str());
    }
    if q.unit.get("Service", "SyslogIdentifier").is_none() {
        service.set("Service", "SyslogIdentifier", "%N");
    }
    let mut start = Cmd::base(q, ctx)?;
    start.add(["pod", "start", name]);
    service.add("Service", "ExecStart", start.line());

    let mut stop = Cmd::base(q, ctx)?;
    let timeout = q.unit.get(g, "StopTimeout").unwrap_or("10");
    stop.add(["pod", "stop", &format!("--time={timeout}"), name]);
    service.add("Service", "ExecStop", stop.line());

    let mut rm = Cmd::base(q, ctx)?;
    rm.add(["pod", "rm", "--ignore", "--force", name]);
    service.add("Service", "ExecStopPost", rm.line());
    service.add("Service", "ExecStartPre", format!("-{}", rm.line()));

    let mut create = Cmd::base(q, ctx)?;
    create.add(["pod", "create"]);
    service::user_mappings(q, &mut create)?;
    create.publish(q);
    create.key_values(q, &[("Label", "--label")])?;
    service::networks(q, &mut service, ctx, &mut create)?;
    create.strings(
        q,
        &[("IP", "--ip"), ("IP6", "--ip6"), ("ShmSize", "--shm-size")],
    );
    create.all_strings(
        q,
        &[
            ("NetworkAlias", "--network-alias"),
            ("DNS", "--dns"),
            ("DNSOption", "--dns-option"),
            ("DNSSearch", "--dns-search"),
            ("AddHost", "--add-host"),
            ("HostName", "--hostname"),
        ],
    );
    service::volumes(q, &mut service, ctx, &mut create)?;
    create.add(["--infra-name".to_string(), format!("{name}-infra")]);
    create.add(["--name", name]);
    create.podman_args(q)?;
    service.add("Service", "ExecStartPre", create.line());

    service.add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n");
    service.set("Service", "Type", "oneshot");
    if q.unit.get("Service", "RemainAfterExit").is_none() {
        service.set("Service", "RemainAfterExit", "yes");
    }
    Ok(service)
}
