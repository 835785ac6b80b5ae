//! podman 5 commands and options: `kill`/`rm --filter`, `kill --cidfile`, `pod rm -t`,
//! `system renumber`, `volume reload`, `ps --sort`/`--external`, and their bad input.

mod common;

use common::Env;

fn state(env: &Env, name: &str) -> String {
    env.burrow(&["inspect", "--format", "{{.State.Status}}", name])
        .ok()
        .out()
        .trim()
        .to_string()
}

/// The state once it is `want` (a kill's exit is recorded by the monitor a moment later).
fn wait_state(env: &Env, name: &str, want: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let s = state(env, name);
        if s == want || std::time::Instant::now() > deadline {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

// Pins: `kill --filter` signals only the running containers the filter passes, `--cidfile`
// names one by file; `rm --filter` removes the passing ones and prints their IDs.
#[test]
fn kill_and_rm_filter() {
    let env = Env::new().with_busybox();
    for (name, label) in [("a1", "grp=x"), ("a2", "grp=x"), ("b1", "grp=y")] {
        env.burrow(&[
            "run", "-d", "--name", name, "--label", label, "busybox", "sleep", "1000",
        ])
        .ok();
    }
    let out = env.burrow(&["kill", "--filter", "label=grp=x"]).ok();
    let mut killed = out.lines();
    killed.sort();
    assert_eq!(killed.len(), 2, "{killed:?}");
    assert_eq!(wait_state(&env, "a1", "exited"), "exited");
    assert_eq!(wait_state(&env, "a2", "exited"), "exited");
    assert_eq!(state(&env, "b1"), "running");

    let cid = env.path("cid");
    let id = env.burrow(&["inspect", "--format", "{{.Id}}", "b1"]).ok();
    std::fs::write(&cid, id.out()).unwrap();
    env.burrow(&["kill", "--cidfile", cid.to_str().unwrap()])
        .ok();
    assert_eq!(wait_state(&env, "b1", "exited"), "exited");

    let a1 = env.burrow(&["inspect", "--format", "{{.Id}}", "a1"]).ok();
    let a2 = env.burrow(&["inspect", "--format", "{{.Id}}", "a2"]).ok();
    let out = env.burrow(&["rm", "--filter", "label=grp=x"]).ok();
    let mut removed: Vec<String> = out.lines().iter().map(|s| s.to_string()).collect();
    removed.sort();
    let mut want = vec![a1.out().trim().to_string(), a2.out().trim().to_string()];
    want.sort();
    assert_eq!(removed, want);
    let left = env.burrow(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(left.lines(), vec!["b1"]);
    // Names and a filter: only the named ones that pass.
    env.burrow(&["rm", "--filter", "label=grp=x", "b1"]).ok();
    assert_eq!(
        env.burrow(&["ps", "-a", "-q"]).ok().lines().len(),
        1,
        "b1 does not pass the filter and stays"
    );

    // Bad input: an unknown filter key, nothing removed.
    env.burrow(&["rm", "--filter", "bogus=1"])
        .code(125)
        .stderr_has("Error:");
    env.burrow(&["kill", "--filter", "bogus=1"])
        .code(125)
        .stderr_has("Error:");
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().lines().len(), 1);
}

// Pins: `pod rm -t N` stops the pod's running containers (within N seconds) and removes it,
// without --force; a missing pod with --ignore is fine, without it fails.
#[test]
fn pod_rm_time() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "p"]).ok();
    env.burrow(&[
        "run", "-d", "--pod", "p", "--name", "m", "busybox", "sleep", "1000",
    ])
    .ok();
    let t = std::time::Instant::now();
    env.burrow(&["pod", "rm", "-t", "1", "p"]).ok();
    assert!(t.elapsed() < std::time::Duration::from_secs(8));
    env.burrow(&["pod", "exists", "p"]).code(1);
    env.burrow(&["container", "exists", "m"]).code(1);
    env.burrow(&["pod", "rm", "-t", "1", "--ignore", "nope"])
        .ok();
    env.burrow(&["pod", "rm", "-t", "1", "nope"])
        .fails()
        .stderr_has("nope");
    env.burrow(&["pod", "rm", "-t", "x", "nope"]).code(125);
}

