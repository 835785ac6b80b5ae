//! End-to-end test harness: runs the real `burrow` binary as an unprivileged user, each test in
//! its own fresh HOME and XDG directories, and captures what it prints.
//!
//! When the test runner is root (as in CI), every command drops to the test user
//! (`BURROW_TEST_USER`, default `burrowtest`, created by `scripts/setup-host`); otherwise commands
//! run as the runner itself. The harness never runs burrow as root and never touches the real
//! user's `~/.local/share` or `$XDG_RUNTIME_DIR`.
//!
//! Knobs (environment of the test runner):
//! - `BURROW_TEST_USER`: the unprivileged user when the runner is root.
//! - `BURROW_KEEP_TEST_DIRS=1`: keep each test's directory (its path is printed).
//! - `BURROW_TEST_TIMEOUT`: seconds one command may run before it is killed (default 120).
//! - `BURROW_TEST_BIN`: run the tests against this burrow binary instead of the one cargo
//!   built (e.g. an older build, to check that a regression test fails without its fix).
//! - `BURROW_E2E_DIR`: where test directories live (default `/tmp/burrow-e2e` for root,
//!   `/tmp/burrow-e2e-UID` otherwise).
//!
//! Usage, in `tests/<area>.rs`:
//! ```ignore
//! mod common;
//! use common::Env;
//!
//! #[test]
//! fn run_echo() {
//!     let env = Env::new().with_busybox();
//!     let out = env.burrow(&["run", "--rm", "busybox", "echo", "hi"]).ok();
//!     assert_eq!(out.stdout, "hi\n");
//! }
//! ```
#![allow(dead_code)] // each test crate uses a different part of the harness

mod checks;

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// PATH given to every command.
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The name `Env::with_busybox` imports the busybox rootfs as.
pub const BUSYBOX: &str = "localhost/busybox";

const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// How long the harness waits, after a command exited, for its stdout/stderr to close
/// (at most the command's timeout).
const PIPE_GRACE: Duration = Duration::from_secs(10);

// ----------------------------------------------------------------------------------------------
// Process-wide facts: who runs the commands, where the binary and the busybox tarball are.

/// The user every command runs as.
#[derive(Debug)]
pub struct TestUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// True when the runner is root and commands switch to `uid`/`gid`.
    pub drop_privileges: bool,
    /// Subordinate uid ranges (start, count) from /etc/subuid.
    pub subuids: Vec<(u32, u32)>,
}

/// True when the test runner is root.
/// Whitespace-separated numbers, a row per line (/proc/PID/uid_map, `cat` of several maps).
pub fn number_rows(text: &str) -> Vec<Vec<u64>> {
    text.lines()
        .map(|l| {
            l.split_whitespace()
                .map(|n| n.parse().expect("number"))
                .collect()
        })
        .collect()
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// For tests that need real root (e.g. resource limits on this host): returns true, after
/// saying so on stderr, when the runner is not root. `if common::skip_unless_root() { return; }`
pub fn skip_unless_root() -> bool {
    if is_root() {
        false
    } else {
        eprintln!("skipped: this test needs the test runner to be root");
        true
    }
}

/// The user commands run as (resolved once per test process).
pub fn test_user() -> &'static TestUser {
    static USER: OnceLock<TestUser> = OnceLock::new();
    USER.get_or_init(resolve_test_user)
}

fn resolve_test_user() -> TestUser {
    if is_root() {
        let name = std::env::var("BURROW_TEST_USER").unwrap_or_else(|_| "burrowtest".into());
        let Some((uid, gid)) = getent_passwd(&name) else {
            panic!(
                "the e2e test user `{name}` does not exist: run scripts/setup-host first \
                 (as root; BURROW_TEST_USER picks another user)"
            );
        };
        assert_ne!(
            uid, 0,
            "BURROW_TEST_USER `{name}` must be an unprivileged user"
        );
        let subuids = subid_ranges("/etc/subuid", &name, uid);
        if subuids.is_empty() || subid_ranges("/etc/subgid", &name, uid).is_empty() {
            panic!(
                "the e2e test user `{name}` has no range in /etc/subuid or /etc/subgid: \
                 run scripts/setup-host first"
            );
        }
        TestUser {
            name,
            uid,
            gid,
            drop_privileges: true,
            subuids,
        }
    } else {
        // SAFETY: geteuid/getegid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let name = getent_passwd_name(uid)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| uid.to_string());
        let subuids = subid_ranges("/etc/subuid", &name, uid);
        TestUser {
            name,
            uid,
            gid,
            drop_privileges: false,
            subuids,
        }
    }
}

