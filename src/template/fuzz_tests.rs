//! Fuzz target `template` (run by `fuzz-harness`; `template_long` is `#[ignore]`d and run by
//! scripts/fuzz): `--format` strings parsed and executed against a few JSON values. Inputs are
//! token soup (delimiters, trim markers, fields, variables, keywords, every function,
//! literals, printf verbs), structured templates that mostly parse (nested `if`/`with`/
//! `range`, pipelines of calls with hostile arguments), or arbitrary text. Property: no
//! panic, no hang.
//!
//! A template may legitimately run as long as it asks (`{{range 18446744073709551615}}` loops
//! that many times, as in Go; a loop around `printf "%9999999d"` prints gigabytes), so the
//! generators keep loops and heavy values apart: token soup replaces its large integers by `2`
//! in any template with `range`; a structured template has either ranges over small things or
//! [`HEAVY_ARGS`], never both; the data holds no integer a loop could count far.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// Integer tokens that would make a `range` run too long to fuzz.
const BIG: &[&str] = &[
    "1000000",
    "99999999999999",
    "18446744073709551615",
    "99999999999999999999",
    "-9223372036854775808",
    "1e18",
    "0x7fffffffffffffff",
    "1_000",
    "'\\U0010FFFF'",
];

const TOKENS: &[&str] = &[
    // Text and delimiters.
    "a",
    "text ",
    " ",
    "\n",
    "\\t",
    "\\n",
    "{",
    "}",
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{-",
    "-}}",
    "{{/*",
    "*/}}",
    "{{/* c */}}",
    "{{ ",
    " }}",
    // Operands and structure.
    ".",
    ".Names",
    ".State.Status",
    ".State.Running",
    ".Labels.app",
    ".labels.APP",
    ".Missing",
    ".Size",
    ".Nil.x",
    ".Ports",
    ".Matrix",
    ".Big",
    ".Unicode",
    ".Nested.A.B",
    ".ID.x",
    "$",
    "$x",
    "$i",
    "$e",
    "$.ID",
    "$x.Host",
    "$x := ",
    "$i, $e := ",
    "$x = ",
    "(",
    ")",
    "|",
    ",",
    "=",
    ":=",
    // Keywords.
    "if ",
    "else ",
    "else if ",
    "with ",
    "else with ",
    "range ",
    "end",
    "break",
    "continue",
    "define ",
    "template ",
    "block ",
    "call ",
    // Functions.
    "and ",
    "or ",
    "not ",
    "len ",
    "index ",
    "slice ",
    "print ",
    "printf ",
    "println ",
    "eq ",
    "ne ",
    "lt ",
    "le ",
    "gt ",
    "ge ",
    "html ",
    "js ",
    "urlquery ",
    "json ",
    "lower ",
    "upper ",
    "title ",
    "truncate ",
    "pad ",
    "split ",
    "join ",
    "nope ",
    // Literals.
    "\"s\"",
    "\"\"",
    "\",\"",
    "`raw`",
    "'c'",
    "'\\n'",
    "'",
    "\"",
    "`",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "1.5",
    "0x10",
    "0o7",
    "1e3",
    "+2",
    ".5",
    "true",
    "false",
    "nil",
    "\"%d\"",
    "\"%v %s\"",
    "\"%-5.2f\"",
    "\"%*d\"",
    "\"%.*s\"",
    "\"%[1]d\"",
    "\"%\"",
    "\"%08.3x\"",
    "\"%q\"",
    "\"%T\"",
    "\"%#v\"",
    "\"%999999999999999999999d\"",
    "\"%.99999999999999999999f\"",
    "\"\\u00e9\"",
    "\"\\xff\"",
    "\"unterminated",
    // Whole actions.
    "{{.Names}}",
    "{{range .Names}}",
    "{{end}}",
    "{{if .State.Running}}",
    "{{else}}",
    "{{range $i, $e := .Ports}}",
    "{{len .Names}}",
    "{{printf \"%s-%d\" .ID .Size}}",
    "{{json .}}",
    "{{index .Labels \"app\"}}",
    "{{slice .ID 1 3}}",
    "{{join .Names \",\"}}",
    "{{split .ID \"a\"}}",
    "{{pad .ID 2 2}}",
    "{{truncate .ID 3}}",
    "{{range 3}}",
    "{{break}}",
    "{{continue}}",
    "{{$x := 1}}",
    "{{$x = 2}}",
    "{{with .Labels}}",
    "{{.}}",
    "{{$}}",
    "{{range .Matrix}}{{range .}}{{.}}{{end}}{{end}}",
    "json",
    "table ",
];

const FUNCS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery", "json", "lower", "upper", "title", "truncate",
    "pad", "split", "join",
];

