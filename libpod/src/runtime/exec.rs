//! `exec`: a new process in a running container. This process joins the container's
//! namespaces (it is already in the user namespace), forks the new process into them and
//! supervises it like a foreground container.

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};

use nix::sched::{CloneFlags, setns};
use nix::sys::signal::{SigmaskHow, sigprocmask};

use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::executor::{self, StdioMode};
use crate::supervise::{self, Options};

use super::Runtime;

/// What keeps a process from being run: an `exec` session, or the monitor `start` execs.
#[derive(thiserror::Error, Debug)]
pub enum ExecError {
    #[error(
        "container {0} is a pod's infra container and has no image to run commands from: exec into a member of the pod"
    )]
    InfraContainer(String),
    #[error("must provide a non-empty command to start an exec session")]
    EmptyCommand,
    /// An argument of a command burrow runs itself cannot hold a NUL byte (execv's strings).
    #[error("NUL byte in path {0}")]
    NulByte(String),
}

#[derive(Clone, Debug, Default)]
pub struct ExecOptions {
    pub command: Vec<String>,
    pub interactive: bool,
    pub tty: bool,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub detach: bool,
    pub privileged: bool,
    pub preserve_fds: u32,
    /// `--preserve-fd`, parsed and checked by the caller.
    pub preserve_fd: Vec<std::os::fd::RawFd>,
    /// `--detach-keys`, parsed (empty: none): with `-it`, they leave the process running.
    pub detach_keys: Vec<u8>,
}

