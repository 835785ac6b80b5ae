//! The `burrow` command line: parses flags with clap, calls libpod, prints results. No engine
//! logic lives here.

mod argv;
mod commands;
mod complete;
mod help;
mod manpages;
mod output;
mod template;
mod worker;

use clap::{Args, FromArgMatches, Parser, Subcommand};

use commands::auto_update;
use commands::kube;
use commands::manifest;
use commands::{
    build, cdi, compose, container, events, files, generate, image, network, pod, quadlet,
    registry, resources, secret, system, volume,
};

#[derive(Parser, Debug)]
#[command(
    name = "burrow",
    bin_name = "burrow",
    version,
    about = "Manage pods, containers and images, rootless and daemonless",
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    globals: Globals,
    #[command(subcommand)]
    command: Command,
}

/// The options every command accepts.
#[derive(clap::Args, Debug)]
pub(crate) struct Globals {
    /// Path to the root directory in which data, including images, is stored
    #[arg(long, global = true, value_name = "VALUE")]
    root: Option<std::path::PathBuf>,
    /// Path to the 'run directory' where all state information is stored
    #[arg(long, global = true, value_name = "VALUE")]
    runroot: Option<std::path::PathBuf>,
    /// Select which storage driver is used to manage storage of images and containers (overlay, vfs)
    #[arg(long = "storage-driver", global = true, value_name = "VALUE")]
    storage_driver: Option<String>,
    /// Log messages above specified level (debug, info, warn, error, fatal, panic)
    #[arg(
        long = "log-level",
        global = true,
        default_value = "warn",
        value_name = "LEVEL"
    )]
    log_level: String,
    /// Do not output to stdout
    #[arg(long, global = true)]
    noout: bool,
    /// Events backend to use (file, journald, none)
    #[arg(long = "events-backend", global = true, value_name = "VALUE")]
    events_backend: Option<String>,
    /// Cgroup manager to use (cgroupfs; accepted for compatibility)
    #[arg(long = "cgroup-manager", global = true, value_name = "VALUE")]
    cgroup_manager: Option<String>,
    /// Directory to read CDI device specs from (repeatable; default /etc/cdi and /var/run/cdi)
    #[arg(long = "cdi-spec-dir", global = true, value_name = "DIR")]
    cdi_spec_dir: Vec<std::path::PathBuf>,
    /// Path to the tmp directory, for temporary files burrow makes (build scratch)
    #[arg(long, global = true, value_name = "VALUE")]
    tmpdir: Option<std::path::PathBuf>,
    /// Send the standard output of the command to a file
    #[arg(long, global = true, value_name = "FILE")]
    out: Option<std::path::PathBuf>,
    /// Directory of the authentication config file config.json (same as DOCKER_CONFIG)
    #[arg(long, global = true, value_name = "DIR")]
    config: Option<std::path::PathBuf>,
}

impl Globals {
    /// The options a child burrow must get to act on the same store (`system service`).
    fn forwarded(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |flag: &str, v: String| {
            out.push(flag.to_string());
            out.push(v);
        };
        if let Some(r) = &self.root {
            add("--root", r.display().to_string());
        }
        if let Some(r) = &self.runroot {
            add("--runroot", r.display().to_string());
        }
        if let Some(d) = &self.storage_driver {
            add("--storage-driver", d.clone());
        }
        for d in &self.cdi_spec_dir {
            add("--cdi-spec-dir", d.display().to_string());
        }
        if let Some(t) = &self.tmpdir {
            add("--tmpdir", t.display().to_string());
        }
        if let Some(c) = &self.config {
            add("--config", c.display().to_string());
        }
        out
    }
}

