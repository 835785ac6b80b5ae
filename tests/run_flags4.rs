//! `run`/`create` options of podman 5.7 added late: systemd mode (`--systemd`,
//! `--shm-size-systemd`), `--conmon-pidfile`, `--device-cgroup-rule`, the realtime and
//! per-device weight limits, `--rdt-class`, `--decryption-key` and
//! `--disable-content-trust`; what a user sees of each, and bad values refused with one
//! `Error:` line, exit 125, nothing created.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/registry.rs"]
mod registry;

use common::Env;

/// The container's mount table lines for `dir` (mount point in the 5th field).
fn mountinfo_line(mountinfo: &str, dir: &str) -> Option<String> {
    mountinfo
        .lines()
        .find(|l| l.split(' ').nth(4) == Some(dir))
        .map(str::to_string)
}

#[test]
fn systemd_always_mounts_tmpfs_sets_env_and_stop_signal() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "sd",
        "--systemd=always",
        "--shm-size-systemd",
        "2m",
        "busybox",
        "sh",
        "-c",
        "cat /proc/self/mountinfo; echo ENV; env; df -k /run /run/lock /tmp /var/log/journal",
    ])
    .ok();
    let doc = env.inspect_one("sd");
    assert_eq!(doc["Config"]["SystemdMode"], true, "{doc}");
    assert_eq!(doc["Config"]["StopSignal"], "SIGRTMIN+3");
    // The tmpfs mounts are not the user's: inspect does not list them, as podman's.
    assert_eq!(doc["Mounts"], serde_json::json!([]));
    let out = env.burrow(&["start", "-a", "sd"]).ok();
    let (mounts, rest) = out.stdout.split_once("ENV\n").expect("marker");
    for dir in ["/run", "/run/lock", "/tmp", "/var/log/journal"] {
        let line =
            mountinfo_line(mounts, dir).unwrap_or_else(|| panic!("no mount on {dir}\n{mounts}"));
        assert!(line.contains(" - tmpfs "), "{dir} is not a tmpfs: {line}");
        assert!(line.contains("nosuid") && line.contains("nodev"), "{line}");
        assert!(
            line.contains("size=2048k"),
            "{dir} not sized by --shm-size-systemd: {line}"
        );
    }
    assert!(rest.lines().any(|l| l == "container=podman"), "{rest}");
    let id = doc["Id"].as_str().unwrap();
    assert!(
        rest.lines()
            .any(|l| l == format!("container_uuid={}", &id[..32])),
        "{rest}"
    );
}

#[test]
fn systemd_mode_follows_the_command_and_yields_to_the_user() {
    let env = Env::new().with_busybox();
    // An init command turns it on by itself (podman's rule); false turns it off.
    env.burrow(&["create", "--name", "init", "busybox", "/sbin/init"])
        .ok();
    let doc = env.inspect_one("init");
    assert_eq!(doc["Config"]["SystemdMode"], true);
    assert_eq!(doc["Config"]["StopSignal"], "SIGRTMIN+3");
    env.burrow(&[
        "create",
        "--name",
        "off",
        "--systemd",
        "false",
        "busybox",
        "/sbin/init",
    ])
    .ok();
    let doc = env.inspect_one("off");
    assert!(doc["Config"].get("SystemdMode").is_none(), "{doc}");
    assert_eq!(doc["Config"]["StopSignal"], "SIGTERM");
    assert!(
        doc["Config"]["Env"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e != "container=podman")
    );
    // A plain command is not systemd: nothing changes.
    env.burrow(&["create", "--name", "plain", "busybox", "true"])
        .ok();
    assert!(
        env.inspect_one("plain")["Config"]
            .get("SystemdMode")
            .is_none()
    );
    // The user's stop signal and mounts win.
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--systemd=always",
            "--stop-signal",
            "SIGINT",
            "--tmpfs",
            "/tmp:size=1m",
            "busybox",
            "sh",
            "-c",
            "grep ' /tmp ' /proc/self/mountinfo",
        ])
        .ok();
    assert!(out.stdout.contains("size=1024k"), "{out:?}");
    env.burrow(&[
        "create",
        "--name",
        "sig",
        "--systemd=always",
        "--stop-signal",
        "SIGINT",
        "busybox",
        "true",
    ])
    .ok();
    assert_eq!(env.inspect_one("sig")["Config"]["StopSignal"], "SIGINT");
}

