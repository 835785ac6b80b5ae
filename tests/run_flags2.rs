//! More podman `run`/`create` flags, end to end: container dependencies, pull retries, the
//! image's volumes, the init binary, seccomp from the image, cgroup placement and which streams
//! a foreground run connects. Each checks what a user would notice, and a bad value gives one
//! `Error:` line and exit 125 with nothing created. Every command runs the real binary as the
//! test user.

mod common;

use common::{Env, busybox_tar};

fn state(env: &Env, name: &str) -> String {
    env.burrow(&["inspect", "--format", "{{.State.Status}}", name])
        .ok()
        .out()
        .to_string()
}

// Pins: --requires starts the required containers (and theirs) first, inspect lists them in
// Dependencies, a required container cannot be removed while its dependent exists, and an
// unknown one is refused at create.
#[test]
fn requires_starts_dependencies_first_and_guards_their_removal() {
    let env = Env::new().with_busybox();
    let db = env
        .burrow(&["create", "--name", "db", "busybox", "sleep", "300"])
        .ok()
        .out()
        .to_string();
    let cache = env
        .burrow(&[
            "create",
            "--name",
            "cache",
            "--requires",
            "db",
            "busybox",
            "sleep",
            "300",
        ])
        .ok()
        .out()
        .to_string();
    env.burrow(&[
        "create",
        "--name",
        "app",
        "--requires",
        "cache,db",
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    assert_eq!(
        env.inspect_one("app")["Dependencies"],
        serde_json::json!([cache, db])
    );
    assert_eq!(env.inspect_one("db")["Dependencies"], serde_json::json!([]));

    env.burrow(&["start", "app"]).ok();
    for name in ["db", "cache", "app"] {
        assert_eq!(state(&env, name), "running", "{name} was not started");
    }

    let out = env.burrow(&["rm", "-f", "db"]).code(125);
    assert!(
        out.stderr
            .contains("has dependent containers which must be removed before it")
            && out.stderr.contains(&cache),
        "{out:?}"
    );
    assert_eq!(
        state(&env, "db"),
        "running",
        "a refused rm stopped the container"
    );
    env.burrow(&["rm", "-f", "app"]).ok();
    env.burrow(&["rm", "-f", "cache"]).ok();
    env.burrow(&["rm", "-f", "db"]).ok();

    env.refused(
        &["create", "--requires", "nosuch", "busybox", "true"],
        "\"nosuch\" is not a valid container, cannot be used as a dependency",
    );
}

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("its address").port()
}

// Pins: --retry N / --retry-delay D retry run's pull on a registry error that may pass, with
// podman's warning for each retry and the wait between them; --retry 0 tries once; a bad delay
// is refused before anything is pulled.
#[test]
fn retry_and_retry_delay_apply_to_runs_pull() {
    let env = Env::new().with_busybox();
    let image = format!("127.0.0.1:{}/nothing/here:latest", closed_port());
    let started = std::time::Instant::now();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--tls-verify=false",
            "--retry",
            "2",
            "--retry-delay",
            "300ms",
            &image,
            "true",
        ])
        .code(125);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("Failed, retrying in 300ms ..."))
        .collect();
    assert_eq!(warnings.len(), 2, "two retries expected\n{out:?}");
    assert!(
        warnings[0].contains("(1/2)") && warnings[1].contains("(2/2)"),
        "{out:?}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(600),
        "no wait between tries"
    );
    assert!(
        out.stderr
            .lines()
            .last()
            .unwrap_or("")
            .starts_with("Error: "),
        "{out:?}"
    );

    let once = env
        .burrow(&[
            "create",
            "--tls-verify=false",
            "--retry",
            "0",
            &image,
            "true",
        ])
        .code(125);
    assert!(
        !once.stderr.contains("retrying"),
        "--retry 0 retried\n{once:?}"
    );

    env.refused(
        &["create", "--retry-delay", "soon", "busybox", "true"],
        "invalid --retry-delay \"soon\"",
    );
    env.burrow(&["create", "--retry=many", "busybox", "true"])
        .code(125)
        .stderr_has("--retry");
}

/// The mount of `dir` inside a fresh `--rm` container of `image` with `flags`, from
/// /proc/mounts ("" when nothing is mounted there), and the volumes that exist afterwards.
fn mount_at(env: &Env, flags: &[&str], image: &str, dir: &str) -> (String, usize) {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    let script = format!("grep ' {dir} ' /proc/mounts | cut -d' ' -f1,3");
    args.extend_from_slice(&[image, "sh", "-c", &script]);
    let out = env.burrow(&args).ok();
    let volumes = env.burrow(&["volume", "ls", "-q"]).ok().lines().len();
    (out.out().to_string(), volumes)
}

