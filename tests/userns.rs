//! The rootless user namespace: created once per user from /etc/subuid and /etc/subgid, held
//! by a pause process, joined by every later invocation; `burrow unshare` runs commands in it.

mod common;

use std::os::unix::process::CommandExt;

use common::Env;

fn subid_start(file: &str, user: &str, uid: u32) -> u64 {
    let text = std::fs::read_to_string(file).expect("read subid file");
    text.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() == 3 && (f[0] == user || f[0] == uid.to_string()))
                .then(|| f[1].parse().expect("start"))
        })
        .expect("the test user has a subordinate range")
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
    let out = env
        .burrow(&["unshare", "cat", "/proc/self/uid_map", "/proc/self/gid_map"])
        .ok();
    let rows: Vec<Vec<u64>> = out
        .stdout
        .lines()
        .map(|l| {
            l.split_whitespace()
                .map(|n| n.parse().expect("number"))
                .collect()
        })
        .collect();
    let user = env.user().name.clone();
    assert_eq!(rows[0], vec![0, env.uid() as u64, 1]);
    assert_eq!(
        rows[1][..2],
        [1, subid_start("/etc/subuid", &user, env.uid())]
    );
    assert_eq!(rows[2], vec![0, env.gid() as u64, 1]);
    assert_eq!(
        rows[3][..2],
        [1, subid_start("/etc/subgid", &user, env.uid())]
    );
    assert!(
        rows[1][2] >= 65536,
        "at least 65536 subordinate uids: {rows:?}"
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
