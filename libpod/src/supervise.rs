//! Supervision of a started container or exec process by its parent (the CLI in the
//! foreground, the monitor when detached): copies output to the terminal, the log and any
//! attached clients; feeds a terminal's or a client's input; forwards signals (sig-proxy);
//! resizes the pty; collects the exit status. One thread, one poll loop.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::attach::{self, FrameReader};
use crate::executor::Spawned;
use crate::executor::tty::copy_winsize;
use crate::health::schedule::HealthTicker;
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
    /// Accept `burrow attach` clients here (the monitor of a detached container).
    pub attach: Option<UnixListener>,
    /// Clients already accepted before the process started (a foreground `run -it`, which
    /// must see the container's first output).
    pub clients: Vec<UnixStream>,
    /// Write end of the container's stdin pipe (`-d -i`), fed by attached clients.
    pub container_stdin: Option<OwnedFd>,
    /// The container's healthchecks, when this supervisor runs them (no systemd timer).
    pub health: Option<HealthTicker>,
    /// `--timeout`: when the container's process is killed (SIGKILL) if still running.
    pub deadline: Option<std::time::Instant>,
    /// `run -a`: streams not echoed to the terminal (they still go to the log).
    pub quiet_stdout: bool,
    pub quiet_stderr: bool,
    /// `exec -it`: typed input is watched for the detach keys; once they come, `on_detach`
    /// runs and this supervisor stops reading and showing, supervising on until the exit.
    pub detach_keys: Option<attach::DetachMatcher>,
    pub on_detach: Option<Box<dyn FnOnce()>>,
}

impl Options {
    pub fn foreground(log: Option<LogWriter>, stdin_to_pty: bool, proxy_signals: bool) -> Options {
        Options {
            echo: true,
            log,
            stdin_to_pty,
            proxy_signals,
            attach: None,
            clients: Vec::new(),
            container_stdin: None,
            health: None,
            deadline: None,
            quiet_stdout: false,
            quiet_stderr: false,
            detach_keys: None,
            on_detach: None,
        }
    }
}

struct Client {
    stream: UnixStream,
    frames: FrameReader,
}

#[derive(Clone, Copy)]
enum Slot {
    Signals,
    Stdout,
    Stderr,
    Pty,
    Stdin,
    Listener,
    Client(usize),
}

/// How a supervised process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    /// podman's exit code: the process's own, or 128+signal.
    pub code: i32,
    /// The supervisor itself was told to stop (SIGINT, SIGTERM or SIGHUP): a restart
    /// policy must not bring the container back.
    pub stop_requested: bool,
    /// The detach keys were typed: the process runs on, unsupervised by this process.
    pub detached: bool,
}

/// Runs until the process exits and its output is drained; returns podman's exit code
/// (the process's own, or 128+signal).
pub fn supervise(sp: Spawned, opts: Options) -> i32 {
    supervise_until_end(sp, opts).code
}