// Pins: --image-volume decides what the image's VOLUME becomes: an anonymous volume (bind,
// the default), a tmpfs, or nothing (the directory of the image stays); a bad mode is refused.
#[test]
fn image_volume_modes() {
    let env = Env::new().with_busybox();
    let tar = busybox_tar().to_str().unwrap_or_default().to_string();
    env.burrow(&[
        "import",
        "--change",
        "VOLUME /data",
        &tar,
        "localhost/withvol",
    ])
    .ok();
    let (tmpfs, volumes) = mount_at(
        &env,
        &["--image-volume", "tmpfs"],
        "localhost/withvol",
        "/data",
    );
    assert_eq!((tmpfs.as_str(), volumes), ("tmpfs tmpfs", 0));
    let (ignored, volumes) = mount_at(
        &env,
        &["--image-volume=ignore"],
        "localhost/withvol",
        "/data",
    );
    assert_eq!((ignored.as_str(), volumes), ("", 0));

    env.burrow(&[
        "create",
        "--name",
        "b",
        "--image-volume",
        "bind",
        "localhost/withvol",
        "true",
    ])
    .ok();
    let mounts = &env.inspect_one("b")["Mounts"];
    assert_eq!(mounts[0]["Type"], "volume", "{mounts}");
    assert_eq!(mounts[0]["Destination"], "/data", "{mounts}");
    env.burrow(&["create", "--name", "d", "localhost/withvol", "true"])
        .ok();
    assert_eq!(env.inspect_one("d")["Mounts"][0]["Type"], "volume");
    assert_eq!(env.burrow(&["volume", "ls", "-q"]).ok().lines().len(), 2);

    env.refused(
        &[
            "create",
            "--image-volume",
            "copy",
            "localhost/withvol",
            "true",
        ],
        "invalid --image-volume \"copy\": use bind, tmpfs or ignore",
    );
}

// Pins: --init --init-path runs the given binary (the host's catatonit) as pid 1 from
// /run/podman-init, with the command after `--`; without --init-path burrow's own init is pid
// 1; a path that does not exist is refused.
#[test]
fn init_path_runs_the_given_init_as_pid_1() {
    if !std::path::Path::new("/usr/bin/catatonit").exists() {
        eprintln!("skipped: /usr/bin/catatonit is not installed");
        return;
    }
    let env = Env::new().with_busybox();
    let cmdline = "tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$";
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--init",
            "--init-path",
            "/usr/bin/catatonit",
            "busybox",
            "sh",
            "-c",
            cmdline,
        ])
        .ok();
    let lines = out.lines();
    assert_eq!(
        lines[0].trim_end(),
        format!("/run/podman-init -- sh -c {cmdline}"),
        "{out:?}"
    );
    assert_ne!(
        lines[1], "1",
        "the command must not be pid 1 under an init\n{out:?}"
    );
    let ours = env
        .burrow(&["run", "--rm", "--init", "busybox", "sh", "-c", cmdline])
        .ok();
    assert!(!ours.lines()[0].starts_with("/run/podman-init"), "{ours:?}");

    env.refused(
        &[
            "create",
            "--init",
            "--init-path",
            "/no/such/init",
            "busybox",
            "true",
        ],
        "--init-path /no/such/init: container-init binary not found on the host",
    );
    env.refused(
        &["create", "--init", "--pid", "host", "busybox", "true"],
        "PID namespace isn't private",
    );
}

// Pins: --seccomp-policy=image confines the container with the profile in the image's
// io.containers.seccomp.profile label (here: mkdir refused), the default policy ignores the
// label, an image without one is refused, and so is an unknown policy.
#[test]
fn seccomp_policy_image_uses_the_images_profile() {
    let env = Env::new().with_busybox();
    let tar = busybox_tar().to_str().unwrap_or_default().to_string();
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#;
    let label = format!("LABEL io.containers.seccomp.profile='{profile}'");
    env.burrow(&["import", "--change", &label, &tar, "localhost/seccomp"])
        .ok();
    let got = env
        .burrow(&[
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"io.containers.seccomp.profile\"}}",
            "localhost/seccomp",
        ])
        .ok();
    assert_eq!(got.out(), profile, "the label did not survive import");

    let denied = env
        .burrow(&[
            "run",
            "--rm",
            "--seccomp-policy",
            "image",
            "localhost/seccomp",
            "mkdir",
            "/tmp/x",
        ])
        .code(1);
    assert!(
        denied.stderr.contains("Operation not permitted"),
        "{denied:?}"
    );
    env.burrow(&["run", "--rm", "localhost/seccomp", "mkdir", "/tmp/x"])
        .ok();
    env.burrow(&[
        "run",
        "--rm",
        "--seccomp-policy=default",
        "localhost/seccomp",
        "mkdir",
        "/tmp/x",
    ])
    .ok();

    env.refused(
        &["create", "--seccomp-policy=image", "busybox", "true"],
        "no seccomp policy defined by image",
    );
    env.refused(
        &["create", "--seccomp-policy", "strict", "busybox", "true"],
        "invalid seccomp policy \"strict\"",
    );
}

