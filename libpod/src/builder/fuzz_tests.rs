//! Fuzz target `containerfile` (run by `fuzz-harness`; `containerfile_long` is `#[ignore]`d
//! and run by scripts/fuzz): Containerfile text built from Containerfile-like tokens
//! (instructions, flags, `<<EOF` heredocs, `\` continuations, `${VAR:-x}`, quotes,
//! `# escape=` directives) or arbitrary text, taken through what `burrow build` does before
//! running a step: [`cut_command_heredocs`], [`plan::parse`], [`plan::plan`] (with and
//! without a target), then variable expansion, word splitting and the `--change` line each
//! metadata instruction becomes; the same text also goes through `--change` line parsing
//! directly (`storage::changes::apply`). Property: no panic, no hang; the heredoc cut keeps
//! every RUN's keyword at the offset it reports.
//!
//! Test-only: nothing here runs a build or touches the file system.

use std::collections::HashMap;

use parse_dockerfile::{Instruction, JsonOrStringArray};
use proptest::collection::vec;
use proptest::prelude::*;

use super::heredoc::cut_command_heredocs;
use super::plan;
use super::words::{expand, split_words};

const TOKENS: &[&str] = &[
    // Instructions (any case is allowed).
    "FROM ",
    "RUN ",
    "COPY ",
    "ADD ",
    "ARG ",
    "ENV ",
    "LABEL ",
    "WORKDIR ",
    "USER ",
    "CMD ",
    "ENTRYPOINT ",
    "EXPOSE ",
    "VOLUME ",
    "SHELL ",
    "HEALTHCHECK ",
    "ONBUILD ",
    "STOPSIGNAL ",
    "MAINTAINER ",
    "from ",
    "run ",
    "Copy ",
    // Words.
    "busybox",
    "alpine:3",
    "scratch",
    "AS ",
    "as ",
    "build",
    "final",
    "0",
    "1",
    "/bin/sh",
    "-c",
    "echo hi",
    "cat",
    "x",
    "/x",
    ".",
    "..",
    "NONE",
    "CMD",
    "80/tcp",
    "SIGTERM",
    // Flags.
    "--from=build ",
    "--from=0 ",
    "--from=5 ",
    "--from= ",
    "--mount=type=cache,target=/c ",
    "--chown=1:1 ",
    "--chmod=755 ",
    "--platform=linux/amd64 ",
    "--network=none ",
    "--link ",
    "--interval=5s ",
    "-- ",
    // Heredocs.
    "<<EOF",
    "<<-EOF",
    "<<'EOF'",
    "<<\"EOF\"",
    "<<<",
    "<<",
    "EOF",
    "\tEOF",
    "<<A",
    "A",
    "<<-'B'",
    "B",
    " > /f",
    "<<EOF\nhi\nEOF\n",
    // Variables.
    "$A",
    "${A}",
    "${A:-x}",
    "${A:+y}",
    "${A-z}",
    "${A+w}",
    "${",
    "}",
    "${1}",
    "${A/x/y}",
    "${A:-${B}}",
    "$",
    "\\$",
    "`$",
    "${A:?err}",
    "$$",
    // Quotes, JSON forms, escapes.
    "\"",
    "'",
    "[",
    "]",
    "[\"a\", \"b\"]",
    "[\"/bin/sh\", \"-c\", \"x\"]",
    "[]",
    ",",
    "\\",
    "`",
    "\\\n",
    "`\n",
    "\\ \n",
    // Directives and comments.
    "# escape=`\n",
    "# escape=\\\n",
    "# escape=\n",
    "# syntax=docker/dockerfile:1\n",
    "# check=skip=all\n",
    "#",
    "# comment\n",
    // Assignments and separators.
    "A=1 ",
    "A=\"x y\" ",
    "B='q r' ",
    "=",
    " ",
    " ",
    "\n",
    "\n",
    "\n",
    "\t",
    "\r\n",
    "\r",
];

