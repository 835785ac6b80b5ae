//! What a process of burrow's holds when a container can see it. A forked child starts with
//! every descriptor of burrow's (the state database, its WAL, the events log, descriptors
//! burrow itself inherited); the child keeps only the ones it was handed, and it is never
//! dumpable while it is burrow's code, so a container process cannot open its /proc/PID/fd,
//! /proc/PID/mem or /proc/PID/exe (ptrace access needs CAP_SYS_PTRACE over burrow's own user
//! namespace, which no container has). execve makes the new program dumpable again, as with
//! runc and crun.

use std::os::fd::{AsFd, RawFd};

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};

/// Closes every descriptor of this process except `keep` (and nothing below 0). For a freshly
/// forked child, before it can be seen from inside a container.
pub fn close_all_except(keep: &[RawFd]) {
    let mut keep: Vec<u32> = keep
        .iter()
        .filter_map(|&fd| u32::try_from(fd).ok())
        .collect();
    keep.sort_unstable();
    keep.dedup();
    let mut from = 0u32;
    for fd in keep {
        if fd > from {
            close_range(from, fd - 1);
        }
        from = fd + 1;
    }
    close_range(from, u32::MAX);
}

fn close_range(first: u32, last: u32) {
    // SAFETY: close_range only closes descriptors; the caller keeps the ones it still uses.
    unsafe { libc::close_range(first, last, 0) };
}

/// Writes all of `data` to a pipe whose reader may already be gone (a child that failed and
/// exited, a hook that did not read its input, a parent that was killed while its monitor
/// started): that is EPIPE here, not the SIGPIPE that
/// burrow leaves fatal for its own output (`burrow ps | head`). SIGPIPE is blocked for the
/// write, and one the write raised is taken before the mask is restored.
pub fn write_or_epipe(fd: &impl AsFd, data: &[u8]) -> std::io::Result<()> {
    let mut pipe = SigSet::empty();
    pipe.add(Signal::SIGPIPE);
    let mut old = SigSet::empty();
    pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&pipe), Some(&mut old))?;
    let pending_before = sigpipe_pending();
    let mut rest = data;
    let result = loop {
        if rest.is_empty() {
            break Ok(());
        }
        match nix::unistd::write(fd, rest) {
            Ok(n) => rest = &rest[n..],
            Err(Errno::EINTR) => {}
            Err(e) => break Err(e),
        }
    };
    if result == Err(Errno::EPIPE) && !pending_before {
        let none = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: sigtimedwait with a valid set and a zero timeout only dequeues the pending
        // SIGPIPE this thread raised (blocked above), so it is never delivered.
        unsafe { libc::sigtimedwait(pipe.as_ref(), std::ptr::null_mut(), &none) };
    }
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    result.map_err(std::io::Error::from)
}

/// Whether a SIGPIPE is pending already (nix has no sigpending).
fn sigpipe_pending() -> bool {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigpending fills the set it is given; it is read only when the call succeeded.
    unsafe {
        libc::sigpending(set.as_mut_ptr()) == 0
            && libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1
    }
}

/// Marks this process not dumpable for as long as the guard lives. Taken by the parent around
/// a fork, so the child is born non-dumpable: there is no instant at which a container process
/// could reach it through /proc. The child keeps the flag until its execve.
pub struct NonDumpable {
    was: libc::c_int,
}

impl NonDumpable {
    pub fn new() -> NonDumpable {
        // SAFETY: prctl with integer arguments only reads or sets this process's flag.
        let was = unsafe { libc::prctl(libc::PR_GET_DUMPABLE) };
        set_dumpable(false);
        NonDumpable { was }
    }
}

impl Default for NonDumpable {
    fn default() -> Self {
        NonDumpable::new()
    }
}

impl Drop for NonDumpable {
    fn drop(&mut self) {
        if self.was > 0 {
            set_dumpable(true);
        }
    }
}

/// Whether this process is dumpable (PR_GET_DUMPABLE reads 1).
pub fn is_dumpable() -> bool {
    // SAFETY: prctl(PR_GET_DUMPABLE) only reads this process's flag.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 }
}

/// Sets or clears this process's dumpable flag.
pub fn set_dumpable(on: bool) {
    // SAFETY: prctl(PR_SET_DUMPABLE) with 0 or 1 only changes this process's flag.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, libc::c_ulong::from(on), 0, 0, 0) };
}

