//! Local image commands beyond load/import/tag: `images` filters and sorting, `untag`,
//! `image prune`, `history`, `image tree`, `image inspect` fields, `save` (docker-archive,
//! oci-archive, oci-dir, multi-image), `export`, `image mount`/`unmount`, and archives
//! exchanged with a real podman in both directions.

#[path = "common/archives.rs"]
mod archives;
mod common;

use std::path::{Path, PathBuf};

use archives::{LayerBuilder, Members, sha256_digest, sha256_hex};
use common::{Env, Output};
use serde_json::{Value, json};

fn write_input(env: &Env, name: &str, data: &[u8]) -> PathBuf {
    let path = env.path(name);
    std::fs::write(&path, data).expect("write input");
    std::os::unix::fs::chown(&path, Some(env.uid()), Some(env.gid())).expect("chown input");
    path
}

fn load(env: &Env, path: &Path) -> Output {
    env.burrow(&["load", "-i", path.to_str().unwrap()])
}

/// A one-file layer, distinct per `tag`.
fn layer(tag: &str) -> Vec<u8> {
    let mut b = LayerBuilder::new();
    b.file(&format!("{tag}.txt"), 0o644, tag.as_bytes());
    b.finish()
}

/// A docker-archive with `config` written verbatim (so tests choose history and labels).
fn archive_with_config(layers: &[Vec<u8>], config: Value, tags: &[&str]) -> Vec<u8> {
    let config = serde_json::to_vec(&config).unwrap();
    let mut members = Members::new();
    let mut names = Vec::new();
    for l in layers {
        let name = format!("{}/layer.tar", sha256_hex(l));
        if !names.contains(&name) {
            members.push((name.clone(), l.clone()));
        }
        names.push(name);
    }
    let config_name = format!("{}.json", sha256_hex(&config));
    members.push((config_name.clone(), config));
    let manifest = json!([{"Config": config_name, "RepoTags": tags, "Layers": names}]);
    members.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    archives::pack(&members)
}

fn config_for(layers: &[Vec<u8>], created: &str, history: Value, labels: Value) -> Value {
    json!({
        "created": created,
        "architecture": archives::goarch(),
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Labels": labels},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| sha256_digest(l)).collect::<Vec<_>>()},
        "history": history,
    })
}

/// Loads an image with `layers` and one plain history entry per layer.
fn load_image(env: &Env, file: &str, layers: &[Vec<u8>], created: &str, tags: &[&str]) -> String {
    let history: Vec<Value> = layers
        .iter()
        .enumerate()
        .map(|(i, _)| json!({"created": created, "created_by": format!("step {i}")}))
        .collect();
    let config = config_for(layers, created, json!(history), json!(null));
    let id = sha256_hex(&serde_json::to_vec(&config).unwrap());
    let path = write_input(env, file, &archive_with_config(layers, config, tags));
    load(env, &path).ok();
    id
}

fn ids(out: &Output) -> Vec<String> {
    out.lines().iter().map(|l| l.to_string()).collect()
}

fn image_id(env: &Env, name: &str) -> String {
    env.burrow(&["image", "inspect", "-f", "{{.Id}}", name])
        .ok()
        .out()
        .trim()
        .to_string()
}

