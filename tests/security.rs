//! End-to-end tests of what a hostile container or build context can reach of the host:
//! burrow's own descriptors (the state database, the events log), its processes through
//! /proc, its binary, and files outside a build context. Each test is the attack, run as a
//! user of the project would try it.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Env;

/// A static program for inside the container: until /out/stop exists, it scans every other
/// process's /proc/PID/fd and /proc/PID/exe for burrow's files and binary and tries to open
/// them for writing; at the end it writes what it saw to /out/hits.
const SCANNER: &str = r#"
use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
fn main() {
    let me = std::process::id().to_string();
    let mut hits = BTreeSet::new();
    let mut scans = 0u64;
    fs::File::create("/out/ready").unwrap();
    while fs::metadata("/out/stop").is_err() {
        scans += 1;
        let Ok(rd) = fs::read_dir("/proc") else { continue };
        for e in rd.flatten() {
            let pid = e.file_name().to_string_lossy().into_owned();
            if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) {
                for f in fds.flatten() {
                    let Ok(l) = fs::read_link(f.path()) else { continue };
                    let l = l.to_string_lossy().into_owned();
                    if l.contains("burrow") || l.contains("events.log") {
                        let w = fs::OpenOptions::new().read(true).write(true).open(f.path()).is_ok();
                        hits.insert(format!("fd {l} writable={w}"));
                    }
                }
            }
            if let Ok(l) = fs::read_link(format!("/proc/{pid}/exe")) {
                let l = l.to_string_lossy().into_owned();
                if l.contains("burrow") {
                    let w = fs::OpenOptions::new().append(true).open(format!("/proc/{pid}/exe")).is_ok();
                    hits.insert(format!("exe {l} writable={w}"));
                }
            }
        }
    }
    let mut out = fs::File::create("/out/hits").unwrap();
    writeln!(out, "scans {scans}").unwrap();
    for h in hits {
        writeln!(out, "{h}").unwrap();
    }
}
"#;

/// Compiles `SCANNER` statically.
fn scanner(env: &Env) -> PathBuf {
    common::static_rust_binary(env, "scanner", SCANNER)
        .expect("could not build the scanner with rustc")
}

/// A directory the container's root (the test user, rootless) can write.
fn out_dir(env: &Env) -> PathBuf {
    let out = env.path("out");
    fs::create_dir_all(&out).expect("mkdir out");
    fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).expect("chmod out");
    out
}

fn wait_for(path: &Path) {
    for _ in 0..600 {
        if path.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} never appeared", path.display());
}

/// Runs the scanner in a detached container, calls `exec` into it `n` times, and returns the
/// scanner's report (its first line counts the scans).
fn scan_during_execs(env: &Env, burrow: &dyn Fn(&[&str]) -> common::Output, n: usize) -> String {
    let bin = scanner(env);
    let out = out_dir(env);
    let scan_mount = format!("{}:/scan:ro", bin.display());
    let out_mount = format!("{}:/out", out.display());
    burrow(&[
        "run",
        "-d",
        "--name",
        "scanned",
        "-v",
        &scan_mount,
        "-v",
        &out_mount,
        "busybox",
        "/scan",
    ])
    .ok();
    wait_for(&out.join("ready"));
    for _ in 0..n {
        burrow(&["exec", "scanned", "true"]).ok();
    }
    fs::write(out.join("stop"), "").expect("stop file");
    burrow(&["wait", "scanned"]).ok();
    let report = fs::read_to_string(out.join("hits")).expect("the scanner's report");
    burrow(&["rm", "scanned"]).ok();
    report
}

// Pins: with --init, pid 1 of the container was burrow holding the user's database open, so
// `: > /proc/1/fd/3` emptied it and every later command failed.
#[test]
fn init_holds_no_host_descriptor() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--init",
            "busybox",
            "sh",
            "-c",
            "ls /proc/1/fd 2>&1; for f in 3 4 5 6 7 8 9; do (: > /proc/1/fd/$f) 2>/dev/null; done; \
             readlink /proc/1/exe || echo no-exe",
        ])
        .ok();
    assert!(
        out.stdout.contains("Permission denied") && out.stdout.contains("no-exe"),
        "pid 1 (burrow's init) is reachable through /proc from the container: {out:?}"
    );
    // The database is intact: the image is still listed and ps works.
    env.burrow(&["images", "--format", "{{.Repository}}"])
        .ok()
        .stdout_has("busybox");
    env.burrow(&["ps", "-a"]).ok();
    // And the init still does its job: it forwards signals and reaps.
    let out = env
        .burrow(&[
            "run",
            "--rm",
            "--init",
            "busybox",
            "sh",
            "-c",
            "kill -TERM $$; sleep 5",
        ])
        .code(143);
    assert!(out.stderr.is_empty(), "{out:?}");
}

