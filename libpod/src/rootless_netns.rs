//! The per-user "rootless netns" that user-defined networks live in (podman's design): a
//! network namespace owned by the user's user namespace, held open by a tiny burrow process,
//! with one slirp4netns attached for outbound traffic and published ports. Created by the first
//! command that needs it, re-created when found dead; its pids are in the run dir.
//!
//! Two processes, both forked from burrow (single-threaded, already in the user namespace):
//! `burrow-netnsd` stays in the host's network namespace, where slirp4netns must be started
//! from, and is slirp4netns's parent; its child `burrow-netns` unshares the new network
//! namespace and only sleeps. Either one dying ends the other (PDEATHSIG; netnsd watching its
//! children), and slirp4netns ends with netnsd (`--exit-fd`), so a half-dead set never stays.
//! The bridges and rules inside are set up by the caller (see `network::bridge`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::sched::{CloneFlags, unshare};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{ForkResult, Pid, fork, getpid, pipe2, setsid};

use crate::error::{LibpodError, Result};

const HOLDER_COMM: &str = "burrow-netns";
const DAEMON_COMM: &str = "burrow-netnsd";

/// A live rootless netns.
#[derive(Clone, Debug)]
pub struct RootlessNetns {
    /// The holder, whose `/proc/PID/ns/net` is the namespace.
    pub pid: i32,
    /// The API socket of its slirp4netns (port publishing).
    pub api_socket: PathBuf,
}

fn pid_file(run: &Path) -> PathBuf {
    run.join("netns.pid")
}

fn api_socket(run: &Path) -> PathBuf {
    run.join("netns-slirp.sock")
}

fn comm_is(pid: i32, name: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() == name)
}

/// The recorded (netnsd, holder) pids, if both still run and the holder's namespace belongs
/// to our user namespace (a `system migrate` makes a new one).
fn alive(run: &Path) -> Option<(i32, i32)> {
    let text = std::fs::read_to_string(pid_file(run)).ok()?;
    let mut it = text
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok());
    let (daemon, holder) = (it.next()?, it.next()?);
    if !comm_is(daemon, DAEMON_COMM) || !comm_is(holder, HOLDER_COMM) {
        return None;
    }
    let ino = |p: &str| std::fs::metadata(p).map(|m| m.ino()).ok();
    let ours = ino("/proc/self/ns/user")?;
    (ino(&format!("/proc/{holder}/ns/user")) == Some(ours)).then_some((daemon, holder))
}

/// The rootless netns if it runs now (no creation: for disconnect and network removal).
pub fn current(run: &Path) -> Option<RootlessNetns> {
    alive(run).map(|(_, pid)| RootlessNetns {
        pid,
        api_socket: api_socket(run),
    })
}

/// The rootless netns, created if needed, and the lock serializing changes inside it (bridges,
/// rules): hold the returned file until they are made. Two burrows racing wait for each
/// other here, and the second finds the first one's namespace.
pub fn ensure(run: &Path) -> Result<(RootlessNetns, File)> {
    let lock = crate::lockfile::lock_exclusive(&run.join("netns.lock"))?;
    if let Some(ns) = current(run) {
        return Ok((ns, lock));
    }
    stop(run);
    let (daemon, holder) = create(run)?;
    let tmp = pid_file(run).with_extension("tmp");
    std::fs::write(&tmp, format!("{daemon} {holder}\n"))
        .and_then(|()| std::fs::rename(&tmp, pid_file(run)))
        .map_err(|e| LibpodError::io(format!("write {}", pid_file(run).display()), e))?;
    Ok((
        RootlessNetns {
            pid: holder,
            api_socket: api_socket(run),
        },
        lock,
    ))
}

/// Ends the rootless netns (its slirp4netns and every bridge in it): `system reset`.
pub fn stop(run: &Path) {
    if let Ok(text) = std::fs::read_to_string(pid_file(run)) {
        let mut it = text
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok());
        if let Some(daemon) = it.next()
            && comm_is(daemon, DAEMON_COMM)
        {
            // The holder follows through PDEATHSIG, slirp4netns through its exit fd.
            let _ = kill(Pid::from_raw(daemon), Signal::SIGKILL);
        }
        if let Some(holder) = it.next()
            && comm_is(holder, HOLDER_COMM)
        {
            let _ = kill(Pid::from_raw(holder), Signal::SIGKILL);
        }
    }
    let _ = std::fs::remove_file(pid_file(run));
    let _ = std::fs::remove_file(api_socket(run));
}

/// Forks netnsd (detached, double-forked so it is nobody's zombie) and waits for its report:
/// "R<netnsd> <holder>" once slirp4netns configured tap0, or "E<why>".
fn create(run: &Path) -> Result<(i32, i32)> {
    let (ready_r, ready_w) = crate::executor::cloexec_pipe()?;
    let sock = api_socket(run);
    // SAFETY: burrow is single-threaded here (threads only start after namespace work), so
    // the child may run ordinary code.
    match unsafe { fork() }.map_err(|e| LibpodError::sys("fork the rootless netns", e))? {
        ForkResult::Child => {
            drop(ready_r);
            let _ = setsid();
            // SAFETY: as above; the intermediate exits at once.
            match unsafe { fork() } {
                Ok(ForkResult::Child) => daemon_main(ready_w, &sock),
                _ => exit_now(0),
            }
        }
        ForkResult::Parent { child } => {
            drop(ready_w);
            let _ = nix::sys::wait::waitpid(child, None);
            let mut msg = String::new();
            let _ = File::from(ready_r).read_to_string(&mut msg);
            let fail = |why: &str| {
                LibpodError::InvalidState(format!(
                    "cannot create the rootless network namespace for user networks: {why}"
                ))
            };
            if let Some(why) = msg.strip_prefix('E') {
                return Err(fail(why));
            }
            let mut it = msg
                .strip_prefix('R')
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok());
            match (it.next(), it.next()) {
                (Some(d), Some(h)) => Ok((d, h)),
                _ => Err(fail("its holder process exited before reporting")),
            }
        }
    }
}