// Pins: dangling/label/reference(glob, OR-ed)/before/since filters, AND across keys, and
// `<none> <none>` rows for untagged images.
#[test]
fn images_filters_follow_podman() {
    let env = Env::new();
    let old = load_image(
        &env,
        "old.tar",
        &[layer("old")],
        "2024-01-01T00:00:00Z",
        &["localhost/oldbox:1"],
    );
    let labelled_cfg = config_for(
        &[layer("lab")],
        "2024-02-01T00:00:00Z",
        json!([{"created_by": "x"}]),
        json!({"tier": "web"}),
    );
    let labelled = sha256_hex(&serde_json::to_vec(&labelled_cfg).unwrap());
    let p = write_input(
        &env,
        "lab.tar",
        &archive_with_config(&[layer("lab")], labelled_cfg, &["localhost/webapp:2"]),
    );
    load(&env, &p).ok();
    let dangling = load_image(
        &env,
        "dang.tar",
        &[layer("dang")],
        "2024-03-01T00:00:00Z",
        &[],
    );

    let q = |filters: &[&str]| {
        let mut args = vec!["images", "-q", "--no-trunc"];
        for f in filters {
            args.extend(["--filter", f]);
        }
        let mut v = ids(&env.burrow(&args).ok());
        v.iter_mut()
            .for_each(|s| *s = s.trim_start_matches("sha256:").to_string());
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(q(&["dangling=true"]), vec![dangling.clone()]);
    assert_eq!(
        q(&["dangling=false"]),
        sorted(vec![old.clone(), labelled.clone()])
    );
    assert_eq!(q(&["label=tier"]), vec![labelled.clone()]);
    assert_eq!(q(&["label=tier=web"]), vec![labelled.clone()]);
    assert!(q(&["label=tier=db"]).is_empty());
    assert_eq!(q(&["reference=*box*"]), vec![old.clone()]);
    assert_eq!(q(&["reference=localhost/web*:2"]), vec![labelled.clone()]);
    assert_eq!(
        q(&["reference=oldbox", "reference=webapp"]),
        sorted(vec![old.clone(), labelled.clone()])
    );
    assert!(q(&["reference=oldbox", "label=tier"]).is_empty());
    assert_eq!(
        q(&["since=oldbox:1", "dangling=false"]),
        vec![labelled.clone()]
    );
    assert_eq!(q(&["before=webapp:2"]), vec![old.clone()]);
    // until= takes podman's timestamps (a date, RFC3339, unix seconds) and Go durations.
    assert_eq!(q(&["until=2024-01-15"]), vec![old.clone()]);
    assert_eq!(
        q(&["until=2024-02-15T00:00:00Z", "dangling=false"]),
        sorted(vec![old.clone(), labelled.clone()])
    );
    assert_eq!(
        q(&["until=1706745600", "dangling=false"]),
        vec![old.clone()]
    );
    assert_eq!(q(&["until=1h"]).len(), 3);
    assert_eq!(q(&["label!=tier", "dangling=false"]), vec![old.clone()]);

    let out = env.burrow(&["images"]).ok();
    let none_row = out
        .lines()
        .into_iter()
        .find(|l| l.contains(&dangling[..12]))
        .expect("dangling image listed")
        .to_string();
    let cols: Vec<&str> = none_row.split_whitespace().collect();
    assert_eq!(&cols[..2], &["<none>", "<none>"], "{none_row}");

    env.burrow(&["images", "--filter", "bogus=1"])
        .code(125)
        .stderr_has("bogus");
    env.burrow(&["images", "--filter", "before=nothere"])
        .code(125)
        .stderr_has("nothere");
}

// Pins: --sort repository|tag|size|id|created orders rows; a bad key is refused with 125.
#[test]
fn images_sort_orders_rows() {
    let env = Env::new();
    load_image(
        &env,
        "a.tar",
        &[layer("a")],
        "2024-01-01T00:00:00Z",
        &["localhost/zeta:1"],
    );
    load_image(
        &env,
        "b.tar",
        &[layer("b"), layer("bb")],
        "2024-05-01T00:00:00Z",
        &["localhost/alpha:9"],
    );
    let repos = |sort: &str| {
        env.burrow(&["images", "--sort", sort, "--format", "{{.Repository}}"])
            .ok()
            .lines()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(repos("repository"), ["localhost/alpha", "localhost/zeta"]);
    assert_eq!(repos("created"), ["localhost/alpha", "localhost/zeta"]);
    assert_eq!(repos("tag"), ["localhost/zeta", "localhost/alpha"]);
    assert_eq!(repos("size"), ["localhost/zeta", "localhost/alpha"]);
    env.burrow(&["images", "--sort", "colour"])
        .code(125)
        .stderr_has("not a valid field for sorting");
}

// Pins: untag removes the named names (normalised like podman), all names without one, and
// refuses a name the image does not have.
#[test]
fn untag_removes_names() {
    let env = Env::new().with_busybox();
    env.burrow(&["tag", "busybox", "extra:1", "quay.io/x/y:2"])
        .ok();
    env.burrow(&["untag", "busybox", "extra:1"]).ok();
    let names = env
        .burrow(&["image", "inspect", "-f", "{{json .RepoTags}}", "busybox"])
        .ok();
    assert!(!names.out().contains("extra"), "{names}");
    assert!(names.out().contains("quay.io/x/y:2"), "{names}");
    env.burrow(&["untag", "busybox", "nothere"])
        .code(125)
        .stderr_has("localhost/nothere:latest: tag not known");
    let id = image_id(&env, "busybox");
    env.burrow(&["untag", &id]).ok();
    let out = env
        .burrow(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok();
    assert_eq!(out.out().trim(), "<none>:<none>");
}

// Pins: image prune removes only dangling images and prints their IDs; -a also removes tagged
// images no container uses, but keeps one a container uses; an unconfirmed prune does nothing.
#[test]
fn image_prune_removes_unused_images() {
    let env = Env::new().with_busybox();
    let dangling = load_image(&env, "d.tar", &[layer("d")], "2024-01-01T00:00:00Z", &[]);
    let tagged = load_image(
        &env,
        "t.tar",
        &[layer("t")],
        "2024-01-01T00:00:00Z",
        &["localhost/keep"],
    );

    env.burrow_stdin(&["image", "prune"], "n\n")
        .ok()
        .stdout_has("WARNING! This command removes all dangling images");
    env.burrow(&["image", "exists", &dangling]).ok();

    let out = env.burrow(&["image", "prune", "-f"]).ok();
    assert_eq!(ids(&out), vec![dangling.clone()]);
    env.burrow(&["image", "exists", &dangling]).code(1);
    env.burrow(&["image", "exists", &tagged]).ok();

    env.burrow(&["create", "--name", "user", "busybox", "true"])
        .ok();
    let out = env.burrow(&["image", "prune", "-a", "-f"]).ok();
    assert_eq!(ids(&out), vec![tagged.clone()]);
    env.burrow(&["image", "exists", "busybox"]).ok();
}

// Pins: history maps entries onto layers newest first: empty_layer entries show <missing> and
// 0B, the top entry the image ID; -q, --no-trunc, --human=false and --format.
#[test]
fn history_columns_follow_podman() {
    let env = Env::new();
    let layers = [layer("h1"), layer("h2")];
    let long_cmd = format!("/bin/sh -c echo {}", "x".repeat(60));
    let history = json!([
        {"created": "2024-01-01T00:00:00Z", "created_by": "ADD base"},
        {"created": "2024-01-02T00:00:00Z", "created_by": "ENV A=1", "empty_layer": true},
        {"created": "2024-01-03T00:00:00Z", "created_by": long_cmd, "comment": "top note"},
        {"created": "2024-01-04T00:00:00Z", "created_by": "CMD [\"sh\"]", "empty_layer": true},
    ]);
    let config = config_for(&layers, "2024-01-04T00:00:00Z", history, json!(null));
    let id = sha256_hex(&serde_json::to_vec(&config).unwrap());
    let p = write_input(
        &env,
        "h.tar",
        &archive_with_config(&layers, config, &["localhost/hist"]),
    );
    load(&env, &p).ok();

    let out = env.burrow(&["history", "hist"]).ok();
    let lines = out.lines();
    assert!(
        lines[0].starts_with("ID")
            && lines[0].contains("CREATED BY")
            && lines[0].contains("COMMENT"),
        "{out}"
    );
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines[1].starts_with(&id[..12]), "{out}");
    assert!(lines[1].contains(" 0B"), "{out}");
    assert!(lines[2].starts_with("<missing>"), "{out}");
    assert!(lines[2].contains("top note"), "{out}");
    assert!(lines[2].contains("..."), "created by is truncated: {out}");
    assert!(
        lines[3].contains("ENV A=1") && lines[3].contains(" 0B"),
        "{out}"
    );
    assert!(lines[4].contains("kB"), "base layer has its size: {out}");

    let q = env.burrow(&["history", "-q", "--no-trunc", "hist"]).ok();
    assert_eq!(
        q.lines(),
        vec![id.as_str(), "<missing>", "<missing>", "<missing>"]
    );
    env.burrow(&["history", "--no-trunc", "hist"])
        .ok()
        .stdout_has(&long_cmd);
    env.burrow(&["history", "--human=false", "hist"])
        .ok()
        .stdout_has("2024-01-03T00:00:00Z");
    let f = env
        .burrow(&[
            "image",
            "history",
            "--format",
            "{{.CreatedBy}}|{{.Comment}}",
            "hist",
        ])
        .ok();
    assert_eq!(f.lines()[1], format!("{}...|top note", &long_cmd[..42]));
    env.burrow(&["history", "nothere"]).code(125);
}

// Pins: image tree prints podman's header and one line per layer, the top one naming the tags.
#[test]
fn image_tree_lists_layers() {
    let env = Env::new();
    let layers = [layer("t1"), layer("t2")];
    let id = load_image(
        &env,
        "t.tar",
        &layers,
        "2024-01-01T00:00:00Z",
        &["localhost/tree:1"],
    );
    let out = env.burrow(&["image", "tree", "tree:1"]).ok();
    let lines = out.lines();
    assert_eq!(lines[0], format!("Image ID: {}", &id[..12]));
    assert_eq!(lines[1], "Tags:     [localhost/tree:1]");
    assert!(lines[2].starts_with("Size:     "), "{out}");
    assert_eq!(lines[3], "Image Layers");
    let bottom = sha256_hex(&layers[0]);
    assert!(
        lines[4].starts_with(&format!("├── ID: {} Size: ", &bottom[..12])),
        "{out}"
    );
    assert!(lines[5].starts_with("└── ID: "), "{out}");
    assert!(
        lines[5].ends_with("Top Layer of: [localhost/tree:1]"),
        "{out}"
    );
    assert_eq!(lines.len(), 6, "{out}");
}

// Pins: image inspect carries every podman field; Parent names the image a child builds on.
#[test]
fn image_inspect_has_podman_fields() {
    let env = Env::new();
    let base = load_image(
        &env,
        "b.tar",
        &[layer("p1")],
        "2024-01-01T00:00:00Z",
        &["localhost/base"],
    );
    load_image(
        &env,
        "c.tar",
        &[layer("p1"), layer("p2")],
        "2024-01-02T00:00:00Z",
        &["localhost/child"],
    );
    let out = env.burrow(&["image", "inspect", "child"]).ok();
    let v: Value = serde_json::from_str(out.out()).expect("json");
    let obj = v[0].as_object().expect("object");
    for key in [
        "Id",
        "Digest",
        "RepoTags",
        "RepoDigests",
        "Parent",
        "Comment",
        "Created",
        "Config",
        "Version",
        "Author",
        "Architecture",
        "Os",
        "Size",
        "VirtualSize",
        "GraphDriver",
        "RootFS",
        "Labels",
        "Annotations",
        "ManifestType",
        "User",
        "History",
        "NamesHistory",
    ] {
        assert!(obj.contains_key(key), "missing {key}: {out}");
    }
    assert_eq!(obj["Parent"], json!(base));
    assert_eq!(obj["RootFS"]["Layers"].as_array().unwrap().len(), 2);
    let parent = env
        .burrow(&["image", "inspect", "-f", "{{.Parent}}", "base"])
        .ok();
    assert_eq!(parent.out().trim(), "");
}

// Pins: save -o writes a docker-archive whose load restores the same image ID, names and
// content; extra arguments without -m become extra tags; -m puts several images in one archive.
#[test]
fn save_docker_archive_round_trips() {
    let env = Env::new().with_busybox();
    let id = image_id(&env, "busybox");
    let two = load_image(
        &env,
        "two.tar",
        &[layer("s1"), layer("s2")],
        "2024-01-01T00:00:00Z",
        &["localhost/two:1"],
    );
    let out = env.path("one.tar");
    env.burrow(&[
        "save",
        "-o",
        out.to_str().unwrap(),
        "busybox",
        "localhost/more:2",
    ])
    .ok();
    let multi = env.path("multi.tar");
    env.burrow(&[
        "save",
        "-m",
        "-o",
        multi.to_str().unwrap(),
        "busybox",
        "two:1",
    ])
    .ok();
    env.burrow(&["rmi", "-a", "-f"]).ok();

    let loaded = load(&env, &out).ok();
    assert!(
        loaded
            .stdout_has("localhost/busybox:latest")
            .out()
            .contains("more:2")
    );
    assert_eq!(image_id(&env, "busybox"), id);
    let run = env
        .burrow(&["run", "--rm", "busybox", "echo", "alive"])
        .ok();
    assert_eq!(run.out(), "alive");

    env.burrow(&["rmi", "-a", "-f"]).ok();
    load(&env, &multi).ok();
    assert_eq!(image_id(&env, "busybox"), id);
    assert_eq!(image_id(&env, "two:1"), two);
    let mnt = env.burrow(&["image", "mount", "two:1"]).ok();
    env.burrow(&["unshare", "cat", &format!("{}/s2.txt", mnt.out())])
        .ok()
        .stdout_has("s2");
}

// Pins: oci-archive and oci-dir hold an OCI layout whose load keeps the image ID; several
// images are refused for OCI formats; an unknown format is refused.
#[test]
fn save_oci_formats() {
    let env = Env::new().with_busybox();
    let id = image_id(&env, "busybox");
    let archive = env.path("oci.tar");
    env.burrow(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        archive.to_str().unwrap(),
        "busybox",
    ])
    .ok();
    let dir = env.path("ocidir");
    env.burrow(&[
        "save",
        "--format",
        "oci-dir",
        "-o",
        dir.to_str().unwrap(),
        "busybox",
    ])
    .ok();
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "localhost/busybox:latest"
    );
    let blob = |d: &str| {
        dir.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(blob(manifest_digest)).unwrap()).unwrap();
    assert_eq!(manifest["config"]["digest"], format!("sha256:{id}"));
    for l in manifest["layers"].as_array().unwrap() {
        let data = std::fs::read(blob(l["digest"].as_str().unwrap())).unwrap();
        assert_eq!(sha256_digest(&data), l["digest"].as_str().unwrap());
    }
    assert!(dir.join("oci-layout").exists());

    env.burrow(&["rmi", "-a"]).ok();
    load(&env, &archive)
        .ok()
        .stdout_has("localhost/busybox:latest");
    assert_eq!(image_id(&env, "busybox"), id);

    env.burrow(&["tag", "busybox", "other"]).ok();
    env.burrow(&[
        "save",
        "-m",
        "--format",
        "oci-archive",
        "-o",
        "/dev/null",
        "busybox",
        "other",
    ])
    .code(125)
    .stderr_has("only docker-archive");
    env.burrow(&["save", "--format", "tarball", "-o", "/dev/null", "busybox"])
        .code(125)
        .stderr_has("tarball");
}

