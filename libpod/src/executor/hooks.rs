//! OCI hooks a container's CDI devices ask for, run by the container's first process at the
//! points the OCI runtime spec names: prestart, createRuntime and createContainer after the
//! container's mounts are made and before pivot_root (the host's paths still visible, in the
//! container's namespaces), startContainer after pivot_root, right before the command. Each
//! gets the container's state as JSON on its standard input; a failing hook fails the start.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

use super::ChildError;
use crate::cdi::Hook;

/// The hook points run before pivot_root.
pub const BEFORE_PIVOT: &[&str] = &["prestart", "createRuntime", "createContainer"];
/// The hook points run after pivot_root.
pub const AFTER_PIVOT: &[&str] = &["startContainer"];

/// Runs every hook of `points`, in order.
pub fn run(hooks: &[Hook], points: &[&str], state: &str) -> Result<(), ChildError> {
    for h in hooks
        .iter()
        .filter(|h| points.contains(&h.hook_name.as_str()))
    {
        run_one(h, state)?;
    }
    Ok(())
}

fn run_one(h: &Hook, state: &str) -> Result<(), ChildError> {
    let fail = |what: String| ChildError::setup(format!("{} hook {}: {what}", h.hook_name, h.path));
    let cstr = |s: &str| std::ffi::CString::new(s).map_err(|_| fail("NUL byte".into()));
    let path = cstr(&h.path)?;
    let mut argv = Vec::new();
    for a in if h.args.is_empty() {
        std::slice::from_ref(&h.path)
    } else {
        &h.args[..]
    } {
        argv.push(cstr(a)?);
    }
    let mut envp = Vec::new();
    for e in &h.env {
        envp.push(cstr(e)?);
    }
    let (r, w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| fail(format!("pipe: {e}")))?;
    // SAFETY: this process is single-threaded; the child only sets up stdin and execs.
    match unsafe { fork() }.map_err(|e| fail(format!("fork: {e}")))? {
        ForkResult::Child => {
            // SAFETY: dup2 onto stdin (which clears close-on-exec there), then every other
            // descriptor of ours closes at exec.
            unsafe {
                libc::dup2(r.as_raw_fd(), 0);
                libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_int);
            }
            let _ = nix::unistd::execve(&path, &argv, &envp);
            // SAFETY: exec failed; leave at once.
            unsafe { libc::_exit(127) }
        }
        ForkResult::Parent { child } => {
            drop(r);
            let _ = super::fds::write_or_epipe(&w, state.as_bytes());
            drop(w);
            let deadline = h
                .timeout
                .map(|t| Instant::now() + Duration::from_secs(u64::from(t)));
            loop {
                match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::Exited(_, 0)) => return Ok(()),
                    Ok(WaitStatus::Exited(_, 127)) => {
                        return Err(fail("cannot be run (missing or not executable)".into()));
                    }
                    Ok(WaitStatus::Exited(_, code)) => {
                        return Err(fail(format!("exited with status {code}")));
                    }
                    Ok(WaitStatus::Signaled(_, sig, _)) => {
                        return Err(fail(format!("killed by {sig}")));
                    }
                    Ok(_) => {}
                    Err(e) => return Err(fail(format!("wait: {e}"))),
                }
                if deadline.is_some_and(|d| Instant::now() > d) {
                    let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                    let _ = waitpid(child, None);
                    return Err(fail("timed out".into()));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}