/// `getent passwd KEY` -> (uid, gid).
fn getent_passwd(key: &str) -> Option<(u32, u32)> {
    let out = Command::new("getent").args(["passwd", key]).output().ok()?;
    let line = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = line.trim_end().split(':').collect();
    if !out.status.success() || fields.len() < 4 {
        return None;
    }
    Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
}

fn getent_passwd_name(uid: u32) -> Option<String> {
    let out = Command::new("getent")
        .args(["passwd", &uid.to_string()])
        .output()
        .ok()?;
    let line = String::from_utf8_lossy(&out.stdout);
    let name = line.split(':').next()?.trim();
    (out.status.success() && !name.is_empty()).then(|| name.to_string())
}

/// Ranges (start, count) for `name` or `uid` in an /etc/subuid-style file.
fn subid_ranges(file: &str, name: &str, uid: u32) -> Vec<(u32, u32)> {
    let text = fs::read_to_string(file).unwrap_or_default();
    let uid = uid.to_string();
    text.lines()
        .filter_map(|line| {
            let mut f = line.split(':');
            let (who, start, count) = (f.next()?, f.next()?, f.next()?);
            if who != name && who != uid {
                return None;
            }
            Some((start.trim().parse().ok()?, count.trim().parse().ok()?))
        })
        .collect()
}

/// Root of all test directories (created 0755 on first use).
pub fn e2e_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = match std::env::var_os("BURROW_E2E_DIR") {
            Some(dir) => PathBuf::from(dir),
            // A non-root runner gets its own root: it could not write into root's.
            None if is_root() => PathBuf::from("/tmp/burrow-e2e"),
            None => PathBuf::from(format!("/tmp/burrow-e2e-{}", test_user().uid)),
        };
        make_dir(&root, 0o755);
        root
    })
}

pub fn make_dir(dir: &Path, mode: u32) {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", dir.display()));
}

/// The burrow binary the tests run. Root's build lives under /root, which the test user cannot
/// read, so a root runner copies it (once per test process) to `<e2e root>/bin/`, 0755.
pub fn burrow_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| copy_burrow_bin(e2e_root()))
}

/// The binary the tests run, readable by the test user: a root runner's copy in `root/bin`.
pub fn copy_burrow_bin(root: &Path) -> PathBuf {
    {
        let src = std::env::var_os("BURROW_TEST_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_burrow")),
            PathBuf::from,
        );
        if !test_user().drop_privileges {
            return src;
        }
        let meta =
            fs::metadata(&src).unwrap_or_else(|e| panic!("cannot stat {}: {e}", src.display()));
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let dir = root.join("bin");
        make_dir(&dir, 0o755);
        let name = format!("burrow-{mtime:x}-{:x}", meta.len());
        let dst = dir.join(&name);
        if !dst.exists() {
            // Copy under a private name, then rename: parallel test processes may race here.
            let tmp = dir.join(format!(".{name}.{}", std::process::id()));
            fs::copy(&src, &tmp).unwrap_or_else(|e| {
                panic!("cannot copy {} to {}: {e}", src.display(), tmp.display())
            });
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).expect("chmod burrow");
            fs::rename(&tmp, &dst).expect("rename burrow copy");
        }
        remove_stale_copies(&dir, &name);
        dst
    }
}

/// Copies of older builds, untouched for an hour, are removed so /tmp does not fill up.
fn remove_stale_copies(dir: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if stale && entry.file_name() != keep {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The busybox rootfs tarball, built once per test process by `scripts/mk-busybox-rootfs`
/// into `<e2e root>/busybox-rootfs.tar` (0644, readable by the test user).
pub fn busybox_tar() -> &'static Path {
    static TAR: OnceLock<PathBuf> = OnceLock::new();
    TAR.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mk-busybox-rootfs");
        let out = e2e_root().join("busybox-rootfs.tar");
        let res = Command::new("bash")
            .arg(&script)
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            res.status.success(),
            "{} failed ({}):\n{}{}",
            script.display(),
            res.status,
            String::from_utf8_lossy(&res.stdout),
            String::from_utf8_lossy(&res.stderr)
        );
        out
    })
}

// ----------------------------------------------------------------------------------------------
// Output of one command.