/// Runs `cmd` with its stdout on a terminal (through `script`).
fn on_terminal(env: &Env, cmd: &str) -> Output {
    let bin = common::burrow_bin().display().to_string();
    env.output(env.command("script", &["-qec", &format!("{bin} {cmd}"), "/dev/null"]))
}

// Pins: save and export refuse to write an archive to a terminal, as podman does.
#[test]
fn save_and_export_refuse_a_terminal() {
    let env = Env::new().with_busybox();
    if env.command("script", &["--version"]).output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    env.burrow(&["create", "--name", "c", "busybox", "true"])
        .ok();
    let out = on_terminal(&env, "save busybox");
    assert!(out.out().contains("refusing to save to terminal"), "{out}");
    assert_ne!(out.status, 0, "{out}");
    let out = on_terminal(&env, "export c");
    assert!(
        out.out().contains("refusing to export to terminal"),
        "{out}"
    );
}

fn tar_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut a = tar::Archive::new(std::fs::File::open(path).expect("open tar"));
    a.entries()
        .expect("entries")
        .map(|e| {
            let mut e = e.expect("entry");
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            (name, data)
        })
        .collect()
}

// Pins: export writes the container's whole file system (image files plus its own changes,
// minus what it deleted) to -o or a redirected stdout.
#[test]
fn export_writes_container_filesystem() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "run",
        "--name",
        "c",
        "busybox",
        "sh",
        "-c",
        "echo made > /new.txt && rm /bin/true",
    ])
    .ok();
    let out = env.path("c.tar");
    env.burrow(&["export", "-o", out.to_str().unwrap(), "c"])
        .ok();
    let entries = tar_entries(&out);
    let find = |n: &str| {
        entries
            .iter()
            .find(|(name, _)| name.trim_end_matches('/') == n)
    };
    assert_eq!(find("new.txt").expect("new.txt exported").1, b"made\n");
    assert!(find("bin/sh").is_some(), "image files exported");
    assert!(find("bin/true").is_none(), "deleted file not exported");

    let piped = env.sh(&format!(
        "{} export c | tar -tf - | grep -c new.txt",
        common::burrow_bin().display()
    ));
    assert_eq!(piped.out().trim(), "1", "{piped}");
    env.burrow(&["export", "-o", "/dev/null", "nothere"])
        .code(125);
}

