//! `generate systemd`: prints (or writes with `--files`) the systemd units libpod describes
//! for a container or a pod; `generate spec`: its SpecGenerator JSON.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::generate::SystemdOptions;

use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct GenerateCmd {
    #[command(subcommand)]
    sub: GenerateSub,
}

#[derive(Subcommand, Debug)]
enum GenerateSub {
    /// Generate systemd units
    Systemd(SystemdArgs),
    /// Generate Kubernetes YAML based on containers, pods or volumes
    Kube(super::kube::GenerateArgs),
    /// Generate Specgen JSON based on containers or pods
    Spec(SpecArgs),
}

#[derive(Args, Debug)]
pub struct SpecArgs {
    /// Print the json in a compact format for consumption
    #[arg(short = 'c', long)]
    compact: bool,
    /// Write output to the specified path
    #[arg(short = 'f', long, value_name = "PATH")]
    filename: Option<PathBuf>,
    /// Specify a new name for the generated spec
    #[arg(short = 'n', long, default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    name: bool,
    /// Container or pod
    #[arg(value_name = "CTR|POD")]
    target: String,
}

#[derive(Args, Debug)]
pub struct SystemdArgs {
    /// Generate .service files instead of printing to stdout
    #[arg(short = 'f', long)]
    files: bool,
    /// Use container/pod names instead of IDs
    #[arg(short = 'n', long)]
    name: bool,
    /// Create a new container or pod instead of starting an existing one
    #[arg(long)]
    new: bool,
    /// Skip header generation
    #[arg(long = "no-header")]
    no_header: bool,
    /// Systemd restart-policy (default on-failure, or the container's own with --new)
    #[arg(long = "restart-policy", value_name = "POLICY")]
    restart_policy: Option<String>,
    /// Systemd restart-sec
    #[arg(long = "restart-sec")]
    restart_sec: Option<u64>,
    /// Start timeout override
    #[arg(long = "start-timeout")]
    start_timeout: Option<u64>,
    /// Stop timeout override
    #[arg(short = 't', long = "stop-timeout", alias = "time")]
    stop_timeout: Option<u32>,
    /// Systemd unit name prefix for containers
    #[arg(long = "container-prefix", default_value = "container")]
    container_prefix: String,
    /// Systemd unit name prefix for pods
    #[arg(long = "pod-prefix", default_value = "pod")]
    pod_prefix: String,
    /// Systemd unit name separator between name/id and prefix
    #[arg(long, default_value = "-")]
    separator: String,
    /// Make it a template file and use %i and %I specifiers (not supported by burrow)
    #[arg(long)]
    template: bool,
    /// Add (weak) requirement dependencies to the generated unit file
    #[arg(long)]
    wants: Vec<String>,
    /// Add dependencies order to the generated unit file
    #[arg(long)]
    after: Vec<String>,
    /// Similar to wants, but declares stronger requirement dependencies
    #[arg(long)]
    requires: Vec<String>,
    /// Set environment variables to the systemd unit files
    #[arg(short = 'e', long)]
    env: Vec<String>,
    /// Container or pod
    #[arg(value_name = "CTR|POD")]
    target: String,
}

pub fn group(rt: &Runtime, c: GenerateCmd) -> Outcome {
    match c.sub {
        GenerateSub::Systemd(a) => systemd(rt, a),
        GenerateSub::Kube(a) => super::kube::generate(rt, a),
        GenerateSub::Spec(a) => spec(rt, a),
    }
}

/// podman's layout: Go's `MarshalIndent` with a one-space indent, or compact; with
/// `--filename` the file gets the JSON and stdout its path.
fn spec(rt: &Runtime, a: SpecArgs) -> Outcome {
    let value = rt.generate_spec(&a.target, a.name)?;
    let text = if a.compact {
        serde_json::to_string(&value)
    } else {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        serde::Serialize::serialize(&value, &mut ser)
            .map(|()| String::from_utf8_lossy(&out).into_owned())
    }
    .map_err(|e| Failure::new(format!("encode the spec: {e}")))?;
    match a.filename {
        Some(path) => {
            std::fs::write(&path, &text)
                .map_err(|e| Failure::new(format!("write {}: {e}", path.display())))?;
            println!("{}", path.display());
        }
        None => println!("{text}"),
    }
    Ok(0)
}

/// The flags of `run` that take their value as the next argument, so that libpod can tell a
/// create command's flags from its image.
fn run_value_flags() -> Vec<String> {
    let run = <super::container::RunArgs as clap::Args>::augment_args(clap::Command::new("run"));
    let mut out = Vec::new();
    for a in run.get_arguments() {
        let separate = a.get_action().takes_values()
            && a.get_num_args().is_none_or(|n| n.min_values() > 0)
            && !a.is_positional();
        if !separate {
            continue;
        }
        out.extend(a.get_long().map(|l| format!("--{l}")));
        out.extend(a.get_short().map(|s| format!("-{s}")));
        out.extend(
            a.get_all_aliases()
                .into_iter()
                .flatten()
                .map(|l| format!("--{l}")),
        );
    }
    out
}

pub fn systemd(rt: &Runtime, a: SystemdArgs) -> Outcome {
    if a.template {
        return Err(libpod::LibpodError::from(libpod::generate::GenerateError::Template).into());
    }
    let executable = libpod::sealed_exe::program();
    let o = SystemdOptions {
        new: a.new,
        use_name: a.name,
        restart_policy: a.restart_policy,
        restart_sec: a.restart_sec,
        start_timeout: a.start_timeout,
        stop_timeout: a.stop_timeout,
        container_prefix: a.container_prefix,
        pod_prefix: a.pod_prefix,
        separator: a.separator,
        no_header: a.no_header,
        wants: a.wants,
        after: a.after,
        requires: a.requires,
        env: a.env,
        executable,
        version: env!("CARGO_PKG_VERSION").to_string(),
        value_flags: run_value_flags(),
    };
    let units = rt.generate_systemd(&a.target, &o)?;
    if a.files {
        let dir = std::env::current_dir()
            .map_err(|e| Failure::new(format!("finding the current directory: {e}")))?;
        for u in &units {
            let path: PathBuf = dir.join(format!("{}.service", u.name));
            std::fs::write(&path, &u.text)
                .map_err(|e| Failure::new(format!("writing {}: {e}", path.display())))?;
            println!("{}", path.display());
        }
        return Ok(0);
    }
    for (i, u) in units.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", u.text);
    }
    Ok(0)
}
