//! One run of a container's check (`burrow healthcheck run`): the command runs as an exec
//! into the container (the container's user, capabilities and seccomp filter), its combined
//! output is read until it exits or the timeout passes, and the result is recorded, a
//! `health_status` event written and `--health-on-failure` applied when the status turns
//! unhealthy.
//!
//! Only a forked child joins the container's namespaces: this process stays outside, where
//! the database and the run directory are.

use crate::health::HealthError;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

use super::{ExecOptions, Runtime};
use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::health::schedule::HealthTicker;
use crate::health::state::{HealthLogEntry, HealthState, HealthStatus};
use crate::health::{LogDestination, OnFailure, duration, test_argv, timer};
use crate::supervise;

/// The most output kept from a check before it is cut to `--health-max-log-size`.
const MAX_READ: usize = 64 * 1024;

impl Runtime {
    /// Where the container's health status and results are kept.
    pub fn health_state_path(&self, id: &str) -> PathBuf {
        crate::health::state::state_path(&self.paths, id)
    }

    /// The recorded health of a running container with a healthcheck; `None` otherwise. One
    /// failed open for a container without one, so `ps` can ask for every running container.
    pub fn health_status(&self, id: &str) -> Option<HealthState> {
        HealthState::load(&self.health_state_path(id))
    }