/// Arguments for a function call action.
const ARGS: &[&str] = &[
    ".",
    ".ID",
    ".Names",
    ".Size",
    ".Ratio",
    ".Big",
    ".Min",
    ".Labels",
    ".Unicode",
    ".Nil",
    ".Ports",
    "$",
    "0",
    "1",
    "2",
    "-1",
    "3.5",
    "1e3",
    "'x'",
    "true",
    "nil",
    "\"\"",
    "\"a,b\"",
    "\"é\"",
    "\"%d %s\"",
    "\"%*d\"",
    "\"%.*f\"",
    "\"%-*.*e\"",
    "\"%99999999999d\"",
    "\"%.99999999999g\"",
    "\"%[2]d\"",
    "\"%!\"",
    "(len .Names)",
    "(.Ports)",
];

/// Arguments that make one call produce megabytes or ask for a huge count: never inside a
/// loop, where they would multiply into a legitimate hang.
const HEAVY_ARGS: &[&str] = &[
    "\"%9999999d\"",
    "\"%.70000f\"",
    "\"%.1000000e\"",
    "\"%70000.3g\"",
    "\"%0100000d\"",
    "\"%.100000d\"",
    "\"%#.3000x\"",
    "\"%.9999999s\"",
    "1000000",
    "99999999999999",
    "18446744073709551615",
    "-9223372036854775808",
    "1e18",
    "0x7fffffffffffffff",
    "1e300",
];

/// Token soup: mostly lexer and parser errors.
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        40 => prop::sample::select(TOKENS),
        3 => prop::sample::select(BIG),
    ]
    .prop_map(str::to_string);
    let odd = prop_oneof![any::<char>().prop_map(String::from), "\\PC{0,6}"];
    let piece = prop_oneof![20 => token, 1 => odd];
    vec(piece, 0..48).prop_map(|pieces| {
        let ranges = pieces.iter().any(|p| p.contains("range"));
        pieces
            .into_iter()
            .map(|p| {
                if ranges && BIG.contains(&p.as_str()) {
                    "2".to_string()
                } else {
                    p
                }
            })
            .collect::<String>()
    })
}

/// A command of a pipeline: a function call or a lone operand; `heavy` adds [`HEAVY_ARGS`].
fn command(heavy: bool) -> impl Strategy<Value = String> {
    let heavy_weight = if heavy { 1 } else { 0 };
    let operand = prop_oneof![
        6 => prop::sample::select(ARGS),
        heavy_weight => prop::sample::select(HEAVY_ARGS),
    ];
    prop_oneof![
        3 => (prop::sample::select(FUNCS), vec(operand.clone(), 0..4))
            .prop_map(|(f, args)| format!("{f} {}", args.join(" "))),
        1 => operand.prop_map(str::to_string),
    ]
}

fn pipeline(heavy: bool) -> impl Strategy<Value = String> {
    vec(command(heavy), 1..3).prop_map(|c| c.join(" | "))
}

/// Templates that mostly parse, so that execution (every function, every control
/// structure) meets hostile arguments. `heavy`: [`HEAVY_ARGS`] and no `range`; otherwise
/// ranges, over small things only.
fn structured(heavy: bool) -> impl Strategy<Value = String> {
    let text = prop::sample::select(vec!["", "x", " ", "\n", "\\t", "é"]).prop_map(str::to_string);
    let action = (pipeline(heavy), 0..4u8).prop_map(|(p, form)| match form {
        0 => format!("{{{{$x := {p}}}}}{{{{$x}}}}"),
        1 => format!("{{{{- {p} -}}}}"),
        _ => format!("{{{{{p}}}}}"),
    });
    let flow = prop::sample::select(vec!["{{break}}", "{{continue}}"]).prop_map(str::to_string);
    let leaf = prop_oneof![3 => text, 6 => action, 1 => flow];
    let range_weight = if heavy { 0 } else { 1 };
    leaf.prop_recursive(3, 24, 4, move |inner| {
        let over = prop::sample::select(vec![
            ".Names",
            ".Ports",
            ".Labels",
            ".Matrix",
            "3",
            "0",
            ".Nil",
            "$",
            ".",
            ".Size",
            "(split .ID \"a\")",
        ]);
        prop_oneof![
            1 => vec(inner.clone(), 0..4).prop_map(|v| v.concat()),
            1 => (
                prop::sample::select(vec!["if", "with"]),
                pipeline(heavy),
                inner.clone(),
                prop::option::of(inner.clone()),
            )
                .prop_map(|(kw, p, body, other)| match other {
                    Some(o) => format!("{{{{{kw} {p}}}}}{body}{{{{else}}}}{o}{{{{end}}}}"),
                    None => format!("{{{{{kw} {p}}}}}{body}{{{{end}}}}"),
                }),
            range_weight => (over, any::<bool>(), inner.clone(), prop::option::of(inner))
                .prop_map(|(r, vars, body, other)| {
                    let head = if vars { format!("$i, $e := {r}") } else { r.to_string() };
                    match other {
                        Some(o) => format!("{{{{range {head}}}}}{body}{{{{else}}}}{o}{{{{end}}}}"),
                        None => format!("{{{{range {head}}}}}{body}{{{{end}}}}"),
                    }
                }),
        ]
    })
}