/// Puts the descriptors `fds` at 3, 4, ... in their order, without close-on-exec (podman's
/// renumbering of `--preserve-fd`), and returns where `keep`, a descriptor the caller still
/// needs, is afterwards. Copies above the target range first, so that no source is overwritten
/// before it has been copied.
pub fn renumber(fds: &[RawFd], keep: RawFd) -> std::io::Result<RawFd> {
    if fds.is_empty() {
        return Ok(keep);
    }
    let floor = 3 + RawFd::try_from(fds.len()).unwrap_or(RawFd::MAX - 3);
    let above = |fd: RawFd| -> std::io::Result<RawFd> {
        // SAFETY: duplicates a descriptor onto the lowest free number >= floor; the copy is
        // close-on-exec.
        let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, floor) };
        if new < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(new)
        }
    };
    let keep = if (3..floor).contains(&keep) {
        above(keep)?
    } else {
        keep
    };
    let copies = fds
        .iter()
        .map(|&fd| above(fd))
        .collect::<std::io::Result<Vec<_>>>()?;
    for (target, copy) in (3..).zip(copies) {
        // SAFETY: dup2 onto a number in the target range, whose old descriptor is either
        // copied above or not to be passed; dup2 clears close-on-exec on the new one.
        if unsafe { libc::dup2(copy, target) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    // A child that exited before its go byte (a failed start): the write is an EPIPE error,
    // and with SIGPIPE at its default (as in burrow) the process lives on after the mask is
    // restored (exit 141 before).
    #[test]
    fn a_write_to_a_gone_reader_is_an_error_not_a_sigpipe() {
        use nix::sys::wait::{WaitStatus, waitpid};
        use nix::unistd::{ForkResult, fork};
        let (r, w) = nix::unistd::pipe().unwrap();
        drop(r);
        // SAFETY: the child resets a signal disposition, writes, and exits; nothing in it
        // allocates or takes a lock another thread of the test process could hold.
        match unsafe { fork() }.unwrap() {
            ForkResult::Child => unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                let epipe =
                    write_or_epipe(&w, b"G").is_err_and(|e| e.raw_os_error() == Some(libc::EPIPE));
                let unblocked = !sigpipe_pending();
                libc::_exit(if epipe && unblocked { 0 } else { 1 });
            },
            ForkResult::Parent { child } => {
                assert_eq!(waitpid(child, None).unwrap(), WaitStatus::Exited(child, 0));
            }
        }
    }

    #[test]
    fn close_all_except_keeps_only_the_listed_descriptors() {
        // In a forked child, so the test process keeps its own descriptors.
        let a = std::fs::File::open("/dev/null").unwrap();
        let b = std::fs::File::open("/dev/null").unwrap();
        let c = std::fs::File::open("/dev/null").unwrap();
        let keep = b.as_raw_fd();
        // SAFETY: the child only makes syscalls and exits.
        match unsafe { libc::fork() } {
            0 => {
                close_all_except(&[0, 1, 2, keep]);
                let open = |fd: RawFd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0;
                let ok = open(keep) && !open(a.as_raw_fd()) && !open(c.as_raw_fd()) && open(2);
                unsafe { libc::_exit(if ok { 0 } else { 1 }) }
            }
            pid => {
                let mut status = 0;
                unsafe { libc::waitpid(pid, &mut status, 0) };
                assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
            }
        }
    }

    #[test]
    fn renumber_moves_the_listed_descriptors_to_3_in_order() {
        let (ar, aw) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let (br, bw) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        nix::unistd::write(&aw, b"a").unwrap();
        nix::unistd::write(&bw, b"b").unwrap();
        let keep = std::fs::File::open("/dev/null").unwrap();
        // SAFETY: the child only makes syscalls and exits.
        match unsafe { libc::fork() } {
            0 => {
                let kept = renumber(&[br.as_raw_fd(), ar.as_raw_fd()], keep.as_raw_fd());
                let byte = |fd: RawFd| {
                    let mut c = [0u8; 1];
                    unsafe { libc::read(fd, c.as_mut_ptr().cast(), 1) };
                    c[0]
                };
                let cloexec =
                    |fd: RawFd| unsafe { libc::fcntl(fd, libc::F_GETFD) } & libc::FD_CLOEXEC;
                let ok = matches!(kept, Ok(k) if k >= 5 && unsafe { libc::fcntl(k, libc::F_GETFD) } >= 0)
                    && byte(3) == b'b'
                    && byte(4) == b'a'
                    && cloexec(3) == 0
                    && cloexec(4) == 0;
                unsafe { libc::_exit(if ok { 0 } else { 1 }) }
            }
            pid => {
                let mut status = 0;
                unsafe { libc::waitpid(pid, &mut status, 0) };
                assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
            }
        }
    }

    #[test]
    fn non_dumpable_is_inherited_and_restored() {
        {
            let _g = NonDumpable::new();
            assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE) }, 0);
        }
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE) }, 1);
    }
}
