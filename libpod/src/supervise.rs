//! Supervision of a started container or exec process by its parent (the CLI in the
//! foreground, the monitor when detached): copies output to the terminal and the log,
//! feeds a terminal's input, forwards signals (sig-proxy), resizes the pty, and collects
//! the exit status. One thread, one poll loop.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::executor::Spawned;
use crate::executor::tty::copy_winsize;
use crate::logs::{LogWriter, Stream};

/// Signals the supervisor handles itself; blocked before the child is forked so none is lost.
pub fn handled_signals() -> SigSet {
    let mut s = SigSet::empty();
    for sig in [
        Signal::SIGCHLD,
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGWINCH,
        Signal::SIGALRM,
    ] {
        s.add(sig);
    }
    s
}

/// Blocks the handled signals; call before spawning. Returns the previous mask.
pub fn block_signals() -> SigSet {
    let mut old = SigSet::empty();
    let _ = sigprocmask(
        SigmaskHow::SIG_BLOCK,
        Some(&handled_signals()),
        Some(&mut old),
    );
    old
}

pub struct Options {
    /// Copy the container's output to our own stdout/stderr (foreground).
    pub echo: bool,
    pub log: Option<LogWriter>,
    /// Forward our stdin to the container's terminal (`-it`).
    pub stdin_to_pty: bool,
    /// Forward SIGINT/SIGTERM/... to the container (`--sig-proxy`, on by default).
    pub proxy_signals: bool,
}

/// Runs until the process exits and its output is drained; returns podman's exit code
/// (the process's own, or 128+signal).
pub fn supervise(sp: Spawned, mut opts: Options) -> i32 {
    let mask = handled_signals();
    let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).ok();
    if let Some(pty) = &sp.pty {
        copy_winsize(0, pty.as_raw_fd());
    }
    let mut stdout = sp.stdout;
    let mut stderr = sp.stderr;
    let mut pty = sp.pty;
    let mut stdin_open = opts.stdin_to_pty && pty.is_some();
    let mut exit: Option<i32> = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let outputs_open = stdout.is_some() || stderr.is_some() || pty.is_some();
        if exit.is_some() && !outputs_open {
            break;
        }
        // Slots: 0 signalfd, 1 stdout, 2 stderr, 3 pty, 4 stdin.
        let stdin_fd = std::io::stdin();
        let mut slots: Vec<(usize, BorrowedFd<'_>)> = Vec::new();
        if let Some(s) = &sfd {
            slots.push((0, s.as_fd()));
        }
        if let Some(f) = &stdout {
            slots.push((1, f.as_fd()));
        }
        if let Some(f) = &stderr {
            slots.push((2, f.as_fd()));
        }
        if let Some(f) = &pty {
            slots.push((3, f.as_fd()));
        }
        if stdin_open {
            slots.push((4, stdin_fd.as_fd()));
        }
        let mut pfds: Vec<PollFd<'_>> = slots
            .iter()
            .map(|(_, fd)| PollFd::new(*fd, PollFlags::POLLIN))
            .collect();
        // After the process exited, its pid namespace is gone and every writer with it; the
        // short timeout only guards against an exec'd process that leaked its stdout.
        let timeout = match (exit.is_some(), sfd.is_none()) {
            (true, _) => PollTimeout::from(500u16),
            (false, true) => PollTimeout::from(100u16),
            _ => PollTimeout::NONE,
        };
        let n = match poll(&mut pfds, timeout) {
            Ok(n) => n,
            Err(nix::Error::EINTR) => continue,
            Err(_) => 0,
        };
        if n == 0 {
            if exit.is_some() {
                break;
            }
            if sfd.is_none() {
                exit = reap(sp.pid);
            }
            continue;
        }
        let ready: Vec<(usize, PollFlags)> = slots
            .iter()
            .zip(pfds.iter())
            .filter_map(|((slot, _), p)| p.revents().filter(|r| !r.is_empty()).map(|r| (*slot, r)))
            .collect();
        drop(pfds);
        drop(slots);
        for (slot, _) in ready {
            match slot {
                0 => {
                    if let Some(s) = &sfd {
                        while let Ok(Some(info)) = s.read_signal() {
                            let Ok(sig) = Signal::try_from(info.ssi_signo as i32) else {
                                continue;
                            };
                            match sig {
                                Signal::SIGCHLD if exit.is_none() => exit = reap(sp.pid),
                                Signal::SIGWINCH => {
                                    if let Some(p) = &pty {
                                        copy_winsize(0, p.as_raw_fd());
                                    }
                                }
                                other if opts.proxy_signals && exit.is_none() => {
                                    let _ = kill(sp.pid, other);
                                }
                                _ => {}
                            }
                        }
                    }
                }
                1 => pump(&mut stdout, &mut buf, Stream::Stdout, &mut opts),
                2 => pump(&mut stderr, &mut buf, Stream::Stderr, &mut opts),
                3 => pump(&mut pty, &mut buf, Stream::Stdout, &mut opts),
                4 => {
                    let n = read_fd(0, &mut buf);
                    match (n, &pty) {
                        (Some(n), Some(p)) if n > 0 => write_all(p.as_raw_fd(), &buf[..n]),
                        _ => stdin_open = false,
                    }
                }
                _ => {}
            }
        }
    }
    exit.unwrap_or_else(|| {
        // Output closed first: wait for the status now.
        match waitpid(sp.pid, None) {
            Ok(WaitStatus::Exited(_, c)) => c,
            Ok(WaitStatus::Signaled(_, s, _)) => 128 + s as i32,
            _ => 125,
        }
    })
}

fn reap(pid: Pid) -> Option<i32> {
    match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::Exited(_, c)) => Some(c),
        Ok(WaitStatus::Signaled(_, s, _)) => Some(128 + s as i32),
        Err(nix::Error::ECHILD) => Some(125),
        _ => None,
    }
}

/// Moves one read's worth from `fd` to the terminal and the log; closes `fd` at EOF (or EIO,
/// which a pty master reports once the last slave holder exited).
fn pump(fd: &mut Option<OwnedFd>, buf: &mut [u8], stream: Stream, opts: &mut Options) {
    let Some(f) = fd else { return };
    match read_fd(f.as_raw_fd(), buf) {
        Some(0) | None => *fd = None,
        Some(n) => {
            let data = &buf[..n];
            if opts.echo {
                write_all(if stream == Stream::Stdout { 1 } else { 2 }, data);
            }
            if let Some(log) = &mut opts.log {
                log.write(stream, data);
            }
        }
    }
}

fn read_fd(fd: RawFd, buf: &mut [u8]) -> Option<usize> {
    loop {
        // SAFETY: reading into a buffer we own, of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Some(n as usize);
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    }
}

fn write_all(fd: RawFd, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: writing from a buffer we own, of its length.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return; // a closed terminal or pipe: keep supervising, drop the output
        }
        data = &data[n as usize..];
    }
}