const INSTRUCTIONS: &[&str] = &[
    "FROM",
    "RUN",
    "RUN",
    "RUN",
    "COPY",
    "ADD",
    "ARG",
    "ARG",
    "ENV",
    "ENV",
    "LABEL",
    "WORKDIR",
    "USER",
    "CMD",
    "ENTRYPOINT",
    "EXPOSE",
    "VOLUME",
    "SHELL",
    "HEALTHCHECK",
    "ONBUILD",
    "STOPSIGNAL",
    "MAINTAINER",
    "run",
    "from",
    "Copy",
    "NOPE",
];

/// Lines of a heredoc body or terminator.
const BODY_LINES: &[&str] = &[
    "hi",
    "EOF",
    "\tEOF",
    "EOF ",
    "A",
    "B",
    "\tB",
    "echo $A",
    "",
    "FROM busybox",
    "RUN x",
];

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => prop::sample::select(TOKENS).prop_map(str::to_string),
        2 => any::<char>().prop_map(String::from),
        1 => "\\PC{0,8}",
    ]
}

/// One line: an instruction with token arguments (maybe continued), a FROM, a heredoc body
/// line, a comment or nothing.
fn line() -> impl Strategy<Value = String> {
    let instruction = (
        prop::sample::select(INSTRUCTIONS),
        vec(token(), 0..5),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(i, args, continued)| {
            let mut l = format!("{i} {}", args.concat());
            if continued {
                l.push_str(" \\");
            }
            l
        });
    let from = (
        prop::sample::select(vec![
            "busybox",
            "alpine:3",
            "scratch",
            "$A",
            "${B:-busybox}",
            "build",
            "0",
            "",
        ]),
        prop::option::of(prop::sample::select(vec![
            "build", "final", "Build", "x y", "",
        ])),
    )
        .prop_map(|(image, name)| match name {
            Some(n) => format!("FROM {image} AS {n}"),
            None => format!("FROM {image}"),
        });
    // Opening lines and the terminators that close them (tabs stripped by `<<-`).
    let heredoc = (
        prop::sample::select(vec![
            ("RUN cat <<EOF > /f", "EOF"),
            ("RUN <<EOF", "EOF"),
            ("RUN <<-EOF", "\tEOF"),
            ("RUN cat <<'A' <<-\"B\" >/f", "A\n\tB"),
            ("RUN --mount=type=cache,target=/c cat <<EOF", "EOF"),
            ("COPY <<EOF /x", "EOF"),
            ("RUN cat <<EOF \\", "EOF"),
            ("RUN cat <<<EOF", "EOF"),
            ("run echo <<E1 && cat <<E2", "E1\nE2"),
        ]),
        vec(prop::sample::select(BODY_LINES), 0..3),
        prop::bool::weighted(0.85),
    )
        .prop_map(|((open, end), body, terminated)| {
            let mut l = open.to_string();
            for b in body {
                l.push('\n');
                l.push_str(b);
            }
            if terminated {
                l.push('\n');
                l.push_str(end);
            }
            l
        });
    prop_oneof![
        6 => instruction,
        3 => heredoc,
        2 => from,
        1 => prop::sample::select(BODY_LINES).prop_map(str::to_string),
        1 => Just("# comment".to_string()),
        1 => Just(String::new()),
    ]
}

/// The text of one case: mostly line-structured files that parse, now and then token soup or
/// arbitrary text.
fn containerfile_text() -> impl Strategy<Value = String> {
    let directives = vec(
        prop::sample::select(vec![
            "# escape=`",
            "# escape=`",
            "# escape=\\",
            "# escape=x",
            "# syntax=docker/dockerfile:1",
            "# check=skip=all",
        ]),
        0..2,
    );
    let structured = (
        directives,
        prop::sample::select(vec![
            "FROM busybox",
            "FROM busybox AS build",
            "ARG A=1\nFROM $A",
        ]),
        vec(line(), 0..10),
        prop::sample::select(vec!["\n", "\n", "\n", "\r\n"]),
    )
        .prop_map(|(directives, first, lines, newline)| {
            let mut all: Vec<String> = directives.into_iter().map(str::to_string).collect();
            all.push(first.to_string());
            all.extend(lines);
            all.join(newline) + newline
        });
    prop_oneof![
        10 => structured,
        3 => vec(token(), 0..120).prop_map(|t| t.concat()),
        1 => any::<String>(),
    ]
}