/// [`supervise`], also saying whether this process was asked to stop meanwhile.
pub fn supervise_until_end(sp: Spawned, mut opts: Options) -> Ended {
    let mask = handled_signals();
    let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).ok();
    if let Some(pty) = &sp.pty {
        copy_winsize(0, pty.as_raw_fd());
    }
    let mut stdout = sp.stdout;
    let mut stderr = sp.stderr;
    let mut pty = sp.pty;
    let mut stdin_open = opts.stdin_to_pty && pty.is_some();
    let mut clients: Vec<Client> = std::mem::take(&mut opts.clients)
        .into_iter()
        .map(|stream| {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            Client {
                stream,
                frames: FrameReader::default(),
            }
        })
        .collect();
    let listener = opts.attach.take();
    let mut exit: Option<i32> = None;
    let mut stop_requested = false;
    let mut buf = vec![0u8; 64 * 1024];
    let mut detached = false;
    loop {
        let outputs_open = stdout.is_some() || stderr.is_some() || pty.is_some();
        if exit.is_some() && !outputs_open {
            break;
        }
        let stdin_fd = std::io::stdin();
        let mut slots: Vec<(Slot, BorrowedFd<'_>)> = Vec::new();
        if let Some(s) = &sfd {
            slots.push((Slot::Signals, s.as_fd()));
        }
        if let Some(f) = &stdout {
            slots.push((Slot::Stdout, f.as_fd()));
        }
        if let Some(f) = &stderr {
            slots.push((Slot::Stderr, f.as_fd()));
        }
        if let Some(f) = &pty {
            slots.push((Slot::Pty, f.as_fd()));
        }
        if stdin_open {
            slots.push((Slot::Stdin, stdin_fd.as_fd()));
        }
        if let Some(l) = &listener {
            slots.push((Slot::Listener, l.as_fd()));
        }
        for (i, c) in clients.iter().enumerate() {
            slots.push((Slot::Client(i), c.stream.as_fd()));
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
            // Asleep until the next healthcheck is due, if this supervisor runs them.
            _ => match opts.health.as_ref().and_then(HealthTicker::wait) {
                Some(d) => PollTimeout::try_from(d.as_millis().min(i32::MAX as u128) as i32 + 1)
                    .unwrap_or(PollTimeout::MAX),
                None => PollTimeout::NONE,
            },
        };
        // `--timeout`: never asleep past the deadline.
        let timeout = match opts.deadline.filter(|_| exit.is_none()) {
            Some(d) => {
                let left = d.saturating_duration_since(std::time::Instant::now());
                let ms = PollTimeout::try_from(left.as_millis().min(i32::MAX as u128) as i32 + 1)
                    .unwrap_or(PollTimeout::MAX);
                if timeout == PollTimeout::NONE {
                    ms
                } else {
                    timeout.min(ms)
                }
            }
            None => timeout,
        };
        let n = match poll(&mut pfds, timeout) {
            Ok(n) => n,
            Err(nix::Error::EINTR) => continue,
            Err(_) => 0,
        };
        if exit.is_none()
            && let Some(h) = &mut opts.health
        {
            h.tick();
        }
        if exit.is_none()
            && opts
                .deadline
                .is_some_and(|d| std::time::Instant::now() >= d)
        {
            // As conmon's --timeout: the process is killed, its exit (137) recorded as usual.
            opts.deadline = None;
            let _ = nix::sys::signal::kill(sp.pid, nix::sys::signal::Signal::SIGKILL);
        }
        if n == 0 {
            if exit.is_some() {
                break;
            }
            if sfd.is_none() {
                exit = reap(sp.pid);
            }
            continue;
        }
        let mut ready: Vec<Slot> = slots
            .iter()
            .zip(pfds.iter())
            .filter(|(_, p)| p.revents().is_some_and(|r| !r.is_empty()))
            .map(|((slot, _), _)| *slot)
            .collect();
        // New clients and their input (a resize) before the output they should see.
        ready.sort_by_key(|s| match s {
            Slot::Listener => 0,
            Slot::Client(_) => 1,
            _ => 2,
        });
        drop(pfds);
        drop(slots);
        let mut dead_clients: Vec<usize> = Vec::new();
        for slot in ready {
            match slot {
                Slot::Signals => {
                    let Some(s) = &sfd else { continue };
                    while let Ok(Some(info)) = s.read_signal() {
                        let Ok(sig) = Signal::try_from(info.ssi_signo as i32) else {
                            continue;
                        };
                        stop_requested |= is_stop_signal(sig);
                        match sig {
                            Signal::SIGCHLD => {
                                if let Some(h) = &mut opts.health {
                                    h.reap();
                                }
                                if exit.is_none() {
                                    exit = reap(sp.pid);
                                }
                            }
                            Signal::SIGWINCH => {
                                if let Some(p) = &pty {
                                    copy_winsize(0, p.as_raw_fd());
                                }
                            }
                            other
                                if opts.proxy_signals
                                    && exit.is_none()
                                    && other != Signal::SIGCHLD =>
                            {
                                let _ = kill(sp.pid, other);
                            }
                            _ => {}
                        }
                    }
                }
                Slot::Stdout => pump(
                    &mut stdout,
                    &mut buf,
                    Stream::Stdout,
                    &mut opts,
                    &mut clients,
                ),
                Slot::Stderr => pump(
                    &mut stderr,
                    &mut buf,
                    Stream::Stderr,
                    &mut opts,
                    &mut clients,
                ),
                Slot::Pty => pump(&mut pty, &mut buf, Stream::Stdout, &mut opts, &mut clients),
                Slot::Stdin => {
                    let n = read_fd(0, &mut buf);
                    match (n, &pty) {
                        (Some(n), Some(p)) if n > 0 => match &mut opts.detach_keys {
                            Some(m) => {
                                let (forward, done) = m.feed(&buf[..n]);
                                write_all(p.as_raw_fd(), &forward);
                                if done && !detached {
                                    detached = true;
                                    stdin_open = false;
                                    opts.echo = false;
                                    if let Some(f) = opts.on_detach.take() {
                                        f();
                                    }
                                }
                            }
                            None => write_all(p.as_raw_fd(), &buf[..n]),
                        },
                        _ => stdin_open = false,
                    }
                }
                Slot::Listener => {
                    if let Some(l) = &listener
                        && let Ok((stream, _)) = l.accept()
                    {
                        // A stuck client must not stall the container's output.
                        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                        clients.push(Client {
                            stream,
                            frames: FrameReader::default(),
                        });
                    }
                }
                Slot::Client(i) => {
                    if !client_input(&mut clients[i], pty.as_ref(), &mut opts.container_stdin) {
                        dead_clients.push(i);
                    }
                }
            }
        }
        for i in dead_clients.into_iter().rev() {
            clients.remove(i);
        }
    }
    let code = exit.unwrap_or_else(|| {
        // Output closed first: wait for the status now.
        match waitpid(sp.pid, None) {
            Ok(WaitStatus::Exited(_, c)) => c,
            Ok(WaitStatus::Signaled(_, s, _)) => 128 + s as i32,
            _ => 125,
        }
    });
    for c in &mut clients {
        let _ = attach::write_frame(&mut c.stream, attach::EXIT, &code.to_be_bytes());
    }
    Ended {
        code,
        stop_requested,
        detached,
    }
}

