//! The built-in executor: forks the container (no conmon, no crun). The parent is always
//! single-threaded here, so the child may allocate; it builds the container's mounts, drops
//! privileges and execs. Errors before exec travel back over a close-on-exec pipe, so the
//! parent knows whether exec happened and with which podman exit code (125/126/127) it failed.

pub mod fds;
pub mod hooks;
pub mod init;
pub mod mounts;
pub mod passwd;
pub mod tty;
pub mod user;

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, sigprocmask};
use nix::unistd::{Pid, pipe2};

use crate::container::{Mount, Ulimit};
use crate::error::{LibpodError, Result};
use crate::security::ProcessSecurity;

/// `--group-add keep-groups`: the container keeps burrow's own supplementary groups.
pub const KEEP_GROUPS: &str = "keep-groups";

/// An error in the child before exec, with the exit code podman would use.
#[derive(Debug)]
pub struct ChildError {
    pub code: i32,
    pub message: String,
}

impl ChildError {
    pub fn setup(message: impl Into<String>) -> ChildError {
        ChildError {
            code: 125,
            message: message.into(),
        }
    }
}

/// What runs inside: shared by a container's first process and by `exec`.
pub struct ProcessPlan {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub user: String,
    pub group_add: Vec<String>,
    pub caps: caps::CapsHashSet,
    pub no_new_privileges: bool,
    pub seccomp: Option<crate::security::bpf::Program>,
    pub ulimits: Vec<Ulimit>,
    pub init: bool,
    /// `--preserve-fd(s)`: the caller's descriptors, in the order they become 3, 4, ...
    pub preserve_fds: Vec<RawFd>,
    /// `--umask`, set right before the security drop.
    pub umask: u32,
}

/// How the container's standard streams are wired.
pub enum StdioMode {
    /// A pseudo-terminal from the container's own devpts; the master comes back to the parent.
    Tty,
    /// [`StdioMode::Tty`] sized `rows` x `cols` instead of like the parent's own terminal
    /// (a monitor, whose user's terminal is at the end of an attach socket).
    TtySized { rows: u16, cols: u16 },
    /// stdout/stderr pipes read by the parent; stdin from the given fd or /dev/null.
    Pipes { stdin: Option<OwnedFd> },
    /// `--log-driver passthrough`: the container's 0, 1 and 2 are burrow's own (nothing is
    /// read, logged or attached).
    Inherit,
}

/// Mounts the image's layers at the given path; errors are already user-facing text.
pub type MountRootfs<'a> = Box<dyn Fn(&Path) -> std::result::Result<(), String> + 'a>;

/// A container's first process.
pub struct Plan<'a> {
    pub rootfs: PathBuf,
    /// Mounts the image's layers at the given path (overlay, fuse-overlayfs or vfs).
    pub mount_rootfs: MountRootfs<'a>,
    pub hostname: String,
    /// Generated files bind-mounted into /etc: (host file, container path).
    pub etc_files: Vec<(PathBuf, String)>,
    pub mounts: Vec<Mount>,
    pub read_only: bool,
    /// A new network namespace with loopback only (false: the host's, `--network host`, or
    /// the one in `join_net`).
    pub new_net: bool,
    /// An existing network namespace to join (`--network container:NAME`, `ns:PATH`), opened
    /// by the parent so a missing one fails before the fork.
    pub join_net: Option<OwnedFd>,
    /// A pod's IPC, UTS and cgroup namespaces (its infra container's), joined right after
    /// clone.
    pub join_ipc: Option<OwnedFd>,
    pub join_uts: Option<OwnedFd>,
    pub join_cgroup: Option<OwnedFd>,
    /// A pod's PID namespace (`--share pid`): the container is cloned into it rather than
    /// into a new one.
    pub join_pid: Option<OwnedFd>,
    /// A pod's infra container: no rootfs, no image; once its namespaces exist and the
    /// network is up it execs burrow's own pause program (`__infra`).
    pub infra: bool,
    /// `--privileged`: the cgroup file system is mounted writable.
    pub privileged: bool,
    /// `--cgroupns=host`: the container stays in burrow's cgroup namespace.
    pub cgroupns_host: bool,
    /// OCI hooks from CDI specs, and the state JSON they get (`{pid}` stands for the
    /// container's pid, which only the child knows at that point).
    pub hooks: Vec<crate::cdi::Hook>,
    pub hook_state: String,
    pub masked_paths: Vec<String>,
    pub readonly_paths: Vec<String>,
    pub process: ProcessPlan,
    pub stdio: StdioMode,
    /// The /etc/passwd and /etc/group entries to add (`--passwd`, the default); `None` with
    /// `--passwd=false`.
    pub passwd: Option<passwd::PasswdPlan>,
    /// `--hosts-file image`: where in the generated /etc/hosts the image's own goes.
    pub hosts_image_base: Option<usize>,
    /// `--sysctl`: written under /proc/sys once the namespaces they belong to are ours.
    pub sysctls: Vec<(String, String)>,
    /// `--pid host`, `--ipc host`, `--uts host`: that namespace stays burrow's own (the host's
    /// as the user sees it); /proc and /dev/mqueue are then bound from it.
    pub host_pid: bool,
    pub host_ipc: bool,
    pub host_uts: bool,
    /// `--personality`: the personality(2) persona set before the command runs.
    pub personality: Option<u64>,
    /// A user namespace of the container's own (`--userns`, `--uidmap`): its uid and gid
    /// maps in our ids; `None`: the container stays in ours.
    pub userns: Option<UsernsMaps>,
    /// Descriptors the child keeps until its exec (`/proc/self/fd/N` paths in the plan name
    /// them: places its own user namespace could not reach by path).
    pub keep_fds: Vec<OwnedFd>,
    /// A directory holding `rootfs`, for a container whose user namespace leaves burrow's
    /// user out: the child opens it while it still has the user's ids (the owner of the
    /// 0700 data root above it) and uses `/proc/self/fd/N/rootfs` as its rootfs from then on.
    pub rootfs_anchor: Option<PathBuf>,
    /// `--userns container:NAME`: that container's user namespace, joined before the
    /// container's other namespaces are created, so they belong to it.
    pub join_user: Option<OwnedFd>,
}

