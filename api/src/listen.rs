//! Where the service listens (a socket systemd passed in, a unix path, or a loopback TCP
//! port), who may connect (the socket's owner only), and when it goes away (idle timeout).

use std::net::SocketAddr;
use std::os::fd::FromRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, UnixListener};

use crate::Options;
use crate::router::{self, State};

pub enum Listener {
    Unix(UnixListener, Option<PathBuf>),
    Tcp(TcpListener),
}

/// The first descriptor systemd passes (sd_listen_fds(3)).
const SD_LISTEN_FDS_START: i32 = 3;

/// A socket from systemd when LISTEN_PID names this process, else the URI (or the default
/// path under the runtime directory).
pub async fn open(o: &Options, passed: Option<i32>) -> Result<Listener, String> {
    if let Some(fd) = passed {
        return activated(fd);
    }
    let uri = match &o.uri {
        Some(u) => u.clone(),
        None => format!("unix://{}", default_socket().display()),
    };
    if let Some(path) = uri.strip_prefix("unix://") {
        let path = PathBuf::from(path);
        if let Some(dir) = path.parent() {
            let fresh = !dir.exists();
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("create socket directory {}: {e}", dir.display()))?;
            if fresh {
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            }
        }
        // A socket file left by a service that died is in the way of bind.
        if std::os::unix::net::UnixStream::connect(&path).is_err() {
            let _ = std::fs::remove_file(&path);
        }
        let l =
            UnixListener::bind(&path).map_err(|e| format!("listen on {}: {e}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("chmod {}: {e}", path.display()))?;
        return Ok(Listener::Unix(l, Some(path)));
    }
    if let Some(addr) = uri.strip_prefix("tcp://") {
        let addr: SocketAddr = addr.trim_end_matches('/').parse().map_err(|_| {
            format!("invalid address \"{uri}\": want tcp://IP:PORT, e.g. tcp://127.0.0.1:2375")
        })?;
        if !addr.ip().is_loopback() {
            if !o.allow_remote {
                return Err(format!(
                    "refusing to listen on {addr}: the API has no authentication; use a \
                     loopback address or pass --allow-remote"
                ));
            }
            eprintln!(
                "WARNING: listening on {addr} without TLS or authentication: anyone who can \
                 reach it controls your containers"
            );
        }
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("listen on {addr}: {e}"))?;
        return Ok(Listener::Tcp(l));
    }
    Err(format!(
        "invalid URI \"{uri}\": want unix:///PATH or tcp://IP:PORT"
    ))
}

/// `$XDG_RUNTIME_DIR/burrow/burrow.sock`, or `/run/burrow/burrow.sock` for root.
pub fn default_socket() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/run/burrow/burrow.sock");
    }
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("/run/user/{}", nix::unistd::getuid())));
    base.join("burrow").join("burrow.sock")
}

/// The descriptor systemd passed, if LISTEN_PID names this process; the variables are
/// removed so that no child sees them. Called before any thread starts (environment writes
/// race with readers on other threads).
pub fn take_activation() -> Option<i32> {
    let pid_ok = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p == std::process::id());
    let fds = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse::<i32>().ok())
        .unwrap_or(0);
    // SAFETY: main calls this before the runtime starts: the process has one thread.
    unsafe {
        std::env::remove_var("LISTEN_PID");
        std::env::remove_var("LISTEN_FDS");
        std::env::remove_var("LISTEN_FDNAMES");
    }
    (pid_ok && fds >= 1).then_some(SD_LISTEN_FDS_START)
}

fn activated(fd: i32) -> Result<Listener, String> {
    let _ = nix::fcntl::fcntl(
        // SAFETY: fd 3 is the socket systemd passed (LISTEN_FDS >= 1 for this pid).
        unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) },
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    );
    let family = nix::sys::socket::getsockname::<nix::sys::socket::SockaddrStorage>(fd)
        .map_err(|e| format!("inspect the socket systemd passed (fd 3): {e}"))?;
    if family.as_unix_addr().is_some() {
        // SAFETY: fd 3 is a listening unix socket we now own.
        let std_l = unsafe { std::os::unix::net::UnixListener::from_raw_fd(fd) };
        std_l
            .set_nonblocking(true)
            .map_err(|e| format!("socket from systemd: {e}"))?;
        let l = UnixListener::from_std(std_l).map_err(|e| format!("socket from systemd: {e}"))?;
        Ok(Listener::Unix(l, None))
    } else {
        // SAFETY: fd 3 is a listening TCP socket we now own.
        let std_l = unsafe { std::net::TcpListener::from_raw_fd(fd) };
        std_l
            .set_nonblocking(true)
            .map_err(|e| format!("socket from systemd: {e}"))?;
        let l = TcpListener::from_std(std_l).map_err(|e| format!("socket from systemd: {e}"))?;
        Ok(Listener::Tcp(l))
    }
}

/// Counts open connections; the service may leave only when none is open.
struct Activity {
    open: AtomicUsize,
    last: std::sync::Mutex<Instant>,
}

impl Activity {
    fn touch(&self) {
        if let Ok(mut l) = self.last.lock() {
            *l = Instant::now();
        }
    }
}

struct Guard(Arc<Activity>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

pub async fn serve(listener: Listener, state: Arc<State>, idle: Option<Duration>) {
    let activity = Arc::new(Activity {
        open: AtomicUsize::new(0),
        last: std::sync::Mutex::new(Instant::now()),
    });
    let me = nix::unistd::geteuid().as_raw();
    loop {
        let tick = idle.map_or(Duration::from_secs(3600), |d| {
            d.min(Duration::from_millis(500))
        });
        let accepted = tokio::select! {
            a = accept(&listener, me) => a,
            _ = tokio::time::sleep(tick) => None,
        };
        match accepted {
            Some(Conn::Unix(s)) => spawn_conn(TokioIo::new(s), &state, &activity),
            Some(Conn::Tcp(s)) => spawn_conn(TokioIo::new(s), &state, &activity),
            None => {}
        }
        if let Some(idle) = idle {
            let quiet = activity
                .last
                .lock()
                .map(|l| l.elapsed())
                .unwrap_or_default();
            let open = activity.open.load(Ordering::SeqCst) + state.busy.load(Ordering::SeqCst);
            if open == 0 && quiet >= idle {
                break;
            }
        }
    }
    if let Listener::Unix(_, Some(path)) = &listener {
        let _ = std::fs::remove_file(path);
    }
}

enum Conn {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

async fn accept(l: &Listener, me: u32) -> Option<Conn> {
    match l {
        Listener::Unix(l, _) => {
            let (s, _) = l.accept().await.ok()?;
            // The socket's mode already keeps others out; the peer check holds even if
            // someone loosened it (root may always connect).
            let uid = s.peer_cred().ok()?.uid();
            (uid == me || uid == 0).then_some(Conn::Unix(s))
        }
        Listener::Tcp(l) => l.accept().await.ok().map(|(s, _)| Conn::Tcp(s)),
    }
}

fn spawn_conn<I>(io: TokioIo<I>, state: &Arc<State>, activity: &Arc<Activity>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    activity.open.fetch_add(1, Ordering::SeqCst);
    activity.touch();
    let guard = Guard(activity.clone());
    let state = state.clone();
    tokio::spawn(async move {
        let _guard = guard;
        let svc = service_fn(move |req| router::handle(state.clone(), req));
        let _ = http1::Builder::new()
            .serve_connection(io, svc)
            .with_upgrades()
            .await;
    });
}
