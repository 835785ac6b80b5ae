//! End-to-end tests of the container lifecycle: detached runs, ps, logs, stop/kill, wait,
//! start, restart, rename, rm, restart policies, exec, top and inspect, all through the real
//! binary as the unprivileged test user.

mod common;

use common::{BUSYBOX, Env, Output, burrow_bin};
use serde_json::Value;
use std::thread;
use std::time::{Duration, Instant};

/// A container that exits 0 on SIGTERM (busybox sh as pid 1 ignores it otherwise) and keeps
/// running until then.
const TERM_LOOP: &str = "trap 'exit 0' TERM; while :; do sleep 0.1; done";

/// Polls `cond` every 100 ms until it holds or `timeout` passes; returns whether it held.
fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// `run -d` with `args`; returns the full id it printed.
#[track_caller]
fn run_detached(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["run", "-d"];
    all.extend_from_slice(args);
    env.burrow(&all).ok().out().to_string()
}

/// `inspect -f FORMAT NAME`, trimmed.
#[track_caller]
fn inspect_field(env: &Env, name: &str, format: &str) -> String {
    env.burrow(&["inspect", "-f", format, name])
        .ok()
        .out()
        .to_string()
}

fn status(env: &Env, name: &str) -> String {
    inspect_field(env, name, "{{.State.Status}}")
}

/// The whole `inspect NAME` document, checked to be an array of one object.
#[track_caller]
fn inspect_json(env: &Env, name: &str) -> Value {
    let out = env.burrow(&["inspect", name]).ok();
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("inspect did not print JSON: {e}\n{out:?}"));
    let arr = doc.as_array().expect("inspect prints a JSON array");
    assert_eq!(arr.len(), 1, "{out:?}");
    arr[0].clone()
}

fn is_hex_id(s: &str, len: usize) -> bool {
    s.len() == len
        && s.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

/// True for an RFC 3339 timestamp with seconds, optional fraction and a zone
/// (`2024-05-01T10:00:00.123456789Z`, `...+02:00`).
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    if !(b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19))
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.chars().take_while(char::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes()[3] == b':'
            && rest[1..3]
                .chars()
                .chain(rest[4..].chars())
                .all(|c| c.is_ascii_digit()))
}

/// Column start of `name` in a table header line (byte offset).
fn column(header: &str, name: &str) -> usize {
    header
        .find(name)
        .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"))
}

/// Monitors (`burrow-monitor`) of this Env still alive, as `ps` shows them for the test user.
fn live_monitors(env: &Env) -> Vec<String> {
    let user = env.user().name.clone();
    let out = env
        .output(env.command("ps", &["-ww", "-u", &user, "-o", "stat=,comm=,args="]))
        .ok();
    let runroot = env.runtime_dir().display().to_string();
    out.stdout
        .lines()
        .filter(|l| {
            let mut f = l.split_whitespace();
            let stat = f.next().unwrap_or("");
            let comm = f.next().unwrap_or("");
            !stat.starts_with('Z') && comm == "burrow-monitor" && l.contains(&runroot)
        })
        .map(str::to_string)
        .collect()
}

// ----------------------------------------------------------------------------------------------
// run -d and ps

// Pins: `run -d` prints the full 64-hex id and returns while the container keeps running, also
// after the CLI that started it is gone (the harness fails if it left our pipes open).
#[test]
fn run_detached_prints_id_and_container_outlives_the_cli() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&["run", "-d", "--name", "bg", BUSYBOX, "sleep", "1000"])
        .ok();
    let id = out.out();
    assert!(is_hex_id(id, 64), "not a 64-hex id: {out:?}");
    assert!(
        out.elapsed < Duration::from_secs(30),
        "run -d waited for the container: {out:?}"
    );
    let pid = inspect_field(&env, "bg", "{{.State.Pid}}");
    assert_eq!(inspect_field(&env, "bg", "{{.State.Running}}"), "true");
    thread::sleep(Duration::from_millis(500));
    // Still the same process, still up, though the CLI exited long ago.
    assert_eq!(status(&env, "bg"), "running");
    assert_eq!(inspect_field(&env, "bg", "{{.State.Pid}}"), pid);
    assert_eq!(inspect_field(&env, "bg", "{{.Id}}"), id);
    let ps = env.burrow(&["ps", "-q"]).ok();
    assert_eq!(ps.lines(), [&id[..12]], "{ps:?}");
}

// Pins: `ps` prints podman's seven columns, aligned, with the 12-char id and an "Up" status.
#[test]
fn ps_shows_podman_columns_and_short_id() {
    let env = Env::new().with_busybox();
    let id = run_detached(&env, &["--name", "web", BUSYBOX, "sleep", "1000"]);
    let ps = env.burrow(&["ps"]).ok();
    let lines = ps.lines();
    assert_eq!(lines.len(), 2, "{ps:?}");
    let header = lines[0];
    let cols = [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ];
    let starts: Vec<usize> = cols.iter().map(|c| column(header, c)).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{header:?}");
    let row = lines[1];
    assert!(row.starts_with(&id[..12]), "{ps:?}");
    assert!(!row.contains(&id[..13]), "ps must truncate the id: {ps:?}");
    assert_eq!(&row[starts[1]..starts[1] + 24], "localhost/busybox:latest");
    assert!(row[starts[2]..].starts_with("sleep 1000"), "{ps:?}");
    assert!(row[starts[4]..].starts_with("Up "), "{ps:?}");
    assert_eq!(&row[starts[6]..], "web", "{ps:?}");

    let full = env.burrow(&["ps", "--no-trunc"]).ok();
    assert!(full.lines()[1].starts_with(&id), "{full:?}");
}