impl Runtime {
    /// Runs a command in the container; returns its exit code (or 0 once started, detached).
    pub fn exec(&self, name: &str, opts: &ExecOptions) -> Result<i32> {
        let c = self.lookup(name)?;
        self.check_exec(&c, &opts.command)?;
        self.container_event(&c, "exec");
        let process = self.exec_process(&c, opts)?;
        let stdin: Option<OwnedFd> = if opts.interactive && !opts.tty && !opts.detach {
            Some(
                std::io::stdin()
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(|e| LibpodError::io("duplicate stdin", e))?,
            )
        } else {
            None
        };
        self.enter_container(&c)?;
        let stdio = if opts.tty {
            StdioMode::Tty
        } else {
            StdioMode::Pipes { stdin }
        };
        if opts.detach {
            return self.exec_detached(process, stdio);
        }
        let old = supervise::block_signals();
        if opts.tty && opts.interactive && !opts.detach_keys.is_empty() {
            let raw = executor::tty::RawMode::enter();
            let code = super::exec_session::run_detachable(process, stdio, &opts.detach_keys);
            drop(raw);
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
            return code;
        }
        let sp = executor::spawn_in_container(process, stdio);
        let sp = match sp {
            Ok(s) => s,
            Err(e) => {
                let restored = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None)
                    .map_err(|err| LibpodError::sys("restore the signal mask", err));
                return Err(e.with_cleanup(restored.err().into_iter().collect()));
            }
        };
        let raw = if opts.tty && opts.interactive {
            executor::tty::RawMode::enter()
        } else {
            None
        };
        let code = supervise::supervise(
            sp,
            Options::foreground(None, opts.tty && opts.interactive, true),
        );
        drop(raw);
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
        Ok(code)
    }

    /// Refuses an exec into a container that is not running, into an infra container, or of
    /// no command.
    pub(crate) fn check_exec(&self, c: &Container, command: &[String]) -> Result<()> {
        if c.status() != Status::Running {
            return Err(LibpodError::InvalidState(
                "can only create exec sessions on running containers: container state improper"
                    .into(),
            ));
        }
        // The infra container has no image: its mount namespace is the host's view, and a
        // command there would run host binaries, not a container's.
        if c.config.infra {
            return Err(ExecError::InfraContainer(c.name.clone()).into());
        }
        if command.is_empty() {
            return Err(ExecError::EmptyCommand.into());
        }
        Ok(())
    }

    /// The exec'd process: the container's own process settings (user, caps, seccomp) with
    /// the exec's command, environment, working directory and user.
    pub(crate) fn exec_process(
        &self,
        c: &Container,
        opts: &ExecOptions,
    ) -> Result<executor::ProcessPlan> {
        let mut plan_c = c.clone();
        plan_c.config.init = false;
        plan_c.config.privileged = plan_c.config.privileged || opts.privileged;
        plan_c.config.preserve_fds = opts.preserve_fds;
        plan_c.config.preserve_fd = opts.preserve_fd.clone();
        let mut process = self.process_plan(&plan_c)?;
        process.args = opts.command.clone();
        for e in &opts.env {
            let key = e.split_once('=').map(|(k, _)| k).unwrap_or(e);
            process
                .env
                .retain(|x| x.split_once('=').map(|(k, _)| k) != Some(key));
            match e.split_once('=') {
                Some(_) => process.env.push(e.clone()),
                None => {
                    if let Ok(v) = std::env::var(e) {
                        process.env.push(format!("{e}={v}"));
                    }
                }
            }
        }
        if let Some(w) = &opts.workdir {
            process.cwd = w.clone();
        }
        if let Some(u) = &opts.user {
            process.user = u.clone();
        }
        if opts.tty && !process.env.iter().any(|e| e.starts_with("TERM=")) {
            process.env.push("TERM=xterm".into());
        }
        Ok(process)
    }

    /// Moves this process into the container's cgroup and namespaces, so what it forks next
    /// is born inside. There is no way back: only a process that has nothing left to do
    /// outside calls this.
    pub(crate) fn enter_container(&self, c: &Container) -> Result<()> {
        // An exec'd process belongs to the container's cgroup (its limits, pause, stats), as
        // with podman: this process joins it first (while /sys/fs/cgroup is still the host's
        // view), so the child is born inside. Containers without limits have no cgroup.
        if let Ok(cg) = self.container_cgroup(c)
            && cg.exists()
        {
            cg.add(nix::unistd::getpid().as_raw())?;
        }
        // Open every namespace before joining any: after the mount namespace, /proc/PID of
        // the host view is gone.
        let pid = c.state.pid;
        let mut ns: Vec<(File, CloneFlags)> = Vec::new();
        // A container with a user namespace of its own: that one first, since it owns the
        // others (joining it gives the capabilities the later setns calls need).
        let with_user = !c.config.uid_map.is_empty();
        for (name, flag) in [
            ("user", CloneFlags::CLONE_NEWUSER),
            ("ipc", CloneFlags::CLONE_NEWIPC),
            ("uts", CloneFlags::CLONE_NEWUTS),
            ("net", CloneFlags::CLONE_NEWNET),
            ("cgroup", CloneFlags::CLONE_NEWCGROUP),
            ("pid", CloneFlags::CLONE_NEWPID),
            ("mnt", CloneFlags::CLONE_NEWNS),
        ] {
            if flag == CloneFlags::CLONE_NEWUSER && !with_user {
                continue;
            }
            let path = format!("/proc/{pid}/ns/{name}");
            let f = File::open(&path).map_err(|e| LibpodError::io(format!("open {path}"), e))?;
            ns.push((f, flag));
        }
        for (f, flag) in &ns {
            let own = std::fs::metadata(format!("/proc/self/ns/{}", ns_name(*flag)))
                .ok()
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m));
            let theirs = f
                .metadata()
                .ok()
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m));
            if own.is_some() && own == theirs {
                continue; // --network host shares ours; setns to it would be a no-op anyway
            }
            setns(f.as_fd(), *flag).map_err(|e| {
                LibpodError::sys(
                    format!("join the {} namespace of {}", ns_name(*flag), c.name),
                    e,
                )
            })?;
        }
        Ok(())
    }

    fn exec_detached(&self, process: executor::ProcessPlan, stdio: StdioMode) -> Result<i32> {
        // SAFETY: single-threaded; the child only spawns and supervises the exec process.
        match unsafe { nix::unistd::fork() }.map_err(|e| LibpodError::sys("fork", e))? {
            nix::unistd::ForkResult::Child => {
                let _ = nix::unistd::setsid();
                super::start::detach_stdio();
                // The supervisor learns of the exit through its signalfd: without this mask
                // SIGCHLD is never queued there and it (and a zombie) would stay forever.
                supervise::block_signals();
                let code = match executor::spawn_in_container(process, stdio) {
                    Ok(sp) => supervise::supervise(
                        sp,
                        Options {
                            echo: false,
                            ..Options::foreground(None, false, true)
                        },
                    ),
                    Err(e) => e.exit_code(),
                };
                // SAFETY: leave without running the parent's exit handlers.
                unsafe { libc::_exit(code) }
            }
            nix::unistd::ForkResult::Parent { .. } => Ok(0),
        }
    }
}

fn ns_name(flag: CloneFlags) -> &'static str {
    match flag {
        CloneFlags::CLONE_NEWUSER => "user",
        CloneFlags::CLONE_NEWIPC => "ipc",
        CloneFlags::CLONE_NEWUTS => "uts",
        CloneFlags::CLONE_NEWNET => "net",
        CloneFlags::CLONE_NEWCGROUP => "cgroup",
        CloneFlags::CLONE_NEWPID => "pid_for_children",
        _ => "mnt",
    }
}