// Pins: --cgroup-parent and --cgroup-conf are checked (absolute parent, KEY=VALUE with a cgroup
// file name, not with --cgroups=disabled); rootless without a delegated cgroup v2 subtree they
// are refused with the reason rather than ignored.
#[test]
fn cgroup_parent_and_conf_are_checked() {
    let env = Env::new().with_busybox();
    env.refused(
        &[
            "create",
            "--cgroup-parent",
            "relative/path",
            "busybox",
            "true",
        ],
        "invalid --cgroup-parent \"relative/path\"",
    );
    env.refused(
        &["create", "--cgroup-conf", "pids.max", "busybox", "true"],
        "invalid --cgroup-conf \"pids.max\": use KEY=VALUE",
    );
    env.refused(
        &["create", "--cgroup-conf", "../../x.y=1", "busybox", "true"],
        "invalid --cgroup-conf",
    );
    env.refused(
        &[
            "create",
            "--cgroups=disabled",
            "--cgroup-parent",
            "/p",
            "busybox",
            "true",
        ],
        "cannot be used with --cgroups=disabled",
    );
    let doctor = env.burrow(&["system", "doctor"]);
    let delegated = doctor
        .lines()
        .iter()
        .any(|l| l.starts_with("[ ok ] cgroup v2 delegation"));
    if !delegated {
        env.refused(
            &["create", "--cgroup-parent", "/mine", "busybox", "true"],
            "--cgroup-parent/--cgroup-conf need cgroups, which this user cannot use",
        );
    }
}

// Pins (as root): the container's cgroup is made under --cgroup-parent, --cgroup-conf's files
// are written in it, inspect shows HostConfig.CgroupParent, and the cgroup goes with the run.
#[test]
fn cgroup_parent_and_conf_place_the_container_as_root() {
    if common::skip_unless_root() {
        return;
    }
    let env = Env::new();
    let tar = busybox_tar().display().to_string();
    common::root_burrow(&env, &["import", &tar, "busybox"]).ok();
    let parent = format!("/burrow-e2e-parent-{}", std::process::id());
    let id = common::root_burrow(
        &env,
        &[
            "run",
            "-d",
            "--cgroup-parent",
            &parent,
            "--cgroup-conf",
            "pids.max=7",
            "busybox",
            "sleep",
            "100",
        ],
    )
    .ok()
    .out()
    .to_string();
    let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let mount = if v2 {
        "/sys/fs/cgroup".to_string()
    } else {
        "/sys/fs/cgroup/pids".to_string()
    };
    let dir = format!("{mount}{parent}/{id}");
    let pids_max = std::fs::read_to_string(format!("{dir}/pids.max")).unwrap_or_default();
    let inspected = common::root_burrow(
        &env,
        &["inspect", "--format", "{{.HostConfig.CgroupParent}}", &id],
    )
    .ok();
    common::root_burrow(&env, &["rm", "-f", &id]).ok();
    let gone = !std::path::Path::new(&dir).exists();
    // The parent stays, as podman leaves it; the test removes its own.
    for m in [
        "/sys/fs/cgroup",
        "/sys/fs/cgroup/pids",
        "/sys/fs/cgroup/memory",
        "/sys/fs/cgroup/cpu",
    ] {
        let _ = std::fs::remove_dir(format!("{m}{parent}"));
    }
    assert_eq!(pids_max.trim(), "7", "no pids.max in {dir}");
    assert_eq!(inspected.out(), parent);
    assert!(gone, "{dir} outlived its container");
}

