//! stop, kill, restart, rm, wait, rename, ps and logs. Processes are addressed by the pid
//! recorded at start, checked against its start time so a reused pid is never signalled.

use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::container::{Container, ContainerState, Status};
use crate::error::{LibpodError, Result};
use crate::logs::{self, Stream};
use crate::state::ContainerSummary;

use super::Runtime;
use super::start::pid_start_time;
use crate::clock::now_nanos;
use crate::spec::parse::signal as parse_signal;

/// `logs` options.
#[derive(Clone, Debug, Default)]
pub struct LogsOptions {
    pub follow: bool,
    pub timestamps: bool,
    pub since: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub until: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub tail: Option<usize>,
}

/// A container between its stop signal and its recorded exit (see [`Runtime::stop_many`]).
enum Stopping {
    /// Nothing was running: the container as it is.
    Done(Container),
    Signalled {
        c: Container,
        pidfd: Option<OwnedFd>,
        timeout: u32,
        deadline: Instant,
    },
}

fn alive(pid: i32, start: u64) -> bool {
    pid > 0
        && kill(Pid::from_raw(pid), None).is_ok()
        && (start == 0 || pid_start_time(pid) == start)
}

pub(crate) fn process_alive(pid: i32, start: u64) -> bool {
    alive(pid, start)
}

/// A record that says the process lives while it does not: `refresh` repairs it.
pub(super) fn is_stale(state: &ContainerState) -> bool {
    matches!(
        state.status.unwrap_or(Status::Created),
        Status::Running | Status::Stopping | Status::Paused | Status::Initialized
    ) && !alive(state.pid, state.pid_start)
}

/// An exit code we cannot know: the supervisor died with the container (podman shows -1 too).
pub(super) const UNKNOWN_EXIT: i32 = -1;

impl Runtime {
    pub fn lookup(&self, name_or_id: &str) -> Result<Container> {
        self.refresh(self.state.lookup(name_or_id)?)
    }

