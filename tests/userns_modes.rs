//! A container's own user namespace: `--userns` (keep-id, nomap, auto, host), `--uidmap`,
//! `--gidmap`, as rootless podman 5 runs them: a namespace nested in the user's, image files
//! still owned by the image's ids inside, bind mounts not shifted.

#[path = "common/archives.rs"]
mod archives;
mod common;

use common::{Env, burrow_bin, number_rows};

/// A directory `shared` holding the user's file `mine`, as a `-v` argument onto /shared.
fn shared_volume(env: &Env) -> String {
    let shared = env.path("shared");
    env.sh(&format!("mkdir {0} && echo x > {0}/mine", shared.display()))
        .ok();
    format!("{}:/shared", shared.display())
}

// Pins: keep-id runs as the user (uid, gid, name, HOME), the user's files in a bind mount are
// the user's inside, the image's files stay root's, and exec joins the same namespace.
#[test]
fn keep_id_runs_as_the_user() {
    let env = Env::new().with_busybox();
    let (uid, gid) = (env.uid(), env.gid());
    let name = env.user().name.clone();
    let out = env
        .burrow(&["run", "--rm", "--userns=keep-id", "busybox", "id"])
        .ok();
    assert!(
        out.out()
            .starts_with(&format!("uid={uid}({name}) gid={gid}")),
        "{}",
        out.stdout
    );
    let vol = shared_volume(&env);
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--userns=keep-id",
            "-v",
            &vol,
            "busybox",
            "sh",
            "-c",
            "stat -c '%u:%g' /shared/mine; stat -c '%u:%g' /bin/sh /etc/passwd; echo $HOME; touch /shared/new",
        ])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], format!("{uid}:{gid}"), "{out:?}");
    assert_eq!(lines[1], "0:0", "image files stay root's: {out:?}");
    assert_eq!(lines[2], "0:0", "{out:?}");
    assert!(!lines[3].is_empty() && lines[3] != "/", "HOME: {out:?}");
    let meta = std::fs::metadata(env.path("shared").join("new")).expect("file made inside");
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), uid);

    // exec enters the container's own namespace: same maps, same default user.
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "kid",
        "--userns=keep-id",
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let inside = env
        .burrow(&["exec", "kid", "cat", "/proc/self/uid_map"])
        .ok();
    let first = env
        .burrow(&[
            "exec",
            "kid",
            "sh",
            "-c",
            "id -u; readlink /proc/self/ns/user",
        ])
        .ok();
    assert_eq!(first.stdout.lines().next(), Some(uid.to_string().as_str()));
    let rows = number_rows(&inside.stdout);
    assert!(
        rows.contains(&vec![u64::from(uid), 0, 1]),
        "the user maps to itself: {rows:?}"
    );
    let inspect = env
        .burrow(&[
            "inspect",
            "--format",
            "{{.HostConfig.UsernsMode}} {{json .HostConfig.IDMappings.UidMap}}",
            "kid",
        ])
        .ok();
    assert!(
        inspect.out().starts_with("private [\"0:1:"),
        "{}",
        inspect.stdout
    );

    // container:NAME joins that namespace (and may share its network, which it owns).
    let joined = env
        .burrow(&[
            "run",
            "--rm",
            "--userns=container:kid",
            "--network=container:kid",
            "busybox",
            "sh",
            "-c",
            "readlink /proc/self/ns/user; id -u",
        ])
        .ok();
    let ns = first.stdout.lines().nth(1).expect("ns line");
    assert_eq!(
        joined.stdout.lines().collect::<Vec<_>>(),
        [ns, "0"],
        "{joined:?}"
    );
    // With a network of its own: the helper opens the container's /proc entries, which the
    // intermediate process that joins the namespace (not dumpable itself) leaves reachable.
    let own_net = env
        .burrow(&[
            "run",
            "--rm",
            "--userns=container:kid",
            "busybox",
            "readlink",
            "/proc/self/ns/user",
        ])
        .ok();
    assert_eq!(own_net.out(), ns, "{own_net:?}");
    env.burrow(&["rm", "-f", "-t", "0", "kid"]).ok();
}

