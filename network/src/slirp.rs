//! A slirp4netns process serving one network namespace.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{NetworkError, PortMapping, SlirpOptions};

/// How long slirp4netns may take to configure the namespace before start gives up.
const READY_TIMEOUT_MS: libc::c_int = 30_000;

pub struct Slirp {
    child: Child,
    api_socket: PathBuf,
    /// The ids of the published forwards (`add_hostfwd`'s reply), removed again at stop so the
    /// host ports are free before we return.
    forwards: std::cell::RefCell<Vec<u64>>,
    /// Write end of `--exit-fd`: slirp4netns exits when this process is gone, even if killed.
    _exit_w: OwnedFd,
}

/// A pipe whose read end (first) is inherited across exec and whose write end is not, or the
/// reverse when `inherit_write`.
fn pipe(inherit_write: bool) -> Result<(OwnedFd, OwnedFd), NetworkError> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two-element array; both ends are owned right below.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io("pipe")(std::io::Error::last_os_error()));
    }
    // SAFETY: fresh descriptors from pipe2, owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let inherited = if inherit_write { &w } else { &r };
    // SAFETY: F_SETFD on our own descriptor. burrow is single-threaded, so no other fork can
    // inherit it before the caller drops its copy.
    unsafe { libc::fcntl(inherited.as_raw_fd(), libc::F_SETFD, 0) };
    Ok((r, w))
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> NetworkError {
    let what = format!("slirp4netns: {}", what.into());
    move |source| NetworkError::Io { what, source }
}

/// A slirp4netns process that was started and is configuring the namespace; [`wait`] for it.
///
/// [`wait`]: StartingSlirp::wait
pub struct StartingSlirp {
    child: Child,
    api_socket: PathBuf,
    ready_r: OwnedFd,
    exit_w: OwnedFd,
}