/// netnsd: forks the holder, starts slirp4netns on it, reports, then waits for either to end
/// and takes the other down with it. Never returns.
fn daemon_main(ready_w: OwnedFd, sock: &Path) -> ! {
    let _ = nix::sys::prctl::set_name(c"burrow-netnsd");
    // The caller may have blocked signals around the container's start; neither this
    // process nor slirp4netns (which inherits the mask across exec) should keep them blocked.
    let _ = nix::sys::signal::sigprocmask(
        nix::sys::signal::SigmaskHow::SIG_SETMASK,
        Some(&nix::sys::signal::SigSet::empty()),
        None,
    );
    detach_stdio();
    // Keep only the report pipe (as fd 3, close-on-exec so slirp4netns does not inherit
    // it): an inherited output pipe of the caller held open would hang whoever reads it.
    // SAFETY: dup2/fcntl/close_range on descriptors of this single-threaded process.
    unsafe {
        libc::dup2(ready_w.as_raw_fd(), 3);
        libc::fcntl(3, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::close_range(4, u32::MAX, 0);
    }
    std::mem::forget(ready_w);
    // SAFETY: fd 3 was just made a copy of the report pipe and is owned by nobody else.
    let mut report = unsafe { File::from_raw_fd(3) };
    let _ = std::env::set_current_dir("/");
    // Close-on-exec: slirp4netns, started below, must not hold the holder's report open.
    let (n_r, n_w) = match pipe2(OFlag::O_CLOEXEC) {
        Ok(p) => p,
        Err(e) => {
            let _ = report.write_all(format!("Epipe: {e}").as_bytes());
            exit_now(1)
        }
    };
    // SAFETY: single-threaded; the child only makes syscalls and then sleeps.
    let holder = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop(n_r);
            drop(report);
            holder_main(n_w)
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(e) => {
            let _ = report.write_all(format!("Efork: {e}").as_bytes());
            exit_now(1)
        }
    };
    drop(n_w);
    let mut tok = String::new();
    let _ = File::from(n_r).read_to_string(&mut tok);
    if tok != "OK" {
        let _ = report.write_all(format!("E{tok}").as_bytes());
        exit_now(1);
    }
    let opts = network::SlirpOptions::default();
    let slirp = match network::Slirp::start(holder.as_raw(), sock, &opts) {
        Ok(s) => s,
        Err(e) => {
            let _ = kill(holder, Signal::SIGKILL);
            let _ = report.write_all(format!("E{e}").as_bytes());
            exit_now(1)
        }
    };
    let _ = report.write_all(format!("R{} {}", getpid(), holder).as_bytes());
    drop(report);
    loop {
        match nix::sys::wait::waitpid(None::<Pid>, None) {
            Ok(
                nix::sys::wait::WaitStatus::Exited(p, _)
                | nix::sys::wait::WaitStatus::Signaled(p, _, _),
            ) => {
                if p == holder {
                    drop(slirp);
                } else {
                    let _ = kill(holder, Signal::SIGKILL);
                    // slirp4netns is gone already: dropping the handle would signal its pid.
                    std::mem::forget(slirp);
                }
                exit_now(0)
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => exit_now(0),
        }
    }
}

/// The holder: dies with netnsd, enters a new network namespace, turns on forwarding there
/// (the bridges route through it to tap0), reports "OK" and sleeps. Never returns.
fn holder_main(n_w: OwnedFd) -> ! {
    let mut w = File::from(n_w);
    // SAFETY: prctl with an integer argument.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    if let Err(e) = unshare(CloneFlags::CLONE_NEWNET) {
        let _ = w.write_all(format!("unshare the network namespace: {e}").as_bytes());
        exit_now(1)
    }
    // /proc/sys/net is the namespace of whoever opens it: this one's. Proxy ARP: slirp4netns
    // sends a published UDP port's datagrams to the container's address as if it were on
    // its own LAN (it asks by ARP); this namespace answers for the addresses it routes to a
    // bridge. (tap0 does not exist yet, hence `all`; a bridge never answers for an address
    // on itself, so containers' own ARP is unaffected.)
    for (knob, what) in [
        ("/proc/sys/net/ipv4/ip_forward", "enable ip_forward"),
        ("/proc/sys/net/ipv4/conf/all/proxy_arp", "enable proxy ARP"),
    ] {
        if let Err(e) = std::fs::write(knob, "1") {
            let _ = w.write_all(format!("{what}: {e}").as_bytes());
            exit_now(1)
        }
    }
    let _ = nix::sys::prctl::set_name(c"burrow-netns");
    let _ = crate::executor::fds::write_or_epipe(&w, b"OK");
    drop(w);
    loop {
        nix::unistd::pause();
    }
}

fn detach_stdio() {
    if let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
        for fd in 0..3 {
            // SAFETY: dup2 onto the standard descriptors of this single-threaded process.
            unsafe { libc::dup2(null.as_raw_fd(), fd) };
        }
    }
}

fn exit_now(code: i32) -> ! {
    // SAFETY: _exit skips the caller's atexit handlers and buffered output.
    unsafe { libc::_exit(code) }
}
