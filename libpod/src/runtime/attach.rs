//! `attach`: connects the user's terminal to a detached container through its monitor's
//! socket. Detach keys (default ctrl-p,ctrl-q) leave the container running.

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::attach::{self, DetachMatcher, FrameReader};
use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::executor::tty::RawMode;
use crate::supervise::{read_fd, write_all};

use super::Runtime;

#[derive(Clone, Debug)]
pub struct AttachClientOptions {
    /// Forward our stdin (`--no-stdin` turns it off).
    pub stdin: bool,
    /// Parsed `--detach-keys`.
    pub detach_keys: Vec<u8>,
}

/// What ended an attach session.
#[derive(Debug, PartialEq, Eq)]
pub enum AttachEnd {
    /// The container exited with this code.
    Exited(i32),
    /// The user typed the detach keys; the container keeps running.
    Detached,
}

/// How long a foreground `run -it` waits for its monitor's socket.
const ATTACH_CONNECT_WAIT: Duration = Duration::from_secs(10);

/// The first client of a listener, if one connects within `wait`.
pub(super) fn accept_within(l: &UnixListener, wait: Duration) -> Option<UnixStream> {
    let mut fds = [PollFd::new(l.as_fd(), PollFlags::POLLIN)];
    let ms = wait.as_millis().min(i32::MAX as u128) as i32;
    match poll(
        &mut fds,
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
    ) {
        Ok(n) if n > 0 => l.accept().ok().map(|(s, _)| s),
        _ => None,
    }
}

impl Runtime {
    /// Where a container's monitor listens. Kept short: a socket path has 108 bytes at most.
    fn attach_path(&self, id: &str) -> PathBuf {
        self.paths.run.join("attach").join(&id[..32.min(id.len())])
    }

    pub(crate) fn attach_listener(&self, id: &str) -> Option<UnixListener> {
        let path = self.attach_path(id);
        let _ = std::fs::create_dir_all(path.parent()?);
        let _ = std::fs::remove_file(&path);
        UnixListener::bind(&path).ok()
    }

    /// Removes the socket once its supervisor stops listening.
    pub(crate) fn remove_attach_socket(&self, id: &str) {
        let _ = std::fs::remove_file(self.attach_path(id));
    }

    /// A foreground `run -it`: the container under its own monitor (as `run -d`), this
    /// terminal attached from before its first output. The detach keys leave it running,
    /// and other terminals can attach too. A `--rm` container is gone when this returns
    /// with its exit.
    pub fn run_interactive(&self, c: &Container, detach_keys: Vec<u8>) -> Result<AttachEnd> {
        // Raw from the start: what the user types while the container starts (the detach
        // keys included) must reach it, not be echoed or eaten by the terminal's line rules.
        let _raw = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            RawMode::enter()
        } else {
            None
        };
        let stream = self.start_monitored(c, true)?;
        let opts = AttachClientOptions {
            stdin: true,
            detach_keys,
        };
        let end = match stream {
            Some(s) => self.attach_on(c, s, &opts)?,
            None => self.attach(&c.id, &opts)?,
        };
        if matches!(end, AttachEnd::Exited(_)) && c.config.auto_remove {
            let deadline = Instant::now() + Duration::from_secs(10);
            while self.state.lookup(&c.id).is_ok() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        Ok(end)
    }

