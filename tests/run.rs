//! End-to-end tests of `burrow run` (and `create` + `start -a`): exit codes, the user
//! namespace, capabilities, seccomp, masked paths, mounts, users, environment, hostname,
//! `--init`, terminals, signal proxying and what a killed or racing `run` leaves behind.
//! Every command runs the real binary as the unprivileged test user (see tests/common).

mod common;

use common::{BUSYBOX, Env, Output, burrow_bin, busybox_tar};
use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Podman's default capability set (containers/common `DefaultCapabilities`) as the kernel
/// prints it in /proc/PID/status.
const DEFAULT_CAPS: &str = "00000000800405fb";

/// `burrow run --rm busybox ARGS...`.
fn run(env: &Env, args: &[&str]) -> Output {
    let mut all = vec!["run", "--rm"];
    all.extend_from_slice(args);
    env.burrow(&all)
}

/// The value of `key:` in /proc/self/status as printed by a container.
fn status_field(status: &str, key: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {key} in:\n{status}"))
        .trim()
        .to_string()
}

/// /proc/self/status of a `busybox` container started with `flags`.
fn container_status(env: &Env, flags: &[&str]) -> String {
    let mut args = flags.to_vec();
    args.extend_from_slice(&["busybox", "cat", "/proc/self/status"]);
    run(env, &args).ok().stdout
}

/// The test user's first subordinate uid range (start, count) from /etc/subuid.
fn subuid_range(env: &Env) -> (u32, u32) {
    *env.user()
        .subuids
        .first()
        .expect("the test user has no range in /etc/subuid")
}

/// A directory in the test user's HOME, created by the test user with `mode`.
fn user_dir(env: &Env, name: &str, mode: u32) -> std::path::PathBuf {
    let dir = env.home().join(name);
    env.sh(&format!("mkdir -p {name} && chmod {mode:o} {name}"))
        .ok();
    dir
}

/// A file the test user can read, written by the test runner.
fn readable_file(env: &Env, name: &str, text: &str) -> std::path::PathBuf {
    let path = env.path(name);
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    path
}

/// A burrow (or other) process running in the background, its stdout read line by line.
struct Background {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: thread::JoinHandle<String>,
}

impl Background {
    fn spawn(mut cmd: Command) -> Background {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn background command");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Background {
            child,
            lines,
            stderr,
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits for a stdout line equal to `want`; returns every line seen.
    #[track_caller]
    fn wait_line(&self, want: &str, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = line.trim_end() == want;
                    seen.push(line);
                    if done {
                        return seen;
                    }
                }
                Err(_) => panic!("no line {want:?} within {timeout:?}; saw {seen:?}"),
            }
        }
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill has no memory-safety preconditions; the pid is our own child.
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig})", self.pid());
    }

    /// Waits for the process to exit: (exit code or 128+signal, rest of stdout, stderr).
    #[track_caller]
    fn finish(mut self, timeout: Duration) -> (i32, String, String) {
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("background command did not exit within {timeout:?}");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        let mut rest = String::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            rest.push_str(&line);
            rest.push('\n');
        }
        (code, rest, self.stderr.join().unwrap_or_default())
    }
}

/// Polls `burrow ps -a` until the container `name` has a status starting with `prefix`.
#[track_caller]
fn wait_status(env: &Env, name: &str, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = env.burrow(&["ps", "-a", "--format", "{{.Names}}\t{{.Status}}"]);
        let status = out
            .lines()
            .iter()
            .find_map(|l| l.strip_prefix(&format!("{name}\t")))
            .map(str::to_string);
        if let Some(s) = &status
            && s.starts_with(prefix)
        {
            return s.clone();
        }
        assert!(
            Instant::now() < deadline,
            "container {name} never reached status {prefix:?} (last: {status:?})\n{out:?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// Pids of live processes whose command line is exactly `argv`.
fn procs_with_cmdline(argv: &[&str]) -> Vec<i32> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want))
        .collect()
}

// ----------------------------------------------------------------------------------------------
// Exit codes

// Pins: a simple command prints its output and burrow exits 0.
#[test]
fn echo_prints_and_exits_zero() {
    let env = Env::new().with_busybox();
    let out = run(&env, &["busybox", "echo", "hi"]).ok();
    assert_eq!(out.stdout, "hi\n");
}

