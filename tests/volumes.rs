//! End-to-end tests of volumes: `volume create/ls/inspect/rm/prune/exists/import/export`,
//! `-v NAME:/path` (created when missing, filled from the image on first use), anonymous
//! volumes, `--mount`, `--tmpfs`, `--volumes-from` and `:U`. Every command runs the real
//! binary as the unprivileged test user (see tests/common).

mod common;

use common::{BUSYBOX, Env, busybox_tar};
use serde_json::Value;

fn inspect(env: &Env, name: &str) -> Value {
    let out = env.burrow(&["volume", "inspect", name]).ok();
    let v: Value = serde_json::from_str(&out.stdout).expect("volume inspect prints JSON");
    v[0].clone()
}

fn volume_names(env: &Env) -> Vec<String> {
    env.burrow(&["volume", "ls", "-q"])
        .ok()
        .lines()
        .iter()
        .map(|s| s.to_string())
        .collect()
}

// create/ls/inspect/exists/rm: podman's fields, labels and options recorded, the directory under the data root.
#[test]
fn volume_lifecycle_and_inspect_fields() {
    let env = Env::new();
    env.burrow(&[
        "volume",
        "create",
        "--label",
        "app=web",
        "--opt",
        "type=tmpfs",
        "--opt",
        "o=size=4m",
        "data",
    ])
    .ok()
    .stdout_has("data");
    let v = inspect(&env, "data");
    assert_eq!(v["Name"], "data");
    assert_eq!(v["Driver"], "local");
    assert_eq!(v["Scope"], "local");
    assert_eq!(v["Labels"]["app"], "web");
    assert_eq!(v["Options"]["type"], "tmpfs");
    assert_eq!(v["NeedsCopyUp"], true);
    let mp = v["Mountpoint"].as_str().unwrap().to_string();
    assert!(mp.ends_with("/volumes/data/_data"), "{mp}");
    assert!(mp.starts_with(env.data_dir().to_str().unwrap()), "{mp}");
    assert!(v["CreatedAt"].as_str().is_some_and(|s| s.contains('T')));
    let ls = env.burrow(&["volume", "ls"]).ok();
    assert_eq!(
        ls.lines()[0].split_whitespace().collect::<Vec<_>>(),
        ["DRIVER", "VOLUME", "NAME"]
    );
    assert!(ls.lines()[1].starts_with("local") && ls.lines()[1].ends_with("data"));
    env.burrow(&["volume", "exists", "data"]).ok();
    env.burrow(&["volume", "create", "data"])
        .code(125)
        .stderr_has("already exists");
    env.burrow(&["volume", "create", "--ignore", "data"]).ok();
    let anon = env.burrow(&["volume", "create"]).ok();
    assert_eq!(anon.out().len(), 64, "a random name: {anon:?}");
    env.burrow(&["volume", "rm", "data"])
        .ok()
        .stdout_has("data");
    env.burrow(&["volume", "exists", "data"]).code(1);
    assert!(!std::path::Path::new(&mp).exists());
}

// Unknown volumes and bad names: one-line errors, podman's exit codes, nothing created.
#[test]
fn unknown_volume_and_bad_input_fail_cleanly() {
    let env = Env::new().with_busybox();
    let e = env.burrow(&["volume", "inspect", "nope"]).code(125);
    assert_eq!(
        e.stderr.trim(),
        "Error: no volume with name \"nope\" found: no such volume"
    );
    // An unknown volume on rm: 1, as podman-volume-rm(1) says.
    env.burrow(&["volume", "rm", "nope"])
        .code(1)
        .stderr_has("no such volume");
    env.burrow(&["volume", "create", "bad/name"])
        .code(125)
        .stderr_has("invalid volume name");
    env.burrow(&["volume", "create", "--driver", "nfs", "x"])
        .code(125)
        .stderr_has("local");
    env.burrow(&[
        "volume",
        "create",
        "--opt",
        "type=nfs",
        "--opt",
        "device=srv:/x",
        "y",
    ])
    .code(125)
    .stderr_has("type=tmpfs");
    env.burrow(&["run", "--rm", "-v", "ok:/data:bogus", BUSYBOX, "true"])
        .code(125)
        .stderr_has("unknown option \"bogus\"");
    // A create that fails after its volumes were made takes them back.
    let cid = env.path("cid");
    env.sh(&format!("touch {}", cid.display())).ok();
    env.burrow(&[
        "create",
        "--cidfile",
        cid.to_str().unwrap(),
        "-v",
        "late:/d",
        "-v",
        "/anon",
        BUSYBOX,
        "true",
    ])
    .code(125);
    assert!(volume_names(&env).is_empty());
    assert!(env.burrow(&["ps", "-aq"]).ok().out().is_empty());
}

