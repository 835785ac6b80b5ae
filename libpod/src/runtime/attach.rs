//! `attach`: connects the user's terminal to a detached container through its monitor's
//! socket. Detach keys (default ctrl-p,ctrl-q) leave the container running.

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::attach::{self, DetachMatcher, FrameReader};
use crate::container::Status;
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
        let mut stream = UnixStream::connect(&path).map_err(|e| {
            LibpodError::io(
                format!("attach to {}: its monitor does not accept clients (started in the foreground?)", c.name),
                e,
            )
        })?;
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
                    let fd = if kind == attach::STDERR { 2 } else { 1 };
                    write_all(fd, &data);
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
        Ok(AttachEnd::Exited(self.wait(&c.id)?))
    }
}

fn send_winsize(stream: &mut UnixStream) {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    if unsafe { libc::ioctl(0, libc::TIOCGWINSZ, &mut ws) } == 0 {
        let mut data = ws.ws_row.to_be_bytes().to_vec();
        data.extend_from_slice(&ws.ws_col.to_be_bytes());
        let _ = attach::write_frame(stream, attach::RESIZE, &data);
    }
}
