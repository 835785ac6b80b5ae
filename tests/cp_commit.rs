//! End-to-end tests of `cp` (host <-> container, running or stopped, tar streams, `/.`,
//! symlinks resolved inside the container), `commit` and `diff`. Every command runs the
//! real binary as the unprivileged test user (see tests/common).

mod common;

use common::{BUSYBOX, Env};
use serde_json::Value;
use std::fs;

/// A created (never started) container named `name`.
fn created(env: &Env, name: &str) {
    env.burrow(&["create", "--name", name, BUSYBOX, "sleep", "300"])
        .ok();
}

/// A running container named `name`.
fn running(env: &Env, name: &str) {
    env.burrow(&["run", "-d", "--name", name, BUSYBOX, "sleep", "300"])
        .ok();
}

fn write_host(env: &Env, rel: &str, content: &str) -> String {
    let p = env.path(rel);
    env.sh(&format!(
        "mkdir -p $(dirname {0}) && printf '%s' '{content}' > {0}",
        p.display()
    ))
    .ok();
    p.display().to_string()
}

// host -> stopped container and back: a file lands by name, into a directory by its base name.
#[test]
fn cp_file_both_ways_with_a_stopped_container() {
    let env = Env::new().with_busybox();
    created(&env, "box");
    let src = write_host(&env, "in/hello.txt", "hello");
    env.burrow(&["cp", &src, "box:/tmp/renamed.txt"]).ok();
    env.burrow(&["cp", "-a", &src, "box:/root/"]).ok();
    // A relative container path starts at the container's working directory.
    env.burrow(&["cp", &src, "box:rel.txt"]).ok();
    env.burrow(&["cp", "box:rel.txt", env.path("rel.back").to_str().unwrap()])
        .ok();
    assert_eq!(fs::read_to_string(env.path("rel.back")).unwrap(), "hello");
    let back = env.path("back.txt");
    env.burrow(&["cp", "box:/tmp/renamed.txt", back.to_str().unwrap()])
        .ok();
    assert_eq!(fs::read_to_string(&back).unwrap(), "hello");
    env.burrow(&["start", "box"]).ok();
    env.burrow(&["exec", "box", "cat", "/root/hello.txt"])
        .ok()
        .stdout_has("hello");
    // Copied in as the container's user (root): podman's default --archive.
    env.burrow(&["exec", "box", "stat", "-c", "%u:%g", "/tmp/renamed.txt"])
        .ok()
        .stdout_has("0:0");
    env.burrow(&["rm", "-f", "box"]).ok();
}

// A running container: directories copied whole, or only their contents with a trailing `/.`.
#[test]
fn cp_directories_with_a_running_container_and_dot_semantics() {
    let env = Env::new().with_busybox();
    running(&env, "live");
    env.burrow(&[
        "exec",
        "live",
        "sh",
        "-c",
        "mkdir -p /srv/app/sub && echo a > /srv/app/sub/f && ln -s sub/f /srv/app/link",
    ])
    .ok();
    let out = env.path("out");
    env.sh(&format!("mkdir -p {}", out.display())).ok();
    env.burrow(&["cp", "live:/srv/app", out.to_str().unwrap()])
        .ok();
    assert_eq!(fs::read_to_string(out.join("app/sub/f")).unwrap(), "a\n");
    assert_eq!(
        fs::read_link(out.join("app/link")).unwrap().to_str(),
        Some("sub/f")
    );
    let flat = env.path("flat");
    env.sh(&format!("mkdir -p {}", flat.display())).ok();
    env.burrow(&["cp", "live:/srv/app/.", flat.to_str().unwrap()])
        .ok();
    assert!(flat.join("sub/f").is_file());
    assert!(!flat.join("app").exists());
    // host dir -> container: a new name takes the directory's contents.
    write_host(&env, "tree/x/y", "deep");
    env.burrow(&["cp", env.path("tree").to_str().unwrap(), "live:/newtree"])
        .ok();
    env.burrow(&["exec", "live", "cat", "/newtree/x/y"])
        .ok()
        .stdout_has("deep");
    env.burrow(&["rm", "-f", "live"]).ok();
}

