//! `attach` to detached containers through the monitor, podman's detach keys, and terminal
//! size forwarding for `-it`.

mod common;

use common::{Env, burrow_bin};

fn bin() -> String {
    burrow_bin().display().to_string()
}

// Pins: attach shows what the shell prints for typed input, and ctrl-p ctrl-q detaches with
// exit 0 while the container keeps running.
#[test]
fn attach_then_detach_keys_leave_container_running() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "-d", "-it", "--name", "sh1", "busybox", "sh"])
        .ok();
    let script = format!(
        "(sleep 1; printf 'echo hi-from-attach\\n'; sleep 1; printf '\\020\\021'; sleep 5) | script -qec '{} attach sh1' /dev/null",
        bin()
    );
    let out = env.sh(&script).ok();
    assert!(out.stdout.contains("hi-from-attach"), "{out:?}");
    let state = env
        .burrow(&["inspect", "-f", "{{.State.Status}}", "sh1"])
        .ok();
    assert_eq!(state.out(), "running");
}

// Pins: when the attached container exits, attach returns the container's exit code.
#[test]
fn attach_returns_exit_code() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "-d", "-it", "--name", "sh2", "busybox", "sh"])
        .ok();
    let script = format!(
        "(sleep 1; printf 'exit 5\\n'; sleep 5) | script -qec '{} attach sh2' /dev/null; echo rc=$?",
        bin()
    );
    let out = env.sh(&script).ok();
    assert!(out.stdout.contains("rc=5"), "{out:?}");
    let code = env
        .burrow(&["inspect", "-f", "{{.State.ExitCode}}", "sh2"])
        .ok();
    assert_eq!(code.out(), "5");
}

// Pins: a detached `-i` container keeps its stdin open for attach; piped input reaches it.
#[test]
fn attach_feeds_stdin_of_interactive_container() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "-d",
        "-i",
        "--name",
        "rd",
        "busybox",
        "sh",
        "-c",
        "read x; echo got:$x; exit 3",
    ])
    .ok();
    let out = env.burrow_stdin(&["attach", "rd"], "hello\n").code(3);
    assert_eq!(out.out(), "got:hello");
}

// Pins: -it forwards the user's terminal size to the container's terminal.
#[test]
fn terminal_size_is_forwarded() {
    let env = Env::new().with_busybox();
    let script = format!(
        "stty rows 31 cols 101; {} run -it --rm busybox stty size",
        bin()
    );
    let out = env
        .output(env.command("script", &["-qec", &script, "/dev/null"]))
        .ok();
    assert!(out.stdout.contains("31 101"), "{out:?}");
}

// Pins: attaching to a stopped container or with malformed detach keys is a 125 error.
#[test]
fn attach_errors() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--name", "done", "busybox", "true"])
        .ok();
    env.burrow(&["attach", "done"])
        .code(125)
        .stderr_has("running");
    env.burrow(&["run", "-d", "--name", "up", "busybox", "sleep", "60"])
        .ok();
    env.burrow(&["attach", "--detach-keys", "ctrl-nope", "up"])
        .code(125)
        .stderr_has("detach keys");
    env.burrow(&["attach", "nosuch"])
        .code(125)
        .stderr_has("no such container");
}