// Pins: image mount prints a mount point with the image's files (seen inside `burrow
// unshare`), `image mount` alone lists it, `image umount` unmounts it and prints the ID.
#[test]
fn image_mount_and_unmount() {
    let env = Env::new().with_busybox();
    let id = image_id(&env, "busybox");
    let path = env
        .burrow(&["image", "mount", "busybox"])
        .ok()
        .out()
        .trim()
        .to_string();
    assert!(!path.is_empty());
    let ls = env
        .burrow(&["unshare", "ls", &format!("{path}/bin/busybox")])
        .ok();
    assert!(ls.out().contains("busybox"), "{ls}");
    let write = env.burrow(&["unshare", "touch", &format!("{path}/new")]);
    assert_ne!(write.status, 0, "image mount must be read-only: {write}");
    let list = env.burrow(&["image", "mount"]).ok();
    assert!(
        list.out().contains(&path) && list.out().contains("localhost/busybox"),
        "{list}"
    );
    let out = env.burrow(&["image", "umount", "busybox"]).ok();
    assert_eq!(out.out().trim(), id);
    assert_eq!(env.burrow(&["image", "mount"]).ok().out().trim(), "");
    env.burrow(&["image", "unmount", "busybox"]).code(125);
}

/// A podman command for this Env's user, with its own storage under the Env's HOME.
fn podman(env: &Env, args: &[&str]) -> Output {
    env.output(env.command("podman", args))
}

