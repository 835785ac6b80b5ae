//! End-to-end tests of `manifest` (local manifest lists pushed to Debian's real
//! docker-registry and pulled back per platform) and of policy.json enforcement and
//! `image trust`, run through the CLI as the unprivileged test user.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/registry.rs"]
mod registry;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use archives::{ImageSpec, LayerBuilder, goarch};
use common::Env;
use registry::Registry;
use serde_json::Value;

const TLS_OFF: &str = "--tls-verify=false";

fn write_input(env: &Env, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let path = env.path(name);
    fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod input");
    path
}

/// Loads a one-layer image holding /which with `text`, named `name`; returns its ID.
fn small_image(env: &Env, name: &str, text: &str) -> String {
    let layer = LayerBuilder::new()
        .file("which", 0o644, text.as_bytes())
        .finish();
    let spec = ImageSpec::new(vec![layer]);
    let path = write_input(
        env,
        &format!("{}.tar", name.replace(['/', ':'], "_")),
        archives::docker_archive(&spec, &[name]),
    );
    env.burrow(&[OsStr::new("load"), OsStr::new("-i"), path.as_os_str()])
        .ok();
    env.burrow(&["image", "inspect", "--format", "{{.Id}}", name])
        .ok()
        .out()
        .to_string()
}

fn inspect(env: &Env, list: &str) -> Value {
    let out = env.burrow(&["manifest", "inspect", list]).ok();
    serde_json::from_str(out.out()).unwrap_or_else(|e| panic!("inspect JSON: {e}: {out}"))
}

/// The other architecture than the host's, for the second instance.
fn other_arch() -> &'static str {
    if goarch() == "arm64" {
        "amd64"
    } else {
        "arm64"
    }
}