// Pins: a file made by root in a keep-id container commits as uid 0 (the container's view),
// not as the id it has on disk.
#[test]
fn keep_id_commit_maps_owners_back() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "c1",
        "--userns=keep-id",
        "--user",
        "0",
        "busybox",
        "sh",
        "-c",
        "touch /made-by-root; id -u",
    ])
    .ok()
    .stdout_has("0");
    env.burrow(&["commit", "-q", "c1", "localhost/shifted"])
        .ok();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "localhost/shifted",
            "stat",
            "-c",
            "%u:%g",
            "/made-by-root",
        ])
        .ok();
    assert_eq!(out.out(), "0:0");
    let diff = env.burrow(&["diff", "c1"]).ok();
    assert!(diff.stdout.contains("A /made-by-root"), "{}", diff.stdout);
}

// Pins: --uidmap/--gidmap are the container's maps, HOST ids in the user's namespace (they
// cover busybox's ids, 0 and 1000: an image id left out is refused, as podman does).
#[test]
fn uidmap_sets_the_maps() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--uidmap",
            "0:1:1001",
            "--gidmap",
            "0:1:1001",
            "busybox",
            "sh",
            "-c",
            "cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /bin/sh; id -u; touch /new",
        ])
        .ok();
    let rows = number_rows(&out.stdout.lines().take(2).collect::<Vec<_>>().join("\n"));
    assert_eq!(rows, vec![vec![0, 1, 1001], vec![0, 1, 1001]]);
    let rest: Vec<&str> = out.stdout.lines().skip(2).collect();
    assert_eq!(rest, ["0:0", "0"]);
}

// Pins: `--userns=private` failed with EPERM writing uid_map "0 0 65537": a line of a map
// must lie within one line of the parent's, so the identity map is cut where the user's
// own id ends and the subordinate ones begin.
#[test]
fn private_is_the_user_namespace_ids_one_for_one() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--userns=private",
            "busybox",
            "cat",
            "/proc/self/uid_map",
        ])
        .ok();
    let parent = env.burrow(&["unshare", "cat", "/proc/self/uid_map"]).ok();
    let want: Vec<Vec<u64>> = number_rows(parent.out())
        .into_iter()
        .map(|l| vec![l[0], l[0], l[2]])
        .collect();
    assert!(want.len() > 1, "the user has subordinate ids: {parent:?}");
    assert_eq!(number_rows(out.out()), want);
}

// Pins: auto containers get ranges of their own; host is the user's namespace as before.
#[test]
fn auto_ranges_are_disjoint_and_host_is_unchanged() {
    let env = Env::new().with_busybox();
    let map = |name: &str| {
        env.burrow(&["create", "--name", name, "--userns=auto", "busybox", "true"])
            .ok();
        let out = env
            .burrow(&[
                "inspect",
                "--format",
                "{{range .HostConfig.IDMappings.UidMap}}{{.}} {{end}}",
                name,
            ])
            .ok();
        let f: Vec<u64> = out
            .out()
            .split(':')
            .map(|n| n.parse().expect("number"))
            .collect();
        (f[1], f[1] + f[2])
    };
    let a = map("a1");
    let b = map("a2");
    assert!(a.1 <= b.0 || b.1 <= a.0, "{a:?} and {b:?} overlap");
    let out = env.burrow(&["start", "-a", "a2"]).ok();
    assert_eq!(out.out(), "");
    let run = env
        .burrow(&[
            "run",
            "--rm",
            "--userns=auto",
            "busybox",
            "cat",
            "/proc/self/uid_map",
        ])
        .ok();
    assert_eq!(number_rows(&run.stdout).len(), 1, "{}", run.stdout);

    let host = env
        .burrow(&[
            "run",
            "--rm",
            "--userns=host",
            "busybox",
            "cat",
            "/proc/self/uid_map",
        ])
        .ok();
    let own = env.burrow(&["unshare", "cat", "/proc/self/uid_map"]).ok();
    assert_eq!(number_rows(&host.stdout), number_rows(&own.stdout));
}

