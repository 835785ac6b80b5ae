//! podman `run`/`create` fidelity, end to end: a container from an exploded root filesystem
//! (`--rootfs`), extra host descriptors (`--preserve-fd`), and the log drivers that hand the
//! streams elsewhere. Each checks what a user would notice, and a bad value gives one `Error:`
//! line and exit 125 with nothing created. Every command runs the real binary as the test user.

mod common;

use common::{Env, busybox_tar};

/// An exploded busybox root filesystem owned by the test user, at `<HOME>/<name>`.
fn exploded_busybox(env: &Env, name: &str) -> String {
    let dir = env.home().join(name);
    env.sh(&format!(
        "mkdir -p {d} && tar -xf {t} -C {d} && echo original > {d}/marker",
        d = dir.display(),
        t = busybox_tar().display()
    ))
    .ok();
    dir.display().to_string()
}

// Pins: --rootfs runs a container from a directory instead of an image, writes go into the
// directory, `:O` keeps the directory unchanged, inspect shows podman's ImageName/Rootfs, and a
// missing directory is refused with podman's lstat message.
#[test]
fn rootfs_runs_from_a_directory_and_overlay_keeps_it_unchanged() {
    let env = Env::new();
    let dir = exploded_busybox(&env, "root");

    env.burrow(&[
        "run",
        "--name",
        "plain",
        "--rootfs",
        &dir,
        "sh",
        "-c",
        "cat /marker; echo written > /marker",
    ])
    .ok()
    .stdout_has("original");
    let marker = env.home().join("root/marker");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "written\n");
    let doc = env.inspect_one("plain");
    assert_eq!(doc["ImageName"], dir.as_str(), "{doc}");
    assert_eq!(doc["Rootfs"], dir.as_str(), "{doc}");
    assert_eq!(doc["Image"], "", "{doc}");
    env.burrow(&["ps", "-a", "--format", "{{.Image}}"])
        .ok()
        .stdout_has(&dir);

    // No image layers to commit: refused with the reason, nothing made.
    env.burrow(&["commit", "plain", "localhost/fromroot"])
        .code(125)
        .stderr_has("runs from a --rootfs directory");

    std::fs::write(&marker, "original\n").unwrap();
    let over = format!("{dir}:O");
    env.burrow(&[
        "run",
        "--rm",
        "--rootfs",
        &over,
        "sh",
        "-c",
        "echo changed > /marker; touch /new; cat /marker",
    ])
    .ok()
    .stdout_has("changed");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "original\n");
    assert!(
        !env.home().join("root/new").exists(),
        ":O wrote into the directory"
    );

    // A relative path is resolved against the current directory (the test user's HOME).
    env.burrow(&["run", "--rm", "--rootfs", "root", "cat", "/marker"])
        .ok()
        .stdout_has("original");

    // The directory given at create, never a link put in its place later.
    let other = exploded_busybox(&env, "other");
    env.burrow(&["create", "--name", "swapped", "--rootfs", &other, "true"])
        .ok();
    env.sh(&format!(
        "mv {other} {other}.real && ln -s {other}.real {other}"
    ))
    .ok();
    env.burrow(&["start", "-a", "swapped"])
        .fails()
        .stderr_has("rootfs");

    env.refused(
        &["run", "--rootfs", "/no/such/rootfs", "true"],
        "lstat /no/such/rootfs: no such file or directory",
    );
    env.refused(
        &["create", "--rootfs", &format!("{dir}:Z"), "true"],
        "--rootfs",
    );
}

