//! `.volume` files: a oneshot `NAME-volume.service` running `burrow volume create --ignore`.

use systemd_units::UnitFile;

use super::cmdline::{self, Cmd};
use super::{Ctx, Quadlet, QuadletError, service};

pub(super) fn convert(q: &Quadlet, ctx: &mut Ctx) -> Result<UnitFile, QuadletError> {
    let g = "Volume";
    let mut service = service::init(q, ctx)?;
    let name = ctx.info(q, &q.name)?.resource.clone();
    let mut cmd = Cmd::base(q, ctx)?;
    cmd.add(["volume", "create", "--ignore"]);
    cmd.strings(
        q,
        &[("UID", "--uid"), ("GID", "--gid"), ("Driver", "--driver")],
    );
    let mut opts: Vec<String> = Vec::new();
    if q.unit.get(g, "Driver") == Some("image") {
        let image = q
            .unit
            .get(g, "Image")
            .ok_or_else(|| q.error("the key Image is mandatory when using the image driver"))?;
        let image = service::image_source(q, &mut service, ctx, image)?;
        cmd.add(["--opt".to_string(), format!("image={image}")]);
    } else {
        for (key, opt) in [("User", "uid"), ("Group", "gid")] {
            if let Some(v) = q.unit.get(g, key) {
                let id: u32 = v
                    .parse()
                    .map_err(|_| q.error(format!("invalid {key}={v}: want a numeric id")))?;
                opts.push(format!("{opt}={id}"));
            }
        }
        if let Some(copy) = cmdline::boolean(q, "Copy")? {
            cmd.add(["--opt", if copy { "copy" } else { "nocopy" }]);
        }
        let device = q.unit.get(g, "Device").filter(|d| !d.is_empty());
        if let Some(dev) = device {
            cmd.add(["--opt".to_string(), format!("device={dev}")]);
        }
        if let Some(kind) = q.unit.get(g, "Type").filter(|t| !t.is_empty()) {
            let dev = device.ok_or_else(|| q.error("key Type can't be used without Device"))?;
            cmd.add(["--opt".to_string(), format!("type={kind}")]);
            if kind == "bind" {
                service.add("Unit", "RequiresMountsFor", dev);
            }
        }
        if let Some(o) = q.unit.get(g, "Options").filter(|o| !o.is_empty()) {
            opts.push(o.to_string());
        }
        if !opts.is_empty() {
            cmd.add(["--opt".to_string(), format!("o={}", opts.join(","))]);
        }
    }
    cmd.key_values(q, &[("Label", "--label")])?;
    cmd.podman_args(q)?;
    cmd.add([name]);
    service.add("Service", "ExecStart", cmd.line());
    service::oneshot(q, &mut service, true);
    Ok(service)
}