// `-` is a tar stream: out on stdout named by the base name, in from stdin into a directory.
#[test]
fn cp_tar_streams() {
    let env = Env::new().with_busybox();
    created(&env, "box");
    let tar = env.burrow(&["cp", "box:/etc", "-"]).ok();
    let mut ar = tar::Archive::new(tar.stdout.as_bytes());
    let names: Vec<String> = ar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert!(names.iter().any(|n| n == "etc/passwd"), "{names:?}");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(6);
    h.set_mode(0o600);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    b.append_data(&mut h, "streamed/file", &b"stream"[..])
        .unwrap();
    let data = b.into_inner().unwrap();
    env.burrow_stdin(&["cp", "-", "box:/tmp"], data).ok();
    env.burrow(&["start", "box"]).ok();
    env.burrow(&["exec", "box", "stat", "-c", "%a %s", "/tmp/streamed/file"])
        .ok()
        .stdout_has("600 6");
    env.burrow_stdin(&["cp", "-", "box:/etc/passwd"], b"x")
        .code(125)
        .stderr_has("existing directory");
    env.burrow(&["rm", "-f", "box"]).ok();
}

// Reading: a container symlink to /etc/passwd or to a host file yields the container's file, never the host's.
#[test]
fn cp_out_never_follows_a_container_symlink_to_the_host() {
    let env = Env::new().with_busybox();
    let secret = write_host(&env, "secret.txt", "host-secret");
    env.burrow(&[
        "run", "--name", "evil", BUSYBOX, "sh", "-c",
        &format!("ln -s /etc/passwd /leak && ln -s {secret} /leak2 && mkdir -p $(dirname {secret}) && echo container-copy > {secret}.c"),
    ])
    .ok();
    let out = env.path("leak.out");
    env.burrow(&["cp", "evil:/leak", out.to_str().unwrap()])
        .ok();
    let got = fs::read_to_string(&out).unwrap();
    let host = fs::read_to_string("/etc/passwd").unwrap();
    assert_ne!(got, host);
    assert!(got.contains("root:x:0:0"), "{got}");
    assert!(
        !got.contains(&env.user().name),
        "the host's passwd leaked: {got}"
    );
    // The host file exists at that path on the host, but not in the container.
    let out2 = env.path("leak2.out");
    env.burrow(&["cp", "evil:/leak2", out2.to_str().unwrap()])
        .code(125);
    assert!(!out2.exists());
}

// Writing: a container symlink (file or directory on the way) to a host path writes inside the container only.
#[test]
fn cp_in_never_writes_through_a_container_symlink_to_the_host() {
    let env = Env::new().with_busybox();
    let victim = write_host(&env, "victim/file", "original");
    let victim_dir = env.path("victim");
    env.burrow(&[
        "run",
        "--name",
        "evil",
        BUSYBOX,
        "sh",
        "-c",
        &format!(
            "ln -s {victim} /evil && ln -s {} /evildir && mkdir -p {}",
            victim_dir.display(),
            victim_dir.display()
        ),
    ])
    .ok();
    // A link inside a directory the copy merges into: replaced, never written through.
    env.burrow(&[
        "run",
        "--name",
        "evil2",
        BUSYBOX,
        "sh",
        "-c",
        &format!("mkdir /merge && ln -s {victim} /merge/file"),
    ])
    .ok();
    write_host(&env, "tree/file", "merged");
    env.burrow(&[
        "cp",
        &format!("{}/.", env.path("tree").display()),
        "evil2:/merge",
    ])
    .ok();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "original");
    let merged = env.path("merged.out");
    env.burrow(&["cp", "evil2:/merge/file", merged.to_str().unwrap()])
        .ok();
    assert_eq!(fs::read_to_string(&merged).unwrap(), "merged");
    let payload = write_host(&env, "payload", "overwritten");
    env.burrow(&["cp", &payload, "evil:/evil"]).ok();
    env.burrow(&["cp", &payload, "evil:/evildir/dropped"]).ok();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "original");
    assert!(!victim_dir.join("dropped").exists());
    // The writes landed in the container, at the symlinks' targets re-rooted there.
    let back = env.path("back");
    env.burrow(&[
        "cp",
        &format!("evil:{}/dropped", victim_dir.display()),
        back.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(fs::read_to_string(&back).unwrap(), "overwritten");
}

// Bad cp input: a missing container path or parent, an unknown container: one error line, exit 125, nothing written.
#[test]
fn cp_errors() {
    let env = Env::new().with_busybox();
    created(&env, "box");
    let src = write_host(&env, "f", "x");
    let e = env.burrow(&["cp", &src, "box:/no/such/dir/f"]).code(125);
    assert!(e.stderr.contains("no such file or directory"), "{e:?}");
    assert_eq!(e.stderr.trim().lines().count(), 1);
    env.burrow(&["cp", "box:/nope", env.path("o").to_str().unwrap()])
        .code(125)
        .stderr_has("/nope");
    assert!(!env.path("o").exists());
    env.burrow(&["cp", &src, "ghost:/tmp"])
        .code(125)
        .stderr_has("no such container");
    env.burrow(&["cp", &src, env.path("g").to_str().unwrap()])
        .code(125)
        .stderr_has("CONTAINER:PATH");
    env.burrow(&["diff", "box"]).ok();
    assert!(
        env.burrow(&["diff", "box"]).ok().out().is_empty(),
        "nothing changed"
    );
}

// diff lists A/C/D like podman (init mount points hidden), for the container and for its committed image.
#[test]
fn diff_container_and_image() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "ch",
        BUSYBOX,
        "sh",
        "-c",
        "echo new > /added && rm /etc/group && echo x >> /etc/passwd && mkdir /newdir",
    ])
    .ok();
    let d = env.burrow(&["diff", "ch"]).ok();
    assert_eq!(
        d.lines(),
        [
            "A /added",
            "C /etc",
            "D /etc/group",
            "C /etc/passwd",
            "A /newdir"
        ]
    );
    let j: Value =
        serde_json::from_str(&env.burrow(&["diff", "--format", "json", "ch"]).ok().stdout).unwrap();
    assert_eq!(j["deleted"], serde_json::json!(["/etc/group"]));
    assert_eq!(j["added"], serde_json::json!(["/added", "/newdir"]));
    env.burrow(&["commit", "-q", "ch", "localhost/changed"])
        .ok();
    let di = env.burrow(&["diff", "localhost/changed"]).ok();
    assert_eq!(di.lines(), d.lines());
    env.burrow(&["diff", "nothing-here"])
        .code(125)
        .stderr_has("not found");
}