/// The maps of a container's own user namespace, written by the parent after the clone.
pub struct UsernsMaps {
    pub uid_map: String,
    pub gid_map: String,
}

/// `clone` for a container that joins an existing user namespace: a user namespace cannot
/// be entered by clone, and once this process entered it, it could not come back. So an
/// intermediate process joins it (and the pod's pid namespace, which it owns), clones the
/// container with CLONE_PARENT, so the container is our child as usual, reports its pid and
/// leaves. Returns what clone returns: 0 in the container, its pid (or -1) here.
fn clone_in_userns(user: &OwnedFd, join_pid: Option<&OwnedFd>, flags: libc::c_int) -> Result<i64> {
    let (r, w) = cloexec_pipe()?;
    // SAFETY: single-threaded (see spawn); the intermediate only makes syscalls and leaves
    // with _exit, or returns 0 as the container itself.
    match unsafe { nix::unistd::fork() }.map_err(|e| LibpodError::sys("fork", e))? {
        nix::unistd::ForkResult::Child => {
            drop(r);
            // Once in the container's user namespace, its root holds CAP_SYS_PTRACE over
            // us, who still hold every descriptor of burrow's: not dumpable, so that nothing
            // in the namespace can attach or open our /proc entries. The container itself
            // gets back the flag it would have had (its network helpers open its /proc).
            let was_dumpable = fds::is_dumpable();
            fds::set_dumpable(false);
            let joined =
                nix::sched::setns(user, nix::sched::CloneFlags::CLONE_NEWUSER).and_then(|()| {
                    match join_pid {
                        Some(ns) => nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWPID),
                        None => Ok(()),
                    }
                });
            let rc = match joined {
                // SAFETY: as the clone in spawn_core; CLONE_PARENT makes the container a
                // child of our parent.
                Ok(()) => unsafe {
                    libc::syscall(
                        libc::SYS_clone,
                        (flags | libc::CLONE_PARENT | libc::SIGCHLD) as libc::c_ulong,
                        0usize,
                        0usize,
                        0usize,
                        0usize,
                    )
                },
                Err(e) => -(e as i64),
            };
            if rc == 0 {
                fds::set_dumpable(was_dumpable);
                return Ok(0);
            }
            let rc = if rc < 0 && joined.is_ok() {
                -(nix::Error::last() as i64)
            } else {
                rc
            };
            let _ = nix::unistd::write(&w, &rc.to_ne_bytes());
            // SAFETY: leave without running the parent's exit handlers.
            unsafe { libc::_exit(0) }
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(w);
            let mut buf = [0u8; 8];
            let n = File::from(r).read(&mut buf).unwrap_or(0);
            let _ = nix::sys::wait::waitpid(child, None);
            let rc = if n == 8 {
                i64::from_ne_bytes(buf)
            } else {
                -(libc::ECHILD as i64)
            };
            if rc < 0 {
                return Err(LibpodError::sys(
                    "join the user namespace and create the container's namespaces",
                    nix::Error::from_raw(-rc as i32),
                ));
            }
            Ok(rc)
        }
    }
}

/// Writes a fresh child's uid_map and gid_map. The parent is root in its own namespace
/// (CAP_SETUID/CAP_SETGID there), so it may write several lines itself, as newuidmap
/// would, and setgroups stays allowed: the container may still call setgroups(2).
fn write_id_maps(pid: Pid, maps: &UsernsMaps) -> Result<()> {
    for (file, text) in [("uid_map", &maps.uid_map), ("gid_map", &maps.gid_map)] {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, text.as_bytes()).map_err(|e| {
            LibpodError::io(
                format!("write {path} ({})", text.trim().replace('\n', ", ")),
                e,
            )
        })?;
    }
    Ok(())
}

/// The parent's handles on a started process.
pub struct Spawned {
    pub pid: Pid,
    pub pty: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
}

struct ChildFds {
    err_w: OwnedFd,
    go_r: Option<OwnedFd>,
    /// Read before exec: the network helper has configured the namespace.
    gate_r: Option<OwnedFd>,
    tty_sock: Option<OwnedFd>,
    stdin: Option<OwnedFd>,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
}