// Pins: --preserve-fd passes exactly the named descriptors, renumbered from 3 in ascending
// order (run and exec), nothing else of the caller's; an fd that was not passed, stdio and a
// word are refused with podman's messages.
#[test]
fn preserve_fd_passes_only_the_named_descriptors_renumbered_from_3() {
    let env = Env::new().with_busybox();
    for (name, text) in [
        ("five", "from-five"),
        ("six", "from-six"),
        ("seven", "from-seven"),
    ] {
        std::fs::write(env.path(name), format!("{text}\n")).unwrap();
    }
    let opens = format!(
        "exec 5<{} 6<{} 7<{};",
        env.path("five").display(),
        env.path("six").display(),
        env.path("seven").display()
    );
    let bin = common::burrow_bin().display().to_string();
    let probe =
        "cat <&3; cat <&4; for n in 5 6 7; do [ -e /proc/$$/fd/$n ] && echo leaked-$n; done; true";
    let out = env
        .sh(&format!(
            "{opens} {bin} run --rm --preserve-fd 7,5 busybox sh -c '{probe}'"
        ))
        .ok();
    assert_eq!(out.lines(), vec!["from-five", "from-seven"], "{out:?}");

    // With --preserve-fds too: the union, ascending (3 stays 3, 6 becomes 4).
    let out = env
        .sh(&format!(
            "exec 3<{}; {opens} {bin} run --rm --preserve-fds 1 --preserve-fd 6 busybox sh -c 'cat <&3; cat <&4; [ -e /proc/$$/fd/5 ] && echo leaked; true'",
            env.path("seven").display()
        ))
        .ok();
    assert_eq!(out.lines(), vec!["from-seven", "from-six"], "{out:?}");

    // Detached: the monitor hands them on as well.
    env.sh(&format!(
        "{opens} {bin} run -d --name bg --preserve-fd 7 busybox sh -c 'cat <&3'"
    ))
    .ok();
    env.burrow(&["wait", "bg"]).ok();
    env.burrow(&["logs", "bg"]).ok().stdout_has("from-seven");

    env.burrow(&["run", "-d", "--name", "box", "busybox", "sleep", "300"])
        .ok();
    let out = env
        .sh(&format!(
            "{opens} {bin} exec --preserve-fd 6 box sh -c 'cat <&3; [ -e /proc/$$/fd/4 ] && echo leaked; true'"
        ))
        .ok();
    assert_eq!(out.lines(), vec!["from-six"], "{out:?}");

    env.refused(
        &["run", "--rm", "--preserve-fd", "9", "busybox", "true"],
        "file descriptor 9 is not available - the preserve-fd option requires that file descriptors must be passed",
    );
    env.refused(
        &["run", "--rm", "--preserve-fd", "1", "busybox", "true"],
        "cannot preserve FD 1",
    );
    env.refused(
        &["run", "--rm", "--preserve-fd", "five", "busybox", "true"],
        "--preserve-fd",
    );
    env.burrow(&["exec", "--preserve-fd", "9", "box", "true"])
        .code(125)
        .stderr_has("file descriptor 9 is not available");
    env.burrow(&["rm", "-f", "-t", "0", "box"]).ok();
}

// Pins: --log-driver passthrough hands burrow's own streams to the container (a file the
// caller redirected to is the container's stdout, not a pipe of burrow's), nothing is logged,
// `logs` says why, and -d is refused (nothing would keep the streams).
#[test]
fn log_driver_passthrough_gives_the_container_burrows_own_streams() {
    let env = Env::new().with_busybox();
    let bin = common::burrow_bin().display().to_string();
    let (out, err) = (env.path("out.txt"), env.path("err.txt"));
    env.sh(&format!(
        "{bin} run --name pt --log-driver passthrough busybox sh -c \
         'echo to-out; echo to-err >&2; [ -p /proc/self/fd/1 ] && echo piped || echo direct' \
         > {} 2> {}",
        out.display(),
        err.display()
    ))
    .ok();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "to-out\ndirect\n",
        "stderr: {}",
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    assert_eq!(std::fs::read_to_string(&err).unwrap(), "to-err\n");
    let doc = env.inspect_one("pt");
    assert_eq!(
        doc["HostConfig"]["LogConfig"]["Type"], "passthrough",
        "{doc}"
    );
    env.burrow(&["logs", "pt"])
        .code(125)
        .stderr_has("'passthrough' log driver, cannot read logs");

    // The default driver, for contrast: the container writes into burrow's pipe.
    env.burrow(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "[ -p /proc/self/fd/1 ] && echo piped",
    ])
    .ok()
    .stdout_has("piped");

    env.refused(
        &[
            "run",
            "-d",
            "--log-driver",
            "passthrough",
            "busybox",
            "true",
        ],
        "--log-driver passthrough needs the container in the foreground",
    );
}

