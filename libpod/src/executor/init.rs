//! `--init`: a minimal init as the container's pid 1. It is the forked runtime child itself
//! (no binary needs to exist in the image): it forks the user's command, forwards every
//! signal it receives to it, reaps every zombie re-parented to it, and exits with the
//! command's status.

use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, kill, sigaction, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

extern "C" fn noop(_: libc::c_int) {}

/// Never returns: the caller's `exec` closure runs in the forked command process.
pub fn run(exec: impl FnOnce() -> std::convert::Infallible) -> ! {
    let all = SigSet::all();
    // A pid 1 only receives signals it has a handler for (even from the parent namespace), so
    // install a no-op handler for each one before blocking them all for sigwait.
    let act = nix::sys::signal::SigAction::new(
        SigHandler::Handler(noop),
        nix::sys::signal::SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in Signal::iterator() {
        if !matches!(sig, Signal::SIGKILL | Signal::SIGSTOP) {
            // SAFETY: the handler does nothing, so it is async-signal-safe.
            let _ = unsafe { sigaction(sig, &act) };
        }
    }
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&all), None);
    // SAFETY: this process is single-threaded (a fork of the single-threaded runtime).
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
            for sig in Signal::iterator() {
                if !matches!(sig, Signal::SIGKILL | Signal::SIGSTOP) {
                    // SAFETY: restoring the default disposition before exec.
                    let _ = unsafe { nix::sys::signal::signal(sig, SigHandler::SigDfl) };
                }
            }
            match exec() {}
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(_) => exit(125),
    };
    // This process stays in the container for its whole life: it keeps stdio and nothing
    // else of burrow's (the command reports its own exec errors). It is non-dumpable since
    // its fork, so its /proc/1/{fd,mem,exe} stay closed to the container.
    super::fds::close_all_except(&[0, 1, 2]);
    loop {
        let Ok(sig) = all.wait() else { continue };
        if sig == Signal::SIGCHLD {
            if let Some(code) = reap(child) {
                exit(code);
            }
        } else {
            let _ = kill(child, sig);
        }
    }
}

/// Reaps every exited child; returns the command's exit code once it is among them.
fn reap(command: Pid) -> Option<i32> {
    let mut result = None;
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) if pid == command => result = Some(code),
            Ok(WaitStatus::Signaled(pid, sig, _)) if pid == command => {
                result = Some(128 + sig as i32)
            }
            Ok(WaitStatus::StillAlive) | Err(_) => return result,
            Ok(_) => {}
        }
    }
}

fn exit(code: i32) -> ! {
    // SAFETY: immediate exit of the init process; nothing to flush.
    unsafe { libc::_exit(code) }
}