impl ChildFds {
    /// The descriptors the child was handed (kept when it closes the rest of burrow's).
    fn raw(&self) -> Vec<RawFd> {
        [
            Some(&self.err_w),
            self.go_r.as_ref(),
            self.gate_r.as_ref(),
            self.tty_sock.as_ref(),
            self.stdin.as_ref(),
            self.stdout.as_ref(),
            self.stderr.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|fd| fd.as_raw_fd())
        .collect()
    }
}

/// What a child keeps of burrow's descriptors: stdio, `--preserve-fd(s)` (passed to the
/// command), and the ones it was handed.
fn keep_list(preserve_fds: &[RawFd], handed: impl IntoIterator<Item = RawFd>) -> Vec<RawFd> {
    (0..3)
        .chain(preserve_fds.iter().copied())
        .chain(handed)
        .collect()
}

struct ParentFds {
    err_r: OwnedFd,
    go_w: Option<OwnedFd>,
    tty_sock: Option<OwnedFd>,
    /// The size for the pty; `None`: the parent's stdin terminal's.
    tty_size: Option<(u16, u16)>,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
}

/// A pipe whose ends no exec inherits (a program that daemonizes would otherwise hold a
/// write end open, and its reader would wait for ever).
pub(crate) fn cloexec_pipe() -> Result<(OwnedFd, OwnedFd)> {
    pipe2(OFlag::O_CLOEXEC).map_err(|e| LibpodError::sys("pipe", e))
}

fn make_fds(stdio: StdioMode, with_go: bool) -> Result<(ParentFds, ChildFds)> {
    let (err_r, err_w) = cloexec_pipe()?;
    let (go_r, go_w) = if with_go {
        let (r, w) = cloexec_pipe()?;
        (Some(r), Some(w))
    } else {
        (None, None)
    };
    let mut p = ParentFds {
        err_r,
        go_w,
        tty_sock: None,
        tty_size: None,
        stdout: None,
        stderr: None,
    };
    let mut c = ChildFds {
        err_w,
        go_r,
        gate_r: None,
        tty_sock: None,
        stdin: None,
        stdout: None,
        stderr: None,
    };
    match stdio {
        StdioMode::Tty | StdioMode::TtySized { .. } => {
            if let StdioMode::TtySized { rows, cols } = stdio {
                p.tty_size = Some((rows, cols));
            }
            let (a, b) = tty::socketpair()?;
            p.tty_sock = Some(a);
            c.tty_sock = Some(b);
        }
        StdioMode::Pipes { stdin } => {
            let (or, ow) = cloexec_pipe()?;
            let (er, ew) = cloexec_pipe()?;
            p.stdout = Some(or);
            p.stderr = Some(er);
            c.stdout = Some(ow);
            c.stderr = Some(ew);
            c.stdin = stdin;
        }
        StdioMode::Inherit => {
            let dup = |fd: RawFd| -> Result<OwnedFd> {
                // SAFETY: fd 0..2 stay open for the life of this process.
                unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
                    .try_clone_to_owned()
                    .map_err(|e| LibpodError::io("duplicate burrow's standard streams", e))
            };
            c.stdin = Some(dup(0)?);
            c.stdout = Some(dup(1)?);
            c.stderr = Some(dup(2)?);
        }
    }
    Ok((p, c))
}

/// Forks a container: new mount, pid, ipc, uts, cgroup (and net) namespaces, then the plan.
pub fn spawn(plan: Plan<'_>) -> Result<Spawned> {
    spawn_with(plan, |_| Ok(())).map(|(sp, ())| sp)
}

/// As `spawn`, running `before_go` with the child's pid while the child still waits on the go
/// pipe: its namespaces exist but nothing of the plan ran yet (e.g. slirp4netns must configure
/// the network namespace before the command starts). If `before_go` fails, the child is killed.
pub fn spawn_with<T>(
    plan: Plan<'_>,
    before_go: impl FnOnce(Pid) -> Result<T>,
) -> Result<(Spawned, T)> {
    spawn_core(plan, false, before_go, Ok)
}

/// As `spawn_with`, in two steps so a network helper works in parallel with the container's
/// setup: `start` runs with the child's pid before the child is let go (start the helper,
/// without waiting for it); `ready` runs while the child mounts its rootfs (wait for the
/// helper); the child execs the command only once `ready` returned. An `Err` from either
/// kills the child; an error the child reported itself comes first, being the first cause.
pub fn spawn_gated<S, T>(
    plan: Plan<'_>,
    start: impl FnOnce(Pid) -> Result<S>,
    ready: impl FnOnce(S) -> Result<T>,
) -> Result<(Spawned, T)> {
    spawn_core(plan, true, start, ready)
}