// Pins: the no-op maintenance commands succeed quietly, as podman's do without locks/plugins.
#[test]
fn renumber_and_volume_reload() {
    let env = Env::new();
    env.burrow(&["volume", "create", "v1"]).ok();
    let out = env.burrow(&["system", "renumber"]).ok();
    assert_eq!(out.out(), "");
    let out = env.burrow(&["volume", "reload"]).ok();
    assert_eq!(out.out(), "");
    env.burrow(&["volume", "exists", "v1"]).ok();
    env.burrow(&["system", "renumber", "extra"]).code(125);
}

fn pid_of(env: &Env, name: &str) -> i32 {
    env.burrow(&["inspect", "--format", "{{.State.Pid}}", name])
        .ok()
        .out()
        .trim()
        .parse()
        .unwrap_or(0)
}

// Pins: `init` prepares a created container (its process exists with its rootfs and hosts
// file in place) without running its command; `ps` shows "Initialized"; `start` then runs the
// command; init of an initialized or running container is podman's state error (125).
#[test]
fn init_then_start() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "box",
        "--hostname",
        "boxhost",
        "busybox",
        "sh",
        "-c",
        "echo command-ran; exec sleep 1000",
    ])
    .ok();
    let out = env.burrow(&["init", "box"]).ok();
    assert_eq!(out.lines(), vec!["box"]);
    assert_eq!(state(&env, "box"), "initialized");
    env.burrow(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"])
        .ok()
        .stdout_has("box Initialized");
    let pid = pid_of(&env, "box");
    assert!(pid > 0, "an initialized container has its process");
    // Prepared: the container's own root with its generated hosts file.
    let hosts = std::fs::read_to_string(format!("/proc/{pid}/root/etc/hosts")).unwrap();
    assert!(hosts.contains("boxhost"), "{hosts}");
    // The command did not run.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let logs = env.burrow(&["logs", "box"]).ok();
    assert!(!logs.out().contains("command-ran"), "{}", logs.out());
    env.burrow(&["init", "box"])
        .code(125)
        .stderr_has("has already been created in runtime: container state improper");

    env.burrow(&["start", "box"]).ok().stdout_has("box");
    assert_eq!(state(&env, "box"), "running");
    assert_eq!(pid_of(&env, "box"), pid, "start runs the prepared process");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !env
        .burrow(&["logs", "box"])
        .ok()
        .out()
        .contains("command-ran")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the command never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    env.burrow(&["container", "init", "box"])
        .code(125)
        .stderr_has("container state improper");
    env.burrow(&["init", "nope"]).code(125).stderr_has("nope");
    env.burrow(&["init"]).code(125);
    env.burrow(&["rm", "-f", "box"]).ok();
}

// Pins: an initialized container stops and is removed like a created one, its held process
// gone; `init --all` skips the containers already running.
#[test]
fn init_stop_rm_and_all() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "ia", "busybox", "sleep", "1000"])
        .ok();
    env.burrow(&[
        "create",
        "--name",
        "ib",
        "--network",
        "none",
        "busybox",
        "sleep",
        "1000",
    ])
    .ok();
    env.burrow(&["run", "-d", "--name", "ir", "busybox", "sleep", "1000"])
        .ok();
    let out = env.burrow(&["init", "--all"]).ok();
    assert_eq!(out.lines().len(), 2, "{:?}", out.lines());
    assert_eq!(state(&env, "ia"), "initialized");
    assert_eq!(state(&env, "ib"), "initialized");
    assert_eq!(state(&env, "ir"), "running");

    let pid = pid_of(&env, "ia");
    env.burrow(&["stop", "ia"]).ok();
    assert_eq!(state(&env, "ia"), "exited");
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    // Exited: it can be initialized and started again.
    env.burrow(&["init", "ia"]).ok();
    env.burrow(&["start", "ia"]).ok();
    assert_eq!(state(&env, "ia"), "running");

    let pid = pid_of(&env, "ib");
    env.burrow(&["rm", "ib"]).ok();
    env.burrow(&["container", "exists", "ib"]).code(1);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    env.burrow(&["rm", "-f", "-a"]).ok();
}