    /// `healthcheck run`: runs the check once, records it, and returns the status.
    pub fn healthcheck_run(&self, name: &str) -> Result<HealthStatus> {
        let c = self.refresh(self.lookup(name)?)?;
        let Some(cfg) = c.config.health.clone() else {
            return Err(HealthError::NoHealthcheck(c.id).into());
        };
        if c.status() != Status::Running {
            return Err(HealthError::NotRunning(c.id).into());
        }
        let path = self.health_state_path(&c.id);
        let startup = HealthState::load(&path)
            .unwrap_or_else(|| HealthState::fresh(&cfg))
            .in_startup(&cfg);
        let (test, timeout) = match (&cfg.startup, startup) {
            (Some(s), true) => (&s.test, s.timeout),
            _ => (&cfg.test, cfg.timeout),
        };
        let argv = test_argv(test).ok_or_else(|| HealthError::NoHealthcheck(c.id.clone()))?;
        let started = chrono::Local::now();
        let (exit_code, output) = self.run_check(&c, argv, timeout)?;
        let entry = HealthLogEntry {
            start: started.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false),
            end: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, false),
            exit_code,
            output,
        };
        let in_start_period = crate::clock::now_nanos().saturating_sub(c.state.started)
            < i64::try_from(cfg.start_period).unwrap_or(i64::MAX);
        let lock_path = path.with_extension("lock");
        let lock = crate::lockfile::lock_exclusive(&lock_path)?;
        let mut state = HealthState::load(&path).unwrap_or_else(|| HealthState::fresh(&cfg));
        let was_startup = state.in_startup(&cfg);
        let outcome = if was_startup {
            state.record_startup(&cfg, entry.clone())
        } else {
            state.record(&cfg, entry.clone(), in_start_period)
        };
        if cfg.log_destination == LogDestination::EventsLogger {
            state.log.clear();
        }
        state
            .save(&path)
            .map_err(|e| LibpodError::io(format!("write {}", path.display()), e))?;
        if let LogDestination::Directory(dir) = &cfg.log_destination {
            let copy = dir.join(format!("{}-healthcheck.log", c.id));
            state
                .save(&copy)
                .map_err(|e| LibpodError::io(format!("write {}", copy.display()), e))?;
        }
        drop(lock);
        let mut ev = crate::events::Event::new("container", "health_status", &c.id)
            .name(&c.name)
            .image(&c.config.image_name);
        ev.attributes = c.config.labels.clone();
        ev = ev.attr("health_status", state.status.as_str());
        if cfg.log_destination == LogDestination::EventsLogger {
            ev = ev.attr(
                "health_log",
                serde_json::to_string(&entry).unwrap_or_default(),
            );
        }
        self.events.write(&ev);
        if was_startup && !state.in_startup(&cfg) {
            self.startup_passed(&c);
        }
        if outcome.startup_exhausted {
            self.restart_unhealthy(&c)?;
        } else if outcome.turned_unhealthy {
            match cfg.on_failure {
                OnFailure::None => {}
                OnFailure::Kill => {
                    self.kill(&c.id, "SIGKILL")?;
                }
                OnFailure::Stop => {
                    self.stop(&c.id, None)?;
                }
                OnFailure::Restart => self.restart_unhealthy(&c)?,
            }
        }
        Ok(state.status)
    }

    /// `--health-on-failure restart` and an exhausted startup check: stop, then start again
    /// under a new monitor, as `restart` does.
    fn restart_unhealthy(&self, c: &Container) -> Result<()> {
        let stopped = self.stop(&c.id, None)?;
        let _ = self.state.bump_restart_count(&c.id);
        self.start_detached(&stopped)?;
        self.container_event(&stopped, "restart");
        Ok(())
    }

    /// Runs `argv` in the container; returns its exit code and combined output, or 1 and
    /// podman's message when it ran past `timeout` (nanoseconds).
    fn run_check(&self, c: &Container, argv: Vec<String>, timeout: u64) -> Result<(i32, String)> {
        self.check_exec(c, &argv)?;
        let process = self.exec_process(
            c,
            &ExecOptions {
                command: argv,
                ..Default::default()
            },
        )?;
        let (out_r, out_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| LibpodError::sys("pipe", e))?;
        // SAFETY: burrow is single-threaded; the child joins the container and supervises the
        // check, then leaves with _exit.
        let child = match unsafe { fork() }.map_err(|e| LibpodError::sys("fork", e))? {
            ForkResult::Child => {
                drop(out_r);
                let fd = out_w.as_raw_fd();
                // SAFETY: plain descriptor duplication onto stdout and stderr, in the child.
                unsafe {
                    libc::dup2(fd, 1);
                    libc::dup2(fd, 2);
                }
                if let Ok(null) = File::open("/dev/null") {
                    // SAFETY: as above, onto stdin.
                    unsafe { libc::dup2(null.as_raw_fd(), 0) };
                }
                drop(out_w);
                let code = match self.enter_container(c).and_then(|()| {
                    supervise::block_signals();
                    crate::executor::spawn_in_container(
                        process,
                        crate::executor::StdioMode::Pipes { stdin: None },
                    )
                }) {
                    Ok(sp) => {
                        supervise::supervise(sp, supervise::Options::foreground(None, false, false))
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        e.exit_code()
                    }
                };
                // SAFETY: leave without running the parent's exit handlers.
                unsafe { libc::_exit(code) }
            }
            ForkResult::Parent { child } => child,
        };
        drop(out_w);
        let mut out = File::from(out_r);
        let (output, timed_out) = read_until(&mut out, Duration::from_nanos(timeout));
        if timed_out {
            // The check process dies with its parent (PDEATHSIG).
            let _ = kill(child, Signal::SIGKILL);
        }
        let code = wait_code(child);
        if timed_out {
            return Ok((
                1,
                format!(
                    "Health check exceeded timeout of {}",
                    duration::format(timeout)
                ),
            ));
        }
        Ok((
            code,
            String::from_utf8_lossy(&output).trim_end().to_string(),
        ))
    }
}

/// Reads `f` to EOF or until `timeout` passed (0: no limit); true when it timed out.
fn read_until(f: &mut File, timeout: Duration) -> (Vec<u8>, bool) {
    let deadline = (!timeout.is_zero()).then(|| Instant::now() + timeout);
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let wait = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return (out, true);
                }
                PollTimeout::try_from(left.as_millis().min(i32::MAX as u128) as i32 + 1)
                    .unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        let mut pfd = [PollFd::new(f.as_fd(), PollFlags::POLLIN)];
        match poll(&mut pfd, wait) {
            Ok(0) => continue,
            Err(nix::Error::EINTR) => continue,
            Err(_) => return (out, false),
            Ok(_) => {}
        }
        match f.read(&mut buf) {
            Ok(0) | Err(_) => return (out, false),
            Ok(n) => {
                if out.len() < MAX_READ {
                    out.extend_from_slice(&buf[..n.min(MAX_READ - out.len())]);
                }
            }
        }
    }
}

fn wait_code(pid: Pid) -> i32 {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, c)) => return c,
            Ok(WaitStatus::Signaled(_, s, _)) => return 128 + s as i32,
            Err(nix::Error::EINTR) => continue,
            _ => return 125,
        }
    }
}