/// What a finished command did.
#[derive(Clone)]
pub struct Output {
    /// The command line, for messages.
    pub command: String,
    /// Exit code; 128 + signal number when killed by a signal.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    /// Asserts exit code 0.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(self.status == 0, "expected exit code 0\n{self:?}");
        self
    }

    /// Asserts exit code `code`.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert!(self.status == code, "expected exit code {code}\n{self:?}");
        self
    }

    /// Asserts a non-zero exit code.
    #[track_caller]
    pub fn fails(self) -> Self {
        assert!(self.status != 0, "expected a non-zero exit code\n{self:?}");
        self
    }

    /// Asserts that stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "expected stderr to contain {needle:?}\n{self:?}"
        );
        self
    }

    /// Asserts that stdout contains `needle`.
    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "expected stdout to contain {needle:?}\n{self:?}"
        );
        self
    }

    /// stdout without surrounding whitespace (e.g. a container ID).
    pub fn out(&self) -> &str {
        self.stdout.trim()
    }

    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user = test_user();
        writeln!(f, "command:   {}", self.command)?;
        writeln!(f, "as:        {} (uid {})", user.name, user.uid)?;
        writeln!(f, "exit code: {} after {:?}", self.status, self.elapsed)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}--------------", self.stderr)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

// ----------------------------------------------------------------------------------------------
// Env: one per test.