// Pins: `ps -q`, `-a` (exited ones with "Exited (3) ..."), `-l` and `-n 1` select the right
// containers.
#[test]
fn ps_quiet_all_latest_and_last() {
    let env = Env::new().with_busybox();
    let up = run_detached(&env, &["--name", "up", BUSYBOX, "sleep", "1000"]);
    let down = run_detached(&env, &["--name", "down", BUSYBOX, "sh", "-c", "exit 3"]);
    env.burrow(&["wait", "down"]).ok();

    let q = env.burrow(&["ps", "-q"]).ok();
    assert_eq!(
        q.lines(),
        [&up[..12]],
        "only running ones without -a: {q:?}"
    );
    let qa = env.burrow(&["ps", "-a", "-q"]).ok();
    let mut got = qa.lines();
    got.sort();
    let mut want = vec![&up[..12], &down[..12]];
    want.sort();
    assert_eq!(got, want, "{qa:?}");

    let all = env.burrow(&["ps", "-a"]).ok();
    let row = all
        .lines()
        .into_iter()
        .find(|l| l.ends_with(" down"))
        .unwrap_or_else(|| panic!("no row for `down`: {all:?}"));
    let status_col = column(all.lines()[0], "STATUS");
    assert!(row[status_col..].starts_with("Exited (3) "), "{all:?}");
    assert!(row.contains(" ago"), "{all:?}");

    // `down` was created last.
    for flag in [&["ps", "-l", "-q"][..], &["ps", "-n", "1", "-q"][..]] {
        let out = env.burrow(flag).ok();
        assert_eq!(out.lines(), [&down[..12]], "{out:?}");
    }
    let l = env.burrow(&["ps", "-l"]).ok();
    assert_eq!(l.lines().len(), 2, "{l:?}");
}