// Pins: the container's own exit code becomes burrow's.
#[test]
fn exit_code_of_the_command_propagates() {
    let env = Env::new().with_busybox();
    run(&env, &["busybox", "sh", "-c", "exit 3"]).code(3);
}

// Pins: a command missing from the image gives 127 and says "not found".
#[test]
fn missing_command_exits_127() {
    let env = Env::new().with_busybox();
    run(&env, &["busybox", "no-such-command"])
        .code(127)
        .stderr_has("not found");
}

// Pins: a file that is not executable gives 126 (cannot invoke).
#[test]
fn non_executable_command_exits_126() {
    let env = Env::new().with_busybox();
    run(&env, &["busybox", "/etc/passwd"]).code(126);
}

// Pins: a missing image gives 125 with a single `Error: ` line.
#[test]
fn missing_image_exits_125_with_one_error_line() {
    let env = Env::new().with_busybox();
    let out = run(&env, &["no-such-image", "true"]).code(125);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{out:?}");
    assert!(lines[0].starts_with("Error: "), "{out:?}");
    assert!(lines[0].contains("no-such-image"), "{out:?}");
}

// Pins: an unknown flag gives 125, an `Error:` line and a pointer to --help.
#[test]
fn unknown_flag_exits_125_with_help_hint() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&["run", "--no-such-flag", "busybox", "true"])
        .code(125)
        .stderr_has("--help");
    assert!(out.stderr.starts_with("Error:"), "{out:?}");
}

// ----------------------------------------------------------------------------------------------
// User namespace, capabilities, seccomp

// Pins: container root is the test user, ids 1.. come from the user's /etc/subuid ranges,
// one after the other (tests/userns.rs gives a user two of them).
#[test]
fn uid_map_maps_root_to_user_and_rest_to_subuids() {
    let env = Env::new().with_busybox();
    let out = run(&env, &["busybox", "cat", "/proc/self/uid_map"]).ok();
    let rows: Vec<Vec<u64>> = out
        .lines()
        .iter()
        .map(|l| l.split_whitespace().map(|n| n.parse().unwrap()).collect())
        .collect();
    let mut want = vec![vec![0, u64::from(env.uid()), 1]];
    let mut next = 1;
    for &(start, count) in &env.user().subuids {
        want.push(vec![next, u64::from(start), u64::from(count)]);
        next += u64::from(count);
    }
    assert_eq!(rows, want, "{out:?}");
}

// Pins: the default capability set is podman's (effective and bounding).
#[test]
fn default_capabilities_match_podman() {
    let env = Env::new().with_busybox();
    let status = container_status(&env, &[]);
    assert_eq!(status_field(&status, "CapEff"), DEFAULT_CAPS);
    assert_eq!(status_field(&status, "CapBnd"), DEFAULT_CAPS);
}

// Pins: --cap-drop=all leaves no capability at all.
#[test]
fn cap_drop_all_leaves_none() {
    let env = Env::new().with_busybox();
    let status = container_status(&env, &["--cap-drop=all"]);
    assert_eq!(status_field(&status, "CapEff"), "0000000000000000");
    assert_eq!(status_field(&status, "CapBnd"), "0000000000000000");
}

// Pins: --cap-add=NET_ADMIN adds exactly bit 12 to the default set.
#[test]
fn cap_add_net_admin_adds_bit_12() {
    let env = Env::new().with_busybox();
    let status = container_status(&env, &["--cap-add=NET_ADMIN"]);
    let want = u64::from_str_radix(DEFAULT_CAPS, 16).unwrap() | 1 << 12;
    assert_eq!(status_field(&status, "CapEff"), format!("{want:016x}"));
}

// Pins: --privileged gives a strict superset of the default capabilities.
#[test]
fn privileged_has_more_capabilities() {
    let env = Env::new().with_busybox();
    let status = container_status(&env, &["--privileged"]);
    let eff = u64::from_str_radix(&status_field(&status, "CapEff"), 16).unwrap();
    let default = u64::from_str_radix(DEFAULT_CAPS, 16).unwrap();
    assert_eq!(eff & default, default, "{eff:x}");
    assert!(eff > default, "{eff:x}");
}

// Pins: an unknown capability name is an engine error (125) naming it.
#[test]
fn unknown_capability_exits_125() {
    let env = Env::new().with_busybox();
    run(&env, &["--cap-add=NO_SUCH_CAP", "busybox", "true"])
        .code(125)
        .stderr_has("NO_SUCH_CAP");
}

