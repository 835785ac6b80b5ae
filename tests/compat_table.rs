//! Keeps docs/PODMAN-COMPAT.md honest against the binary: the options and commands it says
//! burrow has answer `--help`, the ones it says are missing do not, every flag of
//! `burrow run --help` has a row, each refused value fails with the message the table quotes,
//! and the summary counts match the rows. Runs no container.

mod common;

use std::collections::BTreeSet;

use common::Env;

const DOC: &str = include_str!("../docs/PODMAN-COMPAT.md");

/// One table row: its cells, trimmed, with `\|` turned back into `|`.
type Row = Vec<String>;

/// The rows of the first table under the heading `## {title}`.
fn table(title: &str) -> Vec<Row> {
    let heading = format!("## {title}");
    let mut lines = DOC.lines().skip_while(|l| l.trim() != heading);
    assert!(
        lines.next().is_some(),
        "no section {heading:?} in the table"
    );
    lines
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(cells)
        .collect()
}

fn cells(line: &str) -> Row {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    out
}

/// The flags of a first cell such as "`--env`, `-e`".
fn flags(cell: &str) -> Vec<String> {
    cell.split(',')
        .map(|f| f.trim().trim_matches('`').to_string())
        .filter(|f| f.starts_with('-'))
        .collect()
}

/// The status word of a row: supported, differs, refused, missing or "missing (in progress)".
fn status(cell: &str) -> &'static str {
    if cell.starts_with("missing (in progress)") {
        "missing (in progress)"
    } else if cell.starts_with("missing") {
        "missing"
    } else if cell.starts_with("refused:") {
        "refused"
    } else if cell.starts_with("differs:") {
        "differs"
    } else if cell == "supported" {
        "supported"
    } else {
        panic!("unknown status {cell:?} in docs/PODMAN-COMPAT.md")
    }
}

fn present(st: &str) -> bool {
    matches!(st, "supported" | "differs")
}

/// The flags (long and short) a `--help` lists in its options.
fn help_flags(env: &Env, args: &[&str]) -> BTreeSet<String> {
    let out = env.burrow(args).ok();
    let mut set = BTreeSet::new();
    for line in out.stdout.lines() {
        let l = line.trim_start();
        if !l.starts_with('-') || line.len() - l.len() > 6 {
            continue; // a description line, not an option
        }
        let spec = l.split("  ").next().unwrap_or(l);
        for word in spec.split([',', ' ', '=', '[']) {
            let w = word.trim();
            if w.starts_with('-') && w.len() > 1 {
                set.insert(w.to_string());
            }
        }
    }
    assert!(set.contains("--help"), "no options parsed from {args:?}");
    set
}

/// Whether `burrow <cmd> FLAG` is accepted: listed by its help, or a hidden alias (`--net`)
/// that clap takes before printing the help.
fn accepts(env: &Env, cmd: &str, listed: &BTreeSet<String>, flag: &str) -> bool {
    listed.contains(flag)
        || [format!("{flag}=x"), flag.to_string()]
            .iter()
            .any(|f| env.burrow(&[cmd, f.as_str(), "--help"]).status == 0)
}

fn summary(kind: &str, rows: &[Row], order: &[&str]) -> String {
    let parts: Vec<String> = order
        .iter()
        .map(|s| {
            let n = rows.iter().filter(|r| status(&r[1]) == *s).count();
            format!("{n} {s}")
        })
        .collect();
    format!("{kind}: {} = {}.", rows.len(), parts.join(" + "))
}

#[test]
fn run_options_match_help() {
    let env = Env::new();
    let run = help_flags(&env, &["run", "--help"]);
    let create = help_flags(&env, &["create", "--help"]);
    let global = help_flags(&env, &["--help"]);
    let rows = table("`run` options");
    assert!(
        rows.len() > 100,
        "too few run options parsed: {}",
        rows.len()
    );
    let mut listed = BTreeSet::new();
    for r in &rows {
        let st = status(&r[1]);
        let run_only = r.get(2).is_some_and(|n| n.contains("run only"));
        for f in flags(&r[0]) {
            listed.insert(f.clone());
            if present(st) {
                assert!(
                    accepts(&env, "run", &run, &f),
                    "{f} is {st} in the table but not in `run --help`"
                );
                assert!(
                    run_only || accepts(&env, "create", &create, &f),
                    "{f} is {st} in the table but not in `create --help` (mark it run only?)"
                );
            } else {
                assert!(
                    !accepts(&env, "run", &run, &f),
                    "{f} is now in `burrow run --help`: mark its row supported (or differs) in \
                     docs/PODMAN-COMPAT.md"
                );
            }
        }
    }
    for r in table("Global options") {
        for f in flags(&r[0]) {
            assert!(
                global.contains(&f),
                "global {f} is in the table but not in `burrow --help`"
            );
            listed.insert(f);
        }
    }
    let unlisted: Vec<&String> = run.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "`burrow run --help` lists options with no row in docs/PODMAN-COMPAT.md: {unlisted:?}"
    );
    let want = summary(
        "Run options",
        &rows,
        &[
            "supported",
            "differs",
            "refused",
            "missing",
            "missing (in progress)",
        ],
    );
    assert!(DOC.contains(&want), "the summary should read {want:?}");
}

#[test]
fn commands_match_help() {
    let env = Env::new();
    let rows = table("Commands");
    assert!(rows.len() > 100, "too few commands parsed: {}", rows.len());
    for r in &rows {
        let words: Vec<&str> = r[0].trim_matches('`').split(' ').collect();
        let mut args = words.clone();
        args.push("--help");
        let out = env.burrow(&args);
        let st = status(&r[1]);
        if present(st) {
            assert!(
                out.status == 0,
                "`burrow {}` is {st} in the table\n{out:?}",
                words.join(" ")
            );
        } else {
            assert!(
                out.status != 0,
                "`burrow {}` now exists: update its row in docs/PODMAN-COMPAT.md",
                words.join(" ")
            );
        }
    }
    let want = summary(
        "Commands",
        &rows,
        &["supported", "differs", "refused", "missing"],
    );
    assert!(DOC.contains(&want), "the summary should read {want:?}");
}

#[test]
fn refused_values_fail_as_documented() {
    let env = Env::new().with_busybox();
    let rows = table("Refused values");
    assert!(!rows.is_empty());
    for r in &rows {
        let cmd = r[0].trim_matches('`');
        let args: Vec<&str> = cmd
            .strip_prefix("burrow ")
            .unwrap_or_else(|| panic!("{cmd:?} does not start with burrow"))
            .split(' ')
            .collect();
        let code: i32 = r[1].parse().expect("an exit code");
        let out = env.burrow(&args).code(code);
        assert_eq!(out.stderr.lines().next().unwrap_or(""), r[2], "`{cmd}`");
        // Refused before anything was created.
        assert_eq!(
            env.burrow(&["ps", "-aq"]).ok().out(),
            "",
            "`{cmd}` left a container"
        );
    }
}
