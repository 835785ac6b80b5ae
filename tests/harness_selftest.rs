//! Tests of the e2e harness itself (tests/common): privilege drop, isolation, output capture,
//! timeouts, cleanup and the busybox rootfs tarball. None of them needs burrow's features.

mod common;

use common::{Env, burrow_bin, busybox_tar, is_root, test_user};
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

#[test]
fn commands_run_as_the_unprivileged_test_user() {
    let env = Env::new();
    let uid: u32 = env
        .output(env.command("id", &["-u"]))
        .ok()
        .out()
        .parse()
        .unwrap();
    assert_eq!(uid, env.uid());
    if is_root() {
        assert_ne!(uid, 0, "root runner must drop to the test user");
        // std clears supplementary groups when root sets a uid: no group 0 may remain.
        let groups = env.sh("id -G").ok();
        assert!(
            groups.out().split_whitespace().all(|g| g != "0"),
            "{groups:?}"
        );
        assert_eq!(env.sh("id -g").ok().out(), env.gid().to_string());
    }
}

#[test]
fn home_and_xdg_dirs_are_fresh_and_owned_by_the_test_user() {
    let env = Env::new();
    let out = env
        .sh(r#"printf '%s\n' "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR" "$PWD""#)
        .ok();
    let expected = [
        env.home(),
        env.data_dir(),
        env.config_dir(),
        env.runtime_dir(),
        env.home(),
    ]
    .map(|p| p.display().to_string());
    assert_eq!(out.lines(), expected);

    for dir in [
        env.home(),
        env.data_dir(),
        env.config_dir(),
        env.runtime_dir(),
    ] {
        let meta = fs::metadata(dir).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (env.uid(), env.gid()), "{dir:?}");
        assert!(
            fs::read_dir(dir).unwrap().next().is_none(),
            "{dir:?} not empty"
        );
    }
    let runtime_mode = fs::metadata(env.runtime_dir())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(runtime_mode & 0o777, 0o700);

    // The test user can write where burrow will.
    env.sh("touch \"$HOME/f\" \"$XDG_DATA_HOME/f\" \"$XDG_RUNTIME_DIR/f\"")
        .ok();

    let other = Env::new();
    assert_ne!(env.base(), other.base());
    assert!(env.path("home").starts_with(env.base()));
}

#[test]
fn environment_is_cleared_except_what_the_harness_sets() {
    let mut env = Env::new();
    env.set_env("BURROW_EXTRA", "yes");
    let out = env.output(env.command("env", &[] as &[&str])).ok();
    let text = out.stdout;
    let vars: BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    let allowed = [
        "HOME",
        "PATH",
        "USER",
        "LOGNAME",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "XDG_RUNTIME_DIR",
        "TERM",
        "LANG",
        "RUST_BACKTRACE",
        "RUST_LOG",
        "BURROW_EXTRA",
        "PWD", // some env(1) builds add it
    ];
    for key in vars.keys() {
        assert!(allowed.contains(key), "unexpected variable {key} in {text}");
    }
    assert_eq!(vars["BURROW_EXTRA"], "yes");
    assert_eq!(vars["TERM"], "dumb");
    assert_eq!(vars["LANG"], "C.UTF-8");
    assert_eq!(vars["PATH"], common::PATH);
    assert_eq!(vars["USER"], test_user().name);
}

#[test]
fn output_has_exit_code_streams_and_a_readable_debug() {
    let env = Env::new();
    let out = env.sh("echo out; echo err >&2; exit 3").code(3);
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
    let shown = format!("{out:?}");
    for needle in [
        "sh -c 'echo out; echo err >&2; exit 3'",
        "exit code: 3",
        "out",
        "err",
    ] {
        assert!(shown.contains(needle), "{needle:?} missing from:\n{shown}");
    }
    // Killed by a signal: 128 + signal number, as a shell reports it.
    env.sh("kill -9 $$").code(137);
    env.sh("exit 1").fails();
    env.sh("echo hello").ok().stdout_has("hell");
}

#[test]
#[should_panic(expected = "expected exit code 0")]
fn ok_panics_on_failure() {
    Env::new().sh("exit 4").ok();
}

#[test]
fn stdin_is_fed_to_the_command() {
    let env = Env::new();
    let out = env.output_stdin(env.command("cat", &[] as &[&str]), b"line one\nline two\n");
    assert_eq!(out.ok().lines(), ["line one", "line two"]);
}

#[test]
#[should_panic(expected = "timed out")]
fn a_hung_command_is_killed_at_the_timeout() {
    let mut env = Env::new();
    env.set_timeout(Duration::from_millis(500));
    env.sh("sleep 30");
}