/// The signals that tell a supervisor to stop for good (Ctrl-C, `kill`, a closed terminal).
pub fn is_stop_signal(sig: Signal) -> bool {
    matches!(sig, Signal::SIGINT | Signal::SIGTERM | Signal::SIGHUP)
}

/// Waits `delay` with the handled signals blocked (as they are while supervising); true when
/// a stop signal came meanwhile. Other signals that come are dropped.
pub fn sleep_unless_stopped(delay: Duration) -> bool {
    let Ok(sfd) = SignalFd::with_flags(
        &handled_signals(),
        SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK,
    ) else {
        std::thread::sleep(delay);
        return false;
    };
    let deadline = std::time::Instant::now() + delay;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        let mut p = [PollFd::new(sfd.as_fd(), PollFlags::POLLIN)];
        match poll(
            &mut p,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(0) => return false,
            Ok(_) => {
                while let Ok(Some(info)) = sfd.read_signal() {
                    if Signal::try_from(info.ssi_signo as i32).is_ok_and(is_stop_signal) {
                        return true;
                    }
                }
            }
            Err(nix::Error::EINTR) => continue,
            Err(_) => {
                std::thread::sleep(left);
                return false;
            }
        }
    }
}

/// Handles frames from an attached client; false when it went away.
fn client_input(c: &mut Client, pty: Option<&OwnedFd>, stdin: &mut Option<OwnedFd>) -> bool {
    if !c.frames.fill(&mut c.stream) {
        return false;
    }
    while let Some((kind, data)) = c.frames.next_frame() {
        match kind {
            attach::STDIN => {
                if let Some(p) = pty {
                    write_all(p.as_raw_fd(), &data);
                } else if let Some(s) = stdin {
                    write_all(s.as_raw_fd(), &data);
                }
            }
            attach::STDIN_EOF if pty.is_none() => *stdin = None,
            attach::RESIZE if data.len() == 4 => {
                if let Some(p) = pty {
                    let ws = libc::winsize {
                        ws_row: u16::from_be_bytes([data[0], data[1]]),
                        ws_col: u16::from_be_bytes([data[2], data[3]]),
                        ws_xpixel: 0,
                        ws_ypixel: 0,
                    };
                    // SAFETY: TIOCSWINSZ reads a winsize struct we own.
                    unsafe { libc::ioctl(p.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
                }
            }
            _ => {}
        }
    }
    true
}

fn reap(pid: Pid) -> Option<i32> {
    match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::Exited(_, c)) => Some(c),
        Ok(WaitStatus::Signaled(_, s, _)) => Some(128 + s as i32),
        Err(nix::Error::ECHILD) => Some(125),
        _ => None,
    }
}

/// Moves one read's worth from `fd` to the terminal, the log and attached clients; closes
/// `fd` at EOF (or EIO, which a pty master reports once the last slave holder exited).
fn pump(
    fd: &mut Option<OwnedFd>,
    buf: &mut [u8],
    stream: Stream,
    opts: &mut Options,
    clients: &mut Vec<Client>,
) {
    let Some(f) = fd else { return };
    match read_fd(f.as_raw_fd(), buf) {
        Some(0) | None => *fd = None,
        Some(n) => {
            let data = &buf[..n];
            let quiet = if stream == Stream::Stdout {
                opts.quiet_stdout
            } else {
                opts.quiet_stderr
            };
            if opts.echo && !quiet {
                write_all(if stream == Stream::Stdout { 1 } else { 2 }, data);
            }
            if let Some(log) = &mut opts.log {
                log.write(stream, data);
            }
            let kind = if stream == Stream::Stdout {
                attach::STDOUT
            } else {
                attach::STDERR
            };
            clients.retain_mut(|c| attach::write_frame(&mut c.stream, kind, data).is_ok());
        }
    }
}

pub(crate) fn read_fd(fd: RawFd, buf: &mut [u8]) -> Option<usize> {
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

pub(crate) fn write_all(fd: RawFd, data: &[u8]) {
    // ManuallyDrop: the descriptor belongs to the caller.
    // SAFETY: fd is open for the duration of this call.
    let mut f =
        std::mem::ManuallyDrop::new(unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fd) });
    // A closed terminal or pipe: keep supervising, drop the output.
    let _ = f.write_all(data);
}