// Pins: `ps --filter` by name, id, status, label, exit code and before/since; a bad filter is
// exit 125.
#[test]
fn ps_filters() {
    let env = Env::new().with_busybox();
    let a = run_detached(
        &env,
        &[
            "--name",
            "alpha",
            "-l",
            "tier=front",
            BUSYBOX,
            "sleep",
            "1000",
        ],
    );
    let b = run_detached(
        &env,
        &[
            "--name",
            "beta",
            "-l",
            "tier=back",
            BUSYBOX,
            "sh",
            "-c",
            "exit 3",
        ],
    );
    let c = run_detached(&env, &["--name", "gamma", BUSYBOX, "true"]);
    env.burrow(&["wait", "beta", "gamma"]).ok();

    let names = |filter: &str| {
        let out = env
            .burrow(&["ps", "-a", "--filter", filter, "--format", "{{.Names}}"])
            .ok();
        let mut v: Vec<String> = out.lines().into_iter().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(names("name=alpha"), ["alpha"]);
    assert_eq!(names(&format!("id={}", &b[..8])), ["beta"]);
    assert_eq!(names(&format!("id={a}")), ["alpha"]);
    assert_eq!(names("status=exited"), ["beta", "gamma"]);
    assert_eq!(names("status=running"), ["alpha"]);
    assert_eq!(names("label=tier=back"), ["beta"]);
    assert_eq!(names("label=tier"), ["alpha", "beta"]);
    assert_eq!(names("exited=3"), ["beta"]);
    assert_eq!(names("exited=0"), ["gamma"]);
    // podman's semantics: name= is an unanchored regex, label!= negates, until= takes a Go
    // duration or a timestamp (these containers are seconds old).
    assert_eq!(names("name=^(alpha|gamma)$"), ["alpha", "gamma"]);
    assert_eq!(names("name=ph"), ["alpha"]);
    assert_eq!(names("label!=tier"), ["gamma"]);
    assert!(names("until=1h").is_empty());
    assert_eq!(names("until=2999-01-01"), ["alpha", "beta", "gamma"]);
    // before/since: created before or after the named container (alpha, beta, gamma in order).
    assert_eq!(names("before=beta"), ["alpha"]);
    assert_eq!(names("since=beta"), ["gamma"]);
    assert_eq!(names(&format!("since={}", &a[..12])), ["beta", "gamma"]);
    env.burrow(&["ps", "-a", "--filter", "before=nosuch"])
        .code(125)
        .stderr_has("nosuch");
    let _ = c;

    env.burrow(&["ps", "--filter", "bogus=1"]).code(125);
    env.burrow(&["ps", "--filter", "status=sleepy"]).code(125);
}

// Pins: `ps --format` with a plain template, and with `table` (header row, short id, columns).
#[test]
fn ps_format_template_and_table() {
    let env = Env::new().with_busybox();
    let id = run_detached(&env, &["--name", "fmt", BUSYBOX, "sleep", "1000"]);
    let names = env.burrow(&["ps", "--format", "{{.Names}}"]).ok();
    assert_eq!(names.stdout, "fmt\n");
    let ids = env.burrow(&["ps", "--format", "{{.ID}}"]).ok();
    assert_eq!(
        ids.stdout,
        format!("{}\n", &id[..12]),
        "podman's .ID is short"
    );
    let full = env
        .burrow(&["ps", "--no-trunc", "--format", "{{.ID}}"])
        .ok();
    assert_eq!(full.stdout, format!("{id}\n"));

    let table = env
        .burrow(&["ps", "--format", "table {{.ID}} {{.Names}}"])
        .ok();
    let lines = table.lines();
    assert_eq!(lines.len(), 2, "{table:?}");
    let names_col = column(lines[0], "NAMES");
    assert!(lines[0].starts_with("CONTAINER ID"), "{table:?}");
    assert!(lines[1].starts_with(&id[..12]), "{table:?}");
    assert_eq!(&lines[1][names_col..], "fmt", "columns aligned: {table:?}");
}

// Pins: container names (create, run, rename) follow podman's rule and are at most 253
// characters (there was no limit): one `Error:` line, 125, nothing created or renamed.
#[test]
fn container_names_are_checked_on_create_and_rename() {
    let env = Env::new().with_busybox();
    let out = env
        .burrow(&["create", "--name", "a b", BUSYBOX, "true"])
        .code(125);
    assert_eq!(
        out.stderr.trim_end(),
        "Error: invalid container name \"a b\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
    );
    let long = "c".repeat(254);
    let out = env
        .burrow(&["run", "--rm", "--name", &long, BUSYBOX, "true"])
        .code(125);
    assert_eq!(
        out.stderr.trim_end(),
        format!(
            "Error: invalid container name \"{}...\" (254 characters): names must be at most 253 characters: invalid argument",
            &long[..40]
        )
    );
    assert!(env.burrow(&["ps", "-aq"]).ok().out().is_empty());
    env.burrow(&["create", "--name", "keep", BUSYBOX, "true"])
        .ok();
    env.burrow(&["rename", "keep", &long])
        .code(125)
        .stderr_has("names must be at most 253 characters");
    env.burrow(&["rename", "keep", ".x"])
        .code(125)
        .stderr_has("names must match");
    let names = env.burrow(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(names.stdout, "keep\n");
    env.burrow(&["rename", "keep", &long[..253]]).ok();
    env.burrow(&["container", "exists", &long[..253]]).ok();
}

// Pins: `ps` (and `system df`) show what a container was created with, read from the listing
// columns: ports, labels, volume mounts, command, --rm; a rename shows at once.
#[test]
fn ps_shows_create_options_and_follows_rename() {
    let env = Env::new().with_busybox();
    // A port free now: create checks that it can bind it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let publish = format!("127.0.0.1:{port}:80");
    let shown = format!("127.0.0.1:{port}->80/tcp");
    env.burrow(&[
        "create",
        "--name",
        "opts",
        "-p",
        &publish,
        "-l",
        "tier=front",
        "-v",
        "psvol:/data",
        "--rm",
        BUSYBOX,
        "sh",
        "-c",
        "echo hi there",
    ])
    .ok();
    env.burrow(&["create", "--name", "plain", BUSYBOX, "true"])
        .ok();
    env.burrow(&["rename", "opts", "renamed"]).ok();
    let out = env.burrow(&["ps", "-a", "--format", "json"]).ok();
    let list: Value = serde_json::from_str(&out.stdout).expect("ps json");
    let c = list
        .as_array()
        .and_then(|a| a.iter().find(|c| c["Names"] == "renamed"))
        .unwrap_or_else(|| panic!("no `renamed` in {out}"));
    assert_eq!(c["Command"], "sh -c echo hi there", "{c}");
    assert_eq!(c["Image"], "localhost/busybox:latest", "{c}");
    assert_eq!(c["Labels"]["tier"], "front", "{c}");
    assert_eq!(c["Ports"], shown.as_str(), "{c}");
    assert_eq!(c["Mounts"], serde_json::json!(["/data"]), "{c}");
    assert_eq!(c["AutoRemove"], true, "{c}");
    assert_eq!(c["State"], "created", "{c}");

    let table = env.burrow(&["ps", "-a"]).ok();
    let row = table
        .lines()
        .into_iter()
        .find(|l| l.ends_with(" renamed"))
        .unwrap_or_else(|| panic!("no row for `renamed`: {table}"));
    let ports = column(table.lines()[0], "PORTS");
    assert!(row[ports..].starts_with(&shown), "{table}");
    let names = |filter: &str| {
        env.burrow(&["ps", "-a", "--filter", filter, "--format", "{{.Names}}"])
            .ok()
            .stdout
    };
    assert_eq!(names("label=tier=front"), "renamed\n");
    assert_eq!(names("name=plain"), "plain\n");

    let df = env
        .burrow(&[
            "system",
            "df",
            "--format",
            "{{.Type}} {{.Total}} {{.Active}}",
        ])
        .ok();
    assert!(df.stdout.contains("Local Volumes 1 1"), "{df}");
    assert!(df.stdout.contains("Images 1 1"), "{df}");
}

// Pins: `ps` repairs a record whose monitor and process were killed: no longer listed as
// running, and `ps -a` shows it exited (-1), as podman does.
#[test]
fn ps_repairs_container_whose_process_is_gone() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "ghost", BUSYBOX, "sleep", "1000"]);
    let alive = run_detached(&env, &["--name", "alive", BUSYBOX, "sleep", "1000"]);
    let monitor: i32 = inspect_field(&env, "ghost", "{{.State.ConmonPid}}")
        .parse()
        .expect("monitor pid");
    let pid: i32 = inspect_field(&env, "ghost", "{{.State.Pid}}")
        .parse()
        .expect("pid");
    // SAFETY: signals to processes this test started.
    unsafe {
        libc::kill(monitor, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
    }
    assert!(
        wait_until(Duration::from_secs(5), || !std::path::Path::new(&format!(
            "/proc/{pid}"
        ))
        .exists()),
        "container process {pid} still there"
    );
    let q = env.burrow(&["ps", "-q"]).ok();
    assert_eq!(q.lines(), [&alive[..12]], "{q}");
    let all = env
        .burrow(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"])
        .ok();
    assert!(
        all.lines()
            .iter()
            .any(|l| l.starts_with("ghost Exited (-1) ")),
        "{all}"
    );
    assert!(
        all.lines().iter().any(|l| l.starts_with("alive Up ")),
        "{all}"
    );
}

// ----------------------------------------------------------------------------------------------
// logs

// Pins: a detached container's stdout and stderr are logged to the matching streams, readable
// while it runs and after it exited.
#[test]
fn logs_of_detached_container_keep_streams_and_outlive_it() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "talker",
            BUSYBOX,
            "sh",
            "-c",
            "echo out; echo err >&2; while [ ! -e /tmp/go ]; do sleep 0.1; done",
        ],
    );
    let mut last: Option<Output> = None;
    let seen = wait_until(Duration::from_secs(10), || {
        let out = env.burrow(&["logs", "talker"]).ok();
        let done = out.stdout == "out\n" && out.stderr == "err\n";
        last = Some(out);
        done
    });
    assert!(seen, "logs while running: {last:?}");
    assert_eq!(status(&env, "talker"), "running");

    env.burrow(&["exec", "talker", "touch", "/tmp/go"]).ok();
    assert_eq!(env.burrow(&["wait", "talker"]).ok().out(), "0");
    let out = env.burrow(&["logs", "talker"]).ok();
    assert_eq!(out.stdout, "out\n", "{out:?}");
    assert_eq!(out.stderr, "err\n", "{out:?}");
}