// Pins: a seccomp filter is installed by default.
#[test]
fn seccomp_filter_by_default() {
    let env = Env::new().with_busybox();
    let status = container_status(&env, &[]);
    assert_eq!(status_field(&status, "Seccomp"), "2");
    assert_eq!(status_field(&status, "NoNewPrivs"), "0");
}

// Pins: --security-opt seccomp=unconfined installs no filter.
#[test]
fn seccomp_unconfined_has_no_filter() {
    let env = Env::new().with_busybox();
    let status = container_status(&env, &["--security-opt", "seccomp=unconfined"]);
    assert_eq!(status_field(&status, "Seccomp"), "0");
}

// Pins: --security-opt no-new-privileges sets the NoNewPrivs bit.
#[test]
fn no_new_privileges_sets_the_bit() {
    let env = Env::new().with_busybox();
    let status = container_status(&env, &["--security-opt", "no-new-privileges"]);
    assert_eq!(status_field(&status, "NoNewPrivs"), "1");
}

// Pins: only stdin/stdout/stderr reach the container, not fds the caller left open.
#[test]
fn only_standard_fds_are_open_inside() {
    let env = Env::new().with_busybox();
    // The caller really has fd 7 open, so the check below can fail.
    let host = env.sh("exec 7</etc/passwd; ls /proc/self/fd").ok();
    assert!(host.lines().contains(&"7"), "{host:?}");

    let bin = burrow_bin().to_str().unwrap();
    let cmd = env.command(
        "sh",
        &[
            "-c",
            "exec 7</etc/passwd; exec \"$0\" run --rm busybox ls /proc/self/fd",
            bin,
        ],
    );
    let out = env.output(cmd).ok();
    let fds: BTreeSet<u32> = out.lines().iter().map(|l| l.parse().unwrap()).collect();
    // ls opens one directory fd of its own to list /proc/self/fd: 3.
    let expected: BTreeSet<u32> = [0, 1, 2, 3].into();
    assert!(
        fds.is_subset(&expected) && fds.contains(&2),
        "fds {fds:?}\n{out:?}"
    );
}

// ----------------------------------------------------------------------------------------------
// /proc protection

/// Masked files of podman's list that exist on this host (the kernel may lack some).
fn host_masked_files() -> Vec<&'static str> {
    [
        "/proc/kcore",
        "/proc/keys",
        "/proc/timer_list",
        "/proc/sched_debug",
    ]
    .into_iter()
    .filter(|p| Path::new(p).exists())
    .collect()
}

// Pins: podman's masked /proc files are hidden (covered by a mount, read as empty).
#[test]
fn proc_kcore_and_friends_are_masked() {
    let env = Env::new().with_busybox();
    let masked = host_masked_files();
    assert!(!masked.is_empty(), "none of the masked files exists here");
    let out = run(
        &env,
        &[
            "busybox",
            "sh",
            "-c",
            "cat /proc/self/mountinfo; echo ---; head -c 16 /proc/kcore 2>/dev/null | wc -c; \
             cat /proc/keys 2>/dev/null | wc -c",
        ],
    )
    .ok();
    let (mountinfo, reads) = out.stdout.split_once("---\n").unwrap();
    let targets: Vec<&str> = mountinfo
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .collect();
    for p in &masked {
        assert!(targets.contains(p), "{p} is not masked\n{out:?}");
    }
    assert_eq!(
        reads.split_whitespace().collect::<Vec<_>>(),
        ["0", "0"],
        "{out:?}"
    );
}

// Pins: the /dev/null binds over masked /proc files are read-only, as crun makes them:
// touching one fails with EROFS (they were writable binds, where it failed with EPERM).
#[test]
fn masked_proc_files_are_read_only() {
    let env = Env::new().with_busybox();
    let masked = host_masked_files();
    assert!(!masked.is_empty(), "none of the masked files exists here");
    let mut script = String::new();
    for p in &masked {
        script.push_str(&format!("touch {p} 2>&1; "));
    }
    script.push_str("echo ---; cat /proc/self/mountinfo");
    let out = run(&env, &["busybox", "sh", "-c", &script]).ok();
    let (touches, mountinfo) = out.stdout.split_once("---\n").unwrap();
    assert_eq!(touches.lines().count(), masked.len(), "{out:?}");
    for line in touches.lines() {
        assert!(line.contains("Read-only file system"), "{line}\n{out:?}");
    }
    for p in &masked {
        // mountinfo: ID PARENT DEV ROOT MOUNTPOINT OPTIONS ...; the last mount on p wins.
        let options = mountinfo
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.get(4) == Some(p))
            .filter_map(|f| f.get(5).map(|o| o.to_string()))
            .next_back()
            .unwrap_or_else(|| panic!("{p} is not masked\n{out:?}"));
        assert!(
            options.split(',').any(|o| o == "ro"),
            "{p} is mounted {options}\n{out:?}"
        );
    }
}