// Pins: an empty source (`-v :/x`, `--mount ...,src=,...`) is podman's one-line error, exit
// 125, and creates nothing; `-v :/x` used to make an anonymous volume.
#[test]
fn empty_volume_source_is_an_error() {
    let env = Env::new().with_busybox();
    let cases: [(&[&str], &str); 5] = [
        (&["-v", ":/x"], "Error: host directory cannot be empty"),
        (&["-v", ":/x:ro"], "Error: host directory cannot be empty"),
        (&["-v", "/x:"], "Error: container directory cannot be empty"),
        (
            &["--mount", "type=bind,src=,dst=/x"],
            "Error: host directory cannot be empty: must provide an argument for option",
        ),
        (
            &["--mount", "type=volume,source=,target=/x"],
            "Error: host directory cannot be empty: must provide an argument for option",
        ),
    ];
    for (flags, error) in cases {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[BUSYBOX, "true"]);
        let out = env.burrow(&args).code(125);
        assert_eq!(out.stderr.trim_end(), error, "{out:?}");
    }
    assert!(volume_names(&env).is_empty(), "{:?}", volume_names(&env));
    assert!(env.burrow(&["ps", "-aq"]).ok().out().is_empty());
}

// Pins: volume names follow podman's rule and are at most 253 characters, on `volume create`
// and `-v NAME:/x` alike; a refused name creates nothing. 5000 characters were accepted by the
// rule and failed late on the volume's directory name.
#[test]
fn volume_names_are_checked_before_anything_is_created() {
    let env = Env::new().with_busybox();
    let long = "v".repeat(254);
    let out = env.burrow(&["volume", "create", &long]).code(125);
    assert_eq!(
        out.stderr.trim_end(),
        format!(
            "Error: invalid volume name \"{}...\" (254 characters): names must be at most 253 characters: invalid argument",
            &long[..40]
        )
    );
    let out = env
        .burrow(&["run", "--rm", "-v", &format!("{long}:/x"), BUSYBOX, "true"])
        .code(125);
    assert!(out.stderr.contains("at most 253 characters"), "{out:?}");
    let out = env.burrow(&["volume", "create", "a b"]).code(125);
    assert_eq!(
        out.stderr.trim_end(),
        "Error: invalid volume name \"a b\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
    );
    assert!(volume_names(&env).is_empty(), "{:?}", volume_names(&env));
    assert!(env.burrow(&["ps", "-aq"]).ok().out().is_empty());
    // The longest name allowed works end to end (its directory under the data root too).
    let max = "v".repeat(253);
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        &format!("{max}:/x"),
        BUSYBOX,
        "touch",
        "/x/f",
    ])
    .ok();
    assert_eq!(volume_names(&env), vec![max]);
}

// `-v NAME:/path` creates the volume; what a container writes there outlives it, owned by container root.
#[test]
fn named_volume_is_created_persists_and_belongs_to_container_root() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "store:/data",
        BUSYBOX,
        "sh",
        "-c",
        "echo kept > /data/f && stat -c %u:%g /data",
    ])
    .ok()
    .stdout_has("0:0");
    assert_eq!(volume_names(&env), ["store"]);
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "store:/srv:ro",
        BUSYBOX,
        "cat",
        "/srv/f",
    ])
    .ok()
    .stdout_has("kept");
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "store:/srv:ro",
        BUSYBOX,
        "touch",
        "/srv/g",
    ])
    .fails()
    .stderr_has("Read-only");
    // On the host the file belongs to the user who ran burrow.
    let mp = inspect(&env, "store")["Mountpoint"]
        .as_str()
        .unwrap()
        .to_string();
    let meta = std::fs::metadata(format!("{mp}/f")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), env.uid());
}