// create/add/annotate/inspect/remove/rm/exists on the local store, with podman's outputs.
#[test]
fn manifest_local_lifecycle() {
    let env = Env::new();
    let a = small_image(&env, "localhost/app-a:1", "a\n");
    let b = small_image(&env, "localhost/app-b:1", "b\n");

    env.burrow(&["manifest", "exists", "mylist"]).code(1);
    let id = env.burrow(&["manifest", "create", "mylist"]).ok();
    let id = id.out().to_string();
    assert_eq!(id.len(), 64, "create prints the list ID: {id}");
    env.burrow(&["manifest", "exists", "mylist"]).ok();
    env.burrow(&["manifest", "exists", "localhost/mylist:latest"])
        .ok();
    let empty = inspect(&env, "mylist");
    assert_eq!(empty["schemaVersion"], 2);
    assert_eq!(
        empty["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    assert_eq!(empty["manifests"], Value::Array(vec![]));

    let out = env
        .burrow(&["manifest", "add", "mylist", "localhost/app-a:1"])
        .ok();
    assert_eq!(out.out(), id, "add prints the list ID");
    env.burrow(&[
        "manifest",
        "add",
        "--arch",
        other_arch(),
        "--variant",
        "v8",
        "--annotation",
        "org.example.k=v",
        "mylist",
        "containers-storage:localhost/app-b:1",
    ])
    .ok();
    let idx = inspect(&env, "mylist");
    let m = idx["manifests"].as_array().expect("manifests");
    assert_eq!(m.len(), 2, "{idx}");
    assert_eq!(m[0]["platform"]["architecture"], goarch());
    assert_eq!(m[0]["platform"]["os"], "linux");
    assert_eq!(m[1]["platform"]["architecture"], other_arch());
    assert_eq!(m[1]["platform"]["variant"], "v8");
    assert_eq!(m[1]["annotations"]["org.example.k"], "v");
    // podman's MarshalIndent layout: four spaces.
    let raw = env.burrow(&["manifest", "inspect", "mylist"]).ok();
    assert!(raw.out().contains("\n    \"manifests\": ["), "{raw}");

    let digest_b = m[1]["digest"].as_str().expect("digest").to_string();
    env.burrow(&[
        "manifest",
        "annotate",
        "--annotation",
        "second=yes",
        "--os-version",
        "1.0",
        "mylist",
        &digest_b,
    ])
    .ok();
    // Naming the instance by its local image works too.
    env.burrow(&[
        "manifest",
        "annotate",
        "--annotation",
        "by=image",
        "mylist",
        &b,
    ])
    .ok();
    env.burrow(&[
        "manifest",
        "annotate",
        "--index",
        "--annotation",
        "top=1",
        "mylist",
    ])
    .ok();
    let idx = inspect(&env, "mylist");
    assert_eq!(idx["annotations"]["top"], "1");
    assert_eq!(idx["manifests"][1]["annotations"]["second"], "yes");
    assert_eq!(idx["manifests"][1]["annotations"]["by"], "image");
    assert_eq!(idx["manifests"][1]["platform"]["os.version"], "1.0");

    // Bad input: one Error line, exit 125, nothing changed.
    let before = env.burrow(&["manifest", "inspect", "mylist"]).ok();
    env.burrow(&[
        "manifest",
        "annotate",
        "--annotation",
        "novalue",
        "mylist",
        &digest_b,
    ])
    .code(125)
    .stderr_has("Error: no value given for annotation \"novalue\"");
    env.burrow(&["manifest", "remove", "mylist", "sha256:0000"])
        .code(125)
        .stderr_has("no instance matching digest sha256:0000 found in manifest list");
    env.burrow(&["manifest", "create", "mylist"])
        .code(125)
        .stderr_has("that name is already in use");
    // --amend adds to the existing list instead.
    let out = env
        .burrow(&[
            "manifest",
            "create",
            "--amend",
            "mylist",
            "localhost/app-a:1",
        ])
        .ok();
    assert_eq!(out.out(), id);
    env.burrow(&["manifest", "create", "localhost/app-a:1"])
        .code(125)
        .stderr_has(&format!("is already associated with image \"{a}\""));
    env.burrow(&["manifest", "inspect", "nosuch"])
        .code(125)
        .stderr_has("Error: nosuch: image not known");
    env.burrow(&["manifest", "inspect", "localhost/app-a:1"])
        .code(125)
        .stderr_has("image is not a manifest list");
    env.burrow(&["manifest", "add", "nosuch", "localhost/app-a:1"])
        .code(125)
        .stderr_has("nosuch: image not known");
    let after = env.burrow(&["manifest", "inspect", "mylist"]).ok();
    assert_eq!(
        before.out(),
        after.out(),
        "failed commands changed the list"
    );

    let out = env
        .burrow(&["manifest", "remove", "mylist", &digest_b])
        .ok();
    assert_eq!(out.out(), format!("{id} :{digest_b}"));
    assert_eq!(
        inspect(&env, "mylist")["manifests"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let out = env.burrow(&["manifest", "rm", "mylist"]).ok();
    assert_eq!(
        out.lines(),
        vec![
            "Untagged: localhost/mylist:latest",
            &format!("Deleted: {id}")
        ]
    );
    env.burrow(&["manifest", "exists", "mylist"]).code(1);
    env.burrow(&["manifest", "rm", "mylist"])
        .code(125)
        .stderr_has("mylist: image not known");
    env.burrow(&["manifest", "rm", "-i", "mylist"]).ok();
    // The list's images stay.
    env.burrow(&["image", "exists", "localhost/app-a:1"]).ok();
    env.burrow(&["image", "exists", &b]).ok();
}

// A two-platform list pushed to a real registry: the index and both images land there, and a
// fresh store pulls each platform back (by tag with --arch, and by the index's digest).
#[test]
fn manifest_push_two_platforms_and_pull_back() {
    let reg = Registry::start();
    let env = Env::new();
    let a = small_image(&env, "localhost/app-a:1", "a\n");
    let b = small_image(&env, "localhost/app-b:1", "b\n");
    env.burrow(&["manifest", "create", "multi", "localhost/app-a:1"])
        .ok();
    env.burrow(&[
        "manifest",
        "add",
        "--arch",
        other_arch(),
        "multi",
        "localhost/app-b:1",
    ])
    .ok();
    let dest = reg.image("multi/app:1");
    let digestfile = env.path("digest");
    fs::write(&digestfile, "").expect("digest file");
    fs::set_permissions(&digestfile, fs::Permissions::from_mode(0o666)).expect("chmod");
    env.burrow(&[
        "manifest",
        "push",
        TLS_OFF,
        "--digestfile",
        &digestfile.display().to_string(),
        "multi",
        &dest,
    ])
    .ok();
    let pushed_digest = fs::read_to_string(&digestfile).expect("digest");

    let (reg_digest, index) = reg.manifest("multi/app", "1");
    assert_eq!(
        reg_digest, pushed_digest,
        "--digestfile holds the index digest"
    );
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let m = index["manifests"].as_array().expect("manifests");
    assert_eq!(m.len(), 2, "{index}");
    assert_eq!(m[1]["platform"]["architecture"], other_arch());
    for inst in m {
        let d = inst["digest"].as_str().expect("digest");
        let (got, manifest) = reg.manifest("multi/app", d);
        assert_eq!(got, d, "instance {d} is in the registry");
        assert_eq!(
            manifest["layers"][0]["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
    }

    // A fresh store pulls each platform back; image IDs survive the trip.
    let other = Env::new();
    let host = other.burrow(&["pull", "-q", TLS_OFF, &dest]).ok();
    assert_eq!(host.out(), a);
    let foreign = other
        .burrow(&["pull", "-q", TLS_OFF, "--arch", other_arch(), &dest])
        .ok();
    assert_eq!(foreign.out(), b);
    let by_digest = format!("{}/multi/app@{pushed_digest}", reg.host());
    let again = other.burrow(&["pull", "-q", TLS_OFF, &by_digest]).ok();
    assert_eq!(again.out(), a);

    // inspect of a registry reference shows the registry's index; add --all takes every
    // instance of it.
    let remote = other.burrow(&["manifest", "inspect", TLS_OFF, &dest]).ok();
    let remote: Value = serde_json::from_str(remote.out()).expect("remote index JSON");
    assert_eq!(remote, index);
    other.burrow(&["manifest", "create", "all"]).ok();
    other
        .burrow(&[
            "manifest",
            "add",
            "--all",
            TLS_OFF,
            "all",
            &format!("docker://{dest}"),
        ])
        .ok();
    let all = inspect(&other, "all");
    assert_eq!(all["manifests"], index["manifests"]);
    other
        .burrow(&["manifest", "inspect", TLS_OFF, &reg.image("multi/none:1")])
        .code(125)
        .stderr_has("manifest unknown");

    // A registry instance added to another list is copied across repositories on push.
    let second = format!(
        "{}/multi/app@{}",
        reg.host(),
        m[1]["digest"].as_str().unwrap_or("")
    );
    other.burrow(&["manifest", "create", "copy"]).ok();
    other
        .burrow(&[
            "manifest",
            "add",
            TLS_OFF,
            "--arch",
            other_arch(),
            "copy",
            &format!("docker://{second}"),
        ])
        .ok();
    let idx = inspect(&other, "copy");
    assert_eq!(
        idx["manifests"][0]["platform"]["architecture"],
        other_arch()
    );
    other
        .burrow(&[
            "manifest",
            "push",
            "--rm",
            TLS_OFF,
            "copy",
            &reg.image("copied/app:2"),
        ])
        .ok();
    let (_, copied) = reg.manifest("copied/app", "2");
    assert_eq!(copied["manifests"][0]["digest"], m[1]["digest"]);
    other.burrow(&["manifest", "exists", "copy"]).code(1);

    // Bad input.
    env.burrow(&["manifest", "push", TLS_OFF, "nosuch", &dest])
        .code(125)
        .stderr_has("nosuch: image not known");
    env.burrow(&[
        "manifest",
        "push",
        TLS_OFF,
        "--compression-format",
        "lz4",
        "multi",
        &dest,
    ])
    .code(125)
    .stderr_has("--compression-format lz4");
}

/// Writes the test user's policy.json (`$XDG_CONFIG_HOME/containers/policy.json`).
fn user_policy(env: &Env, policy: &Value) -> PathBuf {
    let dir = env.config_dir().join("containers");
    env.sh(&format!("mkdir -p '{}'", dir.display())).ok();
    let path = dir.join("policy.json");
    let text = serde_json::to_string_pretty(policy).expect("policy JSON");
    env.sh(&format!(
        "cat > '{}' <<'POLICY'\n{text}\nPOLICY",
        path.display()
    ))
    .ok();
    path
}

// policy.json: reject and insecureAcceptAnything by scope (the most specific wins) on pull,
// signedBy refused as unsigned, the default on push and load; a broken file refuses pulls.
#[test]
fn policy_json_is_enforced_on_pull_push_and_load() {
    let reg = Registry::start();
    let env = Env::new();
    small_image(&env, "localhost/app-a:1", "a\n");
    let host = reg.host();
    env.burrow(&[
        "push",
        TLS_OFF,
        "localhost/app-a:1",
        &reg.image("team/ok:1"),
    ])
    .ok();
    env.burrow(&[
        "push",
        TLS_OFF,
        "localhost/app-a:1",
        &reg.image("team/bad:1"),
    ])
    .ok();
    env.burrow(&[
        "push",
        TLS_OFF,
        "localhost/app-a:1",
        &reg.image("signed/img:1"),
    ])
    .ok();

    let puller = Env::new();
    user_policy(
        &puller,
        &serde_json::json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {
                host.clone(): [{"type": "insecureAcceptAnything"}],
                format!("{host}/team/bad"): [{"type": "reject"}],
                format!("{host}/signed"): [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/nonexistent.gpg"}],
            }}
        }),
    );
    puller
        .burrow(&["pull", "-q", TLS_OFF, &reg.image("team/ok:1")])
        .ok();
    let bad = reg.image("team/bad:1");
    puller
        .burrow(&["pull", "-q", TLS_OFF, &bad])
        .code(125)
        .stderr_has(&format!(
            "Error: Source image rejected: Running image docker://{bad} is rejected by policy."
        ));
    puller.burrow(&["image", "exists", &bad]).code(1);
    puller
        .burrow(&["pull", "-q", TLS_OFF, &reg.image("signed/img:1")])
        .code(125)
        .stderr_has("Source image rejected: A signature was required, but no signature exists");
    // run --pull goes through the same check.
    puller
        .burrow(&["run", "--rm", TLS_OFF, "--pull", "always", &bad, "true"])
        .fails()
        .stderr_has("is rejected by policy");

    // The default (reject) applies to load and push: the sources are an archive and the
    // local store.
    let tar = env.path("localhost_app-a_1.tar");
    puller
        .burrow(&[OsStr::new("load"), OsStr::new("-i"), tar.as_os_str()])
        .code(125)
        .stderr_has("Source image rejected: Running image docker-archive:");
    puller
        .burrow(&[
            "push",
            TLS_OFF,
            &reg.image("team/ok:1"),
            &reg.image("team/ok:2"),
        ])
        .code(125)
        .stderr_has("Source image rejected: Running image containers-storage:");
    assert!(!reg.tags("team/ok").contains(&"2".to_string()));

    // A broken policy refuses pulls with the file named.
    let path = user_policy(&puller, &serde_json::json!({"default": []}));
    puller
        .burrow(&["pull", "-q", TLS_OFF, &reg.image("team/ok:1")])
        .code(125)
        .stderr_has(&format!(
            "invalid policy in {:?}: default: no policy requirements",
            path
        ));
}

// image trust show/set: podman's table and JSON, the file written as podman writes it.
#[test]
fn image_trust_show_and_set() {
    let env = Env::new();
    let path = user_policy(
        &env,
        &serde_json::json!({"default": [{"type": "insecureAcceptAnything"}]}),
    );
    let out = env.burrow(&["image", "trust", "show"]).ok();
    let lines = out.lines();
    assert!(lines[0].starts_with("TRANSPORT"), "{out}");
    assert!(
        lines[0].split_whitespace().collect::<Vec<_>>()
            == ["TRANSPORT", "NAME", "TYPE", "ID", "STORE"],
        "{out}"
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["all", "default", "accept"]
    );

    env.burrow(&["image", "trust", "set", "--type", "reject", "default"])
        .ok();
    env.burrow(&["image", "trust", "set", "-t", "reject", "docker.io"])
        .ok();
    env.burrow(&[
        "image",
        "trust",
        "set",
        "--type",
        "accept",
        "quay.io/podman",
    ])
    .ok();
    env.burrow(&[
        "image",
        "trust",
        "set",
        "--type",
        "signedBy",
        "-f",
        "/etc/pki/a.gpg",
        "registry.example.com",
    ])
    .ok();
    env.burrow(&[
        "image",
        "trust",
        "set",
        "--type",
        "sigstoreSigned",
        "-f",
        "/etc/pki/a.pub",
        "ghcr.io",
    ])
    .ok();
    let out = env.burrow(&["image", "trust", "show", "-n"]).ok();
    let rows: Vec<Vec<&str>> = out
        .lines()
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["all", "default", "reject"], "{out}");
    assert!(
        rows.contains(&vec!["repository", "docker.io", "reject"]),
        "{out}"
    );
    assert!(
        rows.contains(&vec!["repository", "quay.io/podman", "accept"]),
        "{out}"
    );
    assert!(
        rows.contains(&vec!["repository", "registry.example.com", "signed"]),
        "{out}"
    );
    assert!(
        rows.contains(&vec!["repository", "ghcr.io", "sigstoreSigned", "N/A"]),
        "{out}"
    );

    let json = env.burrow(&["image", "trust", "show", "--json"]).ok();
    let v: Value = serde_json::from_str(json.out()).expect("trust JSON");
    assert_eq!(v[0]["repo_name"], "default");
    assert_eq!(v[0]["type"], "reject");
    assert_eq!(v[0]["transport"], "all");
    let signed = v
        .as_array()
        .and_then(|a| a.iter().find(|r| r["repo_name"] == "registry.example.com"))
        .expect("signed row");
    assert_eq!(signed["keys"][0], "/etc/pki/a.gpg");

    let cat = env.sh(&format!("cat '{}'", path.display())).ok();
    let written: Value = serde_json::from_str(cat.out()).expect("policy.json");
    assert_eq!(written["default"][0]["type"], "reject");
    assert_eq!(
        written["transports"]["docker"]["docker.io"][0]["type"],
        "reject"
    );
    assert_eq!(
        written["transports"]["docker"]["quay.io/podman"][0]["type"],
        "insecureAcceptAnything"
    );
    assert_eq!(
        written["transports"]["docker"]["registry.example.com"][0],
        serde_json::json!({"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/pki/a.gpg"})
    );
    assert_eq!(
        written["transports"]["docker"]["ghcr.io"][0],
        serde_json::json!({"type": "sigstoreSigned", "keyPath": "/etc/pki/a.pub"})
    );
    let raw = env.burrow(&["image", "trust", "show", "--raw"]).ok();
    assert_eq!(
        raw.out(),
        env.sh(&format!("cat '{}'", path.display())).ok().out()
    );

    // Bad input: one Error line, exit 125, the file unchanged.
    let before = env
        .sh(&format!("cat '{}'", path.display()))
        .ok()
        .out()
        .to_string();
    env.burrow(&["image", "trust", "set", "--type", "bogus", "default"])
        .code(125)
        .stderr_has("Error: invalid choice: bogus");
    env.burrow(&["image", "trust", "set", "--type", "signedBy", "quay.io"])
        .code(125)
        .stderr_has("at least one public key must be defined for type \"signedBy\"");
    env.burrow(&[
        "image",
        "trust",
        "set",
        "--type",
        "accept",
        "docker://quay.io",
    ])
    .code(125)
    .stderr_has("invalid registry scope");
    let after = env
        .sh(&format!("cat '{}'", path.display()))
        .ok()
        .out()
        .to_string();
    assert_eq!(before, after);

    // A rootless user without a policy of their own gets one, seeded from the system's.
    let fresh = Env::new();
    let user_file = fresh.config_dir().join("containers/policy.json");
    fresh
        .burrow(&["image", "trust", "set", "--type", "reject", "docker.io"])
        .ok();
    let v: Value = serde_json::from_str(
        fresh
            .sh(&format!("cat '{}'", user_file.display()))
            .ok()
            .out(),
    )
    .expect("user policy");
    assert_eq!(v["transports"]["docker"]["docker.io"][0]["type"], "reject");
    assert!(v["default"].is_array());
    fresh
        .burrow(&[
            "image",
            "trust",
            "show",
            "--policypath",
            "/nonexistent/policy.json",
        ])
        .code(125)
        .stderr_has("/nonexistent/policy.json");
}

// Concurrent `manifest add`s to one list: every instance lands (the record is re-read and
// written under a lock).
#[test]
fn manifest_concurrent_adds_all_land() {
    let env = Env::new();
    for i in 0..6 {
        small_image(&env, &format!("localhost/c{i}:1"), &format!("{i}\n"));
    }
    env.burrow(&["manifest", "create", "conc"]).ok();
    let bin = common::burrow_bin().display().to_string();
    let script = (0..6)
        .map(|i| format!("'{bin}' manifest add conc localhost/c{i}:1 >/dev/null &"))
        .collect::<Vec<_>>()
        .join("\n");
    env.sh(&format!("{script}\nwait")).ok();
    let idx = inspect(&env, "conc");
    assert_eq!(idx["manifests"].as_array().map(Vec::len), Some(6), "{idx}");
}

// A manifest list shows in `images` as podman shows it (its name, ID and the small size of its
// index), filters by reference like an image, and `rmi` of its name removes the list alone.
#[test]
fn manifest_lists_in_images_and_rmi() {
    let env = Env::new();
    let a = small_image(&env, "localhost/app-a:1", "a\n");
    let id = env.burrow(&["manifest", "create", "mylist"]).ok();
    let id = id.out().to_string();
    env.burrow(&["manifest", "add", "mylist", "localhost/app-a:1"])
        .ok();

    let rows = env
        .burrow(&[
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}",
        ])
        .ok();
    let row = rows
        .lines()
        .into_iter()
        .find(|l| l.starts_with("localhost/mylist:latest "))
        .unwrap_or_else(|| panic!("no row for the list\n{rows:?}"))
        .to_string();
    assert!(row.contains(&id[..12]), "the list's ID: {row}");
    assert!(row.ends_with(" B"), "an index is bytes, not MB: {row}");
    let q = env.burrow(&["images", "-q", "--no-trunc"]).ok();
    assert!(q.out().contains(&id), "images -q lists it\n{q:?}");
    let only = env
        .burrow(&[
            "images",
            "--filter",
            "reference=mylist",
            "--format",
            "{{.ID}}",
        ])
        .ok();
    assert_eq!(only.out(), &id[..12]);

    let out = env.burrow(&["rmi", "mylist"]).ok();
    assert_eq!(
        out.lines(),
        vec![
            "Untagged: localhost/mylist:latest",
            &format!("Deleted: {id}")
        ]
    );
    env.burrow(&["manifest", "exists", "mylist"]).code(1);
    env.burrow(&["image", "exists", &a]).ok();
    env.burrow(&["rmi", "mylist"])
        .code(1)
        .stderr_has("mylist: image not known");
}

// Pins: `build --manifest LIST` creates the list with the built image, a second build adds to
// it, and a name that belongs to an image is refused before anything is built.
#[test]
fn build_manifest_adds_to_a_list() {
    let env = Env::new().with_busybox();
    let ctx = env.home().join("ctx");
    let build = |text: &str| {
        fs::create_dir_all(&ctx).expect("context");
        fs::write(
            ctx.join("Containerfile"),
            format!("FROM busybox\nRUN echo {text} > /f\n"),
        )
        .expect("Containerfile");
        env.burrow(&[
            OsStr::new("build"),
            OsStr::new("-q"),
            OsStr::new("--manifest"),
            OsStr::new("ml"),
            ctx.as_os_str(),
        ])
        .ok()
        .out()
        .trim()
        .to_string()
    };
    let digest_of = |id: &str| {
        env.burrow(&["image", "inspect", "--format", "{{.Digest}}", id])
            .ok()
            .out()
            .trim()
            .to_string()
    };
    let first = build("one");
    let list = inspect(&env, "ml");
    assert_eq!(
        list["manifests"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );
    assert_eq!(list["manifests"][0]["digest"], digest_of(&first).as_str());
    let second = build("two");
    let list = inspect(&env, "ml");
    let digests: Vec<&str> = list["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter_map(|m| m["digest"].as_str())
        .collect();
    assert_eq!(digests.len(), 2, "{list}");
    assert!(digests.contains(&digest_of(&second).as_str()), "{list}");
    let before = env.burrow(&["images", "-q"]).ok().stdout;
    env.burrow(&[
        OsStr::new("build"),
        OsStr::new("--manifest"),
        OsStr::new("busybox"),
        ctx.as_os_str(),
    ])
    .code(125)
    .stderr_has("an image has that name, not a manifest list");
    assert_eq!(env.burrow(&["images", "-q"]).ok().stdout, before);
}