fn spawn_core<S, T>(
    mut plan: Plan<'_>,
    gated: bool,
    start: impl FnOnce(Pid) -> Result<S>,
    ready: impl FnOnce(S) -> Result<T>,
) -> Result<(Spawned, T)> {
    let stdio = std::mem::replace(&mut plan.stdio, StdioMode::Pipes { stdin: None });
    let (mut parent, mut child) = make_fds(stdio, true)?;
    let gate_w = if gated {
        let (r, w) = cloexec_pipe()?;
        child.gate_r = Some(r);
        Some(w)
    } else {
        None
    };
    // No CLONE_NEWCGROUP here: a cgroup namespace is rooted where its creator is at that
    // moment, and the parent moves the child into the container's cgroup only after the
    // clone (`start`). The child unshares it once it is let go, so the namespace's root is
    // the container's own cgroup (`0::/` inside, as crun does).
    let mut flags = libc::CLONE_NEWNS;
    if !plan.host_ipc {
        flags |= libc::CLONE_NEWIPC;
    }
    if !plan.host_uts {
        flags |= libc::CLONE_NEWUTS;
    }
    if plan.new_net {
        flags |= libc::CLONE_NEWNET;
    }
    // A user namespace of its own is created first by clone (the kernel makes it before the
    // others), so it owns every namespace created with it: the container's root may then
    // mount, configure its network and so on. Its maps are written below, before the child
    // is let go.
    if plan.userns.is_some() {
        flags |= libc::CLONE_NEWUSER;
    }
    // A PID namespace cannot be entered by the process itself, only by its children: point
    // ours at the pod's for this one clone, and back afterwards.
    let restore_pid = match &plan.join_pid {
        // Joined by the intermediate process of `clone_in_userns`, once it is in the user
        // namespace that owns the pod's pid namespace.
        Some(_) if plan.join_user.is_some() => None,
        Some(ns) => {
            let own = File::open("/proc/self/ns/pid")
                .map_err(|e| LibpodError::io("open our own pid namespace", e))?;
            nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWPID)
                .map_err(|e| LibpodError::sys("join the pod's pid namespace", e))?;
            Some(own)
        }
        None => {
            if !plan.host_pid {
                flags |= libc::CLONE_NEWPID;
            }
            None
        }
    };
    let parent_pid = nix::unistd::getpid();
    // A child cloned into a pod's pid namespace can be seen by the pod's running containers
    // from its first instant: it is born non-dumpable. A child in a new pid namespace is
    // alone in it until its command starts; it stays dumpable until its network is set up,
    // because slirp4netns and the port forwarder open its /proc/PID/ns/net (ptrace access),
    // and turns non-dumpable itself before its command can exist (`container_child`).
    let non_dumpable = (plan.join_pid.is_some() && !gated).then(fds::NonDumpable::new);
    // SAFETY: a raw clone without CLONE_VM behaves like fork with namespace flags; the process
    // is single-threaded (threads are never started before this point), so the child may use
    // the allocator and ordinary library code.
    let rc = match &plan.join_user {
        Some(user) => clone_in_userns(user, plan.join_pid.as_ref(), flags)?,
        None => unsafe {
            libc::syscall(
                libc::SYS_clone,
                (flags | libc::SIGCHLD) as libc::c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        },
    };
    let clone_error = (rc < 0).then(nix::Error::last);
    if rc != 0
        && let Some(own) = &restore_pid
    {
        // Our own namespace is the active one, which setns always accepts.
        let _ = nix::sched::setns(own, nix::sched::CloneFlags::CLONE_NEWPID);
    }
    if let Some(e) = clone_error {
        return Err(LibpodError::sys(
            "create the container's namespaces (clone)",
            e,
        ));
    }
    if rc == 0 {
        let handed = child.raw().into_iter().chain(
            [
                &plan.join_net,
                &plan.join_ipc,
                &plan.join_uts,
                &plan.join_cgroup,
                &plan.join_user,
            ]
            .into_iter()
            .flatten()
            .chain(&plan.keep_fds)
            .map(|fd| fd.as_raw_fd()),
        );
        fds::close_all_except(&keep_list(&plan.process.preserve_fds, handed));
        // Their descriptors are closed already: dropping them would close whatever reuses
        // the numbers.
        std::mem::forget(parent);
        std::mem::forget(gate_w);
        std::mem::forget(restore_pid);
        std::mem::forget(plan.join_pid.take());
        std::mem::forget(non_dumpable);
        container_child(plan, child, parent_pid)
    }
    drop(non_dumpable);
    drop(child);
    let userns = plan.userns.take();
    drop(plan);
    let pid = Pid::from_raw(rc as i32);
    let fail = |parent: ParentFds, e: LibpodError| -> LibpodError {
        let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(pid, None);
        let mut msg = String::new();
        let _ = File::from(parent.err_r).read_to_string(&mut msg);
        match msg.split_once(':') {
            Some((c, m)) if !m.is_empty() => LibpodError::StartFailed {
                message: m.to_string(),
                code: c.parse().unwrap_or(125),
            },
            _ => e,
        }
    };
    if let Some(maps) = &userns
        && let Err(e) = write_id_maps(pid, maps)
    {
        return Err(fail(parent, e));
    }
    let started = match start(pid) {
        Ok(x) => x,
        Err(e) => return Err(fail(parent, e)),
    };
    if gated {
        // Let the child go now: it builds its rootfs while `ready` waits.
        if let Some(go) = parent.go_w.take() {
            let _ = fds::write_or_epipe(&go, b"G");
        }
    }
    let extra = match ready(started) {
        Ok(x) => x,
        Err(e) => return Err(fail(parent, e)),
    };
    if let Some(g) = gate_w {
        let _ = fds::write_or_epipe(&g, b"N");
    }
    finish_spawn(pid, parent).map(|sp| (sp, extra))
}

