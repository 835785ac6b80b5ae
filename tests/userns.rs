//! The rootless user namespace: created once per user from /etc/subuid and /etc/subgid, held
//! by a pause process, joined by every later invocation; `burrow unshare` runs commands in it.

mod common;

use std::os::unix::process::CommandExt;

use common::{Env, number_rows};

/// The rows a uid_map or gid_map of the user's namespace must have: 0 is the user's own id,
/// then every range of `file` (in /etc/subuid syntax) one after the other from id 1.
fn expected_map(subids: &str, user: &str, uid: u32, own: u32) -> Vec<Vec<u64>> {
    let mut rows = vec![vec![0, u64::from(own), 1]];
    let mut next = 1;
    for line in subids.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() != 3 || (f[0] != user && f[0] != uid.to_string()) {
            continue;
        }
        let (start, count): (u64, u64) =
            (f[1].parse().expect("start"), f[2].parse().expect("count"));
        if count > 0 {
            rows.push(vec![next, start, count]);
            next += count;
        }
    }
    rows
}

fn pause_pid(env: &Env) -> i32 {
    std::fs::read_to_string(env.runtime_dir().join("burrow/pause.pid"))
        .expect("pause.pid")
        .trim()
        .parse()
        .expect("pid")
}

// Pins: `unshare` maps 0 to the user and 1.. to the subordinate ranges, uid and gid alike.
#[test]
fn unshare_shows_podman_mapping() {
    let env = Env::new();
    let uids = env.burrow(&["unshare", "cat", "/proc/self/uid_map"]).ok();
    let gids = env.burrow(&["unshare", "cat", "/proc/self/gid_map"]).ok();
    let user = env.user().name.clone();
    let read = |f: &str| std::fs::read_to_string(f).expect("read subid file");
    let want_uids = expected_map(&read("/etc/subuid"), &user, env.uid(), env.uid());
    assert_eq!(number_rows(&uids.stdout), want_uids);
    assert_eq!(
        number_rows(&gids.stdout),
        expected_map(&read("/etc/subgid"), &user, env.uid(), env.gid())
    );
    let total: u64 = want_uids[1..].iter().map(|r| r[2]).sum();
    assert!(
        total >= 65536,
        "at least 65536 subordinate uids: {want_uids:?}"
    );
    let id = env.burrow(&["unshare", "id", "-u"]).ok();
    assert_eq!(id.out(), "0");
    // Without a command it runs $SHELL (here via the environment's SHELL).
    let shell = env
        .burrow_stdin(&["unshare"], "echo in-shell $(id -u)\n")
        .ok();
    assert_eq!(shell.out(), "in-shell 0");
}

// Pins: invocations share one namespace held by one pause process; a killed pause process is
// replaced by the next invocation, and the store made in the old one stays usable.
#[test]
fn pause_process_is_shared_and_recreated() {
    let env = Env::new().with_busybox();
    let first = env
        .burrow(&["unshare", "readlink", "/proc/self/ns/user"])
        .ok()
        .out()
        .to_string();
    let second = env
        .burrow(&["unshare", "readlink", "/proc/self/ns/user"])
        .ok()
        .out()
        .to_string();
    assert_eq!(
        first, second,
        "two invocations join the same user namespace"
    );
    let pid = pause_pid(&env);
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).expect("pause comm");
    assert_eq!(comm.trim(), "burrow-pause");
    env.command("kill", &["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    std::thread::sleep(std::time::Duration::from_millis(200));
    env.burrow(&["run", "--rm", "busybox", "true"]).ok();
    assert_ne!(pause_pid(&env), pid, "a new pause process was started");
    let third = env
        .burrow(&["unshare", "readlink", "/proc/self/ns/user"])
        .ok()
        .out()
        .to_string();
    assert_ne!(third, first);
}

// Pins: a user without subordinate ids gets one clear line naming the file and the fix, exit
// 125, and nothing is created. Runs as `nobody`, which has no /etc/subuid entry.
#[test]
fn missing_subuid_range_is_a_clear_error() {
    if common::skip_unless_root() {
        return;
    }
    let env = Env::new();
    let home = env.path("nobody-home");
    std::fs::create_dir_all(&home).expect("mkdir");
    std::os::unix::fs::chown(&home, Some(65534), Some(65534)).expect("chown");
    let mut cmd = std::process::Command::new(common::burrow_bin());
    cmd.args(["images"])
        .env_clear()
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &home)
        .env("PATH", common::PATH)
        .uid(65534)
        .gid(65534);
    let out = env.output(cmd);
    out.clone()
        .code(125)
        .stderr_has("/etc/subuid")
        .stderr_has("usermod --add-subuids");
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(
        !home.join(".local/share/burrow").exists(),
        "nothing stored for a failed start"
    );
}

// Pins: the data root (database with every container's environment, layers, container files)
// is created private to the user, like podman's storage root.
#[test]
fn data_root_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.burrow(&["ps"]).ok();
    let mode = std::fs::metadata(env.data_dir().join("burrow"))
        .expect("data root")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "mode {mode:o}");
}

/// Whether `pid` is a live process (a zombie waiting for its parent is not).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let state = s.get(s.rfind(')')? + 2..)?.chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

