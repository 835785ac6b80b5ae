//! End-to-end tests of restart policies in the foreground (the CLI supervises and restarts
//! the container, as conmon does for an attached podman container), and of what the restart
//! unit runs: `start --all --filter`, `ps --filter restart-policy=`.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use common::{BUSYBOX, Env};

/// `inspect -f FORMAT NAME`, trimmed.
#[track_caller]
fn inspect_field(env: &Env, name: &str, format: &str) -> String {
    env.burrow(&["inspect", "-f", format, name])
        .ok()
        .stdout
        .trim()
        .to_string()
}

/// The names `ps` lists with `args`, sorted.
#[track_caller]
fn names(env: &Env, args: &[&str]) -> Vec<String> {
    let mut all = vec!["ps", "--format", "{{.Names}}"];
    all.extend_from_slice(args);
    let mut n: Vec<String> = env
        .burrow(&all)
        .ok()
        .stdout
        .lines()
        .map(str::to_string)
        .collect();
    n.sort();
    n
}

// Pins: a foreground `--restart on-failure:2` run prints every run's output and ends with the
// last run's exit code, RestartCount 2.
#[test]
fn foreground_on_failure_restarts_with_output_on_the_terminal() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--name",
            "flaky",
            "--restart",
            "on-failure:2",
            BUSYBOX,
            "sh",
            "-c",
            "echo x; exit 3",
        ])
        .code(3);
    assert_eq!(out.stdout, "x\nx\nx\n");
    assert_eq!(
        inspect_field(&env, "flaky", "{{.RestartCount}} {{.State.Status}}"),
        "2 exited"
    );
    assert_eq!(env.burrow(&["logs", "flaky"]).ok().stdout, "x\nx\nx\n");
}

// Pins: a foreground `--restart always` run goes on until the CLI gets SIGTERM; then it stops
// for good, as stopped by the user.
#[test]
fn foreground_always_restarts_until_the_cli_is_terminated() {
    let env = Env::new().with_busybox();
    let mut child = env
        .burrow_cmd(&[
            "run",
            "--name",
            "loop",
            "--restart",
            "always",
            BUSYBOX,
            "sh",
            "-c",
            "echo x; sleep 0.3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn burrow run");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // The container may not exist yet right after the spawn.
        let out = env.burrow(&["inspect", "-f", "{{.RestartCount}}", "loop"]);
        let n: u32 = out.stdout.trim().parse().unwrap_or(0);
        if n >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no second restart");
        thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for burrow run") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("burrow run still restarting 20 s after SIGTERM");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut stdout);
    }
    assert!(stdout.matches("x\n").count() >= 3, "{stdout:?} {status:?}");
    assert_eq!(inspect_field(&env, "loop", "{{.State.Status}}"), "exited");
    let count = inspect_field(&env, "loop", "{{.RestartCount}}");
    thread::sleep(Duration::from_millis(800));
    assert_eq!(inspect_field(&env, "loop", "{{.State.Status}}"), "exited");
    assert_eq!(inspect_field(&env, "loop", "{{.RestartCount}}"), count);
    assert_eq!(env.burrow(&["ps", "-q"]).ok().stdout, "");
}

/// Three exited containers: `always`, `no` (none given) and `unless-stopped`.
fn three_policies(env: &Env) {
    for (name, policy) in [("a", "always"), ("u", "unless-stopped")] {
        env.burrow(&[
            "create",
            "--name",
            name,
            "--restart",
            policy,
            BUSYBOX,
            "sleep",
            "1000",
        ])
        .ok();
    }
    env.burrow(&["create", "--name", "n", BUSYBOX, "sleep", "1000"])
        .ok();
}

// Pins: `ps --filter restart-policy=` keeps the containers with that policy; repeated values
// pass on any one (podman's rule for a repeated key); `none` is no policy; a bad value is
// refused.
#[test]
fn ps_filters_on_the_restart_policy() {
    let env = Env::new().with_busybox();
    three_policies(&env);
    assert_eq!(
        names(&env, &["-a", "--filter", "restart-policy=always"]),
        ["a"]
    );
    assert_eq!(
        names(
            &env,
            &[
                "-a",
                "--filter",
                "restart-policy=always",
                "--filter",
                "restart-policy=unless-stopped"
            ]
        ),
        ["a", "u"]
    );
    assert_eq!(
        names(&env, &["-a", "--filter", "restart-policy=none"]),
        ["n"]
    );
    assert_eq!(
        names(&env, &["-a", "--filter", "should-start-on-boot=true"]),
        ["a", "u"]
    );
    env.burrow(&["ps", "-a", "--filter", "restart-policy=sometimes"])
        .code(125)
        .stderr_has("invalid restart policy filter \"sometimes\"");
}

// Pins: `start --all --filter restart-policy=always` starts only those; `stop --all --filter`
// stops only those; an `unless-stopped` container the user stopped is no longer one to start
// at boot, and `--not-stopped-by-user` leaves it one.
#[test]
fn start_and_stop_all_with_filters() {
    let env = Env::new().with_busybox();
    three_policies(&env);
    let out = env
        .burrow(&["start", "--all", "--filter", "restart-policy=always"])
        .ok();
    let id = inspect_field(&env, "a", "{{.Id}}");
    assert_eq!(out.stdout, format!("{id}\n"));
    assert_eq!(names(&env, &[]), ["a"]);
    env.burrow(&["start", "--all"]).ok();
    assert_eq!(names(&env, &[]), ["a", "n", "u"]);
    env.burrow(&[
        "stop",
        "-t",
        "0",
        "--all",
        "--filter",
        "restart-policy=none",
    ])
    .ok();
    assert_eq!(names(&env, &[]), ["a", "u"]);
    env.burrow(&["stop", "-t", "0", "u"]).ok();
    assert_eq!(
        names(&env, &["-a", "--filter", "should-start-on-boot=true"]),
        ["a"]
    );
    env.burrow(&["start", "u"]).ok();
    env.burrow(&[
        "stop",
        "-t",
        "0",
        "--all",
        "--filter",
        "should-start-on-boot=true",
        "--not-stopped-by-user",
    ])
    .ok();
    assert_eq!(names(&env, &[]), Vec::<String>::new());
    // Still to start at boot, and not restarted by its monitor meanwhile.
    thread::sleep(Duration::from_millis(500));
    assert_eq!(names(&env, &[]), Vec::<String>::new());
    assert_eq!(
        names(&env, &["-a", "--filter", "should-start-on-boot=true"]),
        ["a", "u"]
    );
    env.burrow(&["start", "--all", "n"])
        .code(125)
        .stderr_has("cannot be used with");
}