// Pins: /proc/sysrq-trigger cannot be written and /proc/sys is read-only.
#[test]
fn proc_sys_and_sysrq_are_read_only() {
    let env = Env::new().with_busybox();
    run(
        &env,
        &["busybox", "sh", "-c", "echo h > /proc/sysrq-trigger"],
    )
    .fails();
    run(
        &env,
        &[
            "busybox",
            "sh",
            "-c",
            "echo 1 > /proc/sys/net/ipv4/ip_forward",
        ],
    )
    .fails()
    .stderr_has("Read-only file system");
}

// Pins: --privileged unmasks /proc and makes /proc/sys writable (own network namespace).
#[test]
fn privileged_unmasks_proc() {
    let env = Env::new().with_busybox();
    let out = run(
        &env,
        &[
            "--privileged",
            "busybox",
            "sh",
            "-c",
            "echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/self/mountinfo",
        ],
    )
    .ok();
    for p in host_masked_files() {
        assert!(
            !out.stdout.contains(&format!(" {p} ")),
            "{p} still masked\n{out:?}"
        );
    }
}

// Pins: --privileged gets the host's devices the user can open, bound in (a user namespace
// cannot mknod), as podman rootless does; it had only the 6 default devices. Devices the user
// cannot open stay out. scripts/setup-host makes /dev/fuse and /dev/net/tun 0666.
#[test]
fn privileged_gets_the_host_devices() {
    let env = Env::new().with_busybox();
    let openable = |dev: &str| {
        Path::new(dev).exists() && env.sh(&format!("test -r {dev} || test -w {dev}")).status == 0
    };
    let candidates = [
        "/dev/fuse",
        "/dev/net/tun",
        "/dev/kmsg",
        "/dev/kvm",
        "/dev/loop0",
    ];
    let (usable, closed): (Vec<&str>, Vec<&str>) = candidates
        .into_iter()
        .filter(|d| Path::new(d).exists())
        .partition(|d| openable(d));
    assert!(
        !usable.is_empty(),
        "none of {candidates:?} can be opened by the test user: run scripts/setup-host"
    );
    let list = "find /dev -type c -o -type b | sort";
    let plain = run(&env, &["busybox", "sh", "-c", list]).ok();
    let privileged = run(&env, &["--privileged", "busybox", "sh", "-c", list]).ok();
    for dev in &usable {
        assert!(
            privileged.lines().contains(dev),
            "{dev} missing\n{privileged:?}"
        );
        assert!(
            !plain.lines().contains(dev),
            "{dev} without --privileged\n{plain:?}"
        );
    }
    for dev in &closed {
        assert!(
            !privileged.lines().contains(dev),
            "{dev} cannot be opened\n{privileged:?}"
        );
    }
    assert!(
        privileged.lines().len() > plain.lines().len(),
        "{plain:?}\n{privileged:?}"
    );
    // Usable, not just listed: the node opens inside.
    let dev = usable[0];
    run(
        &env,
        &[
            "--privileged",
            "busybox",
            "sh",
            "-c",
            &format!("true 3<>{dev} || true 3<{dev}"),
        ],
    )
    .ok();
}

// ----------------------------------------------------------------------------------------------
// Mounts

// Pins: a file container root creates in a bind mount belongs to the test user on the host.
#[test]
fn bind_mount_file_owned_by_user() {
    let env = Env::new().with_busybox();
    let dir = user_dir(&env, "vol", 0o755);
    let vol = format!("{}:/data", dir.display());
    run(
        &env,
        &["-v", &vol, "busybox", "sh", "-c", "echo x > /data/f"],
    )
    .ok();
    let meta = fs::metadata(dir.join("f")).unwrap();
    assert_eq!(meta.uid(), env.uid());
    assert_eq!(fs::read_to_string(dir.join("f")).unwrap(), "x\n");
}

