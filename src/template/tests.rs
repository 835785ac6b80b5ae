//! Unit tests for the template engine: one per construct and per function, plus errors.

use super::*;
use serde_json::json;

fn data() -> Value {
    json!({
        "ID": "0123456789abcdef",
        "Names": ["web", "db"],
        "State": {"Status": "running", "ExitCode": 0, "Running": true, "Pid": 42},
        "Labels": {"app": "shop", "tier": "front"},
        "Empty": {},
        "List": [],
        "Nil": null,
        "Size": 1536,
        "Ratio": 0.25,
        "Ports": [{"Host": 8080, "Proto": "tcp"}, {"Host": 53, "Proto": "udp"}],
        "Matrix": [[1, 2], [3, 4]]
    })
}

fn r(format: &str) -> String {
    render(format, &data()).unwrap_or_else(|e| panic!("{format}: {e}"))
}

fn err(format: &str) -> String {
    match render(format, &data()) {
        Ok(out) => panic!("{format}: expected an error, got {out:?}"),
        Err(e) => e,
    }
}

// Text outside actions is copied verbatim.
#[test]
fn plain_text() {
    assert_eq!(r("no actions here } {"), "no actions here } {");
    assert_eq!(r(""), "");
}

// Literal `\t` and `\n` from the command line become tab and newline.
#[test]
fn escapes_expand() {
    assert_eq!(r("{{.ID}}\\t{{.Size}}\\n"), "0123456789abcdef\t1536\n");
}

// The `json` format prints the whole value as 4-space indented JSON.
#[test]
fn json_format() {
    let out = render("json", &json!({"a": [1]})).unwrap();
    assert_eq!(out, "{\n    \"a\": [\n        1\n    ]\n}");
}

// `.Field.Sub` follows objects; `.` is the whole value.
#[test]
fn fields_and_dot() {
    assert_eq!(r("{{.State.Status}}/{{.State.Pid}}"), "running/42");
    assert_eq!(render("{{.}}", &json!("x")).unwrap(), "x");
}

// Keys match exactly first, then case-insensitively, like podman.
#[test]
fn case_insensitive_fields() {
    assert_eq!(r("{{.state.status}}"), "running");
    let v = json!({"name": "lower", "Name": "upper"});
    assert_eq!(render("{{.name}} {{.Name}}", &v).unwrap(), "lower upper");
}

// A typo in a struct-like object is an error naming the field and position.
#[test]
fn missing_struct_field_is_error() {
    let e = err("{{.State.Stauts}}");
    assert_eq!(
        e,
        "template: format:1:2: executing \"format\" at <.State.Stauts>: can't evaluate field Stauts"
    );
    assert!(err("{{.Nope}}").contains("can't evaluate field Nope"));
}

// A missing key in a string map (Labels) is the empty string, as with Go maps.
#[test]
fn missing_map_key_is_empty() {
    assert_eq!(r("[{{.Labels.nope}}][{{.Empty.x}}]"), "[][]");
    assert_eq!(r("{{.Labels.app}}"), "shop");
}

// Inside if/with conditions a missing field is just false.
#[test]
fn missing_field_in_condition_is_false() {
    assert_eq!(r("{{if .Nope}}yes{{else}}no{{end}}"), "no");
    assert_eq!(r("{{with .State.Nope}}yes{{else}}no{{end}}"), "no");
    assert_eq!(r("{{if eq .Nope \"x\"}}yes{{else}}no{{end}}"), "no");
}

// Fields of null are null; fields of scalars are an error.
#[test]
fn fields_of_null_and_scalars() {
    assert_eq!(r("{{.Nil.Anything}}"), "<no value>");
    assert!(err("{{.ID.Sub}}").contains("can't evaluate field Sub in type string"));
}

// Go's default printing of every JSON type.
#[test]
fn value_printing() {
    assert_eq!(r("{{.Names}}"), "[web db]");
    assert_eq!(r("{{.Labels}}"), "map[app:shop tier:front]");
    assert_eq!(r("{{.Nil}}"), "<no value>");
    assert_eq!(
        r("{{.State.Running}} {{.Ratio}} {{.Size}}"),
        "true 0.25 1536"
    );
    assert_eq!(
        render("{{.}}", &json!([null, 1.5, {"b": 1, "a": [true]}])).unwrap(),
        "[<nil> 1.5 map[a:[true] b:1]]"
    );
    assert_eq!(render("{{.}}", &json!(1234567.0)).unwrap(), "1.234567e+06");
    assert_eq!(render("{{.}}", &json!(100000.0)).unwrap(), "100000");
    assert_eq!(render("{{.}}", &json!(0.00001)).unwrap(), "1e-05");
}

