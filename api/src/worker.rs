//! Starting burrow children for requests, through a warm worker when one is ready.
//!
//! A worker is `burrow __worker` (two wait), started before it is needed with one end of a
//! `SOCK_SEQPACKET` pair as its fd 3 (the CLI's side is src/worker.rs). A request sends it
//! the command's arguments and three descriptors for its standard streams; the worker puts
//! them in place and runs the command, so the request does not wait for an exec, the dynamic
//! loader and the runtime's start-up. The worker stays this service's child: it is waited
//! for and killed like any other. The next worker is started beside the request that took
//! the last one, and is used once it has said it is ready. When
//! none is ready (several requests at once), the arguments are too long for one message or
//! the send fails, the command is executed directly, as it always could be.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use nix::sys::socket::{
    AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, sendmsg, socketpair,
};
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};

/// The largest message a worker reads (src/worker.rs `MAX_MESSAGE`); it also fits the
/// socket's default send buffer (~208 KiB), beyond which a SEQPACKET send fails.
const MAX_MESSAGE: usize = 128 * 1024;

/// The descriptor a worker reads its request from.
const WORKER_FD: RawFd = 3;

/// Flag bit: new session, standard input as controlling terminal.
const FLAG_CTTY: u8 = 1;

/// One of a child's standard streams.
pub enum Stream {
    /// /dev/null.
    Null,
    /// A pipe whose other end this service keeps.
    Piped,
    /// This descriptor (a terminal, a socket).
    Fd(OwnedFd),
}

/// A started command and this service's ends of its piped streams.
pub struct Spawned {
    pub child: Child,
    /// It runs in a warm worker (else it was executed directly).
    pub warm: bool,
    pub stdin: Option<pipe::Sender>,
    pub stdout: Option<pipe::Receiver>,
    pub stderr: Option<pipe::Receiver>,
}

struct Worker {
    child: Child,
    sock: OwnedFd,
    /// It sent its ready byte: it runs and waits for the request (a worker that failed to
    /// start, e.g. root mode's sealed copy refused, never does).
    ready: bool,
}

impl Worker {
    /// Reads the ready byte if it has come; false when the worker can never be ready (its
    /// socket closed or failed).
    fn poll_ready(&mut self) -> bool {
        if self.ready {
            return true;
        }
        let mut byte = [0u8; 1];
        match nix::sys::socket::recv(self.sock.as_raw_fd(), &mut byte, MsgFlags::MSG_DONTWAIT) {
            Ok(1) => {
                self.ready = true;
                true
            }
            Err(nix::errno::Errno::EAGAIN) => true,
            _ => false,
        }
    }
}

/// How many workers wait: `docker run` takes one for `create` and, a few milliseconds later,
/// one for `start`; the second must not be the one started beside the first request.
const POOL: usize = 2;

/// Starts burrow commands; holds up to [`POOL`] warm workers.
pub struct Launcher {
    program: String,
    idle: Arc<Mutex<Vec<Worker>>>,
}

impl Launcher {
    pub fn new(program: String) -> Launcher {
        Launcher {
            program,
            idle: Arc::new(Mutex::new(Vec::with_capacity(POOL))),
        }
    }

