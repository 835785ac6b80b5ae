//! Images through the Docker API socket with the real docker CLI as the test user: push to
//! and pull from Debian's docker-registry (insecure through burrow's registries.conf), tag,
//! and a `docker save | docker load` round trip.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/registry.rs"]
mod registry;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use common::Env;
use registry::Registry;

/// A running service on a socket in the Env's runtime dir; killed when dropped.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `burrow system service` (a readable copy of burrow-api) and points DOCKER_HOST at it.
fn start(env: &mut Env) -> Service {
    let src = PathBuf::from(env!("CARGO_BIN_EXE_burrow")).with_file_name("burrow-api");
    assert!(
        src.is_file(),
        "{} missing: cargo build -p burrow-api",
        src.display()
    );
    let bin = env.base().join("burrow-api");
    fs::copy(&src, &bin).expect("copy burrow-api");
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).expect("chmod burrow-api");
    env.set_env("BURROW_API_BIN", &bin.display().to_string());
    let sock = env.runtime_dir().join("api.sock");
    let uri = format!("unix://{}", sock.display());
    let child = env
        .burrow_cmd(&["system", "service", "--time", "0", &uri])
        .spawn()
        .expect("start the service");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sock.exists(), "service did not create {}", sock.display());
    env.set_env("DOCKER_HOST", &uri);
    Service(child)
}

fn docker(env: &Env, args: &[&str]) -> common::Output {
    env.output(env.command("docker", args))
}

// Pins: docker tag + push to a plain-HTTP registry marked insecure in registries.conf, rmi,
// pull back (runs), and save | load restoring a removed image under its tag.
#[test]
fn docker_cli_pushes_pulls_saves_and_loads_through_the_socket() {
    let reg = Registry::start();
    let mut env = Env::new().with_busybox();
    let conf = env.path("registries.conf");
    fs::write(
        &conf,
        format!(
            "[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
            reg.host()
        ),
    )
    .expect("write registries.conf");
    fs::set_permissions(&conf, fs::Permissions::from_mode(0o644)).expect("chmod");
    env.set_env("CONTAINERS_REGISTRIES_CONF", &conf.display().to_string());
    let _svc = start(&mut env);

    let remote = reg.image("apitest/bb:1");
    docker(&env, &["tag", "busybox", &remote]).ok();
    docker(&env, &["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok()
        .stdout_has(&remote);
    docker(&env, &["push", &remote]).ok();
    assert_eq!(reg.tags("apitest/bb"), vec!["1".to_string()]);

    docker(&env, &["rmi", &remote]).ok();
    let before = reg.count("GET", "/v2/apitest/bb/manifests/1");
    docker(&env, &["pull", &remote]).ok().stdout_has(&remote);
    assert!(
        reg.count("GET", "/v2/apitest/bb/manifests/1") > before,
        "the pull did not reach the registry: {:?}",
        reg.accesses()
    );
    let out = docker(&env, &["run", "--rm", &remote, "echo", "pulled"]).ok();
    assert_eq!(out.stdout, "pulled\n");

    let tar = env.home().join("saved.tar");
    let tar = tar.display().to_string();
    docker(&env, &["save", "-o", &tar, &remote]).ok();
    docker(&env, &["rmi", &remote]).ok();
    let out = env.output(env.command(
        "sh",
        &[
            "-c",
            &format!("docker save busybox | docker load && docker load -i {tar}"),
        ],
    ));
    assert!(out.status == 0, "{out:?}");
    assert!(out.stdout.contains("Loaded image"), "{out:?}");
    let out = docker(&env, &["run", "--rm", &remote, "echo", "loaded"]).ok();
    assert_eq!(out.stdout, "loaded\n");
}
