//! End-to-end tests of secrets: `secret create/ls/inspect/rm/exists` (from a file, stdin and
//! `--env`, labels, `--replace`), `run --secret` as a file (target, uid, gid, mode) and as an
//! environment variable (also for `exec`), and that the data is never written where it must
//! not be: the container's directory, the state database, `inspect`, config.json, `commit`.

mod common;

use std::path::Path;

use common::{BUSYBOX, Env, Output};
use serde_json::Value;

const DATA: &str = "s3cr3t-VALUE-9f2a";

fn inspect(env: &Env, args: &[&str]) -> Value {
    let out = env.burrow(args).ok();
    serde_json::from_str(&out.stdout).expect("inspect prints JSON")
}

/// One `Error:` line on stderr and exit 125.
#[track_caller]
fn one_error(out: Output, needle: &str) {
    let out = out.code(125).stderr_has(needle);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{out:?}");
    assert!(lines[0].starts_with("Error: "), "{out:?}");
}

/// Every file under `dir` whose bytes contain `needle` (symlinks are not followed).
fn files_containing(dir: &Path, needle: &[u8], skip: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.starts_with(skip) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            files_containing(&p, needle, skip, found);
        } else if meta.is_file()
            && let Ok(bytes) = std::fs::read(&p)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(p.display().to_string());
        }
    }
}

// create (file, stdin, --env), ls, inspect, exists, --replace, rm: podman's outputs and errors.
#[test]
fn secret_lifecycle() {
    let env = Env::new().with_env("MY_PASS", "from-env");
    let file = env.path("secret.txt");
    std::fs::write(&file, DATA).unwrap();
    let id = env
        .burrow(&[
            "secret",
            "create",
            "--label",
            "app=web",
            "fromfile",
            file.to_str().unwrap(),
        ])
        .ok()
        .out()
        .to_string();
    assert_eq!(id.len(), 25, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    env.burrow_stdin(&["secret", "create", "fromstdin", "-"], "piped")
        .ok();
    env.burrow(&["secret", "create", "--env", "fromenv", "MY_PASS"])
        .ok();
    one_error(
        env.burrow(&["secret", "create", "--env", "unset", "NOT_SET_ANYWHERE"]),
        "environment variable NOT_SET_ANYWHERE is not set",
    );
    one_error(
        env.burrow_stdin(&["secret", "create", "fromstdin", "-"], "again"),
        "fromstdin: secret name in use",
    );
    one_error(
        env.burrow_stdin(&["secret", "create", "bad/name", "-"], "x"),
        "invalid secret name",
    );
    one_error(
        env.burrow_stdin(&["secret", "create", "empty", "-"], ""),
        "secret data must be larger than 0",
    );

    let ls = env.burrow(&["secret", "ls"]).ok();
    let lines = ls.lines();
    assert_eq!(lines.len(), 4, "{ls:?}");
    for col in ["ID", "NAME", "DRIVER", "CREATED", "UPDATED"] {
        assert!(lines[0].contains(col), "{ls:?}");
    }
    assert!(
        lines[1].starts_with(&id) && lines[1].contains("fromfile"),
        "{ls:?}"
    );
    assert!(lines[1].contains("file"), "{ls:?}");
    assert_eq!(
        env.burrow(&["secret", "ls", "--noheading"])
            .ok()
            .lines()
            .len(),
        3
    );
    assert_eq!(
        env.burrow(&["secret", "ls", "-q", "--filter", "label=app=web"])
            .ok()
            .out(),
        id
    );
    assert_eq!(
        env.burrow(&[
            "secret",
            "ls",
            "--filter",
            "name=env",
            "--format",
            "{{.Name}}"
        ])
        .ok()
        .out(),
        "fromenv"
    );
    assert_eq!(
        env.burrow(&[
            "secret",
            "ls",
            "--filter",
            &format!("id={}", &id[..6]),
            "--format",
            "{{.Name}}"
        ])
        .ok()
        .out(),
        "fromfile"
    );

    let v = inspect(&env, &["secret", "inspect", "fromfile"]);
    assert_eq!(v[0]["ID"], id.as_str());
    assert_eq!(v[0]["Spec"]["Name"], "fromfile");
    assert_eq!(v[0]["Spec"]["Driver"]["Name"], "file");
    assert_eq!(v[0]["Spec"]["Labels"]["app"], "web");
    assert!(v[0].get("SecretData").is_none(), "{v}");
    assert!(!v.to_string().contains(DATA));
    let v = inspect(
        &env,
        &["secret", "inspect", "--showsecret", "fromfile", "fromenv"],
    );
    assert_eq!(v[0]["SecretData"], DATA);
    assert_eq!(v[1]["SecretData"], "from-env");
    assert_eq!(
        env.burrow(&["secret", "inspect", "--format", "{{.Spec.Name}}", &id[..8]])
            .ok()
            .out(),
        "fromfile"
    );
    one_error(
        env.burrow(&["secret", "inspect", "nope"]),
        "no secret with name or id \"nope\": no such secret",
    );

    env.burrow(&["secret", "exists", "fromfile"]).ok();
    env.burrow(&["secret", "exists", "nope"]).code(1);

    // --replace keeps the id and changes the data.
    let replaced = env
        .burrow_stdin(
            &["secret", "create", "--replace", "fromfile", "-"],
            "new-data",
        )
        .ok()
        .out()
        .to_string();
    assert_eq!(replaced, id);
    let v = inspect(&env, &["secret", "inspect", "--showsecret", "fromfile"]);
    assert_eq!(v[0]["SecretData"], "new-data");
    assert!(
        v[0]["Spec"]["Labels"]
            .as_object()
            .is_none_or(|l| l.is_empty()),
        "{v}"
    );

    let data_file = env.data_dir().join("burrow/secrets/filedriver").join(&id);
    assert!(data_file.is_file());
    assert_eq!(env.burrow(&["secret", "rm", "fromfile"]).ok().out(), id);
    assert!(!data_file.exists(), "the data goes with the secret");
    one_error(
        env.burrow(&["secret", "rm", "fromfile"]),
        "no secret with name or id \"fromfile\": no such secret",
    );
    env.burrow(&["secret", "rm", "--ignore", "fromfile", "fromenv"])
        .ok();
    assert_eq!(env.burrow(&["secret", "rm", "--all"]).ok().lines().len(), 1);
    assert_eq!(env.burrow(&["secret", "ls", "-q"]).ok().out(), "");
}

// A mount secret at /run/secrets/NAME, a target with uid/gid/mode as stat shows them (and
// readable by that user through the user namespace), an env secret under its target name.
#[test]
fn run_with_secrets() {
    let env = Env::new().with_busybox();
    env.burrow_stdin(&["secret", "create", "s", "-"], DATA).ok();
    env.burrow(&[
        "run",
        "--rm",
        "--secret",
        "s",
        BUSYBOX,
        "cat",
        "/run/secrets/s",
    ])
    .ok()
    .stdout_has(DATA);
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--secret",
            "s",
            "--secret",
            "s,target=other,uid=1000,gid=100,mode=0440",
            "--secret",
            "s,target=/etc/app.key",
            "--user",
            "1000:100",
            BUSYBOX,
            "sh",
            "-c",
            "stat -c '%u %g %a' /run/secrets/s /run/secrets/other /etc/app.key; cat /run/secrets/other",
        ])
        .ok();
    assert_eq!(
        out.lines(),
        ["0 0 444", "1000 100 440", "0 0 444", DATA],
        "{out:?}"
    );
    env.burrow(&[
        "run",
        "--rm",
        "--secret",
        "s,type=env,target=PASS",
        BUSYBOX,
        "sh",
        "-c",
        "echo \"$PASS\"",
    ])
    .ok()
    .stdout_has(DATA);
}