// Literals: strings, raw strings, numbers, chars, bools, nil as an argument. (`\n` is
// expanded before parsing, even inside raw strings, as podman does.)
#[test]
fn literals() {
    assert_eq!(
        r(r#"{{"a\tb"}}|{{`raw\n`}}|{{42}}|{{-7}}|{{1.5}}|{{0x1F}}|{{'a'}}|{{true}}"#),
        "a\tb|raw\n|42|-7|1.5|31|97|true"
    );
    assert_eq!(r("{{print nil}}"), "<nil>");
    assert!(err("{{nil}}").contains("nil is not a command"));
}

// `$` is the root, even inside range and with.
#[test]
fn root_variable() {
    assert_eq!(
        r("{{range .Names}}{{.}}@{{$.ID}} {{end}}"),
        "web@0123456789abcdef db@0123456789abcdef "
    );
    assert_eq!(r("{{with .State}}{{$.Size}}{{end}}"), "1536");
}

// `$x := ...` declares, `$x = ...` assigns, `$x.Field` reads through it; nothing is printed.
#[test]
fn variables() {
    assert_eq!(r("{{$s := .State}}{{$s.Status}}"), "running");
    assert_eq!(
        r("{{$n := 1}}{{range .Names}}{{$n = .}}{{end}}{{$n}}"),
        "db"
    );
    assert_eq!(r("{{$x := .Labels}}{{$x.app}}"), "shop");
}

// Variables declared in a block are gone after its end.
#[test]
fn variable_scope() {
    assert!(err("{{if true}}{{$x := 1}}{{end}}{{$x}}").contains("undefined variable \"$x\""));
    assert!(err("{{$y = 1}}").contains("undefined variable \"$y\""));
}

// if / else if / else choose the first true branch.
#[test]
fn if_else_chain() {
    let f = "{{if eq .State.Status \"exited\"}}E{{else if .State.Running}}R{{else}}?{{end}}";
    assert_eq!(r(f), "R");
    assert_eq!(r("{{if .List}}full{{else}}empty{{end}}"), "empty");
    assert_eq!(r("{{if .Labels}}labels{{end}}"), "labels");
}

// Go truthiness: false, 0, "", null and empty lists/maps are false.
#[test]
fn truthiness() {
    for (v, want) in [
        (json!(false), "F"),
        (json!(0), "F"),
        (json!(0.0), "F"),
        (json!(""), "F"),
        (json!(null), "F"),
        (json!([]), "F"),
        (json!({}), "F"),
        (json!(true), "T"),
        (json!(-1), "T"),
        (json!("0"), "T"),
        (json!([0]), "T"),
    ] {
        assert_eq!(
            render("{{if .}}T{{else}}F{{end}}", &v).unwrap(),
            want,
            "{v}"
        );
    }
}

// with sets dot when true and runs else otherwise.
#[test]
fn with_else() {
    assert_eq!(r("{{with .State}}{{.Pid}}{{end}}"), "42");
    assert_eq!(r("{{with .List}}x{{else}}none{{end}}"), "none");
    assert_eq!(
        r("{{with .List}}x{{else with .Names}}{{len .}}{{end}}"),
        "2"
    );
}

// range over lists, maps (sorted keys) and integers, with else for empty.
#[test]
fn range_forms() {
    assert_eq!(r("{{range .Names}}<{{.}}>{{end}}"), "<web><db>");
    assert_eq!(
        r("{{range $i, $n := .Names}}{{$i}}={{$n}} {{end}}"),
        "0=web 1=db "
    );
    assert_eq!(
        r("{{range $k, $v := .Labels}}{{$k}}:{{$v}},{{end}}"),
        "app:shop,tier:front,"
    );
    assert_eq!(r("{{range $v := .Labels}}{{$v}} {{end}}"), "shop front ");
    assert_eq!(r("{{range .List}}x{{else}}empty{{end}}"), "empty");
    assert_eq!(r("{{range .Nil}}x{{else}}nil{{end}}"), "nil");
    assert_eq!(r("{{range 3}}{{.}}{{end}}"), "012");
    assert!(err("{{range .ID}}{{end}}").contains("range can't iterate over 0123456789abcdef"));
}

// Nested ranges keep their own variables and dots.
#[test]
fn nested_range_with_variables() {
    let f =
        "{{range $i, $row := .Matrix}}{{range $j, $c := $row}}{{$i}}{{$j}}={{$c}} {{end}}{{end}}";
    assert_eq!(r(f), "00=1 01=2 10=3 11=4 ");
    assert_eq!(
        r("{{range .Ports}}{{.Host}}/{{.Proto}} {{end}}"),
        "8080/tcp 53/udp "
    );
}

// break and continue stop or skip range iterations, and only parse inside range.
#[test]
fn break_continue() {
    assert_eq!(
        r("{{range .Matrix}}{{range .}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}{{end}}"),
        "134"
    );
    assert_eq!(r("{{range .Names}}{{.}}{{break}}{{end}}"), "web");
    assert!(err("{{break}}").contains("{{break}} outside {{range}}"));
}

// Trim markers eat whitespace on their side; without the space `-3` is a number.
#[test]
fn whitespace_trimming() {
    assert_eq!(r("a  \n {{- .State.Pid -}} \n\t b"), "a42b");
    assert_eq!(r("{{range .Names -}}\n  {{.}}\n{{- end}}"), "webdb");
    assert_eq!(r("x {{-3}}"), "x -3");
}

// Comments print nothing and may carry trim markers.
#[test]
fn comments() {
    assert_eq!(r("a{{/* note }} here */}}b"), "ab");
    assert_eq!(r("a {{- /* trimmed */ -}} b"), "ab");
    assert!(err("{{/* open").contains("unclosed comment"));
}

// Pipelines pass the previous value as the last argument.
#[test]
fn pipelines() {
    assert_eq!(r("{{.State.Status | upper}}"), "RUNNING");
    assert_eq!(r("{{join .Names \",\" | printf \"%s!\"}}"), "web,db!");
    // The piped value goes last, so this is join("," , .Names): a type error, as in Go.
    assert!(err("{{.Names | join \",\"}}").contains("expected string; got []interface {}"));
    assert_eq!(r("{{\"%s-%s\" | printf \"%s|%s\" \"a\"}}"), "a|%s-%s");
    assert_eq!(r("{{(index .Ports 1).Proto}}"), "udp");
}

// and/or return the deciding argument and short-circuit.
#[test]
fn and_or() {
    assert_eq!(
        r("{{and 1 \"x\" .Size}}|{{and 1 0 .Size}}|{{or 0 \"\" .ID}}|{{or 0 .List}}"),
        "1536|0|0123456789abcdef|[]"
    );
    // The failing index is never evaluated.
    assert_eq!(r("{{or true (index .Names 9)}}"), "true");
    assert_eq!(r("{{and false (index .Names 9)}}"), "false");
    assert_eq!(r("{{.ID | and true}}"), "0123456789abcdef");
}

// not negates truthiness.
#[test]
fn not_fn() {
    assert_eq!(r("{{not .List}} {{not .Names}}"), "true false");
}

// len of strings (bytes), lists, maps and null; error on numbers.
#[test]
fn len_fn() {
    assert_eq!(
        r("{{len .ID}} {{len .Names}} {{len .Labels}} {{len .Nil}}"),
        "16 2 2 0"
    );
    assert!(err("{{len .Size}}").contains("error calling len: len of type int"));
}

// index reaches into lists and maps, nested; bad indexes are errors.
#[test]
fn index_fn() {
    assert_eq!(
        r("{{index .Names 1}} {{index .Labels \"app\"}} {{index .Matrix 1 0}}"),
        "db shop 3"
    );
    assert_eq!(r("[{{index .Labels \"none\"}}]"), "[]");
    assert_eq!(r("{{index .Ports 0 \"Host\"}}"), "8080");
    assert!(err("{{index .Names 5}}").contains("error calling index: index out of range: 5"));
    assert!(err("{{index .Size 0}}").contains("can't index item of type int"));
}

// slice cuts strings and lists.
#[test]
fn slice_fn() {
    assert_eq!(
        r("{{slice .ID 0 4}} {{slice .Names 1}} {{slice .ID 14}}"),
        "0123 [db] ef"
    );
    assert!(err("{{slice .ID 3 2}}").contains("invalid slice index: 3 > 2"));
    assert!(err("{{slice .ID 0 99}}").contains("index out of range: 99"));
}

// print spaces non-string operands, println always spaces and ends with a newline.
#[test]
fn print_println() {
    assert_eq!(r("{{print 1 2 \"a\" \"b\" 3}}"), "1 2ab3");
    assert_eq!(r("{{println .State.Pid \"x\"}}"), "42 x\n");
}

// printf verbs, flags, widths and Go's in-band errors.
#[test]
fn printf_fn() {
    assert_eq!(
        r("{{printf \"%s|%d|%v|%q|%t|%%\" .ID .Size .Names \"a\\\"b\" true}}"),
        "0123456789abcdef|1536|[web db]|\"a\\\"b\"|true|%"
    );
    assert_eq!(
        r("{{printf \"[%-6s][%6s][%5d][%-4d][%05d][%+d]\" \"ab\" \"cd\" 42 7 -42 3}}"),
        "[ab    ][    cd][   42][7   ][-0042][+3]"
    );
    assert_eq!(
        r("{{printf \"%f %.2f %.1f %e %g\" .Ratio .Ratio .Size 1234.5 0.000012}}"),
        "0.250000 0.25 1536.0 1.234500e+03 1.2e-05"
    );
    assert_eq!(
        r("{{printf \"%x %X %#x %o %b %c\" 255 255 255 8 5 65}}"),
        "ff FF 0xff 10 101 A"
    );
    assert_eq!(
        r("{{printf \"%x\" \"hi\"}} {{printf \"%.3s\" .ID}} {{printf \"%q\" .Names}}"),
        "6869 012 [\"web\" \"db\"]"
    );
    assert_eq!(
        r("{{printf \"%d %s\" \"x\"}}"),
        "%!d(string=x) %!s(MISSING)"
    );
    assert_eq!(
        r("{{printf \"%d\" 1 \"extra\"}}"),
        "1%!(EXTRA string=extra)"
    );
    assert_eq!(r("{{printf \"%*d|%-*d|\" 4 1 3 2}}"), "   1|2  |");
}

// eq compares against several values; ne, lt, le, gt, ge order numbers and strings.
#[test]
fn comparisons() {
    assert_eq!(
        r("{{eq .State.Status \"exited\" \"running\"}} {{eq .Size 1536}} {{eq 1 1.0}}"),
        "true true true"
    );
    assert_eq!(
        r("{{ne .ID \"x\"}} {{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1 2}}"),
        "true true true true false"
    );
    assert_eq!(r("{{eq .Nil .Nil}} {{eq .Nil \"x\"}}"), "true false");
    assert!(
        err("{{eq .Size \"1536\"}}")
            .contains("error calling eq: incompatible types for comparison")
    );
    assert!(err("{{lt true false}}").contains("invalid type for comparison"));
    assert!(err("{{eq .Names .Names}}").contains("non-comparable type"));
}

// html, js and urlquery escape their text.
#[test]
fn escaping_fns() {
    assert_eq!(
        r("{{html \"<a href='x'>&\\\"\"}}"),
        "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"
    );
    assert_eq!(r("{{js \"it's <b>\"}}"), "it\\'s \\u003Cb\\u003E");
    assert_eq!(r("{{urlquery \"a b&c/d\"}}"), "a+b%26c%2Fd");
}

// json prints compact JSON, without HTML escaping.
#[test]
fn json_fn() {
    assert_eq!(
        r("{{json .Names}} {{json .State.Pid}} {{json \"<&>\"}}"),
        "[\"web\",\"db\"] 42 \"<&>\""
    );
    assert_eq!(
        render("{{json .}}", &json!({"b": 1, "a": null})).unwrap(),
        "{\"a\":null,\"b\":1}"
    );
}

// lower, upper and title change case like Go's strings functions.
#[test]
fn case_fns() {
    assert_eq!(
        r("{{lower \"MiXed\"}} {{upper .State.Status}} {{title \"hello wide-world_x\"}}"),
        "mixed RUNNING Hello Wide-World_x"
    );
    assert!(err("{{upper .Size}}").contains("wrong type for value; expected string; got int"));
}

// truncate cuts to n bytes (never through a character).
#[test]
fn truncate_fn() {
    assert_eq!(
        r("{{truncate .ID 12}} {{truncate \"ab\" 5}} {{truncate \"héllo\" 2}}"),
        "0123456789ab ab h"
    );
}

// pad adds spaces before and after, but leaves empty strings alone.
#[test]
fn pad_fn() {
    assert_eq!(r("[{{pad \"x\" 2 1}}][{{pad \"\" 2 1}}]"), "[  x ][]");
}

// split returns a list, join glues one.
#[test]
fn split_join() {
    assert_eq!(
        r("{{split \"a,b,c\" \",\"}} {{len (split \"a,b\" \",\")}}"),
        "[a b c] 2"
    );
    assert_eq!(
        r("{{join .Names \", \"}} {{join (split \"x:y\" \":\") \"-\"}} [{{join .Nil \",\"}}]"),
        "web, db x-y []"
    );
    assert!(err("{{join .ID \",\"}}").contains("expected []string"));
}

// Parse errors: one line naming the line number, before any data is touched.
#[test]
fn parse_errors() {
    assert_eq!(err("{{.ID"), "template: format:1: unclosed action");
    assert_eq!(
        err("{{foo .ID}}"),
        "template: format:1: function \"foo\" not defined"
    );
    assert_eq!(err("a\n{{if .ID}}"), "template: format:2: unexpected EOF");
    assert!(err("{{end}}").contains("unexpected {{end}}"));
    assert!(err("{{else}}").contains("unexpected {{else}}"));
    assert!(err("{{.ID | }}").contains("missing command"));
    assert!(err("{{}}").contains("missing value for command"));
    assert!(err("{{\"open}}").contains("unterminated quoted string"));
    assert!(err("{{.ID 3}}").contains("can't give argument to non-function"));
    assert!(err("{{.ID | .Size}}").contains("can't give argument to non-function"));
    assert!(err("{{define \"x\"}}{{end}}").contains("{{define}} is not supported"));
    assert!(err("{{1x}}").contains("bad number syntax: \"1x\""));
    assert!(err("{{ # }}").contains("bad character U+0023 '#'"));
    assert!(err("{{ } }}").contains("unexpected \"}\" in operand"));
}

// Wrong argument counts name the function.
#[test]
fn arity_errors() {
    assert!(err("{{truncate .ID}}").contains("wrong number of args for truncate: want 2 got 1"));
    assert!(err("{{not}}").contains("wrong number of args for not: want 1 got 0"));
}

// Execution errors carry line, column and the failing command.
#[test]
fn exec_error_position() {
    assert_eq!(
        err("x\n  {{index .Names 7}}"),
        "template: format:2:4: executing \"format\" at <index .Names 7>: error calling index: index out of range: 7"
    );
}

// A template parses once and runs over many rows.
#[test]
fn parse_once_execute_many() {
    let t = Template::parse("{{.N}}{{if gt .N 1}}!{{end}}").unwrap();
    let out: Vec<String> = (0..3)
        .map(|n| t.execute(&json!({"N": n})).unwrap())
        .collect();
    assert_eq!(out, ["0", "1", "2!"]);
}

// Formats podman users commonly write keep working end to end.
#[test]
fn podman_style_formats() {
    assert_eq!(
        r("{{range $i, $e := .Names}}{{if $i}}, {{end}}{{$e}}{{end}}"),
        "web, db"
    );
    assert_eq!(
        r("{{.Ports}}"),
        "[map[Host:8080 Proto:tcp] map[Host:53 Proto:udp]]"
    );
    assert_eq!(
        r("{{range .Ports}}{{if and (gt .Host 1024) (eq .Proto \"tcp\")}}{{.Host}}{{end}}{{end}}"),
        "8080"
    );
    assert_eq!(
        r("{{ .State.Status|upper }} {{(.ID)}}"),
        "RUNNING 0123456789abcdef"
    );
    assert_eq!(
        r("{{printf \"%5.1f|%6.2f%%\" 3.14159 12.345}}"),
        "  3.1| 12.35%"
    );
    assert_eq!(r("{{len \"héllo\"}} ünïcode {{\"ß\"}}"), "6 ünïcode ß");
    assert_eq!(r("{{if not .State.Running}}stopped{{else}}up{{end}}"), "up");
    assert_eq!(r("{{with $s := .State}}{{$s.Pid}}{{end}}"), "42");
    assert_eq!(r("{{.ID}}}}"), "0123456789abcdef}}");
}