fn have_podman(env: &Env) -> bool {
    if env.command("podman", &["--version"]).output().is_ok() {
        true
    } else {
        eprintln!("skipped: podman is not installed (scripts/setup-host installs it)");
        false
    }
}

// Pins: archives burrow writes load in podman with the same image ID (docker-archive, oci-archive).
#[test]
fn podman_loads_burrow_archives() {
    let env = Env::new().with_busybox();
    if !have_podman(&env) {
        return;
    }
    let id = image_id(&env, "busybox");
    for format in ["docker-archive", "oci-archive"] {
        let out = env.path(format!("{format}.tar"));
        env.burrow(&[
            "save",
            "--format",
            format,
            "-o",
            out.to_str().unwrap(),
            "busybox",
        ])
        .ok();
        let loaded = podman(&env, &["load", "-i", out.to_str().unwrap()]).ok();
        assert!(
            loaded.out().contains("localhost/busybox:latest"),
            "{loaded}"
        );
        let pid = podman(
            &env,
            &[
                "image",
                "inspect",
                "-f",
                "{{.Id}}",
                "localhost/busybox:latest",
            ],
        )
        .ok();
        assert_eq!(pid.out().trim(), id, "{format}");
        podman(&env, &["rmi", "-f", "localhost/busybox:latest"]).ok();
    }
}