// Pins: a :ro bind mount refuses writes.
#[test]
fn bind_mount_ro_refuses_writes() {
    let env = Env::new().with_busybox();
    let dir = user_dir(&env, "vol", 0o755);
    let vol = format!("{}:/data:ro", dir.display());
    run(&env, &["-v", &vol, "busybox", "touch", "/data/f"])
        .fails()
        .stderr_has("Read-only file system");
    assert!(!dir.join("f").exists());
}

// Pins: a file written as container uid 1000 is owned by subuid start + 999 on the host.
#[test]
fn bind_mount_file_of_uid_1000_owned_by_subuid() {
    let env = Env::new().with_busybox();
    let (start, _) = subuid_range(&env);
    let dir = user_dir(&env, "vol", 0o777);
    let vol = format!("{}:/data", dir.display());
    run(
        &env,
        &["-v", &vol, "--user", "1000", "busybox", "touch", "/data/f"],
    )
    .ok();
    assert_eq!(fs::metadata(dir.join("f")).unwrap().uid(), start + 999);
}

// Pins: --read-only makes / unwritable; /tmp is writable only with --tmpfs /tmp.
#[test]
fn read_only_root() {
    let env = Env::new().with_busybox();
    run(&env, &["--read-only", "busybox", "touch", "/foo"])
        .fails()
        .stderr_has("Read-only file system");
    // podman's --read-only-tmpfs (default true): /tmp, /var/tmp and /run stay writable.
    run(
        &env,
        &[
            "--read-only",
            "busybox",
            "sh",
            "-c",
            "touch /tmp/x /var/tmp/x /run/x",
        ],
    )
    .ok();
    run(
        &env,
        &[
            "--read-only",
            "--read-only-tmpfs=false",
            "busybox",
            "touch",
            "/tmp/x",
        ],
    )
    .fails()
    .stderr_has("Read-only file system");
    run(
        &env,
        &[
            "--read-only",
            "--read-only-tmpfs=false",
            "--tmpfs",
            "/tmp",
            "busybox",
            "touch",
            "/tmp/x",
        ],
    )
    .ok();
}

// Pins: --tmpfs mounts a writable tmpfs at a new path.
#[test]
fn tmpfs_mount() {
    let env = Env::new().with_busybox();
    let out = run(
        &env,
        &[
            "--tmpfs",
            "/x",
            "busybox",
            "sh",
            "-c",
            "echo y > /x/f && cat /x/f && grep ' /x ' /proc/self/mountinfo",
        ],
    )
    .ok()
    .stdout_has("tmpfs");
    assert!(out.stdout.starts_with("y\n"), "{out:?}");
}

// ----------------------------------------------------------------------------------------------
// Users and groups

// Pins: --user NAME resolves uid, gid and supplementary groups from the image's files.
#[test]
fn user_by_name_with_supplementary_groups() {
    let env = Env::new().with_busybox();
    let out = run(
        &env,
        &[
            "--user",
            "tester",
            "busybox",
            "sh",
            "-c",
            "id -u; id -g; id -G",
        ],
    )
    .ok();
    let lines = out.lines();
    assert_eq!(lines[..2], ["1000", "1000"], "{out:?}");
    let groups: Vec<&str> = lines[2].split_whitespace().collect();
    assert!(groups.contains(&"2000"), "not in group extra\n{out:?}");
    assert!(
        groups.contains(&"1000"),
        "primary group missing, as initgroups adds it\n{out:?}"
    );
    assert!(!groups.contains(&"0"), "kept root's group\n{out:?}");
}

// Pins: --user UID:GID uses the numbers even when no such user exists.
#[test]
fn user_numeric_uid_gid() {
    let env = Env::new().with_busybox();
    let out = run(
        &env,
        &["--user", "1234:5678", "busybox", "sh", "-c", "id -u; id -g"],
    )
    .ok();
    assert_eq!(out.lines(), ["1234", "5678"]);
}

// Pins: --group-add adds a supplementary group to the process.
#[test]
fn group_add_adds_a_group() {
    let env = Env::new().with_busybox();
    let out = run(&env, &["--group-add", "3000", "busybox", "id", "-G"]).ok();
    let groups: Vec<&str> = out.out().split_whitespace().collect();
    assert!(groups.contains(&"3000"), "{out:?}");
    assert!(groups.contains(&"0"), "{out:?}");
}