#[test]
fn systemd_container_is_stopped_with_sigrtmin_3() {
    let env = Env::new().with_busybox();
    // The shell traps systemd's halt request (RTMIN+3 is signal 37 here) and leaves.
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "halt",
        "--systemd=always",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-halt; exit 7' 37; echo ready; while :; do sleep 0.1; done",
    ])
    .ok();
    for _ in 0..100 {
        if env.burrow(&["logs", "halt"]).ok().stdout.contains("ready") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let started = std::time::Instant::now();
    env.burrow(&["stop", "-t", "20", "halt"]).ok();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "stop waited for SIGKILL: the stop signal did not arrive"
    );
    assert!(
        env.burrow(&["logs", "halt"])
            .ok()
            .stdout
            .contains("got-halt")
    );
    assert_eq!(env.inspect_one("halt")["State"]["ExitCode"], 7);
}

#[test]
fn bad_systemd_values_are_refused() {
    let env = Env::new().with_busybox();
    env.refused(
        &["create", "--systemd=yes", "busybox", "true"],
        "invalid value \"yes\" systemd option requires 'true, false, always'",
    );
    env.refused(
        &[
            "run",
            "--rm",
            "--shm-size-systemd",
            "lots",
            "busybox",
            "true",
        ],
        "unable to translate --shm-size-systemd: invalid size: 'lots'",
    );
}

#[test]
fn conmon_pidfile_holds_the_monitor_pid() {
    let env = Env::new().with_busybox();
    let pidfile = env.path("mon/conmon.pid");
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "mon",
        "--conmon-pidfile",
        pidfile.to_str().unwrap(),
        "busybox",
        "sleep",
        "60",
    ])
    .ok();
    let doc = env.inspect_one("mon");
    assert_eq!(doc["ConmonPidFile"], pidfile.to_str().unwrap());
    let written = read_pid(&pidfile);
    assert_eq!(doc["State"]["ConmonPid"], written, "{doc}");
    assert_ne!(doc["State"]["Pid"], written);
    // A live process: the monitor itself (named so), parent of the container's process.
    let comm = std::fs::read_to_string(format!("/proc/{written}/comm")).expect("a live pid");
    assert_eq!(comm.trim(), "burrow-monitor");
    let ctr = doc["State"]["Pid"].as_i64().expect("a running container");
    let stat = std::fs::read_to_string(format!("/proc/{ctr}/stat")).expect("the container");
    // The field after the parenthesised command name is the state, then the parent's pid.
    let after = &stat[stat.rfind(')').expect("stat has a comm") + 2..];
    let ppid: i64 = after
        .split(' ')
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("a ppid");
    assert_eq!(ppid, written, "the monitor is the container's parent");
    env.burrow(&["rm", "-f", "-t", "0", "mon"]).ok();
    // As with conmon, nobody removes it.
    assert!(pidfile.exists());

    // `create` records it; `start`'s monitor writes it.
    let started = env.path("started.pid");
    env.burrow(&[
        "create",
        "--name",
        "later",
        "--conmon-pidfile",
        started.to_str().unwrap(),
        "busybox",
        "sleep",
        "60",
    ])
    .ok();
    assert!(!started.exists(), "written at start, not at create");
    env.burrow(&["start", "later"]).ok();
    let doc = env.inspect_one("later");
    assert_eq!(doc["State"]["ConmonPid"], read_pid(&started), "{doc}");
    env.burrow(&["rm", "-f", "-t", "0", "later"]).ok();

    // A foreground run is its own monitor: its pid is written.
    let fg = env.path("fg.pid");
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--conmon-pidfile",
            fg.to_str().unwrap(),
            "busybox",
            "true",
        ])
        .ok();
    assert_eq!(out.stdout, "");
    assert!(read_pid(&fg) > 0);
}

/// The pid a `--conmon-pidfile` holds.
fn read_pid(path: &std::path::Path) -> i64 {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{}: not a pid: {text:?}", path.display()))
}

// Pins: `--disable-content-trust` is taken and changes nothing (podman's Docker no-op).
#[test]
fn disable_content_trust_is_a_no_op() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--disable-content-trust",
            "busybox",
            "echo",
            "trusted",
        ])
        .ok();
    assert_eq!(out.out(), "trusted");
    env.burrow(&["create", "--disable-content-trust=false", "busybox", "true"])
        .ok();
}

/// A block device of this host (its path), for the per-device weight.
fn block_device() -> String {
    use std::os::unix::fs::FileTypeExt;
    std::fs::read_dir("/dev")
        .expect("/dev")
        .flatten()
        .find(|e| e.file_type().is_ok_and(|t| t.is_block_device()))
        .map(|e| e.path().display().to_string())
        .expect("a block device in /dev")
}