#[test]
#[should_panic(expected = "still holds its stdout")]
fn a_leftover_process_holding_stdout_fails_the_command() {
    let mut env = Env::new();
    env.set_timeout(Duration::from_secs(1));
    // setsid puts the sleeper outside the command's process group, like a detached monitor.
    env.sh("setsid sleep 30 & echo started");
}

#[test]
fn drop_kills_leftovers_and_removes_the_directory() {
    let env = Env::new();
    // One process found by its environment, one (with a cleared environment) by a pid file.
    let mut by_env = env.command("sleep", &["300"]).spawn().unwrap();
    let pid_dir = env.runtime_dir().join("burrow/0123abcd");
    env.sh(&format!(
        "mkdir -p {dir} && (env -i sleep 300 >/dev/null 2>&1 & echo $! > {dir}/conmon.pid)",
        dir = pid_dir.display()
    ))
    .ok();
    let by_pid_file: i32 = fs::read_to_string(pid_dir.join("conmon.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let base = env.base().to_path_buf();
    let alive = |pid: i32| {
        fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                !s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(false)
    };
    assert!(alive(by_env.id() as i32) && alive(by_pid_file));

    drop(env);
    let _ = by_env.wait();
    assert!(
        !alive(by_pid_file),
        "pid-file process {by_pid_file} survived"
    );
    assert!(!base.exists(), "{} was not removed", base.display());
}

#[test]
fn burrow_binary_is_executable_by_the_test_user() {
    let env = Env::new();
    let bin = burrow_bin();
    env.output(env.command("test", &[Path::new("-x"), bin]))
        .ok();
    if is_root() {
        assert!(bin.starts_with(common::e2e_root()));
        assert_eq!(
            fs::metadata(bin).unwrap().permissions().mode() & 0o777,
            0o755
        );
    }
    // Whatever burrow makes of --version, exec itself must work (126/127: cannot execute).
    let out = env.burrow(&["--version"]);
    assert!(![126, 127].contains(&out.status), "{out:?}");
}

#[test]
fn busybox_rootfs_tar_has_the_expected_entries_and_owners() {
    let tar_path = busybox_tar();
    let mode = fs::metadata(tar_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);

    let mut archive = tar::Archive::new(fs::File::open(tar_path).unwrap());
    let mut entries = BTreeMap::new();
    let mut passwd = String::new();
    let mut group = String::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let path = path.trim_end_matches('/').to_string();
        let header = entry.header();
        let link = header
            .link_name()
            .unwrap()
            .map(|l| l.to_string_lossy().into_owned());
        let info = (
            header.entry_type(),
            header.uid().unwrap(),
            header.gid().unwrap(),
            header.mode().unwrap(),
            link,
        );
        match path.as_str() {
            "etc/passwd" => entry.read_to_string(&mut passwd).map(drop).unwrap(),
            "etc/group" => entry.read_to_string(&mut group).map(drop).unwrap(),
            _ => {}
        }
        entries.insert(path, info);
    }

    let busybox = &entries["bin/busybox"];
    assert!(busybox.0.is_file() && busybox.3 == 0o755, "{busybox:?}");
    let sh = &entries["bin/sh"];
    assert!(
        sh.0.is_symlink() && sh.4.as_deref() == Some("busybox"),
        "{sh:?}"
    );
    assert!(entries["sbin/init"].0.is_symlink());
    assert!(entries.contains_key("bin/id") && entries.contains_key("usr/bin/env"));
    assert_eq!(entries["tmp"].3 & 0o7777, 0o1777);
    for dir in ["proc", "sys", "dev", "root", "etc", "home"] {
        assert!(entries[dir].0.is_dir(), "{dir} missing");
    }
    assert_eq!(entries["home/tester"].1, 1000);
    assert_eq!(entries["home/tester"].2, 1000);
    for (path, info) in &entries {
        if path != "home/tester" {
            assert_eq!((info.1, info.2), (0, 0), "{path} not owned by 0:0");
        }
    }
    assert!(passwd.contains("root:x:0:0:"), "{passwd}");
    assert!(passwd.contains("tester:x:1000:1000:"), "{passwd}");
    assert!(passwd.contains("nobody:x:65534:65534:"), "{passwd}");
    assert!(group.contains("tty:x:5:"), "{group}");
    assert!(group.contains("extra:x:2000:tester"), "{group}");

    // The test user (who runs `burrow import`) can read it.
    let env = Env::new();
    env.output(env.command("test", &[Path::new("-r"), tar_path]))
        .ok();
}

#[test]
fn skip_unless_root_matches_the_runner() {
    assert_eq!(common::skip_unless_root(), !is_root());
}