/// The subcommands, listed once: the macro derives clap's enum from this table and also the
/// lean parse tree (see `lean_command`), so the two cannot drift apart.
macro_rules! command_table {
    ($(
        $(#[doc = $doc:literal])*
        [$name:literal $(, $alias:literal)*] $(($hidden:ident))? $variant:ident($ty:ty),
    )*) => {
        #[derive(Subcommand, Debug)]
        enum Command {
            $(
                $(#[doc = $doc])*
                #[command(name = $name $(, alias = $alias)* $(, $hidden = true)?)]
                $variant($ty),
            )*
        }

        /// Adds every subcommand as a name whose arguments clap builds only if it is the one
        /// invoked (`Command::defer`).
        /// The lean tree with only the subcommand `word` names (`None`: no such one). clap
        /// copies every global option into every subcommand as it builds the root; with one
        /// subcommand that is a handful of copies instead of hundreds (measured: a sixth of a
        /// `create`'s instructions went to them).
        fn lean_subcommand(root: clap::Command, word: &str) -> Option<clap::Command> {
            $(
                if word == $name $(|| word == $alias)* {
                    return Some(root.subcommand(
                        clap::Command::new($name)
                            $(.alias($alias))*
                            .defer(<$ty as clap::Args>::augment_args),
                    ));
                }
            )*
            None
        }

        fn lean_subcommands(root: clap::Command) -> clap::Command {
            root$(
                .subcommand(
                    clap::Command::new($name)
                        $(.alias($alias))*
                        .defer(<$ty as clap::Args>::augment_args),
                )
            )*
        }
    };
}

command_table! {
    /// Run a command in a new container
    ["run"] Run(container::RunArgs),
    /// Create but do not start a container
    ["create"] Create(container::CreateArgs),
    /// Start one or more containers
    ["start"] Start(container::StartArgs),
    /// Stop one or more containers
    ["stop"] Stop(container::StopArgs),
    /// Kill one or more running containers with a specific signal
    ["kill"] Kill(container::KillArgs),
    /// Restart one or more containers
    ["restart"] Restart(container::StopArgs),
    /// Remove one or more containers
    ["rm"] Rm(container::RmArgs),
    /// Block on one or more containers
    ["wait"] Wait(container::NamesArgs),
    /// Rename an existing container
    ["rename"] Rename(container::RenameArgs),
    /// List containers
    ["ps", "list", "ls"] Ps(container::PsArgs),
    /// Fetch the logs of one or more containers
    ["logs"] Logs(container::LogsArgs),
    /// Run a process in a running container
    ["exec"] Exec(container::ExecArgs),
    /// Attach to a running container
    ["attach"] Attach(container::AttachArgs),
    /// Display detailed information on one or more containers or images
    ["inspect"] Inspect(container::InspectArgs),
    /// Display the running processes of a container
    ["top"] Top(container::TopArgs),
    /// List port mappings or a specific mapping for the container
    ["port"] Port(container::PortArgs),
    /// Pause all the processes in one or more containers
    ["pause"] Pause(resources::PauseArgs),
    /// Unpause the processes in one or more containers
    ["unpause"] Unpause(resources::PauseArgs),
    /// Update resource limits of a container
    ["update"] Update(resources::UpdateArgs),
    /// Display a live stream of container resource usage statistics
    ["stats"] Stats(resources::StatsArgs),
    /// Monitor burrow events
    ["events"] Events(events::EventsArgs),
    /// Mount a working container's root filesystem
    ["mount"] Mount(container::MountArgs),
    /// Unmount working container's root filesystem
    ["umount", "unmount"] Umount(container::UmountArgs),
    /// Manage containers
    ["container"] Container(container::ContainerCmd),
    /// List images in local storage
    ["images"] Images(image::ImagesArgs),
    /// Remove one or more images from local storage
    ["rmi"] Rmi(image::RmiArgs),
    /// Load image(s) from a tar archive
    ["load"] Load(image::LoadArgs),
    /// Import a tarball to create a filesystem image
    ["import"] Import(image::ImportArgs),
    /// Add an additional name to a local image
    ["tag"] Tag(image::TagArgs),
    /// Remove a name from a local image
    ["untag"] Untag(image::UntagArgs),
    /// Show history of a specified image
    ["history"] History(image::HistoryArgs),
    /// Save image(s) to an archive
    ["save"] Save(image::SaveArgs),
    /// Export a container's filesystem contents as a tar archive
    ["export"] Export(image::ExportArgs),
    /// Copy files/folders between a container and the local filesystem
    ["cp"] Cp(files::CpArgs),
    /// Create new image based on the changed container
    ["commit"] Commit(files::CommitArgs),
    /// Display the changes to the object's file system
    ["diff"] Diff(files::DiffArgs),
    /// Manage volumes
    ["volume"] Volume(volume::VolumeCmd),
    /// Manage secrets
    ["secret"] Secret(secret::SecretCmd),
    /// Manage networks
    ["network"] Network(network::NetworkCmd),
    /// Manage pods
    ["pod"] Pod(pod::PodCmd),
    /// Pull an image from a registry
    ["pull"] Pull(registry::PullArgs),
    /// Push an image to a specified destination
    ["push"] Push(registry::PushArgs),
    /// Search a registry for an image
    ["search"] Search(registry::SearchArgs),
    /// Log in to a container registry
    ["login"] Login(registry::LoginArgs),
    /// Log out of a container registry
    ["logout"] Logout(registry::LogoutArgs),
    /// Build an image using instructions from Containerfiles
    ["build"] Build(build::BuildArgs),
    /// Manage images
    ["image"] Image(image::ImageCmd),
    /// Manipulate manifest lists and image indexes
    ["manifest"] Manifest(manifest::ManifestCmd),
    /// Run a command in a modified user namespace
    ["unshare"] Unshare(system::UnshareArgs),
    /// Display the burrow version information
    ["version"] Version(system::VersionArgs),
    /// Display burrow related system information
    ["info"] Info(system::InfoArgs),
    /// Generate shell autocompletions
    ["completion"] Completion(system::CompletionArgs),
    /// Manage burrow
    ["system"] System(system::SystemCmd),
    /// Generate and list Container Device Interface specs (GPUs)
    ["cdi"] Cdi(cdi::CdiCmd),
    /// Manage health checks on containers
    ["healthcheck"] Healthcheck(container::HealthcheckCmd),
    /// Turn quadlet files into systemd units; install, list, print and remove them
    ["quadlet"] Quadlet(quadlet::QuadletCmd),
    /// Auto update containers according to their auto-update policy
    ["auto-update"] AutoUpdate(auto_update::AutoUpdateArgs),
    /// Generate structured data based on containers and pods
    ["generate"] Generate(generate::GenerateCmd),
    /// Define and run multi-container applications (the Compose Specification)
    ["compose"] Compose(compose::ComposeCmd),
    /// Play containers, pods or volumes from a structured file
    ["kube"] Kube(kube::KubeCmd),
    /// Play containers, pods or volumes from a structured file
    ["play"] Play(kube::PlayCmd),
    /// Initialize one or more containers
    ["init"] Init(container::InitArgs),
    /// Manage OCI artifacts
    ["artifact"] Artifact(commands::artifact::ArtifactCmd),
    /// Write the manual pages, generated from these definitions, into a directory (internal)
    ["__manpages"] (hide) Manpages(system::ManpagesArgs),
    /// Write a sigstore key pair PREFIX.private and PREFIX.pub (internal, for tests)
    ["__sigstore-keygen"] (hide) SigstoreKeygen(registry::SigstoreKeygenArgs),
    /// The per-container monitor of a detached container (internal)
    ["__monitor"] (hide) Monitor(system::MonitorArgs),
    /// The pause program of a pod's infra container (internal)
    ["__infra"] (hide) Infra(pod::InfraArgs),
}

/// The parse tree: the root with the global options, and every subcommand deferred. Building
/// clap's whole derived tree (70-odd commands, hundreds of options) cost a measurable share
/// of a `run`; the derived `Cli::command()` stays the reference for help, man pages and
/// completions, and a test checks both trees parse alike.
fn lean_root() -> clap::Command {
    let root = clap::Command::new("burrow")
        .bin_name("burrow")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true)
        .subcommand_required(true)
        .arg_required_else_help(true);
    Globals::augment_args(root)
}

fn lean_command() -> clap::Command {
    lean_subcommands(lean_root())
}

/// The lean tree for these arguments: only the subcommand they name when they name a known
/// one (global options may come first), every subcommand otherwise (help, typos).
fn lean_command_for(args: &[std::ffi::OsString]) -> clap::Command {
    let root = lean_root();
    match first_word(args, &root) {
        Some(word) => match lean_subcommand(root, &word) {
            Some(cmd) => cmd,
            None => lean_command(),
        },
        None => lean_subcommands(root),
    }
}

/// The first argument that is not a global option or its value.
fn first_word(args: &[std::ffi::OsString], root: &clap::Command) -> Option<String> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let t = a.to_str()?;
        let Some(long) = t.strip_prefix("--") else {
            return (!t.starts_with('-')).then(|| t.to_string());
        };
        if long.is_empty() || long.contains('=') {
            continue;
        }
        let takes_value = root
            .get_arguments()
            .find(|g| g.get_long() == Some(long))
            .is_some_and(|g| g.get_action().takes_values());
        if takes_value {
            it.next();
        }
    }
    None
}

