//! The rootless user namespace: created once per user with `newuidmap`/`newgidmap` from
//! /etc/subuid and /etc/subgid, held open by a tiny pause process, and joined by every later
//! burrow invocation with `setns` (microseconds). Container uid 0 is the user, container uids
//! 1..N are the user's subordinate ranges one after the other, in file order, exactly as
//! podman maps them.
//!
//! The pause process is a fresh exec of burrow's own binary as `burrow-pause` (podman's is
//! `catatonit -P`), so `ps` never shows it as the command that happened to create it, and it
//! holds none of that command's memory.
//!
//! Everything here must run while the process is single-threaded: the kernel refuses
//! `setns(CLONE_NEWUSER)` and `unshare(CLONE_NEWUSER)` with EINVAL once a second thread exists.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsFd, FromRawFd, IntoRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sched::{CloneFlags, setns, unshare};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{ForkResult, Pid, Uid, User, fork, getpid, setsid};

use crate::error::{LibpodError, Result};
use crate::paths::Paths;

mod error;
pub mod maps;

pub use error::UserNsError;

/// The name the pause process shows in `ps`, as its comm and its whole command line; the
/// comm also tells that a recorded pid is still ours.
const PAUSE_NAME: &str = "burrow-pause";
/// Set in the pause process's environment only: with argv[0] [`PAUSE_NAME`], it tells `main`
/// that this exec of the binary is the pause process (argv[0] alone could be anyone's).
const PAUSE_ENV: &str = "BURROW_PAUSE";
/// Where the pause process finds, across its exec, the pipe it reports on and the pipe it
/// is told to go on.
const READY_FD: RawFd = 3;
const GO_FD: RawFd = 4;
/// The kernel takes at most 340 lines in a uid_map or gid_map (since Linux 4.15); one is the
/// user's own id.
const MAX_SUBID_RANGES: usize = 339;

/// A contiguous range of subordinate ids from /etc/subuid or /etc/subgid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub start: u32,
    pub count: u32,
}

/// What [`ensure`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joined {
    /// Root: no user namespace.
    Root,
    /// Joined the namespace of a running pause process.
    Existing,
    /// Made the namespace (and its pause process): the first command since the last one
    /// ended, e.g. after a reboot.
    Created,
}

/// Makes sure this process is inside the user's user and mount namespaces, creating them (and
/// the pause process that holds them) the first time. No-op for root.
pub fn ensure(paths: &Paths) -> Result<Joined> {
    if !crate::rootless::is_rootless() {
        return Ok(Joined::Root);
    }
    // setns into the pause's mount namespace resets the working directory to its root; keep
    // the user's cwd so relative paths on the command line (`-v ./x:/x`, `-i ./img.tar`) work.
    let cwd = std::env::current_dir().ok();
    let joined = join_or_create(paths)?;
    if let Some(cwd) = cwd {
        let _ = std::env::set_current_dir(cwd);
    }
    Ok(joined)
}

fn join_or_create(paths: &Paths) -> Result<Joined> {
    if let Some(pid) = read_pause_pid(paths) {
        match try_join(pid) {
            Ok(()) => return Ok(Joined::Existing),
            Err(JoinError::Gone) => {}
            Err(JoinError::Failed(e)) => return Err(e),
        }
    }
    fs::create_dir_all(&paths.run)
        .map_err(|e| LibpodError::io(format!("create {}", paths.run.display()), e))?;
    let _ = fs::set_permissions(&paths.run, fs::Permissions::from_mode(0o700));
    // Two invocations racing to create the namespace: the lock makes one of them wait and then
    // join the namespace the other made.
    let _lock = crate::lockfile::lock_exclusive(&paths.run.join("pause.lock"))?;
    if let Some(pid) = read_pause_pid(paths) {
        match try_join(pid) {
            Ok(()) => return Ok(Joined::Existing),
            Err(JoinError::Gone) => {}
            Err(JoinError::Failed(e)) => return Err(e),
        }
    }
    let pid = create_pause(paths)?;
    match try_join(pid) {
        Ok(()) => Ok(Joined::Created),
        Err(JoinError::Gone) => Err(UserNsError::HolderExitedAfterCreate.into()),
        Err(JoinError::Failed(e)) => Err(e),
    }
}