/// What a step does with an instruction's words before it runs (exec.rs's `step`): expand
/// them and, for the metadata instructions, apply the `--change` line they become.
fn steps(d: &parse_dockerfile::Dockerfile<'_>, vars: &HashMap<String, String>, escape: char) {
    let mut config = oci_spec::image::Config::default();
    let mut change = |keyword: &str, text: &str| {
        if let Ok(expanded) = expand(text, vars, escape) {
            let _ = storage::changes::apply(&mut config, &format!("{keyword} {expanded}"));
        }
    };
    for stage in d.stages() {
        let _ = expand(&stage.from.image.value, vars, escape);
        for inst in stage.instructions {
            match inst {
                Instruction::Env(i) => change("ENV", &i.arguments.value),
                Instruction::Label(i) => change("LABEL", &i.arguments.value),
                Instruction::User(i) => change("USER", &i.arguments.value),
                Instruction::Workdir(i) => change("WORKDIR", &i.arguments.value),
                Instruction::Stopsignal(i) => change("STOPSIGNAL", &i.arguments.value),
                Instruction::Expose(i) => {
                    for a in &i.arguments {
                        change("EXPOSE", &a.value);
                    }
                }
                Instruction::Volume(i) => {
                    let items = match &i.arguments {
                        JsonOrStringArray::Json(a) => &a.value,
                        JsonOrStringArray::String(a) => a,
                    };
                    for a in items {
                        let _ = expand(&a.value, vars, escape);
                    }
                }
                Instruction::Arg(i) => {
                    for w in split_words(&i.arguments.value) {
                        let (_, default) = plan::split_arg(&w);
                        if let Some(v) = default {
                            let _ = expand(v, vars, escape);
                        }
                    }
                }
                Instruction::Copy(c) => {
                    let _ = expand(&c.dest.value, vars, escape);
                }
                Instruction::Add(a) => {
                    let _ = expand(&a.dest.value, vars, escape);
                }
                _ => {}
            }
        }
    }
}

/// `--change` lines as `burrow import` and `commit` take them from the user (and as a build's
/// metadata steps become): a keyword, any separator, the case's text.
fn change_lines(text: &str) {
    let mut config = oci_spec::image::Config::default();
    for keyword in ["ENV", "cmd", "LABEL", "EXPOSE", "VOLUME", "ENTRYPOINT", "X"] {
        for sep in [" ", "=", "\t", "\u{a0}", "\u{3000}", ""] {
            let _ = storage::changes::apply(&mut config, &format!("{keyword}{sep}{text}"));
        }
    }
    for line in text.lines() {
        let _ = storage::changes::apply(&mut config, line);
    }
}

fn check(text: String) {
    change_lines(&text);
    let (cut, bodies) = cut_command_heredocs(&text);
    for at in bodies.keys() {
        assert!(
            cut.get(*at..*at + 3)
                .is_some_and(|k| k.eq_ignore_ascii_case("RUN")),
            "heredoc body recorded at {at}, where no RUN starts: {cut:?}"
        );
    }
    let _ = plan::line_of(&cut, cut.len() / 2);
    let Ok(d) = plan::parse("Containerfile", &cut) else {
        return;
    };
    let args = HashMap::from([
        ("A".to_string(), "1".to_string()),
        ("EMPTY".to_string(), String::new()),
    ]);
    for target in [None, Some("build"), Some("final"), Some("0")] {
        if let Ok(p) = plan::plan("Containerfile", &cut, &d, target, &args) {
            let count = d.stages().len();
            assert!(!p.stages.is_empty() && p.stages.iter().all(|&s| s < count));
            assert_eq!(p.bases.len(), count);
            steps(&d, &p.global_args, p.escape);
        }
    }
}

const CASES: u32 = 512;

#[test]
fn containerfile() {
    fuzz_harness::short("containerfile", CASES, containerfile_text, check);
}

#[test]
#[ignore = "long fuzz run: scripts/fuzz (BURROW_FUZZ_SECONDS)"]
fn containerfile_long() {
    fuzz_harness::long("containerfile", CASES, containerfile_text, check);
}
