//! `events`: lifecycle and image events recorded in the event log, read back with filters,
//! formats, time bounds, and followed live as podman does.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Env;

fn recorded(env: &Env, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["events", "--stream=false"];
    args.extend_from_slice(extra);
    env.burrow(&args)
        .ok()
        .lines()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

// Pins: run, stop, rm each record their events in order (create, init, start, died, stop,
// remove), tagged with the container's name.
#[test]
fn container_lifecycle_is_recorded_in_order() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--name", "ev1", "busybox", "true"])
        .ok();
    env.burrow(&["run", "-d", "--name", "ev2", "busybox", "sleep", "100"])
        .ok();
    env.burrow(&["stop", "-t", "0", "ev2"]).ok();
    env.burrow(&["rm", "ev2"]).ok();
    let lines = recorded(&env, &["--format", "{{.Status}} {{.Name}}"]);
    let pos = |want: &str| {
        lines
            .iter()
            .position(|l| l == want)
            .unwrap_or_else(|| panic!("{want} missing from {lines:?}"))
    };
    assert!(pos("create ev1") < pos("init ev1"), "{lines:?}");
    assert!(pos("init ev1") < pos("start ev1"), "{lines:?}");
    assert!(pos("start ev1") < pos("died ev1"), "{lines:?}");
    assert!(pos("start ev2") < pos("stop ev2"), "{lines:?}");
    assert!(pos("stop ev2") < pos("remove ev2"), "{lines:?}");
    assert!(pos("attach ev1") > pos("create ev1"), "{lines:?}");
}

// Pins: --filter event= and container= narrow the output, and the JSON form carries the exit
// code of a died event.
#[test]
fn filters_and_json_output() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--name", "dies3", "busybox", "sh", "-c", "exit 3"])
        .code(3);
    env.burrow(&["run", "--name", "other", "busybox", "true"])
        .ok();
    let lines = recorded(
        &env,
        &[
            "--filter",
            "event=died",
            "--filter",
            "container=dies3",
            "--format",
            "json",
        ],
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    let v: serde_json::Value = serde_json::from_str(&lines[0]).expect("json");
    assert_eq!(v["Status"], "died");
    assert_eq!(v["Name"], "dies3");
    assert_eq!(v["Type"], "container");
    assert_eq!(v["ContainerExitCode"], 3);
    // Values of one key are alternatives.
    let both = recorded(
        &env,
        &[
            "--filter",
            "event=died",
            "--filter",
            "container=dies3",
            "--filter",
            "container=other",
        ],
    );
    assert_eq!(both.len(), 2, "{both:?}");
}

// Pins: tag and untag are image events, selectable with type=image.
#[test]
fn image_tag_and_untag_are_recorded() {
    let env = Env::new().with_busybox();
    env.burrow(&["tag", "busybox", "extra:v1"]).ok();
    env.burrow(&["untag", "busybox", "extra:v1"]).ok();
    let lines = recorded(
        &env,
        &[
            "--filter",
            "type=image",
            "--format",
            "{{.Status}} {{.Name}}",
        ],
    );
    assert!(
        lines.contains(&"tag localhost/extra:v1".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"untag localhost/extra:v1".to_string()),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.starts_with("start")), "{lines:?}");
}

// Pins: --until in the past and --since in the future select nothing; the default human
// line names type, status, id and (image=..., name=...).
#[test]
fn time_bounds_and_human_format() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--name", "tb", "busybox", "true"]).ok();
    assert!(recorded(&env, &["--until", "1h"]).is_empty());
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    assert!(recorded(&env, &["--since", &future]).is_empty());
    let all = recorded(&env, &["--since", "1h"]);
    let start = all
        .iter()
        .find(|l| l.contains(" container start "))
        .expect("a start line");
    assert!(
        start.contains("image=localhost/busybox") && start.contains("name=tb)"),
        "{start}"
    );
}

// Pins: `events` follows by default: a container started after it began shows up live, and
// events from before it started do not.
#[test]
fn events_follow_new_events() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "--name", "before", "busybox", "true"])
        .ok();
    let mut child = env
        .burrow_cmd(&["events", "--format", "{{.Status}} {{.Name}}"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn events");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    env.burrow(&["run", "--name", "after", "busybox", "true"])
        .ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while Instant::now() < deadline && !seen.iter().any(|l: &String| l == "died after") {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(l);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains(&"start after".to_string()), "{seen:?}");
    assert!(!seen.iter().any(|l| l.ends_with(" before")), "{seen:?}");
}

// Pins: an unknown filter key is a one-line error with exit 125.
#[test]
fn bad_filter_is_rejected() {
    let env = Env::new();
    env.burrow(&["events", "--stream=false", "--filter", "colour=red"])
        .code(125)
        .stderr_has("colour is an invalid filter");
}

// Pins: `rm -f -t N` stops a running container gracefully first (its TERM handler runs and it
// exits 0, as the died event records); plain `rm -f` kills it (137).
#[test]
fn rm_force_with_time_stops_gracefully() {
    let env = Env::new().with_busybox();
    let script = "trap 'exit 0' TERM; while true; do sleep 0.1; done";
    for name in ["graceful", "killed"] {
        env.burrow(&["run", "-d", "--name", name, "busybox", "sh", "-c", script])
            .ok();
    }
    // Give the shells a moment to install their trap.
    std::thread::sleep(std::time::Duration::from_millis(500));
    env.burrow(&["rm", "-f", "-t", "10", "graceful"])
        .ok()
        .stdout_has("graceful");
    env.burrow(&["rm", "-f", "killed"]).ok();
    for (name, code) in [("graceful", 0), ("killed", 137)] {
        let lines = recorded(
            &env,
            &[
                "--filter",
                "event=died",
                "--filter",
                &format!("container={name}"),
                "--format",
                "json",
            ],
        );
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
        let v: serde_json::Value = serde_json::from_str(&lines[0]).expect("json");
        assert_eq!(v["ContainerExitCode"], code, "{name}: {v}");
    }
}
