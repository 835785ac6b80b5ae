//! `.image` files: a oneshot `NAME-image.service` running `burrow pull`.

use systemd_units::UnitFile;

use super::cmdline::Cmd;
use super::{Ctx, Quadlet, QuadletError, service};

pub(super) fn convert(q: &Quadlet, ctx: &mut Ctx) -> Result<UnitFile, QuadletError> {
    let mut service = service::init(q, ctx)?;
    let image = q
        .unit
        .get("Image", "Image")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| q.error("no Image key specified"))?;
    let mut cmd = Cmd::base(q, ctx)?;
    cmd.add(["pull"]);
    cmd.strings(
        q,
        &[
            ("Arch", "--arch"),
            ("AuthFile", "--authfile"),
            ("CertDir", "--cert-dir"),
            ("Creds", "--creds"),
            ("DecryptionKey", "--decryption-key"),
            ("OS", "--os"),
            ("Policy", "--policy"),
            ("Variant", "--variant"),
            ("Retry", "--retry"),
            ("RetryDelay", "--retry-delay"),
        ],
    );
    cmd.booleans(
        q,
        &[("AllTags", "--all-tags"), ("TLSVerify", "--tls-verify")],
    )?;
    cmd.podman_args(q)?;
    cmd.add([image]);
    service.add("Service", "ExecStart", cmd.line());
    service::oneshot(q, &mut service, true);
    Ok(service)
}