/// `ps -o comm=,args= -p PID`, as a user would look at it.
fn ps_comm_args(env: &Env, pid: i32) -> String {
    let out = env
        .output(env.command("ps", &["-o", "comm=,args=", "-p", &pid.to_string()]))
        .ok();
    out.stdout.split_whitespace().collect::<Vec<_>>().join(" ")
}

// Pins: the pause process shows in `ps` as `burrow-pause`, comm and command line, not as the
// command that happened to create it (it showed `burrow import ...` for as long as it lived),
// and `system reset` ends it and removes its pid file, as podman's reset does; the next
// command starts a new one.
#[test]
fn pause_process_is_named_and_reset_ends_it() {
    // with_busybox: `burrow import TAR localhost/busybox` creates the pause process.
    let env = Env::new().with_busybox();
    let pid = pause_pid(&env);
    assert_eq!(ps_comm_args(&env, pid), "burrow-pause burrow-pause");
    env.burrow(&["run", "--rm", "busybox", "true"]).ok();
    assert_eq!(pause_pid(&env), pid, "still the same pause process");

    env.burrow(&["system", "reset", "-f"]).ok();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while alive(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        !alive(pid),
        "system reset left the pause process {pid} running"
    );
    assert!(
        !env.runtime_dir().join("burrow/pause.pid").exists(),
        "pause.pid left behind"
    );
    env.burrow(&["ps"]).ok();
    let new = pause_pid(&env);
    assert_ne!(new, pid);
    assert_eq!(ps_comm_args(&env, new), "burrow-pause burrow-pause");
}

/// The first range of `user` in an /etc/subuid-style file.
fn first_range(file: &str, user: &str, uid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(file).expect("read subid file");
    let rows = expected_map(&text, user, uid, 0);
    let first = rows.get(1).expect("the test user has a subordinate range");
    (first[1], first[2])
}

// Pins: every /etc/subuid and /etc/subgid range of a user is mapped, container ids continuing
// from one range to the next in file order; only the first range was mapped. The ranges used
// are the test user's own, split in two and swapped, in files bind-mounted over /etc/subuid
// and /etc/subgid in a private mount namespace of the first command only (no other test sees
// them); later commands join the user namespace that command created.
#[test]
fn every_subordinate_range_is_mapped() {
    if common::skip_unless_root() {
        return;
    }
    for tool in ["unshare", "setpriv", "mount"] {
        if !std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            eprintln!("skipped: {tool} (util-linux) is not installed");
            return;
        }
    }
    let env = Env::new();
    let user = env.user();
    let mut want_maps = Vec::new();
    let dir = env.path("subids");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (file, own) in [("subuid", env.uid()), ("subgid", env.gid())] {
        let (start, count) = first_range(&format!("/etc/{file}"), &user.name, user.uid);
        assert!(count >= 2, "a range of at least 2 ids to split: {count}");
        let half = count / 2;
        // File order: the upper half first, so container id 1 maps to start + half.
        let text = format!(
            "{name}:{}:{}\n{name}:{start}:{half}\n",
            start + half,
            count - half,
            name = user.name
        );
        let path = dir.join(file);
        std::fs::write(&path, &text).expect("write subid file");
        want_maps.push(expected_map(&text, &user.name, user.uid, own));
    }
    let mut cmd = std::process::Command::new("unshare");
    cmd.args([
        "-m",
        "--propagation",
        "slave",
        "sh",
        "-c",
        "mount --bind \"$1\" /etc/subuid && mount --bind \"$2\" /etc/subgid && \
         exec setpriv --reuid \"$3\" --regid \"$4\" --clear-groups \"$5\" unshare \
         cat /proc/self/uid_map /proc/self/gid_map",
        "sh",
    ])
    .arg(dir.join("subuid"))
    .arg(dir.join("subgid"))
    .arg(env.uid().to_string())
    .arg(env.gid().to_string())
    .arg(common::burrow_bin())
    .env_clear()
    .envs(env.envs())
    .current_dir(env.home())
    .stdin(std::process::Stdio::null());
    let out = env.output(cmd).ok();
    let rows = number_rows(&out.stdout);
    let uid_rows = want_maps[0].len();
    assert_eq!(rows[..uid_rows], want_maps[0][..], "{out:?}");
    assert_eq!(rows[uid_rows..], want_maps[1][..], "{out:?}");
    assert_eq!(uid_rows, 3, "the user's own id and two ranges");

    // Containers live in that namespace: the same map, and an id of the second range works.
    env.import_busybox();
    let inside = env
        .burrow(&["run", "--rm", "busybox", "cat", "/proc/self/uid_map"])
        .ok();
    assert_eq!(number_rows(&inside.stdout), want_maps[0], "{inside:?}");
    let high = want_maps[0][2][0] + 1; // a container id mapped by the second range only
    let chown = format!("touch /f && chown {high}:{high} /f && stat -c %u:%g /f");
    let owned = env
        .burrow(&["run", "--rm", "busybox", "sh", "-c", &chown])
        .ok();
    assert_eq!(owned.out(), format!("{high}:{high}"));
    let unshare = env.burrow(&["unshare", "cat", "/proc/self/uid_map"]).ok();
    assert_eq!(number_rows(&unshare.stdout), want_maps[0], "{unshare:?}");
}
