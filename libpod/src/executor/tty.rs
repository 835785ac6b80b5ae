//! Pseudo-terminals for `-t`: the child opens one on the container's own devpts instance (so
//! `tty` inside shows /dev/pts/0) and hands the master to the supervisor over a socket with
//! SCM_RIGHTS, as crun does with its console socket.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::sys::socket::{
    AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, recvmsg,
    sendmsg,
};
use nix::sys::termios::{SetArg, Termios, cfmakeraw, tcgetattr, tcsetattr};

use crate::error::{LibpodError, Result};

pub fn socketpair() -> Result<(OwnedFd, OwnedFd)> {
    nix::sys::socket::socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| LibpodError::sys("socketpair", e))
}

pub fn send_fd(sock: &OwnedFd, fd: &OwnedFd) -> std::result::Result<(), String> {
    let fds = [fd.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [IoSlice::new(b"T")];
    sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)
        .map(|_| ())
        .map_err(|e| format!("send terminal to supervisor: {e}"))
}

pub fn recv_fd(sock: &OwnedFd) -> Result<OwnedFd> {
    let mut buf = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(|e| LibpodError::sys("receive the container's terminal", e))?;
    for c in msg
        .cmsgs()
        .map_err(|e| LibpodError::sys("receive the container's terminal", e))?
    {
        if let ControlMessageOwned::ScmRights(fds) = c
            && let Some(&fd) = fds.first()
        {
            // SAFETY: the kernel just installed this descriptor for us; we own it now.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
    }
    Err(LibpodError::InvalidState(
        "the container did not send its terminal".into(),
    ))
}

/// Opens a new pty pair from /dev/ptmx (the container's devpts after pivot_root).
pub fn open_pty() -> std::result::Result<(OwnedFd, OwnedFd), String> {
    use nix::pty::{PtyMaster, grantpt, posix_openpt, unlockpt};
    let master: PtyMaster = posix_openpt(
        nix::fcntl::OFlag::O_RDWR | nix::fcntl::OFlag::O_NOCTTY | nix::fcntl::OFlag::O_CLOEXEC,
    )
    .map_err(|e| format!("open /dev/ptmx: {e}"))?;
    grantpt(&master).map_err(|e| format!("grantpt: {e}"))?;
    unlockpt(&master).map_err(|e| format!("unlockpt: {e}"))?;
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes the pty number into `n`.
    if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTN, &mut n) } < 0 {
        return Err(format!("TIOCGPTN: {}", std::io::Error::last_os_error()));
    }
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(format!("/dev/pts/{n}"))
        .map_err(|e| format!("open /dev/pts/{n}: {e}"))?;
    // SAFETY: PtyMaster owns the descriptor; into_raw_fd-like transfer through from_raw_fd.
    let master = unsafe { OwnedFd::from_raw_fd(std::os::fd::IntoRawFd::into_raw_fd(master)) };
    Ok((master, slave.into()))
}

/// Copies the window size of `from` (the user's terminal) to `to` (the container's pty).
pub fn copy_winsize(from: RawFd, to: RawFd) {
    let mut ws: libc::winsize = unsafe_zeroed();
    // SAFETY: TIOCGWINSZ/TIOCSWINSZ read and write a winsize struct we own.
    unsafe {
        if libc::ioctl(from, libc::TIOCGWINSZ, &mut ws) == 0 {
            libc::ioctl(to, libc::TIOCSWINSZ, &ws);
        }
    }
}

/// Sets the window size of `to` (a container's pty).
pub fn set_winsize(to: RawFd, rows: u16, cols: u16) {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads a winsize struct we own.
    unsafe { libc::ioctl(to, libc::TIOCSWINSZ, &ws) };
}

fn unsafe_zeroed() -> libc::winsize {
    libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// Puts the user's terminal in raw mode for `-it`; restores it when dropped.
pub struct RawMode {
    fd: std::os::fd::BorrowedFd<'static>,
    saved: Termios,
}

impl RawMode {
    pub fn enter() -> Option<RawMode> {
        let fd = std::io::stdin();
        let fd: std::os::fd::BorrowedFd<'static> = {
            // SAFETY: fd 0 stays open for the life of the process.
            unsafe { std::os::fd::BorrowedFd::borrow_raw(fd.as_raw_fd()) }
        };
        let saved = tcgetattr(fd).ok()?;
        let mut raw = saved.clone();
        cfmakeraw(&mut raw);
        tcsetattr(fd, SetArg::TCSANOW, &raw).ok()?;
        Some(RawMode { fd, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(self.fd, SetArg::TCSANOW, &self.saved);
    }
}