fn read_pause_pid(paths: &Paths) -> Option<i32> {
    fs::read_to_string(paths.pause_pid())
        .ok()?
        .trim()
        .parse()
        .ok()
}

enum JoinError {
    /// No pause process with that pid any more (reboot, killed): create a new one.
    Gone,
    Failed(LibpodError),
}

fn try_join(pid: i32) -> std::result::Result<(), JoinError> {
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).map_err(|_| JoinError::Gone)?;
    if comm.trim_end() != PAUSE_NAME {
        return Err(JoinError::Gone);
    }
    let user = File::open(format!("/proc/{pid}/ns/user")).map_err(|_| JoinError::Gone)?;
    let mnt = File::open(format!("/proc/{pid}/ns/mnt")).map_err(|_| JoinError::Gone)?;
    let ours = fs::metadata("/proc/self/ns/user").map(|m| m.ino()).ok();
    let theirs = user.metadata().map(|m| m.ino()).ok();
    if ours.is_none() || ours != theirs {
        // The user namespace first: it grants the capabilities needed to join the mount
        // namespace it owns.
        setns(user.as_fd(), CloneFlags::CLONE_NEWUSER)
            .map_err(|source| JoinError::Failed(UserNsError::JoinUser { pid, source }.into()))?;
    }
    let our_mnt = fs::metadata("/proc/self/ns/mnt").map(|m| m.ino()).ok();
    if our_mnt != mnt.metadata().map(|m| m.ino()).ok() {
        setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS)
            .map_err(|source| JoinError::Failed(UserNsError::JoinMount { pid, source }.into()))?;
    }
    Ok(())
}

/// Reads every range of `user` (by name or uid) from a subid file, in file order; ranges of
/// no ids are left out.
pub fn subid_ranges(file: &Path, user: &str, uid: u32) -> Result<Vec<IdRange>> {
    let text = match fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LibpodError::io(format!("read {}", file.display()), e)),
    };
    Ok(parse_subids(&text, user, uid))
}

fn parse_subids(text: &str, user: &str, uid: u32) -> Vec<IdRange> {
    let uid = uid.to_string();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.trim().split(':');
            let who = parts.next()?;
            let start = parts.next()?.parse().ok()?;
            let count = parts.next()?.parse().ok()?;
            (who == user || who == uid).then_some(IdRange { start, count })
        })
        .filter(|r| r.count > 0)
        .collect()
}

/// The arguments of `newuidmap PID ...` (or newgidmap): container id 0 is the user's own id,
/// then the ranges follow each other from container id 1, as podman maps them. Ranges past
/// the kernel's line limit, or past the last container id, are left out.
fn id_map_args(own: u32, ranges: &[IdRange]) -> Vec<String> {
    let mut args = vec!["0".to_string(), own.to_string(), "1".to_string()];
    let mut next: u32 = 1;
    for r in ranges.iter().take(MAX_SUBID_RANGES) {
        let Some(after) = next.checked_add(r.count) else {
            break;
        };
        args.extend([next.to_string(), r.start.to_string(), r.count.to_string()]);
        next = after;
    }
    args
}

pub(crate) fn find_setuid_helper(name: &str) -> Result<PathBuf> {
    let candidates = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];
    let path = candidates
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .ok_or_else(|| UserNsError::HelperMissing(name.to_string()))?;
    let meta =
        fs::metadata(&path).map_err(|e| LibpodError::io(format!("stat {}", path.display()), e))?;
    let has_caps = xattr_present(&path, "security.capability");
    if meta.uid() != 0 || (meta.mode() & 0o4000 == 0 && !has_caps) {
        return Err(UserNsError::HelperNotPrivileged(path).into());
    }
    Ok(path)
}

