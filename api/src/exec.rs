//! Exec sessions: `POST /containers/{id}/exec` records what to run; `POST /exec/{id}/start`
//! runs `burrow exec` with the client's streams (or detached); `GET /exec/{id}/json` reports
//! whether it runs and its exit code.

use std::sync::Arc;

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::body::{self, ApiError, Resp, Result};
use crate::router::{Req, State};
use crate::streams;

#[derive(Clone)]
pub struct Session {
    pub container: String,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub user: String,
    pub workdir: String,
    pub tty: bool,
    pub stdin: bool,
    pub privileged: bool,
    pub running: bool,
    pub exit_code: Option<i32>,
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub fn new_id() -> String {
    let mut b = [0u8; 32];
    let _ = nix::unistd::getpid();
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .is_err()
    {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b[..16].copy_from_slice(&t.to_le_bytes());
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub async fn create(st: &State, container: String, req: Req) -> Result<Resp> {
    let b = req.json().await?;
    let f = crate::containers::facts(st, &container).await?;
    if f.status != "running" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("container {} is not running", f.id),
        ));
    }
    let cmd = strs(&b["Cmd"]);
    if cmd.is_empty() {
        return Err(ApiError::bad_request("No exec command specified"));
    }
    let s = Session {
        container: f.id,
        cmd,
        env: strs(&b["Env"]),
        user: b["User"].as_str().unwrap_or("").to_string(),
        workdir: b["WorkingDir"].as_str().unwrap_or("").to_string(),
        tty: b["Tty"].as_bool().unwrap_or(false),
        stdin: b["AttachStdin"].as_bool().unwrap_or(false),
        privileged: b["Privileged"].as_bool().unwrap_or(false),
        running: false,
        exit_code: None,
    };
    let id = new_id();
    st.remember_console_size(&id, &b["ConsoleSize"]);
    st.execs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone(), s);
    Ok(body::json(StatusCode::CREATED, &json!({"Id": id})))
}

fn session(st: &State, id: &str) -> Result<Session> {
    st.execs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("No such exec instance: {id}")))
}

fn set(st: &State, id: &str, running: bool, code: Option<i32>) {
    if let Some(s) = st
        .execs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_mut(id)
    {
        s.running = running;
        s.exit_code = code;
    }
}

fn exec_args(s: &Session, detach: bool, tty: bool) -> Vec<String> {
    let mut a: Vec<String> = vec!["exec".into()];
    if detach {
        a.push("--detach".into());
    }
    if s.stdin && !detach {
        a.push("--interactive".into());
    }
    if tty {
        a.push("--tty".into());
    }
    for e in &s.env {
        a.extend(["--env".into(), e.clone()]);
    }
    if !s.user.is_empty() {
        a.extend(["--user".into(), s.user.clone()]);
    }
    if !s.workdir.is_empty() {
        a.extend(["--workdir".into(), s.workdir.clone()]);
    }
    if s.privileged {
        a.push("--privileged".into());
    }
    a.push(s.container.clone());
    a.extend(s.cmd.iter().cloned());
    a
}

pub async fn start(st: &Arc<State>, id: String, mut req: Req) -> Result<Resp> {
    let s = session(st, &id)?;
    if s.running {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "exec session is already running",
        ));
    }
    let b: Value = {
        // The body is read here, before the connection is taken over.
        let bytes = http_body_util::BodyExt::collect(req.inner.body_mut())
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(json!({}))
    };
    let detach = b["Detach"].as_bool().unwrap_or(false);
    let tty = b["Tty"].as_bool().unwrap_or(s.tty);
    if detach {
        st.cli.run(&exec_args(&s, true, tty)).await?;
        set(st, &id, false, Some(0));
        return Ok(body::empty(StatusCode::OK));
    }
    let (resp, rx) = streams::hijack(&mut req, tty, s.stdin);
    set(st, &id, true, None);
    let st2 = st.clone();
    tokio::spawn(async move {
        let Ok(h) = rx.await else {
            set(&st2, &id, false, Some(125));
            return;
        };
        let st3 = st2.clone();
        let id2 = id.clone();
        let on_exit: streams::OnExit = Box::new(move |code| set(&st3, &id2, false, Some(code)));
        streams::run_session(&st2, &id, exec_args(&s, false, tty), h, on_exit).await;
    });
    Ok(resp)
}

pub async fn resize(st: &State, id: &str, req: &Req) -> Result<Resp> {
    session(st, id)?;
    let n = |k: &str| req.q(k).and_then(|v| v.parse::<u16>().ok()).unwrap_or(0);
    let fd = st
        .ttys
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(id)
        .cloned();
    if let Some(fd) = fd {
        let _ = streams::set_size(&fd, n("h"), n("w"));
    }
    Ok(body::empty(StatusCode::CREATED))
}

pub async fn inspect(st: &State, id: &str) -> Result<Resp> {
    let s = session(st, id)?;
    Ok(body::ok_json(json!({
        "ID": id,
        "Running": s.running,
        "ExitCode": s.exit_code,
        "ProcessConfig": {
            "tty": s.tty,
            "entrypoint": s.cmd.first(),
            "arguments": s.cmd.get(1..).unwrap_or(&[]),
            "privileged": s.privileged,
            "user": s.user,
        },
        "OpenStdin": s.stdin,
        "OpenStderr": true,
        "OpenStdout": true,
        "CanRemove": false,
        "ContainerID": s.container,
        "DetachKeys": "",
        "Pid": 0,
    })))
}