// A new empty volume over an image path gets the image's content (owners, modes) first; nocopy skips it.
#[test]
fn new_volume_is_filled_from_the_image_unless_nocopy() {
    let env = Env::new().with_busybox();
    let plain = env
        .burrow(&[
            "run",
            "--rm",
            BUSYBOX,
            "stat",
            "-c",
            "%a %u %n",
            "/etc/shadow",
            "/etc/passwd",
        ])
        .ok();
    let filled = env
        .burrow(&[
            "run",
            "--rm",
            "-v",
            "etcvol:/etc",
            BUSYBOX,
            "stat",
            "-c",
            "%a %u %n",
            "/etc/shadow",
            "/etc/passwd",
        ])
        .ok();
    assert_eq!(filled.stdout, plain.stdout);
    assert_eq!(inspect(&env, "etcvol")["NeedsCopyUp"], false);
    // Once used, the volume keeps its own content: a change survives, no second copy-up.
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "etcvol:/etc",
        BUSYBOX,
        "rm",
        "/etc/shadow",
    ])
    .ok();
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "etcvol:/etc",
        BUSYBOX,
        "ls",
        "/etc/shadow",
    ])
    .fails();
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "empty:/etc:nocopy",
        BUSYBOX,
        "ls",
        "-A",
        "/etc",
    ])
    .ok();
    let mp = inspect(&env, "empty")["Mountpoint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!std::path::Path::new(&format!("{mp}/passwd")).exists());
}

// The image's VOLUME entries and `-v /path` get anonymous volumes; `rm -v` and `--rm` remove them, named ones stay.
#[test]
fn anonymous_volumes_go_with_rm_v_and_auto_remove() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "import",
        "--change",
        "VOLUME /vol",
        busybox_tar().to_str().unwrap(),
        "localhost/withvol",
    ])
    .ok();
    env.burrow(&[
        "create",
        "--name",
        "c1",
        "-v",
        "/cache",
        "-v",
        "named:/named",
        "localhost/withvol",
        "true",
    ])
    .ok();
    let mut vols = volume_names(&env);
    vols.sort();
    assert_eq!(vols.len(), 3, "{vols:?}");
    assert!(vols.contains(&"named".to_string()));
    let anon = vols.iter().find(|v| v.len() == 64).unwrap().clone();
    assert_eq!(inspect(&env, &anon)["Anonymous"], true);
    let mounts = env
        .burrow(&[
            "inspect",
            "--format",
            "{{range .Mounts}}{{.Destination}} {{end}}",
            "c1",
        ])
        .ok();
    for d in ["/cache", "/named", "/vol"] {
        assert!(mounts.stdout.contains(d), "{mounts:?}");
    }
    env.burrow(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{.Name}}:{{.Driver}} {{end}}",
        "c1",
    ])
    .ok()
    .stdout_has("named:local");
    env.burrow(&["rm", "-v", "c1"]).ok();
    assert_eq!(volume_names(&env), ["named"]);
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "/scratch",
        BUSYBOX,
        "touch",
        "/scratch/x",
    ])
    .ok();
    // --rm deletes in the background: give it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while volume_names(&env).len() > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(volume_names(&env), ["named"]);
    // Without -v the anonymous volume stays, as in podman.
    env.burrow(&["create", "--name", "c2", "-v", "/keep", BUSYBOX, "true"])
        .ok();
    env.burrow(&["rm", "c2"]).ok();
    assert_eq!(volume_names(&env).len(), 2);
}

// `volume rm` refuses a volume a container uses (exit 2, nothing removed); -f removes the container too.
#[test]
fn volume_in_use_is_refused_unless_forced() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "user", "-v", "busy:/d", BUSYBOX, "true"])
        .ok();
    // podman exits 2 for an object in use.
    let e = env.burrow(&["volume", "rm", "busy"]).code(2);
    assert!(e.stderr.contains("volume is being used"), "{e:?}");
    assert_eq!(e.stderr.trim().lines().count(), 1, "{e:?}");
    env.burrow(&["volume", "exists", "busy"]).ok();
    env.burrow(&["container", "exists", "user"]).ok();
    env.burrow(&["volume", "rm", "-f", "busy"]).ok();
    env.burrow(&["volume", "exists", "busy"]).code(1);
    env.burrow(&["container", "exists", "user"]).code(1);
}