fn xattr_present(path: &Path, name: &str) -> bool {
    use std::ffi::CString;
    let (Ok(p), Ok(n)) = (
        CString::new(path.as_os_str().as_encoded_bytes()),
        CString::new(name),
    ) else {
        return false;
    };
    // SAFETY: both pointers are valid NUL-terminated strings; a null buffer with size 0 only
    // asks for the value's length.
    unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), std::ptr::null_mut(), 0) > 0 }
}

/// Creates the user and mount namespaces held by a new pause process; returns its pid.
fn create_pause(paths: &Paths) -> Result<i32> {
    let uid = Uid::current();
    let gid = nix::unistd::Gid::current();
    let user = User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string());
    let uids = subid_ranges(Path::new("/etc/subuid"), &user, uid.as_raw())?;
    if uids.is_empty() {
        return Err(UserNsError::NoSubuids(user).into());
    }
    let gids = subid_ranges(Path::new("/etc/subgid"), &user, uid.as_raw())?;
    if gids.is_empty() {
        return Err(UserNsError::NoSubgids(user).into());
    }
    let newuidmap = find_setuid_helper("newuidmap")?;
    let newgidmap = find_setuid_helper("newgidmap")?;
    let (argv, envp) = pause_exec_args()?;

    // exec_pause places its ends on fixed numbers for the exec; no other copy survives one.
    let (ready_r, ready_w) = crate::executor::cloexec_pipe()?;
    let (go_r, go_w) = crate::executor::cloexec_pipe()?;
    // SAFETY: burrow is single-threaded here (nothing has started a thread before the user
    // namespace is joined), so the child may run ordinary code.
    match unsafe { fork() }.map_err(|e| LibpodError::sys("fork", e))? {
        ForkResult::Child => {
            drop(ready_r);
            drop(go_w);
            let _ = setsid();
            // SAFETY: single-threaded child. The intermediate exits at once, so the pause
            // process is reparented and never becomes a zombie of a long-lived burrow.
            match unsafe { fork() } {
                Ok(ForkResult::Child) => {
                    exec_pause(ready_w.into_raw_fd(), go_r.into_raw_fd(), &argv, &envp)
                }
                Ok(ForkResult::Parent { .. }) => exit_now(0),
                Err(_) => exit_now(1),
            }
        }
        ForkResult::Parent { child } => {
            drop(ready_w);
            drop(go_r);
            let _ = nix::sys::wait::waitpid(child, None);
            let mut ready = File::from(ready_r);
            let mut go = File::from(go_w);
            let msg = read_token(&mut ready);
            let pid: i32 = match msg.strip_prefix('R').and_then(|p| p.parse().ok()) {
                Some(p) => p,
                None => return Err(pause_start_error(&msg)),
            };
            // Undoes the namespace when a later step fails; what it could not do is reported
            // with that step's error.
            let kill_pause = || -> Vec<LibpodError> {
                kill(Pid::from_raw(pid), Signal::SIGKILL)
                    .map_err(|e| LibpodError::sys(format!("kill pause process {pid}"), e))
                    .err()
                    .into_iter()
                    .collect()
            };
            for (helper, own, ranges) in [
                (&newuidmap, uid.as_raw(), &uids),
                (&newgidmap, gid.as_raw(), &gids),
            ] {
                let out = Command::new(helper)
                    .arg(pid.to_string())
                    .args(id_map_args(own, ranges))
                    .output();
                match out {
                    Ok(o) if o.status.success() => {}
                    Ok(o) => {
                        let failed = UserNsError::IdMap {
                            helper: helper.clone(),
                            stderr: String::from_utf8_lossy(&o.stderr).trim().to_string(),
                            user: user.clone(),
                        };
                        return Err(LibpodError::from(failed).with_cleanup(kill_pause()));
                    }
                    Err(e) => {
                        return Err(LibpodError::io(format!("run {}", helper.display()), e)
                            .with_cleanup(kill_pause()));
                    }
                }
            }
            // "Mapped", and the database it keeps open; EOF ends the message.
            let mut go_msg = b"M".to_vec();
            go_msg.extend_from_slice(paths.db().as_os_str().as_bytes());
            let _ = go.write_all(&go_msg);
            drop(go);
            if read_token(&mut ready) != "P" {
                return Err(
                    LibpodError::from(UserNsError::HolderMountNamespace).with_cleanup(kill_pause())
                );
            }
            write_pid_file(&paths.pause_pid(), pid)?;
            move_to_own_scope(pid);
            Ok(pid)
        }
    }
}