// commit: a new layer on the image with the changes, --change/-m/-a recorded, and the image saves and runs.
#[test]
fn commit_records_changes_and_config() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "src",
        BUSYBOX,
        "sh",
        "-c",
        "echo baked > /baked && rm /etc/group",
    ])
    .ok();
    let id = env
        .burrow(&[
            "commit",
            "-q",
            "-c",
            "CMD [\"cat\", \"/baked\"]",
            "-c",
            "ENV MODE=prod",
            "-c",
            "LABEL tier=web",
            "-c",
            "WORKDIR /srv",
            "-m",
            "baked it",
            "-a",
            "Jane <j@x>",
            "src",
            "localhost/baked:1",
        ])
        .ok();
    assert_eq!(id.out().len(), 64, "{id:?}");
    env.burrow(&["run", "--rm", "localhost/baked:1"])
        .ok()
        .stdout_has("baked");
    env.burrow(&["run", "--rm", "localhost/baked:1", "ls", "/etc/group"])
        .fails();
    env.burrow(&[
        "run",
        "--rm",
        "localhost/baked:1",
        "sh",
        "-c",
        "echo $MODE $(pwd)",
    ])
    .ok()
    .stdout_has("prod /srv");
    let insp: Value = serde_json::from_str(
        &env.burrow(&["image", "inspect", "localhost/baked:1"])
            .ok()
            .stdout,
    )
    .unwrap();
    let base: Value =
        serde_json::from_str(&env.burrow(&["image", "inspect", BUSYBOX]).ok().stdout).unwrap();
    assert_eq!(insp[0]["Author"], "Jane <j@x>");
    assert_eq!(insp[0]["Config"]["Labels"]["tier"], "web");
    assert_eq!(
        insp[0]["RootFS"]["Layers"].as_array().unwrap().len(),
        base[0]["RootFS"]["Layers"].as_array().unwrap().len() + 1
    );
    env.burrow(&["history", "localhost/baked:1"])
        .ok()
        .stdout_has("baked it");
    // The layer's tar-split was recorded: the image can be saved.
    let saved = env.path("baked.tar");
    env.burrow(&["save", "-o", saved.to_str().unwrap(), "localhost/baked:1"])
        .ok();
    assert!(fs::metadata(&saved).unwrap().len() > 0);
    // --squash: the whole file system as the only layer.
    env.burrow(&["commit", "-q", "--squash", "src", "localhost/flat"])
        .ok();
    let flat: Value = serde_json::from_str(
        &env.burrow(&["image", "inspect", "localhost/flat"])
            .ok()
            .stdout,
    )
    .unwrap();
    assert_eq!(flat[0]["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    env.burrow(&["run", "--rm", "localhost/flat", "cat", "/baked"])
        .ok()
        .stdout_has("baked");
    // A bad change line fails before anything is written.
    let before = env.burrow(&["images", "-q"]).ok().stdout;
    env.burrow(&["commit", "-c", "FROBNICATE x", "src", "localhost/bad"])
        .code(125)
        .stderr_has("FROBNICATE");
    assert_eq!(env.burrow(&["images", "-q"]).ok().stdout, before);
    env.burrow(&["commit", "ghost", "localhost/x"])
        .code(125)
        .stderr_has("no such container");
}

// A stopped container's volumes are part of its view: cp reaches into them both ways.
#[test]
fn cp_with_a_stopped_container_sees_its_volumes() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "withvol",
        "-v",
        "cpvol:/data",
        BUSYBOX,
        "sh",
        "-c",
        "echo inside > /data/f",
    ])
    .ok();
    let out = env.path("f.out");
    env.burrow(&["cp", "withvol:/data/f", out.to_str().unwrap()])
        .ok();
    assert_eq!(fs::read_to_string(&out).unwrap(), "inside\n");
    let src = write_host(&env, "g", "from-host");
    env.burrow(&["cp", &src, "withvol:/data/g"]).ok();
    env.burrow(&["run", "--rm", "-v", "cpvol:/v", BUSYBOX, "cat", "/v/g"])
        .ok()
        .stdout_has("from-host");
    // Nothing of the copy stays mounted: the container is not left mounted.
    env.burrow(&["rm", "withvol"]).ok();
}

