//! The rootless user namespace: created once per user with `newuidmap`/`newgidmap` from
//! /etc/subuid and /etc/subgid, held open by a tiny pause process, and joined by every later
//! burrow invocation with `setns` (microseconds). Container uid 0 is the user, container uids
//! 1..N are the user's subordinate range, exactly as podman maps them.
//!
//! Everything here must run while the process is single-threaded: the kernel refuses
//! `setns(CLONE_NEWUSER)` and `unshare(CLONE_NEWUSER)` with EINVAL once a second thread exists.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sched::{CloneFlags, setns, unshare};
use nix::unistd::{ForkResult, Pid, Uid, User, fork, getpid, pipe, setsid};

use crate::error::{LibpodError, Result};
use crate::paths::Paths;

/// The name the pause process shows in `ps`; also used to check a recorded pid is ours.
const PAUSE_COMM: &str = "burrow-pause";

/// True when burrow runs as a normal user and so needs the user namespace; stays true after
/// joining it, where the effective uid reads 0 (a regression: overlay xattrs were chosen as
/// if running as real root).
pub fn is_rootless() -> bool {
    !Uid::effective().is_root() || in_user_namespace()
}

/// Whether this process is in a user namespace other than the initial one, whose uid_map
/// is the identity over the whole range.
fn in_user_namespace() -> bool {
    match fs::read_to_string("/proc/self/uid_map") {
        Ok(map) => {
            let fields: Vec<&str> = map.split_whitespace().collect();
            fields != ["0", "0", "4294967295"]
        }
        Err(_) => false,
    }
}

/// A contiguous range of subordinate ids from /etc/subuid or /etc/subgid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub start: u32,
    pub count: u32,
}

/// Makes sure this process is inside the user's user and mount namespaces, creating them (and
/// the pause process that holds them) the first time. No-op for root.
pub fn ensure(paths: &Paths) -> Result<()> {
    if !is_rootless() {
        return Ok(());
    }
    // setns into the pause's mount namespace resets the working directory to its root; keep
    // the user's cwd so relative paths on the command line (`-v ./x:/x`, `-i ./img.tar`) work.
    let cwd = std::env::current_dir().ok();
    join_or_create(paths)?;
    if let Some(cwd) = cwd {
        let _ = std::env::set_current_dir(cwd);
    }
    Ok(())
}

fn join_or_create(paths: &Paths) -> Result<()> {
    if let Some(pid) = read_pause_pid(paths) {
        match try_join(pid) {
            Ok(()) => return Ok(()),
            Err(JoinError::Gone) => {}
            Err(JoinError::Failed(e)) => return Err(e),
        }
    }
    fs::create_dir_all(&paths.run)
        .map_err(|e| LibpodError::io(format!("create {}", paths.run.display()), e))?;
    let _ = fs::set_permissions(&paths.run, fs::Permissions::from_mode(0o700));
    // Two invocations racing to create the namespace: the lock makes one of them wait and then
    // join the namespace the other made.
    let lock_path = paths.run.join("pause.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| LibpodError::io(format!("open {}", lock_path.display()), e))?;
    lock.lock()
        .map_err(|e| LibpodError::io(format!("lock {}", lock_path.display()), e))?;
    if let Some(pid) = read_pause_pid(paths) {
        match try_join(pid) {
            Ok(()) => return Ok(()),
            Err(JoinError::Gone) => {}
            Err(JoinError::Failed(e)) => return Err(e),
        }
    }
    let pid = create_pause(paths)?;
    match try_join(pid) {
        Ok(()) => Ok(()),
        Err(JoinError::Gone) => Err(LibpodError::UserNamespace(
            "the user namespace holder process exited right after it was created".into(),
        )),
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
    if comm.trim_end() != PAUSE_COMM {
        return Err(JoinError::Gone);
    }
    let user = File::open(format!("/proc/{pid}/ns/user")).map_err(|_| JoinError::Gone)?;
    let mnt = File::open(format!("/proc/{pid}/ns/mnt")).map_err(|_| JoinError::Gone)?;
    let ours = fs::metadata("/proc/self/ns/user").map(|m| m.ino()).ok();
    let theirs = user.metadata().map(|m| m.ino()).ok();
    if ours.is_none() || ours != theirs {
        // The user namespace first: it grants the capabilities needed to join the mount
        // namespace it owns.
        setns(user.as_fd(), CloneFlags::CLONE_NEWUSER).map_err(|e| {
            JoinError::Failed(LibpodError::UserNamespace(format!(
                "cannot join the user namespace of pause process {pid}: {e} (burrow must join it before starting any thread)"
            )))
        })?;
    }
    let our_mnt = fs::metadata("/proc/self/ns/mnt").map(|m| m.ino()).ok();
    if our_mnt != mnt.metadata().map(|m| m.ino()).ok() {
        setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS).map_err(|e| {
            JoinError::Failed(LibpodError::UserNamespace(format!(
                "cannot join the mount namespace of pause process {pid}: {e}"
            )))
        })?;
    }
    Ok(())
}

/// Reads the first range for `user` (by name or uid) from a subid file.
pub fn subid_range(file: &Path, user: &str, uid: u32) -> Result<Option<IdRange>> {
    let text = match fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LibpodError::io(format!("read {}", file.display()), e)),
    };
    Ok(parse_subid(&text, user, uid))
}