impl Runtime {
    /// A container with a healthcheck just started: its status is `starting` again, and its
    /// checks are scheduled: a systemd timer where the user's manager answers, else the
    /// returned ticker, for the supervisor's poll loop. Nothing at all for a container
    /// without a healthcheck.
    pub(crate) fn health_started(&self, c: &Container) -> Option<HealthTicker> {
        let cfg = c.config.health.as_ref()?;
        let path = self.health_state_path(&c.id);
        let _ = HealthState::fresh(cfg).save(&path);
        let startup = cfg
            .startup
            .as_ref()
            .filter(|s| test_argv(&s.test).is_some());
        let interval = startup.map_or(cfg.interval, |s| s.interval);
        if interval == 0 {
            return None;
        }
        let argv = self.healthcheck_argv(&c.id);
        if timer::user_manager_reachable() {
            let exe = crate::sealed_exe::program().display().to_string();
            let mut check = argv.clone();
            check[0] = exe;
            match timer::create(&c.id, startup.is_some(), interval, &check) {
                Ok(()) => {
                    let _ = std::fs::write(path.with_extension("timer"), "");
                    return None;
                }
                // The supervisor runs the checks instead.
                Err(e) => crate::warn!("create the healthcheck timer of {}: {e}", c.id),
            }
        }
        let argv = argv
            .into_iter()
            .filter_map(|a| std::ffi::CString::new(a).ok())
            .collect();
        Some(HealthTicker::new(argv, cfg.clone(), path))
    }

    /// The container stopped or is removed: its systemd timers go with it.
    pub(crate) fn health_stopped(&self, c: &Container) {
        if c.config.health.is_none() {
            return;
        }
        let marker = self.health_state_path(&c.id).with_extension("timer");
        if std::fs::remove_file(&marker).is_ok() {
            timer::remove(&c.id);
        }
    }

    /// The startup check passed: under systemd its timer makes way for the regular one.
    fn startup_passed(&self, c: &Container) {
        let Some(cfg) = &c.config.health else { return };
        let marker = self.health_state_path(&c.id).with_extension("timer");
        if !marker.exists() || cfg.interval == 0 {
            return;
        }
        timer::stop_startup(&c.id);
        let mut check = self.healthcheck_argv(&c.id);
        check[0] = crate::sealed_exe::program().display().to_string();
        if let Err(e) = timer::create(&c.id, false, cfg.interval, &check) {
            crate::warn!("create the healthcheck timer of {}: {e}", c.id);
        }
    }

    /// `burrow healthcheck run ID` with this runtime's roots.
    fn healthcheck_argv(&self, id: &str) -> Vec<String> {
        self.self_command(&["healthcheck", "run", id])
    }
}

impl Runtime {
    /// `inspect`'s healthcheck fields, as podman shows them: `Config.Healthcheck` (docker's
    /// form, nanoseconds), the podman extras beside it, and `State.Health`.
    pub(super) fn add_health_json(
        &self,
        v: &mut serde_json::Value,
        c: &Container,
        h: &crate::health::HealthConfig,
    ) {
        let mut hc = serde_json::json!({
            "Test": h.test,
            "Interval": h.interval,
            "Timeout": h.timeout,
            "Retries": h.retries,
        });
        if h.start_period > 0 {
            hc["StartPeriod"] = h.start_period.into();
        }
        let cfg = &mut v["Config"];
        cfg["Healthcheck"] = hc;
        cfg["HealthcheckOnFailureAction"] = h.on_failure.as_str().into();
        cfg["HealthLogDestination"] = h.log_destination.as_string().into();
        cfg["HealthMaxLogCount"] = h.max_log_count.into();
        cfg["HealthMaxLogSize"] = h.max_log_size.into();
        if let Some(s) = &h.startup {
            cfg["StartupHealthCheck"] = serde_json::json!({
                "Test": s.test,
                "Interval": s.interval,
                "Timeout": s.timeout,
                "Retries": s.retries,
                "Successes": s.success,
            });
        }
        let state = self
            .health_status(&c.id)
            .unwrap_or_else(|| HealthState::fresh(h));
        v["State"]["Health"] = state.inspect_json();
    }
}