/// A fresh, isolated set of directories and the environment pointing at them:
/// `<base>/home` (HOME), `<base>/data` (XDG_DATA_HOME), `<base>/config` (XDG_CONFIG_HOME) and
/// `<base>/runtime` (XDG_RUNTIME_DIR, 0700), all owned by the test user. Dropping it kills
/// what burrow left running for it and removes the base directory.
pub struct Env {
    base: PathBuf,
    home: PathBuf,
    data: PathBuf,
    config: PathBuf,
    runtime: PathBuf,
    user: &'static TestUser,
    extra_env: Vec<(String, String)>,
    timeout: Duration,
    /// Boot-relative time (clock ticks) at creation: pid files naming older processes are stale.
    created_ticks: u64,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        Env::new_under(e2e_root())
    }

    /// An Env whose directories live under `root` (e.g. a directory a systemd machine shares).
    pub fn new_under(root: &Path) -> Env {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let user = test_user();
        let created_ticks = boot_ticks_now().saturating_sub(1);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // Short on purpose: socket paths under XDG_RUNTIME_DIR must stay below 108 bytes.
        let base = root.join(format!("{}-{n}", std::process::id()));
        if base.exists() {
            let _ = fs::remove_dir_all(&base); // left by an earlier process with the same pid
        }
        let env = Env {
            home: base.join("home"),
            data: base.join("data"),
            config: base.join("config"),
            runtime: base.join("runtime"),
            base,
            user,
            extra_env: Vec::new(),
            timeout: default_timeout(),
            created_ticks,
        };
        for (dir, mode) in [
            (&env.base, 0o755),
            (&env.home, 0o755),
            (&env.data, 0o755),
            (&env.config, 0o755),
            (&env.runtime, 0o700),
        ] {
            make_dir(dir, mode);
            if user.drop_privileges {
                chown(dir, Some(user.uid), Some(user.gid))
                    .unwrap_or_else(|e| panic!("cannot chown {}: {e}", dir.display()));
            }
        }
        // Which test this directory belongs to, for BURROW_KEEP_TEST_DIRS=1 post-mortems.
        let test = thread::current().name().unwrap_or("?").to_string();
        let _ = fs::write(env.base.join("TEST"), format!("{test}\n"));
        env
    }

    /// `Env::new()` with the busybox rootfs imported as `localhost/busybox`.
    pub fn with_busybox(self) -> Env {
        self.import_busybox();
        self
    }

    /// Imports the busybox rootfs tarball as `localhost/busybox` (asserts success).
    pub fn import_busybox(&self) -> Output {
        let tar = busybox_tar();
        self.burrow(&[OsStr::new("import"), tar.as_os_str(), OsStr::new(BUSYBOX)])
            .ok()
    }

    /// Loads an image archive (`data`, written to a file the test user can read) with storage
    /// driver `driver` (asserts success).
    pub fn load_archive_with(&self, driver: &str, data: &[u8]) -> Output {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path("load-archive.tar");
        fs::write(&path, data).expect("write archive");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod archive");
        let path = path.to_string_lossy().into_owned();
        self.burrow(&["--storage-driver", driver, "load", "-i", &path])
            .ok()
    }

    /// Adds (or replaces) an environment variable for every later command.
    pub fn set_env(&mut self, key: &str, value: &str) -> &mut Self {
        self.extra_env.retain(|(k, _)| k != key);
        self.extra_env.push((key.to_string(), value.to_string()));
        self
    }

    /// Builder form of `set_env`.
    pub fn with_env(mut self, key: &str, value: &str) -> Env {
        self.set_env(key, value);
        self
    }

    /// How long one command may run before it is killed and the test fails.
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// A path inside this test's base directory.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.base.join(rel)
    }

    pub fn base(&self) -> &Path {
        &self.base
    }
    pub fn home(&self) -> &Path {
        &self.home
    }
    /// XDG_DATA_HOME.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }
    /// XDG_CONFIG_HOME.
    pub fn config_dir(&self) -> &Path {
        &self.config
    }
    /// XDG_RUNTIME_DIR.
    pub fn runtime_dir(&self) -> &Path {
        &self.runtime
    }
    /// The test user's uid on the host (owner of files that container root creates).
    pub fn uid(&self) -> u32 {
        self.user.uid
    }
    pub fn gid(&self) -> u32 {
        self.user.gid
    }
    pub fn user(&self) -> &'static TestUser {
        self.user
    }

    /// The environment every command gets (after `env_clear`).
    pub fn envs(&self) -> Vec<(String, String)> {
        let dir = |p: &Path| p.display().to_string();
        let mut envs = vec![
            ("HOME".to_string(), dir(&self.home)),
            ("PATH".to_string(), PATH.to_string()),
            ("USER".to_string(), self.user.name.clone()),
            ("LOGNAME".to_string(), self.user.name.clone()),
            ("XDG_DATA_HOME".to_string(), dir(&self.data)),
            ("XDG_CONFIG_HOME".to_string(), dir(&self.config)),
            ("XDG_RUNTIME_DIR".to_string(), dir(&self.runtime)),
            ("TERM".to_string(), "dumb".to_string()),
            ("LANG".to_string(), "C.UTF-8".to_string()),
        ];
        // Debugging aids only: they do not change what burrow does.
        for key in ["RUST_BACKTRACE", "RUST_LOG"] {
            if let Ok(value) = std::env::var(key) {
                envs.push((key.to_string(), value));
            }
        }
        envs.extend(self.extra_env.iter().cloned());
        envs
    }

    /// A command that runs `program` as the test user, in HOME, with this Env's environment
    /// and stdin from /dev/null. For background processes, `sh -c`, ps, ...: spawn it yourself
    /// or hand it to `Env::output`.
    pub fn command<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(self.envs())
            .current_dir(&self.home)
            .stdin(Stdio::null());
        if self.user.drop_privileges {
            // std calls setgroups(0) before setuid when root sets a uid: no root groups remain.
            cmd.uid(self.user.uid).gid(self.user.gid);
        }
        cmd
    }

    /// `command` for the burrow binary.
    pub fn burrow_cmd<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        self.command(burrow_bin(), args)
    }

    /// Runs burrow with `args`, stdin from /dev/null, and waits for it.
    pub fn burrow<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.output(self.burrow_cmd(args))
    }

    /// Runs burrow with `args`, feeding `input` to its stdin.
    pub fn burrow_stdin<S: AsRef<OsStr>>(&self, args: &[S], input: impl AsRef<[u8]>) -> Output {
        self.output_stdin(self.burrow_cmd(args), input)
    }

    /// Runs `sh -c script` as the test user.
    pub fn sh(&self, script: &str) -> Output {
        self.output(self.command("sh", &["-c", script]))
    }

    /// Runs a prepared command (usually from `command`) with this Env's timeout, capturing its
    /// output. Panics if it times out or leaves its stdout/stderr open after exiting.
    #[track_caller]
    pub fn output(&self, cmd: Command) -> Output {
        self.output_inner(cmd, None)
    }

    /// `output` with `input` on stdin.
    #[track_caller]
    pub fn output_stdin(&self, cmd: Command, input: impl AsRef<[u8]>) -> Output {
        self.output_inner(cmd, Some(input.as_ref().to_vec()))
    }

    #[track_caller]
    fn output_inner(&self, cmd: Command, input: Option<Vec<u8>>) -> Output {
        let (out, problem) = capture(cmd, input, self.timeout);
        if let Some(problem) = problem {
            panic!("{problem}\n{out:?}");
        }
        out
    }

    /// Kills every process that burrow left running for this Env: processes of the test user
    /// (or its subordinate ids) whose environment has this Env's XDG_RUNTIME_DIR, those named by
    /// pid files under `$XDG_RUNTIME_DIR/burrow` (pause.pid, per-container pid files), and all
    /// their descendants. Never matches processes of other tests, which have other runtime dirs.
    pub fn kill_leftovers(&self) -> usize {
        let marker = format!("XDG_RUNTIME_DIR={}", self.runtime.display()).into_bytes();
        let procs = list_procs();
        let own = std::process::id() as i32;
        let allowed = |uid: u32| {
            uid == self.user.uid
                || self
                    .user
                    .subuids
                    .iter()
                    .any(|&(start, count)| uid >= start && uid - start < count)
        };
        let candidates: Vec<&ProcInfo> = procs
            .iter()
            .filter(|p| p.pid > 1 && p.pid != own && allowed(p.uid))
            .collect();

        let mut pid_files = Vec::new();
        collect_pid_files(&self.runtime.join("burrow"), 4, &mut pid_files);
        let mut marked: HashSet<i32> = candidates
            .iter()
            .filter(|p| {
                (pid_files.contains(&p.pid) && p.start_ticks >= self.created_ticks)
                    || environ_has(p.pid, &marker)
            })
            .map(|p| p.pid)
            .collect();
        loop {
            let before = marked.len();
            for p in &candidates {
                if marked.contains(&p.ppid) {
                    marked.insert(p.pid);
                }
            }
            if marked.len() == before {
                break;
            }
        }

        for &pid in &marked {
            // SAFETY: kill has no memory-safety preconditions; pid > 1 and is not ourselves.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && marked.iter().any(|&pid| is_alive(pid)) {
            thread::sleep(Duration::from_millis(10));
        }
        marked.len()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.kill_leftovers();
        if std::env::var("BURROW_KEEP_TEST_DIRS").is_ok_and(|v| v == "1") {
            eprintln!("BURROW_KEEP_TEST_DIRS=1: kept {}", self.base.display());
            return;
        }
        if fs::remove_dir_all(&self.base).is_ok() || !self.base.exists() {
            return;
        }
        // Files that containers created belong to subordinate ids, which a non-root runner
        // can only remove from inside the user namespace.
        let mut cmd =
            self.burrow_cmd(&[OsStr::new("unshare"), OsStr::new("rm"), OsStr::new("-rf")]);
        cmd.arg(&self.data).arg(&self.runtime).arg(&self.home);
        let _ = capture(cmd, None, Duration::from_secs(60));
        self.kill_leftovers();
        let _ = fs::remove_dir_all(&self.base);
    }
}

