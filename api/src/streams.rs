//! Streams to and from containers: start (with a waiting attach), attach (connection
//! hijacking), resize and logs. A start or attach with a client connected runs `burrow
//! start --attach` / `burrow attach` as a child whose standard streams are the client's:
//! pipes framed in docker's multiplexed format, or a pseudo-terminal for TTY containers
//! (so resizes reach the container through the child's SIGWINCH handling).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue, UPGRADE};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};

use crate::body::{self, ApiError, Resp, Result, mux_frame};
use crate::containers::facts;
use crate::router::{Req, State};
use crate::worker::{Spawned, Stream};

type Reader = Box<dyn AsyncRead + Send + Unpin>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// A client connection handed over for a container's standard streams.
pub struct Hijack {
    pub reader: Option<Reader>,
    pub writer: Writer,
    pub tty: bool,
    pub stdin: bool,
}

const RAW: &str = "application/vnd.docker.raw-stream";
const MUX: &str = "application/vnd.docker.multiplexed-stream";

/// Answers an attach-like request: `101 UPGRADED` when the client asked to upgrade (the
/// connection becomes the stream once the response is out), else a streaming 200 body.
/// The returned receiver yields the connection.
pub fn hijack(req: &mut Req, tty: bool, stdin: bool) -> (Resp, oneshot::Receiver<Hijack>) {
    let (tx, rx) = oneshot::channel();
    let ct = HeaderValue::from_static(if tty { RAW } else { MUX });
    let upgrade = req
        .header("upgrade")
        .is_some_and(|u| u.eq_ignore_ascii_case("tcp"));
    if upgrade {
        let on = hyper::upgrade::on(&mut req.inner);
        let mut r = body::empty(StatusCode::SWITCHING_PROTOCOLS);
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, ct);
        h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        h.insert(UPGRADE, HeaderValue::from_static("tcp"));
        tokio::spawn(async move {
            if let Ok(up) = on.await {
                let (r, w) = tokio::io::split(TokioIo::new(up));
                let _ = tx.send(Hijack {
                    reader: Some(Box::new(r)),
                    writer: Box::new(w),
                    tty,
                    stdin,
                });
            }
        });
        return (r, rx);
    }
    // No upgrade (old clients): output only, as the response body.
    let (mut resp, btx) = body::stream(if tty { RAW } else { MUX });
    *resp.status_mut() = StatusCode::OK;
    let (near, mut far) = tokio::io::duplex(65536);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 32768];
        while let Ok(n) = far.read(&mut buf).await {
            if n == 0 || btx.send(Bytes::copy_from_slice(&buf[..n])).await.is_err() {
                break;
            }
        }
    });
    let _ = tx.send(Hijack {
        reader: None,
        writer: Box::new(near),
        tty,
        stdin: false,
    });
    (resp, rx)
}

pub async fn attach(st: &Arc<State>, id: String, mut req: Req) -> Result<Resp> {
    let f = facts(st, &id).await?;
    if !req.q("stream").is_none_or(|s| s == "1" || s == "true") {
        // `logs=1` without `stream`: what was written so far, then the end.
        return logs_response(st, &f.id, f.tty, false, &req).await;
    }
    let stdin = req.flag("stdin") && f.open_stdin;
    let (resp, rx) = hijack(&mut req, f.tty, stdin);
    if matches!(f.status.as_str(), "running" | "paused") {
        let st = st.clone();
        let args = attach_args("attach", stdin, &f.id);
        tokio::spawn(async move {
            if let Ok(h) = rx.await {
                run_session(&st, &f.id, args, h, Box::new(|_| {})).await;
            }
        });
    } else {
        let mut map = st.attaches.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(f.id.clone(), rx);
    }
    Ok(resp)
}

fn attach_args(verb: &str, stdin: bool, id: &str) -> Vec<String> {
    let mut a: Vec<String> = vec![verb.into()];
    if verb == "start" {
        a.push("--attach".into());
        if stdin {
            a.push("--interactive".into());
        }
    } else if !stdin {
        a.push("--no-stdin".into());
    }
    a.push(id.into());
    a
}