// Pins: `ps --size` adds podman's SIZE column ("RW (virtual ROOTFS)") that grows with what a
// container writes, and .Size in JSON; `--sort` orders by the key; `--external` changes
// nothing; an unknown sort key is podman's error.
#[test]
fn ps_size_sort_external() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "zz",
        "busybox",
        "sh",
        "-c",
        "dd if=/dev/zero of=/big bs=1000 count=2000 2>/dev/null",
    ])
    .ok();
    env.burrow(&["create", "--name", "aa", "busybox", "true"])
        .ok();
    let table = env.burrow(&["ps", "-a", "--size"]).ok();
    let head = table.lines()[0].to_string();
    assert!(head.ends_with("SIZE"), "{head}");
    let zz = table
        .lines()
        .into_iter()
        .find(|l| l.contains("zz"))
        .unwrap()
        .to_string();
    assert!(zz.contains("2MB (virtual "), "{zz}");
    let aa = table
        .lines()
        .into_iter()
        .find(|l| l.contains(" aa "))
        .unwrap()
        .to_string();
    assert!(aa.contains("0B (virtual "), "{aa}");
    let json = env.burrow(&["ps", "-a", "--size", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(json.out()).unwrap();
    let zz = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Names"] == "zz")
        .unwrap();
    assert!(zz["Size"]["RwSize"].as_u64().unwrap() >= 2_000_000, "{zz}");
    assert!(zz["Size"]["RootFsSize"].as_u64().unwrap() > zz["Size"]["RwSize"].as_u64().unwrap());
    let plain = env.burrow(&["ps", "-a", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(plain.out()).unwrap();
    assert!(v[0]["Size"].is_null());

    let names = |sort: &str| {
        env.burrow(&["ps", "-a", "--sort", sort, "--format", "{{.Names}}"])
            .ok()
            .lines()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("names"), vec!["aa", "zz"]);
    assert_eq!(names("created"), vec!["aa", "zz"], "newest first");
    assert_eq!(names("size"), vec!["aa", "zz"], "smallest first");
    assert_eq!(
        names("command"),
        vec!["zz", "aa"],
        "\"sh -c\" before \"true\""
    );
    let plain = env.burrow(&["ps", "-a"]).ok();
    let external = env.burrow(&["ps", "-a", "--external"]).ok();
    assert_eq!(plain.lines().len(), external.lines().len());
    env.burrow(&["ps", "--sort", "bogus"])
        .code(125)
        .stderr_has("invalid option for --sort");
}

// Pins: `pod stats` (as root, where cgroups are there) lists each running container of the
// pod, infra included, under podman's columns; JSON has podman's keys; an unknown pod is an
// error; rootless without cgroup delegation it fails clearly, never an empty success.
#[test]
fn pod_stats_no_stream() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "stats", "--no-stream", "nope"])
        .code(125)
        .stderr_has("nope");
    if common::skip_unless_root() {
        return;
    }
    let tar = common::busybox_tar().display().to_string();
    let root = |args: &[&str]| common::root_burrow(&env, args);
    root(&["import", &tar, "busybox"]).ok();
    root(&["pod", "create", "--name", "ps1"]).ok();
    root(&[
        "run", "-d", "--pod", "ps1", "--name", "w", "busybox", "sleep", "1000",
    ])
    .ok();
    let table = root(&["pod", "stats", "--no-stream"]).ok();
    let head = table.lines()[0].to_string();
    for col in [
        "POD",
        "CID",
        "NAME",
        "CPU %",
        "MEM USAGE/ LIMIT",
        "MEM %",
        "PIDS",
    ] {
        assert!(head.contains(col), "{head}");
    }
    let rows = root(&[
        "pod",
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.PIDS}}",
        "ps1",
    ])
    .ok();
    let mut lines = rows.lines();
    lines.sort();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.contains(&"w 1"), "{lines:?}");
    let json = root(&["pod", "stats", "--no-stream", "--format", "json", "ps1"]).ok();
    let v: serde_json::Value = serde_json::from_str(json.out()).unwrap();
    let w = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Name"] == "w")
        .unwrap();
    assert_eq!(w["PIDS"], "1");
    assert!(w["Pod"].as_str().unwrap().len() == 12 && w["CID"].as_str().unwrap().len() == 12);
    root(&["pod", "rm", "-f", "ps1"]).ok();
}

