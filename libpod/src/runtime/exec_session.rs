//! A foreground `exec -it` that the detach keys can leave running. The exec'd process dies
//! with the process that forked it (its parent-death signal), so that process cannot be the
//! command the user waits on: a session process forked from it spawns and supervises the
//! exec on the user's terminal, and on the detach keys tells the command (which then exits 0)
//! and supervises on, silent, until the process ends.

use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::fcntl::OFlag;
use nix::unistd::{ForkResult, pipe2};

use crate::error::{LibpodError, Result};
use crate::executor::{self, ProcessPlan, StdioMode};
use crate::supervise::{self, Options};

/// Runs the exec'd process under a session process; its exit code, or 0 once detached.
/// The caller has blocked the supervised signals and put the terminal in raw mode.
pub(super) fn run_detachable(
    process: ProcessPlan,
    stdio: StdioMode,
    detach_keys: &[u8],
) -> Result<i32> {
    let (r, w) = pipe2(OFlag::O_CLOEXEC).map_err(|e| LibpodError::sys("pipe", e))?;
    // SAFETY: this process is single-threaded; the child spawns and supervises the exec
    // process and then leaves with _exit.
    match unsafe { nix::unistd::fork() }.map_err(|e| LibpodError::sys("fork", e))? {
        ForkResult::Child => {
            drop(r);
            let code = session(process, stdio, detach_keys.to_vec(), w);
            // SAFETY: leave without running the parent's exit handlers.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop(w);
            let mut said = [0u8; 1];
            // One byte: detached; end of file: the session ended (the exit code follows).
            let detached = matches!(std::fs::File::from(r).read(&mut said), Ok(1));
            if detached {
                return Ok(0);
            }
            Ok(match nix::sys::wait::waitpid(child, None) {
                Ok(nix::sys::wait::WaitStatus::Exited(_, c)) => c,
                Ok(nix::sys::wait::WaitStatus::Signaled(_, s, _)) => 128 + s as i32,
                _ => 125,
            })
        }
    }
}

/// The session process: spawns, supervises, and on the detach keys lets the command go.
fn session(process: ProcessPlan, stdio: StdioMode, keys: Vec<u8>, told: OwnedFd) -> i32 {
    let sp = match executor::spawn_in_container(process, stdio) {
        Ok(sp) => sp,
        Err(e) => {
            eprintln!("Error: {e}");
            return e.exit_code();
        }
    };
    let on_detach = move || {
        let _ = crate::executor::fds::write_or_epipe(&told, b"D");
        // The terminal is the user's again: nothing of this session reaches it.
        if let Ok(null) = std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
        {
            for fd in 0..3 {
                // SAFETY: replaces this process's standard descriptors with /dev/null.
                unsafe { libc::dup2(null.as_raw_fd(), fd) };
            }
        }
        let _ = nix::unistd::setsid();
    };
    supervise::supervise_until_end(
        sp,
        Options {
            detach_keys: Some(crate::attach::DetachMatcher::new(keys)),
            on_detach: Some(Box::new(on_detach)),
            ..Options::foreground(None, true, true)
        },
    )
    .code
}