    /// `program ARGS` with the given streams; `ctty` makes standard input (a terminal) the
    /// controlling terminal of a new session. Killed when the returned child is dropped.
    pub fn spawn(
        &self,
        args: &[&std::ffi::OsStr],
        streams: [Stream; 3],
        ctty: bool,
    ) -> std::io::Result<Spawned> {
        // A NUL (`%00` in a query, `\u0000` in JSON) would split an argument in two in the
        // message; exec refuses it too.
        if args.iter().any(|a| a.as_bytes().contains(&0)) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "an argument contains a NUL byte",
            ));
        }
        let (fds, stdin, stdout, stderr) = prepare(streams)?;
        let message = encode(args, ctty);
        let worker = if message.len() <= MAX_MESSAGE {
            self.take()
        } else {
            None
        };
        // A worker that cannot take the request is killed as it is dropped.
        let sent = worker.filter(|w| send(&w.sock, &message, &fds).is_ok());
        let warm = sent.is_some();
        let child = match sent {
            Some(w) => w.child,
            None => self.exec(args, fds, ctty)?,
        };
        // The next worker's fork and exec are not this request's: started beside it.
        let (idle, program) = (self.idle.clone(), self.program.clone());
        tokio::task::spawn_blocking(move || refill(&idle, &program));
        Ok(Spawned {
            child,
            warm,
            stdin,
            stdout,
            stderr,
        })
    }

    /// Fills the pool now (the service's start).
    pub fn refill(&self) {
        refill(&self.idle, &self.program);
    }

    /// A ready idle worker; those still starting stay for later requests, and those that
    /// have exited or closed their socket (killed from outside, failed to start) are dropped.
    fn take(&self) -> Option<Worker> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain_mut(|w| matches!(w.child.try_wait(), Ok(None)) && w.poll_ready());
        let i = idle.iter().position(|w| w.ready)?;
        Some(idle.remove(i))
    }

    fn exec(
        &self,
        args: &[&std::ffi::OsStr],
        fds: [OwnedFd; 3],
        ctty: bool,
    ) -> std::io::Result<Child> {
        let [i, o, e] = fds;
        let mut c = Command::new(&self.program);
        c.args(args)
            .stdin(Stdio::from(i))
            .stdout(Stdio::from(o))
            .stderr(Stdio::from(e))
            .kill_on_drop(true);
        if ctty {
            // SAFETY: between fork and exec the child only makes two syscalls: it becomes a
            // session leader and takes the terminal on its stdin as controlling terminal.
            unsafe {
                c.pre_exec(|| {
                    if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        c.spawn()
    }
}

/// Starts workers into `idle` until it holds [`POOL`]; the forks and execs happen outside the
/// lock, so requests taking a worker meanwhile do not wait for them.
fn refill(idle: &Mutex<Vec<Worker>>, program: &str) {
    loop {
        if idle.lock().unwrap_or_else(|p| p.into_inner()).len() >= POOL {
            return;
        }
        let Ok(w) = start_worker(program) else {
            return;
        };
        let mut pool = idle.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() >= POOL {
            return;
        }
        pool.push(w);
    }
}

/// The child's ends of its three streams, and this service's ends of the piped ones.
type Prepared = (
    [OwnedFd; 3],
    Option<pipe::Sender>,
    Option<pipe::Receiver>,
    Option<pipe::Receiver>,
);

fn prepare(streams: [Stream; 3]) -> std::io::Result<Prepared> {
    let [si, so, se] = streams;
    let (in_fd, stdin) = match si {
        Stream::Piped => {
            let (r, w) = cloexec_pipe()?;
            (r, Some(pipe::Sender::from_owned_fd(w)?))
        }
        other => (plain(other)?, None),
    };
    let out = |s: Stream| -> std::io::Result<(OwnedFd, Option<pipe::Receiver>)> {
        match s {
            Stream::Piped => {
                let (r, w) = cloexec_pipe()?;
                Ok((w, Some(pipe::Receiver::from_owned_fd(r)?)))
            }
            other => Ok((plain(other)?, None)),
        }
    };
    let (out_fd, stdout) = out(so)?;
    let (err_fd, stderr) = out(se)?;
    Ok(([in_fd, out_fd, err_fd], stdin, stdout, stderr))
}

fn plain(s: Stream) -> std::io::Result<OwnedFd> {
    match s {
        Stream::Fd(fd) => Ok(fd),
        // std opens it close-on-exec.
        _ => Ok(std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")?
            .into()),
    }
}

/// A pipe whose ends close on exec; this service's end is made non-blocking by tokio.
fn cloexec_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    Ok(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?)
}

/// `FLAGS ARG\0ARG\0...`, as src/worker.rs reads it.
fn encode(args: &[&std::ffi::OsStr], ctty: bool) -> Vec<u8> {
    let mut m = Vec::with_capacity(1 + args.iter().map(|a| a.len() + 1).sum::<usize>());
    m.push(if ctty { FLAG_CTTY } else { 0 });
    for a in args {
        m.extend_from_slice(a.as_bytes());
        m.push(0);
    }
    m
}

fn send(sock: &OwnedFd, message: &[u8], fds: &[OwnedFd; 3]) -> std::io::Result<()> {
    let raw: Vec<RawFd> = fds.iter().map(AsRawFd::as_raw_fd).collect();
    let sent = sendmsg::<()>(
        sock.as_raw_fd(),
        &[IoSlice::new(message)],
        &[ControlMessage::ScmRights(&raw)],
        MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    if sent != message.len() {
        return Err(std::io::Error::other("short send to the worker"));
    }
    Ok(())
}

fn start_worker(program: &str) -> std::io::Result<Worker> {
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    let theirs_raw = theirs.as_raw_fd();
    let mut c = Command::new(program);
    c.arg("__worker")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    // SAFETY: between fork and exec the child only makes async-signal-safe syscalls: it
    // moves the socket to fd 3 without close-on-exec (dup2, or clearing the flag where it
    // already is fd 3). Everything else of the service's closes on exec (main marks what it
    // inherited; all it opens is opened so).
    unsafe {
        c.pre_exec(move || {
            let r = if theirs_raw == WORKER_FD {
                libc::fcntl(WORKER_FD, libc::F_SETFD, 0)
            } else {
                libc::dup2(theirs_raw, WORKER_FD)
            };
            if r < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = c.spawn()?;
    drop(theirs);
    Ok(Worker {
        child,
        sock: ours,
        ready: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_empty_arguments_and_the_terminal_flag() {
        let args = ["create", "", "--entrypoint", ""].map(std::ffi::OsStr::new);
        assert_eq!(
            encode(&args, true),
            b"\x01create\0\0--entrypoint\0\0".to_vec()
        );
        assert_eq!(encode(&[], false), vec![0u8]);
    }

    // `name=a%00--privileged` must stay one argument, never two: refused before anything runs.
    #[tokio::test]
    async fn an_argument_with_a_nul_is_refused() {
        let l = Launcher::new("/bin/true".into());
        let args = ["create", "--name", "a\0--privileged"].map(std::ffi::OsStr::new);
        let streams = [Stream::Null, Stream::Null, Stream::Null];
        let err = l.spawn(&args, streams, false).err().map(|e| e.kind());
        assert_eq!(err, Some(std::io::ErrorKind::InvalidInput));
    }
}