/// A process inside an existing container: the caller already joined its namespaces.
pub fn spawn_in_container(process: ProcessPlan, stdio: StdioMode) -> Result<Spawned> {
    let (parent, child) = make_fds(stdio, false)?;
    let parent_pid = nix::unistd::getpid();
    // The child is in the container's pid namespace from its first instant: born
    // non-dumpable, it cannot be reached through /proc before its execve.
    let non_dumpable = fds::NonDumpable::new();
    // SAFETY: single-threaded process (see spawn).
    let forked = unsafe { nix::unistd::fork() };
    if !matches!(forked, Ok(nix::unistd::ForkResult::Child)) {
        drop(non_dumpable);
    }
    match forked.map_err(|e| LibpodError::sys("fork", e))? {
        nix::unistd::ForkResult::Child => {
            fds::close_all_except(&keep_list(&process.preserve_fds, child.raw()));
            std::mem::forget(parent);
            let ChildFds {
                err_w,
                tty_sock,
                stdin,
                stdout,
                stderr,
                ..
            } = child;
            let result = death_signal(parent_pid)
                .and_then(|()| wire_stdio(tty_sock, stdin, stdout, stderr, false))
                .and_then(|()| exec_process(process, &err_w));
            child_fail(&err_w, result)
        }
        nix::unistd::ForkResult::Parent { child: pid } => {
            drop(child);
            finish_spawn(pid, parent)
        }
    }
}

fn finish_spawn(pid: Pid, parent: ParentFds) -> Result<Spawned> {
    let ParentFds {
        err_r,
        go_w,
        tty_sock,
        tty_size,
        stdout,
        stderr,
    } = parent;
    if let Some(go) = go_w {
        let _ = fds::write_or_epipe(&go, b"G");
    }
    let pty = match tty_sock {
        Some(sock) => {
            let pty = tty::recv_fd(&sock).ok();
            if let Some(p) = &pty {
                match tty_size {
                    Some((rows, cols)) => tty::set_winsize(p.as_raw_fd(), rows, cols),
                    None => tty::copy_winsize(0, p.as_raw_fd()),
                }
            }
            let _ = fds::write_or_epipe(&sock, b"A");
            pty
        }
        None => None,
    };
    let mut msg = String::new();
    let _ = File::from(err_r).read_to_string(&mut msg);
    if !msg.is_empty() {
        let _ = nix::sys::wait::waitpid(pid, None);
        let (code, message) = match msg.split_once(':') {
            Some((c, m)) => (c.parse().unwrap_or(125), m.to_string()),
            None => (125, msg),
        };
        return Err(LibpodError::StartFailed { message, code });
    }
    Ok(Spawned {
        pid,
        pty,
        stdout,
        stderr,
    })
}

fn child_fail(err_w: &OwnedFd, result: std::result::Result<(), ChildError>) -> ! {
    let (code, message) = match result {
        Ok(()) => (125, "exec returned".to_string()),
        Err(e) => (e.code, e.message),
    };
    let mut f = std::mem::ManuallyDrop::new(unsafe_file(err_w.as_raw_fd()));
    let _ = f.write_all(format!("{code}:{message}").as_bytes());
    // SAFETY: leave at once; nothing of the parent's may be flushed from this copy.
    unsafe { libc::_exit(code) }
}

fn unsafe_file(fd: RawFd) -> File {
    // SAFETY: the caller keeps the fd open and the File is never dropped (ManuallyDrop).
    unsafe { File::from_raw_fd(fd) }
}

/// The container dies with its supervisor: a burrow killed mid-run must not leave an
/// unsupervised container behind (the next command sees it gone and records it).
fn death_signal(parent_pid: Pid) -> std::result::Result<(), ChildError> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
        .map_err(|e| ChildError::setup(format!("prctl: {e}")))?;
    // In a new pid namespace the parent is outside it and getppid() reads 0; the "go" pipe
    // covers that case (EOF when the supervisor is gone).
    let ppid = nix::unistd::getppid();
    if ppid.as_raw() != 0 && ppid != parent_pid {
        return Err(ChildError::setup("supervisor exited during start"));
    }
    Ok(())
}

