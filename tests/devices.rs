//! End-to-end tests of `--device`, `--gpus` and CDI (Container Device Interface) specs:
//! device nodes bound from the host, a spec's environment, mounts and hooks, `cdi list` and
//! `cdi generate`, run as the unprivileged test user with specs in a test directory.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::Env;

fn open_dir(p: &Path) {
    fs::create_dir_all(p).expect("mkdir");
    fs::set_permissions(p, fs::Permissions::from_mode(0o777)).expect("chmod");
}

/// A spec directory holding `example.com/test=dev0`: /dev/null as /dev/vendor0, an
/// environment variable, a file mounted at /mnt/cdifile, and two hooks that leave traces.
fn spec_dir(env: &Env) -> (PathBuf, PathBuf) {
    let dir = env.path("cdi");
    let out = env.path("hook-out");
    open_dir(&dir);
    open_dir(&out);
    let file = env.path("cdifile");
    fs::write(&file, "from the host\n").expect("write cdifile");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
    let spec = format!(
        r#"cdiVersion: "0.6.0"
kind: "example.com/test"
containerEdits:
  env: ["COMMON=yes"]
devices:
  - name: dev0
    containerEdits:
      deviceNodes:
        - path: /dev/vendor0
          hostPath: /dev/null
      env: ["X=hello"]
      mounts:
        - hostPath: {file}
          containerPath: /mnt/cdifile
          options: ["ro", "bind"]
      hooks:
        - hookName: createContainer
          path: /bin/sh
          args: ["sh", "-c", "cat > {out}/state.json"]
        - hookName: startContainer
          path: /bin/sh
          args: ["sh", "-c", "echo started > /tmp/started"]
"#,
        file = file.display(),
        out = out.display()
    );
    fs::write(dir.join("test.yaml"), spec).expect("write spec");
    (dir, out)
}

// Pins: a CDI device's node, environment, mount and hooks reach the container.
#[test]
fn cdi_device_brings_its_nodes_env_mounts_and_hooks() {
    let env = Env::new().with_busybox();
    let (dir, out) = spec_dir(&env);
    let dir = dir.display().to_string();
    env.burrow(&["--cdi-spec-dir", &dir, "cdi", "list"])
        .ok()
        .stdout_has("example.com/test=dev0");
    let run = env
        .burrow(&[
            "--cdi-spec-dir",
            &dir,
            "run",
            "--name",
            "withdev",
            "--device",
            "example.com/test=dev0",
            "busybox",
            "sh",
            "-c",
            "test -c /dev/vendor0 && echo node; echo x > /dev/vendor0 && echo writable; \
             echo $X $COMMON; cat /mnt/cdifile; cat /tmp/started",
        ])
        .ok();
    assert_eq!(
        run.stdout, "node\nwritable\nhello yes\nfrom the host\nstarted\n",
        "{run:?}"
    );
    let state = fs::read_to_string(out.join("state.json")).expect("the createContainer hook ran");
    let state: serde_json::Value = serde_json::from_str(&state).expect("state is JSON");
    assert!(state["pid"].as_u64().is_some_and(|p| p > 1), "{state}");
    let id = env
        .burrow(&["inspect", "--format", "{{.Id}}", "withdev"])
        .ok();
    assert_eq!(state["id"].as_str(), Some(id.stdout.trim()));
    let devs = env
        .burrow(&[
            "inspect",
            "--format",
            "{{json .HostConfig.Devices}}",
            "withdev",
        ])
        .ok();
    let devs: serde_json::Value = serde_json::from_str(&devs.stdout).expect("JSON");
    assert_eq!(devs[0]["PathOnHost"], "/dev/null");
    assert_eq!(devs[0]["PathInContainer"], "/dev/vendor0");
}

