//! The `burrow` command line: parses flags with clap, calls libpod, prints results. No engine
//! logic lives here.

mod commands;
mod help;
mod manpages;
mod output;
mod template;

use clap::{Parser, Subcommand};

use commands::{container, image, registry, system};

#[derive(Parser, Debug)]
#[command(
    name = "burrow",
    bin_name = "burrow",
    version,
    about = "Manage pods, containers and images, rootless and daemonless",
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
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
    /// Events backend to use (accepted for compatibility; burrow records no events yet)
    #[arg(long = "events-backend", global = true, value_name = "VALUE")]
    events_backend: Option<String>,
    /// Cgroup manager to use (cgroupfs; accepted for compatibility)
    #[arg(long = "cgroup-manager", global = true, value_name = "VALUE")]
    cgroup_manager: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a command in a new container
    Run(container::RunArgs),
    /// Create but do not start a container
    Create(container::CreateArgs),
    /// Start one or more containers
    Start(container::StartArgs),
    /// Stop one or more containers
    Stop(container::StopArgs),
    /// Kill one or more running containers with a specific signal
    Kill(container::KillArgs),
    /// Restart one or more containers
    Restart(container::StopArgs),
    /// Remove one or more containers
    Rm(container::RmArgs),
    /// Block on one or more containers
    Wait(container::NamesArgs),
    /// Rename an existing container
    Rename(container::RenameArgs),
    /// List containers
    #[command(alias = "list", alias = "ls")]
    Ps(container::PsArgs),
    /// Fetch the logs of one or more containers
    Logs(container::LogsArgs),
    /// Run a process in a running container
    Exec(container::ExecArgs),
    /// Attach to a running container
    Attach(container::AttachArgs),
    /// Display detailed information on one or more containers or images
    Inspect(container::InspectArgs),
    /// Display the running processes of a container
    Top(container::TopArgs),
    /// List port mappings or a specific mapping for the container
    Port(container::PortArgs),
    /// Mount a working container's root filesystem
    Mount(container::NamesArgs),
    /// Unmount working container's root filesystem
    #[command(alias = "unmount")]
    Umount(container::NamesArgs),
    /// Manage containers
    Container(container::ContainerCmd),
    /// List images in local storage
    Images(image::ImagesArgs),
    /// Remove one or more images from local storage
    Rmi(image::RmiArgs),
    /// Load image(s) from a tar archive
    Load(image::LoadArgs),
    /// Import a tarball to create a filesystem image
    Import(image::ImportArgs),
    /// Add an additional name to a local image
    Tag(image::TagArgs),
    /// Remove a name from a local image
    Untag(image::UntagArgs),
    /// Show history of a specified image
    History(image::HistoryArgs),
    /// Save image(s) to an archive
    Save(image::SaveArgs),
    /// Export a container's filesystem contents as a tar archive
    Export(image::ExportArgs),
    /// Pull an image from a registry
    Pull(registry::PullArgs),
    /// Push an image to a specified destination
    Push(registry::PushArgs),
    /// Log in to a container registry
    Login(registry::LoginArgs),
    /// Log out of a container registry
    Logout(registry::LogoutArgs),
    /// Manage images
    Image(image::ImageCmd),
    /// Run a command in a modified user namespace
    Unshare(system::UnshareArgs),
    /// Display the burrow version information
    Version(system::VersionArgs),
    /// Display burrow related system information
    Info(system::InfoArgs),
    /// Generate shell autocompletions
    Completion(system::CompletionArgs),
    /// Manage burrow
    System(system::SystemCmd),
    /// Write the manual pages, generated from these definitions, into a directory (internal)
    #[command(name = "__manpages", hide = true)]
    Manpages { dir: std::path::PathBuf },
    /// The per-container monitor of a detached container (internal)
    #[command(name = "__monitor", hide = true)]
    Monitor(system::MonitorArgs),
}

fn main() {
    // Rust ignores SIGPIPE, which turns `burrow inspect x | head` into a panic on the next
    // print; a command-line tool should end quietly like podman.
    // SAFETY: setting a signal disposition before anything else runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // The plain command tree parses; the one decorated with podman's help layout and
    // examples (a second copy of the tree) is built only when help is asked for: every
    // `run` pays for parsing, so it stays lean. The tree is not dropped either: the process
    // exits soon and freeing a few thousand small allocations costs measurable time.
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let parsed = cmd
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    std::mem::forget(cmd);
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let e = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    help::command().try_get_matches().err().unwrap_or(e)
                }
                _ => e,
            };
            std::process::exit(commands::clap_error(e))
        }
    };
    let globals = libpod::runtime::GlobalOptions {
        root: cli.root,
        runroot: cli.runroot,
        storage_driver: cli.storage_driver,
    };
    let _ = (&cli.log_level, &cli.events_backend, &cli.cgroup_manager);
    if cli.noout {
        // podman's --noout: the command runs, its standard output goes nowhere.
        if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
            // SAFETY: replaces fd 1 of this single-threaded process before anything is printed.
            unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 1) };
        }
    }
    let result = match cli.command {
        Command::Version(a) => system::version(a),
        Command::Completion(a) => system::completion(a),
        Command::Unshare(a) => system::unshare(&globals, a),
        Command::Manpages { dir } => manpages::write_all(&dir),
        Command::Login(a) => registry::login(a),
        Command::Logout(a) => registry::logout(a),
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
        Command::Image(c) => image::group(rt, c),
        Command::Pull(a) => registry::pull(rt, a),
        Command::Push(a) => registry::push(rt, a),
        Command::Monitor(a) => rt.monitor(&a.id, a.report_fd),
        Command::Info(a) => system::info(rt, a),
        Command::System(c) => system::group(rt, c),
        Command::Version(_)
        | Command::Unshare(_)
        | Command::Manpages { .. }
        | Command::Login(_)
        | Command::Logout(_)
        | Command::Completion(_) => Ok(0),
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
    }
}
