//! Container commands: run, create, start, stop, kill, restart, rm, wait, rename, ps, logs,
//! exec, inspect, top, mount, umount, and the `container` group.

use std::borrow::Cow;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use libpod::runtime::{AttachOptions, CreateOptions, ExecOptions, LogsOptions};
use libpod::{Container, ContainerSummary, Runtime, Status};
use serde_json::{Value, json};

use super::{Failure, Outcome, each};
use crate::output::{ago, human_duration, print_json, print_table};
use crate::template;

#[derive(Args, Debug, Clone)]
pub struct CreateArgs {
    /// Assign a name to the container
    #[arg(long)]
    name: Option<String>,
    /// Set environment variables in container
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    env_file: Vec<PathBuf>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// Add additional groups to the primary container process
    #[arg(long = "group-add")]
    group_add: Vec<String>,
    /// Set container hostname
    #[arg(long)]
    hostname: Option<String>,
    /// Set metadata on container
    #[arg(short = 'l', long = "label")]
    label: Vec<String>,
    /// Read in a line delimited file of labels
    #[arg(long = "label-file")]
    label_file: Vec<PathBuf>,
    /// Add annotations to container (key=value)
    #[arg(long)]
    annotation: Vec<String>,
    /// Bind mount a volume into the container (HOST-DIR|VOLUME-NAME:CONTAINER-DIR[:OPTIONS])
    #[arg(short = 'v', long = "volume")]
    volume: Vec<String>,
    /// Attach a filesystem mount to the container (type=bind|volume|tmpfs|image,src=,dst=,...)
    #[arg(long)]
    mount: Vec<String>,
    /// Mount volumes from the specified container(s) (CONTAINER[:ro|rw])
    #[arg(long = "volumes-from")]
    volumes_from: Vec<String>,
    /// Mount a temporary filesystem (tmpfs) into a container
    #[arg(long)]
    tmpfs: Vec<String>,
    /// Make containers root filesystem read-only
    #[arg(long = "read-only")]
    read_only: bool,
    /// When running --read-only containers mount read-write tmpfs on /run, /tmp and /var/tmp
    #[arg(long = "read-only-tmpfs", default_value_t = true, action = clap::ArgAction::Set)]
    read_only_tmpfs: bool,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long)]
    init: bool,
    /// Allocate a pseudo-TTY for container
    #[arg(short = 't', long)]
    tty: bool,
    /// Make STDIN available to the contained process
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Add capabilities to the container
    #[arg(long = "cap-add")]
    cap_add: Vec<String>,
    /// Drop capabilities from the container
    #[arg(long = "cap-drop")]
    cap_drop: Vec<String>,
    /// Give extended privileges to container
    #[arg(long)]
    privileged: bool,
    /// Add a host device (HOST[:CONTAINER][:PERMISSIONS]) or a CDI device (vendor.com/class=name)
    #[arg(long = "device", value_name = "DEVICE")]
    device: Vec<String>,
    /// GPU devices to add to the container ('all' to pass all GPUs), through CDI
    #[arg(long, value_name = "GPUS")]
    gpus: Option<String>,
    /// Control container cgroup configuration ("enabled"|"disabled"|"no-conmon"|"split")
    #[arg(long, value_name = "MODE")]
    cgroups: Option<String>,
    /// Cgroup namespace to use ("private"|"host")
    #[arg(long, value_name = "MODE")]
    cgroupns: Option<String>,
    /// Security Options (seccomp=unconfined|PATH, no-new-privileges)
    #[arg(long = "security-opt")]
    security_opt: Vec<String>,
    /// Signal to stop a container. Default is SIGTERM
    #[arg(long = "stop-signal")]
    stop_signal: Option<String>,
    /// Timeout (in seconds) that containers stopped by user command have to exit
    #[arg(long = "stop-timeout")]
    stop_timeout: Option<u32>,
    /// Restart policy to apply when a container exits ("always"|"no"|"on-failure"|"unless-stopped")
    #[arg(long)]
    restart: Option<String>,
    /// Remove container and any anonymous unnamed volume associated with the container after exit
    #[arg(long)]
    rm: bool,
    /// Ulimit options
    #[arg(long)]
    ulimit: Vec<String>,
    /// Connect a container to a network (NAME[,NAME2] of user networks, slirp4netns[:OPTIONS], pasta[:OPTIONS], none, host, container:NAME, ns:PATH)
    #[arg(long, alias = "net")]
    network: Option<String>,
    /// Add a network-scoped alias for the container (user networks)
    #[arg(long = "network-alias")]
    network_alias: Vec<String>,
    /// Specify a static IPv4 address for the container on its user network
    #[arg(long)]
    ip: Option<String>,
    /// Run container in an existing pod, or in a new one (new:NAME) that gets -p and --network
    #[arg(long)]
    pod: Option<String>,
    /// Publish a container's port, or a range of ports, to the host
    #[arg(short = 'p', long)]
    publish: Vec<String>,
    /// Publish all exposed ports to random ports on the host interfaces
    #[arg(short = 'P', long = "publish-all")]
    publish_all: bool,
    /// Set custom DNS servers ("none": keep the image's /etc/resolv.conf)
    #[arg(long)]
    dns: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long = "dns-search")]
    dns_search: Vec<String>,
    /// Set custom DNS options
    #[arg(long = "dns-option", alias = "dns-opt")]
    dns_option: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host")]
    add_host: Vec<String>,
    /// If a container with the same name exists, replace it
    #[arg(long)]
    replace: bool,
    /// Write the container ID to the file
    #[arg(long)]
    cidfile: Option<PathBuf>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long)]
    entrypoint: Option<String>,
    /// Pass a number of additional file descriptors into the container
    #[arg(long = "preserve-fds", default_value_t = 0)]
    preserve_fds: u32,
    /// Pull image policy (always, missing, never, newer)
    #[arg(long, default_value = "missing", num_args = 0..=1, default_missing_value = "always")]
    pull: String,
    /// Suppress output information when pulling images
    #[arg(short = 'q', long)]
    quiet: bool,
    #[command(flatten)]
    registry: super::registry::RegistryArgs,
    #[command(flatten)]
    platform: super::registry::PlatformArgs,
    #[command(flatten)]
    limits: super::resources::LimitArgs,
    #[command(flatten)]
    process_limits: super::resources::ProcessLimitArgs,
    /// Image to run
    image: String,
    /// Command and arguments
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

