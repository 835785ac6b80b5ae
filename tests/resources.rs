//! Resource limits: bad values refused, podman's warning where a rootless user cannot have
//! them enforced, settings that need no cgroup, and (as root) limits, OOM, stats, pause and
//! update enforced through cgroups.

mod common;

use common::Env;

/// cgroup v2 with a subtree delegated to the test user: then limits are enforced rootless.
fn rootless_cgroups(env: &Env) -> bool {
    let out = env.burrow(&["system", "doctor"]);
    out.lines()
        .iter()
        .any(|l| l.starts_with("[ ok ] cgroup v2 delegation"))
}

// Pins: invalid values are a one-line error with exit 125 and no container is created.
#[test]
fn bad_limits_are_refused_and_nothing_is_created() {
    let env = Env::new().with_busybox();
    for (args, needle) in [
        (
            &["--memory", "abc"][..],
            "invalid value for memory: invalid size: 'abc'",
        ),
        (
            &["--memory", "1m"][..],
            "minimum memory limit allowed is 6MB",
        ),
        (
            &["--memory", "64m", "--memory-swap", "32m"][..],
            "memory-swap",
        ),
        (&["--cpus", "lots"][..], "invalid value for cpus"),
        (
            &["--cpuset-cpus", "0-x"][..],
            "invalid value for cpuset-cpus",
        ),
        (&["--pids-limit", "-5"][..], "invalid value for pids-limit"),
        (&["--oom-score-adj", "5000"][..], "between -1000 and 1000"),
        (&["--shm-size", "big"][..], "invalid value for shm-size"),
    ] {
        let mut argv = vec!["create", "--name", "bad"];
        argv.extend_from_slice(args);
        argv.extend(["busybox", "true"]);
        let out = env.burrow(&argv).code(125).stderr_has(needle);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{out}");
    }
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().out(), "");
}

// Pins: without enforceable cgroups a rootless --memory prints podman's warning, the
// container still runs, and inspect shows no limit (podman drops it).
#[test]
fn rootless_limit_without_cgroups_warns() {
    let env = Env::new().with_busybox();
    if rootless_cgroups(&env) {
        return;
    }
    let out = env
        .burrow(&[
            "run", "--name", "w", "--memory", "64m", "busybox", "echo", "hi",
        ])
        .ok();
    assert_eq!(out.out(), "hi");
    if !std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        assert!(
            out.stderr.contains(
                "Resource limits are not supported and ignored on cgroups V1 rootless systems"
            ),
            "{out}"
        );
    } else {
        assert!(
            out.stderr.contains("Resource limits are not supported"),
            "{out}"
        );
    }
    let mem = env
        .burrow(&["inspect", "--format", "{{.HostConfig.Memory}}", "w"])
        .ok();
    assert_eq!(mem.out(), "0");
}

// Pins: without cgroups, stats, pause and update fail with a clear error (125), never a
// silent success, and the container keeps running unpaused.
#[test]
fn rootless_stats_pause_update_fail_clearly_without_cgroups() {
    let env = Env::new().with_busybox();
    if rootless_cgroups(&env) {
        return;
    }
    env.burrow(&["run", "-d", "--name", "s", "busybox", "sleep", "1000"])
        .ok();
    env.burrow(&["stats", "--no-stream", "s"])
        .code(125)
        .stderr_has("cgroups");
    env.burrow(&["stats", "--no-stream", "--all"])
        .code(125)
        .stderr_has("cgroups");
    env.burrow(&["pause", "s"]).code(125).stderr_has("cgroups");
    env.burrow(&["update", "--memory", "64m", "s"])
        .code(125)
        .stderr_has("cgroups");
    let st = env
        .burrow(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.HostConfig.Memory}}",
            "s",
        ])
        .ok();
    assert_eq!(st.out(), "running 0");
    env.burrow(&["rm", "-f", "s"]).ok();
}