fn template_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => structured(false),
        4 => structured(true),
        10 => token_soup(),
        1 => any::<String>(),
    ]
}

fn data() -> Vec<Value> {
    vec![
        json!({
            "ID": "0123456789abcdef",
            "Names": ["web", "db"],
            "State": {"Status": "running", "ExitCode": 0, "Running": true, "Pid": 42},
            "Labels": {"app": "shop", "tier": "front"},
            "Empty": {},
            "Nil": null,
            "Size": 15,
            "Ratio": 0.25,
            // Large numbers, but none a loop could count up to (a float, a negative).
            "Big": 1e20,
            "Min": i64::MIN,
            "Unicode": "héllo wörld ✓",
            "Ports": [{"Host": 8080, "Proto": "tcp"}, {"Host": 53, "Proto": "udp"}],
            "Matrix": [[1, 2], [3, 4]],
            "Nested": {"A": {"B": [1, {"C": null}]}},
        }),
        Value::Null,
        json!([1, "two", null]),
        json!("just a string"),
    ]
}

fn check(format: String) {
    let Ok(t) = Template::parse(&format) else {
        return;
    };
    for d in data() {
        let _ = t.execute(&d);
    }
}

const CASES: u32 = 1024;

#[test]
fn template() {
    fuzz_harness::short("template", CASES, template_text, check);
}

#[test]
#[ignore = "long fuzz run: scripts/fuzz (BURROW_FUZZ_SECONDS)"]
fn template_long() {
    fuzz_harness::long("template", CASES, template_text, check);
}

/// Regressions found by this target: each input panicked or aborted the process.
#[test]
fn found_inputs_no_longer_crash() {
    let d = json!({"Size": 15});
    let r = |f: &str| render(f, &d);
    // A width past Go's limit ends the verb, as Go's parsenum does (was a capacity overflow).
    assert_eq!(
        r("{{printf \"%99999999999d\" 1}}").unwrap(),
        "%!(NOVERB)%!(EXTRA int=1)"
    );
    // A `*` width past the limit is a bad width (was an allocation failure: abort).
    assert_eq!(
        r("{{printf \"%*d\" 99999999999 1}}").unwrap(),
        "%!(BADWIDTH)1"
    );
    // Precisions past u16::MAX (Rust's formatter panicked on them).
    let f = r("{{if printf \"%.70000f\" .Size}}{{printf \"%.70000f\" 1.5}}{{end}}").unwrap();
    assert!(f.len() == 70002 && f.starts_with("1.5000") && f.ends_with('0'));
    let e = r("{{printf \"%.70000e\" 1.5}}").unwrap();
    assert!(
        e.len() == 70006 && e.starts_with("1.5000") && e.ends_with("0e+00"),
        "{e:.20}"
    );
    let i = r("{{printf \"%.70000d\" 7}}").unwrap();
    assert!(i.len() == 70000 && i.ends_with("07"));
    assert_eq!(r("{{printf \"%.70000g\" 1.5}}").unwrap(), "1.5");
    // pad: an error rather than an allocation failure.
    let err = r("{{pad \"x\" 99999999999 0}}").unwrap_err();
    assert!(err.contains("padding too large"), "{err}");
    // range over a huge integer counts lazily (was a capacity-overflow panic).
    assert_eq!(
        r("{{range 18446744073709551615}}{{.}}{{if eq . 2}}{{break}}{{end}}{{end}}").unwrap(),
        "012"
    );
}
