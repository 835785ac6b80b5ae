//! burrow's TCP port forwarder, what podman calls rootlessport: a small process that listens
//! on the host's ports and, for each connection, opens one from inside the container's network
//! namespace to the published container port, then moves the bytes with `splice` (kernel to
//! kernel, no copy through user space).
//!
//! Why not slirp4netns's own `add_hostfwd`: every byte then goes through libslirp's user-space
//! TCP stack, which moves a 100 MB download at a fifth of podman's speed. podman's default
//! (`port_handler=rootlesskit`) forwards like this; `slirp4netns:port_handler=slirp4netns`
//! still selects the API forwarding, and UDP always takes it (a datagram has no connection to
//! splice).

use std::fs::File;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::time::Duration;

use nix::fcntl::{OFlag, SpliceFFlags, splice};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sched::{CloneFlags, setns};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork, pipe2};

use crate::{NetworkError, PortMapping, Protocol};

/// How much one splice moves at most; also the pipe size asked for.
const CHUNK: usize = 1 << 20;
/// A connection thread only runs the splice loop: a small stack is plenty.
const THREAD_STACK: usize = 64 * 1024;
/// A published port whose container side does not answer gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running forwarder process; stopping or dropping it frees the host ports at once.
#[derive(Debug)]
pub struct Forwarder {
    pid: Pid,
}

/// One host port being served: the listener and where its connections go.
struct Route {
    listener: TcpListener,
    container_port: u16,
}

fn bind(m: &PortMapping) -> Result<TcpListener, NetworkError> {
    let addr = SocketAddr::new(m.host_addr(), m.host_port);
    TcpListener::bind(addr).map_err(|e| crate::ports::bind_error(addr, e))
}

impl Forwarder {
    /// Binds the TCP mappings of `ports` on the host now (a taken port fails here, before the
    /// container runs), then forks the process that serves them: it enters the network
    /// namespace at `netns` and connects every accepted connection to `target`, the container's
    /// address there. None when no mapping is TCP. The caller must be single-threaded and
    /// privileged over that namespace (in the user namespace owning it).
    pub fn spawn(
        netns: &Path,
        target: IpAddr,
        ports: &[PortMapping],
    ) -> Result<Option<Forwarder>, NetworkError> {
        let mut routes = Vec::new();
        for m in ports.iter().filter(|m| m.protocol == Protocol::Tcp) {
            routes.push(Route {
                listener: bind(m)?,
                container_port: m.container_port,
            });
        }
        if routes.is_empty() {
            return Ok(None);
        }
        let ns = File::open(netns).map_err(|e| NetworkError::Io {
            what: format!("open the network namespace {}", netns.display()),
            source: e,
        })?;
        let parent = nix::unistd::getpid();
        // SAFETY: burrow is single-threaded here (the caller's contract), so the child may run
        // ordinary code: it never returns into the caller and leaves through _exit.
        match unsafe { fork() } {
            Err(e) => Err(NetworkError::Io {
                what: "fork the port forwarder".into(),
                source: e.into(),
            }),
            Ok(ForkResult::Parent { child }) => Ok(Some(Forwarder { pid: child })),
            Ok(ForkResult::Child) => {
                let code = match serve(parent, ns, target, routes) {
                    Ok(()) => 0,
                    Err(_) => 1,
                };
                // SAFETY: leave without running the caller's exit handlers or destructors.
                unsafe { libc::_exit(code) }
            }
        }
    }

    /// Ends the forwarder and waits for it, so the host ports are free when this returns.
    pub fn stop(self) {
        drop(self)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        let _ = kill(self.pid, Signal::SIGKILL);
        let _ = waitpid(self.pid, None);
    }
}

