//! End-to-end tests of `auto-update` that need no systemd: what `--dry-run` reports against
//! the real local registry (tests/common/registry.rs), the output formats, and the errors for
//! containers that cannot be auto-updated. The restarts and rollbacks run under a real
//! systemd in tests/auto_update_systemd.rs.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/registry.rs"]
mod registry;

use common::{BUSYBOX, Env};
use registry::Registry;

const TLS_OFF: &str = "--tls-verify=false";
const LABEL_REGISTRY: &str = "io.containers.autoupdate=registry";

/// Pushes `image` of `env` to `dest`.
fn push(env: &Env, image: &str, dest: &str) {
    env.burrow(&["push", TLS_OFF, image, dest]).ok();
}

/// A new image in `env`, busybox plus one file, named `name`.
fn changed_image(env: &Env, name: &str, file: &str) {
    let box_name = format!("mk-{}", file.trim_start_matches('/').replace('/', "-"));
    env.burrow(&["run", "--name", &box_name, BUSYBOX, "touch", file])
        .ok();
    env.burrow(&["commit", "-q", &box_name, name]).ok();
    env.burrow(&["rm", &box_name]).ok();
}

/// `auto-update --dry-run` with one line per container.
fn dry_run(env: &Env) -> Vec<String> {
    let out = env
        .burrow(&[
            "auto-update",
            "--dry-run",
            TLS_OFF,
            "--format",
            "{{.Unit}} {{.ContainerName}} {{.Image}} {{.Policy}} {{.Updated}}",
        ])
        .ok();
    out.lines().iter().map(|l| l.to_string()).collect()
}

// A registry container is `false` while the registry holds its image, `pending` once a newer
// one is pushed to its tag; a dry run changes nothing; unlabelled containers are not listed.
#[test]
fn dry_run_reports_a_newer_registry_image_as_pending() {
    let reg = Registry::start();
    let publisher = Env::new().with_busybox();
    let name = reg.image("team/app:latest");
    push(&publisher, BUSYBOX, &name);

    // The host pulls the image fresh, so its manifest is the registry's.
    let host = Env::new();
    host.burrow(&["pull", "-q", TLS_OFF, &name]).ok();
    let old_id = host
        .burrow(&["image", "inspect", "--format", "{{.Id}}", &name])
        .ok()
        .out()
        .to_string();
    host.burrow(&[
        "run",
        "-d",
        "--name",
        "web",
        "-e",
        "PODMAN_SYSTEMD_UNIT=web.service",
        "--label",
        LABEL_REGISTRY,
        &name,
        "sleep",
        "1000",
    ])
    .ok();
    host.burrow(&["run", "-d", "--name", "plain", &name, "sleep", "1000"])
        .ok();

    let line = |updated: &str| format!("web.service web {name} registry {updated}");
    assert_eq!(dry_run(&host), vec![line("false")]);

    changed_image(&publisher, "localhost/app:2", "/v2");
    push(&publisher, "localhost/app:2", &name);
    assert_eq!(dry_run(&host), vec![line("pending")]);
    // Twice: nothing was pulled or restarted.
    assert_eq!(dry_run(&host), vec![line("pending")]);
    host.burrow(&["image", "inspect", "--format", "{{.Id}}", &name])
        .ok()
        .stdout_has(&old_id);
    host.burrow(&["inspect", "--format", "{{.State.Status}}", "web"])
        .ok()
        .stdout_has("running");

    // podman's default table.
    let out = host.burrow(&["auto-update", "--dry-run", TLS_OFF]).ok();
    let lines = out.lines();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["UNIT", "CONTAINER", "IMAGE", "POLICY", "UPDATED"]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].starts_with("web.service"), "{lines:?}");
    assert!(lines[1].contains("(web)"), "{lines:?}");
    assert!(lines[1].trim_end().ends_with("pending"), "{lines:?}");

    // JSON carries every field podman has.
    let out = host
        .burrow(&["auto-update", "--dry-run", TLS_OFF, "--format", "json"])
        .ok();
    let v: serde_json::Value = serde_json::from_str(out.out()).expect("json");
    let row = &v[0];
    for key in [
        "Unit",
        "Container",
        "ContainerName",
        "ContainerID",
        "Image",
        "Policy",
        "Updated",
    ] {
        assert!(row.get(key).is_some(), "{key} missing in {row}");
    }
    assert_eq!(row["Updated"], "pending");
}