// Pins: bad values fail with one podman-worded Error line, exit 125, nothing created.
#[test]
fn bad_userns_values_are_refused() {
    let env = Env::new().with_busybox();
    let many_lines = (0..341)
        .map(|i| format!("{0}:{0}:1", i * 2))
        .collect::<Vec<_>>()
        .join(":");
    for (args, msg) in [
        (
            vec!["--userns=bogus"],
            "unrecognized namespace mode bogus passed",
        ),
        (vec!["--uidmap", "0:x"], "parsing id map value \"x\""),
        (
            vec!["--uidmap", "0:70000:1000"],
            "outside the user namespace",
        ),
        (
            vec!["--userns", "keep-id", "--uidmap", "0:1:1"],
            "mutually exclusive",
        ),
        (vec!["--userns=keep-id:foo=1"], "unknown option"),
        (
            vec!["--userns=auto:size=100000"],
            "no free range of 100000 ids",
        ),
        (vec!["--userns=ns:/proc/1/ns/user"], "not supported yet"),
        (vec!["--userns=container:nosuch"], "no such container"),
        // M3: past the last valid id, or more lines than the kernel takes, refused at create
        // (it used to be accepted, then fail at start).
        (
            vec!["--uidmap", "4294967000:1:1000"],
            "invalid --uidmap \"4294967000:1:1000\"",
        ),
        (vec!["--gidmap", "4294967295:0:1"], "invalid --gidmap"),
        (vec!["--uidmap", &many_lines], "at most 340 lines"),
    ] {
        let mut full = vec!["create", "--name", "bad"];
        full.extend(args.iter().copied());
        full.extend(["busybox", "true"]);
        let out = env.burrow(&full).code(125).stderr_has(msg);
        assert_eq!(
            out.stderr
                .lines()
                .filter(|l| l.starts_with("Error:"))
                .count(),
            1,
            "{out:?}"
        );
        assert!(out.stderr.lines().count() == 1, "{out:?}");
    }
    let ps = env.burrow(&["ps", "-a", "-q"]).ok();
    assert_eq!(ps.out(), "");
}

// Pins: containers.conf's `userns` is the default; --userns=host still wins over it.
#[test]
fn containers_conf_userns_is_the_default() {
    let mut env = Env::new();
    let conf = env.path("conf/containers.conf");
    env.sh(&format!(
        "mkdir -p {} && printf '[containers]\\nuserns = \"keep-id\"\\n' > {}",
        conf.parent().unwrap().display(),
        conf.display()
    ))
    .ok();
    env.set_env("CONTAINERS_CONF", conf.to_str().unwrap());
    let env = env.with_busybox();
    let uid = env.uid().to_string();
    let out = env.burrow(&["run", "--rm", "busybox", "id", "-u"]).ok();
    assert_eq!(out.out(), uid);
    let out = env
        .burrow(&["run", "--rm", "--userns=host", "busybox", "id", "-u"])
        .ok();
    assert_eq!(out.out(), "0");
}

// Pins: nomap leaves the user's own id out: the user's files are nobody's inside, the
// image's files root's.
#[test]
fn nomap_leaves_the_user_out() {
    let env = Env::new().with_busybox();
    let vol = shared_volume(&env);
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--userns=nomap",
            "-v",
            &vol,
            "busybox",
            "sh",
            "-c",
            "head -1 /proc/self/uid_map; stat -c %u /shared/mine /bin/sh",
        ])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().take(2).collect::<Vec<_>>(),
        ["0", "1"],
        "{out:?}"
    );
    assert_eq!(&lines[1..], ["65534", "0"], "{out:?}");
}