// Pins: `volume mount` prints the mount point of a plain volume (its files are there), and
// mounts a `type=tmpfs` volume in the user's mount namespace (seen under `burrow unshare`)
// until `volume unmount`; what a container wrote to the plain volume is at the printed path.
#[test]
fn volume_mount_unmount() {
    let env = Env::new().with_busybox();
    env.burrow(&["volume", "create", "plain"]).ok();
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "plain:/d",
        "busybox",
        "sh",
        "-c",
        "echo hi > /d/f",
    ])
    .ok();
    let dir = env.burrow(&["volume", "mount", "plain"]).ok();
    let dir = dir.out().trim().to_string();
    env.burrow(&["unshare", "cat", &format!("{dir}/f")])
        .ok()
        .stdout_has("hi");
    env.burrow(&["volume", "unmount", "plain"])
        .ok()
        .stdout_has("plain");

    env.burrow(&[
        "volume",
        "create",
        "--opt",
        "type=tmpfs",
        "--opt",
        "o=size=1m",
        "t",
    ])
    .ok();
    let dir = env.burrow(&["volume", "mount", "t"]).ok();
    let dir = dir.out().trim().to_string();
    let mounted = |env: &Env| {
        let info = env.burrow(&["unshare", "cat", "/proc/self/mountinfo"]).ok();
        info.lines()
            .iter()
            .any(|l| l.contains(&format!(" {dir} ")) && l.contains(" tmpfs "))
    };
    assert!(mounted(&env), "tmpfs volume not mounted at {dir}");
    env.burrow(&["volume", "unmount", "t"]).ok().stdout_has("t");
    assert!(!mounted(&env), "still mounted at {dir}");

    env.burrow(&["volume", "mount", "nope"])
        .code(125)
        .stderr_has("nope");
    env.burrow(&["volume", "mount"]).code(125);
}

/// The rootless netns's holder process (its network namespace is the bridges').
fn rootless_netns_pid(env: &Env) -> i32 {
    fn find(dir: &std::path::Path) -> Option<std::path::PathBuf> {
        for e in std::fs::read_dir(dir).ok()?.flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == "netns.pid") {
                return Some(p);
            }
            if p.is_dir()
                && let Some(f) = find(&p)
            {
                return Some(f);
            }
        }
        None
    }
    let file = find(env.runtime_dir()).expect("netns.pid");
    let text = std::fs::read_to_string(file).unwrap();
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn netns_ruleset(pid: i32) -> String {
    let out = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-n", "nft", "list", "ruleset"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

// Pins: `network reload` loads a bridge container's firewall rules again after they were
// wiped (as a firewall reload does) and prints its full ID; a slirp4netns container and a
// stopped one get podman's errors (125); `--all` reloads the ones it can, quietly skipping.
#[test]
fn network_reload_restores_rules() {
    if common::skip_unless_root() {
        return;
    }
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "n1"]).ok();
    let id = env
        .burrow(&[
            "run",
            "-d",
            "--name",
            "br",
            "--network",
            "n1",
            "busybox",
            "sleep",
            "1000",
        ])
        .ok();
    let id = id.out().trim().to_string();
    let pid = rootless_netns_pid(&env);
    let before = netns_ruleset(pid);
    assert!(before.contains("table"), "{before}");
    let flushed = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-n", "nft", "flush", "ruleset"])
        .status()
        .unwrap();
    assert!(flushed.success());
    assert!(!netns_ruleset(pid).contains("table"));
    let out = env.burrow(&["network", "reload", "br"]).ok();
    assert_eq!(out.lines(), vec![id.as_str()]);
    assert_eq!(
        netns_ruleset(pid),
        before,
        "the rules are back as they were"
    );

    env.burrow(&[
        "run",
        "-d",
        "--name",
        "sl",
        "--network",
        "slirp4netns",
        "busybox",
        "sleep",
        "1000",
    ])
    .ok();
    env.burrow(&["network", "reload", "sl"])
        .code(125)
        .stderr_has("\"slirp4netns\" is not supported: invalid network mode");
    env.burrow(&[
        "create",
        "--name",
        "st",
        "--network",
        "n1",
        "busybox",
        "true",
    ])
    .ok();
    env.burrow(&["network", "reload", "st"])
        .code(125)
        .stderr_has("cannot reload network unless container network has been configured");
    let all = env.burrow(&["network", "reload", "--all"]).ok();
    assert_eq!(all.lines(), vec![id.as_str()]);
    env.burrow(&["network", "reload"]).code(125);
    env.burrow(&["rm", "-f", "-a"]).ok();
}