// Pins: `logs --tail N` keeps the last N lines and `logs -t` prefixes RFC 3339 timestamps.
#[test]
fn logs_tail_and_timestamps() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "abc",
            BUSYBOX,
            "sh",
            "-c",
            "echo a; echo b; echo c",
        ],
    );
    env.burrow(&["wait", "abc"]).ok();
    assert_eq!(env.burrow(&["logs", "abc"]).ok().stdout, "a\nb\nc\n");
    assert_eq!(
        env.burrow(&["logs", "--tail", "1", "abc"]).ok().stdout,
        "c\n"
    );
    assert_eq!(
        env.burrow(&["logs", "--tail", "2", "abc"]).ok().stdout,
        "b\nc\n"
    );
    assert_eq!(env.burrow(&["logs", "--tail", "0", "abc"]).ok().stdout, "");

    let t = env.burrow(&["logs", "-t", "abc"]).ok();
    let lines = t.lines();
    assert_eq!(lines.len(), 3, "{t:?}");
    for (line, text) in lines.iter().zip(["a", "b", "c"]) {
        let (ts, rest) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("no timestamp: {t:?}"));
        assert!(is_rfc3339(ts), "bad timestamp {ts:?}: {t:?}");
        assert_eq!(rest, text, "{t:?}");
    }
}

// Pins: `logs --since`/`--until` split the log at a point in time, and accept durations.
#[test]
fn logs_since_and_until() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "slow",
            BUSYBOX,
            "sh",
            "-c",
            "echo early; sleep 2; echo late",
        ],
    );
    assert!(
        wait_until(Duration::from_secs(10), || env
            .burrow(&["logs", "slow"])
            .ok()
            .stdout
            .contains("early")),
        "no early line"
    );
    thread::sleep(Duration::from_millis(300));
    let now = env
        .sh("date -u +%Y-%m-%dT%H:%M:%S.%NZ")
        .ok()
        .out()
        .to_string();
    env.burrow(&["wait", "slow"]).ok();
    assert_eq!(
        env.burrow(&["logs", "--since", &now, "slow"]).ok().stdout,
        "late\n"
    );
    assert_eq!(
        env.burrow(&["logs", "--until", &now, "slow"]).ok().stdout,
        "early\n"
    );
    assert_eq!(
        env.burrow(&["logs", "--since", "10m", "slow"]).ok().stdout,
        "early\nlate\n"
    );
    env.burrow(&["logs", "--since", "yesterday-ish", "slow"])
        .code(125);
}

// Pins: `logs -f` streams new lines as they come and returns when the container exits.
#[test]
fn logs_follow_until_exit() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "ticker",
            BUSYBOX,
            "sh",
            "-c",
            "for i in 1 2 3 4 5; do echo line$i; sleep 0.25; done",
        ],
    );
    let out = env.burrow(&["logs", "-f", "ticker"]).ok();
    assert_eq!(out.stdout, "line1\nline2\nline3\nline4\nline5\n", "{out:?}");
    assert!(
        out.elapsed >= Duration::from_millis(500),
        "logs -f returned before the container finished: {out:?}"
    );
    assert_eq!(status(&env, "ticker"), "exited");
}

// Pins: the log file is podman's k8s-file format: `<RFC3339> <stream> F <text>` per line.
#[test]
fn log_file_is_k8s_file_format() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "k8s",
            BUSYBOX,
            "sh",
            "-c",
            "echo out; echo err >&2",
        ],
    );
    env.burrow(&["wait", "k8s"]).ok();
    assert_eq!(
        inspect_field(&env, "k8s", "{{.HostConfig.LogConfig.Type}}"),
        "k8s-file"
    );
    let path = inspect_field(&env, "k8s", "{{.HostConfig.LogConfig.Path}}");
    let file = env.output(env.command("cat", &[&path])).ok();
    let mut entries = Vec::new();
    for line in file.lines() {
        let parts: Vec<&str> = line.splitn(4, ' ').collect();
        assert_eq!(parts.len(), 4, "bad line {line:?}: {file:?}");
        assert!(is_rfc3339(parts[0]), "bad timestamp in {line:?}");
        assert_eq!(parts[2], "F", "full-line tag in {line:?}");
        entries.push((parts[1].to_string(), parts[3].to_string()));
    }
    entries.sort();
    assert_eq!(
        entries,
        [
            ("stderr".to_string(), "err".to_string()),
            ("stdout".to_string(), "out".to_string())
        ],
        "{file:?}"
    );
}

// ----------------------------------------------------------------------------------------------
// stop, kill, wait, start

// Pins: `stop` sends SIGTERM (seen by the container's trap) and records the container's own
// exit code.
#[test]
fn stop_sends_stop_signal_and_records_exit_code() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "trapper",
            BUSYBOX,
            "sh",
            "-c",
            "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done",
        ],
    );
    assert!(wait_until(Duration::from_secs(10), || env
        .burrow(&["logs", "trapper"])
        .ok()
        .stdout
        .contains("ready")));
    let out = env.burrow(&["stop", "trapper"]).ok();
    assert_eq!(out.out(), "trapper");
    assert!(out.elapsed < Duration::from_secs(8), "{out:?}");
    assert_eq!(status(&env, "trapper"), "exited");
    assert_eq!(inspect_field(&env, "trapper", "{{.State.ExitCode}}"), "7");
    assert_eq!(
        env.burrow(&["logs", "trapper"]).ok().stdout,
        "ready\ngot-term\n"
    );
    let ps = env.burrow(&["ps", "-a", "--filter", "name=trapper"]).ok();
    assert!(ps.stdout.contains("Exited (7)"), "{ps:?}");
}

// Pins: `stop -t 1` on a process ignoring SIGTERM falls back to SIGKILL (exit 137) in time.
#[test]
fn stop_timeout_falls_back_to_sigkill() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "stubborn", BUSYBOX, "sleep", "100"]);
    let out = env.burrow(&["stop", "-t", "1", "stubborn"]).ok();
    assert!(
        out.elapsed < Duration::from_secs(4),
        "stop -t 1 took too long: {out:?}"
    );
    assert_eq!(status(&env, "stubborn"), "exited");
    assert_eq!(
        inspect_field(&env, "stubborn", "{{.State.ExitCode}}"),
        "137"
    );
}

