//! `init`: a container prepared up to the last step before its command (namespaces, rootfs,
//! mounts, network, hosts files), its process held at the executor's gate until `start` lets
//! it go: podman's "initialized" state. The monitor holds it and waits on a FIFO in the
//! container's run directory, as crun's `create` waits on its exec.fifo.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use nix::unistd::Pid;

use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};

use super::Runtime;

/// What `start` writes to let the command run; anything else (or none) aborts the init.
const GO: u8 = b'S';
const ABORT: u8 = b'A';

impl Runtime {
    /// `init`: prepares a created or exited container without running its command.
    pub fn init(&self, name: &str) -> Result<Container> {
        let c = self.lookup(name)?;
        if !matches!(c.status(), Status::Created | Status::Exited) {
            return Err(LibpodError::InvalidState(format!(
                "container {} has already been created in runtime: container state improper",
                c.id
            )));
        }
        self.spawn_monitor_as(&c, false, true)?.finish()?;
        self.lookup(&c.id)
    }

    fn init_fifo(&self, id: &str) -> PathBuf {
        self.paths.container_run_dir(id).join("exec.fifo")
    }

    /// In the monitor, while the executor waits for it: once the child is at its gate, the
    /// container is recorded initialized and the `init` told so; then waits for `start`
    /// (Ok: let the command run) or `stop`/`rm` (Err: the child is killed).
    pub(super) fn hold_initialized(
        &self,
        c: &Container,
        pid: Pid,
        report: &mut Option<File>,
    ) -> Result<()> {
        let fifo = self.init_fifo(&c.id);
        let dir = self.paths.container_run_dir(&c.id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| LibpodError::io("create the run directory", e))?;
        let _ = std::fs::remove_file(&fifo);
        nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o600))
            .map_err(|e| LibpodError::sys("create the init FIFO", e))?;
        // Non-blocking: the open succeeds with no writer yet, and the child's end is watched.
        let fd = open(
            &fifo,
            OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| LibpodError::sys("open the init FIFO", e))?;
        wait_at_gate(pid)?;
        self.state.set_initialized(
            &c.id,
            pid.as_raw(),
            super::start::pid_start_time(pid.as_raw()),
            nix::unistd::getpid().as_raw(),
        )?;
        self.container_event(c, "init");
        if let Some(r) = report.take() {
            let _ = crate::executor::fds::write_or_epipe(&r, b"OK");
        }
        let word = wait_for_word(fd, pid);
        let _ = std::fs::remove_file(&fifo);
        match word {
            Some(GO) => Ok(()),
            _ => Err(LibpodError::StartFailed {
                message: "stopped before its command started".into(),
                code: 0,
            }),
        }
    }

    /// `start` (go) or `stop`/`rm` (abort) of an initialized container: tells its monitor,
    /// then waits for the monitor to record what followed.
    pub(super) fn release_initialized(&self, c: &Container, go: bool) -> Result<Container> {
        let fifo = self.init_fifo(&c.id);
        // A writer that finds no reader (ENXIO) means the monitor is gone: `refresh` repairs.
        if let Ok(fd) = open(
            &fifo,
            OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            let _ = File::from(fd).write_all(&[if go { GO } else { ABORT }]);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.lookup(&c.id)?;
            if now.status() != Status::Initialized || Instant::now() > deadline {
                return Ok(now);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Waits until the child blocks reading its gate pipe: its rootfs, mounts and files are
/// done. An error if it exits first (the executor then reports the child's own message).
fn wait_at_gate(pid: Pid) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let wchan = format!("/proc/{pid}/wchan");
    while Instant::now() < deadline {
        if exited(pid) {
            return Err(LibpodError::InvalidState(
                "the container's process exited during its setup".into(),
            ));
        }
        // A woken task has no wait channel, so after the go pipe was written a pipe read can
        // only be the gate's.
        if std::fs::read_to_string(&wchan).is_ok_and(|w| w.contains("pipe")) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// The child ended (without reaping it: the executor does).
fn exited(pid: Pid) -> bool {
    use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
    !matches!(
        waitid(
            Id::Pid(pid),
            WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT
        ),
        Ok(WaitStatus::StillAlive) | Err(_)
    )
}

/// The byte `start` or `stop` writes; None if the child died meanwhile.
fn wait_for_word(fd: OwnedFd, pid: Pid) -> Option<u8> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    loop {
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        let ready = poll(&mut fds, PollTimeout::from(500u16)).unwrap_or(0);
        if ready > 0 {
            let mut b = [0u8; 1];
            match File::from(fd.try_clone().ok()?).read(&mut b) {
                Ok(1) => return Some(b[0]),
                // A writer came and went without a word: keep waiting (the FIFO now polls
                // as hung up at once, hence the pause).
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        if exited(pid) {
            return None;
        }
    }
}
