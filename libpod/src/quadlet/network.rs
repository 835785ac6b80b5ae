//! `.network` files: a oneshot `NAME-network.service` running
//! `burrow network create --ignore`, optionally removing the network on stop.

use systemd_units::UnitFile;

use super::cmdline::Cmd;
use super::{Ctx, Quadlet, QuadletError, cmdline, service};

pub(super) fn convert(q: &Quadlet, ctx: &mut Ctx) -> Result<UnitFile, QuadletError> {
    let g = "Network";
    let mut service = service::init(q, ctx)?;
    let name = ctx.info(q, &q.name)?.resource.clone();
    if cmdline::boolean(q, "NetworkDeleteOnStop")? == Some(true) {
        let mut rm = Cmd::base(q, ctx)?;
        rm.add(["network", "rm", &name]);
        service.add("Service", "ExecStopPost", rm.line());
    }
    let mut cmd = Cmd::base(q, ctx)?;
    cmd.add(["network", "create", "--ignore"]);
    cmd.booleans(
        q,
        &[
            ("DisableDNS", "--disable-dns"),
            ("Internal", "--internal"),
            ("IPv6", "--ipv6"),
        ],
    )?;
    cmd.strings(
        q,
        &[
            ("Driver", "--driver"),
            ("IPAMDriver", "--ipam-driver"),
            ("InterfaceName", "--interface-name"),
        ],
    );
    cmd.all_strings(q, &[("DNS", "--dns")]);
    let subnets = q.unit.get_all(g, "Subnet");
    let gateways = q.unit.get_all(g, "Gateway");
    let ranges = q.unit.get_all(g, "IPRange");
    if subnets.is_empty() && (!gateways.is_empty() || !ranges.is_empty()) {
        return Err(q.error("cannot set gateway or range without subnet"));
    }
    if gateways.len() > subnets.len() {
        return Err(q.error("cannot set more gateways than subnets"));
    }
    if ranges.len() > subnets.len() {
        return Err(q.error("cannot set more ranges than subnets"));
    }
    for (i, subnet) in subnets.iter().enumerate() {
        cmd.add(["--subnet", subnet]);
        if let Some(gw) = gateways.get(i) {
            cmd.add(["--gateway", gw]);
        }
        if let Some(r) = ranges.get(i) {
            cmd.add(["--ip-range", r]);
        }
    }
    cmd.key_values(q, &[("Options", "--opt"), ("Label", "--label")])?;
    cmd.podman_args(q)?;
    cmd.add([name]);
    service.add("Service", "ExecStart", cmd.line());
    service::oneshot(q, &mut service, true);
    Ok(service)
}