// Pins: --shm-size sizes /dev/shm and --oom-score-adj (raised) reaches the process, rootless
// and without cgroups; inspect reports both.
#[test]
fn shm_size_and_oom_score_adj_apply_without_cgroups() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--name",
            "shm",
            "--shm-size",
            "10m",
            "--oom-score-adj",
            "500",
            "busybox",
            "sh",
            "-c",
            "df -k /dev/shm | tail -n 1; cat /proc/self/oom_score_adj",
        ])
        .ok();
    let lines = out.lines();
    let size: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(size[1], "10240", "{out}");
    assert_eq!(lines[1], "500", "{out}");
    let hc = env
        .burrow(&[
            "inspect",
            "--format",
            "{{.HostConfig.ShmSize}} {{.HostConfig.OomScoreAdj}}",
            "shm",
        ])
        .ok();
    assert_eq!(hc.out(), "10485760 500");
}

// Pins: update with an invalid value changes nothing (exit 125).
#[test]
fn update_with_bad_value_changes_nothing() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "u", "busybox", "true"])
        .ok();
    env.burrow(&["update", "--memory", "lots", "u"])
        .code(125)
        .stderr_has("invalid value for memory");
    env.burrow(&["update", "u"])
        .code(125)
        .stderr_has("nothing to update");
    env.burrow(&["update", "--memory", "64m", "nosuch"])
        .code(125)
        .stderr_has("no such container");
}

// ---- as root: limits are enforced through cgroups ----

use common::root_burrow;

fn root_env() -> Option<Env> {
    if common::skip_unless_root() {
        return None;
    }
    let env = Env::new();
    let tar = common::busybox_tar().display().to_string();
    root_burrow(&env, &["import", &tar, "busybox"]).ok();
    Some(env)
}

/// The cgroup directory of a container for a v1 controller or the v2 tree.
fn cgroup_file(controller: &str, id: &str, file: &str) -> std::path::PathBuf {
    let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    if v2 {
        std::path::Path::new("/sys/fs/cgroup/burrow")
            .join(id)
            .join(file)
    } else {
        std::path::Path::new("/sys/fs/cgroup")
            .join(controller)
            .join("burrow")
            .join(id)
            .join(file)
    }
}

fn read(p: &std::path::Path) -> String {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .to_string()
}

// Pins: as root --memory, --cpus and --pids-limit are written to the container's cgroup,
// inspect reports them, and update changes them on the running container.
#[test]
fn root_limits_are_enforced_and_updated() {
    let Some(env) = root_env() else { return };
    let id = root_burrow(
        &env,
        &[
            "run",
            "-d",
            "--memory",
            "32m",
            "--cpus",
            "0.5",
            "--pids-limit",
            "50",
            "busybox",
            "sleep",
            "1000",
        ],
    )
    .ok()
    .out()
    .to_string();
    let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let (mem_file, cpu_file) = if v2 {
        ("memory.max", "cpu.max")
    } else {
        ("memory.limit_in_bytes", "cpu.cfs_quota_us")
    };
    assert_eq!(read(&cgroup_file("memory", &id, mem_file)), "33554432");
    assert!(read(&cgroup_file("cpu", &id, cpu_file)).starts_with("50000"));
    assert_eq!(read(&cgroup_file("pids", &id, "pids.max")), "50");
    let hc = root_burrow(
        &env,
        &[
            "inspect",
            "--format",
            "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}",
            &id,
        ],
    )
    .ok();
    assert_eq!(hc.out(), "33554432 500000000 50");
    root_burrow(&env, &["update", "--memory", "64m", &id]).ok();
    assert_eq!(read(&cgroup_file("memory", &id, mem_file)), "67108864");
    let hc = root_burrow(
        &env,
        &["inspect", "--format", "{{.HostConfig.Memory}}", &id],
    )
    .ok();
    assert_eq!(hc.out(), "67108864");
    root_burrow(&env, &["rm", "-f", &id]).ok();
}

// Pins: a process that exceeds --memory is OOM-killed: exit 137 and State.OOMKilled true.
#[test]
fn root_oom_kill_is_reported() {
    let Some(env) = root_env() else { return };
    let out = root_burrow(
        &env,
        &[
            "run",
            "--name",
            "oom",
            "--memory",
            "16m",
            "--memory-swap",
            "16m",
            "busybox",
            "dd",
            "if=/dev/zero",
            "of=/dev/null",
            "bs=64M",
            "count=1",
        ],
    );
    assert_eq!(out.status, 137, "{out}");
    let st = root_burrow(
        &env,
        &["inspect", "--format", "{{.State.OOMKilled}}", "oom"],
    )
    .ok();
    assert_eq!(st.out(), "true");
    // A container that was not OOM-killed says false.
    root_burrow(
        &env,
        &[
            "run", "--name", "fine", "--memory", "16m", "busybox", "true",
        ],
    )
    .ok();
    let st = root_burrow(
        &env,
        &["inspect", "--format", "{{.State.OOMKilled}}", "fine"],
    )
    .ok();
    assert_eq!(st.out(), "false");
}