// Pins: cp out (as a tar), cp in and export show and take the container's own ids, not the
// shifted ones on disk.
#[test]
fn keep_id_cp_and_export_use_container_owners() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "-d",
        "--name",
        "k",
        "--userns=keep-id",
        "--user",
        "0",
        "busybox",
        "sh",
        "-c",
        "touch /f; sleep 300",
    ])
    .ok();
    let bin = burrow_bin().display().to_string();
    let tar_out = env
        .sh(&format!(
            "sleep 0.3; {bin} cp k:/f - | tar -tv --numeric-owner -f -; {bin} export k | tar -tv --numeric-owner -f - f"
        ))
        .ok();
    let owners: Vec<&str> = tar_out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(owners, ["0/0", "0/0"], "{tar_out:?}");
    let host_file = env.path("in.txt");
    env.sh(&format!("echo hi > {}", host_file.display())).ok();
    env.burrow(&["cp", host_file.to_str().unwrap(), "k:/in.txt"])
        .ok();
    let st = env
        .burrow(&["exec", "k", "stat", "-c", "%u:%g", "/in.txt"])
        .ok();
    assert_eq!(st.out(), "0:0");
    env.burrow(&["rm", "-f", "-t", "0", "k"]).ok();
}

// Pins: compose's `userns_mode` is the service's --userns.
#[test]
fn compose_userns_mode_applies() {
    let env = Env::new().with_busybox();
    let dir = env.path("proj");
    env.sh(&format!(
        "mkdir {0} && printf 'services:\\n  app:\\n    image: localhost/busybox\\n    userns_mode: keep-id\\n    command: [\"sleep\", \"300\"]\\n' > {0}/compose.yaml",
        dir.display()
    ))
    .ok();
    let run = |args: &[&str]| {
        let mut full = vec!["compose"];
        full.extend_from_slice(args);
        let mut cmd = env.command(burrow_bin(), &full);
        cmd.current_dir(&dir);
        env.output(cmd)
    };
    run(&["up", "-d"]).ok();
    let id = run(&["exec", "app", "id", "-u"]).ok();
    assert_eq!(id.out(), env.uid().to_string());
    run(&["down", "-t", "0"]).ok();
}

// Pins: `pod create --userns=keep-id`: the infra holds the namespace, every member joins it
// and runs as the user; a member asking for a namespace of its own is refused.
#[test]
fn pod_userns_is_shared_by_members() {
    let env = Env::new().with_busybox();
    env.burrow(&["pod", "create", "--name", "pk", "--userns=keep-id"])
        .ok();
    env.burrow(&[
        "run", "-d", "--name", "m1", "--pod", "pk", "busybox", "sleep", "300",
    ])
    .ok();
    let ns = |name: &str| {
        env.burrow(&["exec", name, "readlink", "/proc/self/ns/user"])
            .ok()
            .out()
            .to_string()
    };
    // The user namespace and uid of a command run by `burrow ARGS... sh -c`.
    let ns_and_uid = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["sh", "-c", "readlink /proc/self/ns/user; id -u"]);
        let out = env.burrow(&all).ok();
        let mut lines = out.stdout.lines().map(str::to_string);
        let pair = (lines.next(), lines.next());
        match pair {
            (Some(ns), Some(uid)) => (ns, uid),
            _ => panic!("two lines expected: {out:?}"),
        }
    };
    let (member_ns, member_uid) = ns_and_uid(&["run", "--rm", "--pod", "pk", "busybox"]);
    assert_eq!(member_ns, ns("m1"));
    assert_eq!(member_uid, env.uid().to_string());
    let own = env
        .burrow(&["unshare", "readlink", "/proc/self/ns/user"])
        .ok();
    assert_ne!(own.out(), member_ns, "the pod has a namespace of its own");
    env.burrow(&["create", "--pod", "pk", "--userns=nomap", "busybox", "true"])
        .code(125)
        .stderr_has("a pod");
    // `pod clone`: a namespace of its own, made the same way, which the cloned members join.
    env.burrow(&["pod", "clone", "--start", "pk", "pk2"]).ok();
    let clone = env
        .burrow(&["ps", "--filter", "pod=pk2", "--format", "{{.Names}}"])
        .ok()
        .stdout
        .lines()
        .find(|n| !n.contains("infra"))
        .map(str::to_string)
        .expect("a cloned member");
    let (clone_ns, clone_uid) = ns_and_uid(&["exec", &clone]);
    assert_ne!(clone_ns, member_ns);
    assert_ne!(clone_ns, own.out());
    assert_eq!(clone_uid, env.uid().to_string());
    env.burrow(&["pod", "rm", "-f", "-t", "0", "pk", "pk2"])
        .ok();
}