// Pins: an unknown CDI device, or --gpus without any spec, fails before anything is made
// and says what exists or how to make a spec.
#[test]
fn unresolvable_devices_fail_clearly_and_create_nothing() {
    let env = Env::new().with_busybox();
    let (dir, _) = spec_dir(&env);
    let dir = dir.display().to_string();
    env.burrow(&[
        "--cdi-spec-dir",
        &dir,
        "run",
        "--device",
        "example.com/test=nope",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("Error: unresolvable CDI devices example.com/test=nope: known devices are example.com/test=dev0");
    let empty = env.path("no-specs");
    open_dir(&empty);
    env.burrow(&[
        "--cdi-spec-dir",
        &empty.display().to_string(),
        "run",
        "--gpus",
        "all",
        "busybox",
        "true",
    ])
    .code(125)
    .stderr_has("burrow cdi generate");
    env.burrow(&["run", "--device", "/dev/no-such-device", "busybox", "true"])
        .code(125)
        .stderr_has("/dev/no-such-device");
    let ps = env.burrow(&["ps", "-aq"]).ok();
    assert!(ps.stdout.is_empty(), "{ps:?}");
}

// Pins: a host device by path, under another name in the container.
#[test]
fn host_device_by_path() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--device",
            "/dev/null:/dev/mynull",
            "busybox",
            "sh",
            "-c",
            "test -c /dev/mynull && echo ok",
        ])
        .ok();
    assert_eq!(out.stdout, "ok\n");
}

// Pins: `cdi generate` writes a spec for the NVIDIA nodes it finds (here a fake /dev tree),
// one device per GPU and `all`, and `--gpus all` then gives the container those nodes.
#[test]
fn cdi_generate_makes_a_spec_that_gpus_all_uses() {
    let env = Env::new().with_busybox();
    let root = env.path("fakeroot");
    open_dir(&root.join("dev"));
    for n in ["nvidia0", "nvidia1", "nvidiactl"] {
        let p = root.join("dev").join(n);
        fs::write(&p, "").expect("fake node");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o666)).expect("chmod");
    }
    let specs = env.path("generated");
    open_dir(&specs);
    let spec = specs.join("nvidia.json");
    env.burrow(&[
        "cdi",
        "generate",
        "--dev-root",
        &root.display().to_string(),
        "--output",
        &spec.display().to_string(),
    ])
    .ok()
    .stderr_has("2 GPU(s)");
    let dir = specs.display().to_string();
    let list = env.burrow(&["--cdi-spec-dir", &dir, "cdi", "list"]).ok();
    assert_eq!(
        list.stdout,
        "nvidia.com/gpu=0\nnvidia.com/gpu=1\nnvidia.com/gpu=all\n"
    );
    let out = env
        .burrow(&[
            "--cdi-spec-dir",
            &dir,
            "run",
            "--rm",
            "--gpus",
            "all",
            "busybox",
            "sh",
            "-c",
            "ls /dev/nvidia0 /dev/nvidia1 /dev/nvidiactl",
        ])
        .ok();
    assert_eq!(out.stdout, "/dev/nvidia0\n/dev/nvidia1\n/dev/nvidiactl\n");
    // Without any GPU: a clear error, no file.
    let none = env.path("nogpu");
    open_dir(&none.join("dev"));
    env.burrow(&["cdi", "generate", "--dev-root", &none.display().to_string()])
        .code(125)
        .stderr_has("no NVIDIA GPU device nodes");
}

// Pins: a spec file that does not parse is named in one Error line, exit 125, nothing made.
#[test]
fn malformed_cdi_spec_is_named_and_nothing_is_created() {
    let env = Env::new().with_busybox();
    let dir = env.path("bad-cdi");
    open_dir(&dir);
    fs::write(dir.join("broken.yaml"), "cdiVersion: 0.6.0\nkind: [oops\n").expect("write spec");
    let d = dir.display().to_string();
    let out = env
        .burrow(&[
            "--cdi-spec-dir",
            &d,
            "run",
            "--gpus",
            "all",
            "busybox",
            "true",
        ])
        .code(125)
        .stderr_has("broken.yaml");
    assert_eq!(out.stderr.trim().lines().count(), 1, "{out:?}");
    env.burrow(&["--cdi-spec-dir", &d, "cdi", "list"])
        .code(125)
        .stderr_has("broken.yaml");
    let ps = env.burrow(&["ps", "-aq"]).ok();
    assert!(ps.stdout.is_empty(), "{ps:?}");
}