fn parse_lean<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let mut cmd = lean_command_for(&args);
    let args = argv::normalize(args, &cmd);
    let parsed = cmd
        .try_get_matches_from_mut(args)
        .and_then(|m| Cli::from_arg_matches(&m));
    // Not dropped: the process exits soon and freeing it costs time for nothing.
    std::mem::forget(cmd);
    parsed
}

fn main() {
    // The per-user pause process is this binary executed again under its own name
    // (libpod::userns): it must not parse arguments, open anything or start a thread.
    if libpod::userns::is_pause_process() {
        libpod::userns::pause_main();
    }
    // A warm worker of the API service waits here for the command it is to run.
    worker::become_command_if_worker();
    // systemd runs this binary as a generator through a symlink of that name.
    if let Some(user) = std::env::args_os()
        .next()
        .and_then(|a| quadlet::generator_mode(&a))
    {
        std::process::exit(quadlet::generator_main(user));
    }
    // A shell asking for completions (the script `burrow completion SHELL` prints).
    complete::complete_if_asked();
    // Rust ignores SIGPIPE, which turns `burrow inspect x | head` into a panic on the next
    // print; a command-line tool should end quietly like podman.
    // SAFETY: setting a signal disposition before anything else runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // The lean tree parses (only the invoked subcommand's arguments get built); the one
    // decorated with podman's help layout and examples is built only when help is asked for:
    // every `run` pays for parsing, so it stays lean.
    let cli = match parse_lean(worker::args_os()) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let e = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    help::command()
                        .try_get_matches_from(worker::args_os())
                        .err()
                        .unwrap_or(e)
                }
                _ => e,
            };
            std::process::exit(commands::clap_error(e))
        }
    };
    // Root mode is the host's root: a rootless burrow re-executed inside its user namespace
    // (the monitor, `unshare`) reads uid 0 there but needs no copy.
    if !libpod::rootless::is_rootless() && may_run_in_a_container(&cli.command) {
        // Root mode: a container's root is the host's, so the processes of ours it can see
        // must run from a sealed copy of this binary (libpod::sealed_exe).
        if let Err(e) = libpod::sealed_exe::ensure() {
            eprintln!("Error: run burrow from a sealed copy of its binary (memfd): {e}");
            std::process::exit(125);
        }
    }
    let globals = libpod::runtime::GlobalOptions {
        root: cli.globals.root.clone(),
        runroot: cli.globals.runroot.clone(),
        storage_driver: cli.globals.storage_driver.clone(),
        cdi_spec_dirs: cli.globals.cdi_spec_dir.clone(),
        tmpdir: cli.globals.tmpdir.clone(),
        events_backend: cli.globals.events_backend.clone(),
    };
    let g = &cli.globals;
    // --cgroup-manager is taken for podman compatibility (its help says so): burrow manages
    // cgroups itself.
    let _ = &g.cgroup_manager;
    if let Err(e) = libpod::log::set_level(&g.log_level) {
        eprintln!("Error: {e}");
        std::process::exit(125);
    }
    if libpod::log::enabled(libpod::log::Level::Debug) {
        let argv = worker::args();
        libpod::debug!("Called {}", argv.join(" "));
        libpod::debug!("burrow {}", env!("CARGO_PKG_VERSION"));
    }
    if g.noout {
        // podman's --noout: the command runs, its standard output goes nowhere.
        if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
            // SAFETY: replaces fd 1 of this single-threaded process before anything is printed.
            unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 1) };
        }
    }
    if let Err(e) = apply_output_globals(g) {
        eprintln!("Error: {e}");
        std::process::exit(125);
    }
    let result = match cli.command {
        Command::Version(a) => system::version(a),
        Command::Completion(a) => system::completion(a),
        Command::Unshare(a) => system::unshare(&globals, a),
        Command::Manpages(a) => manpages::write_all(&a.dir),
        Command::SigstoreKeygen(a) => registry::sigstore_keygen(a),
        // Already inside the pod's namespaces: must not join or open anything.
        Command::Infra(_) => libpod::pod::infra_main(),
        Command::Cdi(c) => cdi::group(c, &globals.cdi_spec_dirs),
        Command::Quadlet(c) => quadlet::group(c),
        Command::Login(a) => registry::login(a),
        Command::Search(a) => registry::search(a),
        Command::Logout(a) => registry::logout(a),
        Command::System(c) if c.service().is_some() => match c.service() {
            Some(a) => commands::service::service(&g.forwarded(), a),
            None => Ok(0),
        },
        Command::System(c) if c.doctor().is_some() => match c.doctor() {
            Some(a) => commands::maintenance::doctor(a),
            None => Ok(0),
        },
        cmd => match libpod::Runtime::open(&globals) {
            Ok(rt) => dispatch(&rt, cmd),
            Err(e) => Err(commands::Failure::from(e)),
        },
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(f) => {
            eprintln!("Error: {}", f.message);
            std::process::exit(f.code);
        }
    }
}