/// The forwarder process: never returns while its parent lives.
fn serve(parent: Pid, ns: File, target: IpAddr, routes: Vec<Route>) -> Result<(), NetworkError> {
    let sys = |what: &str| {
        let what = what.to_string();
        move |e: nix::errno::Errno| NetworkError::Io {
            what,
            source: e.into(),
        }
    };
    // It must not outlive whoever serves the container (the CLI or the monitor), even killed.
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(sys("set the parent-death signal"))?;
    if nix::unistd::getppid() != parent {
        return Ok(());
    }
    let _ = nix::sys::prctl::set_name(c"burrow-portfwd");
    // The parent's descriptors (the container's stdio pipes, the state database) must not be
    // held open here: a pipe kept open would hide the container's EOF.
    let keep: Vec<RawFd> = routes
        .iter()
        .map(|r| r.listener.as_raw_fd())
        .chain([ns.as_raw_fd(), 0, 1, 2])
        .collect();
    close_all_but(&keep);
    // The listeners were bound in the host's namespace and stay there; every socket made from
    // now on (the connections to the container) is made in the container's.
    setns(ns.as_fd(), CloneFlags::CLONE_NEWNET).map_err(sys("enter the network namespace"))?;
    drop(ns);
    // The parent blocks signals while it supervises; none of that applies here.
    let _ = nix::sys::signal::sigprocmask(
        nix::sys::signal::SigmaskHow::SIG_SETMASK,
        Some(&nix::sys::signal::SigSet::empty()),
        None,
    );
    let mut fds: Vec<PollFd> = routes
        .iter()
        .map(|r| PollFd::new(r.listener.as_fd(), PollFlags::POLLIN))
        .collect();
    loop {
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(sys("poll the published ports")(e)),
        }
        let ready: Vec<usize> = fds
            .iter()
            .enumerate()
            .filter(|(_, f)| f.revents().is_some_and(|r| !r.is_empty()))
            .map(|(i, _)| i)
            .collect();
        for i in ready {
            let route = &routes[i];
            if let Ok((client, _)) = route.listener.accept() {
                let to = SocketAddr::new(target, route.container_port);
                let _ = std::thread::Builder::new()
                    .stack_size(THREAD_STACK)
                    .spawn(move || connect_and_pump(client, to));
            }
        }
    }
}

/// Closes every descriptor of this process except `keep` (the child of a fork).
fn close_all_but(keep: &[RawFd]) {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<RawFd> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .filter(|fd| !keep.contains(fd))
        .collect();
    for fd in fds {
        // SAFETY: these descriptors belong to the parent's objects, which this process never
        // touches again; closing the one read_dir used is harmless once the listing is done.
        unsafe { libc::close(fd) };
    }
}

/// Serves one connection: connects to the container and moves both directions until each
/// side has closed its half.
fn connect_and_pump(client: TcpStream, to: SocketAddr) {
    let Ok(server) = TcpStream::connect_timeout(&to, CONNECT_TIMEOUT) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let upstream = std::thread::Builder::new()
        .stack_size(THREAD_STACK)
        .spawn(move || pump(&c2, &s2));
    pump(&server, &client);
    if let Ok(t) = upstream {
        let _ = t.join();
    }
}

/// Moves bytes from `from` to `to` through a pipe with splice until `from` ends, then passes
/// the end on (shutdown of `to`'s write side). An error on either side ends both directions.
fn pump(from: &TcpStream, to: &TcpStream) {
    if splice_all(from, to).is_err() {
        let _ = from.shutdown(std::net::Shutdown::Both);
        let _ = to.shutdown(std::net::Shutdown::Both);
        return;
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

fn splice_all(from: &TcpStream, to: &TcpStream) -> nix::Result<()> {
    let (pr, pw): (OwnedFd, OwnedFd) = pipe2(OFlag::O_CLOEXEC)?;
    // A bigger pipe moves more per call; the default 64 KiB is kept if the limit refuses.
    let _ = nix::fcntl::fcntl(&pw, nix::fcntl::FcntlArg::F_SETPIPE_SZ(CHUNK as i32));
    // No SPLICE_F_MORE: on a TCP socket it corks, and the last partial segment of a response
    // would then wait for the 200 ms cork timer.
    let flags = SpliceFFlags::SPLICE_F_MOVE;
    loop {
        let n = match splice(from, None, &pw, None, CHUNK, flags) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e),
        };
        let mut left = n;
        while left > 0 {
            match splice(&pr, None, to, None, left, flags) {
                Ok(0) => return Err(nix::errno::Errno::EPIPE),
                Ok(m) => left -= m,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
    }
}
