//! A slirp4netns process serving one network namespace.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{NetworkError, PortMapping};

/// The resolver slirp4netns answers on inside the namespace (`--configure`).
pub const SLIRP_DNS: &str = "10.0.2.3";

/// How long slirp4netns may take to configure the namespace before start gives up.
const READY_TIMEOUT_MS: libc::c_int = 30_000;

pub struct Slirp {
    child: Child,
    api_socket: PathBuf,
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
    let what = what.into();
    move |source| NetworkError::Io { what, source }
}

impl Slirp {
    /// Starts slirp4netns against the network namespace of `netns_pid` and waits until it has
    /// configured tap0 (10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3). The caller must be in
    /// the user namespace owning that network namespace.
    pub fn start(netns_pid: i32, api_socket: &Path, mtu: u32) -> Result<Slirp, NetworkError> {
        let _ = std::fs::remove_file(api_socket);
        let (ready_r, ready_w) = pipe(true)?;
        let (exit_r, exit_w) = pipe(false)?;
        let spawned = Command::new("slirp4netns")
            .arg("--configure")
            .arg(format!("--mtu={mtu}"))
            .arg("--disable-host-loopback")
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
        let mut child = spawned.map_err(io("run slirp4netns"))?;
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
            api_socket: api_socket.to_path_buf(),
            _exit_w: exit_w,
        })
    }

    fn api_error(&self, why: impl Into<String>) -> NetworkError {
        NetworkError::Api {
            path: self.api_socket.clone(),
            why: why.into(),
        }
    }

    /// Forwards a host port into the namespace (slirp4netns's `add_hostfwd`).
    pub fn add_hostfwd(&self, m: &PortMapping) -> Result<(), NetworkError> {
        let req = serde_json::json!({
            "execute": "add_hostfwd",
            "arguments": {
                "proto": m.protocol.as_str(),
                "host_addr": m.host_addr().to_string(),
                "host_port": m.host_port,
                "guest_port": m.container_port,
            }
        });
        let mut sock =
            UnixStream::connect(&self.api_socket).map_err(|e| self.api_error(e.to_string()))?;
        let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
        sock.write_all(req.to_string().as_bytes())
            .map_err(|e| self.api_error(e.to_string()))?;
        // slirp4netns reads one request until EOF on the write side, then replies.
        let _ = sock.shutdown(std::net::Shutdown::Write);
        let mut reply = String::new();
        sock.read_to_string(&mut reply)
            .map_err(|e| self.api_error(e.to_string()))?;
        let v: serde_json::Value = serde_json::from_str(&reply)
            .map_err(|e| self.api_error(format!("unreadable reply {reply:?}: {e}")))?;
        if let Some(err) = v.get("error") {
            let desc = err
                .get("desc")
                .and_then(|d| d.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| err.to_string());
            return Err(self.api_error(format!(
                "add_hostfwd {}:{} -> {}/{}: {desc}",
                m.host_addr(),
                m.host_port,
                m.container_port,
                m.protocol
            )));
        }
        Ok(())
    }

    /// Ends slirp4netns and removes its API socket (dropping a `Slirp` does the same).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Slirp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.api_socket);
    }
}