pub async fn start(st: &Arc<State>, id: &str) -> Result<Resp> {
    let f = facts(st, id).await?;
    if matches!(f.status.as_str(), "running" | "paused") {
        return Err(ApiError::new(
            StatusCode::NOT_MODIFIED,
            "container already started",
        ));
    }
    let waiting = st
        .attaches
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&f.id);
    if let Some(rx) = waiting
        && let Ok(Ok(h)) = tokio::time::timeout(Duration::from_secs(10), rx).await
    {
        // The attached client sees everything from the first byte: the child starts the
        // container in the foreground with the client's streams as its own.
        let args = attach_args("start", h.stdin, &f.id);
        st.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(f.id.clone());
        let st2 = st.clone();
        let id = f.id.clone();
        tokio::spawn(async move {
            let st3 = st2.clone();
            let id2 = id.clone();
            let on_exit: OnExit = Box::new(move |code| st3.record_exit(&id2, code));
            run_session(&st2, &id, args, h, on_exit).await;
        });
        return Ok(body::empty(StatusCode::NO_CONTENT));
    }
    st.cli.run(&["start", &f.id]).await?;
    Ok(body::empty(StatusCode::NO_CONTENT))
}

/// What to do with a session's exit status before the client sees the end of the stream
/// (it asks for the exit code right after).
pub type OnExit = Box<dyn FnOnce(i32) + Send>;

/// Runs burrow with the client's streams; `on_exit` gets its exit status (the container's
/// exit code for `start --attach`).
pub async fn run_session(st: &Arc<State>, id: &str, args: Vec<String>, h: Hijack, on_exit: OnExit) {
    let _busy = st.busy();
    if h.tty {
        tty_session(st, id, args, h, on_exit).await
    } else {
        pipe_session(st, args, h, on_exit).await
    }
}

fn exit_code(s: std::io::Result<std::process::ExitStatus>) -> i32 {
    match s {
        Ok(s) => s.code().unwrap_or_else(|| {
            128 + std::os::unix::process::ExitStatusExt::signal(&s).unwrap_or(0)
        }),
        Err(_) => 125,
    }
}

async fn pipe_session(st: &State, args: Vec<String>, h: Hijack, on_exit: OnExit) {
    let stdin = if h.stdin { Stream::Piped } else { Stream::Null };
    let mut sp = match st
        .cli
        .spawn(&args, [stdin, Stream::Piped, Stream::Piped], false)
    {
        Ok(c) => c,
        Err(e) => {
            let mut w = h.writer;
            on_exit(125);
            let _ = w
                .write_all(&mux_frame(2, format!("Error: {e}\n").as_bytes()))
                .await;
            let _ = w.shutdown().await;
            return;
        }
    };
    if crate::router::tracing() {
        let how = if sp.warm { "warm" } else { "exec" };
        eprintln!(
            "{}    burrow {} ({how})",
            crate::router::stamp(),
            args.join(" ")
        );
    }
    let (tx, mut rx) = mpsc::channel::<Bytes>(64);
    let mut writer = h.writer;
    let write_task = tokio::spawn(async move {
        while let Some(b) = rx.recv().await {
            if writer.write_all(&b).await.is_err() {
                break;
            }
            let _ = writer.flush().await;
        }
        let _ = writer.shutdown().await;
    });
    // Held until the exit status is recorded: the stream ends only after that.
    let hold = tx.clone();
    let pump = |r: Option<Box<dyn AsyncRead + Send + Unpin>>, kind: u8, tx: mpsc::Sender<Bytes>| {
        tokio::spawn(async move {
            let Some(mut r) = r else { return };
            let mut buf = vec![0u8; 32768];
            while let Ok(n) = r.read(&mut buf).await {
                if n == 0 || tx.send(mux_frame(kind, &buf[..n])).await.is_err() {
                    break;
                }
            }
        })
    };
    let out = pump(
        sp.stdout.take().map(|o| Box::new(o) as Reader),
        1,
        tx.clone(),
    );
    let err = pump(
        sp.stderr.take().map(|o| Box::new(o) as Reader),
        2,
        tx.clone(),
    );
    drop(tx);
    if let (Some(mut input), Some(mut reader)) = (sp.stdin.take(), h.reader) {
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut reader, &mut input).await;
            let _ = input.shutdown().await;
        });
    }
    let status = sp.child.wait().await;
    let _ = out.await;
    let _ = err.await;
    on_exit(exit_code(status));
    drop(hold);
    let _ = write_task.await;
}