// -a (podman's default) gives copied files to the container's user; --archive=false keeps the copier's owner.
#[test]
fn cp_archive_owner_follows_the_container_user() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create",
        "--name",
        "u",
        "-u",
        "1000:1000",
        BUSYBOX,
        "sleep",
        "300",
    ])
    .ok();
    let src = write_host(&env, "owned", "x");
    env.burrow(&["cp", &src, "u:/tmp/a"]).ok();
    env.burrow(&["cp", "--archive=false", &src, "u:/tmp/b"])
        .ok();
    // A tar stream's entries too: the container's user with -a, the tar's owner without.
    let tar_of = |name: &str, uid: u64| {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        h.set_uid(uid);
        h.set_gid(uid);
        h.set_mtime(0);
        b.append_data(&mut h, name, &b"x"[..]).unwrap();
        b.into_inner().unwrap()
    };
    env.burrow_stdin(&["cp", "-", "u:/tmp"], tar_of("c", 0))
        .ok();
    env.burrow_stdin(&["cp", "--archive=false", "-", "u:/tmp"], tar_of("d", 42))
        .ok();
    env.burrow(&["start", "u"]).ok();
    env.burrow(&[
        "exec", "u", "stat", "-c", "%u:%g", "/tmp/a", "/tmp/b", "/tmp/c", "/tmp/d",
    ])
    .ok()
    .stdout_has("1000:1000\n0:0\n1000:1000\n42:42\n");
    env.burrow(&["rm", "-f", "u"]).ok();
}

// The vfs driver (a full copy, no upper layer) gives the same diff, and commit keeps deletions.
#[test]
fn diff_and_commit_with_the_vfs_driver() {
    let env = Env::new().with_env("STORAGE_DRIVER", "vfs").with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "v",
        BUSYBOX,
        "sh",
        "-c",
        "echo new > /added && rm /etc/group && echo x >> /etc/passwd",
    ])
    .ok();
    assert_eq!(
        env.burrow(&["diff", "v"]).ok().lines(),
        ["A /added", "C /etc", "D /etc/group", "C /etc/passwd"]
    );
    env.burrow(&["commit", "-q", "v", "localhost/vfscommit"])
        .ok();
    env.burrow(&[
        "run",
        "--rm",
        "localhost/vfscommit",
        "sh",
        "-c",
        "cat /added; ls /etc/group",
    ])
    .fails()
    .stdout_has("new");
}