/// Under a systemd unit (systemd sets INVOCATION_ID in a unit's processes), the pause process
/// would belong to the unit's cgroup and die when the unit stops, taking the user namespace
/// every other container of the user shares. As podman does, it moves into a transient scope
/// of the user's manager of its own. Best effort: without a manager it stays where it is, as
/// outside units. `busctl`, not a D-Bus crate: one call, once per user namespace.
fn move_to_own_scope(pid: i32) {
    if std::env::var_os("INVOCATION_ID").is_none() {
        return;
    }
    let queued = Command::new("busctl")
        .args([
            "--user",
            "--quiet",
            "call",
            "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            "StartTransientUnit",
            "ssa(sv)a(sa(sv))",
            &format!("burrow-pause-{pid}.scope"),
            "fail",
            "2",
            "PIDs",
            "au",
            "1",
            &pid.to_string(),
            "Description",
            "s",
            "burrow user namespace holder",
            "0",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !queued {
        return;
    }
    // The call returns once the job is queued; the move happens when the manager runs it. A
    // short unit (`run --rm`) could end, and take the pause process with it, before that:
    // wait (up to a second, once per user namespace) until the process is in its scope.
    let cgroup = format!("/proc/{pid}/cgroup");
    let scope = format!("burrow-pause-{pid}.scope");
    for _ in 0..200 {
        match std::fs::read_to_string(&cgroup) {
            Ok(c) if !c.contains(&scope) => std::thread::sleep(std::time::Duration::from_millis(5)),
            _ => return,
        }
    }
}

/// What the pause process failed with before it said "R<pid>".
fn pause_start_error(msg: &str) -> LibpodError {
    let errno = |m: &str| nix::Error::from_raw(m.parse().unwrap_or(0));
    let e = if let Some(e) = msg.strip_prefix('E') {
        UserNsError::Create(errno(e))
    } else if let Some(e) = msg.strip_prefix('X') {
        UserNsError::ExecHolder(errno(e))
    } else {
        UserNsError::HolderExitedBeforeCreate
    };
    e.into()
}

/// argv and environment of the pause process, made before the fork: argv is the name alone,
/// the environment the caller's (so the pause process is found as this user's, with this
/// XDG_RUNTIME_DIR) plus the marker [`PAUSE_ENV`].
fn pause_exec_args() -> Result<(Vec<CString>, Vec<CString>)> {
    let nul = |what: &'static str| UserNsError::NulByte(what);
    let argv = vec![CString::new(PAUSE_NAME).map_err(|_| nul("the pause name"))?];
    let mut envp = Vec::new();
    for (k, v) in std::env::vars_os() {
        if k == PAUSE_ENV {
            continue;
        }
        let mut kv = k.into_encoded_bytes();
        kv.push(b'=');
        kv.extend(v.into_encoded_bytes());
        envp.push(CString::new(kv).map_err(|_| nul("the environment"))?);
    }
    envp.push(CString::new(format!("{PAUSE_ENV}=1")).map_err(|_| nul("the environment"))?);
    Ok((argv, envp))
}

/// In the forked grandchild: puts the two pipe ends on [`READY_FD`] and [`GO_FD`], closes
/// every other descriptor above stderr, and execs this binary as the pause process. A fork
/// of the caller would keep its whole memory and show its command line for as long as the
/// namespace lives. Only reports and exits if the exec fails.
fn exec_pause(ready: RawFd, go: RawFd, argv: &[CString], envp: &[CString]) -> ! {
    // SAFETY: fcntl, dup2 and close_range on descriptors this single-threaded child owns.
    // Both ends first go above 9, out of the way of 3 and 4, then down; dup2 leaves the new
    // descriptors open across exec, close_range drops the rest (the caller's pipes, the
    // copies above 9).
    let placed = unsafe {
        let r = libc::fcntl(ready, libc::F_DUPFD_CLOEXEC, 10);
        let g = libc::fcntl(go, libc::F_DUPFD_CLOEXEC, 10);
        r >= 0
            && g >= 0
            && libc::dup2(r, READY_FD) == READY_FD
            && libc::dup2(g, GO_FD) == GO_FD
            && libc::close_range(GO_FD as u32 + 1, u32::MAX, 0) == 0
    };
    if !placed {
        exit_now(1);
    }
    let err = nix::unistd::execve(c"/proc/self/exe", argv, envp)
        .err()
        .unwrap_or(nix::Error::UnknownErrno);
    let msg = format!("X{}", err as i32);
    // SAFETY: write of a local buffer to the report pipe placed on READY_FD above.
    unsafe { libc::write(READY_FD, msg.as_ptr().cast(), msg.len()) };
    exit_now(1)
}

/// True in the process that [`create_pause`] executed as the pause process. `main` checks
/// this before anything else and then calls [`pause_main`].
pub fn is_pause_process() -> bool {
    std::env::args_os().next().is_some_and(|a| a == PAUSE_NAME)
        && std::env::args_os().count() == 1
        && std::env::var_os(PAUSE_ENV).is_some()
}

fn read_token(f: &mut File) -> String {
    let mut buf = [0u8; 32];
    match f.read(&mut buf) {
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Err(_) => String::new(),
    }
}

fn write_pid_file(path: &Path, pid: i32) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, pid.to_string())
        .map_err(|e| LibpodError::io(format!("write {}", tmp.display()), e))?;
    fs::rename(&tmp, path).map_err(|e| LibpodError::io(format!("rename {}", path.display()), e))
}