// Pins: an unknown user name is an engine error (125).
#[test]
fn unknown_user_exits_125() {
    let env = Env::new().with_busybox();
    run(&env, &["--user", "no-such-user", "busybox", "true"])
        .code(125)
        .stderr_has("no-such-user");
}

// ----------------------------------------------------------------------------------------------
// Environment, working directory, entrypoint

// Pins: image ENV, -e, --env-file and -e VAR passthrough all reach the container.
#[test]
fn environment_sources() {
    let mut env = Env::new();
    let tar = busybox_tar().to_str().unwrap();
    env.burrow(&[
        "import",
        "-c",
        "ENV IMGVAR=fromimage",
        tar,
        "localhost/envimg",
    ])
    .ok();
    env.set_env("PASSED", "through");
    let file = readable_file(&env, "envfile", "# comment\nFROMFILE=yes\n");
    let out = run(
        &env,
        &[
            "-e",
            "A=b",
            "--env-file",
            file.to_str().unwrap(),
            "-e",
            "PASSED",
            "envimg",
            "env",
        ],
    )
    .ok();
    let vars = out.lines();
    for want in [
        "IMGVAR=fromimage",
        "A=b",
        "FROMFILE=yes",
        "PASSED=through",
        "HOME=/root",
    ] {
        assert!(vars.contains(&want), "missing {want}\n{out:?}");
    }
    assert!(
        vars.iter().any(|v| v.starts_with("PATH=")),
        "no PATH\n{out:?}"
    );
}

// Pins: HOME comes from the image's passwd entry of --user.
#[test]
fn home_from_passwd() {
    let env = Env::new().with_busybox();
    let out = run(
        &env,
        &["--user", "tester", "busybox", "sh", "-c", "echo $HOME"],
    )
    .ok();
    assert_eq!(out.out(), "/home/tester");
}

// Pins: -w with a directory missing from the image creates it and starts there.
#[test]
fn workdir_is_created() {
    let env = Env::new().with_busybox();
    let out = run(&env, &["-w", "/some/new/dir", "busybox", "pwd"]).ok();
    assert_eq!(out.out(), "/some/new/dir");
}

// Pins: docker's entrypoint/cmd rules: --entrypoint replaces it, args after the image append.
#[test]
fn entrypoint_and_cmd_rules() {
    let env = Env::new().with_busybox();
    let out = run(&env, &["--entrypoint", "echo", "busybox", "a", "b"]).ok();
    assert_eq!(out.stdout, "a b\n");

    let tar = busybox_tar().to_str().unwrap();
    env.burrow(&[
        "import",
        "-c",
        r#"ENTRYPOINT ["echo","ep"]"#,
        "-c",
        r#"CMD ["default"]"#,
        tar,
        "localhost/epimg",
    ])
    .ok();
    assert_eq!(run(&env, &["epimg"]).ok().stdout, "ep default\n");
    assert_eq!(run(&env, &["epimg", "x", "y"]).ok().stdout, "ep x y\n");
    assert_eq!(
        run(&env, &["--entrypoint", "echo", "epimg"]).ok().stdout,
        "\n",
        "--entrypoint drops the image's CMD"
    );
}

// ----------------------------------------------------------------------------------------------
// Hostname

// Pins: the hostname defaults to the short container id and is in /etc/hostname and hosts.
#[test]
fn hostname_defaults_to_short_id() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--name",
            "h1",
            "busybox",
            "sh",
            "-c",
            "hostname; cat /etc/hostname",
        ])
        .ok();
    let id = env.burrow(&["inspect", "-f", "{{.Id}}", "h1"]).ok();
    let short = &id.out()[..12];
    assert_eq!(out.lines(), [short, short]);
}

// Pins: --hostname sets the name everywhere; --name is an alias in /etc/hosts.
#[test]
fn hostname_and_name_in_etc_files() {
    let env = Env::new().with_busybox();
    let out = run(
        &env,
        &[
            "--hostname",
            "myhost",
            "--name",
            "myname",
            "busybox",
            "sh",
            "-c",
            "hostname; cat /etc/hostname; echo ---; cat /etc/hosts",
        ],
    )
    .ok();
    let (head, hosts) = out.stdout.split_once("---\n").unwrap();
    assert_eq!(head, "myhost\nmyhost\n");
    let line = hosts
        .lines()
        .find(|l| l.split_whitespace().any(|w| w == "myhost"))
        .unwrap_or_else(|| panic!("myhost not in /etc/hosts\n{out:?}"));
    assert!(
        line.split_whitespace().any(|w| w == "myname"),
        "{line:?}\n{out:?}"
    );
    assert!(hosts.contains("localhost"), "{out:?}");
}

