//! Checks run by the container's own supervisor (the monitor, or the CLI of a foreground
//! container) when no systemd manager runs them: the supervisor's poll loop waits at most
//! until the next check is due, forks `burrow healthcheck run <id>`, and schedules the one
//! after when that child is reaped. Between checks it costs nothing: no timer thread, no
//! polling, only the poll timeout.

use std::ffi::CString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

use super::{HealthConfig, HealthState};

/// When the next check is due, and the one running now.
pub struct HealthTicker {
    argv: Vec<CString>,
    cfg: HealthConfig,
    state_path: PathBuf,
    next: Option<Instant>,
    running: Option<Pid>,
}

impl HealthTicker {
    /// `argv`: the `healthcheck run` command line (run as /proc/self/exe). The first check
    /// is due at once, as podman's timer starts its service once when it is made.
    pub fn new(argv: Vec<CString>, cfg: HealthConfig, state_path: PathBuf) -> HealthTicker {
        HealthTicker {
            argv,
            cfg,
            state_path,
            next: Some(Instant::now()),
            running: None,
        }
    }

    /// How long the poll loop may sleep: until the next check; `None` while one runs (its
    /// exit wakes the loop through SIGCHLD) or when none is scheduled.
    pub fn wait(&self) -> Option<Duration> {
        if self.running.is_some() {
            return None;
        }
        self.next
            .map(|t| t.saturating_duration_since(Instant::now()))
    }

    /// Starts the check when it is due.
    pub fn tick(&mut self) {
        if self.running.is_some() || self.next.is_none_or(|t| t > Instant::now()) {
            return;
        }
        self.next = None;
        self.running = spawn(&self.argv);
        if self.running.is_none() {
            self.schedule();
        }
    }

    /// Reaps the check if it ended (call on SIGCHLD) and schedules the next one.
    pub fn reap(&mut self) {
        let Some(pid) = self.running else { return };
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {}
            _ => {
                self.running = None;
                self.schedule();
            }
        }
    }

    /// The next check, `interval` after the last ended: the startup interval while the
    /// startup check has not passed.
    fn schedule(&mut self) {
        let state =
            HealthState::load(&self.state_path).unwrap_or_else(|| HealthState::fresh(&self.cfg));
        let interval = match &self.cfg.startup {
            Some(s) if state.in_startup(&self.cfg) => s.interval,
            _ => self.cfg.interval,
        };
        self.next = (interval > 0).then(|| Instant::now() + Duration::from_nanos(interval));
    }
}

/// Forks and execs the check command with the supervisor's signal mask lifted and no
/// descriptor of it but /dev/null as stdio.
fn spawn(argv: &[CString]) -> Option<Pid> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .ok()?;
    // SAFETY: burrow is single-threaded; the child only rearranges descriptors and execs.
    match unsafe { fork() }.ok()? {
        ForkResult::Child => {
            use std::os::fd::AsRawFd;
            let fd = null.as_raw_fd();
            // SAFETY: descriptor duplication onto stdio in the child.
            unsafe {
                libc::dup2(fd, 0);
                libc::dup2(fd, 1);
                libc::dup2(fd, 2);
            }
            crate::executor::fds::close_all_except(&[0, 1, 2]);
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
            let _ = nix::unistd::execv(c"/proc/self/exe", argv);
            // SAFETY: leave without running the parent's exit handlers.
            unsafe { libc::_exit(127) }
        }
        ForkResult::Parent { child } => Some(child),
    }
}