fn default_timeout() -> Duration {
    let secs = std::env::var("BURROW_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    Duration::from_secs(secs)
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    if Path::new(&s) == burrow_bin() || s == env!("CARGO_BIN_EXE_burrow") {
        s = "burrow".into();
    }
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || "'\"$\\".contains(c)) {
            s.push_str(&format!(" '{}'", arg.replace('\'', "'\\''")));
        } else {
            s.push(' ');
            s.push_str(&arg);
        }
    }
    s
}

/// Runs `cmd` in its own process group, capturing stdout and stderr. Returns the output and,
/// if something went wrong (timeout, pipes left open), a description of it.
fn capture(
    mut cmd: Command,
    input: Option<Vec<u8>>,
    timeout: Duration,
) -> (Output, Option<String>) {
    let command = describe(&cmd);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    // Its own process group, so a timeout kills it together with anything it forked.
    cmd.process_group(0);
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let problem = format!("cannot start `{command}`: {e}");
            let output = Output {
                command,
                status: 127,
                stdout: String::new(),
                stderr: String::new(),
                elapsed: start.elapsed(),
            };
            return (output, Some(problem));
        }
    };
    let pgid = child.id() as i32;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // Ignore EPIPE: the command may exit without reading everything.
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let stdout = read_in_background(child.stdout.take().expect("piped stdout"));
    let stderr = read_in_background(child.stderr.take().expect("piped stderr"));

    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let mut problem = None;
    let status = match rx.recv_timeout(timeout) {
        Ok(status) => status,
        Err(_) => {
            problem = Some(format!(
                "`{command}` timed out after {timeout:?} and was killed"
            ));
            kill_group(pgid);
            rx.recv()
                .unwrap_or_else(|_| Err(std::io::ErrorKind::Other.into()))
        }
    };
    let elapsed = start.elapsed();
    // 128 + signal, as a shell reports it; 255 if the status could not be read at all.
    let code = match status {
        Ok(status) => status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        Err(e) => {
            problem.get_or_insert_with(|| format!("cannot wait for `{command}`: {e}"));
            255
        }
    };

    let deadline = Instant::now() + PIPE_GRACE.min(timeout);
    let stdout_closed = stdout.wait_closed(deadline);
    let stderr_closed = stderr.wait_closed(deadline);
    if !(stdout_closed && stderr_closed) {
        kill_group(pgid);
        if problem.is_none() {
            problem = Some(format!(
                "`{command}` exited, but a process it started still holds its stdout or stderr \
                 open after {:?} (a detached process must not inherit them)",
                PIPE_GRACE.min(timeout)
            ));
        }
    }
    let output = Output {
        command,
        status: code,
        stdout: stdout.text(),
        stderr: stderr.text(),
        elapsed,
    };
    (output, problem)
}