impl StartingSlirp {
    /// Blocks on `--ready-fd` (no polling with sleeps) until tap0 is configured.
    pub fn wait(self) -> Result<Slirp, NetworkError> {
        let StartingSlirp {
            mut child,
            api_socket,
            ready_r,
            exit_w,
        } = self;
        let mut pfd = libc::pollfd {
            fd: ready_r.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one valid descriptor held by `ready_r`.
        let polled = unsafe { libc::poll(&mut pfd, 1, READY_TIMEOUT_MS) };
        let mut b = [0u8; 1];
        let n = if polled > 0 {
            File::from(ready_r).read(&mut b).unwrap_or(0)
        } else {
            0
        };
        if n == 0 {
            let _ = child.kill();
            let out = child.wait_with_output();
            let stderr = out
                .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
                .unwrap_or_default();
            return Err(NetworkError::SlirpFailed(if stderr.is_empty() {
                "exited before the network was configured".to_string()
            } else {
                stderr
            }));
        }
        // Nobody reads its stderr from here on: a full pipe must never block it.
        drop(child.stderr.take());
        Ok(Slirp {
            child,
            api_socket,
            forwards: std::cell::RefCell::new(Vec::new()),
            _exit_w: exit_w,
        })
    }
}

impl Slirp {
    /// Starts slirp4netns against the network namespace of `netns_pid` and returns at once:
    /// the caller goes on with the container's setup while slirp4netns configures tap0
    /// (10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3 by default). The caller must be in the
    /// user namespace owning that network namespace.
    pub fn spawn(
        netns_pid: i32,
        api_socket: &Path,
        opts: &SlirpOptions,
    ) -> Result<StartingSlirp, NetworkError> {
        let _ = std::fs::remove_file(api_socket);
        let (ready_r, ready_w) = pipe(true)?;
        let (exit_r, exit_w) = pipe(false)?;
        let mut cmd = Command::new("slirp4netns");
        cmd.arg("--configure")
            .arg(format!("--mtu={}", opts.mtu))
            .arg(format!("--cidr={}/{}", opts.cidr.0, opts.cidr.1))
            // As podman: slirp4netns itself runs confined.
            .arg("--enable-seccomp");
        if !opts.allow_host_loopback {
            cmd.arg("--disable-host-loopback");
        }
        if opts.enable_ipv6 {
            cmd.arg("--enable-ipv6");
        }
        if let Some(a) = &opts.outbound_addr {
            cmd.arg(format!("--outbound-addr={a}"));
        }
        if let Some(a) = &opts.outbound_addr6 {
            cmd.arg(format!("--outbound-addr6={a}"));
        }
        let spawned = cmd
            .arg("--api-socket")
            .arg(api_socket)
            .arg("--ready-fd")
            .arg(ready_w.as_raw_fd().to_string())
            .arg("--exit-fd")
            .arg(exit_r.as_raw_fd().to_string())
            .arg(netns_pid.to_string())
            .arg("tap0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        // Our copy of the write end must go, so a slirp4netns that dies reads as EOF.
        drop(ready_w);
        drop(exit_r);
        let child = spawned.map_err(io("run slirp4netns (install the slirp4netns package)"))?;
        Ok(StartingSlirp {
            child,
            api_socket: api_socket.to_path_buf(),
            ready_r,
            exit_w,
        })
    }

    /// [`Slirp::spawn`] then [`StartingSlirp::wait`].
    pub fn start(
        netns_pid: i32,
        api_socket: &Path,
        opts: &SlirpOptions,
    ) -> Result<Slirp, NetworkError> {
        Slirp::spawn(netns_pid, api_socket, opts)?.wait()
    }

    fn api_error(&self, why: impl Into<String>) -> NetworkError {
        NetworkError::Api {
            path: self.api_socket.clone(),
            why: why.into(),
        }
    }

    /// Forwards a host port into the namespace (slirp4netns's `add_hostfwd`).
    pub fn add_hostfwd(&self, m: &PortMapping) -> Result<(), NetworkError> {
        let v = self.call(&hostfwd_request(m, None)).map_err(|why| {
            self.api_error(format!(
                "add_hostfwd {}:{} -> {}/{}: {why}",
                m.host_addr(),
                m.host_port,
                m.container_port,
                m.protocol
            ))
        })?;
        match v.pointer("/return/id").and_then(|i| i.as_u64()) {
            Some(id) => self.forwards.borrow_mut().push(id),
            // No id to remove it by: stop must then wait for slirp4netns to exit.
            None => self.forwards.borrow_mut().push(u64::MAX),
        }
        Ok(())
    }

    /// One API request; the reply, or why it failed.
    fn call(&self, req: &serde_json::Value) -> Result<serde_json::Value, String> {
        api_call(&self.api_socket, req)
    }

    /// Ends slirp4netns and removes its API socket (dropping a `Slirp` does the same).
    pub fn stop(self) {
        drop(self);
    }
}

/// `add_hostfwd` through the API socket of a slirp4netns another process started (the
/// rootless netns's): forwards a host port to `guest_addr` inside its namespace. Returns the
/// forward's id, for [`api_remove_hostfwd`].
pub fn api_add_hostfwd(
    api_socket: &Path,
    m: &PortMapping,
    guest_addr: std::net::Ipv4Addr,
) -> Result<u64, NetworkError> {
    let v = api_call(api_socket, &hostfwd_request(m, Some(guest_addr))).map_err(|why| {
        NetworkError::Api {
            path: api_socket.to_path_buf(),
            why: format!(
                "add_hostfwd {}:{} -> {guest_addr}:{}/{}: {why}",
                m.host_addr(),
                m.host_port,
                m.container_port,
                m.protocol
            ),
        }
    })?;
    v.pointer("/return/id")
        .and_then(|i| i.as_u64())
        .ok_or_else(|| NetworkError::Api {
            path: api_socket.to_path_buf(),
            why: format!("add_hostfwd returned no id: {v}"),
        })
}

/// slirp4netns's `add_hostfwd` request for `m`; without `guest_addr` slirp4netns forwards to
/// its own guest's address.
fn hostfwd_request(m: &PortMapping, guest_addr: Option<std::net::Ipv4Addr>) -> serde_json::Value {
    let mut arguments = serde_json::json!({
        "proto": m.protocol.as_str(),
        "host_addr": m.host_addr().to_string(),
        "host_port": m.host_port,
        "guest_port": m.container_port,
    });
    if let Some(addr) = guest_addr {
        arguments["guest_addr"] = serde_json::json!(addr.to_string());
    }
    serde_json::json!({"execute": "add_hostfwd", "arguments": arguments})
}

/// Removes a forward [`api_add_hostfwd`] made.
pub fn api_remove_hostfwd(api_socket: &Path, id: u64) -> Result<(), NetworkError> {
    let req = serde_json::json!({"execute": "remove_hostfwd", "arguments": {"id": id}});
    api_call(api_socket, &req)
        .map(|_| ())
        .map_err(|why| NetworkError::Api {
            path: api_socket.to_path_buf(),
            why: format!("remove_hostfwd {id}: {why}"),
        })
}

/// One API request; the reply, or why it failed.
fn api_call(api_socket: &Path, req: &serde_json::Value) -> Result<serde_json::Value, String> {
    let mut sock = UnixStream::connect(api_socket).map_err(|e| e.to_string())?;
    let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
    sock.write_all(req.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    // slirp4netns reads one request until EOF on the write side, then replies.
    let _ = sock.shutdown(std::net::Shutdown::Write);
    let mut reply = String::new();
    sock.read_to_string(&mut reply).map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        serde_json::from_str(&reply).map_err(|e| format!("unreadable reply {reply:?}: {e}"))?;
    if let Some(err) = v.get("error") {
        return Err(err
            .get("desc")
            .and_then(|d| d.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| err.to_string()));
    }
    Ok(v)
}

impl Drop for Slirp {
    fn drop(&mut self) {
        // The host ports must be free when we return. slirp4netns's exit would free them, but
        // only after deleting tap0, which waits for an RCU grace period (tens of ms); removing
        // the forwards through the API closes the listening sockets at once.
        let mut must_wait = false;
        for id in self.forwards.take() {
            let req = serde_json::json!({"execute": "remove_hostfwd", "arguments": {"id": id}});
            must_wait |= id == u64::MAX || self.call(&req).is_err();
        }
        let _ = self.child.kill();
        // Otherwise it is reaped once this process exits (re-parented), or at the next wait.
        if must_wait {
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.api_socket);
    }
}