// Pins H1: a container whose namespace leaves the user out (auto, nomap) used to chmod the
// data root to 0711, opening it to every local user; it stays 0700, and a 0711 left by that
// version is taken back on the next start. The container still reads its image and writes.
// (No network: slirp4netns has its own race with the id change, see become_userns_root.)
#[test]
fn unmapped_user_keeps_the_data_root_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new().with_busybox();
    let root = env.data_dir().join("burrow");
    let mode = || {
        std::fs::metadata(&root)
            .expect("data root")
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode(), 0o700, "before any container");
    for userns in ["--userns=auto", "--userns=nomap", "--uidmap=0:1:5000"] {
        let out = env
            .burrow(&[
                "run",
                "--rm",
                "--network=none",
                userns,
                "busybox",
                "sh",
                "-c",
                "head -c 5 /etc/passwd; echo; echo hi > /tmp/f && cat /tmp/f; id -u",
            ])
            .ok();
        assert_eq!(out.lines(), ["root:", "hi", "0"], "{userns}: {out:?}");
        assert_eq!(mode(), 0o700, "{userns} left the data root at {:o}", mode());
    }
    // A container kept across starts (upper layer reused, no --rm).
    env.burrow(&[
        "create",
        "--name",
        "kept",
        "--network=none",
        "--userns=auto",
        "busybox",
        "sh",
        "-c",
        "echo x >> /log; cat /log",
    ])
    .ok();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o711)).expect("chmod");
    assert_eq!(env.burrow(&["start", "-a", "kept"]).ok().out(), "x");
    assert_eq!(
        mode(),
        0o700,
        "the 0711 of an earlier version is taken back"
    );
    assert_eq!(
        env.burrow(&["start", "-a", "kept"]).ok().lines(),
        ["x", "x"]
    );
    assert_eq!(mode(), 0o700);
}

/// busybox with a second layer that adds /data/a and removes /bin/true's neighbour
/// /bin/false: the mapped copy has two layers to merge.
fn two_layer_archive() -> Vec<u8> {
    let base = std::fs::read(common::busybox_tar()).expect("read busybox rootfs tar");
    let mut top = archives::LayerBuilder::new();
    top.dir("data", 0o755)
        .file_owned("data/a", 0o644, (7, 8), b"a")
        .whiteout("bin", "false");
    archives::docker_archive(
        &archives::ImageSpec::new(vec![base, top.finish()]),
        &["twolayer:latest"],
    )
}

