//! `auto-update` under a real systemd (tests/tools/systemd-machine): a container run by a
//! user unit is recreated from the newer image its registry holds, and a broken image is
//! rolled back. The registry runs on the host: machines share the host's network (nspawn
//! without --private-network), so 127.0.0.1:PORT reaches it from inside.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/machine.rs"]
mod machine;
#[path = "common/registry.rs"]
mod registry;

use common::{BUSYBOX, Env};
use machine::{Machine, machine_bin};
use registry::Registry;

const TLS_OFF: &str = "--tls-verify=false";

/// `name`'s image id in `env` on the host.
fn image_id(env: &Env, name: &str) -> String {
    env.burrow(&["image", "inspect", "--format", "{{.Id}}", name])
        .ok()
        .out()
        .to_string()
}

/// Commits busybox plus `file` (and `change`, a Containerfile line, if any) as `name`, pushes
/// it to `dest` and returns its id.
fn publish(env: &Env, name: &str, file: &str, change: Option<&str>, dest: &str) -> String {
    let box_name = format!("mk{}", file.replace('/', "-"));
    env.burrow(&["run", "--name", &box_name, BUSYBOX, "touch", file])
        .ok();
    let mut args = vec!["commit", "-q"];
    if let Some(c) = change {
        args.extend_from_slice(&["-c", c]);
    }
    args.extend_from_slice(&[&box_name, name]);
    env.burrow(&args).ok();
    env.burrow(&["rm", &box_name]).ok();
    env.burrow(&["push", TLS_OFF, name, dest]).ok();
    image_id(env, name)
}

/// Writes `text` as the user unit `/etc/systemd/user/NAME` inside the machine (its overlay,
/// not the host's /etc, nor the shared home other tests use) and reloads the manager.
fn install_user_unit(m: &Machine, env: &Env, name: &str, text: &str) {
    let path = format!("/etc/systemd/user/{name}");
    m.root(
        env,
        &[
            "sh",
            "-c",
            "mkdir -p /etc/systemd/user && printf '%s\\n' \"$2\" > \"$1\"",
            "sh",
            &path,
            text,
        ],
    )
    .ok();
    m.systemctl(env, &["daemon-reload"]).ok();
}

// Pins: the whole cycle podman's auto-update documents: newer image pulled, unit restarted,
// container recreated from it; a broken image whose unit cannot start is rolled back and the
// unit runs again on the previous image.
#[test]
fn auto_update_restarts_the_unit_on_a_newer_image_and_rolls_back_a_broken_one() {
    let reg = Registry::start();
    let publisher = Env::new().with_busybox();
    let name = reg.image("svc/web:latest");
    publisher.burrow(&["push", TLS_OFF, BUSYBOX, &name]).ok();

    let m = Machine::boot();
    let env = m.env();
    m.burrow(&env, &["pull", "-q", TLS_OFF, &name]).ok();
    let v1 = m
        .burrow(&env, &["image", "inspect", "--format", "{{.Id}}", &name])
        .ok()
        .out()
        .to_string();

    // The `--new` shape of a generated unit: the unit creates the container (`run --replace`)
    // and removes it. oneshot + RemainAfterExit: `run -d` returns once the container runs,
    // so the unit's start result is the container's (Type=notify units come with
    // `generate systemd`); the monitor stays in the unit's cgroup.
    let bin = machine_bin().display().to_string();
    let unit = format!(
        "[Unit]\nDescription=web container\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\n\
         ExecStart={bin} run --replace --name web -e PODMAN_SYSTEMD_UNIT=%n \
         --label io.containers.autoupdate=registry -d {name} sleep 100000\n\
         ExecStop={bin} rm -f -t 1 --ignore web\n"
    );
    install_user_unit(&m, &env, "web.service", &unit);
    let started = m.systemctl(&env, &["start", "web.service"]);
    assert!(started.status == 0, "{started:?}\n{}", m.journal(&env));
    let running_image = || {
        m.burrow(&env, &["inspect", "--format", "{{.Image}}", "web"])
            .ok()
            .out()
            .to_string()
    };
    assert_eq!(running_image(), v1);

    // Nothing newer yet.
    let fmt = "{{.Unit}} {{.ContainerName}} {{.Policy}} {{.Updated}}";
    m.burrow(&env, &["auto-update", TLS_OFF, "--format", fmt])
        .ok()
        .stdout_has("web.service web registry false");

    // A newer image under the same tag: pulled, the unit restarted, the container recreated.
    let v2 = publish(&publisher, "localhost/web:2", "/v2", None, &name);
    assert_ne!(v2, v1);
    let out = m.burrow(&env, &["auto-update", TLS_OFF, "--format", fmt]);
    assert!(out.status == 0, "{out:?}\n{}", m.journal(&env));
    assert_eq!(out.stdout, "web.service web registry true\n");
    assert_eq!(running_image(), v2);
    m.systemctl(&env, &["is-active", "web.service"])
        .ok()
        .stdout_has("active");

    // A broken image (its entrypoint does not exist): the restarted unit fails to start, the
    // previous image gets the name back and the unit runs again.
    let v3 = publish(
        &publisher,
        "localhost/web:3",
        "/v3",
        Some("ENTRYPOINT [\"/no/such/binary\"]"),
        &name,
    );
    let out = m.burrow(&env, &["auto-update", TLS_OFF, "--format", fmt]);
    assert!(out.status == 0, "{out:?}\n{}", m.journal(&env));
    assert_eq!(out.stdout, "web.service web registry rolled back\n");
    assert_eq!(running_image(), v2);
    m.systemctl(&env, &["is-active", "web.service"])
        .ok()
        .stdout_has("active");
    let tagged = m
        .burrow(&env, &["image", "inspect", "--format", "{{.Id}}", &name])
        .ok()
        .out()
        .to_string();
    assert_eq!(tagged, v2);
    // The broken image is still there, nameless, for `image prune` (the unit's ExecStartPost).
    m.burrow(&env, &["image", "inspect", "--format", "{{.Id}}", &v3])
        .ok();

    // --rollback=false: the failure stands and is an error.
    let out = m.burrow(
        &env,
        &["auto-update", TLS_OFF, "--rollback=false", "--format", fmt],
    );
    assert_eq!(out.status, 125, "{out:?}");
    assert_eq!(out.stdout, "web.service web registry failed\n");
    assert!(
        out.stderr.contains("restarting unit \"web.service\""),
        "{out:?}"
    );
}

// The shipped units pass `systemd-analyze verify` under a user manager (with the binary's
// path put in, as scripts/install does).
#[test]
fn shipped_auto_update_units_verify() {
    let m = Machine::boot();
    let env = m.env();
    let bin = machine_bin().display().to_string();
    let dir = env.path("units");
    std::fs::create_dir_all(&dir).expect("units dir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd/user");
    for unit in ["burrow-auto-update.service", "burrow-auto-update.timer"] {
        let text = std::fs::read_to_string(src.join(unit)).expect("read unit");
        std::fs::write(dir.join(unit), text.replace("@@BINDIR@@/burrow", &bin))
            .expect("write unit");
    }
    let out = m.user_plain(
        &env,
        "systemd-analyze",
        &[
            "--user",
            "verify",
            "--man=no",
            &dir.join("burrow-auto-update.service").display().to_string(),
            &dir.join("burrow-auto-update.timer").display().to_string(),
        ],
    );
    assert!(out.status == 0 && out.stderr.trim().is_empty(), "{out:?}");
}