fn container_child(mut plan: Plan<'_>, fds: ChildFds, parent_pid: Pid) -> ! {
    let ChildFds {
        err_w,
        go_r,
        gate_r,
        tty_sock,
        stdin,
        stdout,
        stderr,
    } = fds;
    let result = (|| {
        death_signal(parent_pid)?;
        if let Some(go) = go_r {
            let mut b = [0u8; 1];
            let n = File::from(go).read(&mut b).unwrap_or(0);
            if n == 0 {
                return Err(ChildError::setup("supervisor went away before start"));
            }
        }
        if let Some(anchor) = &plan.rootfs_anchor {
            plan.rootfs = open_anchor(anchor)?;
        }
        if plan.userns.is_some() || plan.join_user.is_some() {
            become_userns_root()?;
        }
        if plan.join_cgroup.is_none() && !plan.cgroupns_host {
            // The parent has placed us in our cgroup (if any) before letting us go.
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWCGROUP)
                .map_err(|e| ChildError::setup(format!("create the cgroup namespace: {e}")))?;
        }
        if let Some(ns) = &plan.join_net {
            // Before any mount: sysfs is mounted for the network namespace we are in.
            nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(|e| ChildError::setup(format!("join the network namespace: {e}")))?;
        }
        // A pod member joins the infra's IPC, UTS and cgroup namespaces (ours are fresh from
        // clone and empty, so leaving them loses nothing); before the mounts, so /dev/mqueue
        // is the pod's.
        for (ns, kind, what) in [
            (&plan.join_ipc, nix::sched::CloneFlags::CLONE_NEWIPC, "ipc"),
            (&plan.join_uts, nix::sched::CloneFlags::CLONE_NEWUTS, "uts"),
            (
                &plan.join_cgroup,
                nix::sched::CloneFlags::CLONE_NEWCGROUP,
                "cgroup",
            ),
        ] {
            if let Some(ns) = ns {
                nix::sched::setns(ns, kind).map_err(|e| {
                    ChildError::setup(format!("join the pod's {what} namespace: {e}"))
                })?;
            }
        }
        if plan.new_net {
            mounts::loopback_up()?;
        }
        if !plan.hostname.is_empty() && plan.join_uts.is_none() && !plan.host_uts {
            nix::unistd::sethostname(&plan.hostname)
                .map_err(|e| ChildError::setup(format!("sethostname: {e}")))?;
        }
        set_sysctls(&plan.sysctls)?;
        if plan.infra {
            return exec_infra(tty_sock, stdin, stdout, stderr, gate_r, &err_w);
        }
        // The hooks' state carries our pid as the host sees it, read before /proc is the
        // container's; nothing to do without hooks (the usual run).
        let state = if plan.hooks.is_empty() {
            String::new()
        } else {
            let host_pid = std::fs::read_link("/proc/self")
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "0".into());
            plan.hook_state.replace("{pid}", &host_pid)
        };
        mounts::setup_rootfs(&plan)?;
        hooks::run(&plan.hooks, hooks::BEFORE_PIVOT, &state)?;
        mounts::pivot(&plan.rootfs)?;
        // stdio after pivot_root: a terminal must come from the container's own devpts.
        wire_stdio(tty_sock, stdin, stdout, stderr, true)?;
        mounts::mask_and_protect(&plan.masked_paths, &plan.readonly_paths)?;
        if plan.read_only {
            mounts::root_read_only()?;
        }
        if let Some(gate) = gate_r {
            let mut b = [0u8; 1];
            if File::from(gate).read(&mut b).unwrap_or(0) == 0 {
                return Err(ChildError::setup("the network was not set up"));
            }
        }
        hooks::run(&plan.hooks, hooks::AFTER_PIVOT, &state)?;
        // From here on processes of the container may exist (--init forks the command),
        // and nothing needs this one's /proc entries any more.
        fds::set_dumpable(false);
        if let Some(persona) = plan.personality {
            // SAFETY: personality(2) only changes this process's execution domain.
            if unsafe { libc::personality(persona as libc::c_ulong) } < 0 {
                return Err(ChildError::setup(format!(
                    "set the personality: {}",
                    std::io::Error::last_os_error()
                )));
            }
        }
        exec_process(plan.process, &err_w)
    })();
    child_fail(&err_w, result)
}

/// `anchor/rootfs` as a path that needs no search permission above `anchor`. Opened here,
/// in our own mount namespace (a descriptor of the parent's would name the parent's mounts,
/// where nothing can be attached from here), with the ids we were cloned with.
fn open_anchor(anchor: &Path) -> std::result::Result<PathBuf, ChildError> {
    let fd = nix::fcntl::open(
        anchor,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| ChildError::setup(format!("open {}: {e}", anchor.display())))?;
    // Kept until exec, which closes it (O_CLOEXEC).
    let fd = std::mem::ManuallyDrop::new(fd);
    Ok(PathBuf::from(format!(
        "/proc/self/fd/{}/rootfs",
        fd.as_raw_fd()
    )))
}

/// In a fresh user namespace we hold every capability but keep the ids we had outside,
/// which the maps may not contain (nomap, auto, most `--uidmap`s): files the setup creates
/// (overlayfs' work directory, copied-up files) would then have no owner inside. The maps
/// are written by now (the parent writes them before it lets us go): become its root.
fn become_userns_root() -> std::result::Result<(), ChildError> {
    let root = |e: nix::Error| {
        ChildError::setup(format!(
            "become root of the container's user namespace: {e}"
        ))
    };
    nix::unistd::setresgid(0.into(), 0.into(), 0.into()).map_err(root)?;
    nix::unistd::setgroups(&[]).map_err(root)?;
    nix::unistd::setresuid(0.into(), 0.into(), 0.into()).map_err(root)?;
    // The change of ids leaves the process non-dumpable until its execve, as every container
    // process is made before its command: the network helpers that open /proc/PID/ns/net
    // (slirp4netns, pasta, the port forwarder) are done before the parent lets it go
    // (runtime/start.rs), so nothing needs it dumpable again.
    Ok(())
}

/// `--sysctl`: /proc/sys/net/* and the IPC keys belong to the namespaces of the process that
/// writes them, so the host's /proc serves before the container's is mounted. The keys were
/// checked at create (no `/`, no `..`).
fn set_sysctls(sysctls: &[(String, String)]) -> std::result::Result<(), ChildError> {
    for (key, value) in sysctls {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        std::fs::write(&path, value)
            .map_err(|e| ChildError::setup(format!("set sysctl {key}={value}: {path}: {e}")))?;
    }
    Ok(())
}

