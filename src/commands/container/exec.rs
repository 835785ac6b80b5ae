//! exec, attach and top: acting in, or looking into, a running container.

use clap::Args;
use libpod::Runtime;
use libpod::runtime::ExecOptions;

use crate::commands::{Failure, Outcome};
use crate::output::print_table;

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
    /// Pass a list of additional file descriptors to the container (they become 3, 4, ... in ascending order)
    #[arg(long = "preserve-fd", value_name = "FD1[,FD2,...]")]
    preserve_fd: Vec<String>,
    /// Select the key sequence for detaching an exec session (with -it; "" for none)
    #[arg(long = "detach-keys", default_value = "ctrl-p,ctrl-q")]
    detach_keys: String,
    container: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn exec(rt: &Runtime, a: ExecArgs) -> Outcome {
    let detach_keys = libpod::attach::parse_detach_keys(&a.detach_keys).map_err(Failure::new)?;
    let preserve_fd = libpod::spec::fds::parse_preserve_fd(&a.preserve_fd)
        .and_then(|fds| libpod::spec::fds::check_inherited(&fds, a.preserve_fds).map(|()| fds))
        .map_err(libpod::LibpodError::from)?;
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
        preserve_fd,
        detach_keys,
    };
    Ok(rt.exec(&a.container, &opts)?)
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

#[derive(Args, Debug)]
pub struct TopArgs {
    container: String,
    /// ps descriptors (user, pid, ppid, pcpu, etime, tty, time, args, comm)
    descriptors: Vec<String>,
}

pub fn top(rt: &Runtime, a: TopArgs) -> Outcome {
    let rows = rt.top(&a.container, &a.descriptors)?;
    print_table(&rows);
    Ok(0)
}