/// A pseudo-terminal pair whose master is registered for `resize`. Both ends close on exec
/// from the start (openpty(3) opens them inheritable, and a child started meanwhile by
/// another request would keep them): the master through posix_openpt, the slave through
/// TIOCGPTPEER (Linux 4.13) rather than by its name.
fn open_pty() -> std::io::Result<(OwnedFd, OwnedFd)> {
    use nix::fcntl::OFlag;
    let master = nix::pty::posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)?;
    nix::pty::grantpt(&master)?;
    nix::pty::unlockpt(&master)?;
    // SAFETY: TIOCGPTPEER on the master we own returns a new descriptor or -1.
    let fd = unsafe {
        libc::ioctl(
            master.as_raw_fd(),
            libc::TIOCGPTPEER,
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the ioctl just opened `fd` for us; nothing else owns it.
    let slave = unsafe { OwnedFd::from_raw_fd(fd) };
    if let Ok(mut t) = nix::sys::termios::tcgetattr(&slave) {
        nix::sys::termios::cfmakeraw(&mut t);
        let _ = nix::sys::termios::tcsetattr(&slave, nix::sys::termios::SetArg::TCSANOW, &t);
    }
    Ok((master.into(), slave))
}

async fn tty_session(st: &State, id: &str, args: Vec<String>, h: Hijack, on_exit: OnExit) {
    let mut writer = h.writer;
    let fail = |on_exit: OnExit| on_exit(125);
    let Ok((master, slave)) = open_pty() else {
        fail(on_exit);
        let _ = writer.shutdown().await;
        return;
    };
    // The size the client asked for at create: the process starts with it (burrow copies
    // its terminal's size into the container's), before the client's resize arrives.
    if let Some((h, w)) = st.console_size(id) {
        let _ = set_size(&master, h, w);
    }
    let (Ok(a), Ok(b), Ok(c)) = (slave.try_clone(), slave.try_clone(), slave.try_clone()) else {
        fail(on_exit);
        let _ = writer.shutdown().await;
        return;
    };
    let streams = [Stream::Fd(a), Stream::Fd(b), Stream::Fd(c)];
    let Ok(Spawned { mut child, .. }) = st.cli.spawn(&args, streams, true) else {
        fail(on_exit);
        let _ = writer.shutdown().await;
        return;
    };
    drop(slave);
    let master = Arc::new(master);
    st.ttys
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.to_string(), master.clone());
    let (Ok(rfd), Ok(wfd)) = (master.try_clone(), master.try_clone()) else {
        let _ = child.kill().await;
        fail(on_exit);
        let _ = writer.shutdown().await;
        return;
    };
    let mut from_pty = tokio::fs::File::from_std(std::fs::File::from(rfd));
    let mut to_pty = tokio::fs::File::from_std(std::fs::File::from(wfd));
    // The output ends at EIO (every holder of the terminal closed it) or, once the child has
    // exited, when the terminal has had nothing more to say for a moment: a process the child
    // left behind (its container's monitor) may hold the terminal open for longer.
    let (exited_tx, mut exited_rx) = watch::channel(false);
    let output = tokio::spawn(async move {
        let mut buf = vec![0u8; 32768];
        loop {
            let read = if *exited_rx.borrow() {
                match tokio::time::timeout(DRAIN_IDLE, from_pty.read(&mut buf)).await {
                    Ok(r) => r,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    r = from_pty.read(&mut buf) => r,
                    _ = exited_rx.changed() => continue,
                }
            };
            match read {
                Ok(n) if n > 0 => {
                    if writer.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    let _ = writer.flush().await;
                }
                _ => break,
            }
        }
        let _ = writer.shutdown().await;
    });
    let input = h.reader.filter(|_| h.stdin).map(|mut reader| {
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok(n) = reader.read(&mut buf).await {
                if n == 0 || to_pty.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                let _ = to_pty.flush().await;
            }
        })
    });
    let status = child.wait().await;
    st.ttys.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    let _ = exited_tx.send(true);
    on_exit(exit_code(status));
    let _ = output.await;
    if let Some(i) = input {
        i.abort();
    }
}

