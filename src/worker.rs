//! A warm worker: `burrow __worker`, started ahead of time by the API service (burrow-api)
//! with one end of a `SOCK_SEQPACKET` pair as fd 3. It waits for one command: a message with
//! the command's arguments and its standard input, output and error as passed descriptors
//! (`SCM_RIGHTS`). It puts them on 0, 1 and 2, closes the socket and runs that command as if
//! the service had executed `burrow ARGS` then: the exec, the dynamic loader and the runtime's
//! start-up were paid before the request came.
//!
//! One message, one command, then the process ends: nothing stays shared between requests,
//! and the service waits for and kills the worker as it would any child. The worker first
//! sends one byte (ready); the message is `FLAGS ARG\0ARG\0...` where FLAGS bit 0 asks for a
//! new session with standard input as controlling terminal (a TTY session). The service's side
//! is api/src/worker.rs. `ps` shows the command as `burrow __worker`: its arguments are the
//! received ones only inside the process.

use std::ffi::OsString;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStringExt;
use std::sync::OnceLock;

use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};

/// The first argument that makes this process a worker (argv is exactly `burrow __worker`).
const WORKER_ARG: &str = "__worker";

/// The descriptor the service passes the socket on.
const SOCKET_FD: RawFd = 3;

/// Flag bit: start a new session and take standard input as controlling terminal.
const FLAG_CTTY: u8 = 1;

/// The largest message: arguments beyond this are sent by exec instead (the service checks;
/// a SEQPACKET message must also fit the socket's send buffer, ~208 KiB by default).
const MAX_MESSAGE: usize = 128 * 1024;

/// Sent once the worker waits: the service hands requests only to a worker that said it.
const READY: &[u8] = b"R";

/// The received command's arguments, which stand for `std::env::args_os()` in this process.
static ARGS: OnceLock<Vec<OsString>> = OnceLock::new();

/// The process's arguments: the received command's in a worker, else the real ones.
pub fn args_os() -> Vec<OsString> {
    match ARGS.get() {
        Some(a) => a.clone(),
        None => std::env::args_os().collect(),
    }
}

/// [`args_os`] as strings (lossy, as `std::env::args` would panic instead).
pub fn args() -> Vec<String> {
    args_os()
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// In a worker, waits for the command and sets the process up to run it; returns at once in
/// any other process. Exits quietly when the service goes away without sending one.
pub fn become_command_if_worker() {
    let mut real = std::env::args_os();
    let (Some(_), Some(first), None) = (real.next(), real.next(), real.next()) else {
        return;
    };
    if first != WORKER_ARG {
        return;
    }
    if !is_seqpacket(SOCKET_FD) {
        eprintln!("Error: burrow __worker is started by the API service (burrow system service)");
        std::process::exit(125);
    }
    // Root mode runs every process a container may see from the sealed copy of this binary:
    // the worker becomes that copy before it takes a command (the socket survives the exec).
    if !libpod::rootless::is_rootless()
        && let Err(e) = libpod::sealed_exe::ensure()
    {
        eprintln!("Error: run burrow from a sealed copy of its binary (memfd): {e}");
        std::process::exit(125);
    }
    match receive() {
        Ok(Some(args)) => {
            let _ = ARGS.set(args);
        }
        Ok(None) => std::process::exit(0),
        Err(e) => {
            eprintln!("Error: burrow worker: {e}");
            std::process::exit(125);
        }
    }
}

fn receive() -> std::io::Result<Option<Vec<OsString>>> {
    // SAFETY: fd 3 is the socket the service passed, owned by nobody else in this process;
    // OwnedFd closes it on every path out of here, so the command never holds it.
    let sock = unsafe { OwnedFd::from_raw_fd(SOCKET_FD) };
    set_cloexec(sock.as_raw_fd())?;
    nix::sys::socket::send(sock.as_raw_fd(), READY, MsgFlags::MSG_NOSIGNAL)?;
    let mut buf = vec![0u8; MAX_MESSAGE];
    let mut cmsg = nix::cmsg_space!([RawFd; 3]);
    let (len, fds, truncated) = loop {
        let mut iov = [IoSliceMut::new(&mut buf)];
        match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(msg) => {
                let mut fds = Vec::new();
                for c in msg.cmsgs().map_err(std::io::Error::from)? {
                    if let ControlMessageOwned::ScmRights(got) = c {
                        // SAFETY: the kernel just installed these descriptors in this
                        // process for us; nothing else refers to them.
                        fds.extend(
                            got.into_iter()
                                .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                        );
                    }
                }
                let truncated = msg
                    .flags
                    .intersects(MsgFlags::MSG_TRUNC | MsgFlags::MSG_CTRUNC);
                break (msg.bytes, fds, truncated);
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    };
    if len == 0 {
        return Ok(None);
    }
    if truncated || fds.len() != 3 {
        return Err(std::io::Error::other(
            "the request was cut short or did not carry three descriptors",
        ));
    }
    for (target, fd) in fds.iter().enumerate() {
        // SAFETY: dup2 onto the standard descriptors of this single-threaded process before
        // anything reads or writes them; the new descriptor does not close on exec, as
        // standard streams must not.
        if unsafe { libc::dup2(fd.as_raw_fd(), target as RawFd) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    drop(fds);
    drop(sock);
    // Anything else this process was started with (a descriptor the service held without
    // close-on-exec) goes no further than this process: every later exec closes it.
    // SAFETY: only sets the close-on-exec flag of descriptors 3 and up.
    unsafe { libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_int) };
    if buf[0] & FLAG_CTTY != 0 {
        // SAFETY: plain syscalls on this process; a spawned process is no group leader, so
        // setsid succeeds, and the terminal on fd 0 becomes the new session's.
        if unsafe { libc::setsid() } < 0 || unsafe { libc::ioctl(0, libc::TIOCSCTTY, 0) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    // Every argument ends with a NUL, so the last piece of the split is the empty rest.
    let mut pieces: Vec<&[u8]> = buf[1..len].split(|b| *b == 0).collect();
    pieces.pop();
    let program = std::env::args_os()
        .next()
        .unwrap_or_else(|| "burrow".into());
    let args = pieces.into_iter().map(|a| OsString::from_vec(a.to_vec()));
    Ok(Some(std::iter::once(program).chain(args).collect()))
}

/// Whether `fd` is open and a SEQPACKET socket (the service's pair), checked before anything
/// takes ownership of it.
fn is_seqpacket(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the flags of a descriptor number, open or not.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return false;
    }
    // SAFETY: the descriptor is open (checked above) and borrowed only for this call.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    nix::sys::socket::getsockopt(&borrowed, nix::sys::socket::sockopt::SockType)
        .is_ok_and(|t| t == nix::sys::socket::SockType::SeqPacket)
}

fn set_cloexec(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: the descriptor is open and owned by the caller for the duration of the call.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    nix::fcntl::fcntl(
        borrowed,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )?;
    Ok(())
}