impl From<CreateArgs> for CreateOptions {
    fn from(a: CreateArgs) -> CreateOptions {
        CreateOptions {
            start_next: false,
            temporary: false,
            resources: super::resources::options(&a.limits, Some(&a.process_limits)),
            image: a.image,
            command: a.command,
            name: a.name,
            entrypoint: a.entrypoint,
            env: a.env,
            env_files: a.env_file,
            workdir: a.workdir,
            user: a.user,
            group_add: a.group_add,
            hostname: a.hostname,
            labels: a.label,
            label_files: a.label_file,
            annotations: a.annotation,
            volumes: a.volume,
            mounts: a.mount,
            volumes_from: a.volumes_from,
            tmpfs: a.tmpfs,
            read_only: a.read_only,
            read_only_tmpfs: a.read_only_tmpfs,
            init: a.init,
            tty: a.tty,
            interactive: a.interactive,
            cap_add: a.cap_add,
            cap_drop: a.cap_drop,
            privileged: a.privileged,
            devices: a.device,
            gpus: a.gpus,
            cgroups: a.cgroups,
            cgroupns: a.cgroupns,
            security_opt: a.security_opt,
            stop_signal: a.stop_signal,
            stop_timeout: a.stop_timeout,
            restart: a.restart,
            rm: a.rm,
            ulimits: a.ulimit,
            network: a.network,
            publish: a.publish,
            publish_all: a.publish_all,
            dns: a.dns,
            dns_search: a.dns_search,
            dns_options: a.dns_option,
            add_hosts: a.add_host,
            replace: a.replace,
            cidfile: a.cidfile,
            preserve_fds: a.preserve_fds,
            pod: a.pod,
            network_aliases: a.network_alias,
            ip: a.ip,
        }
    }
}

/// `--pod new:NAME`: creates the pod first, giving it the container's -p and --network (as
/// podman does); returns its id so a failed create can take it away again.
fn new_pod(rt: &Runtime, a: &mut CreateArgs) -> Result<Option<String>, Failure> {
    let Some(name) = a.pod.as_deref().and_then(|p| p.strip_prefix("new:")) else {
        return Ok(None);
    };
    let opts = libpod::runtime::PodCreateOptions {
        name: Some(name.to_string()),
        publish: std::mem::take(&mut a.publish),
        network: a.network.take(),
        infra: true,
        ..Default::default()
    };
    let pod = rt.pod_create(&opts)?;
    a.pod = Some(pod.id.clone());
    Ok(Some(pod.id))
}

