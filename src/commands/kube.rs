//! `kube generate|play|down` (and the aliases `generate kube`, `play kube`): flags to
//! [`libpod::kube`]'s options, files read, reports printed as podman prints them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::kube::{DownReport, GenerateKubeOptions, PlayInput, PlayOptions, PlayReport};

use super::registry::RegistryArgs;
use super::{Failure, Outcome};

#[derive(Args, Debug)]
pub struct KubeCmd {
    #[command(subcommand)]
    sub: KubeSub,
}

#[derive(Subcommand, Debug)]
enum KubeSub {
    /// Generate Kubernetes YAML based on containers, pods or volumes
    Generate(GenerateArgs),
    /// Play a pod or volume based on Kubernetes YAML
    Play(PlayArgs),
    /// Remove pods based on Kubernetes YAML
    Down(DownArgs),
}

/// `play kube`: the same as `kube play`.
#[derive(Args, Debug)]
pub struct PlayCmd {
    #[command(subcommand)]
    sub: PlaySub,
}

#[derive(Subcommand, Debug)]
enum PlaySub {
    /// Play a pod or volume based on Kubernetes YAML
    Kube(PlayArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Write output to the specified path
    #[arg(short = 'f', long, value_name = "FILENAME")]
    filename: Option<PathBuf>,
    /// Generate YAML for a Kubernetes service object
    #[arg(short = 's', long)]
    service: bool,
    /// Generate YAML for the given Kubernetes kind (pod, deployment, daemonset, job)
    #[arg(short = 't', long = "type", value_name = "TYPE", default_value = "pod")]
    kind: String,
    /// Set the replica number for Deployment kind
    #[arg(short = 'r', long)]
    replicas: Option<u32>,
    /// Containers, pods or volumes
    #[arg(value_name = "CTR|POD|VOLUME", required = true)]
    names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PlayArgs {
    /// Replace existing pods and containers of the same names
    #[arg(long)]
    replace: bool,
    /// Stop and remove the pods the YAML describes (as kube down)
    #[arg(long)]
    down: bool,
    /// Start the pod after creating it
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    start: bool,
    /// Publish a container's port, or a range of ports, to the host (over the YAML's)
    #[arg(long, value_name = "PORT")]
    publish: Vec<String>,
    /// Connect the pods to a network (slirp4netns, pasta, host, none, or a user network)
    #[arg(long, alias = "net", value_name = "NETWORK")]
    network: Option<String>,
    /// Paths of YAML files holding ConfigMaps (comma-separated or repeated)
    #[arg(long, value_name = "PATH", value_delimiter = ',')]
    configmap: Vec<PathBuf>,
    /// Build images from directories named after them next to the YAML (default: when missing)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    build: Option<bool>,
    /// Clean up all objects created when a SIGTERM is received or pods exit
    #[arg(short = 'w', long)]
    wait: bool,
    /// Under a Type=notify systemd unit, report the pod ready and track its infra container
    #[arg(long = "service-container", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    service_container: bool,
    /// Add an annotation to every container (key=value)
    #[arg(long, value_name = "KEY=VALUE")]
    annotation: Vec<String>,
    /// Remove volumes as part of --down
    #[arg(long)]
    force: bool,
    /// Add labels to the pods and containers kube play creates (key=value)
    #[arg(short = 'l', long, value_name = "KEY=VALUE")]
    label: Vec<String>,
    /// Do not prefix container names with the pod's name
    #[arg(long = "no-pod-prefix")]
    no_pod_prefix: bool,
    /// Publish every containerPort of the YAML (on its own number when it has no hostPort)
    #[arg(long = "publish-all")]
    publish_all: bool,
    /// Path to the directory holding the build directories (with --build)
    #[arg(long = "context-dir", value_name = "PATH")]
    context_dir: Option<PathBuf>,
    /// Suppress output information when pulling images
    #[arg(short = 'q', long)]
    quiet: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Kubernetes YAML files (- for standard input)
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
}

#[derive(Args, Debug)]
pub struct DownArgs {
    /// Also remove the volumes of the YAML's PersistentVolumeClaims
    #[arg(long)]
    force: bool,
    /// Kubernetes YAML files (- for standard input)
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,
}

pub fn group(rt: &Runtime, c: KubeCmd) -> Outcome {
    match c.sub {
        KubeSub::Generate(a) => generate(rt, a),
        KubeSub::Play(a) => play(rt, a),
        KubeSub::Down(a) => down(rt, &a.files, a.force),
    }
}

pub fn play_group(rt: &Runtime, c: PlayCmd) -> Outcome {
    match c.sub {
        PlaySub::Kube(a) => play(rt, a),
    }
}

pub fn generate(rt: &Runtime, a: GenerateArgs) -> Outcome {
    let o = GenerateKubeOptions {
        service: a.service,
        kind: Some(a.kind),
        replicas: a.replicas,
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let text = rt.kube_generate(&a.names, &o)?;
    match a.filename {
        Some(path) => std::fs::write(&path, text)
            .map_err(|e| Failure::new(format!("writing {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(0)
}

/// A YAML file (or standard input) read, with the directory its relative paths start from.
fn read_input(path: &str) -> Result<PlayInput, Failure> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(format!("reading standard input: {e}")))?;
        return Ok(PlayInput {
            path: "-".to_string(),
            text,
            dir: cwd,
        });
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(format!("reading {path}: {e}: give an existing YAML file")))?;
    let dir = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or(cwd.clone(), |p| cwd.join(p));
    Ok(PlayInput {
        path: path.to_string(),
        text,
        dir,
    })
}

/// Set by SIGINT/SIGTERM while `kube play --wait` waits.
static CANCELLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    CANCELLED.store(true, Ordering::SeqCst);
}

pub fn play(rt: &Runtime, a: PlayArgs) -> Outcome {
    if a.down {
        return down(rt, &a.files, a.force);
    }
    if a.force {
        return Err(Failure::new("--force may be specified only with --down"));
    }
    if a.service_container && !a.start {
        return Err(Failure::new(
            "--service-container does not work with --start=false: drop one of them",
        ));
    }
    if a.context_dir.is_some() && a.build != Some(true) {
        return Err(Failure::new(
            "--build must be specified when using --context-dir option",
        ));
    }
    for l in a.annotation.iter().chain(&a.label) {
        if !l.contains('=') {
            return Err(Failure::new(format!("{l:?} must include an '=' sign")));
        }
    }
    let inputs = a
        .files
        .iter()
        .map(|f| read_input(f))
        .collect::<Result<Vec<_>, _>>()?;
    let config_maps = a
        .configmap
        .iter()
        .map(|p| read_input(&p.to_string_lossy()))
        .collect::<Result<Vec<_>, _>>()?;
    let o = PlayOptions {
        inputs: inputs.clone(),
        replace: a.replace,
        start: a.start,
        publish: a.publish,
        network: a.network,
        config_maps,
        build: a.build,
        service_container: a.service_container,
        annotations: a.annotation,
        labels: a.label,
        no_pod_prefix: a.no_pod_prefix,
        publish_all: a.publish_all,
        context_dir: a.context_dir,
        registry: a.registry.flags(),
    };
    if a.wait {
        // SAFETY: installs a handler that only stores to an atomic, before any thread starts.
        unsafe {
            libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
            libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        }
        println!("Use ctrl+c to clean up or wait for pods to exit");
    }
    let progress = super::registry::Progress::new(a.quiet);
    let report = rt.kube_play(&o, &progress)?;
    if !a.quiet {
        print_play(&report);
    }
    if a.wait && a.start {
        rt.kube_wait(&report, &|| CANCELLED.load(Ordering::SeqCst))?;
        // podman: everything goes, the PVCs' volumes too.
        println!("Cleaning up containers, pods, and volumes...");
        print_down(&rt.kube_down(&inputs, true)?);
    }
    Ok(0)
}

fn print_play(r: &PlayReport) {
    for (i, v) in r.volumes.iter().enumerate() {
        if i == 0 {
            println!("Volumes:");
        }
        println!("{v}");
    }
    for (i, s) in r.secrets.iter().enumerate() {
        if i == 0 {
            println!("Secrets:");
        }
        println!("{s}");
    }
    for p in &r.pods {
        println!("Pod:");
        println!("{}", p.id);
        match p.containers.len() {
            0 => continue,
            1 => println!("Container:"),
            _ => println!("Containers:"),
        }
        for c in &p.containers {
            println!("{c}");
        }
        println!();
    }
}

fn down(rt: &Runtime, files: &[String], force: bool) -> Outcome {
    let inputs = files
        .iter()
        .map(|f| read_input(f))
        .collect::<Result<Vec<_>, _>>()?;
    print_down(&rt.kube_down(&inputs, force)?);
    Ok(0)
}

/// podman's teardown report: every heading, even when nothing is under it.
fn print_down(r: &DownReport) {
    for (title, items) in [
        ("Pods stopped:", &r.pods_stopped),
        ("Pods removed:", &r.pods_removed),
        ("Secrets removed:", &r.secrets_removed),
        ("Volumes removed:", &r.volumes_removed),
    ] {
        println!("{title}");
        for i in items {
            println!("{i}");
        }
    }
}