/// The pause process, right after its exec: becomes the owner of the user namespace and a
/// mount namespace inside it, then sleeps forever, holding the state database open. Runs
/// single-threaded from `main`'s first line. Never returns.
pub fn pause_main() -> ! {
    // The comm first: after the exec it is "exe" (the file's name), and `try_join` accepts
    // the pid only under this name.
    let _ = nix::sys::prctl::set_name(c"burrow-pause");
    // SAFETY: fcntl(F_GETFD) only asks whether a descriptor is open.
    let inherited = unsafe {
        libc::fcntl(READY_FD, libc::F_GETFD) >= 0 && libc::fcntl(GO_FD, libc::F_GETFD) >= 0
    };
    if !inherited {
        eprintln!("Error: {PAUSE_NAME} is started by burrow itself; run burrow instead");
        exit_now(125);
    }
    // SAFETY: exec_pause placed the two pipe ends on these numbers just before the exec, and
    // nothing else in this fresh process owns them.
    let (mut ready, mut go) = unsafe { (File::from_raw_fd(READY_FD), File::from_raw_fd(GO_FD)) };
    if let Err(e) = unshare(CloneFlags::CLONE_NEWUSER) {
        let _ = ready.write_all(format!("E{}", e as i32).as_bytes());
        exit_now(1);
    }
    let _ = ready.write_all(format!("R{}", getpid()).as_bytes());
    // "M" once newuidmap and newgidmap are done, then the database's path, then EOF.
    let mut msg = Vec::new();
    let _ = go.read_to_end(&mut msg);
    drop(go);
    let Some(db) = msg.strip_prefix(b"M") else {
        exit_now(1);
    };
    let db = PathBuf::from(std::ffi::OsStr::from_bytes(db));
    // A mount namespace owned by the new user namespace, so `burrow mount` results persist
    // between invocations. Slave propagation: host mounts still appear, ours never leak out.
    let ok = unshare(CloneFlags::CLONE_NEWNS).is_ok()
        && nix::mount::mount(
            None::<&str>,
            "/",
            None::<&str>,
            nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_SLAVE,
            None::<&str>,
        )
        .is_ok();
    let _ = ready.write_all(if ok { b"P" } else { b"F" });
    if !ok {
        exit_now(1);
    }
    drop(ready);
    let _ = std::env::set_current_dir("/");
    if let Ok(null) = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(0)
        .open("/dev/null")
    {
        for fd in 0..3 {
            // SAFETY: dup2 onto the standard descriptors of this single-threaded process.
            unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), fd) };
        }
    }
    // SAFETY: closes every descriptor above stderr, so the pause process never keeps a
    // caller's output pipe open.
    unsafe { libc::close_range(3, u32::MAX, 0) };
    // Holding the state database open here keeps every burrow command from being its last
    // connection: closing the last connection checkpoints the WAL (two fsyncs) and the next
    // opener must start a new one, milliseconds on every `run`. This connection only opens
    // the database in WAL mode and then idles; it never writes.
    let warm = crate::state::State::hold_open(&db);
    let _keep = warm;
    loop {
        nix::unistd::pause();
    }
}

