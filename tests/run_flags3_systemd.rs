//! `--log-driver journald` under a real systemd (tests/tools/systemd-machine): the
//! container's lines reach the journal with podman's fields and `logs` reads them back.

mod common;
#[path = "common/machine.rs"]
mod machine;

use machine::Machine;

// Pins: each line is one journal entry carrying CONTAINER_NAME and SYSLOG_IDENTIFIER, and
// `logs` shows the lines (stdout and stderr) in order.
#[test]
fn journald_entries_come_back_through_logs() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    m.burrow(
        &env,
        &[
            "run",
            "--name",
            "jr",
            "--log-driver",
            "journald",
            "busybox",
            "sh",
            "-c",
            "echo first-line; echo second-line >&2",
        ],
    )
    .ok();
    // journald takes the datagrams asynchronously: a few tries.
    let mut seen = String::new();
    for _ in 0..40 {
        let out = m.burrow(&env, &["logs", "jr"]).ok();
        seen = format!("{}{}", out.stdout, out.stderr);
        if seen.contains("second-line") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert!(
        seen.contains("first-line") && seen.contains("second-line"),
        "logs showed {seen:?}\n{}",
        m.journal(&env)
    );
    let fields = m.user_plain(
        &env,
        "journalctl",
        &["--no-pager", "-o", "verbose", "CONTAINER_NAME=jr"],
    );
    assert!(
        fields.stdout.contains("SYSLOG_IDENTIFIER=jr")
            && fields.stdout.contains("CONTAINER_ID_FULL="),
        "{fields:?}"
    );
}

// Pins: `logs -f` of a journald container prints the lines as they come and returns once the
// container has exited, its last line included.
#[test]
fn journald_logs_follow() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    m.burrow(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "jf",
            "--log-driver",
            "journald",
            "busybox",
            "sh",
            "-c",
            "echo early-line; sleep 2; echo late-line",
        ],
    )
    .ok();
    let out = m.burrow(&env, &["logs", "-f", "jf"]).ok();
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        ["early-line", "late-line"],
        "{out:?}\n{}",
        m.journal(&env)
    );
    let state = m
        .burrow(&env, &["inspect", "--format", "{{.State.Status}}", "jf"])
        .ok();
    assert_eq!(state.out(), "exited", "logs -f returned before the exit");
}

// Pins: `--events-backend journald` records each event as a journal entry with podman's
// PODMAN_* fields (the monitor's `died` too), `events` reads them back from the journal, and
// the file log gets none of them; `none` records nothing and `events` refuses to read it.
#[test]
fn journald_events_backend() {
    let m = Machine::boot();
    let env = m.env();
    m.import_busybox(&env);
    let jd = ["--events-backend", "journald"];
    let with =
        |args: &[&str]| -> Vec<String> { jd.iter().chain(args).map(|s| s.to_string()).collect() };
    m.burrow(&env, &with(&["run", "--name", "ev", "busybox", "true"]))
        .ok();
    // journald takes the datagrams asynchronously: a few tries.
    let mut seen = String::new();
    for _ in 0..40 {
        let out = m
            .burrow(
                &env,
                &with(&[
                    "events",
                    "--stream=false",
                    "--format",
                    "{{.Status}} {{.Name}}",
                ]),
            )
            .ok();
        seen = out.stdout;
        if seen.contains("died ev") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    for want in ["create ev", "start ev", "died ev"] {
        assert!(
            seen.contains(want),
            "{want} in {seen:?}\n{}",
            m.journal(&env)
        );
    }
    let raw = m.user_plain(
        &env,
        "journalctl",
        &[
            "--no-pager",
            "-o",
            "verbose",
            "SYSLOG_IDENTIFIER=burrow",
            "PODMAN_EVENT=died",
        ],
    );
    assert!(raw.stdout.contains("PODMAN_NAME=ev"), "{raw:?}");
    assert!(raw.stdout.contains("PODMAN_TYPE=container"), "{raw:?}");
    assert!(raw.stdout.contains("PODMAN_EXIT_CODE=0"), "{raw:?}");
    // The file log did not get them.
    let file = m.burrow(&env, &["events", "--stream=false"]).ok();
    assert!(!file.stdout.contains(" ev"), "{file:?}");
    m.burrow(
        &env,
        &[
            "--events-backend",
            "none",
            "run",
            "--name",
            "quiet",
            "busybox",
            "true",
        ],
    )
    .ok();
    let none = m.burrow(
        &env,
        &["--events-backend", "none", "events", "--stream=false"],
    );
    let none = none.code(125);
    assert!(
        none.stderr
            .contains("cannot read events with the \"none\" backend"),
        "{none:?}"
    );
    let file = m.burrow(&env, &["events", "--stream=false"]).ok();
    assert!(!file.stdout.contains("quiet"), "{file:?}");
}
