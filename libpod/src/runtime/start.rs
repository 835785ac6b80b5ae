//! Starting containers. Foreground: this process is the container's parent and supervises it.
//! Detached: a monitor (this binary, double-forked and setsid) becomes the parent, writes the
//! log, records the exit and honours `--restart`; the CLI returns once the container runs.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use nix::sys::signal::{SigmaskHow, sigprocmask};
use nix::unistd::{ForkResult, fork, setsid};

use crate::container::{Container, Status};
use crate::error::{LibpodError, Result};
use crate::executor::{self, StdioMode};
use crate::logs::LogWriter;
use crate::state::Owner;
use crate::supervise::{self, Options};

use super::Runtime;
use super::restart::Backoff;
use crate::clock::now_nanos;

/// A monitor started by [`Runtime::spawn_monitor`] whose report is still to be read.
pub(crate) struct PendingStart {
    report: OwnedFd,
}

impl PendingStart {
    /// Waits for the monitor's report: `OK` once the container runs, else podman's exit code
    /// and message.
    pub(crate) fn finish(self) -> Result<()> {
        let mut msg = String::new();
        let _ = File::from(self.report).read_to_string(&mut msg);
        match msg.strip_prefix("OK") {
            Some(_) => Ok(()),
            None => {
                let (code, message) = match msg.split_once(':') {
                    Some((c, m)) => (c.parse().unwrap_or(125), m.to_string()),
                    None if msg.is_empty() => (
                        125,
                        "the container monitor exited before the container started".to_string(),
                    ),
                    None => (125, msg),
                };
                Err(LibpodError::StartFailed { message, code })
            }
        }
    }
}

/// How a foreground start is attached to the user's terminal.
#[derive(Clone, Copy, Debug, Default)]
pub struct AttachOptions {
    /// Give the container our stdin (`-i`).
    pub stdin: bool,
    /// Forward signals (podman's --sig-proxy, default true).
    pub sig_proxy: bool,
}

impl Runtime {
    fn check_startable(&self, c: &Container) -> Result<()> {
        let c = self.refresh(c.clone())?;
        if c.status() == Status::Running {
            return Err(LibpodError::InvalidState(format!(
                "container {} is already running: stop it first",
                c.name
            )));
        }
        // Its held process is started by `start_detached` (`init.rs`); a second one never.
        if c.status() == Status::Initialized {
            return Err(LibpodError::InvalidState(format!(
                "container {} is initialized: start it without --attach, or stop it first",
                c.name
            )));
        }
        // A pod member needs the infra container's namespaces: podman starts it first.
        self.ensure_pod_infra(&c)?;
        self.ensure_dependencies(&c)
    }

    /// Runs the container attached to this process; returns its exit code. Its restart
    /// policy is honoured here, as conmon does for an attached podman container: the output
    /// of every run comes to the terminal, until the policy is done or this process is told
    /// to stop (SIGINT, SIGTERM, SIGHUP: the container then counts as stopped by the user).
    pub fn start_attached(&self, c: &Container, attach: AttachOptions) -> Result<i32> {
        self.start_attached_streams(c, attach, super::AttachStreams::ALL)
    }