/// `--out FILE`: this command's standard output goes to FILE (podman 5); `--config DIR`:
/// podman's alias of DOCKER_CONFIG, which the registry code reads for `DIR/config.json`.
fn apply_output_globals(g: &Globals) -> Result<(), String> {
    if let Some(dir) = &g.config {
        // SAFETY: no other thread exists yet to read the environment concurrently.
        unsafe { std::env::set_var("DOCKER_CONFIG", dir) };
    }
    if let Some(path) = &g.out {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| format!("--out {}: {e}: give a writable file", path.display()))?;
        // SAFETY: replaces fd 1 of this single-threaded process before anything is printed.
        unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&f), 1) };
    }
    Ok(())
}

/// Commands that may start a process of burrow's inside a container (a container's first
/// process or init, an exec'd process, a pod's infra process, a build's RUN step, a monitor).
fn may_run_in_a_container(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Run(_)
            | Command::Start(_)
            | Command::Restart(_)
            | Command::Exec(_)
            | Command::Container(_)
            | Command::Pod(_)
            | Command::Build(_)
            | Command::Image(_)
            | Command::Monitor(_)
            | Command::Healthcheck(_)
            | Command::Compose(_)
            | Command::Kube(_)
            | Command::Play(_)
            | Command::Init(_)
    )
}

