//! `pod create/start/stop/restart/kill/pause/unpause/rm/prune/ps/inspect/top/exists/logs`:
//! thin adapters over libpod's pod calls, printing what podman prints.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use libpod::Runtime;
use libpod::pod::Pod;
use libpod::runtime::{LogsOptions, PodCreateOptions};
use serde_json::{Value, json};

use super::{Failure, Outcome};
use crate::output::print_formatted;
use crate::output::{ago, print_json, print_table};

#[derive(Args, Debug)]
pub struct PodCmd {
    #[command(subcommand)]
    sub: PodSub,
}

#[derive(Subcommand, Debug)]
enum PodSub {
    /// Create a new empty pod
    Create(CreateArgs),
    /// Start one or more pods
    Start(NamesArgs),
    /// Stop one or more pods
    Stop(StopArgs),
    /// Restart one or more pods
    Restart(NamesArgs),
    /// Send the specified signal or SIGKILL to containers in pod
    Kill(KillArgs),
    /// Pause one or more pods
    Pause(NamesArgs),
    /// Unpause one or more pods
    Unpause(NamesArgs),
    /// Remove one or more pods
    Rm(RmArgs),
    /// Remove all stopped pods and their containers
    Prune(PruneArgs),
    /// List pods
    #[command(alias = "ls", alias = "list")]
    Ps(PsArgs),
    /// Display a pod configuration
    Inspect(InspectArgs),
    /// Display the running processes of containers in a pod
    Top(TopArgs),
    /// Check if a pod exists in local storage
    Exists(ExistsArgs),
    /// Fetch logs for pod with one or more containers
    Logs(LogsArgs),
    /// Display a live stream of resource usage statistics for the containers in pods
    Stats(super::pod_stats::PodStatsArgs),
    /// Clone an existing pod
    Clone(super::pod_clone::CloneArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Assign a name to the pod
    #[arg(short = 'n', long)]
    name: Option<String>,
    /// Publish a port or a range of ports of the pod to the host
    #[arg(short = 'p', long)]
    publish: Vec<String>,
    /// A comma-separated list of kernel namespaces to share (cgroup, ipc, net, pid, uts, or none; +NS adds to the default ipc,net,uts)
    #[arg(long)]
    share: Option<String>,
    /// Set the pod's hostname (default: the pod's name)
    #[arg(long)]
    hostname: Option<String>,
    /// Set metadata on pod (key=value)
    #[arg(short = 'l', long)]
    label: Vec<String>,
    /// Create an infra container associated with the pod to share namespaces with
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    infra: bool,
    /// Do not create an infra container (same as --infra=false)
    #[arg(long = "no-infra")]
    no_infra: bool,
    /// The name used as infra container name
    #[arg(long = "infra-name")]
    infra_name: Option<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host")]
    add_host: Vec<String>,
    /// Set custom DNS servers
    #[arg(long)]
    dns: Vec<String>,
    /// The pod's network (slirp4netns[:OPTIONS], pasta[:OPTIONS], a user network NAME, none, host, ns:PATH)
    #[arg(long, alias = "net")]
    network: Option<String>,
    /// If a pod with the same name exists, replace it
    #[arg(long)]
    replace: bool,
    /// Write the pod ID to the file
    #[arg(long = "pod-id-file", value_name = "PATH")]
    pod_id_file: Option<PathBuf>,
    /// Write the pid of the infra container's monitor to the file
    #[arg(long = "infra-conmon-pidfile", value_name = "PATH")]
    infra_conmon_pidfile: Option<PathBuf>,
    /// Behaviour when the last container exits (continue, stop; stop is stored but not enforced yet)
    #[arg(long = "exit-policy", value_name = "POLICY")]
    exit_policy: Option<String>,
    /// User namespace of the pod's containers (host, keep-id[:uid=N,gid=N,size=N], nomap, auto[:size=N])
    #[arg(long, value_name = "MODE")]
    userns: Option<String>,
    /// Name of the pod (same as --name)
    #[arg(value_name = "NAME")]
    pod_name: Option<String>,
}

#[derive(Args, Debug)]
pub struct NamesArgs {
    names: Vec<String>,
    /// Act on all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Read the pod ID from the file
    #[arg(long = "pod-id-file", value_name = "PATH")]
    pod_id_file: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct StopArgs {
    names: Vec<String>,
    /// Stop all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Read the pod ID from the file
    #[arg(long = "pod-id-file", value_name = "PATH")]
    pod_id_file: Vec<PathBuf>,
    /// Do not fail when a pod does not exist
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Seconds to wait for the pod's containers to stop before killing them
    #[arg(short = 't', long = "time")]
    time: Option<u32>,
}

#[derive(Args, Debug)]
pub struct KillArgs {
    names: Vec<String>,
    /// Kill all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Signal to send to the containers in the pod
    #[arg(short = 's', long, default_value = "KILL")]
    signal: String,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    names: Vec<String>,
    /// Remove all pods
    #[arg(short = 'a', long)]
    all: bool,
    /// Stop and remove the pod's running containers too
    #[arg(short = 'f', long)]
    force: bool,
    /// Do not fail when a pod does not exist
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Read the pod ID from the file
    #[arg(long = "pod-id-file", value_name = "PATH")]
    pod_id_file: Vec<PathBuf>,
    /// Seconds to wait for the pod's containers to stop before killing them (implies --force)
    #[arg(short = 't', long = "time")]
    time: Option<u32>,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Print the numeric IDs of the pods only
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not truncate pod and container IDs
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Filter output based on conditions given (name=, id=, status=, label=)
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Pretty-print pods to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Do not print headers
    #[arg(long)]
    noheading: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[arg(required = true)]
    names: Vec<String>,
    /// Format the output using JSON or a Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
}

#[derive(Args, Debug)]
pub struct TopArgs {
    pod: String,
    /// Descriptors (user, pid, ppid, pcpu, etime, tty, time, args, ...)
    descriptors: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExistsArgs {
    pod: String,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    pod: String,
    /// Only the logs of this container of the pod
    #[arg(short = 'c', long)]
    container: Option<String>,
    /// Output the timestamps in the log
    #[arg(short = 't', long)]
    timestamps: bool,
    /// Output the specified number of lines at the end of each container's log
    #[arg(long)]
    tail: Option<usize>,
    /// Follow the log output of every container of the pod until they all stop
    #[arg(short = 'f', long)]
    follow: bool,
    /// Show logs since TIMESTAMP (RFC3339, unix seconds, or a duration like 10m)
    #[arg(long)]
    since: Option<String>,
    /// Show logs until TIMESTAMP
    #[arg(long)]
    until: Option<String>,
}

pub fn group(rt: &Runtime, c: PodCmd) -> Outcome {
    match c.sub {
        PodSub::Create(a) => create(rt, a),
        PodSub::Clone(a) => super::pod_clone::clone(rt, a),
        PodSub::Start(a) => {
            let names = with_id_files(a.names, &a.pod_id_file, false)?;
            for_each(rt, names, a.all, |n| rt.pod_start(n))
        }
        PodSub::Stop(a) => {
            let names = with_id_files(a.names, &a.pod_id_file, a.ignore)?;
            if names.is_empty() && a.ignore && !a.all && !a.pod_id_file.is_empty() {
                return Ok(0);
            }
            let ignore = a.ignore;
            for_each(rt, names, a.all, |n| match rt.pod_stop(n, a.time) {
                Err(libpod::LibpodError::NoSuchPod(_)) if ignore => Ok(None),
                other => other.map(Some),
            })
        }
        PodSub::Restart(a) => {
            let names = with_id_files(a.names, &a.pod_id_file, false)?;
            for_each(rt, names, a.all, |n| {
                rt.pod_stop(n, None)?;
                rt.pod_start(n)
            })
        }
        PodSub::Kill(a) => for_each(rt, a.names, a.all, |n| rt.pod_kill(n, &a.signal)),
        PodSub::Pause(a) => {
            let names = with_id_files(a.names, &a.pod_id_file, false)?;
            for_each(rt, names, a.all, |n| rt.pod_pause(n, true))
        }
        PodSub::Unpause(a) => {
            let names = with_id_files(a.names, &a.pod_id_file, false)?;
            for_each(rt, names, a.all, |n| rt.pod_pause(n, false))
        }
        PodSub::Rm(a) => {
            // podman: a timeout means the running containers go too, stopped gracefully first.
            let force = a.force || a.time.is_some();
            let time = a.time;
            let ignore = a.ignore;
            let names = with_id_files(a.names, &a.pod_id_file, ignore)?;
            if names.is_empty() && ignore && !a.all && !a.pod_id_file.is_empty() {
                return Ok(0);
            }
            let rm_one = |n: &str| match pod_rm_one(rt, n, force, time) {
                Err(libpod::LibpodError::NoSuchPod(_)) if ignore => Ok(None),
                other => other.map(Some),
            };
            for_each_as(rt, names, a.all, rm_one, Failure::removal)
        }
        PodSub::Prune(a) => prune(rt, a),
        PodSub::Ps(a) => ps(rt, a),
        PodSub::Inspect(a) => inspect(rt, a),
        PodSub::Top(a) => {
            print_table(&rt.pod_top(&a.pod, &a.descriptors)?);
            Ok(0)
        }
        PodSub::Exists(a) => Ok(if rt.pod(&a.pod).is_ok() { 0 } else { 1 }),
        PodSub::Logs(a) => logs(rt, a),
        PodSub::Stats(a) => super::pod_stats::pod_stats(rt, a),
    }
}

/// The options of `pod create`, also used by `run --pod new:NAME`.
pub fn create_options(a: CreateArgs) -> Result<PodCreateOptions, Failure> {
    if a.name.is_some() && a.pod_name.is_some() {
        return Err(Failure::new(
            "cannot specify the pod name twice: use either --name or the NAME argument",
        ));
    }
    Ok(PodCreateOptions {
        name: a.name.or(a.pod_name),
        publish: a.publish,
        share: a.share,
        hostname: a.hostname,
        labels: a.label,
        infra: a.infra && !a.no_infra,
        infra_name: a.infra_name,
        add_hosts: a.add_host,
        dns: a.dns,
        network: a.network,
        replace: a.replace,
        infra_conmon_pidfile: a.infra_conmon_pidfile,
        exit_policy: a.exit_policy,
        userns: a.userns,
        // podman's CreateCommand: what `generate systemd --new` runs again.
        create_command: crate::worker::args(),
    })
}

fn create(rt: &Runtime, a: CreateArgs) -> Outcome {
    let id_file = a.pod_id_file.clone();
    let pod = rt.pod_create(&create_options(a)?)?;
    if let Some(path) = id_file {
        std::fs::write(&path, &pod.id).map_err(|e| {
            Failure::new(format!(
                "failed to write pod ID to file {}: {e}",
                path.display()
            ))
        })?;
    }
    println!("{}", pod.id);
    Ok(0)
}

/// The pod named in a `--pod-id-file` (its id, whitespace trimmed).
pub fn read_pod_id_file(path: &Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::new(format!(
            "reading pod ID file {}: {e}: check the path given to --pod-id-file",
            path.display()
        ))
    })?;
    Ok(text.trim().to_string())
}

/// One `pod rm`: with `--time`, the pod is first stopped with that timeout.
fn pod_rm_one(rt: &Runtime, name: &str, force: bool, time: Option<u32>) -> libpod::Result<Pod> {
    if let Some(t) = time {
        rt.pod_stop(name, Some(t))?;
    }
    rt.pod_remove(name, force)
}

/// The pod names given, then those read from `--pod-id-file`s; with `ignore`, a missing file
/// names no pod (the pod it named is gone already).
fn with_id_files(
    mut names: Vec<String>,
    files: &[PathBuf],
    ignore: bool,
) -> Result<Vec<String>, Failure> {
    for f in files {
        if ignore && !f.exists() {
            continue;
        }
        names.push(read_pod_id_file(f)?);
    }
    Ok(names)
}

/// Acts on each named pod (or all), printing each pod's id as podman does; failures are
/// printed and the last one decides the exit code.
fn for_each<T: Into<Option<Pod>>>(
    rt: &Runtime,
    names: Vec<String>,
    all: bool,
    f: impl Fn(&str) -> libpod::Result<T>,
) -> Outcome {
    for_each_as(rt, names, all, f, Failure::from)
}

/// [`for_each`], with the exit code that `failure` gives each error.
fn for_each_as<T: Into<Option<Pod>>>(
    rt: &Runtime,
    names: Vec<String>,
    all: bool,
    f: impl Fn(&str) -> libpod::Result<T>,
    failure: fn(libpod::LibpodError) -> Failure,
) -> Outcome {
    let names = if all {
        if !names.is_empty() {
            return Err(Failure::new("--all and pod names cannot be combined"));
        }
        rt.pods()?.into_iter().map(|p| p.id).collect()
    } else if names.is_empty() {
        return Err(Failure::new(
            "you must provide at least one pod name or id (or --all)",
        ));
    } else {
        names
    };
    super::each(&names, |n| {
        if let Some(p) = f(n).map_err(failure)?.into() {
            println!("{}", p.id);
        }
        Ok(())
    })
}

fn prune(rt: &Runtime, a: PruneArgs) -> Outcome {
    if !a.force && !super::confirm("WARNING! This will remove all stopped/exited pods..") {
        return Ok(0);
    }
    for p in rt.pod_prune()? {
        println!("{}", p.id);
    }
    Ok(0)
}

/// One row of `pod ps --format`, with podman's field names.
fn ps_json(rt: &Runtime, p: &Pod, no_trunc: bool) -> Result<Value, Failure> {
    let members = rt.pod_containers(p)?;
    let statuses: Vec<libpod::Status> = members.iter().map(|c| c.status()).collect();
    let status = libpod::pod::PodStatus::from_members(&statuses);
    let short = |id: &str| -> String {
        if no_trunc {
            id.to_string()
        } else {
            id[..12.min(id.len())].to_string()
        }
    };
    Ok(json!({
        "Id": short(&p.id),
        "ID": short(&p.id),
        "Name": p.name,
        "Status": status.as_str(),
        "Created": ago(p.created),
        "CreatedAt": crate::output::go_time(p.created),
        "InfraId": short(&p.config.infra_id),
        "InfraID": short(&p.config.infra_id),
        "NumberOfContainers": members.len(),
        "Labels": p.config.labels,
        "Networks": [p.config.network],
        "ContainerNames": members.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(","),
        "ContainerIds": members.iter().map(|c| short(&c.id)).collect::<Vec<_>>().join(","),
        "ContainerStatuses": members.iter().map(|c| c.status().as_str()).collect::<Vec<_>>().join(","),
        "Containers": members.iter().map(|c| json!({
            "Id": c.id,
            "Names": c.name,
            "Status": c.status().as_str(),
        })).collect::<Vec<_>>(),
    }))
}

/// `burrow __infra`: the pause program of a pod's infra container (see libpod::pod).
#[derive(Args, Debug)]
pub struct InfraArgs {}

fn ps(rt: &Runtime, a: PsArgs) -> Outcome {
    let mut rows: Vec<(Pod, Value)> = Vec::new();
    for p in rt.pods_filtered(&a.filter)? {
        let v = ps_json(rt, &p, a.no_trunc)?;
        rows.push((p, v));
    }
    if a.quiet {
        for (_, v) in &rows {
            println!("{}", v["Id"].as_str().unwrap_or_default());
        }
        return Ok(0);
    }
    if let Some(fmt) = &a.format {
        return print_formatted(fmt, rows.into_iter().map(|(_, v)| v).collect(), &header);
    }
    let mut table = Vec::new();
    if !a.noheading {
        table.push(
            [
                "POD ID",
                "NAME",
                "STATUS",
                "CREATED",
                "INFRA ID",
                "# OF CONTAINERS",
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    for (_, v) in &rows {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        table.push(vec![
            s("Id"),
            s("Name"),
            s("Status"),
            s("Created"),
            s("InfraId"),
            v["NumberOfContainers"].to_string(),
        ]);
    }
    print_table(&table);
    Ok(0)
}

fn header(field: &str) -> String {
    match field {
        "ID" | "Id" => "POD ID".into(),
        "InfraId" | "InfraID" => "INFRA ID".into(),
        "NumberOfContainers" => "# OF CONTAINERS".into(),
        "CreatedAt" => "CREATED AT".into(),
        other => other.to_uppercase(),
    }
}

fn inspect(rt: &Runtime, a: InspectArgs) -> Outcome {
    let mut items = Vec::new();
    let mut failure: Option<Failure> = None;
    for n in &a.names {
        match rt.pod(n).and_then(|p| rt.pod_inspect(&p)) {
            Ok(v) => items.push(v),
            Err(e) => {
                if let Some(prev) = failure.take() {
                    eprintln!("Error: {}", prev.message);
                }
                failure = Some(e.into());
            }
        }
    }
    match a.format.as_deref() {
        Some(fmt) if fmt != "json" => {
            print_formatted(fmt, items, &|f| f.to_uppercase())?;
        }
        _ => print_json(&Value::Array(items)),
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(0),
    }
}

/// `pod logs`: each member's log in turn (the infra container writes none); with more than
/// one container, each line starts with the container's short id, as podman prints them.
fn logs(rt: &Runtime, a: LogsArgs) -> Outcome {
    let pod = rt.pod(&a.pod)?;
    let mut members: Vec<libpod::Container> = rt
        .pod_containers(&pod)?
        .into_iter()
        .filter(|c| !c.config.infra)
        .collect();
    if let Some(want) = &a.container {
        let c = rt.lookup(want)?;
        if c.config.pod != pod.id {
            return Err(Failure::new(format!(
                "container {want} is not in pod {}: choose one of its containers",
                pod.name
            )));
        }
        members.retain(|m| m.id == c.id);
    }
    let opts = LogsOptions {
        timestamps: a.timestamps,
        tail: a.tail,
        follow: a.follow,
        since: a
            .since
            .as_deref()
            .map(super::container::parse_time)
            .transpose()?,
        until: a
            .until
            .as_deref()
            .map(super::container::parse_time)
            .transpose()?,
    };
    rt.logs_of(
        &members,
        &opts,
        members.len() > 1,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )?;
    Ok(0)
}