fn inspect_fmt(env: &Env, fmt: &str, name: &str) -> String {
    env.burrow(&["inspect", "--format", fmt, name])
        .ok()
        .out()
        .trim()
        .to_string()
}

// Pins: `container clone` makes a new container with the source's configuration (env,
// labels, command) and its own anonymous volume, named podman's way (NAME-clone, then
// NAME-clone1) and printed by ID; --destroy --run replaces the source by a running clone;
// bad input changes nothing.
#[test]
fn container_clone() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "orig",
        "-e",
        "FOO=bar",
        "--label",
        "k=v",
        "-v",
        "/data",
        "busybox",
        "sh",
        "-c",
        "echo foo=$FOO; exec sleep 1000",
    ])
    .ok();
    let out = env.burrow(&["container", "clone", "orig"]).ok();
    let id = out.out().trim().to_string();
    assert_eq!(id.len(), 64, "{id}");
    assert_eq!(inspect_fmt(&env, "{{.Name}}", &id), "orig-clone");
    assert_eq!(inspect_fmt(&env, "{{.Config.Labels.k}}", "orig-clone"), "v");
    assert!(inspect_fmt(&env, "{{.Config.Env}}", "orig-clone").contains("FOO=bar"));
    let vol = |n: &str| inspect_fmt(&env, "{{range .Mounts}}{{.Name}}{{end}}", n);
    assert_ne!(
        vol("orig"),
        vol("orig-clone"),
        "a clone has its own anonymous volume"
    );
    assert_eq!(state(&env, "orig-clone"), "created");
    env.burrow(&["container", "clone", "orig"]).ok();
    env.burrow(&["container", "exists", "orig-clone1"]).ok();

    env.burrow(&["container", "clone", "nope"])
        .code(125)
        .stderr_has("nope");
    env.burrow(&["container", "clone", "--name", "bad name!", "orig"])
        .code(125);
    env.burrow(&["container", "clone", "--memory", "lots", "orig"])
        .code(125)
        .stderr_has("memory");
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().lines().len(), 3);

    let out = env
        .burrow(&["container", "clone", "--destroy", "--run", "orig", "fresh"])
        .ok();
    let fresh = out.out().trim().to_string();
    env.burrow(&["container", "exists", "orig"]).code(1);
    assert_eq!(inspect_fmt(&env, "{{.Id}}", "fresh"), fresh);
    assert_eq!(state(&env, "fresh"), "running");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !env
        .burrow(&["logs", "fresh"])
        .ok()
        .out()
        .contains("foo=bar")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the clone's command never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    env.burrow(&["rm", "-f", "-a"]).ok();

    // As root (cgroups there), limits given override the source's.
    if common::skip_unless_root() {
        return;
    }
    let tar = common::busybox_tar().display().to_string();
    let root = |args: &[&str]| common::root_burrow(&env, args);
    root(&["import", &tar, "busybox"]).ok();
    root(&[
        "create", "--name", "lim", "--memory", "32m", "busybox", "true",
    ])
    .ok();
    root(&["container", "clone", "--memory", "64m", "lim", "lim2"]).ok();
    let mem = root(&["inspect", "--format", "{{.HostConfig.Memory}}", "lim2"]).ok();
    assert_eq!(mem.out().trim(), "67108864");
    let mem = root(&["inspect", "--format", "{{.HostConfig.Memory}}", "lim"]).ok();
    assert_eq!(mem.out().trim(), "33554432");
    root(&["rm", "-a"]).ok();
}