// Pins: `stop` of several containers stops them together, as podman does: two that ignore
// SIGTERM share one timeout (a one-by-one stop would take two), and both end killed.
#[test]
fn stop_of_several_containers_shares_one_timeout() {
    let env = Env::new().with_busybox();
    for name in ["st1", "st2"] {
        run_detached(&env, &["--name", name, BUSYBOX, "sleep", "100"]);
    }
    let out = env.burrow(&["stop", "-t", "3", "st1", "st2"]).ok();
    assert_eq!(out.lines(), ["st1", "st2"], "{out:?}");
    assert!(
        out.elapsed < Duration::from_millis(5500),
        "two stops did not share their timeout: {out:?}"
    );
    for name in ["st1", "st2"] {
        assert_eq!(inspect_field(&env, name, "{{.State.ExitCode}}"), "137");
    }
}

// Pins: `--stop-signal` chooses the signal `stop` sends.
#[test]
fn stop_signal_option_is_honoured() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "usr2",
            "--stop-signal",
            "USR2",
            BUSYBOX,
            "sh",
            "-c",
            "trap 'echo got-usr2; exit 9' USR2; trap 'echo got-term; exit 8' TERM; \
             echo ready; while :; do sleep 0.1; done",
        ],
    );
    assert!(wait_until(Duration::from_secs(10), || env
        .burrow(&["logs", "usr2"])
        .ok()
        .stdout
        .contains("ready")));
    env.burrow(&["stop", "usr2"]).ok();
    assert_eq!(inspect_field(&env, "usr2", "{{.State.ExitCode}}"), "9");
    assert_eq!(
        env.burrow(&["logs", "usr2"]).ok().stdout,
        "ready\ngot-usr2\n"
    );
}

// Pins: `kill -s USR1` reaches the container's trap without stopping it; plain `kill` is
// SIGKILL (137); killing a container that is not running is exit 125.
#[test]
fn kill_delivers_signals_and_refuses_stopped_containers() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "target",
            BUSYBOX,
            "sh",
            "-c",
            "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done",
        ],
    );
    assert!(wait_until(Duration::from_secs(10), || env
        .burrow(&["logs", "target"])
        .ok()
        .stdout
        .contains("ready")));
    env.burrow(&["kill", "-s", "USR1", "target"]).ok();
    assert!(
        wait_until(Duration::from_secs(10), || env
            .burrow(&["logs", "target"])
            .ok()
            .stdout
            .contains("got-usr1")),
        "USR1 not delivered"
    );
    assert_eq!(status(&env, "target"), "running");

    env.burrow(&["kill", "target"]).ok();
    assert_eq!(env.burrow(&["wait", "target"]).ok().out(), "137");
    env.burrow(&["kill", "target"]).code(125);
    env.burrow(&["kill", "no-such-ctr"]).code(125);
}

// Pins: `wait` blocks until exit and prints the container's exit code.
#[test]
fn wait_prints_exit_code() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &["--name", "five", BUSYBOX, "sh", "-c", "sleep 0.5; exit 5"],
    );
    let out = env.burrow(&["wait", "five"]).ok();
    assert_eq!(out.out(), "5");
    assert_eq!(status(&env, "five"), "exited");
    // Waiting on an exited container returns its code at once.
    assert_eq!(env.burrow(&["wait", "five"]).ok().out(), "5");
    env.burrow(&["wait", "no-such-ctr"]).code(125);
}

// Pins: `start` runs a created container in the background; `start -a` attaches and returns
// the container's exit code.
#[test]
fn start_created_container_and_start_attached() {
    let env = Env::new().with_busybox();
    let id = env
        .burrow(&[
            "create",
            "--name",
            "made",
            BUSYBOX,
            "sh",
            "-c",
            "echo started; exit 4",
        ])
        .ok()
        .out()
        .to_string();
    assert!(is_hex_id(&id, 64), "create prints the id: {id:?}");
    assert_eq!(status(&env, "made"), "created");
    let ps = env.burrow(&["ps", "-a", "--filter", "name=made"]).ok();
    assert!(ps.stdout.contains("Created"), "{ps:?}");
    assert_eq!(env.burrow(&["start", "made"]).ok().out(), "made");
    assert_eq!(env.burrow(&["wait", "made"]).ok().out(), "4");
    assert_eq!(env.burrow(&["logs", "made"]).ok().stdout, "started\n");

    env.burrow(&[
        "create",
        "--name",
        "attached",
        BUSYBOX,
        "sh",
        "-c",
        "echo to-out; echo to-err >&2; exit 6",
    ])
    .ok();
    let out = env.burrow(&["start", "-a", "attached"]).code(6);
    assert_eq!(out.stdout, "to-out\n");
    assert!(out.stderr.contains("to-err"), "{out:?}");
}

// ----------------------------------------------------------------------------------------------
// restart, rename, rm, exists

// Pins: `restart` runs the container again as a new process under the same name and id.
#[test]
fn restart_gives_new_pid_and_keeps_name() {
    let env = Env::new().with_busybox();
    let id = run_detached(&env, &["--name", "again", BUSYBOX, "sh", "-c", TERM_LOOP]);
    let pid1 = inspect_field(&env, "again", "{{.State.Pid}}");
    let out = env.burrow(&["restart", "again"]).ok();
    assert!(
        out.stdout.contains("again") || out.stdout.contains(&id),
        "{out:?}"
    );
    let pid2 = inspect_field(&env, "again", "{{.State.Pid}}");
    assert_ne!(pid1, pid2, "restart must start a new process");
    assert_ne!(pid2, "0");
    assert_eq!(status(&env, "again"), "running");
    assert_eq!(inspect_field(&env, "again", "{{.Id}}"), id);
    assert_eq!(inspect_field(&env, "again", "{{.Name}}"), "again");
}