// Pins: --pids-limit stops a fork bomb: the shell cannot fork past the limit.
#[test]
fn root_pids_limit_stops_forks() {
    let Some(env) = root_env() else { return };
    let out = root_burrow(
        &env,
        &[
            "run",
            "--rm",
            "--pids-limit",
            "4",
            "busybox",
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait",
        ],
    );
    assert!(out.stderr.contains("fork") || out.status != 0, "{out}");
}

// Pins: pause freezes a running container without limits (status paused), unpause thaws it,
// and stats reports its processes; rm -f removes a paused container.
#[test]
fn root_pause_unpause_and_stats() {
    let Some(env) = root_env() else { return };
    root_burrow(
        &env,
        &["run", "-d", "--name", "pz", "busybox", "sleep", "1000"],
    )
    .ok();
    root_burrow(&env, &["pause", "pz"]).ok();
    let st = root_burrow(&env, &["inspect", "--format", "{{.State.Status}}", "pz"]).ok();
    assert_eq!(st.out(), "paused");
    root_burrow(&env, &["pause", "pz"])
        .code(125)
        .stderr_has("already paused");
    root_burrow(&env, &["unpause", "pz"]).ok();
    let st = root_burrow(&env, &["inspect", "--format", "{{.State.Status}}", "pz"]).ok();
    assert_eq!(st.out(), "running");
    let stats = root_burrow(
        &env,
        &[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.PIDS}}",
            "pz",
        ],
    )
    .ok();
    assert_eq!(stats.out(), "pz 1");
    let json = root_burrow(&env, &["stats", "--no-stream", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v[0]["name"], "pz", "{json}");
    root_burrow(&env, &["pause", "pz"]).ok();
    root_burrow(&env, &["rm", "-f", "pz"]).ok();
    root_burrow(&env, &["container", "exists", "pz"]).code(1);
}

// Pins: a process started with `exec` is inside the container's cgroup: it counts against
// --pids-limit (an exec'd fork loop is stopped too) and is listed in the cgroup's procs.
#[test]
fn root_exec_joins_the_container_cgroup() {
    let Some(env) = root_env() else { return };
    let id = root_burrow(
        &env,
        &["run", "-d", "--pids-limit", "5", "busybox", "sleep", "1000"],
    )
    .ok()
    .out()
    .trim()
    .to_string();
    root_burrow(&env, &["exec", "-d", &id, "sleep", "999"]).ok();
    // The exec'd sleep's host pid is in the container's pids cgroup (`exec -d` returns
    // before the command is exec'd: give it a moment to appear).
    let mut procs = String::new();
    let mut found = false;
    for _ in 0..100 {
        procs = read(&cgroup_file("pids", &id, "cgroup.procs"));
        found = procs.lines().any(|p| {
            std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| c.replace('\0', " ").trim() == "sleep 999")
        });
        if found {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(found, "exec'd process not in the cgroup: {procs}");
    let out = root_burrow(
        &env,
        &[
            "exec",
            &id,
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait",
        ],
    );
    assert!(out.stderr.contains("fork") || out.status != 0, "{out}");
    root_burrow(&env, &["rm", "-f", &id]).ok();
}

// Pins: the container's cgroup namespace was made before the container was moved into its
// cgroup, so /proc/self/cgroup inside read `/../../burrow/<id>` (and on cgroup v2 the
// container could not see its own limits). Every hierarchy now reads `/` inside.
#[test]
fn root_cgroup_namespace_is_rooted_at_the_container_cgroup() {
    let Some(env) = root_env() else { return };
    let out = root_burrow(
        &env,
        &[
            "run",
            "--rm",
            "--memory",
            "64m",
            "--pids-limit",
            "50",
            "busybox",
            "cat",
            "/proc/self/cgroup",
        ],
    )
    .ok();
    for line in out.stdout.lines() {
        assert!(
            line.ends_with(":/"),
            "not rooted at its own cgroup: {out:?}"
        );
    }
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        // cgroup v2: its own limits at the top of its /sys/fs/cgroup, read-only.
        let out = root_burrow(
            &env,
            &[
                "run",
                "--rm",
                "--memory",
                "64m",
                "busybox",
                "sh",
                "-c",
                "cat /sys/fs/cgroup/memory.max; (echo max > /sys/fs/cgroup/memory.max) 2>&1",
            ],
        )
        .ok();
        assert!(out.stdout.starts_with("67108864\n"), "{out:?}");
        assert!(out.stdout.contains("Read-only file system"), "{out:?}");
    }
}

