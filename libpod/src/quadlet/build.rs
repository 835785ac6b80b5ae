//! `.build` files: a oneshot `NAME-build.service` running `burrow build` in the directory
//! `SetWorkingDirectory=` names.

use systemd_units::UnitFile;

use super::cmdline::{self, Cmd};
use super::{Ctx, Kind, Quadlet, QuadletError, service};

pub(super) fn convert(q: &Quadlet, ctx: &mut Ctx) -> Result<UnitFile, QuadletError> {
    let g = "Build";
    let mut service = service::init(q, ctx)?;
    if ctx.info(q, &q.name)?.resource.is_empty() {
        return Err(q.error("no ImageTag key specified"));
    }
    let mut cmd = Cmd::base(q, ctx)?;
    cmd.add(["build"]);
    // `--pull` only takes its value with '=' (podman#24599).
    if let Some(pull) = q.unit.get(g, "Pull").filter(|p| !p.is_empty()) {
        cmd.add([format!("--pull={pull}")]);
    }
    cmd.strings(
        q,
        &[
            ("Arch", "--arch"),
            ("AuthFile", "--authfile"),
            ("IgnoreFile", "--ignorefile"),
            ("Target", "--target"),
            ("Variant", "--variant"),
            ("Retry", "--retry"),
            ("RetryDelay", "--retry-delay"),
        ],
    );
    cmd.booleans(
        q,
        &[("TLSVerify", "--tls-verify"), ("ForceRM", "--force-rm")],
    )?;
    cmd.all_strings(
        q,
        &[
            ("DNS", "--dns"),
            ("DNSOption", "--dns-option"),
            ("DNSSearch", "--dns-search"),
            ("GroupAdd", "--group-add"),
            ("ImageTag", "--tag"),
        ],
    );
    cmd.key_values(
        q,
        &[
            ("BuildArg", "--build-arg"),
            ("Environment", "--env"),
            ("Label", "--label"),
            ("Annotation", "--annotation"),
        ],
    )?;
    service::networks(q, &mut service, ctx, &mut cmd)?;
    for v in q.unit.get_all(g, "Secret") {
        for s in cmdline::split(q, v)? {
            cmd.add(["--secret".to_string(), s]);
        }
    }
    service::volumes(q, &mut service, ctx, &mut cmd)?;
    let context = working_directory(q, &mut service)?;
    let workdir = service
        .get("Service", "WorkingDirectory")
        .unwrap_or_default()
        .to_string();
    let file = q.unit.get(g, "File").unwrap_or_default();
    if workdir.is_empty() && file.is_empty() && context.is_empty() {
        return Err(q.error("neither SetWorkingDirectory, nor File key specified"));
    }
    if !file.is_empty() {
        cmd.add(["--file", file]);
    }
    cmd.podman_args(q)?;
    // The context (or working directory) is the last argument.
    if !context.is_empty() {
        cmd.add([context]);
    } else if !file.starts_with('/') && !file.starts_with('%') && !is_url(file) {
        if workdir.is_empty() {
            return Err(
                q.error("relative path in File key requires SetWorkingDirectory key to be set")
            );
        }
        cmd.add([workdir]);
    }
    service.add("Service", "ExecStart", cmd.line());
    service::oneshot(q, &mut service, false);
    Ok(service)
}

fn is_url(s: &str) -> bool {
    ["http://", "https://", "git://", "github.com/"]
        .iter()
        .any(|p| s.starts_with(p))
}

/// `SetWorkingDirectory=`: `file` (the File's directory), `unit` (the quadlet file's), `yaml`
/// (.kube only: the YAML's), or (.build only) a build context. Sets `WorkingDirectory=`
/// unless the file sets one, and returns the build context if one was named.
pub(super) fn working_directory(
    q: &Quadlet,
    service: &mut UnitFile,
) -> Result<String, QuadletError> {
    let g = q.kind.group();
    let Some(value) = q
        .unit
        .get(g, "SetWorkingDirectory")
        .filter(|v| !v.is_empty())
    else {
        return Ok(String::new());
    };
    let mut context = String::new();
    let relative_to = match value.to_ascii_lowercase().as_str() {
        "yaml" if q.kind == Kind::Kube => {
            let yamls = q.unit.get_all(g, "Yaml");
            match yamls.as_slice() {
                [] => return Err(q.error("no Yaml key specified")),
                [one] => one.to_string(),
                _ => {
                    return Err(q.error(
                        "SetWorkingDirectory=yaml is only supported when a single Yaml key is provided",
                    ));
                }
            }
        }
        "file" if q.kind == Kind::Build => q
            .unit
            .get(g, "File")
            .ok_or_else(|| q.error("no File key specified"))?
            .to_string(),
        "unit" => q.path.display().to_string(),
        "yaml" | "file" => {
            return Err(q.error(format!(
                "SetWorkingDirectory={value} is only supported in .{} files",
                if value.eq_ignore_ascii_case("yaml") {
                    "kube"
                } else {
                    "build"
                }
            )));
        }
        _ if q.kind == Kind::Build => {
            context = value.to_string();
            if value.starts_with('/') {
                String::new()
            } else {
                q.path.display().to_string()
            }
        }
        _ => {
            return Err(q.error(format!("unsupported value for WorkingDirectory: {value} ")));
        }
    };
    let own_workdir = q
        .unit
        .get("Service", "WorkingDirectory")
        .is_some_and(|w| !w.is_empty());
    if !relative_to.is_empty() && !is_url(&context) && !own_workdir {
        let path = cmdline::absolute(q, &relative_to);
        let dir = std::path::Path::new(&path)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or(path);
        service.add("Service", "WorkingDirectory", dir);
    }
    Ok(context)
}