/// The infra container's last steps: its stdio to the monitor, the network up, then burrow
/// itself re-executed as the pause program, so the process holds none of the monitor's memory.
fn exec_infra(
    tty_sock: Option<OwnedFd>,
    stdin: Option<OwnedFd>,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
    gate_r: Option<OwnedFd>,
    err_w: &OwnedFd,
) -> std::result::Result<(), ChildError> {
    wire_stdio(tty_sock, stdin, stdout, stderr, true)?;
    if let Some(gate) = gate_r {
        let mut b = [0u8; 1];
        if File::from(gate).read(&mut b).unwrap_or(0) == 0 {
            return Err(ChildError::setup("the network was not set up"));
        }
    }
    // SAFETY: marks descriptors close-on-exec; no memory is touched.
    unsafe { libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_int) };
    let _ = err_w;
    reset_signals();
    let argv = [c"burrow-infra", c"__infra"];
    let err = nix::unistd::execv(c"/proc/self/exe", &argv)
        .err()
        .unwrap_or(nix::Error::UnknownErrno);
    Err(ChildError::setup(format!(
        "start the pod's infra process (/proc/self/exe): {err}"
    )))
}

fn wire_stdio(
    tty_sock: Option<OwnedFd>,
    stdin: Option<OwnedFd>,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
    new_session: bool,
) -> std::result::Result<(), ChildError> {
    if let Some(sock) = tty_sock {
        let (master, slave) = tty::open_pty().map_err(ChildError::setup)?;
        tty::send_fd(&sock, &master).map_err(ChildError::setup)?;
        drop(master);
        // Wait until the supervisor has sized the terminal, so the command's first look at
        // its window size (`stty size`, a shell's line editor) sees the user's.
        let mut ack = [0u8; 1];
        let _ = nix::unistd::read(&sock, &mut ack);
        nix::unistd::setsid().map_err(|e| ChildError::setup(format!("setsid: {e}")))?;
        // SAFETY: TIOCSCTTY on our own new terminal, making it the session's controlling tty.
        if unsafe { libc::ioctl(slave.as_raw_fd(), libc::TIOCSCTTY, 0) } < 0 {
            return Err(ChildError::setup(format!(
                "set controlling terminal: {}",
                std::io::Error::last_os_error()
            )));
        }
        for fd in 0..3 {
            dup_to(&slave, fd)?;
        }
        return Ok(());
    }
    if new_session {
        let _ = nix::unistd::setsid();
    }
    let null = File::options()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|e| ChildError::setup(format!("open /dev/null: {e}")))?;
    let null: OwnedFd = null.into();
    dup_to(stdin.as_ref().unwrap_or(&null), 0)?;
    dup_to(stdout.as_ref().unwrap_or(&null), 1)?;
    dup_to(stderr.as_ref().unwrap_or(&null), 2)?;
    Ok(())
}