    /// [`Self::start_attached`] showing only `streams` of the container's output (`run -a`).
    pub fn start_attached_streams(
        &self,
        c: &Container,
        attach: AttachOptions,
        streams: super::AttachStreams,
    ) -> Result<i32> {
        self.check_startable(c)?;
        let old_mask = supervise::block_signals();
        let raw = if c.config.tty && attach.stdin {
            executor::tty::RawMode::enter()
        } else {
            None
        };
        let outcome = self.supervise_attached(c, attach, streams);
        drop(raw);
        let mask = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old_mask), None)
            .map_err(|err| LibpodError::sys("restore the signal mask", err));
        let removed = self.auto_remove(c);
        match outcome {
            // The container ran: its exit code is the answer, and one that could not be
            // removed stays listed for `rm`.
            Ok(code) => Ok(code),
            Err(e) => Err(e.with_cleanup(
                [mask, removed]
                    .into_iter()
                    .filter_map(Result::err)
                    .collect(),
            )),
        }
    }

    /// The runs of an attached container, restarts included; the last run's exit code.
    fn supervise_attached(
        &self,
        c: &Container,
        attach: AttachOptions,
        streams: super::AttachStreams,
    ) -> Result<i32> {
        let mut restarts = c.state.restart_count;
        let mut backoff = Backoff::default();
        let mut first = true;
        loop {
            let (sp, slirp) = self.spawn_attached(c, attach)?;
            let started = Instant::now();
            if first {
                self.container_event(c, "attach");
                first = false;
            }
            let log = LogWriter::for_container(c);
            let health = self.health_started(c);
            // Another terminal may attach to a foreground container too, as with podman.
            let listener = self.attach_listener(&c.id);
            let ended = supervise::supervise_until_end(
                sp,
                Options {
                    health,
                    attach: listener,
                    deadline: super::run_limits::deadline(c),
                    quiet_stdout: !streams.stdout,
                    quiet_stderr: !streams.stderr,
                    ..Options::foreground(log, attach.stdin && c.config.tty, attach.sig_proxy)
                },
            );
            self.remove_attach_socket(&c.id);
            self.health_stopped(c);
            if let Some(s) = slirp {
                s.stop();
            }
            if ended.stop_requested {
                // Recorded before the exit, so nothing else takes the exit for a restart.
                let _ = self.state.set_stopped_by_user(&c.id, true);
            }
            let stopped = self.state.lookup(&c.id).map(|x| x.state.stopped_by_user)?;
            let code = ended.code;
            let oom = self.finish_resources(c);
            self.state.set_exited(&c.id, code, now_nanos(), oom)?;
            self.refresh_network_hosts(c, &[]);
            self.container_event_ext(c, "died", Some(code), None);
            if !c.config.restart.should_restart(code, restarts, stopped) {
                return Ok(code);
            }
            let delay = backoff.delay_after(started.elapsed());
            if supervise::sleep_unless_stopped(delay) {
                let _ = self.state.set_stopped_by_user(&c.id, true);
                return Ok(code);
            }
            if !self.restart_still_wanted(&c.id) {
                return Ok(code);
            }
            restarts += 1;
            self.state.bump_restart_count(&c.id)?;
            self.container_event(c, "restart");
        }
    }

    /// Forks one run of an attached container and records it running. A failure is recorded
    /// as the container's exit.
    fn spawn_attached(
        &self,
        c: &Container,
        attach: AttachOptions,
    ) -> Result<(executor::Spawned, Option<network::NetService>)> {
        let spawned = self.attached_stdio(c, attach).and_then(|stdio| {
            let plan = self.launch_plan(c, stdio)?;
            self.spawn_container(c, plan, None)
        });
        let (sp, slirp) = match spawned {
            Ok(x) => x,
            Err(e) => {
                let cleanup = [
                    self.state
                        .set_exited(&c.id, e.exit_code(), now_nanos(), false),
                    self.keep_failed(c),
                ];
                return Err(e.with_cleanup(cleanup.into_iter().filter_map(Result::err).collect()));
            }
        };
        self.state.set_running(
            &c.id,
            sp.pid.as_raw(),
            pid_start_time(sp.pid.as_raw()),
            nix::unistd::getpid().as_raw(),
            now_nanos(),
            // A `--rm` or build container goes with its supervisor (this process).
            if c.config.auto_remove || c.config.temporary {
                self.me()
            } else {
                Owner::NONE
            },
        )?;
        self.write_container_pidfile(c, sp.pid.as_raw());
        if let Some(p) = &c.config.conmon_pidfile {
            // A foreground run is its container's monitor: its pid plays conmon's.
            write_pid_file(p);
        }
        self.refresh_network_hosts(c, &[]);
        self.container_event(c, "init");
        self.container_event(c, "start");
        Ok((sp, slirp))
    }

    /// The container's end of our terminal: a pty for `-t`, else pipes (with our stdin for
    /// `-i`, duplicated for each run).
    fn attached_stdio(&self, c: &Container, attach: AttachOptions) -> Result<StdioMode> {
        if c.config.log_driver.starts_with("passthrough") {
            return Ok(StdioMode::Inherit);
        }
        if c.config.tty {
            return Ok(StdioMode::Tty);
        }
        if !attach.stdin {
            return Ok(StdioMode::Pipes { stdin: None });
        }
        let stdin: OwnedFd = std::io::stdin()
            .lock()
            .try_clone_fd()
            .map_err(|e| LibpodError::io("duplicate stdin", e))?;
        Ok(StdioMode::Pipes { stdin: Some(stdin) })
    }

    /// Forks the container. With slirp4netns or pasta, the helper is started as soon as the
    /// container's network namespace exists and configures it while the child mounts its
    /// rootfs; the command is exec'd once the network is up and the ports are published.
    /// `hold` (`init`) runs once the network is up, the child waiting at its gate.
    fn spawn_container(
        &self,
        c: &Container,
        plan: executor::Plan<'_>,
        mut hold: Option<&mut dyn FnMut(nix::unistd::Pid) -> Result<()>>,
    ) -> Result<(executor::Spawned, Option<network::NetService>)> {
        let mode = c.config.network_mode()?;
        // Limits and the OOM score are set while the child waits; nothing for the common run.
        let r = &c.config.resources;
        let resources =
            c.config.needs_cgroup() || r.oom_score_adj.is_some() || !r.rdt_class.is_empty();
        let holding = hold.is_some();
        let mut held = |pid| match hold.as_mut() {
            Some(h) => h(pid),
            None => Ok(()),
        };
        if !mode.can_publish() && holding {
            return executor::spawn_gated(
                plan,
                |pid| {
                    if resources {
                        self.setup_resources(c, pid.as_raw())?;
                    }
                    Ok(pid)
                },
                held,
            )
            .map(|(sp, ())| (sp, None));
        }
        if !mode.can_publish() {
            if resources {
                return executor::spawn_with(plan, |pid| self.setup_resources(c, pid.as_raw()))
                    .map(|(sp, ())| (sp, None));
            }
            return executor::spawn(plan).map(|sp| (sp, None));
        }
        if mode == network::NetworkMode::Bridge {
            // The rootless netns and the bridges exist before the clone; the veths are made
            // while the child waits, so its command starts with the network up.
            let (ns, attachments) = self.prepare_user_networks(c)?;
            return executor::spawn_gated(
                plan,
                |pid| {
                    if resources {
                        self.setup_resources(c, pid.as_raw())?;
                    }
                    let up = Runtime::attach_user_networks(
                        &ns,
                        &attachments,
                        pid.as_raw(),
                        &c.config.ports,
                    )?;
                    Ok((pid, up))
                },
                |(pid, up)| held(pid).map(|()| up),
            );
        }
        // Short on purpose: a unix socket path must stay below 108 bytes.
        let key = &c.id[..16.min(c.id.len())];
        executor::spawn_gated(
            plan,
            |pid| {
                if resources {
                    self.setup_resources(c, pid.as_raw())?;
                }
                let starting =
                    network::start(&mode, pid.as_raw(), &self.paths.run, key, &c.config.ports)?;
                // A container with its own user namespace changes its ids once let go, which
                // leaves it non-dumpable for an instant: slirp4netns/pasta and the port
                // forwarder, which open /proc/PID/ns/net, are done before that (its rootfs is
                // then built after the network instead of beside it).
                if !c.config.uid_map.is_empty() {
                    let up = starting.map(network::StartingNet::wait).transpose()?;
                    return Ok((pid, NetStart::Up(up)));
                }
                Ok((pid, NetStart::Starting(starting)))
            },
            |(pid, net)| {
                let up = match net {
                    NetStart::Starting(Some(s)) => Some(s.wait()?),
                    NetStart::Starting(None) => None,
                    NetStart::Up(up) => up,
                };
                held(pid).map(|()| up)
            },
        )
    }

    /// A container whose command could not start stays, as in podman (its exit code says
    /// why), unless it is a `--rm` or build one: it no longer goes with this process.
    fn keep_failed(&self, c: &Container) -> Result<()> {
        if !c.config.auto_remove && !c.config.temporary {
            self.state.set_owner(&c.id, Owner::NONE)?;
        }
        Ok(())
    }

    fn auto_remove(&self, c: &Container) -> Result<()> {
        if c.config.auto_remove {
            self.remove_exited_in_background(c)?;
        }
        if c.config.remove_image {
            self.remove_image_after_run(c);
        }
        Ok(())
    }

    /// Starts the container under a new monitor process; returns once it runs (or failed).
    pub fn start_detached(&self, c: &Container) -> Result<()> {
        if c.config.log_driver.starts_with("passthrough") {
            return Err(crate::spec::SpecError::PassthroughDetached.into());
        }
        // As the caller read it (no extra read on the way of every `run -d`).
        if c.status() == Status::Initialized {
            self.release_initialized(c, true)?;
            return Ok(());
        }
        self.spawn_monitor(c, false)?.finish()
    }

    /// [`Self::start_detached`] of several containers side by side: every monitor is started
    /// before the first is waited for, so their starts overlap (docker compose starts
    /// independent services together). The results in the order given.
    pub fn start_detached_together(&self, cs: &[Container]) -> Vec<Result<()>> {
        let pending: Vec<Result<Option<PendingStart>>> = cs
            .iter()
            .map(|c| {
                if c.status() == Status::Initialized {
                    self.release_initialized(c, true).map(|_| None)
                } else {
                    self.spawn_monitor(c, false).map(Some)
                }
            })
            .collect();
        pending
            .into_iter()
            .map(|p| match p {
                Ok(Some(p)) => p.finish(),
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            })
            .collect()
    }

    /// [`Self::start_detached`]; with `attach_first`, also connected to the monitor's attach
    /// socket before the container starts (its first output included), the stream returned.
    pub(super) fn start_monitored(
        &self,
        c: &Container,
        attach_first: bool,
    ) -> Result<Option<UnixStream>> {
        let pending = self.spawn_monitor(c, attach_first)?;
        let stream = if attach_first {
            self.connect_before_start(&c.id, &pending.report)
        } else {
            None
        };
        pending.finish()?;
        Ok(stream)
    }

    /// The first half of [`Runtime::start_detached`]: the monitor is on its way; its report is
    /// read by [`PendingStart::finish`]. Several can be under way at once (a pod's members
    /// start together, as podman starts them in parallel).
    pub(crate) fn spawn_monitor(&self, c: &Container, attach_first: bool) -> Result<PendingStart> {
        self.spawn_monitor_as(c, attach_first, false)
    }

    /// [`Self::spawn_monitor`]; with `hold`, for `init`: the monitor reports once the
    /// container is prepared and holds it there until `start`.
    pub(super) fn spawn_monitor_as(
        &self,
        c: &Container,
        attach_first: bool,
        hold: bool,
    ) -> Result<PendingStart> {
        self.check_startable(c)?;
        // Close-on-exec both ends; the monitor's process clears it on the write end just
        // before its exec, so no other program ever inherits the pipe.
        let (report_r, report_w) = crate::executor::cloexec_pipe()?;
        // A container this process still owns (`run -d`) passes to the monitor, which takes it
        // over before anything else: if this process is killed first, either the monitor or
        // the next command's clean-up gets it, never both.
        let owner = self.state.owner_of(&c.id)?;
        let argv = self.monitor_argv(&c.id, report_w.as_raw_fd(), owner, attach_first, hold)?;
        // SAFETY: burrow never starts threads, so the child may run ordinary code.
        match unsafe { fork() }.map_err(|e| LibpodError::sys("fork the monitor", e))? {
            ForkResult::Child => {
                drop(report_r);
                let _ = setsid();
                // SAFETY: as above. The intermediate exits at once, so the monitor is
                // re-parented and never a zombie of the caller. The monitor execs a fresh
                // burrow: a SQLite connection must never be used on both sides of a fork.
                if let Ok(ForkResult::Child) = unsafe { fork() } {
                    detach_stdio();
                    let _ = nix::fcntl::fcntl(
                        &report_w,
                        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
                    );
                    let exe = c"/proc/self/exe";
                    let _ = nix::unistd::execv(exe, &argv);
                }
                // SAFETY: leave without running the caller's exit handlers.
                unsafe { libc::_exit(0) }
            }
            ForkResult::Parent { child } => {
                drop(report_w);
                let _ = nix::sys::wait::waitpid(child, None);
                Ok(PendingStart { report: report_r })
            }
        }
    }

    /// A burrow command line (argv[0] "burrow") with this runtime's roots and storage driver:
    /// a process re-executed inside the user namespace would otherwise take root's defaults.
    pub(super) fn self_command(&self, args: &[&str]) -> Vec<String> {
        let mut argv = vec![
            "burrow".to_string(),
            "--root".to_string(),
            self.paths.data.display().to_string(),
            "--runroot".to_string(),
            self.paths.run.display().to_string(),
            "--storage-driver".to_string(),
            self.store.driver().as_str().to_string(),
        ];
        // The monitor's events (died, restart) go where this command's go.
        let backend = self.events.backend();
        if backend != crate::events::Backend::File {
            argv.extend(["--events-backend".to_string(), backend.as_str().to_string()]);
        }
        argv.extend(args.iter().map(|a| a.to_string()));
        argv
    }

    fn monitor_argv(
        &self,
        id: &str,
        report_fd: i32,
        owner: Owner,
        attach_first: bool,
        hold: bool,
    ) -> Result<Vec<CString>> {
        let mut args = self.self_command(&["__monitor", "--report-fd", &report_fd.to_string()]);
        if attach_first {
            args.push("--attach-first".into());
        }
        if hold {
            args.push("--init-hold".into());
        }
        if owner != Owner::NONE {
            args.push("--owner".into());
            args.push(format!("{}:{}", owner.pid, owner.start));
        }
        args.push(id.to_string());
        args.iter()
            .map(|a| {
                CString::new(a.as_str()).map_err(|_| super::ExecError::NulByte(a.clone()).into())
            })
            .collect()
    }

    /// The monitor (`burrow __monitor`): parent of the container for its whole life, in a
    /// fresh process of its own. Never returns.
    pub fn monitor(&self, id: &str, report_fd: i32, owner: Option<Owner>, attach_first: bool) -> ! {
        self.monitor_with(id, report_fd, owner, attach_first, false)
    }

    /// [`Self::monitor`]; with `hold` (`init`), the first run is held before its command
    /// until `start` (see `init.rs`).
    pub fn monitor_with(
        &self,
        id: &str,
        report_fd: i32,
        owner: Option<Owner>,
        attach_first: bool,
        hold: bool,
    ) -> ! {
        let _ = nix::sys::prctl::set_name(c"burrow-monitor");
        // SAFETY: the fd number was passed by our own start_detached, which left it open.
        let mut report = Some(unsafe { File::from_raw_fd(report_fd) });
        // No helper (slirp4netns) may inherit it: the CLI waits for its EOF.
        if let Some(r) = &report {
            let _ = nix::fcntl::fcntl(
                r,
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
            );
        }
        if let Some(owner) = owner
            && !self
                .state
                .take_ownership(id, owner, self.me())
                .unwrap_or(false)
        {
            // Its creator died and the clean-up took the container first.
            if let Some(r) = report.take() {
                let _ = crate::executor::fds::write_or_epipe(
                    &r,
                    b"125:the container was removed before it could start",
                );
            }
            exit(125)
        }
        let c = match self.state.lookup(id) {
            Ok(c) => c,
            Err(e) => {
                if let Some(mut r) = report.take() {
                    let _ = r.write_all(format!("125:{e}").as_bytes());
                }
                exit(125)
            }
        };
        // Under a `Type=notify` unit the monitor is the unit's main process: it says so itself
        // (the `run -d` that started it exits). A pod's infra container never speaks for a unit.
        let notify = crate::sdnotify::socket_from_env().filter(|_| !c.config.infra);
        let state = &self.state;
        let mut restarts = c.state.restart_count;
        let mut backoff = Backoff::default();
        let status;
        let listener = self.attach_listener(&c.id);
        // A foreground `run -it` connects before the container starts, so that it sees the
        // first output; a client that never comes only costs the wait.
        let mut first_client = match (&listener, attach_first) {
            (Some(l), true) => super::attach::accept_within(l, ATTACH_FIRST_WAIT),
            _ => None,
        };
        // Its terminal's size, which the container's pty gets before the command starts.
        let mut first_size = first_client
            .as_mut()
            .and_then(super::attach::read_initial_size);
        loop {
            let mut sized = |mode| match (mode, first_size.take()) {
                (StdioMode::Tty, Some((rows, cols))) => StdioMode::TtySized { rows, cols },
                (mode, _) => mode,
            };
            let (stdio, container_stdin) = match monitor_stdio(&c).map(|(m, s)| (sized(m), s)) {
                Ok(s) => s,
                Err(e) => {
                    if let Some(mut r) = report.take() {
                        let _ = r.write_all(format!("125:{e}").as_bytes());
                    }
                    exit(125)
                }
            };
            let held = hold && restarts == c.state.restart_count;
            let started = self.launch_plan(&c, stdio).and_then(|plan| {
                supervise::block_signals();
                if held {
                    let mut h = |pid| self.hold_initialized(&c, pid, &mut report);
                    self.spawn_container(&c, plan, Some(&mut h))
                } else {
                    self.spawn_container(&c, plan, None)
                }
            });
            let (sp, slirp) = match started {
                Ok(x) => x,
                Err(e) => {
                    let cleanup = [
                        state.set_exited(&c.id, e.exit_code(), now_nanos(), false),
                        self.keep_failed(&c),
                    ];
                    let e = e.with_cleanup(cleanup.into_iter().filter_map(Result::err).collect());
                    if let Some(mut r) = report.take() {
                        let _ = r.write_all(format!("{}:{e}", e.exit_code()).as_bytes());
                    }
                    // After the report nothing is left to carry this error to the user: a
                    // container that could not be removed stays listed for `rm`.
                    let _ = self.auto_remove(&c);
                    exit(125)
                }
            };
            let _ = state.set_running(
                &c.id,
                sp.pid.as_raw(),
                pid_start_time(sp.pid.as_raw()),
                nix::unistd::getpid().as_raw(),
                now_nanos(),
                if c.config.auto_remove {
                    self.me()
                } else {
                    Owner::NONE
                },
            );
            self.write_container_pidfile(&c, sp.pid.as_raw());
            self.refresh_network_hosts(&c, &[]);
            if !held {
                self.container_event(&c, "init");
            }
            self.container_event(&c, "start");
            // The healthcheck timer exists before `run -d` returns, as with podman.
            let health = self.health_started(&c);
            if let Some(r) = report.take() {
                // Before the report: `run -d` exits on it, and systemd must know the main pid
                // by then.
                if let Some(socket) = &notify {
                    notify_started(socket, &c);
                }
                // systemd sets INVOCATION_ID in every unit's processes: a `Type=forking` unit
                // (`generate systemd` without --new) reads its main pid from this file.
                if std::env::var_os("INVOCATION_ID").is_some() {
                    write_pid_file(&self.paths.monitor_pid_file(&c.id));
                }
                if let Some(p) = &c.config.conmon_pidfile {
                    write_pid_file(p);
                }
                let _ = crate::executor::fds::write_or_epipe(&r, b"OK");
            }
            let started = Instant::now();
            let log = LogWriter::for_container(&c);
            let code = supervise::supervise(
                sp,
                Options {
                    echo: false,
                    log,
                    stdin_to_pty: false,
                    proxy_signals: true,
                    attach: listener.as_ref().and_then(|l| l.try_clone().ok()),
                    clients: first_client.take().into_iter().collect(),
                    container_stdin,
                    health,
                    deadline: super::run_limits::deadline(&c),
                    quiet_stdout: false,
                    quiet_stderr: false,
                    detach_keys: None,
                    on_detach: None,
                },
            );
            self.health_stopped(&c);
            if let Some(s) = slirp {
                s.stop();
            }
            // Read before the exit is recorded: `stop` returns once it is, and whatever it
            // changes afterwards (`--not-stopped-by-user`) must not start the container again.
            let stopped = state
                .lookup(&c.id)
                .map(|x| x.state.stopped_by_user)
                .unwrap_or(true);
            let oom = self.finish_resources(&c);
            let _ = state.set_exited(&c.id, code, now_nanos(), oom);
            self.refresh_network_hosts(&c, &[]);
            self.container_event_ext(&c, "died", Some(code), None);
            if !c.config.restart.should_restart(code, restarts, stopped) {
                // The container's exit status is the monitor's (as conmon's is), so a unit's
                // Restart=on-failure sees a crash; a stop the user asked for is a clean end.
                status = if stopped { 0 } else { code };
                break;
            }
            std::thread::sleep(backoff.delay_after(started.elapsed()));
            if !self.restart_still_wanted(&c.id) {
                status = if stopped { 0 } else { code };
                break;
            }
            restarts += 1;
            let _ = state.bump_restart_count(&c.id);
            self.container_event(&c, "restart");
        }
        self.apply_pod_exit_policy(&c);
        self.remove_attach_socket(&c.id);
        // The monitor has no one to report to any more: a container that could not be
        // removed stays listed for `rm`.
        let _ = self.auto_remove(&c);
        exit(status)
    }
}