// Pins: `rename` changes the name (old one gone, same id).
#[test]
fn rename_changes_name() {
    let env = Env::new().with_busybox();
    let id = run_detached(&env, &["--name", "before", BUSYBOX, "sleep", "1000"]);
    env.burrow(&["rename", "before", "after"]).ok();
    assert_eq!(inspect_field(&env, "after", "{{.Id}}"), id);
    env.burrow(&["inspect", "before"]).code(125);
    let names = env.burrow(&["ps", "--format", "{{.Names}}"]).ok();
    assert_eq!(names.stdout, "after\n");
    env.burrow(&["container", "exists", "before"]).code(1);
}

// Pins: `rm` refuses a running container (125, says it is running); `rm -f` removes it.
#[test]
fn rm_refuses_running_and_force_removes() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "busy", BUSYBOX, "sleep", "1000"]);
    // podman-rm(1): 2 for a running container.
    env.burrow(&["rm", "busy"]).code(2).stderr_has("running");
    assert_eq!(status(&env, "busy"), "running");
    env.burrow(&["rm", "-f", "busy"]).ok();
    env.burrow(&["container", "exists", "busy"]).code(1);
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().stdout, "");
}

// Pins: `rm -a` removes every stopped container; `rm` of an unknown one is 1 "no such
// container"; `container exists` answers 0/1.
#[test]
fn rm_all_unknown_and_exists() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "one", BUSYBOX, "true"]);
    run_detached(&env, &["--name", "two", BUSYBOX, "true"]);
    env.burrow(&["create", "--name", "three", BUSYBOX, "true"])
        .ok();
    env.burrow(&["wait", "one", "two"]).ok();
    env.burrow(&["container", "exists", "one"]).ok();
    env.burrow(&["rm", "-a"]).ok();
    assert_eq!(env.burrow(&["ps", "-a", "-q"]).ok().stdout, "");
    for name in ["one", "two", "three"] {
        env.burrow(&["container", "exists", name]).code(1);
    }
    // podman-rm(1): 1 when a named container does not exist.
    env.burrow(&["rm", "nothing-here"])
        .code(1)
        .stderr_has("no such container");
}

// ----------------------------------------------------------------------------------------------
// restart policies

// Pins: `--restart on-failure:2` runs a failing container three times in all, then stops.
#[test]
fn restart_on_failure_retries_twice() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "flaky",
            "--restart",
            "on-failure:2",
            BUSYBOX,
            "sh",
            "-c",
            "echo run; exit 1",
        ],
    );
    let settled = wait_until(Duration::from_secs(30), || {
        inspect_field(&env, "flaky", "{{.RestartCount}} {{.State.Status}}") == "2 exited"
    });
    assert!(
        settled,
        "{}",
        inspect_field(&env, "flaky", "{{.RestartCount}} {{.State.Status}}")
    );
    // No third restart comes later.
    thread::sleep(Duration::from_secs(1));
    assert_eq!(inspect_field(&env, "flaky", "{{.RestartCount}}"), "2");
    assert_eq!(inspect_field(&env, "flaky", "{{.State.ExitCode}}"), "1");
    assert_eq!(
        env.burrow(&["logs", "flaky"]).ok().stdout,
        "run\nrun\nrun\n"
    );
    assert_eq!(
        inspect_field(&env, "flaky", "{{.HostConfig.RestartPolicy.Name}}"),
        "on-failure"
    );
}

// Pins: a `--restart always` container that the user stops stays stopped.
#[test]
fn restart_always_stays_stopped_after_stop() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "always",
            "--restart",
            "always",
            BUSYBOX,
            "sh",
            "-c",
            TERM_LOOP,
        ],
    );
    env.burrow(&["stop", "always"]).ok();
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(status(&env, "always"), "exited");
    assert_eq!(inspect_field(&env, "always", "{{.RestartCount}}"), "0");
    assert_eq!(env.burrow(&["ps", "-q"]).ok().stdout, "");
}

// ----------------------------------------------------------------------------------------------
// exec

// Pins: `exec` prints the command's output and returns its exit code.
#[test]
fn exec_output_and_exit_code() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "box", BUSYBOX, "sleep", "1000"]);
    let out = env
        .burrow(&["exec", "box", "sh", "-c", "echo hi; echo oops >&2; exit 3"])
        .code(3);
    assert_eq!(out.stdout, "hi\n");
    assert_eq!(out.stderr, "oops\n");
    env.burrow(&["exec", "box", "true"]).ok();
}

// Pins: `exec -e`, `-w` and `-u` set the environment, working directory and user.
#[test]
fn exec_env_workdir_and_user() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &["--name", "box", "-e", "KEEP=1", BUSYBOX, "sleep", "1000"],
    );
    let out = env
        .burrow(&[
            "exec",
            "-e",
            "FOO=bar",
            "box",
            "sh",
            "-c",
            "echo $FOO $KEEP",
        ])
        .ok();
    assert_eq!(out.stdout, "bar 1\n");
    assert_eq!(
        env.burrow(&["exec", "-w", "/tmp", "box", "pwd"])
            .ok()
            .stdout,
        "/tmp\n"
    );
    assert_eq!(env.burrow(&["exec", "box", "pwd"]).ok().stdout, "/\n");
    let id = env
        .burrow(&[
            "exec",
            "-u",
            "tester",
            "box",
            "sh",
            "-c",
            "id -u; id -un; id -g",
        ])
        .ok();
    assert_eq!(id.stdout, "1000\ntester\n1000\n");
    assert_eq!(env.burrow(&["exec", "box", "id", "-u"]).ok().stdout, "0\n");
}

// Pins: an exec process joins the container's pid and uts namespaces: pid 1 is the
// container's command and the hostname is the container's.
#[test]
fn exec_sees_container_processes_and_hostname() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "box",
            "--hostname",
            "inner",
            BUSYBOX,
            "sleep",
            "1000",
        ],
    );
    let ps = env.burrow(&["exec", "box", "ps", "-o", "pid,args"]).ok();
    let pid1 = ps
        .lines()
        .into_iter()
        .find(|l| l.split_whitespace().next() == Some("1"))
        .unwrap_or_else(|| panic!("no pid 1: {ps:?}"));
    assert!(pid1.ends_with("sleep 1000"), "{ps:?}");
    assert_eq!(
        env.burrow(&["exec", "box", "hostname"]).ok().stdout,
        "inner\n"
    );
}