// Pins: --cgroupns=host leaves the container in the host's cgroup namespace (its cgroup's
// real path shows inside); --cgroups=disabled refuses limits; bad modes are refused.
#[test]
fn root_cgroupns_and_cgroups_modes() {
    let Some(env) = root_env() else { return };
    let out = root_burrow(
        &env,
        &[
            "run",
            "--rm",
            "--cgroupns",
            "host",
            "--memory",
            "64m",
            "busybox",
            "cat",
            "/proc/self/cgroup",
        ],
    )
    .ok();
    assert!(out.stdout.contains("/burrow/"), "{out:?}");
    let id = root_burrow(&env, &["create", "--cgroupns", "host", "busybox", "true"]).ok();
    let mode = root_burrow(
        &env,
        &[
            "inspect",
            "--format",
            "{{.HostConfig.CgroupnsMode}}",
            id.stdout.trim(),
        ],
    )
    .ok();
    assert_eq!(mode.stdout.trim(), "host");
    root_burrow(
        &env,
        &[
            "run",
            "--rm",
            "--cgroups",
            "disabled",
            "--memory",
            "64m",
            "busybox",
            "true",
        ],
    )
    .code(125)
    .stderr_has("--cgroups=disabled");
    root_burrow(
        &env,
        &["run", "--rm", "--cgroups", "bogus", "busybox", "true"],
    )
    .code(125)
    .stderr_has("invalid cgroup mode");
    root_burrow(
        &env,
        &["run", "--rm", "--cgroupns", "bogus", "busybox", "true"],
    )
    .code(125)
    .stderr_has("invalid --cgroupns");
    let id = root_burrow(
        &env,
        &[
            "run",
            "-d",
            "--cgroups",
            "disabled",
            "busybox",
            "sleep",
            "60",
        ],
    )
    .ok();
    root_burrow(&env, &["pause", id.stdout.trim()])
        .code(125)
        .stderr_has("--cgroups=disabled");
    root_burrow(&env, &["rm", "-f", "-t", "0", id.stdout.trim()]).ok();
}

// Pins, as the unprivileged user: --cgroupns and --cgroups are stored and shown by inspect,
// bad modes and limits with --cgroups=disabled are refused before anything is created.
#[test]
fn cgroup_mode_flags_rootless() {
    let env = Env::new().with_busybox();
    let id = env
        .burrow(&[
            "create",
            "--cgroupns",
            "host",
            "--cgroups",
            "split",
            "busybox",
            "true",
        ])
        .ok();
    let out = env
        .burrow(&[
            "inspect",
            "--format",
            "{{.HostConfig.CgroupnsMode}} {{.HostConfig.Cgroups}}",
            id.stdout.trim(),
        ])
        .ok();
    assert_eq!(out.stdout.trim(), "host default");
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "cat /proc/self/cgroup",
        ])
        .ok();
    assert!(out.stdout.lines().all(|l| l.ends_with(":/")), "{out:?}");
    env.burrow(&["rm", id.stdout.trim()]).ok();
    env.burrow(&[
        "run",
        "--rm",
        "--cgroups",
        "disabled",
        "--memory",
        "64m",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("--cgroups=disabled");
    env.burrow(&["create", "--cgroups", "bogus", "busybox", "true"])
        .code(125)
        .stderr_has("invalid cgroup mode \"bogus\"");
    env.burrow(&["create", "--cgroupns", "bogus", "busybox", "true"])
        .code(125)
        .stderr_has("invalid --cgroupns \"bogus\"");
    let ps = env.burrow(&["ps", "-aq"]).ok();
    assert!(ps.stdout.is_empty(), "{ps:?}");
}
