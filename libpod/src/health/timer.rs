//! The checks as podman runs them where systemd is there: a transient timer of the user's
//! systemd manager (`systemd-run --user --unit <id> --on-unit-inactive=<interval>`) that runs
//! `burrow healthcheck run <id>` again each time the last run ended `interval` ago. Started
//! with the container, stopped with it.
//!
//! Asking whether a manager is there costs one `connect(2)` to the user's bus socket, and is
//! only asked for a container that has a healthcheck.

use std::ffi::OsString;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The unit name of a container's check timer; `startup` for the `--health-startup-cmd` one.
pub fn unit_name(id: &str, startup: bool) -> String {
    if startup {
        format!("{id}-startup")
    } else {
        id.to_string()
    }
}

/// The user's session bus socket: `DBUS_SESSION_BUS_ADDRESS`'s `unix:path=`, else
/// `$XDG_RUNTIME_DIR/bus`.
fn bus_socket() -> Option<PathBuf> {
    if let Some(addr) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
        let addr = addr.to_string_lossy().into_owned();
        for part in addr.split(';') {
            if let Some(rest) = part.strip_prefix("unix:") {
                for kv in rest.split(',') {
                    if let Some(p) = kv.strip_prefix("path=") {
                        return Some(PathBuf::from(p));
                    }
                }
            }
        }
    }
    let dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty())?;
    Some(Path::new(&dir).join("bus"))
}

/// True when the user's bus answers a connection (a manager is listening behind it).
pub fn user_manager_reachable() -> bool {
    bus_socket().is_some_and(|p| UnixStream::connect(p).is_ok())
}

/// The environment the check's service needs to find the same storage: the user manager's
/// own environment knows nothing of this shell's.
fn service_env() -> Vec<OsString> {
    const KEEP: [&str; 7] = [
        "PATH",
        "HOME",
        "XDG_RUNTIME_DIR",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "CONTAINERS_CONF",
        "TMPDIR",
    ];
    std::env::vars_os()
        .filter(|(k, _)| {
            let k = k.to_string_lossy();
            KEEP.contains(&k.as_ref()) || k.starts_with("BURROW_")
        })
        .map(|(k, v)| {
            let mut s = OsString::from("--setenv=");
            s.push(k);
            s.push("=");
            s.push(v);
            s
        })
        .collect()
}

/// Creates the timer (and its service, started once now, so the first check runs at once, as
/// podman's does). `check` is the full command line of `healthcheck run`.
pub fn create(id: &str, startup: bool, interval_ns: u64, check: &[String]) -> Result<(), String> {
    let unit = unit_name(id, startup);
    let status = Command::new("systemd-run")
        .arg("--user")
        .arg("--quiet")
        .args(["--property", "LogLevelMax=notice"])
        .args(service_env())
        .args(["--unit", &unit])
        .arg(format!(
            "--on-unit-inactive={}us",
            (interval_ns / 1000).max(1)
        ))
        .arg("--timer-property=AccuracySec=1s")
        .args(check)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("run systemd-run: {e}"))?;
    if !status.status.success() {
        return Err(String::from_utf8_lossy(&status.stderr).trim().to_string());
    }
    let _ = systemctl(&["start", "--no-block", &format!("{unit}.service")]);
    Ok(())
}

/// Stops the container's timers and forgets their services (a failed last check would keep
/// one listed). Errors are ignored: the units may be gone already.
pub fn remove(id: &str) {
    let units: Vec<String> = [false, true]
        .iter()
        .flat_map(|s| {
            let u = unit_name(id, *s);
            [format!("{u}.timer"), format!("{u}.service")]
        })
        .collect();
    let mut stop = vec!["stop", "--no-block"];
    stop.extend(
        units
            .iter()
            .filter(|u| u.ends_with(".timer"))
            .map(String::as_str),
    );
    let _ = systemctl(&stop);
    let mut reset = vec!["reset-failed"];
    reset.extend(units.iter().map(String::as_str));
    let _ = systemctl(&reset);
}

/// Stops the startup timer once the startup check passed (its last run is the caller itself,
/// which ends by itself).
pub fn stop_startup(id: &str) {
    let _ = systemctl(&[
        "stop",
        "--no-block",
        &format!("{}.timer", unit_name(id, true)),
    ]);
}

fn systemctl(args: &[&str]) -> std::io::Result<std::process::ExitStatus> {
    Command::new("systemctl")
        .arg("--user")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
}