// Pins: --log-driver journald where there is no journal is refused at create with the
// socket's path (podman would run the container and lose its output); where there is one the
// container's lines come back through `logs`.
#[test]
fn log_driver_journald_needs_the_journal() {
    let env = Env::new().with_busybox();
    if std::path::Path::new("/run/systemd/journal/socket").exists() {
        env.burrow(&[
            "run",
            "--name",
            "j",
            "--log-driver",
            "journald",
            "busybox",
            "echo",
            "to-journal",
        ])
        .ok();
        if which_journalctl() {
            // journald indexes asynchronously: a few tries.
            let mut seen = String::new();
            for _ in 0..20 {
                seen = env.burrow(&["logs", "j"]).ok().stdout;
                if seen.contains("to-journal") {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
            assert!(seen.contains("to-journal"), "{seen}");
        }
        return;
    }
    env.refused(
        &["run", "--rm", "--log-driver", "journald", "busybox", "true"],
        "/run/systemd/journal/socket is absent",
    );
}

fn which_journalctl() -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("journalctl").exists()))
        .unwrap_or(false)
}

// Pins: ctrl-p ctrl-q detaches a foreground `exec -it` (exit 0 at once) and the exec'd
// process runs on in the container; --detach-keys picks another sequence; bad keys are a 125
// error before anything runs.
#[test]
fn exec_it_detaches_with_the_detach_keys() {
    let env = Env::new().with_busybox();
    env.burrow(&["run", "-d", "--name", "box", "busybox", "sleep", "300"])
        .ok();
    let bin = common::burrow_bin().display().to_string();
    let session = |keys_flag: &str, keys: &str, marker: &str| {
        format!(
            "(sleep 1; printf 'echo typed-$((6*7)); exec sleep {marker}\\n'; sleep 2; printf '{keys}'; sleep 4) | timeout 20 script -qec '{bin} exec -it {keys_flag} box sh' /dev/null; echo rc=$?"
        )
    };
    let out = env.sh(&session("", "\\020\\021", "777")).ok();
    assert!(out.stdout.contains("typed-42"), "{out:?}");
    assert!(out.stdout.contains("rc=0"), "{out:?}");
    env.burrow(&["exec", "box", "ps"])
        .ok()
        .stdout_has("sleep 777");

    // ctrl-x then "y" as the sequence; ctrl-p ctrl-q then reach the process as typed input.
    let out = env
        .sh(&session("--detach-keys ctrl-x,y", "\\030y", "778"))
        .ok();
    assert!(out.stdout.contains("rc=0"), "{out:?}");
    env.burrow(&["exec", "box", "ps"])
        .ok()
        .stdout_has("sleep 778");

    // Without the keys the session ends with the process, its exit code the command's.
    let out = env
        .sh(&format!(
            "(sleep 1; printf 'exit 5\\n'; sleep 2) | timeout 20 script -qec '{bin} exec -it box sh' /dev/null; echo rc=$?"
        ))
        .ok();
    assert!(out.stdout.contains("rc=5"), "{out:?}");

    env.burrow(&["exec", "-it", "--detach-keys", "ctrl-nope", "box", "true"])
        .code(125)
        .stderr_has("detach keys");
    env.burrow(&["rm", "-f", "-t", "0", "box"]).ok();
}