// Pins: podman's parse errors for the realtime, per-device weight and device-rule flags:
// one `Error:` line, exit 125, nothing created.
#[test]
fn bad_cgroup_flag_values_are_refused() {
    let env = Env::new().with_busybox();
    let dev = block_device();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["--cpu-rt-period".into(), "abc".into()],
            "invalid argument \"abc\" for \"--cpu-rt-period\" flag: strconv.ParseUint: parsing \"abc\": invalid syntax".into(),
        ),
        (
            vec!["--cpu-rt-runtime".into(), "1.5".into()],
            "invalid argument \"1.5\" for \"--cpu-rt-runtime\" flag: strconv.ParseInt: parsing \"1.5\": invalid syntax".into(),
        ),
        (
            vec!["--blkio-weight-device".into(), dev.clone()],
            format!("bad format: {dev}"),
        ),
        (
            vec!["--blkio-weight-device".into(), "vda:100".into()],
            "bad format for device path: vda:100".into(),
        ),
        (
            vec!["--blkio-weight-device".into(), format!("{dev}:5")],
            format!("invalid weight for device: {dev}:5"),
        ),
        (
            vec!["--blkio-weight-device".into(), "/dev/no-such-disk:100".into()],
            "bad --blkio-weight-device: could not parse device /dev/no-such-disk".into(),
        ),
        (
            vec!["--blkio-weight-device".into(), "/dev/null:100".into()],
            "bad --blkio-weight-device: /dev/null: not a block device".into(),
        ),
        (
            vec!["--device-cgroup-rule".into(), "c 1:3".into()],
            "invalid device cgroup rule requires type, major:Minor, and access rules: \"c 1:3\""
                .into(),
        ),
        (
            vec!["--device-cgroup-rule".into(), "z 1:3 rwm".into()],
            "invalid device type in device-access-add: z".into(),
        ),
        (
            vec!["--device-cgroup-rule".into(), "c 1:3 rwx".into()],
            "invalid device access in device-access-add: x".into(),
        ),
    ];
    for (flags, needle) in cases {
        let mut argv = vec!["create".to_string()];
        argv.extend(flags);
        argv.extend(["busybox".into(), "true".into()]);
        env.refused(&argv, &needle);
    }
}

// Pins: rootless, device cgroup rules are refused with podman's error, even valid ones.
#[test]
fn device_cgroup_rule_is_refused_rootless() {
    let env = Env::new().with_busybox();
    env.refused(
        &[
            "run",
            "--rm",
            "--device-cgroup-rule",
            "c 1:3 rwm",
            "busybox",
            "true",
        ],
        "device cgroup rules are not supported in rootless mode or in a user namespace",
    );
}

// Pins: rootless on cgroup v1, the realtime budget and per-device weight get podman's
// warning and are dropped (inspect shows none); the container runs.
#[test]
fn rootless_realtime_and_weight_device_warn_on_cgroup_v1() {
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        eprintln!("skipped: this host has cgroup v2");
        return;
    }
    let env = Env::new().with_busybox();
    let weight = format!("{}:100", block_device());
    let out = env
        .burrow(&[
            "run",
            "--name",
            "rt",
            "--cpu-rt-period",
            "500000",
            "--cpu-rt-runtime",
            "1000",
            "--blkio-weight-device",
            &weight,
            "busybox",
            "echo",
            "ran",
        ])
        .ok();
    assert_eq!(out.out(), "ran");
    assert!(
        out.stderr.contains(
            "Resource limits are not supported and ignored on cgroups V1 rootless systems"
        ),
        "{out}"
    );
    let hc = &env.inspect_one("rt")["HostConfig"];
    assert_eq!(hc["CpuRealtimePeriod"], 0, "{hc}");
    assert_eq!(hc["CpuRealtimeRuntime"], 0);
    assert_eq!(hc["BlkioWeightDevice"], serde_json::json!([]));
}

// Pins: as root the realtime period reaches the container's cgroup (v1) and inspect, and a
// device cgroup rule is accepted.
#[test]
fn root_realtime_period_is_written_and_device_rule_accepted() {
    if common::skip_unless_root() {
        return;
    }
    let env = Env::new();
    let tar = common::busybox_tar().display().to_string();
    common::root_burrow(&env, &["import", &tar, "busybox"]).ok();
    let out = common::root_burrow(
        &env,
        &[
            "run",
            "-d",
            "--cpu-rt-period",
            "500000",
            "--device-cgroup-rule",
            "c 1:3 rwm",
            "busybox",
            "sleep",
            "100",
        ],
    )
    .ok();
    let id = out.out().to_string();
    let period = common::root_burrow(
        &env,
        &[
            "inspect",
            "--format",
            "{{.HostConfig.CpuRealtimePeriod}}",
            &id,
        ],
    )
    .ok();
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        assert!(
            out.stderr
                .contains("Realtime period not supported on cgroups V2 systems")
        );
        assert_eq!(period.out(), "0");
    } else {
        assert_eq!(period.out(), "500000");
        let file = format!("/sys/fs/cgroup/cpu/burrow/{id}/cpu.rt_period_us");
        let written = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(written.trim(), "500000");
    }
    common::root_burrow(&env, &["rm", "-f", "-t", "0", &id]).ok();
}

