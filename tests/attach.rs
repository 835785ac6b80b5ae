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

// Pins: a foreground `run -it` detaches on ctrl-p ctrl-q (exit 0) and the container keeps
// running with its shell, reachable again through `attach`.
#[test]
fn foreground_run_it_detaches_with_the_detach_keys() {
    let env = Env::new().with_busybox();
    // Typed once the shell runs (a loaded machine may take seconds to start it), then the
    // detach keys once its answer could be shown.
    let script = format!(
        "(until [ \"$({b} inspect -f '{{{{.State.Status}}}}' fg 2>/dev/null)\" = running ]; do sleep 0.1; done; sleep 1; printf 'echo typed-$((6*7))\\n'; sleep 2; printf '\\020\\021'; sleep 3) | script -qec '{b} run -it --name fg busybox sh' /dev/null; echo rc=$?",
        b = bin()
    );
    let out = env.sh(&script).ok();
    assert!(out.stdout.contains("typed-42"), "{out:?}");
    assert!(out.stdout.contains("rc=0"), "{out:?}");
    let state = env
        .burrow(&["inspect", "-f", "{{.State.Status}}", "fg"])
        .ok();
    assert_eq!(state.out(), "running");
    let again = format!(
        "(sleep 1; printf 'exit 3\\n'; sleep 3) | script -qec '{} attach fg' /dev/null; echo rc=$?",
        bin()
    );
    env.sh(&again).ok().stdout_has("rc=3");
}

// Pins: `run -it --rm` returns the container's exit code and the container is gone when it
// returns; `--detach-keys` is checked before anything is created.
#[test]
fn foreground_run_it_rm_exit_code_and_bad_detach_keys() {
    let env = Env::new().with_busybox();
    let script = format!(
        "(sleep 1; printf 'exit 7\\n'; sleep 3) | script -qec '{} run -it --rm busybox sh' /dev/null; echo rc=$?; {} ps -aq | wc -l",
        bin(),
        bin()
    );
    let out = env.sh(&script).ok();
    assert!(out.stdout.contains("rc=7"), "{out:?}");
    assert_eq!(out.lines().last().map(|l| l.trim()), Some("0"), "{out:?}");
    env.burrow(&[
        "run",
        "-it",
        "--detach-keys",
        "ctrl-nope",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("detach keys");
    assert!(env.burrow(&["ps", "-aq"]).ok().stdout.is_empty());
}

// Pins: a container running in the foreground of one terminal can be attached to from
// another, which sees its later output and ends with it.
#[test]
fn foreground_container_accepts_attach_from_another_terminal() {
    let env = Env::new().with_busybox();
    let mut fg = env.burrow_cmd(&[
        "run",
        "--name",
        "fgout",
        "busybox",
        "sh",
        "-c",
        "while [ ! -e /go ]; do sleep 0.1; done; echo late-line; sleep 1",
    ]);
    let mut child = fg
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn the foreground run");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while env
        .burrow(&["inspect", "-f", "{{.State.Status}}", "fgout"])
        .stdout
        .trim()
        != "running"
    {
        assert!(std::time::Instant::now() < deadline, "fgout never ran");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The line is printed only once the attach is under way.
    let mut go = env.burrow_cmd(&["exec", "fgout", "sh", "-c", "sleep 1; touch /go"]);
    let mut go = go.spawn().expect("spawn exec");
    let attached = env.burrow(&["attach", "--no-stdin", "fgout"]).ok();
    assert!(attached.stdout.contains("late-line"), "{attached:?}");
    let _ = go.wait();
    assert!(child.wait().expect("wait").success());
}