/// How long the terminal of an exited session may stay silent before its output ends.
const DRAIN_IDLE: Duration = Duration::from_millis(50);

/// Sets a pseudo-terminal's size; the process holding it as controlling terminal gets
/// SIGWINCH and passes the size on to the container.
pub fn set_size(fd: &OwnedFd, rows: u16, cols: u16) -> std::io::Result<()> {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads a winsize from a valid pointer; fd is an open pty master.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn dims(req: &Req) -> Result<(u16, u16)> {
    let n = |k: &str| {
        req.q(k)
            .and_then(|v| v.parse::<u16>().ok())
            .ok_or_else(|| ApiError::bad_request(format!("resize: {k} must be a number")))
    };
    Ok((n("h")?, n("w")?))
}

pub async fn resize(st: &State, id: &str, req: &Req) -> Result<Resp> {
    let (h, w) = dims(req)?;
    let f = facts(st, id).await?;
    let tty = st
        .ttys
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&f.id)
        .cloned();
    if let Some(fd) = tty {
        set_size(&fd, h, w).map_err(|e| ApiError::internal(format!("resize: {e}")))?;
    }
    Ok(body::empty(StatusCode::OK))
}

pub async fn logs(st: &Arc<State>, id: &str, req: &Req) -> Result<Resp> {
    let f = facts(st, id).await?;
    logs_response(st, &f.id, f.tty, req.flag("follow"), req).await
}

async fn logs_response(
    st: &Arc<State>,
    id: &str,
    tty: bool,
    follow: bool,
    req: &Req,
) -> Result<Resp> {
    let mut args: Vec<String> = vec!["logs".into()];
    if follow {
        args.push("--follow".into());
    }
    if req.flag("timestamps") {
        args.push("--timestamps".into());
    }
    for k in ["since", "until"] {
        if let Some(v) = req.q(k).filter(|v| !v.is_empty() && *v != "0") {
            args.push(format!("--{k}"));
            args.push(v.split('.').next().unwrap_or(v).to_string());
        }
    }
    if let Some(t) = req.q("tail").filter(|t| !t.is_empty() && *t != "all") {
        args.push("--tail".into());
        args.push(t.to_string());
    }
    args.push(id.into());
    let want_out = req.q("stdout").is_none() || req.flag("stdout");
    let want_err = req.q("stderr").is_none() || req.flag("stderr");
    let mut child = st
        .cli
        .command(&args)
        .spawn()
        .map_err(|e| ApiError::internal(format!("run burrow logs: {e}")))?;
    let (resp, tx) = body::stream(if tty { RAW } else { MUX });
    let busy = st.busy();
    let frame = move |kind: u8, data: &[u8]| {
        if tty {
            Bytes::copy_from_slice(data)
        } else {
            mux_frame(kind, data)
        }
    };
    let pump = |r: Option<Reader>, kind: u8, want: bool, tx: mpsc::Sender<Bytes>| {
        tokio::spawn(async move {
            let Some(mut r) = r else { return };
            let mut buf = vec![0u8; 32768];
            while let Ok(n) = r.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                if want && tx.send(frame(kind, &buf[..n])).await.is_err() {
                    break;
                }
            }
        })
    };
    let o = pump(
        child.stdout.take().map(|x| Box::new(x) as Reader),
        1,
        want_out,
        tx.clone(),
    );
    let e = pump(
        child.stderr.take().map(|x| Box::new(x) as Reader),
        2,
        want_err,
        tx,
    );
    tokio::spawn(async move {
        let _busy = busy;
        let _ = o.await;
        let _ = e.await;
        let _ = child.wait().await;
    });
    Ok(resp)
}
