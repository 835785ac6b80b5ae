//! The attach protocol between a container's monitor and `burrow attach`: a unix socket in the
//! runtime dir, carrying frames `[kind u8][len u32 LE][data]`. Monitor to client: stdout and
//! stderr chunks, then the exit code once the process ended. Client to monitor: stdin chunks,
//! stdin EOF, terminal resizes.
//! Also podman's detach keys (`ctrl-p,ctrl-q` by default).

use std::io::Read;

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const RESIZE: u8 = 3;
pub const STDIN_EOF: u8 = 4;
/// The process's exit code (i32, big-endian), sent before the monitor hangs up: a client of
/// a `--rm` container cannot ask for it afterwards.
pub const EXIT: u8 = 5;

/// Largest frame payload accepted; a larger length means a confused peer.
const MAX_FRAME: usize = 1 << 20;

pub fn write_frame(w: &mut impl FrameSink, kind: u8, data: &[u8]) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(data.len() + 5);
    buf.push(kind);
    buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
    buf.extend_from_slice(data);
    w.send_all(&buf)
}

/// Where frames go: the attach socket, or a buffer (tests).
pub trait FrameSink {
    fn send_all(&mut self, buf: &[u8]) -> std::io::Result<()>;
}

impl FrameSink for std::os::unix::net::UnixStream {
    /// Sent with MSG_NOSIGNAL: a peer that went away (a client that detached, a monitor whose
    /// container failed to start) is an EPIPE error here, never a SIGPIPE, which burrow keeps
    /// at its default (so that `burrow ... | head` ends quietly) and which would kill it.
    fn send_all(&mut self, mut buf: &[u8]) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        while !buf.is_empty() {
            match nix::sys::socket::send(
                self.as_raw_fd(),
                buf,
                nix::sys::socket::MsgFlags::MSG_NOSIGNAL,
            ) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(nix::Error::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

impl FrameSink for Vec<u8> {
    fn send_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.extend_from_slice(buf);
        Ok(())
    }
}

/// Accumulates bytes read from a socket and yields whole frames.
#[derive(Default)]
pub struct FrameReader {
    buf: Vec<u8>,
}

impl FrameReader {
    /// Reads what is available; returns false at EOF or on error.
    pub fn fill(&mut self, r: &mut impl Read) -> bool {
        let mut chunk = [0u8; 16384];
        match r.read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next complete frame, if any. A frame over the size limit yields None forever, so
    /// the caller's EOF handling drops the peer.
    pub fn next_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        if self.buf.len() < 5 {
            return None;
        }
        let len = u32::from_le_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if len > MAX_FRAME || self.buf.len() < 5 + len {
            return None;
        }
        let kind = self.buf[0];
        let data = self.buf[5..5 + len].to_vec();
        self.buf.drain(..5 + len);
        Some((kind, data))
    }
}

/// Parses podman's `--detach-keys` ("ctrl-p,ctrl-q", "ctrl-a,x"); empty disables detaching.
pub fn parse_detach_keys(s: &str) -> Result<Vec<u8>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|k| {
            if let Some(c) = k.strip_prefix("ctrl-") {
                let b = match c {
                    "@" => 0,
                    "[" => 27,
                    "\\" => 28,
                    "]" => 29,
                    "^" => 30,
                    "_" => 31,
                    c if c.len() == 1 && c.as_bytes()[0].is_ascii_lowercase() => {
                        c.as_bytes()[0] - b'a' + 1
                    }
                    _ => return Err(format!("invalid detach keys \"{s}\": unknown key \"{k}\"")),
                };
                Ok(b)
            } else if k.len() == 1 {
                Ok(k.as_bytes()[0])
            } else {
                Err(format!("invalid detach keys \"{s}\": unknown key \"{k}\""))
            }
        })
        .collect()
}

/// Watches input for the detach sequence; bytes of a partial match are held back until it is
/// clear they are not a detach.
pub struct DetachMatcher {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachMatcher {
    pub fn new(keys: Vec<u8>) -> DetachMatcher {
        DetachMatcher { keys, matched: 0 }
    }

    /// Returns the bytes to forward, and whether the sequence completed.
    pub fn feed(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if self.keys.is_empty() {
                out.push(b);
                continue;
            }
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return (out, true);
                }
            } else {
                out.extend_from_slice(&self.keys[..self.matched]);
                self.matched = 0;
                if b == self.keys[0] {
                    self.matched = 1;
                } else {
                    out.push(b);
                }
            }
        }
        (out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A client or monitor whose peer went away gets an error from a frame write; with SIGPIPE
    // at its default (as in burrow), a plain write would have killed it (exit 141).
    #[test]
    fn a_closed_peer_is_an_error_not_a_sigpipe() {
        use nix::sys::wait::{WaitStatus, waitpid};
        use nix::unistd::{ForkResult, fork};
        let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        drop(b);
        // SAFETY: the child only resets a signal disposition, makes one send (no allocation
        // on its error path) and exits: all async-signal-safe after fork in a threaded test.
        match unsafe { fork() }.unwrap() {
            ForkResult::Child => unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                let failed = a.send_all(b"x").is_err();
                libc::_exit(if failed { 0 } else { 1 });
            },
            ForkResult::Parent { child } => {
                assert_eq!(waitpid(child, None).unwrap(), WaitStatus::Exited(child, 0));
            }
        }
    }

    #[test]
    fn frames_round_trip_in_pieces() {
        let mut wire = Vec::new();
        write_frame(&mut wire, STDOUT, b"hello").unwrap();
        write_frame(&mut wire, RESIZE, &[0, 24, 0, 80]).unwrap();
        let mut r = FrameReader::default();
        let (a, b) = wire.split_at(3);
        assert!(r.fill(&mut &a[..]));
        assert_eq!(r.next_frame(), None);
        assert!(r.fill(&mut &b[..]));
        assert_eq!(r.next_frame(), Some((STDOUT, b"hello".to_vec())));
        assert_eq!(r.next_frame(), Some((RESIZE, vec![0, 24, 0, 80])));
        assert_eq!(r.next_frame(), None);
    }

    #[test]
    fn detach_keys_parse_and_match() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert_eq!(parse_detach_keys("ctrl-a,x").unwrap(), vec![1, b'x']);
        assert!(parse_detach_keys("ctrl-foo").is_err());
        let mut m = DetachMatcher::new(vec![16, 17]);
        assert_eq!(m.feed(b"ab\x10"), (b"ab".to_vec(), false));
        assert_eq!(m.feed(b"c"), (b"\x10c".to_vec(), false));
        assert_eq!(m.feed(b"\x10\x10\x11"), (b"\x10".to_vec(), true));
    }
}