/// Ends the pause process recorded in `pause.pid` (if it is still ours) and removes the pid
/// file: `system migrate` and `system reset`, as podman's stopPauseProcess. The next command
/// creates the namespace again.
pub fn stop_pause(paths: &Paths) {
    let pid_file = paths.pause_pid();
    if let Some(pid) = read_pause_pid(paths).filter(|&p| p > 1) {
        let ours = fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim_end() == PAUSE_NAME);
        if ours {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
    let _ = fs::remove_file(pid_file);
}

fn exit_now(code: i32) -> ! {
    // SAFETY: _exit skips atexit handlers and stdio flushing, which belong to the parent.
    unsafe { libc::_exit(code) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subid_by_name_or_uid() {
        let text = "# comment\nalice:100000:65536\n1002:200000:65536\nbob:300000:0\nbob:400000:10\nalice:500000:1000\n";
        assert_eq!(
            parse_subids(text, "alice", 1001),
            vec![
                IdRange {
                    start: 100000,
                    count: 65536
                },
                IdRange {
                    start: 500000,
                    count: 1000
                }
            ]
        );
        assert_eq!(
            parse_subids(text, "carol", 1002),
            vec![IdRange {
                start: 200000,
                count: 65536
            }]
        );
        assert_eq!(
            parse_subids(text, "bob", 1003),
            vec![IdRange {
                start: 400000,
                count: 10
            }]
        );
        assert_eq!(parse_subids(text, "dave", 1004), vec![]);
    }

    #[test]
    fn every_range_is_mapped_in_file_order() {
        let ranges = [
            IdRange {
                start: 200000,
                count: 1000,
            },
            IdRange {
                start: 100000,
                count: 65536,
            },
        ];
        assert_eq!(
            id_map_args(1001, &ranges).join(" "),
            "0 1001 1 1 200000 1000 1001 100000 65536"
        );
        // Container ids end at u32::MAX: a range that would pass it is left out.
        let huge = [
            IdRange {
                start: 1,
                count: u32::MAX - 1,
            },
            IdRange { start: 5, count: 5 },
        ];
        assert_eq!(id_map_args(7, &huge).len(), 6);
    }
}