    /// Connects to a monitor started with `--attach-first` once its socket listens; `None`
    /// when the monitor reported (a failure) first or never listened.
    pub(super) fn connect_before_start(&self, id: &str, report: &OwnedFd) -> Option<UnixStream> {
        let path = self.attach_path(id);
        let deadline = Instant::now() + ATTACH_CONNECT_WAIT;
        while Instant::now() < deadline {
            if let Ok(mut s) = UnixStream::connect(&path) {
                // The first frame is always the terminal's size (0x0 when none), which the
                // monitor waits for before the container starts.
                let (rows, cols) = terminal_size().unwrap_or((0, 0));
                let mut data = rows.to_be_bytes().to_vec();
                data.extend_from_slice(&cols.to_be_bytes());
                let _ = attach::write_frame(&mut s, attach::RESIZE, &data);
                return Some(s);
            }
            let mut fds = [PollFd::new(report.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(2u16)).is_ok_and(|n| n > 0) {
                return None;
            }
        }
        None
    }

    pub fn attach(&self, name: &str, opts: &AttachClientOptions) -> Result<AttachEnd> {
        let c = self.lookup(name)?;
        if c.status() != Status::Running {
            return Err(LibpodError::InvalidState(format!(
                "you can only attach to running containers: {} is {}",
                c.name,
                c.status().as_str()
            )));
        }
        let path = self.attach_path(&c.id);
        let stream = UnixStream::connect(&path).map_err(|e| {
            LibpodError::io(
                format!("attach to {}: its monitor does not accept clients", c.name),
                e,
            )
        })?;
        self.attach_on(&c, stream, opts)
    }

    /// The attach session over a connected monitor socket.
    fn attach_on(
        &self,
        c: &Container,
        mut stream: UnixStream,
        opts: &AttachClientOptions,
    ) -> Result<AttachEnd> {
        let mut sigs = SigSet::empty();
        sigs.add(Signal::SIGWINCH);
        let _ = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&sigs), None);
        let sfd = SignalFd::with_flags(&sigs, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).ok();
        let stdin_is_tty = std::io::IsTerminal::is_terminal(&std::io::stdin());
        let _raw = if c.config.tty && opts.stdin && stdin_is_tty {
            RawMode::enter()
        } else {
            None
        };
        if c.config.tty {
            send_winsize(&mut stream);
        }
        let mut frames = FrameReader::default();
        let mut matcher = DetachMatcher::new(opts.detach_keys.clone());
        let mut stdin_open = opts.stdin && (c.config.tty || c.config.stdin_open);
        let mut buf = vec![0u8; 16384];
        let mut exit_code: Option<i32> = None;
        loop {
            let stdin = std::io::stdin();
            let mut fds = vec![PollFd::new(stream.as_fd(), PollFlags::POLLIN)];
            if let Some(s) = &sfd {
                fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
            }
            if stdin_open {
                fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::Error::EINTR) => continue,
                Err(e) => return Err(LibpodError::sys("poll", e)),
            }
            let ready: Vec<bool> = fds
                .iter()
                .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                .collect();
            drop(fds);
            if ready[0] {
                if !frames.fill(&mut stream) {
                    break;
                }
                while let Some((kind, data)) = frames.next_frame() {
                    match kind {
                        attach::EXIT => {
                            exit_code = data
                                .get(..4)
                                .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                        }
                        attach::STDERR => write_all(2, &data),
                        _ => write_all(1, &data),
                    }
                }
                let _ = std::io::stdout().flush();
            }
            let mut i = 1;
            if sfd.is_some() {
                if ready[i] {
                    if let Some(s) = &sfd {
                        while let Ok(Some(_)) = s.read_signal() {}
                    }
                    send_winsize(&mut stream);
                }
                i += 1;
            }
            if stdin_open && ready.get(i).copied().unwrap_or(false) {
                match read_fd(stdin.as_raw_fd(), &mut buf) {
                    Some(n) if n > 0 => {
                        let (data, detached) = matcher.feed(&buf[..n]);
                        if !data.is_empty() {
                            let _ = attach::write_frame(&mut stream, attach::STDIN, &data);
                        }
                        if detached {
                            return Ok(AttachEnd::Detached);
                        }
                    }
                    _ => {
                        stdin_open = false;
                        let _ = attach::write_frame(&mut stream, attach::STDIN_EOF, &[]);
                    }
                }
            }
        }
        // The monitor closed the socket: the container exited; report its code.
        match exit_code {
            Some(code) => Ok(AttachEnd::Exited(code)),
            None => Ok(AttachEnd::Exited(self.wait(&c.id)?)),
        }
    }
}

/// The size of the terminal on our stdin, if it is one.
fn terminal_size() -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    (unsafe { libc::ioctl(0, libc::TIOCGWINSZ, &mut ws) } == 0).then_some((ws.ws_row, ws.ws_col))
}

fn send_winsize(stream: &mut UnixStream) {
    if let Some((rows, cols)) = terminal_size() {
        let mut data = rows.to_be_bytes().to_vec();
        data.extend_from_slice(&cols.to_be_bytes());
        let _ = attach::write_frame(stream, attach::RESIZE, &data);
    }
}

/// The monitor's side of [`Runtime::connect_before_start`]: the client's first frame, its
/// terminal size; `None` for no terminal (0x0) or a client that sends nothing in time.
pub(super) fn read_initial_size(stream: &mut UnixStream) -> Option<(u16, u16)> {
    use std::io::Read;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut frame = [0u8; 9];
    let got = stream.read_exact(&mut frame);
    let _ = stream.set_read_timeout(None);
    got.ok()?;
    let len = u32::from_le_bytes([frame[1], frame[2], frame[3], frame[4]]);
    if frame[0] != attach::RESIZE || len != 4 {
        return None;
    }
    let rows = u16::from_be_bytes([frame[5], frame[6]]);
    let cols = u16::from_be_bytes([frame[7], frame[8]]);
    (rows > 0 && cols > 0).then_some((rows, cols))
}