// prune removes only unused volumes (label filter honoured); ls filters by name, label, dangling.
#[test]
fn prune_and_ls_filters() {
    let env = Env::new().with_busybox();
    env.burrow(&["volume", "create", "--label", "keep=yes", "kept"])
        .ok();
    env.burrow(&["volume", "create", "loose"]).ok();
    env.burrow(&["create", "-v", "used:/u", BUSYBOX, "true"])
        .ok();
    let q = |f: &str| {
        env.burrow(&["volume", "ls", "-q", "--filter", f])
            .ok()
            .stdout
    };
    assert_eq!(q("dangling=true"), "kept\nloose\n");
    assert_eq!(q("dangling=false"), "used\n");
    assert_eq!(q("label=keep=yes"), "kept\n");
    assert_eq!(q("name=oos"), "loose\n");
    env.burrow(&["volume", "ls", "--filter", "bogus=1"])
        .code(125);
    let f = env
        .burrow(&["volume", "ls", "--format", "{{.Name}}={{.Driver}}"])
        .ok();
    assert_eq!(f.lines(), ["kept=local", "loose=local", "used=local"]);
    env.burrow(&["volume", "prune", "-f", "--filter", "label!=keep=yes"])
        .ok();
    assert_eq!(volume_names(&env), ["kept", "used"]);
    env.burrow(&["volume", "prune", "-f"])
        .ok()
        .stdout_has("kept");
    assert_eq!(volume_names(&env), ["used"]);
}

// export then import carries a volume's files; importing into a missing volume fails before reading.
#[test]
fn export_and_import_round_trip() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "src:/d",
        BUSYBOX,
        "sh",
        "-c",
        "mkdir /d/sub && echo payload > /d/sub/f",
    ])
    .ok();
    let tar = env.path("vol.tar");
    env.burrow(&["volume", "export", "src", "-o", tar.to_str().unwrap()])
        .ok();
    env.burrow(&["volume", "create", "dst"]).ok();
    env.burrow(&["volume", "import", "dst", tar.to_str().unwrap()])
        .ok();
    env.burrow(&["run", "--rm", "-v", "dst:/x", BUSYBOX, "cat", "/x/sub/f"])
        .ok()
        .stdout_has("payload");
    env.burrow(&["volume", "import", "missing", tar.to_str().unwrap()])
        .code(125)
        .stderr_has("no such volume");
    let data = std::fs::read(&tar).unwrap();
    env.burrow(&["volume", "create", "piped"]).ok();
    env.burrow_stdin(&["volume", "import", "piped", "-"], data)
        .ok();
    env.burrow(&["run", "--rm", "-v", "piped:/x", BUSYBOX, "cat", "/x/sub/f"])
        .ok()
        .stdout_has("payload");
}

// --mount type=volume|tmpfs|bind|image works; an invalid --mount is one error line, exit 125, no container.
#[test]
fn mount_flag_types_and_errors() {
    let env = Env::new().with_busybox();
    let host = env.path("hostdir");
    env.sh(&format!(
        "mkdir -p {0} && echo from-host > {0}/h",
        host.display()
    ))
    .ok();
    let out = env
        .burrow(&[
            "run", "--rm",
            "--mount", "type=volume,src=mv,dst=/v",
            "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m",
            "--mount", &format!("type=bind,src={},dst=/h,ro", host.display()),
            "--mount", &format!("type=image,src={BUSYBOX},dst=/img"),
            BUSYBOX, "sh", "-c",
            "touch /v/ok && grep ' /t ' /proc/mounts && cat /h/h && ls /img/bin/busybox && (touch /h/x 2>/dev/null || echo bind-ro) && (touch /img/x 2>/dev/null || echo image-ro)",
        ])
        .ok();
    for want in [
        "tmpfs",
        "from-host",
        "/img/bin/busybox",
        "bind-ro",
        "image-ro",
    ] {
        assert!(out.stdout.contains(want), "{want}: {out:?}");
    }
    assert_eq!(volume_names(&env), ["mv"]);
    for bad in [
        "type=bind,dst=/x",
        "type=nfs,src=a,dst=/x",
        "src=v,dst=/x",
        "type=volume,src=v,dst=relative",
        "type=volume,src=v,dst=/x,colour=blue",
    ] {
        let e = env
            .burrow(&["create", "--mount", bad, BUSYBOX, "true"])
            .code(125);
        assert!(
            e.stderr.starts_with("Error: invalid --mount"),
            "{bad}: {e:?}"
        );
        assert_eq!(e.stderr.trim().lines().count(), 1, "{e:?}");
    }
    assert!(env.burrow(&["ps", "-aq"]).ok().out().is_empty());
    assert_eq!(volume_names(&env), ["mv"]);
}

