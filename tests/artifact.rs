//! End-to-end tests of `artifact add/ls/inspect/extract/push/rm/pull` against Debian's real
//! docker-registry, and of `container runlabel` with an image built with a LABEL, run
//! through the CLI as the unprivileged test user.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/registry.rs"]
mod registry;

use std::fs;
use std::os::unix::fs::chown;
use std::path::PathBuf;

use common::{Env, Output};
use registry::Registry;
use serde_json::Value;

const TLS_OFF: &str = "--tls-verify=false";
const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/// A file (or directory with `None`) under the test's base dir, owned by the test user.
fn put(env: &Env, rel: &str, content: Option<&[u8]>) -> PathBuf {
    let p = env.path(rel);
    match content {
        Some(c) => fs::write(&p, c).unwrap(),
        None => fs::create_dir_all(&p).unwrap(),
    }
    chown(&p, Some(env.uid()), Some(env.gid())).unwrap();
    p
}

fn s(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// Exit 125 and exactly one `Error:` line, the last one.
#[track_caller]
fn one_error(out: &Output, needle: &str) {
    assert_eq!(out.status, 125, "expected exit code 125\n{out:?}");
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("Error:"))
        .collect();
    assert_eq!(errors.len(), 1, "expected one `Error:` line\n{out:?}");
    assert_eq!(out.stderr.lines().last(), Some(errors[0]), "{out:?}");
    assert!(errors[0].contains(needle), "expected {needle:?}\n{out:?}");
}

fn inspect(env: &Env, name: &str) -> Value {
    let out = env.burrow(&["artifact", "inspect", name]).ok();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out:?}"))
}

// add → ls → inspect → extract → push → rm → pull → extract: the files come back byte for
// byte and the manifest digest is the same locally and in the registry.
#[test]
fn add_push_rm_pull_round_trip() {
    let reg = Registry::start();
    let env = Env::new();
    let text = b"hello artifact\n".to_vec();
    let bin: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let a = put(&env, "a.txt", Some(&text));
    let b = put(&env, "model.bin", Some(&bin));
    let name = "localhost/test/art:1";
    let added = env
        .burrow(&[
            "artifact",
            "add",
            "--type",
            "application/vnd.example.test",
            "--annotation",
            "team=qa",
            name,
            &s(&a),
            &s(&b),
        ])
        .ok();
    let hex = added.out().to_string();
    assert_eq!(hex.len(), 64, "add prints the manifest digest\n{added:?}");

    let ls = env.burrow(&["artifact", "ls"]).ok();
    let lines = ls.lines();
    assert_eq!(lines.len(), 2, "{ls:?}");
    let head: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(head, ["REPOSITORY", "TAG", "DIGEST", "CREATED", "SIZE"]);
    assert!(lines[1].starts_with("localhost/test/art  1 "), "{ls:?}");
    assert!(lines[1].contains(&hex[..12]), "{ls:?}");
    assert!(lines[1].ends_with("70.02kB"), "{ls:?}");
    let fmt = env
        .burrow(&[
            "artifact",
            "ls",
            "--no-trunc",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.Digest}} {{.VirtualSize}}",
        ])
        .ok();
    assert_eq!(fmt.out(), format!("localhost/test/art:1 {hex} 70015"));

    let v = inspect(&env, name);
    assert_eq!(v["Name"], name);
    assert_eq!(v["Digest"], format!("sha256:{hex}"));
    let m = &v["Manifest"];
    assert_eq!(m["artifactType"], "application/vnd.example.test");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(m["config"]["digest"], EMPTY_DIGEST);
    assert_eq!(m["annotations"]["team"], "qa");
    assert!(m["annotations"]["org.opencontainers.image.created"].is_string());
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers[0]["mediaType"], "text/plain; charset=utf-8");
    assert_eq!(
        layers[0]["annotations"]["org.opencontainers.image.title"],
        "a.txt"
    );
    assert_eq!(layers[1]["mediaType"], "application/octet-stream");
    assert_eq!(layers[1]["size"], 70_000);
    // by partial digest, and podman's --format
    let d = env
        .burrow(&["artifact", "inspect", "--format", "{{.Digest}}", &hex[..10]])
        .ok();
    assert_eq!(d.out(), format!("sha256:{hex}"));

    let out1 = put(&env, "out1", None);
    env.burrow(&["artifact", "extract", name, &s(&out1)]).ok();
    assert_eq!(fs::read(out1.join("a.txt")).unwrap(), text);
    assert_eq!(fs::read(out1.join("model.bin")).unwrap(), bin);
    let single = env.path("single.bin");
    env.burrow(&[
        "artifact",
        "extract",
        "--title",
        "model.bin",
        name,
        &s(&single),
    ])
    .ok();
    assert_eq!(fs::read(&single).unwrap(), bin);

    let remote = reg.image("test/art:1");
    env.burrow(&["artifact", "push", TLS_OFF, name, &remote])
        .ok();
    let (remote_digest, manifest) = reg.manifest("test/art", "1");
    assert_eq!(remote_digest, format!("sha256:{hex}"));
    assert_eq!(manifest["artifactType"], "application/vnd.example.test");

    let rm = env.burrow(&["artifact", "rm", name]).ok();
    assert_eq!(rm.out(), hex);
    let ls = env.burrow(&["artifact", "ls", "--noheading"]).ok();
    assert_eq!(ls.out(), "", "{ls:?}");

    env.burrow(&["artifact", "pull", TLS_OFF, &remote]).ok();
    let v = inspect(&env, &remote);
    assert_eq!(v["Digest"], format!("sha256:{hex}"));
    let out2 = put(&env, "out2", None);
    env.burrow(&["artifact", "extract", &remote, &s(&out2)])
        .ok();
    assert_eq!(fs::read(out2.join("a.txt")).unwrap(), text);
    assert_eq!(fs::read(out2.join("model.bin")).unwrap(), bin);
    let mut names: Vec<String> = fs::read_dir(&out2)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.txt", "model.bin"], "no temporary files left");

    // --append adds a file under a new digest; rm --all empties the store and its blobs.
    let c = put(&env, "c.yaml", Some(b"k: v\n"));
    let appended = env
        .burrow(&["artifact", "add", "--append", &remote, &s(&c)])
        .ok();
    assert_ne!(appended.out(), hex);
    assert_eq!(inspect(&env, &remote)["Manifest"]["layers"][2]["size"], 5);
    let all = env.burrow(&["artifact", "rm", "--all"]).ok();
    assert_eq!(all.out(), appended.out());
    let blobs = env
        .data_dir()
        .join("containers/storage/artifacts/blobs/sha256");
    if blobs.exists() {
        assert_eq!(
            fs::read_dir(&blobs).unwrap().count(),
            0,
            "blobs left behind"
        );
    }
}