// Pins: the `exec` child was visible in the container with the database open before it
// exec'd; a process scanning /proc/*/fd opened burrow.db read-write in 12 of 60 execs.
#[test]
fn exec_child_cannot_be_reached_before_execve() {
    let env = Env::new().with_busybox();
    let report = scan_during_execs(&env, &|a| env.burrow(a), 40);
    let mut lines = report.lines();
    let scans: u64 = lines
        .next()
        .and_then(|l| l.strip_prefix("scans "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(scans > 100, "the scanner hardly ran: {report}");
    let hits: Vec<&str> = lines.collect();
    assert!(
        hits.is_empty(),
        "a container process reached burrow's exec child: {hits:?}"
    );
}

/// Writes a build context with links out of it: `dirlink` to a host directory holding
/// `secret` and `x`, `up` to `..` (beside the context lies outside.txt), `flink` to a file
/// inside.
fn hostile_context(env: &Env, containerfile: &str) -> PathBuf {
    let host = env.path("hostdir");
    fs::create_dir_all(&host).expect("mkdir hostdir");
    fs::write(host.join("secret"), "HOST-SECRET\n").expect("write secret");
    fs::write(host.join("x"), "HOST-SECRET\n").expect("write x");
    let ctx = env.path("ctx");
    let _ = fs::remove_dir_all(&ctx);
    fs::create_dir_all(ctx.join("sub")).expect("mkdir ctx");
    fs::write(env.path("outside.txt"), "HOST-SECRET\n").expect("write outside");
    fs::write(ctx.join("sub/f"), "inside\n").expect("write sub/f");
    symlink(&host, ctx.join("dirlink")).expect("symlink dirlink");
    symlink("..", ctx.join("up")).expect("symlink up");
    symlink("sub/f", ctx.join("flink")).expect("symlink flink");
    fs::write(ctx.join("Containerfile"), containerfile).expect("write Containerfile");
    for p in [&host, &ctx, &ctx.join("sub")] {
        fs::set_permissions(p, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    ctx
}

// Pins: `COPY dirlink/secret`, `COPY dirlink/*`, `ADD dirlink/x`, `COPY up/outside.txt` and a
// RUN bind mount of `dirlink` put host files into the image.
#[test]
fn build_never_follows_a_link_out_of_the_context() {
    let env = Env::new().with_busybox();
    for step in [
        "COPY dirlink/secret /s",
        "COPY dirlink/* /d/",
        "ADD dirlink/x /x",
        "COPY up/outside.txt /",
        "RUN --mount=type=bind,source=dirlink,target=/m cat /m/secret > /s",
        "RUN --mount=type=bind,source=up,target=/m cat /m/outside.txt > /s",
    ] {
        let ctx = hostile_context(
            &env,
            &format!("FROM localhost/busybox\n{step}\nCMD cat /s /d/* /x /outside.txt\n"),
        );
        let out = env.burrow(&["build", "-t", "escape", &ctx.display().to_string()]);
        assert!(!out.stdout.contains("HOST-SECRET"), "{step}: {out:?}");
        if out.status == 0 {
            let run = env.burrow(&["run", "--rm", "escape"]);
            assert!(
                !run.stdout.contains("HOST-SECRET"),
                "{step}: a host file ended up in the image: {run:?}"
            );
        } else if !step.starts_with("RUN") {
            out.code(125).stderr_has("no such file or directory");
        } else {
            // The mount resolves inside the context: the command finds nothing there.
            assert!(!out.stderr.contains("HOST-SECRET"), "{step}: {out:?}");
        }
    }
}

// Pins docker's rule for links inside the context: copied as links, and a directory reached
// through a link inside the context resolves there.
#[test]
fn build_copies_links_inside_the_context_as_links() {
    let env = Env::new().with_busybox();
    let ctx = hostile_context(
        &env,
        "FROM localhost/busybox\nCOPY flink /l\nCOPY sub /sub/\nCOPY up/sub/f /through-up\n\
         CMD readlink /l; cat /through-up\n",
    );
    env.burrow(&["build", "-t", "links", &ctx.display().to_string()])
        .ok();
    let out = env.burrow(&["run", "--rm", "links"]).ok();
    assert_eq!(out.stdout, "sub/f\ninside\n", "{out:?}");
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout).to_string()
}

// Pins the runc CVE-2019-5736 class in root mode: a privileged container opened
// /proc/<burrow's pid>/exe (its --init, an exec child) and reached the host's binary.
#[test]
fn root_mode_container_cannot_reach_the_burrow_binary() {
    if common::skip_unless_root() {
        return;
    }
    let env = Env::new();
    let bin = env.path("burrow-root-copy");
    fs::copy(common::burrow_bin(), &bin).expect("copy the binary");
    let before = sha256(&bin);
    // Its own copy of the binary: the attack, were it to work, must not damage the binary the
    // other tests use.
    let run = |a: &[&str]| common::root_burrow_bin(&env, &bin, a);
    let tar = common::busybox_tar().display().to_string();
    run(&["import", &tar, "busybox"]).ok();
    let out = run(&[
        "run",
        "--rm",
        "--privileged",
        "--init",
        "busybox",
        "sh",
        "-c",
        "readlink /proc/1/exe; (echo x >> /proc/1/exe); (: > /proc/1/exe); echo done",
    ])
    .ok();
    assert!(
        out.stdout.starts_with("/memfd:burrow") && out.stdout.contains("done"),
        "pid 1 does not run from the sealed copy: {out:?}"
    );
    let report = scan_during_execs(&env, &run, 20);
    for hit in report.lines().skip(1) {
        assert!(
            hit.contains("/memfd:burrow") && hit.ends_with("writable=false"),
            "the container reached burrow's binary or descriptors: {report}"
        );
    }
    assert_eq!(sha256(&bin), before, "the binary changed");
}