/// Writes `data` where the test user can read it.
fn readable_file(env: &Env, name: &str, data: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = env.path(name);
    std::fs::write(&path, data).expect("write the file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    path.display().to_string()
}

// Pins: `--decryption-key` files are checked before anything (podman reads them first), and
// an image with an encrypted layer is refused before any blob is fetched: burrow cannot
// decrypt, with or without a key.
#[test]
fn decryption_key_is_checked_and_encrypted_layers_are_refused() {
    let mut env = Env::new().with_busybox();
    let missing = env.path("no-such-key.pem").display().to_string();
    let needle = format!("unable to obtain decryption config: open {missing}");
    env.refused(
        &["create", "--decryption-key", &missing, "busybox", "true"],
        &needle,
    );
    env.burrow(&["pull", "--decryption-key", &missing, "busybox"])
        .code(125)
        .stderr_has(&needle);
    let key = readable_file(&env, "key.pem", "not used\n");
    // A key that exists is taken; a local image needs no decryption.
    env.burrow(&[
        "create",
        "--decryption-key",
        &format!("{key}:passphrase"),
        "busybox",
        "true",
    ])
    .ok();

    let digest = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest('c'), "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", "digest": digest('e'), "size": 10}],
    });
    let fake = registry::FakeRegistry::builder()
        .manifest(
            "enc/img",
            "latest",
            "application/vnd.oci.image.manifest.v1+json",
            manifest.to_string().as_bytes(),
        )
        .start();
    let conf = readable_file(
        &env,
        "registries.conf",
        &format!(
            "[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
            fake.host()
        ),
    );
    env.set_env("CONTAINERS_REGISTRIES_CONF", &conf);
    let image = fake.image("enc/img");
    let encrypted = format!(
        "layer {} is encrypted (application/vnd.oci.image.layer.v1.tar+gzip+encrypted): burrow cannot decrypt",
        digest('e')
    );
    env.burrow(&["pull", "--decryption-key", &key, &image])
        .code(125)
        .stderr_has(&encrypted);
    let out = env
        .burrow(&["run", "--rm", &image, "true"])
        .code(125)
        .stderr_has(&encrypted);
    // The progress line ("Trying to pull ...", as podman's), then the one error.
    assert!(
        out.stderr
            .trim()
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("Error: ")),
        "{out}"
    );
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().out().lines().count(), 1);
    assert!(
        !fake.requests().iter().any(|r| r.contains("/blobs/")),
        "a blob was fetched: {:?}",
        fake.requests()
    );
    assert!(
        !env.burrow(&["images", "-q"]).ok().out().contains('\n'),
        "only busybox is stored"
    );
}

// Pins: `--rdt-class` is recorded (inspect's IntelRdtClosID, absent without it), and where
// the host has no resctrl the start fails with a clear error rather than running the
// container outside its class of service.
#[test]
fn rdt_class_is_recorded_and_needs_resctrl() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "cos",
        "--rdt-class",
        "COS1",
        "busybox",
        "true",
    ])
    .ok();
    assert_eq!(
        env.inspect_one("cos")["HostConfig"]["IntelRdtClosID"],
        "COS1"
    );
    env.burrow(&["create", "--name", "plain", "busybox", "true"])
        .ok();
    assert!(
        env.inspect_one("plain")["HostConfig"]
            .get("IntelRdtClosID")
            .is_none()
    );
    if std::path::Path::new("/sys/fs/resctrl/info").is_dir() {
        eprintln!("skipped the start: this host has resctrl");
        return;
    }
    let out = env.burrow(&["start", "cos"]).fails();
    assert!(
        out.stderr
            .contains("--rdt-class COS1: Intel RDT is not supported or enabled: /sys/fs/resctrl is not mounted"),
        "{out}"
    );
    assert_ne!(env.inspect_one("cos")["State"]["Status"], "running");
}

// Pins: as in podman 5.7, `create -a` leaves nothing for `start`, which attaches only with
// its own `-a`; bad stream names are still refused.
#[test]
fn create_attach_does_not_make_start_attach() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create", "--name", "quiet", "-a", "stdout", "busybox", "echo", "hi",
    ])
    .ok();
    assert_eq!(env.burrow(&["start", "quiet"]).ok().out(), "quiet");
    env.burrow(&["wait", "quiet"]).ok();
    assert_eq!(env.burrow(&["start", "-a", "quiet"]).ok().out(), "hi");
    env.refused(&["create", "-a", "stdfoo", "busybox", "true"], "stdfoo");
}