// --volumes-from shares another container's volumes, :ro making them read-only; --tmpfs mounts a tmpfs.
#[test]
fn volumes_from_and_tmpfs() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "first",
        "-v",
        "shared:/shared",
        BUSYBOX,
        "sh",
        "-c",
        "echo one > /shared/f",
    ])
    .ok();
    env.burrow(&[
        "run",
        "--rm",
        "--volumes-from",
        "first",
        BUSYBOX,
        "cat",
        "/shared/f",
    ])
    .ok()
    .stdout_has("one");
    env.burrow(&[
        "run",
        "--rm",
        "--volumes-from",
        "first:ro",
        BUSYBOX,
        "touch",
        "/shared/g",
    ])
    .fails()
    .stderr_has("Read-only");
    env.burrow(&["run", "--rm", "--volumes-from", "nosuch", BUSYBOX, "true"])
        .code(125)
        .stderr_has("no such container");
    env.burrow(&[
        "run",
        "--rm",
        "--tmpfs",
        "/scratch:size=1m",
        BUSYBOX,
        "grep",
        " /scratch ",
        "/proc/mounts",
    ])
    .ok()
    .stdout_has("tmpfs");
}

// `:U` gives the volume to the container's user; a volume with --opt type=tmpfs is a tmpfs in the container.
#[test]
fn chown_option_and_tmpfs_volume() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--rm",
        "-u",
        "1000:1000",
        "-v",
        "owned:/data:U",
        BUSYBOX,
        "sh",
        "-c",
        "stat -c %u:%g /data && touch /data/mine",
    ])
    .ok()
    .stdout_has("1000:1000");
    env.burrow(&[
        "volume",
        "create",
        "--opt",
        "type=tmpfs",
        "--opt",
        "device=tmpfs",
        "--opt",
        "o=size=2m",
        "ram",
    ])
    .ok();
    env.burrow(&[
        "run",
        "--rm",
        "-v",
        "ram:/ram",
        BUSYBOX,
        "grep",
        " /ram ",
        "/proc/mounts",
    ])
    .ok()
    .stdout_has("tmpfs");
}

// Pins: `volume prune` without -f asks podman's [y/N] question: "n" (or no answer) keeps the
// unused volume, "y" removes it.
#[test]
fn prune_asks_before_removing() {
    let env = Env::new();
    env.burrow(&["volume", "create", "idle"]).ok();
    env.burrow_stdin(&["volume", "prune"], "n\n")
        .ok()
        .stdout_has("Are you sure you want to continue? [y/N]");
    env.burrow(&["volume", "exists", "idle"]).ok();
    env.burrow_stdin(&["volume", "prune"], "").ok();
    env.burrow(&["volume", "exists", "idle"]).ok();
    env.burrow_stdin(&["volume", "prune"], "y\n")
        .ok()
        .stdout_has("idle");
    env.burrow(&["volume", "exists", "idle"]).fails();
}

// Pins: `-v DIR:DST:O` mounts an overlay: the container sees the host files and can change,
// add and delete them, the host directory stays as it was, and a restart starts from the
// host's content again; O with a file source or with U is refused (125, no container).
#[test]
fn overlay_volume_leaves_the_source_untouched() {
    let env = Env::new().with_busybox();
    let host = env.path("lower");
    env.sh(&format!(
        "mkdir -p {0} && echo original > {0}/keep && echo doomed > {0}/gone",
        host.display()
    ))
    .ok();
    let spec = format!("{}:/data:O", host.display());
    let script = "cat /data/keep; echo changed > /data/keep; rm /data/gone; echo new > /data/added; \
                  ls /data | tr '\\n' ' '; echo; cat /data/keep";
    env.burrow(&[
        "create", "--name", "ov", "-v", &spec, BUSYBOX, "sh", "-c", script,
    ])
    .ok();
    for _ in 0..2 {
        // Each start sees the host's files, not what the previous run wrote.
        let out = env.burrow(&["start", "-a", "ov"]).ok();
        assert_eq!(out.stdout, "original\nadded keep \nchanged\n", "{out:?}");
    }
    let listing = env
        .sh(&format!("cat {0}/keep {0}/gone; ls {0}", host.display()))
        .ok();
    assert_eq!(listing.stdout, "original\ndoomed\ngone\nkeep\n");
    let file = host.join("keep");
    for bad in [
        format!("{}:/f:O", file.display()),
        format!("{}:/d:O,U", host.display()),
    ] {
        let e = env
            .burrow(&["create", "-v", &bad, BUSYBOX, "true"])
            .code(125);
        assert_eq!(e.stderr.trim().lines().count(), 1, "{e:?}");
    }
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().out().lines().count(), 1);
}