fn kill_group(pgid: i32) {
    // SAFETY: kill has no memory-safety preconditions; a negative pid names the process group
    // that `capture` created for this command (never ours: pgid is the child's pid).
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// A pipe drained by a thread into a shared buffer, so a partial read survives a hang.
struct Drain {
    buf: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Drain {
    /// True when the pipe reached EOF before `deadline`.
    fn wait_closed(&self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        !matches!(
            self.done.recv_timeout(left),
            Err(mpsc::RecvTimeoutError::Timeout)
        )
    }

    fn text(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&buf).into_owned()
    }
}

fn read_in_background(mut pipe: impl Read + Send + 'static) -> Drain {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let (tx, done) = mpsc::channel();
    let shared = Arc::clone(&buf);
    thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => shared
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(());
    });
    Drain { buf, done }
}

// ----------------------------------------------------------------------------------------------
// /proc helpers for cleanup.

struct ProcInfo {
    pid: i32,
    ppid: i32,
    uid: u32,
    start_ticks: u64,
}

fn list_procs() -> Vec<ProcInfo> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let (state, ppid, start_ticks) = read_stat(pid)?;
            if state == 'Z' {
                return None; // already dead; its parent reaps it
            }
            let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let uid = status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some(ProcInfo {
                pid,
                ppid,
                uid,
                start_ticks,
            })
        })
        .collect()
}

/// (state, ppid, starttime) from /proc/PID/stat.
fn read_stat(pid: i32) -> Option<(char, i32, u64)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, ppid, start))
}

fn is_alive(pid: i32) -> bool {
    matches!(read_stat(pid), Some((state, _, _)) if state != 'Z' && state != 'X')
}

fn environ_has(pid: i32, entry: &[u8]) -> bool {
    fs::read(format!("/proc/{pid}/environ"))
        .map(|env| env.split(|&b| b == 0).any(|kv| kv == entry))
        .unwrap_or(false)
}

fn collect_pid_files(dir: &Path, depth: u32, pids: &mut Vec<i32>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth > 0 {
            collect_pid_files(&path, depth - 1, pids);
        } else if kind.is_file()
            && path.extension().is_some_and(|e| e == "pid")
            && let Some(pid) = fs::read_to_string(&path)
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
        {
            pids.push(pid);
        }
    }
}

/// Clock ticks since boot, the unit of /proc/PID/stat's starttime.
fn boot_ticks_now() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let uptime: f64 = fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    (uptime * hz) as u64
}

// ----------------------------------------------------------------------------------------------
// Helpers shared by several test files.

/// A static program for inside a container (busybox lacks it), compiled from Rust `source`
/// with the rustc that built the tests, 0755 in the test's directory; None if rustc fails.
pub fn static_rust_binary(env: &Env, name: &str, source: &str) -> Option<PathBuf> {
    let src = env.path(format!("{name}.rs"));
    fs::write(&src, source).ok()?;
    let bin = env.path(name);
    let ok = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["-O", "-C", "target-feature=+crt-static", "-o"])
        .arg(&bin)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return None;
    }
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).ok()?;
    Some(bin)
}

/// burrow `bin` run by real root (no user namespace), with the state in the test's own
/// `root-data` and `root-run` directories.
pub fn root_burrow_bin(env: &Env, bin: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin);
    cmd.arg("--root")
        .arg(env.path("root-data"))
        .arg("--runroot")
        .arg(env.path("root-run"))
        .args(args)
        .env_clear()
        .env("PATH", PATH)
        .env("HOME", "/root");
    env.output(cmd)
}

/// [`root_burrow_bin`] with the binary under test.
pub fn root_burrow(env: &Env, args: &[&str]) -> Output {
    root_burrow_bin(env, burrow_bin(), args)
}