// Pins H2 and H1 for every driver: the merged copy of a multi-layer image for a user
// namespace (made through fuse-overlayfs with that driver) used to hang for ever, its pipe
// held open by the daemonized fuse-overlayfs; the rootfs burrow mounts for the container
// must show the layers merged and take writes, with the data root left 0700.
#[test]
fn unmapped_user_multi_layer_image_on_every_driver() {
    use std::os::unix::fs::PermissionsExt;
    for driver in ["overlay", "fuse-overlayfs", "vfs"] {
        let mut env = Env::new();
        env.set_timeout(std::time::Duration::from_secs(60));
        env.load_archive_with(driver, &two_layer_archive());
        let out = env
            .burrow(&[
                "--storage-driver",
                driver,
                "run",
                "--rm",
                "--userns=auto",
                "--network=none",
                "twolayer",
                "sh",
                "-c",
                "stat -c '%u:%g' /data/a; test -e /bin/false || echo gone; echo w > /data/b && cat /data/b",
            ])
            .ok();
        assert_eq!(out.lines(), ["7:8", "gone", "w"], "{driver}: {out:?}");
        let root = env.data_dir().join("burrow");
        let mode = std::fs::metadata(&root)
            .expect("data root")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700, "{driver}");
    }
}

// Pins M2: an image id the container's map leaves out used to keep its raw value in the
// mapped copy, which the container could see as one of its own users (here 65535 became
// 65533 inside); it is nobody (65534) now, and a map that covers neither the id nor 65534 is
// refused at start, naming the id.
#[test]
fn image_ids_outside_the_map_are_nobody_or_refused() {
    let env = Env::new();
    let base = std::fs::read(common::busybox_tar()).expect("read busybox rootfs tar");
    let mut top = archives::LayerBuilder::new();
    top.dir("data", 0o755)
        .file_owned("data/f", 0o644, (65535, 65535), b"f");
    let tar = archives::docker_archive(
        &archives::ImageSpec::new(vec![base, top.finish()]),
        &["highids:latest"],
    );
    env.load_archive_with("overlay", &tar);
    // 0..65534 to 2..65536: 65535 is unmapped, 65534 is the user's namespace's 65536.
    let wide = "--uidmap=0:2:65535";
    let stat = [
        "run",
        "--rm",
        "--network=none",
        wide,
        "highids",
        "stat",
        "-c",
        "%u:%g",
        "/data/f",
    ];
    let out = env.burrow(&stat).ok();
    assert_eq!(out.out(), "65534:65534", "{out:?}");
    env.burrow(&[
        "create",
        "--name",
        "narrow",
        "--network=none",
        "--uidmap=0:1:5000",
        "highids",
        "true",
    ])
    .ok();
    let out = env
        .burrow(&["start", "narrow"])
        .code(125)
        .stderr_has("files owned by uid 65535");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    // Nothing of that copy is kept: the same map fails the same way again.
    env.burrow(&["start", "narrow"])
        .code(125)
        .stderr_has("files owned by uid 65535");
}

#[path = "common/net.rs"]
mod net;

// Pins: a container in its own user namespace gets its network from slirp4netns (or pasta)
// and a published port through the forwarder, all set up before it changes its ids, after
// which it stays non-dumpable until its command: each of several in a row answers.
#[test]
fn userns_containers_publish_ports() {
    let env = Env::new().with_busybox();
    let cases = [
        ("auto", "slirp4netns"),
        ("nomap", "slirp4netns"),
        ("keep-id", "slirp4netns"),
        ("auto", "pasta"),
        ("auto", "slirp4netns"),
    ];
    for (i, (mode, network)) in cases.iter().enumerate() {
        let port = net::free_port();
        let name = format!("web{i}");
        let page = format!("hello-{mode}-{network}");
        env.burrow(&[
            "run",
            "-d",
            "--name",
            &name,
            &format!("--userns={mode}"),
            &format!("--network={network}"),
            "-p",
            &format!("{port}:8080"),
            "busybox",
            "sh",
            "-c",
            &format!("mkdir -p /tmp/www && echo {page} > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"),
        ])
        .ok();
        let resp = net::wait_http(port, &page);
        assert!(
            resp.ends_with(&format!("{page}\n")),
            "{mode} {network}: {resp:?}"
        );
        env.burrow(&["rm", "-f", "-t", "0", &name]).ok();
    }
}