// Pins: exec of a missing command is 127; exec into a stopped container, or without a
// command, is 125.
#[test]
fn exec_errors() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "box", BUSYBOX, "sleep", "1000"]);
    env.burrow(&["exec", "box", "no-such-command"]).code(127);
    env.burrow(&["exec", "box"]).code(125);
    run_detached(&env, &["--name", "done", BUSYBOX, "true"]);
    env.burrow(&["wait", "done"]).ok();
    env.burrow(&["exec", "done", "true"]).code(125);
    env.burrow(&["exec", "no-such-ctr", "true"]).code(125);
}

// Pins: `exec -d` returns before its command finishes, the command still runs to the end,
// and nothing of the exec session stays in the container afterwards.
#[test]
fn exec_detached_runs_in_background_and_leaves_nothing() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "box", BUSYBOX, "sleep", "1000"]);
    let out = env
        .burrow(&["exec", "-d", "box", "sh", "-c", "sleep 1; touch /tmp/flag"])
        .ok();
    assert_eq!(out.stdout, "");
    // Returned before the command could have finished.
    env.burrow(&["exec", "box", "test", "-e", "/tmp/flag"])
        .code(1);
    assert!(
        wait_until(Duration::from_secs(10), || env
            .burrow(&["exec", "box", "test", "-e", "/tmp/flag"])
            .status
            == 0),
        "the detached command never ran"
    );
    // Only pid 1 and the `ps` itself remain: no exec supervisor, no zombie.
    let mut last = None;
    let clean = wait_until(Duration::from_secs(5), || {
        let ps = env
            .burrow(&["exec", "box", "ps", "-o", "pid,stat,args"])
            .ok();
        let others: Vec<String> = ps
            .lines()
            .into_iter()
            .skip(1)
            .filter(|l| !l.contains("sleep 1000") && !l.contains("ps -o"))
            .map(str::to_string)
            .collect();
        last = Some(ps);
        others.is_empty()
    });
    assert!(clean, "exec -d left processes behind: {last:?}");
}

// Pins: `exec -it` gives the command a terminal; plain `exec` does not.
#[test]
fn exec_tty_sees_a_terminal() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "box", BUSYBOX, "sleep", "1000"]);
    let inner = format!(
        "{} exec -it box sh -c 'tty; test -t 0 && test -t 1 && echo yes-tty'",
        burrow_bin().display()
    );
    let out = env
        .output(env.command("script", &["-qec", &inner, "/dev/null"]))
        .ok();
    assert!(out.stdout.contains("/dev/pts/"), "{out:?}");
    assert!(out.stdout.contains("yes-tty"), "{out:?}");
    let plain = env
        .burrow(&["exec", "box", "sh", "-c", "test -t 1 || echo no-tty"])
        .ok();
    assert_eq!(plain.stdout, "no-tty\n");
}

// ----------------------------------------------------------------------------------------------
// top

// Pins: `top` lists the container's processes with podman's headers, pid 1 being the
// command; descriptors pick columns; an unknown descriptor or a stopped container is 125.
#[test]
fn top_lists_container_processes() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "box", BUSYBOX, "sleep", "1000"]);
    let top = env.burrow(&["top", "box"]).ok();
    let lines = top.lines();
    let header = lines[0];
    let (user, pid, cmd) = (
        column(header, "USER"),
        column(header, "PID"),
        column(header, "COMMAND"),
    );
    assert!(user < pid && pid < cmd, "{top:?}");
    let row = lines
        .iter()
        .skip(1)
        .find(|l| l[pid..].split_whitespace().next() == Some("1"))
        .unwrap_or_else(|| panic!("no pid 1: {top:?}"));
    assert_eq!(&row[cmd..], "sleep 1000", "{top:?}");
    assert_eq!(lines.len(), 2, "only the container's own process: {top:?}");

    let custom = env.burrow(&["top", "box", "pid", "args"]).ok();
    let lines = custom.lines();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["PID", "COMMAND"],
        "{custom:?}"
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["1", "sleep", "1000"],
        "{custom:?}"
    );
    env.burrow(&["top", "box", "pid", "bogus"]).code(125);

    run_detached(&env, &["--name", "done", BUSYBOX, "true"]);
    env.burrow(&["wait", "done"]).ok();
    env.burrow(&["top", "done"]).code(125);
}

// ----------------------------------------------------------------------------------------------
// inspect