    /// Repairs a record whose process and supervisor are both gone (a killed burrow, a
    /// reboot): the container is exited, whatever the row said.
    pub(crate) fn refresh(&self, mut c: Container) -> Result<Container> {
        if is_stale(&c.state) {
            // The monitor records the exit itself a moment after the process ends.
            let deadline = Instant::now() + Duration::from_secs(2);
            while c.state.monitor_pid > 0
                && c.state.monitor_pid != std::process::id() as i32
                && kill(Pid::from_raw(c.state.monitor_pid), None).is_ok()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(5));
                c = self.state.lookup(&c.id)?;
                if c.status() == Status::Exited {
                    return Ok(c);
                }
            }
            if c.status() != Status::Exited {
                self.state
                    .set_exited(&c.id, UNKNOWN_EXIT, now_nanos(), false)?;
                c = self.state.lookup(&c.id)?;
            }
        }
        Ok(c)
    }

    /// Every container, newest first, with stale running records repaired.
    pub fn list(&self) -> Result<Vec<Container>> {
        self.state
            .list()?
            .into_iter()
            .map(|c| self.refresh(c))
            .collect()
    }

    /// What `ps` shows of every container, newest first, with stale running records repaired
    /// as [`Runtime::list`] does: one query, one liveness check per running container, and a
    /// full read only for the rare record that needs the repair. `active_only`: only those
    /// recorded running, paused or stopping (a repaired one comes back exited).
    pub fn list_summaries(&self, active_only: bool) -> Result<Vec<ContainerSummary>> {
        let mut rows = self.state.list_summaries(active_only)?;
        let mut removed = false;
        for s in &mut rows {
            if !is_stale(&s.state) {
                continue;
            }
            match self.state.lookup(&s.id).and_then(|c| self.refresh(c)) {
                Ok(c) => s.state = c.state,
                // Removed since the listing was read (`rm` racing the `ps`): not listed.
                Err(LibpodError::NoSuchContainer(_)) => {
                    s.id.clear();
                    removed = true;
                }
                Err(e) => return Err(e),
            }
        }
        if removed {
            rows.retain(|s| !s.id.is_empty());
        }
        Ok(rows)
    }

    /// Sends the stop signal, waits up to `timeout` seconds, then SIGKILL. Returns once the
    /// exit is recorded.
    pub fn stop(&self, name: &str, timeout: Option<u32>) -> Result<Container> {
        self.stop_as(name, timeout, true)
    }

    /// [`Runtime::stop`]; `by_user` false (`stop --not-stopped-by-user`, what the restart
    /// unit does at shutdown): the restart policy still does not start it again, but the
    /// container is not marked stopped by the user afterwards, so an `unless-stopped` one
    /// starts at the next boot.
    pub fn stop_as(&self, name: &str, timeout: Option<u32>, by_user: bool) -> Result<Container> {
        let stopping = self.begin_stop(name, timeout, by_user)?;
        self.finish_stop(stopping, by_user)
    }

    /// Stops several containers at once, as podman does: every one gets its stop signal
    /// first, then all share one deadline before SIGKILL, so two containers that ignore
    /// SIGTERM take one timeout, not two. One result per name, in the order given.
    pub fn stop_many(
        &self,
        names: &[String],
        timeout: Option<u32>,
        by_user: bool,
    ) -> Vec<Result<Container>> {
        let begun: Vec<Result<Stopping>> = names
            .iter()
            .map(|n| self.begin_stop(n, timeout, by_user))
            .collect();
        begun
            .into_iter()
            .map(|b| b.and_then(|s| self.finish_stop(s, by_user)))
            .collect()
    }

    /// Sends the stop signal (or finds nothing to stop).
    fn begin_stop(&self, name: &str, timeout: Option<u32>, by_user: bool) -> Result<Stopping> {
        let c = self.lookup(name)?;
        if c.status() == Status::Initialized {
            return Ok(Stopping::Done(self.release_initialized(&c, false)?));
        }
        self.thaw_if_paused(&c)?;
        if !matches!(c.status(), Status::Running | Status::Paused) {
            // Exited, its supervisor waiting to restart it: the stop cancels the restart.
            if by_user
                && c.status() == Status::Exited
                && c.state.monitor_pid > 0
                && !matches!(c.config.restart.name.as_str(), "" | "no")
                && alive(c.state.monitor_pid, 0)
            {
                self.state.set_stopped_by_user(&c.id, true)?;
            }
            return Ok(Stopping::Done(c));
        }
        self.state.set_stopped_by_user(&c.id, true)?;
        // A number: systemd mode's SIGRTMIN+3 has no nix name.
        let sig = crate::spec::parse::signal_number(&c.config.stop_signal)?;
        let timeout = timeout.unwrap_or(c.config.stop_timeout);
        let pidfd = pidfd_open(c.state.pid);
        if alive(c.state.pid, c.state.pid_start) {
            // SAFETY: kill(2) with a pid and signal number; no memory is shared.
            unsafe { libc::kill(c.state.pid, sig) };
        }
        let deadline = Instant::now() + Duration::from_secs(timeout.into());
        Ok(Stopping::Signalled {
            c,
            pidfd,
            timeout,
            deadline,
        })
    }

    /// Waits for a signalled container until its deadline, kills it after, and waits for
    /// its supervisor to record the exit.
    fn finish_stop(&self, stopping: Stopping, by_user: bool) -> Result<Container> {
        let (c, pidfd, timeout, deadline) = match stopping {
            Stopping::Done(c) => return Ok(c),
            Stopping::Signalled {
                c,
                pidfd,
                timeout,
                deadline,
            } => (c, pidfd, timeout, deadline),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if !wait_gone(&pidfd, c.state.pid, left) {
            if timeout > 0 {
                crate::warn!(
                    "StopSignal {} failed to stop container {} in {timeout} seconds, resorting to SIGKILL",
                    c.config.stop_signal,
                    c.name
                );
            }
            if alive(c.state.pid, c.state.pid_start) {
                let _ = kill(Pid::from_raw(c.state.pid), Signal::SIGKILL);
            }
            wait_gone(&pidfd, c.state.pid, Duration::from_secs(5));
        }
        let mut done = self.wait_recorded(&c.id)?;
        if !by_user {
            // The supervisor read the flag before it recorded the exit `wait_recorded` saw.
            self.state.set_stopped_by_user(&c.id, false)?;
            done.state.stopped_by_user = false;
        }
        self.container_event(&done, "stop");
        Ok(done)
    }

    /// Waits for the supervisor to record the exit of a process that is gone.
    fn wait_recorded(&self, id: &str) -> Result<Container> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let c = self.refresh(self.state.lookup(id)?)?;
            if c.status() != Status::Running || Instant::now() > deadline {
                return Ok(c);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn kill(&self, name: &str, signal: &str) -> Result<Container> {
        let c = self.lookup(name)?;
        let sig = parse_signal(signal)?;
        if matches!(sig, Signal::SIGKILL | Signal::SIGTERM | Signal::SIGINT) {
            self.thaw_if_paused(&c)?;
        }
        let c = self.refresh(self.state.lookup(&c.id)?)?;
        if c.status() != Status::Running {
            return Err(LibpodError::InvalidState(format!(
                "can only kill running containers. {} is in state {}: container state improper",
                c.short_id(),
                c.status().as_str()
            )));
        }
        if matches!(sig, Signal::SIGKILL | Signal::SIGTERM | Signal::SIGINT) {
            self.state.set_stopped_by_user(&c.id, true)?;
        }
        kill(Pid::from_raw(c.state.pid), sig)
            .map_err(|e| LibpodError::sys(format!("kill container {}", c.name), e))?;
        self.container_event_ext(&c, "kill", None, Some(("signal", (sig as i32).to_string())));
        Ok(c)
    }

    /// Blocks until the container exits; returns its exit code.
    pub fn wait(&self, name: &str) -> Result<i32> {
        loop {
            let c = self.lookup(name)?;
            match c.status() {
                Status::Exited => return Ok(c.state.exit_code),
                Status::Running => {
                    let pidfd = pidfd_open(c.state.pid);
                    wait_gone(&pidfd, c.state.pid, Duration::from_secs(3600 * 24 * 365));
                    return Ok(self.wait_recorded(&c.id)?.state.exit_code);
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    pub fn rename(&self, name: &str, new_name: &str) -> Result<()> {
        let c = self.lookup(name)?;
        super::names::validate(super::names::NameKind::Container, new_name)?;
        self.state.rename(&c.id, new_name)?;
        let mut renamed = c;
        renamed.name = new_name.to_string();
        self.container_event(&renamed, "rename");
        Ok(())
    }

    /// `rm`: refuses a running container unless forced; removes its files and its row.
    pub fn remove(&self, name: &str, force: bool, volumes: bool) -> Result<Container> {
        self.remove_container(name, force, volumes, false)
    }

    /// `remove`, and from `pod rm` (`by_pod`) also the pod's infra container, which holds the
    /// members' namespaces and so goes only with its pod, as in podman.
    pub(super) fn remove_container(
        &self,
        name: &str,
        force: bool,
        volumes: bool,
        by_pod: bool,
    ) -> Result<Container> {
        let c = self.lookup(name)?;
        if c.config.infra && !by_pod && self.state.lookup_pod(&c.config.pod).is_ok() {
            return Err(LibpodError::InvalidState(format!(
                "container {} is the infra container of a pod and cannot be removed without removing the pod: use burrow pod rm",
                c.id
            )));
        }
        // A pod's members go together, so only a lone removal checks what requires it.
        if !by_pod {
            self.refuse_if_required(&c)?;
        }
        if c.status() == Status::Initialized {
            self.release_initialized(&c, false)?;
        }
        if matches!(c.status(), Status::Running | Status::Paused) {
            if !force {
                return Err(LibpodError::InvalidState(format!(
                    "cannot remove container {} as it is running - running or paused containers cannot be removed without force: container state improper",
                    c.id
                )));
            }
            self.state.set_stopped_by_user(&c.id, true)?;
            self.thaw_if_paused(&c)?;
            let pidfd = pidfd_open(c.state.pid);
            let _ = kill(Pid::from_raw(c.state.pid), Signal::SIGKILL);
            wait_gone(&pidfd, c.state.pid, Duration::from_secs(5));
            self.wait_recorded(&c.id)?;
        }
        let networks = self.container_network_ids(&c);
        self.health_stopped(&c);
        self.remove_files_and_row(&c)?;
        // The others on its user networks stop listing it (its monitor may have found the
        // rows gone already).
        self.refresh_network_hosts(&c, &networks);
        self.container_event(&c, "remove");
        if volumes {
            self.remove_anonymous_volumes(&c);
        }
        Ok(c)
    }

    /// Container output from its log, to our stdout/stderr. With `follow`, until it exits.
    pub fn logs(
        &self,
        name: &str,
        opts: &LogsOptions,
        out: &mut dyn std::io::Write,
        err: &mut dyn std::io::Write,
    ) -> Result<()> {
        let c = self.lookup(name)?;
        self.logs_of(&[c], opts, false, out, err)
    }

    /// The logs of several containers (`pod logs`): each container's in turn, then with
    /// `follow` whatever any of them writes, as it comes, until all have stopped. With
    /// `prefix`, every line starts with its container's short id, as podman prints them.
    pub fn logs_of(
        &self,
        containers: &[Container],
        opts: &LogsOptions,
        prefix: bool,
        out: &mut dyn std::io::Write,
        err: &mut dyn std::io::Write,
    ) -> Result<()> {
        let print = |c: &Container,
                     entries: &[logs::Entry],
                     out: &mut dyn std::io::Write,
                     err: &mut dyn std::io::Write| {
            for e in entries {
                if opts.since.is_some_and(|s| e.time < s) || opts.until.is_some_and(|u| e.time > u)
                {
                    continue;
                }
                let w: &mut dyn std::io::Write = if e.stream == Stream::Stdout {
                    &mut *out
                } else {
                    &mut *err
                };
                if prefix {
                    let _ = write!(w, "{} ", c.short_id());
                }
                if opts.timestamps {
                    let _ = write!(w, "{} ", e.time.format("%Y-%m-%dT%H:%M:%S%.9f%:z"));
                }
                let _ = w.write_all(e.text.as_bytes());
                if !e.partial {
                    let _ = w.write_all(b"\n");
                }
            }
            let _ = out.flush();
            let _ = err.flush();
        };
        if let Some(c) = containers.iter().find(|c| c.config.log_driver == "none") {
            return Err(LibpodError::InvalidState(format!(
                "this container is using the 'none' log driver, cannot read logs: this container is not logging output: {}",
                c.name
            )));
        }
        if let Some(c) = containers
            .iter()
            .find(|c| c.config.log_driver == "passthrough")
        {
            return Err(LibpodError::InvalidState(format!(
                "this container is using the 'passthrough' log driver, cannot read logs: its output went to the terminal of the command that started it: {}",
                c.name
            )));
        }
        let mut positions = Vec::with_capacity(containers.len());
        for c in containers {
            let (mut entries, pos) = LogPosition::start(c)?;
            if let Some(n) = opts.tail {
                tail_lines(&mut entries, n);
            }
            print(c, &entries, out, err);
            positions.push(pos);
        }
        if !opts.follow {
            return Ok(());
        }
        // journald files the container's last lines a moment after it exits: a follow of a
        // journal keeps reading this long once every container has stopped.
        let journal_grace = containers
            .iter()
            .any(|c| c.config.log_driver == "journald")
            .then_some(Duration::from_millis(300));
        let mut stopped_at = None;
        loop {
            let mut any_running = false;
            let mut any_more = false;
            for (c, pos) in containers.iter().zip(positions.iter_mut()) {
                any_running |= self
                    .lookup(&c.id)
                    .map(|c| c.status() == Status::Running)
                    .unwrap_or(false);
                let more = pos.more(c)?;
                any_more |= !more.is_empty();
                print(c, &more, out, err);
            }
            if any_running {
                stopped_at = None;
            } else if !any_more {
                let since = *stopped_at.get_or_insert_with(std::time::Instant::now);
                if journal_grace.is_none_or(|g| since.elapsed() >= g) {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Where `logs` has read a container's log up to: a byte offset in its k8s-file log, or the
/// cursor of the last journal entry.
enum LogPosition {
    File(u64),
    Journal(Option<String>),
}

impl LogPosition {
    /// Everything logged so far, and where to go on from.
    fn start(c: &Container) -> Result<(Vec<logs::Entry>, LogPosition)> {
        if c.config.log_driver == "journald" {
            let (entries, cursor) = crate::journald::read_after(&c.id, None)?;
            Ok((entries, LogPosition::Journal(cursor)))
        } else {
            let (entries, pos) = logs::read_from(&c.config.log_path, 0)?;
            Ok((entries, LogPosition::File(pos)))
        }
    }

    /// What was logged since the last read.
    fn more(&mut self, c: &Container) -> Result<Vec<logs::Entry>> {
        match self {
            LogPosition::File(pos) => {
                let (more, next) = logs::read_from(&c.config.log_path, *pos)?;
                *pos = next;
                Ok(more)
            }
            LogPosition::Journal(cursor) => {
                let (more, next) = crate::journald::read_after(&c.id, cursor.as_deref())?;
                *cursor = next;
                Ok(more)
            }
        }
    }
}

/// Keeps the last `n` whole lines (`--tail`): a partial chunk belongs to the line it ends in.
fn tail_lines(entries: &mut Vec<logs::Entry>, n: usize) {
    let mut lines = 0;
    let mut cut = entries.len();
    for (i, e) in entries.iter().enumerate().rev() {
        if !e.partial {
            if lines == n {
                break;
            }
            lines += 1;
        }
        cut = i;
    }
    entries.drain(..cut);
}

impl Runtime {
    /// Deletes a container's directory and its database row.
    fn remove_files_and_row(&self, c: &Container) -> Result<()> {
        self.unmount_rootfs(&c.id)?;
        let dir = self.paths.container_dir(&c.id);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(LibpodError::io(format!("remove {}", dir.display()), e)),
        }
        // Runtime files only: a directory left behind is an orphan `system check --repair`
        // removes, not a reason to keep the container's row.
        let _ = std::fs::remove_dir_all(self.paths.container_run_dir(&c.id));
        self.state.remove(&c.id)
    }

    /// `--rm` after the container exited: the row goes at once (the container is gone for
    /// every later command), its files in a short-lived detached child, so `run --rm` returns
    /// without waiting for the file system (rmdir of overlay's work dirs costs milliseconds).
    pub(crate) fn remove_exited_in_background(&self, c: &Container) -> Result<()> {
        // Renamed out of sight first (cheap, and done before this returns), then the row: a
        // command killed in between leaves a row (its owner dead: the next command removes
        // it), never a directory no row names. The slow part, deleting the files, runs
        // detached; a killed deleter leaves `.removing-ID` dirs, which `system check
        // --repair` removes.
        self.unmount_rootfs(&c.id)?;
        let dirs: Vec<std::path::PathBuf> = [
            self.paths.container_dir(&c.id),
            self.paths.container_run_dir(&c.id),
        ]
        .into_iter()
        .filter(|d| d.exists())
        .map(|d| {
            let trash = d.with_file_name(format!(".removing-{}", c.id));
            if std::fs::rename(&d, &trash).is_ok() {
                trash
            } else {
                d
            }
        })
        .collect();
        self.state.remove(&c.id)?;
        self.container_event(c, "remove");
        // `--rm` takes the container's anonymous volumes with it, as podman does.
        self.remove_anonymous_volumes(c);
        // SAFETY: burrow never starts threads; the child only deletes files and exits.
        match unsafe { nix::unistd::fork() } {
            Ok(nix::unistd::ForkResult::Child) => {
                super::start::detach_stdio();
                let _ = nix::unistd::setsid();
                for d in &dirs {
                    let _ = std::fs::remove_dir_all(d);
                }
                // SAFETY: leave without running the parent's exit handlers.
                unsafe { libc::_exit(0) }
            }
            // Not waited for: the caller (the CLI, or a monitor) exits right after a --rm
            // container is gone, and the deleter is re-parented and reaped then. A second
            // fork to avoid that brief zombie cost a measurable share of `run --rm`.
            Ok(nix::unistd::ForkResult::Parent { .. }) => Ok(()),
            Err(_) => self.remove_files_and_row(c),
        }
    }
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    if pid <= 0 {
        return None;
    }
    // SAFETY: pidfd_open returns a new descriptor we own, or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a valid new descriptor from the kernel.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Waits until the process is gone; false on timeout.
fn wait_gone(pidfd: &Option<OwnedFd>, pid: i32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    match pidfd {
        Some(fd) => loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ms = left.as_millis().min(i32::MAX as u128) as i32;
            let mut p = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
            match poll(
                &mut p,
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
            ) {
                Ok(0) => return false,
                Ok(_) => return true,
                Err(nix::Error::EINTR) => continue,
                Err(_) => return kill(Pid::from_raw(pid), None).is_err(),
            }
        },
        None => {
            while kill(Pid::from_raw(pid), None).is_ok() {
                if Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            true
        }
    }
}