// `local`: pending once another image holds the container's image name; `image` is read as
// `registry`'s old name.
#[test]
fn dry_run_compares_local_images_by_name() {
    let env = Env::new().with_busybox();
    env.burrow(&["tag", BUSYBOX, "localhost/mine:1"]).ok();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "loc",
        "-e",
        "PODMAN_SYSTEMD_UNIT=loc.service",
        "--label",
        "io.containers.autoupdate=local",
        "localhost/mine:1",
        "sleep",
        "1000",
    ])
    .ok();
    assert_eq!(
        dry_run(&env),
        vec!["loc.service loc localhost/mine:1 local false"]
    );
    changed_image(&env, "localhost/mine:1", "/v2");
    assert_eq!(
        dry_run(&env),
        vec!["loc.service loc localhost/mine:1 local pending"]
    );
}

// A policy that does not exist, a short name under `registry`, and a container without its
// unit are each one clear error (exit 125); the other containers are still reported.
#[test]
fn containers_that_cannot_be_updated_are_clear_errors() {
    let env = Env::new().with_busybox();
    env.burrow(&["tag", BUSYBOX, "busybox"]).ok();
    let run = |name: &str, args: &[&str]| {
        let mut all = vec!["run", "-d", "--name", name];
        all.extend_from_slice(args);
        all.extend_from_slice(&["sleep", "1000"]);
        env.burrow(&all).ok();
    };
    run(
        "bad-label",
        &[
            "-e",
            "PODMAN_SYSTEMD_UNIT=a.service",
            "--label",
            "io.containers.autoupdate=nightly",
            BUSYBOX,
        ],
    );
    run(
        "short",
        &[
            "-e",
            "PODMAN_SYSTEMD_UNIT=b.service",
            "--label",
            LABEL_REGISTRY,
            "busybox",
        ],
    );
    run("no-unit", &["--label", LABEL_REGISTRY, BUSYBOX]);
    run(
        "fine",
        &[
            "-e",
            "PODMAN_SYSTEMD_UNIT=d.service",
            "--label",
            "io.containers.autoupdate=local",
            BUSYBOX,
        ],
    );
    run(
        "disabled",
        &["--label", "io.containers.autoupdate=disabled", BUSYBOX],
    );
    let out = env
        .burrow(&[
            "auto-update",
            "--dry-run",
            "--format",
            "{{.ContainerName}} {{.Updated}}",
        ])
        .code(125);
    assert_eq!(out.stdout, "fine false\n");
    let out = out
        .stderr_has("auto-updating container \"bad-label\": invalid auto-update policy \"nightly\"")
        .stderr_has("image \"busybox\" cannot be checked")
        .stderr_has("fully-qualified")
        .stderr_has("auto-updating container \"no-unit\": no PODMAN_SYSTEMD_UNIT");
    let errors = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("Error: "))
        .count();
    assert_eq!(errors, 3, "{}", out.stderr);
}

// Nothing labelled: no output at all, exit 0 (as podman).
#[test]
fn nothing_to_update_prints_nothing() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "-d", "--name", "x", BUSYBOX, "sleep", "1000"])
        .ok();
    let out = env.burrow(&["auto-update"]).ok();
    assert_eq!(out.stdout, "");
    env.burrow(&["auto-update", "--rollback=false", "--dry-run"])
        .ok();
    env.burrow(&["auto-update", "--rollback=maybe"]).code(125);
}