// Bad input: one `Error:` line, exit 125, and nothing changed.
#[test]
fn bad_input_is_one_error_and_changes_nothing() {
    let env = Env::new();
    let a = put(&env, "a.txt", Some(b"a\n"));
    let b = put(&env, "b.txt", Some(b"b\n"));
    let missing = env.path("missing.txt");
    let out = env.burrow(&["artifact", "add", "localhost/x:1", &s(&a), &s(&missing)]);
    one_error(&out, &format!("{}: no such file or directory", s(&missing)));
    assert_eq!(
        env.burrow(&["artifact", "ls", "--noheading"]).ok().out(),
        ""
    );

    let out = env.burrow(&["artifact", "inspect", "localhost/nope:1"]);
    one_error(&out, "localhost/nope:1: artifact does not exist");
    let out = env.burrow(&["artifact", "rm", "localhost/nope:1"]);
    one_error(&out, "localhost/nope:1: artifact does not exist");
    env.burrow(&["artifact", "rm", "-i", "localhost/nope:1"])
        .ok();
    let out = env.burrow(&["artifact", "rm", "--all", "localhost/nope:1"]);
    one_error(&out, "when using the --all switch");

    env.burrow(&["artifact", "add", "localhost/x:1", &s(&a), &s(&b)])
        .ok();
    let out = env.burrow(&["artifact", "add", "localhost/x:1", &s(&a)]);
    one_error(&out, "localhost/x:1: artifact already exists");
    let out = env.burrow(&["artifact", "add", "--append", "localhost/x:1", &s(&a)]);
    one_error(&out, "a.txt: file already exists in artifact");
    let out = env.burrow(&["artifact", "extract", "localhost/x:1", &s(&env.path("f"))]);
    one_error(&out, "consists of several blobs");
    assert!(!env.path("f").exists());

    // A symbolic link in the target directory pointing outside is never written through.
    let outside = put(&env, "outside.txt", Some(b"precious\n"));
    let dir = put(&env, "dir", None);
    std::os::unix::fs::symlink(&outside, dir.join("a.txt")).unwrap();
    let out = env.burrow(&["artifact", "extract", "localhost/x:1", &s(&dir)]);
    one_error(&out, "is a symbolic link");
    assert_eq!(fs::read(&outside).unwrap(), b"precious\n");
    assert!(!dir.join("b.txt").exists(), "nothing written on failure");

    // A title climbing out of the directory is refused; to a file it is harmless.
    env.burrow(&[
        "artifact",
        "add",
        "--annotation",
        "org.opencontainers.image.title=../evil",
        "localhost/evil:1",
        &s(&a),
    ])
    .ok();
    let dir2 = put(&env, "dir2", None);
    let out = env.burrow(&["artifact", "extract", "localhost/evil:1", &s(&dir2)]);
    one_error(&out, r#"invalid name: "../evil" cannot contain /"#);
    assert!(!env.path("evil").exists());
    let f = env.path("evil-file");
    env.burrow(&["artifact", "extract", "localhost/evil:1", &s(&f)])
        .ok();
    assert_eq!(fs::read(&f).unwrap(), b"a\n");
}

// runlabel runs the label's command (its `podman` word is this burrow), substitutes IMAGE
// and NAME, shows it with --display, and fails with podman's message for a missing label.
#[test]
fn runlabel_runs_the_label() {
    let env = Env::new().with_busybox();
    let ctx = put(&env, "ctx", None);
    let cf = ctx.join("Containerfile");
    fs::write(
        &cf,
        "FROM localhost/busybox\n\
         LABEL RUN=\"podman run --rm --name NAME IMAGE echo hello from label\"\n\
         LABEL HOSTCMD=\"/bin/echo image=IMAGE name=NAME\"\n",
    )
    .unwrap();
    chown(&cf, Some(env.uid()), Some(env.gid())).unwrap();
    env.burrow(&["build", "-q", "-t", "localhost/lbl", &s(&ctx)])
        .ok();

    let out = env
        .burrow(&["container", "runlabel", "RUN", "localhost/lbl"])
        .ok();
    assert_eq!(out.stdout, "hello from label\n", "{out:?}");
    let out = env
        .burrow(&["container", "runlabel", "run", "localhost/lbl", "again"])
        .ok();
    assert_eq!(out.stdout, "hello from label again\n", "{out:?}");
    let out = env
        .burrow(&["container", "runlabel", "--display", "RUN", "localhost/lbl"])
        .ok();
    assert!(
        out.out().starts_with("command: ")
            && out
                .out()
                .ends_with(" run --rm --name lbl localhost/lbl:latest echo hello from label"),
        "{out:?}"
    );
    let out = env
        .burrow(&[
            "container",
            "runlabel",
            "--name",
            "n1",
            "HOSTCMD",
            "localhost/lbl",
        ])
        .ok();
    assert_eq!(out.stdout, "image=localhost/lbl:latest name=n1\n");
    let out = env.burrow(&["container", "runlabel", "NOPE", "localhost/lbl"]);
    one_error(
        &out,
        "cannot find the value of label: NOPE in image: localhost/lbl",
    );
}

// runlabel pulls a missing image first (podman's default), `--replace` removes the container
// the label names before running it again, and `--quiet` silences the command.
#[test]
fn runlabel_pulls_missing_image_and_replaces() {
    let reg = Registry::start();
    let env = Env::new().with_busybox();
    let ctx = put(&env, "ctx", None);
    let cf = ctx.join("Containerfile");
    fs::write(
        &cf,
        "FROM localhost/busybox\nLABEL RUN=\"podman run --name fixed IMAGE echo hi from NAME\"\n",
    )
    .unwrap();
    chown(&cf, Some(env.uid()), Some(env.gid())).unwrap();
    env.burrow(&["build", "-q", "-t", "localhost/lbl2", &s(&ctx)])
        .ok();
    let remote = reg.image("test/lbl2:1");
    env.burrow(&["push", TLS_OFF, "localhost/lbl2", &remote])
        .ok();
    env.burrow(&["rmi", "localhost/lbl2"]).ok();

    let out = env
        .burrow(&["container", "runlabel", TLS_OFF, "RUN", &remote])
        .ok();
    assert_eq!(out.stdout, "hi from lbl2\n", "{out:?}");
    assert!(out.stderr.contains("Writing manifest"), "pulled: {out:?}");
    // The container named by the label exists: without --replace the name is taken.
    let again = env.burrow(&["container", "runlabel", "RUN", &remote]);
    assert_eq!(again.status, 125, "{again:?}");
    assert!(
        again.stderr.contains("failed: exit status 125"),
        "{again:?}"
    );
    let out = env
        .burrow(&["container", "runlabel", "--replace", "RUN", &remote])
        .ok();
    assert_eq!(out.stdout, "hi from lbl2\n", "{out:?}");
    let out = env
        .burrow(&[
            "container",
            "runlabel",
            "--replace",
            "--quiet",
            "RUN",
            &remote,
        ])
        .ok();
    assert_eq!(out.stdout, "", "{out:?}");
    let ps = env.burrow(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(ps.out(), "fixed");
}
