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
    assert_eq!(state(&env, "a1"), "exited");
    assert_eq!(state(&env, "a2"), "exited");
    assert_eq!(state(&env, "b1"), "running");

    let cid = env.path("cid");
    let id = env.burrow(&["inspect", "--format", "{{.Id}}", "b1"]).ok();
    std::fs::write(&cid, id.out()).unwrap();
    env.burrow(&["kill", "--cidfile", cid.to_str().unwrap()])
        .ok();
    assert_eq!(state(&env, "b1"), "exited");

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