// Pins: `-h` is `--hostname` for run and create (podman's short form), `--help` still prints
// the help, and a `-h` after the image is the container's.
#[test]
fn short_h_is_hostname() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&["run", "--rm", "-h", "shorty", "busybox", "hostname"])
        .ok();
    assert_eq!(out.out(), "shorty");
    env.burrow(&[
        "create", "--name", "hc", "-h", "made", "busybox", "hostname",
    ])
    .ok();
    let out = env.burrow(&["start", "-a", "hc"]).ok();
    assert_eq!(out.out(), "made");
    let help = env.burrow(&["run", "--help"]).ok();
    assert!(help.stdout.contains("-h, --hostname"), "{help:?}");
    let out = env
        .burrow(&["run", "--rm", "busybox", "sh", "-c", "echo $0", "-h"])
        .ok();
    assert_eq!(out.out(), "-h");
}

// Pins: `--security-opt mask=` hides more paths (a file reads empty), `unmask=` leaves named
// default masks alone and `unmask=ALL` every default mask and read-only path; inspect shows
// both; a relative path is refused.
#[test]
fn security_opt_mask_and_unmask() {
    let env = Env::new().with_busybox();
    let count = "mount | grep -c -e ' /proc/keys ' -e ' /proc/sys ' || true";
    let run = |opts: &[&str], script: &str| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(opts);
        args.extend(["busybox", "sh", "-c", script]);
        env.burrow(&args).ok().out().to_string()
    };
    assert_eq!(
        run(&[], count),
        "2",
        "podman's defaults mask /proc/keys, protect /proc/sys"
    );
    assert_eq!(run(&["--security-opt", "unmask=/proc/keys"], count), "1");
    assert_eq!(run(&["--security-opt", "unmask=ALL"], count), "0");
    assert_eq!(run(&[], "cat /etc/hostname | wc -c"), "13");
    assert_eq!(
        run(
            &["--security-opt", "mask=/etc/hostname:/nonexistent"],
            "cat /etc/hostname | wc -c"
        ),
        "0"
    );
    env.burrow(&[
        "create",
        "--name",
        "mk",
        "--security-opt",
        "mask=/etc/hostname",
        "--security-opt",
        "unmask=ALL",
        "busybox",
        "true",
    ])
    .ok();
    assert_eq!(
        env.burrow(&["inspect", "--format", "{{.HostConfig.SecurityOpt}}", "mk"])
            .ok()
            .out(),
        "[mask=/etc/hostname unmask=ALL]"
    );
    env.refused(
        &[
            "run",
            "--rm",
            "--security-opt",
            "mask=etc",
            "busybox",
            "true",
        ],
        "mask and unmask take absolute paths",
    );
}

// Pins: `--group-add keep-groups` leaves the container process the supplementary groups burrow
// runs with (seen through the user namespace: the user's own group is 0, others unmapped),
// instead of the image's; combined with another group it is refused.
#[test]
fn group_add_keep_groups() {
    let env = Env::new().with_busybox();
    let groups = |line: &str| -> Vec<String> {
        line.trim_start_matches("Groups:")
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let host = env.sh("grep Groups /proc/self/status").ok();
    let expected: Vec<String> = groups(host.out())
        .iter()
        .map(|g| {
            if g.parse::<u32>().ok() == Some(env.gid()) {
                "0".to_string()
            } else {
                "65534".to_string()
            }
        })
        .collect();
    let kept = env
        .burrow(&[
            "run",
            "--rm",
            "--group-add",
            "keep-groups",
            "busybox",
            "grep",
            "Groups",
            "/proc/self/status",
        ])
        .ok();
    assert_eq!(groups(kept.out()), expected, "{host:?}\n{kept:?}");
    let image = env
        .burrow(&[
            "run",
            "--rm",
            "busybox",
            "grep",
            "Groups",
            "/proc/self/status",
        ])
        .ok();
    assert_eq!(
        groups(image.out()),
        ["0", "10"],
        "root's groups from the image"
    );
    env.refused(
        &[
            "run",
            "--rm",
            "--group-add",
            "keep-groups",
            "--group-add",
            "10",
            "busybox",
            "true",
        ],
        "'--group-add keep-groups' option is not allowed with any other --group-add options",
    );
}