// Pins: -a/--attach STREAM shows only those streams of a foreground run (the log keeps all),
// -a stdin without the others reads stdin but prints nothing; a bad stream and -d with -a are
// refused.
#[test]
fn attach_selects_the_streams_of_a_foreground_run() {
    let env = Env::new().with_busybox();
    let script = "read line; echo out:$line; echo err >&2";
    let out = env
        .burrow_stdin(
            &[
                "run", "--name", "o", "-i", "-a", "stdout", "-a", "stdin", "busybox", "sh", "-c",
                script,
            ],
            "typed\n",
        )
        .ok();
    assert_eq!((out.out(), out.stderr.trim()), ("out:typed", ""), "{out:?}");
    let logs = env.burrow(&["logs", "o"]).ok();
    assert_eq!(
        (logs.out(), logs.stderr.trim()),
        ("out:typed", "err"),
        "{logs:?}"
    );

    let err = env
        .burrow(&[
            "run",
            "--rm",
            "--attach=STDERR",
            "busybox",
            "sh",
            "-c",
            "echo out; echo err >&2",
        ])
        .ok();
    assert_eq!((err.out(), err.stderr.trim()), ("", "err"), "{err:?}");

    env.refused(
        &["run", "--rm", "-a", "stdio", "busybox", "true"],
        "invalid stream \"stdio\" for --attach",
    );
    env.refused(
        &["run", "-d", "-a", "stdout", "busybox", "true"],
        "--attach and --detach cannot be set at the same time",
    );
}

// Pins: --mac-address sets the interface's address on a user network (and inspect shows it);
// with podman's rules --mac-address/--ip6/--link-local-ip are refused with an explicit
// non-bridge mode (slirp4netns), left unused by the default mode, and burrow's IPv4-only
// networks refuse --ip6; bad addresses are refused.
#[test]
fn mac_address_ip6_and_link_local_ip_follow_podmans_rules() {
    let env = Env::new().with_busybox();
    env.burrow(&["network", "create", "macnet"]).ok();
    let mac = "92:d0:c6:0a:29:33";
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--network",
            "macnet",
            "--mac-address",
            "92-D0-C6-0A-29-33",
            "busybox",
            "cat",
            "/sys/class/net/eth0/address",
        ])
        .ok();
    assert_eq!(out.out(), mac);
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "m",
        "--network",
        "macnet",
        "--mac-address",
        mac,
        "busybox",
        "sleep",
        "60",
    ])
    .ok();
    let doc = env.inspect_one("m");
    assert_eq!(
        doc["NetworkSettings"]["Networks"]["macnet"]["MacAddress"], mac,
        "{doc}"
    );
    env.burrow(&["rm", "-f", "m"]).ok();

    // The default (rootless) mode takes the flags and has no use for them, as podman's.
    env.burrow(&[
        "run",
        "--rm",
        "--mac-address",
        mac,
        "--ip6",
        "fd00::5",
        "busybox",
        "true",
    ])
    .ok();
    env.refused(
        &[
            "create",
            "--network",
            "slirp4netns",
            "--mac-address",
            mac,
            "busybox",
            "true",
        ],
        "--mac-address can only be set when the network mode is bridge",
    );
    env.refused(
        &[
            "create",
            "--network",
            "none",
            "--ip6",
            "fd00::5",
            "busybox",
            "true",
        ],
        "--ip6 can only be set when the network mode is bridge",
    );
    env.refused(
        &[
            "create",
            "--network",
            "macnet",
            "--ip6",
            "fd00::5",
            "busybox",
            "true",
        ],
        "--ip6: burrow's networks are IPv4 only",
    );
    env.refused(
        &["create", "--mac-address", "92:d0:c6", "busybox", "true"],
        "invalid --mac-address \"92:d0:c6\"",
    );
    env.refused(
        &["create", "--ip6", "not-an-ip", "busybox", "true"],
        "invalid --ip6 \"not-an-ip\"",
    );
    env.refused(
        &["create", "--link-local-ip", "10.0.0.1", "busybox", "true"],
        "invalid --link-local-ip \"10.0.0.1\"",
    );
}

// Pins: --chrootdirs binds the managed /etc/hosts, /etc/resolv.conf and /etc/hostname into
// each chroot directory too (the same files as /etc's), inspect lists them in
// Config.ChrootDirs, and a relative directory is refused.
#[test]
fn chrootdirs_get_the_managed_etc_files() {
    let env = Env::new().with_busybox();
    let script = "for f in hosts resolv.conf hostname; do cmp /etc/$f /jail/etc/$f || exit 1; done; \
                  grep -c burrowhost /jail/etc/hostname; grep -q ' /jail/etc/hosts ' /proc/mounts";
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--hostname",
            "burrowhost",
            "--chrootdirs",
            "/jail",
            "busybox",
            "sh",
            "-c",
            script,
        ])
        .ok();
    assert_eq!(out.out(), "1");
    env.burrow(&[
        "create",
        "--name",
        "j",
        "--chrootdirs",
        "/a,/b",
        "busybox",
        "true",
    ])
    .ok();
    assert_eq!(
        env.inspect_one("j")["Config"]["ChrootDirs"],
        serde_json::json!(["/a", "/b"])
    );
    env.refused(
        &["create", "--chrootdirs", "jail", "busybox", "true"],
        "invalid --chrootdirs \"jail\"",
    );
}