fn parse_subid(text: &str, user: &str, uid: u32) -> Option<IdRange> {
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
        .find(|r| r.count > 0)
}

pub(crate) fn find_setuid_helper(name: &str) -> Result<PathBuf> {
    let candidates = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];
    let path = candidates
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .ok_or_else(|| {
            LibpodError::UserNamespace(format!(
                "{name} not found: rootless burrow needs it to map subordinate ids; install it with `sudo apt-get install uidmap`"
            ))
        })?;
    let meta =
        fs::metadata(&path).map_err(|e| LibpodError::io(format!("stat {}", path.display()), e))?;
    let has_caps = xattr_present(&path, "security.capability");
    if meta.uid() != 0 || (meta.mode() & 0o4000 == 0 && !has_caps) {
        return Err(LibpodError::UserNamespace(format!(
            "{} is neither setuid root nor has file capabilities: fix it with `sudo chmod u+s {}`",
            path.display(),
            path.display()
        )));
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
    let uids = subid_range(Path::new("/etc/subuid"), &user, uid.as_raw())?.ok_or_else(|| {
        LibpodError::UserNamespace(format!(
            "no subordinate uids for user \"{user}\" in /etc/subuid: add a range with `sudo usermod --add-subuids 100000-165535 {user}`"
        ))
    })?;
    let gids = subid_range(Path::new("/etc/subgid"), &user, uid.as_raw())?.ok_or_else(|| {
        LibpodError::UserNamespace(format!(
            "no subordinate gids for user \"{user}\" in /etc/subgid: add a range with `sudo usermod --add-subgids 100000-165535 {user}`"
        ))
    })?;
    let newuidmap = find_setuid_helper("newuidmap")?;
    let newgidmap = find_setuid_helper("newgidmap")?;

    let (ready_r, ready_w) = pipe().map_err(|e| LibpodError::sys("pipe", e))?;
    let (go_r, go_w) = pipe().map_err(|e| LibpodError::sys("pipe", e))?;
    // SAFETY: burrow is single-threaded here (nothing has started a thread before the user
    // namespace is joined), so the child may run ordinary code.
    match unsafe { fork() }.map_err(|e| LibpodError::sys("fork", e))? {
        ForkResult::Child => {
            drop(ready_r);
            drop(go_w);
            pause_child(ready_w, go_r, &paths.db())
        }
        ForkResult::Parent { child } => {
            drop(ready_w);
            drop(go_r);
            // The first child only forks the real pause process and exits, so the pause
            // process is reparented and never becomes a zombie of a long-lived burrow.
            let _ = nix::sys::wait::waitpid(child, None);
            let mut ready = File::from(ready_r);
            let mut go = File::from(go_w);
            let msg = read_token(&mut ready);
            let pid: i32 = match msg.strip_prefix('R').and_then(|p| p.parse().ok()) {
                Some(p) => p,
                None => {
                    let errno = msg
                        .strip_prefix('E')
                        .and_then(|e| e.parse().ok())
                        .unwrap_or(0);
                    return Err(LibpodError::UserNamespace(format!(
                        "cannot create a user namespace: {}: check that unprivileged user namespaces are enabled (`sudo sysctl -w user.max_user_namespaces=28633`)",
                        nix::Error::from_raw(errno)
                    )));
                }
            };
            let kill = || {
                let _ =
                    nix::sys::signal::kill(Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
            };
            for (helper, own, range) in [
                (&newuidmap, uid.as_raw(), uids),
                (&newgidmap, gid.as_raw(), gids),
            ] {
                let out = Command::new(helper)
                    .arg(pid.to_string())
                    .args([
                        "0",
                        &own.to_string(),
                        "1",
                        "1",
                        &range.start.to_string(),
                        &range.count.to_string(),
                    ])
                    .output();
                match out {
                    Ok(o) if o.status.success() => {}
                    Ok(o) => {
                        kill();
                        return Err(LibpodError::UserNamespace(format!(
                            "{} failed: {}: check /etc/subuid and /etc/subgid for user \"{user}\"",
                            helper.display(),
                            String::from_utf8_lossy(&o.stderr).trim()
                        )));
                    }
                    Err(e) => {
                        kill();
                        return Err(LibpodError::io(format!("run {}", helper.display()), e));
                    }
                }
            }
            let _ = go.write_all(b"M");
            drop(go);
            if read_token(&mut ready) != "P" {
                kill();
                return Err(LibpodError::UserNamespace(
                    "the user namespace holder failed to set up its mount namespace".into(),
                ));
            }
            write_pid_file(&paths.pause_pid(), pid)?;
            Ok(pid)
        }
    }
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

/// The pause process: becomes the owner of the user namespace and a mount namespace inside it,
/// then sleeps forever. Never returns.
fn pause_child(ready_w: OwnedFd, go_r: OwnedFd, db: &Path) -> ! {
    let mut ready = File::from(ready_w);
    let mut go = File::from(go_r);
    let _ = setsid();
    // SAFETY: single-threaded child; the grandchild continues, this intermediate exits at once.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { .. }) => exit_now(0),
        Ok(ForkResult::Child) => {}
        Err(_) => exit_now(1),
    }
    if let Err(e) = unshare(CloneFlags::CLONE_NEWUSER) {
        let _ = ready.write_all(format!("E{}", e as i32).as_bytes());
        exit_now(1);
    }
    let _ = ready.write_all(format!("R{}", getpid()).as_bytes());
    if read_token(&mut go) != "M" {
        exit_now(1);
    }
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
    // Named before saying "P": the parent joins at once and `try_join` checks this name.
    let _ = nix::sys::prctl::set_name(c"burrow-pause");
    let _ = ready.write_all(if ok { b"P" } else { b"F" });
    if !ok {
        exit_now(1);
    }
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
    // SAFETY: closes every inherited descriptor above stderr (pipes of the caller, etc.), so
    // the pause process never keeps a caller's output pipe open.
    unsafe { libc::close_range(3, u32::MAX, 0) };
    // Holding the state database open here keeps every burrow command from being its last
    // connection: closing the last connection checkpoints the WAL (two fsyncs) and the next
    // opener must start a new one, milliseconds on every `run`. This connection only opens
    // the database in WAL mode and then idles; it never writes.
    let warm = crate::state::State::hold_open(db);
    let _keep = warm;
    loop {
        nix::unistd::pause();
    }
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
        let text =
            "# comment\nalice:100000:65536\n1002:200000:65536\nbob:300000:0\nbob:400000:10\n";
        assert_eq!(
            parse_subid(text, "alice", 1001),
            Some(IdRange {
                start: 100000,
                count: 65536
            })
        );
        assert_eq!(
            parse_subid(text, "carol", 1002),
            Some(IdRange {
                start: 200000,
                count: 65536
            })
        );
        assert_eq!(
            parse_subid(text, "bob", 1003),
            Some(IdRange {
                start: 400000,
                count: 10
            })
        );
        assert_eq!(parse_subid(text, "dave", 1004), None);
    }
}