// ----------------------------------------------------------------------------------------------
// --init and ulimits

// Pins: with --init the command is not pid 1, orphans are reaped and the exit code propagates.
#[test]
fn init_reaps_and_propagates() {
    let env = Env::new().with_busybox();
    // The subshell exits at once, so `sleep 0` is re-parented to pid 1 (the init) and must be
    // reaped by it; then every process state is listed.
    let out = run(
        &env,
        &[
            "--init",
            "busybox",
            "sh",
            "-c",
            "echo $$; cat /proc/1/comm; (sleep 0 &); sleep 1; \
             grep -h '^State' /proc/[0-9]*/status",
        ],
    )
    .ok();
    let lines = out.lines();
    assert_ne!(lines[0], "1", "the command is pid 1\n{out:?}");
    assert_ne!(lines[1], "sh", "pid 1 is the command\n{out:?}");
    assert!(!out.stdout.contains("zombie"), "unreaped zombie\n{out:?}");
    run(&env, &["--init", "busybox", "sh", "-c", "exit 7"]).code(7);
}

// Pins: --ulimit nofile=SOFT:HARD is what the container sees.
#[test]
fn ulimit_nofile() {
    let env = Env::new().with_busybox();
    let out = run(
        &env,
        &[
            "--ulimit",
            "nofile=100:200",
            "busybox",
            "sh",
            "-c",
            "ulimit -n; ulimit -Hn",
        ],
    )
    .ok();
    assert_eq!(out.lines(), ["100", "200"]);
}

// ----------------------------------------------------------------------------------------------
// Terminals

// Pins: -it under a real terminal gives the container a pty (/dev/pts/0).
#[test]
fn interactive_tty_under_script() {
    let env = Env::new().with_busybox();
    let script = format!(
        "{} run -it --rm busybox sh -c 'tty; stty size'",
        burrow_bin().display()
    );
    let out = env
        .output(env.command("script", &["-qec", &script, "/dev/null"]))
        .ok();
    assert!(out.stdout.contains("/dev/pts/0"), "{out:?}");
    assert!(!out.stdout.contains("not a tty"), "{out:?}");
}

// Pins: -t without -i (stdin not a terminal) still prints the command's output.
#[test]
fn tty_without_interactive_prints_output() {
    let env = Env::new().with_busybox();
    let out = run(&env, &["-t", "busybox", "sh", "-c", "echo hi; tty"]).ok();
    assert!(out.stdout.starts_with("hi\r\n"), "{out:?}");
    assert!(out.stdout.contains("/dev/pts/0"), "{out:?}");
}

// ----------------------------------------------------------------------------------------------
// Signals and process lifetime

// Pins: SIGTERM sent to a foreground `burrow run` reaches the container (sig-proxy).
#[test]
fn sigterm_is_proxied_to_the_container() {
    let env = Env::new().with_busybox();
    let bg = Background::spawn(env.burrow_cmd(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "trap 'echo TERM; exit 9' TERM; echo ready; while :; do sleep 0.1; done",
    ]));
    bg.wait_line("ready", Duration::from_secs(30));
    bg.signal(libc::SIGTERM);
    let (code, rest, stderr) = bg.finish(Duration::from_secs(30));
    assert_eq!(code, 9, "stdout after ready: {rest:?}\nstderr: {stderr}");
    assert_eq!(rest, "TERM\n", "stderr: {stderr}");
}