// The value is in no file of the container's directory, not in the state database, not in
// inspect or config.json; exec gets env secrets; commit takes no /run/secrets content.
#[test]
fn secret_data_is_never_stored() {
    let env = Env::new().with_busybox();
    env.burrow_stdin(&["secret", "create", "s", "-"], DATA).ok();
    let id = env
        .burrow(&[
            "run",
            "-d",
            "--name",
            "c",
            "--secret",
            "s",
            "--secret",
            "s,type=env,target=PASS",
            BUSYBOX,
            "sleep",
            "300",
        ])
        .ok()
        .out()
        .to_string();
    env.burrow(&[
        "exec",
        "c",
        "sh",
        "-c",
        "echo \"$PASS\"; cat /run/secrets/s",
    ])
    .ok()
    .stdout_has(&format!("{DATA}\n{DATA}"));
    let v = inspect(&env, &["inspect", "c"]);
    assert!(!v.to_string().contains(DATA), "inspect shows the data");
    assert_eq!(v[0]["Config"]["Secrets"][0]["Name"], "s");
    assert!(
        !v[0]["Config"]["Env"].to_string().contains("PASS"),
        "{}",
        v[0]["Config"]["Env"]
    );
    let root = env.data_dir().join("burrow");
    let config = std::fs::read_to_string(root.join("containers").join(&id).join("config.json"))
        .expect("config.json");
    assert!(!config.contains(DATA));
    env.burrow(&["stop", "-t", "0", "c"]).ok();
    // Everything under the data root but the secret driver's own file: the container's
    // directory, the database (and its WAL), the store.
    let mut found = Vec::new();
    files_containing(
        &root,
        DATA.as_bytes(),
        &root.join("secrets/filedriver"),
        &mut found,
    );
    assert!(found.is_empty(), "the secret's value is in {found:?}");

    env.burrow(&["commit", "-q", "c", "localhost/committed"])
        .ok();
    env.burrow(&[
        "run",
        "--rm",
        "localhost/committed",
        "sh",
        "-c",
        "ls -a /run/secrets 2>/dev/null; test -e /run/secrets/s && echo present || echo absent",
    ])
    .ok()
    .stdout_has("absent");
}

// Bad --secret values and a missing secret: one Error: line, exit 125, nothing created.
#[test]
fn bad_secret_flags() {
    let env = Env::new().with_busybox();
    env.burrow_stdin(&["secret", "create", "s", "-"], DATA).ok();
    for (flag, msg) in [
        ("s,type=bogus", "type bogus is invalid: parsing secret"),
        ("s,mode=9", "mode 9 invalid: parsing secret"),
        ("s,type=env,uid=1", "cannot be set with secret type env"),
        ("s,nope=1", "option nope=1 invalid: parsing secret"),
        (
            "missing",
            "no secret with name or id \"missing\": no such secret",
        ),
    ] {
        one_error(
            env.burrow(&["run", "--rm", "--secret", flag, BUSYBOX, "true"]),
            msg,
        );
    }
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().out(), "");
    // Removing a secret a container uses is allowed (as in podman); the data is read at each
    // start, so the next start says what is missing.
    env.burrow(&["create", "--name", "c", "--secret", "s", BUSYBOX, "true"])
        .ok();
    env.burrow(&["secret", "rm", "s"]).ok();
    env.burrow(&["start", "c"])
        .fails()
        .stderr_has("no secret with name or id \"s\": no such secret");
}