fn dispatch(rt: &libpod::Runtime, cmd: Command) -> commands::Outcome {
    match cmd {
        Command::Run(a) => container::run(rt, a),
        Command::Create(a) => container::create(rt, a),
        Command::Start(a) => container::start(rt, a),
        Command::Stop(a) => container::stop(rt, a),
        Command::Kill(a) => container::kill(rt, a),
        Command::Restart(a) => container::restart(rt, a),
        Command::Rm(a) => container::rm(rt, a),
        Command::Wait(a) => container::wait(rt, a),
        Command::Rename(a) => container::rename(rt, a),
        Command::Ps(a) => container::ps(rt, a),
        Command::Logs(a) => container::logs(rt, a),
        Command::Exec(a) => container::exec(rt, a),
        Command::Attach(a) => container::attach(rt, a),
        Command::Inspect(a) => container::inspect(rt, a),
        Command::Top(a) => container::top(rt, a),
        Command::Port(a) => container::port(rt, a),
        Command::Pause(a) => resources::pause(rt, a),
        Command::Unpause(a) => resources::unpause(rt, a),
        Command::Update(a) => resources::update(rt, a),
        Command::Stats(a) => resources::stats(rt, a),
        Command::Events(a) => events::events(rt, a),
        Command::Mount(a) => container::mount(rt, a),
        Command::Umount(a) => container::umount(rt, a),
        Command::Container(c) => container::group(rt, c),
        Command::Images(a) => image::images(rt, a),
        Command::Rmi(a) => image::rmi(rt, a),
        Command::Load(a) => image::load(rt, a),
        Command::Import(a) => image::import(rt, a),
        Command::Tag(a) => image::tag(rt, a),
        Command::Untag(a) => image::untag(rt, a),
        Command::History(a) => image::history(rt, a),
        Command::Save(a) => image::save(rt, a),
        Command::Export(a) => image::export(rt, a),
        Command::Cp(a) => files::cp(rt, a),
        Command::Commit(a) => files::commit(rt, a),
        Command::Diff(a) => files::diff(rt, a),
        Command::Volume(c) => volume::group(rt, c),
        Command::Secret(c) => secret::group(rt, c),
        Command::Network(c) => network::group(rt, c),
        Command::Pod(c) => pod::group(rt, c),
        Command::Build(a) => build::build(rt, a),
        Command::Image(c) => image::group(rt, c),
        Command::Manifest(c) => manifest::group(rt, c),
        Command::Pull(a) => registry::pull(rt, a),
        Command::Generate(c) => generate::group(rt, c),
        Command::Compose(c) => compose::group(rt, c),
        Command::Kube(c) => kube::group(rt, c),
        Command::Play(c) => kube::play_group(rt, c),
        Command::Init(a) => container::init(rt, a),
        Command::Push(a) => registry::push(rt, a),
        Command::Artifact(c) => commands::artifact::group(rt, c),
        Command::AutoUpdate(a) => auto_update::auto_update(rt, a),
        Command::Monitor(a) => {
            let owner = a.owner.as_deref().and_then(|o| {
                let (pid, start) = o.split_once(':')?;
                Some(libpod::state::Owner {
                    pid: pid.parse().ok()?,
                    start: start.parse().ok()?,
                })
            });
            rt.monitor_with(&a.id, a.report_fd, owner, a.attach_first, a.init_hold)
        }
        Command::Info(a) => system::info(rt, a),
        Command::Healthcheck(c) => container::healthcheck(rt, c),
        Command::System(c) => system::group(rt, c),
        Command::Version(_)
        | Command::Unshare(_)
        | Command::Manpages(_)
        | Command::SigstoreKeygen(_)
        | Command::Infra(_)
        | Command::Login(_)
        | Command::Search(_)
        | Command::Logout(_)
        | Command::Completion(_)
        | Command::Cdi(_)
        | Command::Quadlet(_) => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    // Duplicate aliases or conflicting flags panic at run time in debug builds; catch them here.
    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
        crate::help::command().debug_assert();
        super::lean_command().debug_assert();
    }

    /// The lean parse tree accepts and refuses exactly what the full derived tree does.
    #[test]
    fn lean_tree_parses_like_the_full_tree() {
        let full = |argv: &[&str]| {
            let r = super::Cli::command()
                .try_get_matches_from(argv)
                .and_then(|m| <super::Cli as clap::FromArgMatches>::from_arg_matches(&m));
            match r {
                Ok(c) => format!("{c:?}"),
                Err(e) => format!("error {:?}", e.kind()),
            }
        };
        let lean = |argv: &[&str]| match super::parse_lean(argv) {
            Ok(c) => format!("{c:?}"),
            Err(e) => format!("error {:?}", e.kind()),
        };
        let samples: &[&[&str]] = &[
            &["burrow"],
            &[
                "burrow", "run", "--rm", "-it", "-e", "A=1", "busybox", "sh", "-c", "echo hi",
            ],
            &["burrow", "--root", "/x", "ps", "-a", "--format", "{{.ID}}"],
            &["burrow", "ls", "-q"],
            &["burrow", "container", "ls", "-a"],
            &["burrow", "image", "ls", "--digests"],
            &["burrow", "unmount", "c1"],
            &["burrow", "pull", "--tls-verify=false", "127.0.0.1:5000/a"],
            &["burrow", "run", "--bogus", "busybox"],
            &["burrow", "nosuchcommand"],
            &["burrow", "--version"],
            &["burrow", "__manpages", "/tmp/m"],
            &["burrow", "system", "info"],
            &["burrow", "exec", "-it", "c1", "sh"],
        ];
        for argv in samples {
            assert_eq!(lean(argv), full(argv), "{argv:?}");
        }
        // Every subcommand and alias of the full tree exists in the lean one, with the same
        // arguments once built.
        let mut lean_cmd = super::lean_command();
        lean_cmd.build();
        let mut full_cmd = super::Cli::command();
        full_cmd.build();
        for sub in full_cmd.get_subcommands() {
            let l = lean_cmd
                .find_subcommand(sub.get_name())
                .unwrap_or_else(|| panic!("{} missing", sub.get_name()));
            let aliases =
                |c: &clap::Command| c.get_all_aliases().map(str::to_string).collect::<Vec<_>>();
            assert_eq!(aliases(l), aliases(sub), "{}", sub.get_name());
            let mut l = l.clone();
            l.build();
            let ids = |c: &clap::Command| {
                let mut v: Vec<String> =
                    c.get_arguments().map(|a| a.get_id().to_string()).collect();
                v.sort();
                v
            };
            let mut f = sub.clone();
            f.build();
            assert_eq!(ids(&l), ids(&f), "{}", sub.get_name());
        }
    }
}