fn dup_to(fd: &OwnedFd, target: RawFd) -> std::result::Result<(), ChildError> {
    // SAFETY: dup2 onto a standard descriptor of this single-threaded child; dup2 clears
    // close-on-exec on the new descriptor.
    if unsafe { libc::dup2(fd.as_raw_fd(), target) } < 0 {
        return Err(ChildError::setup(format!(
            "dup2: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Credentials, working directory, limits, security, then execve. Only returns on error.
fn exec_process(p: ProcessPlan, err_w: &OwnedFd) -> std::result::Result<(), ChildError> {
    let u = user::resolve(&p.user, &p.group_add)?;
    let mut env = p.env;
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={}", u.home));
    }
    let cwd = if p.cwd.is_empty() {
        "/".to_string()
    } else {
        p.cwd.clone()
    };
    if std::fs::metadata(&cwd).is_err() {
        // podman creates a missing working directory, owned by the container's user.
        std::fs::create_dir_all(&cwd)
            .map_err(|e| ChildError::setup(format!("create working directory {cwd}: {e}")))?;
        let _ = nix::unistd::chown(cwd.as_str(), Some(u.uid.into()), Some(u.gid.into()));
    }
    nix::unistd::chdir(cwd.as_str())
        .map_err(|e| ChildError::setup(format!("chdir to working directory {cwd}: {e}")))?;
    set_rlimits(&p.ulimits)?;
    let Some(arg0) = p.args.first() else {
        return Err(ChildError::setup(
            "no command specified: the image has no CMD or ENTRYPOINT; give one after the image name",
        ));
    };
    let path_var = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH)
        .to_string();
    let program = lookup(arg0, &path_var)?;
    let argv: Vec<CString> = p
        .args
        .iter()
        .map(|a| mounts::cstr(a))
        .collect::<std::result::Result<_, _>>()?;
    let envp: Vec<CString> = env
        .iter()
        .map(|e| mounts::cstr(e))
        .collect::<std::result::Result<_, _>>()?;
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe { libc::umask(p.umask as libc::mode_t) };
    ProcessSecurity {
        uid: u.uid,
        gid: u.gid,
        additional_gids: (!p.group_add.iter().any(|g| g == KEEP_GROUPS))
            .then_some(u.additional_gids),
        caps: p.caps,
        no_new_privileges: p.no_new_privileges,
        seccomp: p.seccomp,
    }
    .apply()
    .map_err(|e| ChildError::setup(e.to_string()))?;
    // The preserved descriptors move to 3, 4, ...; the error pipe out of their way.
    let err_fd = fds::renumber(&p.preserve_fds, err_w.as_raw_fd())
        .map_err(|e| ChildError::setup(format!("pass --preserve-fd descriptors: {e}")))?;
    // Every descriptor past stdio and those closes at exec: nothing else of the host's
    // reaches the container.
    // SAFETY: marks descriptors close-on-exec; no memory is touched.
    unsafe {
        libc::close_range(
            3 + u32::try_from(p.preserve_fds.len()).unwrap_or(0),
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC as libc::c_int,
        )
    };
    let do_exec = move || -> std::convert::Infallible {
        reset_signals();
        let err = nix::unistd::execve(&program, &argv, &envp)
            .err()
            .unwrap_or(nix::Error::UnknownErrno);
        let (code, message) = exec_error(&argv[0], err);
        // The error pipe is close-on-exec, so after a failed exec it is still open at its fd.
        let mut f = std::mem::ManuallyDrop::new(unsafe_file(err_fd));
        let _ = f.write_all(format!("{code}:{message}").as_bytes());
        // SAFETY: exit the failed child at once.
        unsafe { libc::_exit(code) }
    };
    if p.init {
        init::run(do_exec)
    }
    // The closure ends in exec or _exit; the compiler sees the call itself as diverging.
    #[allow(unreachable_code)]
    match do_exec() {}
}

fn exec_error(arg0: &CString, err: nix::Error) -> (i32, String) {
    let name = arg0.to_string_lossy();
    match err {
        nix::Error::ENOENT => (
            127,
            format!("{name}: executable file not found: No such file or directory"),
        ),
        nix::Error::EACCES | nix::Error::EPERM => (
            126,
            format!("{name}: permission denied: cannot invoke the command"),
        ),
        e => (126, format!("{name}: cannot invoke the command: {e}")),
    }
}

/// execvp's search, with the container's PATH, done before the security drop so the error is
/// podman's "executable file not found in $PATH" (127).
fn lookup(arg0: &str, path: &str) -> std::result::Result<CString, ChildError> {
    if arg0.contains('/') {
        return mounts::cstr(arg0);
    }
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        let candidate = Path::new(dir).join(arg0);
        if let Ok(m) = std::fs::metadata(&candidate)
            && m.is_file()
        {
            return mounts::cstr(&candidate.to_string_lossy());
        }
    }
    Err(ChildError {
        code: 127,
        message: format!("executable file `{arg0}` not found in $PATH: No such file or directory"),
    })
}

/// Signals blocked or ignored by the supervisor (Rust ignores SIGPIPE) must not leak into the
/// container: exec keeps ignored dispositions and the mask.
fn reset_signals() {
    for sig in Signal::iterator() {
        if !matches!(sig, Signal::SIGKILL | Signal::SIGSTOP) {
            // SAFETY: restoring default dispositions before exec.
            let _ = unsafe { nix::sys::signal::signal(sig, SigHandler::SigDfl) };
        }
    }
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}

fn set_rlimits(ulimits: &[Ulimit]) -> std::result::Result<(), ChildError> {
    for u in ulimits {
        let Some(res) = rlimit_resource(&u.name) else {
            return Err(ChildError::setup(format!("unknown ulimit \"{}\"", u.name)));
        };
        let lim = libc::rlimit {
            rlim_cur: u.soft,
            rlim_max: u.hard,
        };
        // SAFETY: setrlimit with a valid resource id and a local struct.
        if unsafe { libc::setrlimit(res, &lim) } != 0 {
            return Err(ChildError::setup(format!(
                "set ulimit {}={}:{}: {}",
                u.name,
                u.soft,
                u.hard,
                std::io::Error::last_os_error()
            )));
        }
    }
    Ok(())
}

pub fn rlimit_resource(name: &str) -> Option<libc::__rlimit_resource_t> {
    Some(
        match name
            .trim_start_matches("RLIMIT_")
            .to_ascii_lowercase()
            .as_str()
        {
            "core" => libc::RLIMIT_CORE,
            "cpu" => libc::RLIMIT_CPU,
            "data" => libc::RLIMIT_DATA,
            "fsize" => libc::RLIMIT_FSIZE,
            "locks" => libc::RLIMIT_LOCKS,
            "memlock" => libc::RLIMIT_MEMLOCK,
            "msgqueue" => libc::RLIMIT_MSGQUEUE,
            "nice" => libc::RLIMIT_NICE,
            "nofile" => libc::RLIMIT_NOFILE,
            "nproc" => libc::RLIMIT_NPROC,
            "rss" => libc::RLIMIT_RSS,
            "rtprio" => libc::RLIMIT_RTPRIO,
            "rttime" => libc::RLIMIT_RTTIME,
            "sigpending" => libc::RLIMIT_SIGPENDING,
            "stack" => libc::RLIMIT_STACK,
            "as" => libc::RLIMIT_AS,
            _ => return None,
        },
    )
}