// Pins: an initialized container cannot be started attached a second time (one process),
// and `pod start` runs an initialized member's held process.
#[test]
fn init_attached_and_pod_start() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "x", "busybox", "sleep", "1000"])
        .ok();
    env.burrow(&["init", "x"]).ok();
    env.burrow(&["start", "-a", "x"])
        .code(125)
        .stderr_has("is initialized");
    assert_eq!(state(&env, "x"), "initialized");
    env.burrow(&["rm", "-f", "x"]).ok();

    env.burrow(&["pod", "create", "--name", "pp"]).ok();
    env.burrow(&[
        "create", "--pod", "pp", "--name", "m", "busybox", "sleep", "1000",
    ])
    .ok();
    env.burrow(&["init", "m"]).ok();
    assert_eq!(state(&env, "m"), "initialized");
    let pid = pid_of(&env, "m");
    env.burrow(&["pod", "start", "pp"]).ok();
    assert_eq!(state(&env, "m"), "running");
    assert_eq!(pid_of(&env, "m"), pid);
    env.burrow(&["pod", "rm", "-f", "pp"]).ok();
}

/// Whether `path` is a mount point in the user's namespace (where `burrow mount` mounts).
fn mounted(env: &Env, path: &str) -> bool {
    let info = env
        .burrow(&["unshare", "cat", "/proc/self/mountinfo"])
        .ok()
        .stdout;
    info.lines()
        .any(|l| l.split_whitespace().nth(4) == Some(path))
}

// Pins: `container cleanup` unmounts what `mount` left of a stopped container and keeps it
// (prints the name); `--rm` removes it with its anonymous volume; a running container is
// refused with podman's message; `rm` of a mounted container unmounts it first.
#[test]
fn container_cleanup() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "done", "-v", "/anon", "busybox", "true"])
        .ok();
    env.burrow(&["start", "-a", "done"]).ok();
    let merged = env.burrow(&["mount", "done"]).ok().out().trim().to_string();
    assert!(mounted(&env, &merged), "{merged}");
    let out = env.burrow(&["container", "cleanup", "done"]).ok();
    assert_eq!(out.out().trim(), "done");
    assert!(!mounted(&env, &merged));
    env.burrow(&["container", "exists", "done"]).ok();
    let vol = inspect_fmt(&env, "{{range .Mounts}}{{.Name}}{{end}}", "done");
    env.burrow(&["run", "-d", "--name", "up", "busybox", "sleep", "300"])
        .ok();
    env.burrow(&["container", "cleanup", "up"])
        .code(125)
        .stderr_has("is running or paused, refusing to clean up: container state improper");
    // --all skips the running one: only the stopped container is printed (by ID).
    let all = env.burrow(&["container", "cleanup", "--all"]).ok();
    assert_eq!(all.out().lines().count(), 1, "{all:?}");
    env.burrow(&["container", "cleanup", "--rm", "done"]).ok();
    env.burrow(&["container", "exists", "done"]).code(1);
    env.burrow(&["volume", "exists", &vol]).code(1);
    env.burrow(&["container", "cleanup", "nothere"])
        .code(125)
        .stderr_has("no such container");
    // rm of a mounted container: unmounted, then removed.
    env.burrow(&["create", "--name", "held", "busybox", "true"])
        .ok();
    let held = env.burrow(&["mount", "held"]).ok().out().trim().to_string();
    env.burrow(&["rm", "held"]).ok();
    assert!(!mounted(&env, &held));
    env.burrow(&["rm", "-f", "-t", "0", "up"]).ok();
}

