//! Flags of `run`/`create` not covered elsewhere: --stop-timeout, --preserve-fds,
//! --label-file, --annotation, --label in inspect and in ps filters.

mod common;

use std::time::Instant;

use common::{Env, burrow_bin};

// Pins: --stop-timeout is the default grace period of `stop`: a container ignoring SIGTERM is
// killed after it (137), and inspect reports it.
#[test]
fn stop_timeout_is_the_default_grace_period() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "st",
        "--stop-timeout",
        "1",
        "busybox",
        "sleep",
        "100",
    ])
    .ok();
    let t = env
        .burrow(&["inspect", "-f", "{{.Config.StopTimeout}}", "st"])
        .ok();
    assert_eq!(t.out(), "1");
    let started = Instant::now();
    env.burrow(&["stop", "st"]).ok();
    let took = started.elapsed().as_secs_f64();
    assert!(took < 5.0, "stop waited {took}s, not the container's 1 s");
    let code = env
        .burrow(&["inspect", "-f", "{{.State.ExitCode}}", "st"])
        .ok();
    assert_eq!(code.out(), "137");
}

// Pins: --preserve-fds N passes fds 3..3+N into the container; without it they are closed.
#[test]
fn preserve_fds_passes_extra_descriptors() {
    let env = Env::new().with_busybox();
    let marker = env.path("marker");
    std::fs::write(&marker, "passed-through\n").expect("write marker");
    let script = |extra: &str| {
        format!(
            "exec 3<{}; {} run --rm {extra} busybox sh -c 'cat <&3 || echo no-fd-3'",
            marker.display(),
            burrow_bin().display()
        )
    };
    let with = env.sh(&script("--preserve-fds 1")).ok();
    assert_eq!(with.out(), "passed-through");
    let without = env.sh(&script("")).ok();
    assert!(without.stdout.contains("no-fd-3"), "{without:?}");
}

// Pins: labels from --label-file and -l, and --annotation, show in inspect and ps filters.
#[test]
fn labels_and_annotations_recorded() {
    let env = Env::new().with_busybox();
    let file = env.path("labels");
    std::fs::write(&file, "# a comment\ntier=back\nowner=ops\n").expect("write label file");
    let file = file.display().to_string();
    env.burrow(&[
        "create",
        "--name",
        "lab",
        "--label-file",
        &file,
        "-l",
        "tier=front",
        "--annotation",
        "note=x",
        "busybox",
        "true",
    ])
    .ok();
    let labels = env
        .burrow(&["inspect", "-f", "{{json .Config.Labels}}", "lab"])
        .ok();
    assert_eq!(
        labels.out(),
        r#"{"owner":"ops","tier":"front"}"#,
        "-l overrides the file"
    );
    let ann = env
        .burrow(&["inspect", "-f", "{{.Config.Annotations.note}}", "lab"])
        .ok();
    assert_eq!(ann.out(), "x");
    let ps = env
        .burrow(&[
            "ps",
            "-a",
            "--filter",
            "label=owner=ops",
            "--format",
            "{{.Names}}",
        ])
        .ok();
    assert_eq!(ps.out(), "lab");
    env.burrow(&[
        "create",
        "--label-file",
        "/nonexistent/labels",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("/nonexistent/labels");
}