// Pins: SIGKILL of a foreground `burrow run` leaves an Exited container and no process.
#[test]
fn killed_run_leaves_consistent_state() {
    let env = Env::new().with_busybox();
    // An unusual duration, so the process is recognisably this test's.
    let bg = Background::spawn(env.burrow_cmd(&[
        "run",
        "--name",
        "k",
        "busybox",
        "sh",
        "-c",
        "echo up; exec sleep 4711",
    ]));
    bg.wait_line("up", Duration::from_secs(30));
    wait_status(&env, "k", "Up");
    bg.signal(libc::SIGKILL);
    let (code, _, _) = bg.finish(Duration::from_secs(10));
    assert_eq!(code, 128 + libc::SIGKILL);
    wait_status(&env, "k", "Exited");
    env.burrow(&["rm", "k"]).ok();
    let left = env.burrow(&["ps", "-a", "-q"]).ok();
    assert_eq!(left.out(), "");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !procs_with_cmdline(&["sleep", "4711"]).is_empty() {
        assert!(
            Instant::now() < deadline,
            "`sleep 4711` still runs after its burrow was killed and rm'd"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

// Pins: two concurrent `run --name same`: one runs, the other fails with "already in use".
#[test]
fn concurrent_runs_with_same_name() {
    let env = Env::new().with_busybox();
    let args = ["run", "--name", "same", "busybox", "sleep", "1"];
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| env.burrow(&args));
        let b = s.spawn(|| env.burrow(&args));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (ok, failed) = if a.status == 0 { (a, b) } else { (b, a) };
    ok.ok();
    failed.code(125).stderr_has("already in use");
    let names = env.burrow(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(names.lines(), ["same"]);
}

// ----------------------------------------------------------------------------------------------
// Container records

// Pins: --rm removes the container once it exited.
#[test]
fn rm_removes_the_container() {
    let env = Env::new().with_busybox();
    run(&env, &["busybox", "sh", "-c", "exit 2"]).code(2);
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().out(), "");
    // Without --rm the container stays, so the check above can fail.
    env.burrow(&["run", "busybox", "true"]).ok();
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().lines().len(), 1);
}

// Pins: --cidfile receives the full container id.
#[test]
fn cidfile_has_the_id() {
    let env = Env::new().with_busybox();
    let cidfile = env.path("cid");
    env.burrow(&[
        "run",
        "--cidfile",
        cidfile.to_str().unwrap(),
        "busybox",
        "true",
    ])
    .ok();
    let id = env.burrow(&["ps", "-a", "-q", "--no-trunc"]).ok();
    assert_eq!(fs::read_to_string(&cidfile).unwrap().trim(), id.out());
    assert_eq!(id.out().len(), 64, "{id:?}");
}

// Pins: --replace removes a same-named container instead of failing.
#[test]
fn replace_replaces_same_name() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--name", "r", "busybox", "true"]).ok();
    let old = env.burrow(&["inspect", "-f", "{{.Id}}", "r"]).ok();
    env.burrow(&["run", "--name", "r", "busybox", "true"])
        .code(125)
        .stderr_has("already in use");
    env.burrow(&["run", "--replace", "--name", "r", "busybox", "echo", "new"])
        .ok()
        .stdout_has("new");
    let new = env.burrow(&["inspect", "-f", "{{.Id}}", "r"]).ok();
    assert_ne!(old.out(), new.out());
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().lines().len(), 1);
}

// Pins: the OCI config.json is kept in the container directory and holds the args.
#[test]
fn oci_config_json_lists_the_args() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "c", "busybox", "echo", "oci-arg"])
        .ok();
    let path = env
        .burrow(&["inspect", "-f", "{{.OCIConfigPath}}", "c"])
        .ok();
    let text = env.output(env.command("cat", &[path.out()])).ok().stdout;
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        config["process"]["args"],
        serde_json::json!(["echo", "oci-arg"]),
        "{text}"
    );
}

// Pins: `create` then `start -a` prints the output and returns the container's exit code.
#[test]
fn create_then_start_attached() {
    let env = Env::new().with_busybox();
    let id = env
        .burrow(&[
            "create",
            "--name",
            "c",
            "busybox",
            "sh",
            "-c",
            "echo started; exit 4",
        ])
        .ok();
    assert_eq!(id.out().len(), 64, "{id:?}");
    assert_eq!(wait_status(&env, "c", "Created"), "Created");
    env.burrow(&["start", "-a", "c"])
        .code(4)
        .stdout_has("started");
    wait_status(&env, "c", "Exited (4)");
}

// Pins: a created container keeps its security settings when started later.
#[test]
fn create_with_user_and_caps_then_start() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "c",
        "--user",
        "tester",
        "--cap-drop=all",
        BUSYBOX,
        "sh",
        "-c",
        "id -u; grep CapBnd /proc/self/status",
    ])
    .ok();
    let out = env.burrow(&["start", "-a", "c"]).ok();
    assert_eq!(out.lines(), ["1000", "CapBnd:\t0000000000000000"]);
}