// Pins: `inspect` prints a JSON array with podman's fields for a container, running and
// after it exited.
#[test]
fn inspect_container_fields() {
    let env = Env::new().with_busybox();
    let vol = env.path("vol");
    std::fs::create_dir(&vol).unwrap();
    let bind = format!("{}:/data", vol.display());
    let id = run_detached(
        &env,
        &[
            "--name",
            "seen",
            "-e",
            "GREETING=hello",
            "-l",
            "team=core",
            "--hostname",
            "hosty",
            "-v",
            &bind,
            "--restart",
            "on-failure:3",
            BUSYBOX,
            "sh",
            "-c",
            TERM_LOOP,
        ],
    );
    let c = inspect_json(&env, "seen");
    assert_eq!(c["Id"], id.as_str());
    assert_eq!(c["Name"], "seen");
    let state = &c["State"];
    assert_eq!(state["Status"], "running");
    assert_eq!(state["Running"], true);
    assert!(state["Pid"].as_i64().is_some_and(|p| p > 0), "{state}");
    assert!(
        state["StartedAt"].as_str().is_some_and(is_rfc3339),
        "{state}"
    );
    let config = &c["Config"];
    assert_eq!(config["Cmd"], serde_json::json!(["sh", "-c", TERM_LOOP]));
    assert!(
        config["Env"]
            .as_array()
            .is_some_and(|e| e.iter().any(|v| v == "GREETING=hello")),
        "{config}"
    );
    assert_eq!(config["Labels"]["team"], "core");
    assert_eq!(config["Hostname"], "hosty");
    let host = &c["HostConfig"];
    assert_eq!(host["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(host["RestartPolicy"]["MaximumRetryCount"], 3);
    let binds = host["Binds"].as_array().expect("Binds is an array");
    assert!(
        binds
            .iter()
            .any(|b| b.as_str().is_some_and(|b| b.starts_with(&bind))),
        "{host}"
    );
    let mounts = c["Mounts"].as_array().expect("Mounts is an array");
    assert!(
        mounts.iter().any(|m| m["Destination"] == "/data"
            && m["Source"] == vol.display().to_string().as_str()
            && m["Type"] == "bind"),
        "{mounts:?}"
    );

    env.burrow(&["stop", "seen"]).ok();
    let c = inspect_json(&env, "seen");
    let state = &c["State"];
    assert_eq!(state["Status"], "exited");
    assert_eq!(state["Running"], false);
    assert_eq!(state["ExitCode"], 0);
    let finished = state["FinishedAt"].as_str().unwrap_or("");
    assert!(is_rfc3339(finished), "{state}");
    assert!(!finished.starts_with("0001-"), "FinishedAt unset: {state}");
}

// Pins: `inspect -f`, `inspect --type image`, and 125 for an unknown name.
#[test]
fn inspect_format_image_and_unknown() {
    let env = Env::new().with_busybox();
    run_detached(&env, &["--name", "box", BUSYBOX, "sleep", "1000"]);
    assert_eq!(inspect_field(&env, "box", "{{.State.Status}}"), "running");
    let image = env.burrow(&["inspect", "--type", "image", "busybox"]).ok();
    let doc: Value = serde_json::from_str(&image.stdout).expect("image inspect is JSON");
    let id = doc[0]["Id"].as_str().unwrap_or("");
    assert!(is_hex_id(id, 64), "{image:?}");
    let images = env.burrow(&["images", "-q", "--no-trunc"]).ok();
    assert!(images.stdout.contains(id), "{images:?}");
    env.burrow(&["inspect", "no-such-thing"]).code(125);
    env.burrow(&["inspect", "--type", "image", "no-such-image"])
        .code(125);
}

// ----------------------------------------------------------------------------------------------
// cleanup after exit

// Pins: once a detached container exits, no monitor of it keeps running and it reads Exited.
#[test]
fn nothing_keeps_running_after_detached_container_exits() {
    let env = Env::new().with_busybox();
    run_detached(
        &env,
        &[
            "--name",
            "brief",
            BUSYBOX,
            "sh",
            "-c",
            "while [ ! -e /tmp/go ]; do sleep 0.1; done",
        ],
    );
    assert!(
        !live_monitors(&env).is_empty(),
        "a detached container is supervised by a monitor while it runs"
    );
    env.burrow(&["exec", "brief", "touch", "/tmp/go"]).ok();
    assert_eq!(env.burrow(&["wait", "brief"]).ok().out(), "0");
    let mut left = Vec::new();
    let gone = wait_until(Duration::from_secs(5), || {
        left = live_monitors(&env);
        left.is_empty()
    });
    assert!(gone, "monitor still running after exit: {left:?}");
    assert_eq!(status(&env, "brief"), "exited");
    let ps = env.burrow(&["ps", "-a"]).ok();
    assert!(ps.stdout.contains("Exited (0)"), "{ps:?}");
}

// Pins: `container prune` asks first (nothing removed on "no"), with -f removes every stopped
// container matching --filter and keeps running ones; the `container` group has podman's
// pause/unpause/export forms.
#[test]
fn container_prune_and_container_forms() {
    let env = Env::new().with_busybox();
    env.burrow(&[
        "create", "--name", "keepme", "--label", "k=1", BUSYBOX, "true",
    ])
    .ok();
    env.burrow(&[
        "create", "--name", "tmp1", "--label", "tmp=1", BUSYBOX, "true",
    ])
    .ok();
    run_detached(
        &env,
        &[
            "--name", "alive", "--label", "tmp=1", BUSYBOX, "sleep", "100",
        ],
    );
    let asked = env.burrow_stdin(&["container", "prune"], "n\n").ok();
    assert!(asked.stdout.contains("Are you sure"), "{asked:?}");
    assert_eq!(env.burrow(&["ps", "-aq"]).ok().lines().len(), 3);
    let tmp1 = inspect_field(&env, "tmp1", "{{.Id}}");
    let pruned = env
        .burrow(&["container", "prune", "-f", "--filter", "label=tmp=1"])
        .ok();
    assert_eq!(pruned.lines(), [tmp1.as_str()], "{pruned:?}");
    let left = env.burrow(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    let mut left = left.lines();
    left.sort();
    assert_eq!(left, ["alive", "keepme"]);
    // Pausing needs cgroup v2 delegation: where the host has none, the group form must
    // refuse exactly as `pause` does.
    let paused = env.burrow(&["container", "pause", "alive"]);
    if paused.status == 0 {
        assert_eq!(status(&env, "alive"), "paused");
        env.burrow(&["container", "unpause", "alive"]).ok();
        assert_eq!(status(&env, "alive"), "running");
    } else {
        let top = env.burrow(&["pause", "alive"]);
        assert_eq!((paused.status, &paused.stderr), (top.status, &top.stderr));
    }
    let tar = env.path("alive.tar");
    env.burrow(&["container", "export", "-o", tar.to_str().unwrap(), "alive"])
        .ok();
    let listing = env.sh(&format!("tar tf {} | grep -c bin/busybox", tar.display()));
    assert_eq!(listing.out(), "1", "{listing:?}");
    env.burrow(&["rm", "-f", "alive"]).ok();
    env.burrow(&["container", "prune", "-f"]).ok();
    assert!(env.burrow(&["ps", "-aq"]).ok().stdout.is_empty());
}