/// How long a monitor started for a foreground `run -it` waits for its CLI to connect.
const ATTACH_FIRST_WAIT: Duration = Duration::from_secs(10);

/// Tells the unit's manager that this monitor is its main process and, unless the container
/// speaks for itself (`--sdnotify=container`) or nobody should (`ignore`), that it is ready.
/// `healthy` is ready at start while no healthcheck exists to wait for.
fn notify_started(socket: &std::ffi::OsStr, c: &Container) {
    use crate::sdnotify::SdNotifyMode;
    let pid = std::process::id();
    let message = match SdNotifyMode::parse(&c.config.sdnotify).unwrap_or_default() {
        SdNotifyMode::Conmon | SdNotifyMode::Healthy => format!("MAINPID={pid}\nREADY=1"),
        SdNotifyMode::Container => format!("MAINPID={pid}"),
        SdNotifyMode::Ignore => return,
    };
    // Nobody is left to hear about a failure: systemd's start timeout reports it.
    let _ = crate::sdnotify::notify(socket, &message);
}

fn write_pid_file(path: &std::path::Path) {
    let pid = std::process::id().to_string();
    if std::fs::write(path, &pid).is_err()
        && let Some(dir) = path.parent()
    {
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::write(path, &pid);
    }
}

/// The monitor's end of the container's stdio: a terminal for `-t`, a stdin pipe it keeps
/// open for `-i` (fed by `attach`), otherwise output pipes only.
fn monitor_stdio(c: &Container) -> Result<(StdioMode, Option<OwnedFd>)> {
    if c.config.tty {
        return Ok((StdioMode::Tty, None));
    }
    if c.config.stdin_open {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| LibpodError::sys("pipe", e))?;
        return Ok((StdioMode::Pipes { stdin: Some(r) }, Some(w)));
    }
    Ok((StdioMode::Pipes { stdin: None }, None))
}

/// Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat): with the
/// pid it identifies the process even after the pid is reused.
pub(crate) fn pid_start_time(pid: i32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn detach_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        for fd in 0..3 {
            // SAFETY: dup2 onto standard descriptors of this single-threaded process.
            unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), fd) };
        }
    }
}

fn exit(code: i32) -> ! {
    // SAFETY: the monitor leaves without unwinding into the caller's code.
    unsafe { libc::_exit(code) }
}

trait TryCloneFd {
    fn try_clone_fd(&self) -> std::io::Result<OwnedFd>;
}

impl TryCloneFd for std::io::StdinLock<'_> {
    fn try_clone_fd(&self) -> std::io::Result<OwnedFd> {
        use std::os::fd::AsFd;
        self.as_fd().try_clone_to_owned()
    }
}

/// The network helpers of a starting container: still configuring, or done.
enum NetStart {
    Starting(Option<network::StartingNet>),
    Up(Option<network::NetService>),
}