// Pins: podman's `podman save` archives load in burrow with the same image ID and run.
#[test]
fn burrow_loads_podman_archives() {
    let env = Env::new().with_busybox();
    if !have_podman(&env) {
        return;
    }
    let layers = [layer("pm1"), layer("pm2")];
    let two = load_image(
        &env,
        "two.tar",
        &layers,
        "2024-01-01T00:00:00Z",
        &["localhost/two:1"],
    );
    let ours = env.path("ours.tar");
    env.burrow(&[
        "save",
        "-m",
        "-o",
        ours.to_str().unwrap(),
        "busybox",
        "two:1",
    ])
    .ok();
    let id = image_id(&env, "busybox");
    podman(&env, &["load", "-i", ours.to_str().unwrap()]).ok();
    env.burrow(&["rmi", "-a", "-f"]).ok();
    for format in ["docker-archive", "oci-archive"] {
        let theirs = env.path(format!("podman-{format}.tar"));
        podman(
            &env,
            &[
                "save",
                "--format",
                format,
                "-o",
                theirs.to_str().unwrap(),
                "localhost/busybox:latest",
            ],
        )
        .ok();
        load(&env, &theirs)
            .ok()
            .stdout_has("localhost/busybox:latest");
        assert_eq!(image_id(&env, "busybox"), id, "{format}");
        env.burrow(&["rmi", "-a", "-f"]).ok();
    }
    let theirs = env.path("podman-multi.tar");
    podman(
        &env,
        &[
            "save",
            "-m",
            "-o",
            theirs.to_str().unwrap(),
            "localhost/busybox:latest",
            "localhost/two:1",
        ],
    )
    .ok();
    load(&env, &theirs).ok();
    assert_eq!(image_id(&env, "two:1"), two);
    env.burrow(&["run", "--rm", "busybox", "echo", "ok"])
        .ok()
        .stdout_has("ok");
}