/// `create` with `--pod new:NAME` handled: nothing is left behind when the create fails.
/// `start_next`: `run` starts the container at once; until it has, the container belongs to
/// this process and goes with it if it is killed.
fn create_container(
    rt: &Runtime,
    mut a: CreateArgs,
    start_next: bool,
) -> Result<Container, Failure> {
    let pod = new_pod(rt, &mut a)?;
    let mut opts: libpod::runtime::CreateOptions = a.into();
    opts.start_next = start_next;
    match libpod::spec::ContainerSpec::try_from(&opts).and_then(|spec| rt.create(&spec)) {
        Ok(c) => Ok(c),
        Err(e) => {
            if let Some(id) = pod {
                let _ = rt.pod_remove(&id, true);
            }
            Err(e.into())
        }
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    detach: bool,
    /// Proxy received signals to the process
    #[arg(long = "sig-proxy", default_value_t = true, action = clap::ArgAction::Set)]
    sig_proxy: bool,
    #[command(flatten)]
    create: CreateArgs,
}

/// Applies `--pull`: the image is pulled when the policy says so, and the container is
/// created from what is then in the store.
fn ensure_image(rt: &Runtime, a: &mut CreateArgs) -> Result<(), Failure> {
    let policy: libpod::runtime::PullPolicy = a.pull.parse()?;
    if policy == libpod::runtime::PullPolicy::Missing && rt.image(&a.image).is_ok() {
        return Ok(()); // the fast path of every `run`: no registries.conf, no network
    }
    let platform = a.platform.platform()?;
    let progress = super::registry::Progress::new(a.quiet);
    let img = rt.image_for_run(&a.image, policy, &a.registry.flags(), platform, &progress)?;
    if rt.image(&a.image).ok().map(|i| i.id) != Some(img.id.clone()) {
        a.image = img.names.first().cloned().unwrap_or(img.id);
    }
    Ok(())
}

pub fn run(rt: &Runtime, mut a: RunArgs) -> Outcome {
    let interactive = a.create.interactive;
    ensure_image(rt, &mut a.create)?;
    let c = create_container(rt, a.create, true)?;
    if a.detach {
        rt.start_detached(&c)?;
        println!("{}", c.id);
        return Ok(0);
    }
    Ok(rt.start_attached(
        &c,
        AttachOptions {
            stdin: interactive,
            sig_proxy: a.sig_proxy,
        },
    )?)
}

pub fn create(rt: &Runtime, mut a: CreateArgs) -> Outcome {
    ensure_image(rt, &mut a)?;
    let c = create_container(rt, a, false)?;
    println!("{}", c.id);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct StartArgs {
    /// Attach container's STDOUT and STDERR
    #[arg(short = 'a', long)]
    attach: bool,
    /// Make STDIN available to the contained process
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Proxy received signals to the process
    #[arg(long = "sig-proxy", default_value_t = true, action = clap::ArgAction::Set)]
    sig_proxy: bool,
    #[arg(required = true)]
    names: Vec<String>,
}

pub fn start(rt: &Runtime, a: StartArgs) -> Outcome {
    if a.attach || a.interactive {
        if a.names.len() > 1 {
            return Err(Failure::new(
                "you cannot start and attach multiple containers at once",
            ));
        }
        let c = rt.lookup(&a.names[0])?;
        return Ok(rt.start_attached(
            &c,
            AttachOptions {
                stdin: a.interactive,
                sig_proxy: a.sig_proxy,
            },
        )?);
    }
    each(&a.names, |n| {
        let c = rt.lookup(n)?;
        if c.status() != Status::Running {
            rt.start_detached(&c)?;
        }
        println!("{n}");
        Ok(())
    })
}

fn all_or_names(
    rt: &Runtime,
    all: bool,
    names: Vec<String>,
    filter: impl Fn(&Container) -> bool,
) -> Result<Vec<String>, Failure> {
    if all {
        return Ok(rt
            .list()?
            .into_iter()
            .filter(|c| filter(c))
            .map(|c| c.id)
            .collect());
    }
    if names.is_empty() {
        return Err(Failure::new(
            "you must provide at least one container name or ID",
        ));
    }
    Ok(names)
}

#[derive(Args, Debug)]
pub struct StopArgs {
    /// Stop all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Seconds to wait for stop before killing the container
    #[arg(short = 't', long = "time")]
    time: Option<u32>,
    names: Vec<String>,
}

pub fn stop(rt: &Runtime, a: StopArgs) -> Outcome {
    let names = all_or_names(rt, a.all, a.names, |c| c.status() == Status::Running)?;
    each(&names, |n| {
        rt.stop(n, a.time)?;
        println!("{n}");
        Ok(())
    })
}

pub fn restart(rt: &Runtime, a: StopArgs) -> Outcome {
    let names = all_or_names(rt, a.all, a.names, |c| c.status() == Status::Running)?;
    each(&names, |n| {
        let c = rt.stop(n, a.time)?;
        rt.start_detached(&c)?;
        println!("{n}");
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Signal all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Signal to send to the container
    #[arg(short = 's', long, default_value = "KILL")]
    signal: String,
    names: Vec<String>,
}

pub fn kill(rt: &Runtime, a: KillArgs) -> Outcome {
    let names = all_or_names(rt, a.all, a.names, |c| c.status() == Status::Running)?;
    each(&names, |n| {
        rt.kill(n, &a.signal)?;
        println!("{n}");
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Remove all containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Force removal of a running or unusable container
    #[arg(short = 'f', long)]
    force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long)]
    volumes: bool,
    /// Ignore errors when a specified container is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    /// With --force, seconds to wait for a running container to stop before killing it
    #[arg(short = 't', long = "time")]
    time: Option<u32>,
    names: Vec<String>,
}

/// One `rm`: with `--force --time`, a running container is first stopped gracefully.
fn rm_one(rt: &Runtime, a: &RmArgs, name: &str) -> libpod::Result<Container> {
    if a.force
        && let Some(t) = a.time
        && rt.lookup(name).is_ok_and(|c| c.status() == Status::Running)
    {
        rt.stop(name, Some(t))?;
    }
    rt.remove(name, a.force, a.volumes)
}

pub fn rm(rt: &Runtime, a: RmArgs) -> Outcome {
    let names = if a.all {
        all_or_names(rt, true, vec![], |_| true)?
    } else {
        all_or_names(rt, false, a.names.clone(), |_| true)?
    };
    each(&names, |n| match rm_one(rt, &a, n) {
        Ok(c) => {
            println!("{}", if a.all { c.id } else { n.to_string() });
            Ok(())
        }
        Err(libpod::LibpodError::NoSuchContainer(_)) if a.ignore => Ok(()),
        Err(e) => Err(e.into()),
    })
}

#[derive(Args, Debug)]
pub struct NamesArgs {
    #[arg(required = true)]
    names: Vec<String>,
}

pub fn wait(rt: &Runtime, a: NamesArgs) -> Outcome {
    each(&a.names, |n| {
        println!("{}", rt.wait(n)?);
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct RenameArgs {
    container: String,
    new_name: String,
}

pub fn rename(rt: &Runtime, a: RenameArgs) -> Outcome {
    rt.rename(&a.container, &a.new_name)?;
    Ok(0)
}

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Show all the containers, default is only running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Print the numeric IDs of the containers only
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Act on the latest container burrow is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Print the n last created containers (all states)
    #[arg(short = 'n', long)]
    last: Option<usize>,
    /// Display the extended information
    #[arg(long = "no-trunc")]
    no_trunc: bool,
    /// Filter output based on conditions given
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Pretty-print containers to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Display the pods the containers are associated with
    #[arg(long)]
    pod: bool,
}

fn status_text(c: &ContainerSummary) -> String {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    match c.status() {
        Status::Running => format!(
            "Up {}",
            human_duration((now - c.state.started) / 1_000_000_000)
        ),
        Status::Exited => format!("Exited ({}) {}", c.state.exit_code, ago(c.state.finished)),
        Status::Paused => "Paused".into(),
        Status::Stopping => "Stopping".into(),
        Status::Created => "Created".into(),
    }
}

/// One row of `ps --format`: like podman, `.ID` is the short id unless `--no-trunc`; `.Id`
/// (and `--format json`) keeps the full one.
fn ps_json(c: &ContainerSummary, no_trunc: bool) -> Value {
    json!({
        "ID": if no_trunc { c.id.as_str() } else { c.short_id() },
        "Id": c.id,
        "Image": c.image_name,
        "ImageID": c.image_id,
        "Command": c.command,
        "Created": c.created / 1_000_000_000,
        "CreatedAt": libpod_time(c.created),
        "CreatedHuman": ago(c.created),
        "RunningFor": ago(c.created),
        "Status": status_text(c),
        "State": c.status().as_str(),
        "Names": c.name,
        "Labels": c.labels,
        "Ports": ports_text(c),
        "Mounts": c.mounts.iter().map(|m| m.destination.display().to_string()).collect::<Vec<_>>(),
        "Pid": c.state.pid,
        "ExitCode": c.state.exit_code,
        "Exited": c.status() == Status::Exited,
        "AutoRemove": c.auto_remove,
        "Restarts": c.state.restart_count,
        "Pod": if no_trunc { c.pod.as_str() } else { &c.pod[..12.min(c.pod.len())] },
        "PodName": "",
        "Networks": [],
    })
}

fn libpod_time(nanos: i64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_nanos(nanos)
        .format("%Y-%m-%d %H:%M:%S%.9f %z %Z")
        .to_string()
}

/// A `ps --filter` whose value names another object, resolved once for the whole list.
enum Resolved {
    /// `pod=NAME|ID`: the pod's id.
    Pod(String),
    /// `before=CTR` / `since=CTR`: that container's creation time.
    Before(i64),
    Since(i64),
}

fn resolve_filter(rt: &Runtime, f: &str) -> Result<Option<Resolved>, Failure> {
    let Some((k, v)) = f.split_once('=') else {
        return Ok(None);
    };
    Ok(match k {
        "pod" => Some(Resolved::Pod(rt.pod(v)?.id)),
        "before" => Some(Resolved::Before(rt.lookup(v)?.created)),
        "since" => Some(Resolved::Since(rt.lookup(v)?.created)),
        _ => None,
    })
}

fn matches_filter(
    c: &ContainerSummary,
    f: &str,
    resolved: Option<&Resolved>,
) -> Result<bool, Failure> {
    match resolved {
        Some(Resolved::Pod(id)) => return Ok(&c.pod == id),
        Some(Resolved::Before(t)) => return Ok(c.created < *t),
        Some(Resolved::Since(t)) => return Ok(c.created > *t),
        None => {}
    }
    let (k, v) = f
        .split_once('=')
        .ok_or_else(|| Failure::new(format!("invalid filter \"{f}\": use KEY=VALUE")))?;
    Ok(match k {
        "name" => c.name.contains(v),
        "id" => c.id.starts_with(v),
        "status" => {
            if Status::parse(v).is_none() {
                return Err(Failure::new(format!(
                    "invalid status filter \"{v}\": use created, running, paused, stopping or exited"
                )));
            }
            c.status().as_str() == Status::parse(v).map(|s| s.as_str()).unwrap_or("")
        }
        "label" => match v.split_once('=') {
            Some((lk, lv)) => c.labels.get(lk).is_some_and(|x| x == lv),
            None => c.labels.contains_key(v),
        },
        "exited" => {
            let code: i32 = v.parse().map_err(|_| {
                Failure::new(format!("invalid exited filter \"{v}\": use a number"))
            })?;
            c.status() == Status::Exited && c.state.exit_code == code
        }
        "ancestor" => c.image_name.contains(v) || c.image_id.starts_with(v),
        _ => {
            return Err(Failure::new(format!(
                "invalid filter \"{k}\": use name, id, status, label, exited, ancestor, pod, before or since"
            )));
        }
    })
}

pub fn ps(rt: &Runtime, a: PsArgs) -> Outcome {
    // Summaries, not whole containers: nothing `ps` shows or filters on needs a config parse.
    let show_all = a.all || a.latest || a.last.is_some() || !a.filter.is_empty();
    let mut list = rt.list_summaries(!show_all)?;
    if !show_all {
        list.retain(|c| c.status() == Status::Running);
    }
    for f in &a.filter {
        let resolved = resolve_filter(rt, f)?;
        let mut kept = Vec::new();
        for c in list {
            if matches_filter(&c, f, resolved.as_ref())? {
                kept.push(c);
            }
        }
        list = kept;
    }
    if a.latest {
        list.truncate(1);
    }
    if let Some(n) = a.last {
        list.truncate(n);
    }
    if a.quiet {
        let mut out = String::with_capacity(list.len() * 65);
        for c in &list {
            out.push_str(if a.no_trunc { &c.id } else { c.short_id() });
            out.push('\n');
        }
        print!("{out}");
        return Ok(0);
    }
    // Pod names only when a pod exists: the common `ps` reads no pods table.
    let pod_names: std::collections::HashMap<String, String> =
        if list.iter().any(|c| !c.pod.is_empty()) {
            rt.pods()?.into_iter().map(|p| (p.id, p.name)).collect()
        } else {
            Default::default()
        };
    let pod_name = |c: &ContainerSummary| pod_names.get(&c.pod).cloned().unwrap_or_default();
    if let Some(fmt) = &a.format {
        // User networks are one query, made only when a format may show them.
        let networks = rt.network_names_by_container()?;
        return print_formatted(
            fmt,
            list.iter()
                .map(|c| {
                    let mut v = ps_json(c, a.no_trunc);
                    v["PodName"] = Value::String(pod_name(c));
                    if let Some(n) = networks.get(&c.id) {
                        v["Networks"] = json!(n);
                    }
                    v
                })
                .collect(),
            &ps_header,
        );
    }
    // Cells borrow from the summaries where they can: with 1000 containers, copying each
    // name and image into the table was measurable.
    let mut head: Vec<Cow<str>> = [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]
    .map(Cow::Borrowed)
    .to_vec();
    if a.pod {
        head.extend([Cow::Borrowed("POD ID"), Cow::Borrowed("PODNAME")]);
    }
    let mut rows = Vec::with_capacity(list.len() + 1);
    rows.push(head);
    for c in &list {
        let cmd = if !a.no_trunc && c.command.chars().count() > 17 {
            Cow::Owned(format!(
                "{}...",
                c.command.chars().take(17).collect::<String>()
            ))
        } else {
            Cow::Borrowed(c.command.as_str())
        };
        let mut row = vec![
            Cow::Borrowed(if a.no_trunc {
                c.id.as_str()
            } else {
                c.short_id()
            }),
            Cow::Borrowed(c.image_name.as_str()),
            cmd,
            Cow::Owned(ago(c.created)),
            Cow::Owned(status_text(c)),
            if c.ports.is_empty() {
                Cow::Borrowed("")
            } else {
                Cow::Owned(ports_text(c))
            },
            Cow::Borrowed(c.name.as_str()),
        ];
        if a.pod {
            let id = &c.pod;
            let id = if a.no_trunc {
                id.as_str()
            } else {
                &id[..12.min(id.len())]
            };
            row.extend([Cow::Borrowed(id), Cow::Owned(pod_name(c))]);
        }
        rows.push(row);
    }
    print_table(&rows);
    // Not freed: the process exits next, and freeing thousands of strings one by one is
    // time for nothing (as main does with the parser).
    std::mem::forget(rows);
    std::mem::forget(list);
    Ok(0)
}

fn ps_header(field: &str) -> String {
    match field {
        "ID" | "Id" => "CONTAINER ID".into(),
        "RunningFor" | "CreatedHuman" => "CREATED".into(),
        "CreatedAt" => "CREATED AT".into(),
        "ImageID" => "IMAGE ID".into(),
        other => other.to_uppercase(),
    }
}

/// podman's table templates separate columns with spaces as well as tabs: blanks outside
/// `{{...}}` become one tab, so `table {{.ID}} {{.Names}}` gives two aligned columns.
fn table_columns(body: &str) -> String {
    let body = body.replace("\\t", "\t");
    let mut out = String::new();
    let mut rest = body.as_str();
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        push_blanks_as_tabs(&mut out, &rest[..start]);
        out.push_str(&rest[start..start + len + 2]);
        rest = &rest[start + len + 2..];
    }
    push_blanks_as_tabs(&mut out, rest);
    out
}

fn push_blanks_as_tabs(out: &mut String, text: &str) {
    let mut in_blank = false;
    for ch in text.chars() {
        if ch == ' ' || ch == '\t' {
            if !in_blank {
                out.push('\t');
            }
            in_blank = true;
        } else {
            out.push(ch);
            in_blank = false;
        }
    }
}

/// `--format`: `json`, `table ...` (with a header row) or a template per item.
pub fn print_formatted(fmt: &str, items: Vec<Value>, header: &dyn Fn(&str) -> String) -> Outcome {
    if fmt == "json" {
        print_json(&Value::Array(items));
        return Ok(0);
    }
    let (table, body) = match fmt.strip_prefix("table") {
        Some(rest) => (true, table_columns(rest.trim_start())),
        None => (false, fmt.to_string()),
    };
    let body = body.as_str();
    let mut rows: Vec<Vec<String>> = Vec::new();
    if table {
        let head = body
            .split("{{")
            .skip(1)
            .filter_map(|p| {
                p.split_once("}}")
                    .map(|(a, _)| a.trim().trim_start_matches('.').to_string())
            })
            .map(|f| header(&f))
            .collect();
        rows.push(head);
    }
    // Parsed once, executed per row.
    let tmpl = template::Template::parse(body).map_err(Failure::new)?;
    for item in &items {
        let line = tmpl.execute(item).map_err(Failure::new)?;
        if table {
            rows.push(line.split('\t').map(str::to_string).collect());
        } else {
            println!("{line}");
        }
    }
    if table {
        print_table(&rows);
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct LogsOptionsArgs {
    /// Follow log output
    #[arg(short = 'f', long)]
    follow: bool,
    /// Output the timestamps in the log
    #[arg(short = 't', long)]
    timestamps: bool,
    /// Show logs since TIMESTAMP (RFC3339, unix seconds, or a duration like 10m)
    #[arg(long)]
    since: Option<String>,
    /// Show logs until TIMESTAMP
    #[arg(long)]
    until: Option<String>,
    /// Output the specified number of LINES at the end of the logs
    #[arg(long)]
    tail: Option<i64>,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    #[command(flatten)]
    opts: LogsOptionsArgs,
    #[arg(required = true)]
    names: Vec<String>,
}

pub(crate) fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, Failure> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    let now = chrono::Local::now().fixed_offset();
    if let Ok(secs) = s.parse::<f64>() {
        return chrono::DateTime::from_timestamp(secs as i64, 0)
            .map(|t| t.fixed_offset())
            .ok_or_else(|| Failure::new(format!("invalid time \"{s}\"")));
    }
    let mut total = 0f64;
    let mut num = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            num.push(ch);
            continue;
        }
        let n: f64 = num.parse().map_err(|_| {
            Failure::new(format!(
                "invalid time \"{s}\": use RFC3339, unix seconds or a duration like 10m"
            ))
        })?;
        num.clear();
        total += n * match ch {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            _ => {
                return Err(Failure::new(format!(
                    "invalid time \"{s}\": use RFC3339, unix seconds or a duration like 10m"
                )));
            }
        };
    }
    if !num.is_empty() {
        return Err(Failure::new(format!(
            "invalid time \"{s}\": a duration needs a unit (s, m, h)"
        )));
    }
    Ok(now - chrono::Duration::milliseconds((total * 1000.0) as i64))
}

pub fn logs(rt: &Runtime, a: LogsArgs) -> Outcome {
    let o = a.opts;
    let opts = LogsOptions {
        follow: o.follow,
        timestamps: o.timestamps,
        since: o.since.as_deref().map(parse_time).transpose()?,
        until: o.until.as_deref().map(parse_time).transpose()?,
        tail: o.tail.filter(|t| *t >= 0).map(|t| t as usize),
    };
    each(&a.names, |n| {
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        rt.logs(n, &opts, &mut stdout.lock(), &mut stderr.lock())?;
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Run the exec session in detached mode (backgrounded)
    #[arg(short = 'd', long)]
    detach: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    tty: bool,
    /// Sets the username or UID used and optionally the groupname or GID for the specified command
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Give the process extended Linux capabilities
    #[arg(long)]
    privileged: bool,
    /// Pass N additional file descriptors to the container
    #[arg(long = "preserve-fds", default_value_t = 0)]
    preserve_fds: u32,
    container: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn exec(rt: &Runtime, a: ExecArgs) -> Outcome {
    let opts = ExecOptions {
        command: a.command,
        interactive: a.interactive,
        tty: a.tty,
        env: a.env,
        workdir: a.workdir,
        user: a.user,
        detach: a.detach,
        privileged: a.privileged,
        preserve_fds: a.preserve_fds,
    };
    Ok(rt.exec(&a.container, &opts)?)
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Specify inspect-object type (container, image, all)
    #[arg(short = 't', long = "type", default_value = "all")]
    kind: String,
    /// Display total file size (SizeRw, SizeRootFs)
    #[arg(short = 's', long)]
    size: bool,
    #[arg(required = true)]
    names: Vec<String>,
}

fn inspect_one(rt: &Runtime, c: &Container, size: bool) -> libpod::Result<Value> {
    if size {
        rt.inspect_with_size(c)
    } else {
        rt.inspect(c)
    }
}

pub fn inspect(rt: &Runtime, a: InspectArgs) -> Outcome {
    if !matches!(a.kind.as_str(), "all" | "container" | "image") {
        return Err(Failure::new(format!(
            "invalid type \"{}\": must be container, image or all",
            a.kind
        )));
    }
    let mut items = Vec::new();
    let mut missing: Option<Failure> = None;
    for n in &a.names {
        let found = match a.kind.as_str() {
            "container" => rt
                .lookup(n)
                .map_err(Failure::from)
                .and_then(|c| Ok(inspect_one(rt, &c, a.size)?)),
            "image" => super::image::inspect_json(rt, n),
            _ => match rt.lookup(n) {
                Ok(c) => Ok(inspect_one(rt, &c, a.size)?),
                Err(_) => super::image::inspect_json(rt, n)
                    .map_err(|_| Failure::new(format!("no such object: \"{n}\""))),
            },
        };
        match found {
            Ok(v) => items.push(v),
            Err(e) => {
                if let Some(prev) = missing.take() {
                    eprintln!("Error: {}", prev.message);
                }
                missing = Some(e);
            }
        }
    }
    match &a.format {
        Some(f) if f != "json" => {
            for item in &items {
                println!("{}", template::render(f, item).map_err(Failure::new)?);
            }
        }
        _ => print_json(&Value::Array(items)),
    }
    match missing {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

#[derive(Args, Debug)]
pub struct TopArgs {
    container: String,
    /// ps descriptors (user, pid, ppid, pcpu, etime, tty, time, args, comm)
    descriptors: Vec<String>,
}

/// ps's PORTS column: `0.0.0.0:8080->80/tcp, ...`.
fn ports_text(c: &ContainerSummary) -> String {
    c.ports
        .iter()
        .map(|m| {
            format!(
                "{}->{}/{}",
                host_side(m.host_addr(), m.host_port),
                m.container_port,
                m.protocol.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `0.0.0.0:8080`, or `[::1]:8080`.
fn host_side(ip: std::net::IpAddr, port: u16) -> String {
    std::net::SocketAddr::new(ip, port).to_string()
}

#[derive(Args, Debug)]
pub struct PortArgs {
    container: String,
    /// Only this container port (`80` or `80/tcp`)
    private_port: Option<String>,
}

/// podman's `port`: `80/tcp -> 0.0.0.0:8080`, or just the host side for one private port.
pub fn port(rt: &Runtime, a: PortArgs) -> Outcome {
    let c = rt.lookup(&a.container)?;
    let wanted = match &a.private_port {
        Some(p) => {
            let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
            let num: u16 = num.parse().map_err(|_| {
                Failure::new(format!(
                    "invalid port \"{p}\": give a container port number, optionally with /tcp or /udp"
                ))
            })?;
            Some((num, proto.to_string()))
        }
        None => None,
    };
    let mut found = false;
    for m in &c.config.ports {
        let host = host_side(m.host_addr(), m.host_port);
        match &wanted {
            Some((num, proto)) => {
                if m.container_port == *num && m.protocol.as_str() == proto {
                    println!("{host}");
                    found = true;
                }
            }
            None => println!("{}/{} -> {host}", m.container_port, m.protocol.as_str()),
        }
    }
    if let Some((num, proto)) = wanted
        && !found
    {
        return Err(Failure::new(format!(
            "failed to find published port \"{num}/{proto}\""
        )));
    }
    Ok(0)
}

pub fn top(rt: &Runtime, a: TopArgs) -> Outcome {
    let rows = rt.top(&a.container, &a.descriptors)?;
    print_table(&rows);
    Ok(0)
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// Select the key sequence for detaching a container. Format is a single character [a-Z] or ctrl-<value> where <value> is one of: a-z, @, ^, [, , or _
    #[arg(long = "detach-keys", default_value = "ctrl-p,ctrl-q")]
    detach_keys: String,
    /// Do not attach STDIN. The default is false
    #[arg(long = "no-stdin")]
    no_stdin: bool,
    /// Proxy received signals to the process (accepted for compatibility)
    #[arg(long = "sig-proxy", default_value_t = true, action = clap::ArgAction::Set)]
    sig_proxy: bool,
    container: String,
}

pub fn attach(rt: &Runtime, a: AttachArgs) -> Outcome {
    let keys = libpod::attach::parse_detach_keys(&a.detach_keys).map_err(Failure::new)?;
    let _ = a.sig_proxy;
    let opts = libpod::runtime::AttachClientOptions {
        stdin: !a.no_stdin,
        detach_keys: keys,
    };
    match rt.attach(&a.container, &opts)? {
        libpod::runtime::AttachEnd::Detached => Ok(0),
        libpod::runtime::AttachEnd::Exited(code) => Ok(code),
    }
}

pub fn mount(rt: &Runtime, a: NamesArgs) -> Outcome {
    each(&a.names, |n| {
        println!("{}", rt.mount(n)?.display());
        Ok(())
    })
}

pub fn umount(rt: &Runtime, a: NamesArgs) -> Outcome {
    each(&a.names, |n| {
        rt.unmount(n)?;
        println!("{n}");
        Ok(())
    })
}

#[derive(Args, Debug)]
pub struct ContainerCmd {
    #[command(subcommand)]
    cmd: ContainerSub,
}

#[derive(Subcommand, Debug)]
enum ContainerSub {
    /// Run a command in a new container
    Run(RunArgs),
    /// Create but do not start a container
    Create(CreateArgs),
    /// Start one or more containers
    Start(StartArgs),
    /// Stop one or more containers
    Stop(StopArgs),
    /// Kill one or more running containers
    Kill(KillArgs),
    /// Restart one or more containers
    Restart(StopArgs),
    /// Remove one or more containers
    Rm(RmArgs),
    /// Block on one or more containers
    Wait(NamesArgs),
    /// Rename an existing container
    Rename(RenameArgs),
    /// List containers
    #[command(alias = "ls", alias = "ps")]
    List(PsArgs),
    /// Fetch the logs of one or more containers
    Logs(LogsArgs),
    /// Run a process in a running container
    Exec(ExecArgs),
    /// Display the configuration of a container
    Inspect(InspectArgs),
    /// Display the running processes of a container
    Top(TopArgs),
    /// List port mappings or a specific mapping for the container
    Port(PortArgs),
    /// Check if a container exists in local storage
    Exists(ExistsArgs),
    /// Attach to a running container
    Attach(AttachArgs),
    /// Mount a working container's root filesystem
    Mount(NamesArgs),
    /// Unmount working container's root filesystem
    #[command(alias = "unmount")]
    Umount(NamesArgs),
    /// Copy files/folders between a container and the local filesystem
    Cp(super::files::CpArgs),
    /// Create new image based on the changed container
    Commit(super::files::CommitArgs),
    /// Inspect changes to the container's file systems
    Diff(super::files::DiffArgs),
}

#[derive(Args, Debug)]
pub struct ExistsArgs {
    name: String,
}

pub fn group(rt: &Runtime, c: ContainerCmd) -> Outcome {
    match c.cmd {
        ContainerSub::Run(a) => run(rt, a),
        ContainerSub::Create(a) => create(rt, a),
        ContainerSub::Start(a) => start(rt, a),
        ContainerSub::Stop(a) => stop(rt, a),
        ContainerSub::Kill(a) => kill(rt, a),
        ContainerSub::Restart(a) => restart(rt, a),
        ContainerSub::Rm(a) => rm(rt, a),
        ContainerSub::Wait(a) => wait(rt, a),
        ContainerSub::Rename(a) => rename(rt, a),
        ContainerSub::List(a) => ps(rt, a),
        ContainerSub::Logs(a) => logs(rt, a),
        ContainerSub::Exec(a) => exec(rt, a),
        ContainerSub::Inspect(mut a) => {
            a.kind = "container".into();
            inspect(rt, a)
        }
        ContainerSub::Top(a) => top(rt, a),
        ContainerSub::Port(a) => port(rt, a),
        ContainerSub::Exists(a) => Ok(if rt.lookup(&a.name).is_ok() { 0 } else { 1 }),
        ContainerSub::Mount(a) => mount(rt, a),
        ContainerSub::Attach(a) => attach(rt, a),
        ContainerSub::Umount(a) => umount(rt, a),
        ContainerSub::Cp(a) => super::files::cp(rt, a),
        ContainerSub::Commit(a) => super::files::commit(rt, a),
        ContainerSub::Diff(a) => super::files::diff(rt, a),
    }
}