// Pins: checkpoint and restore are refused as rootless podman refuses them (CRIU needs
// root), with podman's options accepted, and nothing changes.
#[test]
fn checkpoint_restore_refused_rootless() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "-d", "--name", "cp1", "busybox", "sleep", "300"])
        .ok();
    env.refused(
        &[
            "container",
            "checkpoint",
            "--leave-running",
            "-e",
            "/tmp/x.tar.gz",
            "cp1",
        ],
        "checkpointing a container requires root",
    );
    env.refused(
        &["container", "restore", "-i", "/tmp/x.tar.gz", "-n", "back"],
        "restoring a container requires root",
    );
    assert_eq!(state(&env, "cp1"), "running");
    env.burrow(&["rm", "-f", "-t", "0", "cp1"]).ok();
}

// Pins: `generate spec` prints podman's SpecGenerator JSON (one-space indent, or one line
// with -c) with a free new name by default, `--name=false` keeps it, `-f` writes the file
// and prints its path; a pod gives its PodSpecGenerator; an unknown name is podman's error.
#[test]
fn generate_spec_of_container_and_pod() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "gs",
        "-e",
        "A=1",
        "-p",
        "8080:80",
        "-w",
        "/tmp",
        "--label",
        "k=v",
        "--restart",
        "on-failure:3",
        "--stop-signal",
        "SIGINT",
        "busybox",
        "sleep",
        "5",
    ])
    .ok();
    let out = env.burrow(&["generate", "spec", "gs"]).ok();
    assert!(out.stdout.starts_with("{\n \""), "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["name"], "gs-clone");
    assert_eq!(v["env"]["A"], "1");
    assert_eq!(v["command"], serde_json::json!(["sleep", "5"]));
    assert_eq!(v["work_dir"], "/tmp");
    assert_eq!(v["labels"]["k"], "v");
    assert_eq!(v["restart_policy"], "on-failure");
    assert_eq!(v["restart_tries"], 3);
    assert_eq!(v["stop_signal"], 2);
    assert_eq!(v["portmappings"][0]["host_port"], 8080);
    assert_eq!(v["portmappings"][0]["container_port"], 80);
    assert_eq!(v["netns"]["nsmode"], "slirp4netns");
    let image = env
        .burrow(&["inspect", "--format", "{{.Image}}", "gs"])
        .ok()
        .out()
        .trim()
        .to_string();
    assert_eq!(v["image"], image.as_str());
    let compact = env
        .burrow(&["generate", "spec", "-c", "--name=false", "gs"])
        .ok();
    assert_eq!(compact.out().lines().count(), 1);
    let c: serde_json::Value = serde_json::from_str(&compact.stdout).expect("json");
    assert_eq!(c["name"], "gs");
    let file = env.home().join("spec.json");
    let written = env
        .burrow(&["generate", "spec", "-f", file.to_str().unwrap(), "gs"])
        .ok();
    assert_eq!(written.out().trim(), file.to_str().unwrap());
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("spec file")).expect("json");
    assert_eq!(on_disk["name"], "gs-clone");
    // A clone exists: the next free name.
    env.burrow(&["container", "clone", "gs"]).ok();
    let again: serde_json::Value =
        serde_json::from_str(&env.burrow(&["generate", "spec", "gs"]).ok().stdout).expect("json");
    assert_eq!(again["name"], "gs-clone1");
    env.burrow(&["pod", "create", "--name", "gp", "-p", "9090:80"])
        .ok();
    let p: serde_json::Value =
        serde_json::from_str(&env.burrow(&["generate", "spec", "gp"]).ok().stdout).expect("json");
    assert_eq!(p["name"], "gp-clone");
    assert_eq!(p["portmappings"][0]["host_port"], 9090);
    assert!(
        p["shared_namespaces"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{p}"
    );
    env.burrow(&["generate", "spec", "nothing"])
        .code(125)
        .stderr_has("could not find a pod or container with the id nothing");
}
