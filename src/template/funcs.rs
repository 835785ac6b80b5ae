//! Template functions (Go's builtins plus podman's `FuncMap`) and Go's `fmt` rules for
//! printing JSON values: `%v` formatting, `print`/`println` spacing and `printf` verbs.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

const FUNCS: &[&str] = &[
    // Go text/template builtins.
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery",
    // podman's additions (containers/common pkg/report).
    "json", "lower", "upper", "title", "truncate", "pad", "split", "join",
];

pub(super) fn is_func(name: &str) -> bool {
    FUNCS.contains(&name)
}

/// Go's truth: false, 0, "", nil and empty lists/maps are false.
pub(super) fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Exact key first, then case-insensitively.
pub(super) fn lookup<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    o.get(key).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The value a missing key yields when `o` looks like a Go `map[string]string` (empty, or
/// only string values, like Labels and Annotations): `""`. Other objects stand for Go
/// structs, where a missing field is an error, so this returns None.
pub(super) fn map_zero(o: &Map<String, Value>) -> Option<Value> {
    o.values()
        .all(Value::is_string)
        .then(|| Value::String(String::new()))
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// What `{{pipeline}}` prints: `%v`, except that a nil/missing value is `<no value>`.
pub(super) fn print_value(v: &Value) -> String {
    if v.is_null() {
        "<no value>".into()
    } else {
        go_fmt(v)
    }
}

/// Go's `%v`: strings bare, `[a b]`, `map[k:v]` with sorted keys, `<nil>`.
pub(super) fn go_fmt(v: &Value) -> String {
    fmt_arg('v', &Spec::default(), v)
}

fn sorted(o: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut kv: Vec<_> = o.iter().collect();
    kv.sort_by(|a, b| a.0.cmp(b.0));
    kv
}

fn arity(name: &str, args: &[Value], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ))
    }
}

fn at_least(name: &str, args: &[Value], n: usize) -> Result<(), String> {
    if args.len() >= n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            args.len()
        ))
    }
}

fn str_arg(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| {
        format!(
            "wrong type for value; expected string; got {}",
            type_name(v)
        )
    })
}

fn int_arg(v: &Value) -> Result<i64, String> {
    as_int(v).ok_or_else(|| format!("wrong type for value; expected int; got {}", type_name(v)))
}

fn as_int(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    n.as_i64()
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
}

/// Calls every function except `and`/`or`, which the executor evaluates lazily.
pub(super) fn call(name: &str, args: Vec<Value>) -> Result<Value, String> {
    let calling = |e: String| format!("error calling {name}: {e}");
    let s = |v: String| Ok(Value::String(v));
    match name {
        "not" => {
            arity(name, &args, 1)?;
            Ok(Value::Bool(!truth(&args[0])))
        }
        "len" => {
            arity(name, &args, 1)?;
            let n = match &args[0] {
                Value::String(s) => s.len(),
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                Value::Null => 0,
                other => return Err(calling(format!("len of type {}", type_name(other)))),
            };
            Ok(Value::from(n))
        }
        "index" => {
            at_least(name, &args, 1)?;
            index(&args[0], &args[1..]).map_err(calling)
        }
        "slice" => {
            at_least(name, &args, 1)?;
            slice(&args[0], &args[1..]).map_err(calling)
        }
        "print" => s(sprint(&args)),
        "println" => {
            let parts: Vec<String> = args.iter().map(go_fmt).collect();
            s(parts.join(" ") + "\n")
        }
        "printf" => {
            at_least(name, &args, 1)?;
            s(sprintf(str_arg(&args[0])?, &args[1..]))
        }
        "eq" => {
            at_least(name, &args, 1)?;
            if args.len() == 1 {
                return Err(calling("missing argument for comparison".into()));
            }
            for other in &args[1..] {
                if equal(&args[0], other).map_err(calling)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "ne" => {
            arity(name, &args, 2)?;
            Ok(Value::Bool(!equal(&args[0], &args[1]).map_err(calling)?))
        }
        "lt" | "le" | "gt" | "ge" => {
            arity(name, &args, 2)?;
            let ord = order(&args[0], &args[1]).map_err(calling)?;
            Ok(Value::Bool(match name {
                "lt" => ord == Ordering::Less,
                "le" => ord != Ordering::Greater,
                "gt" => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
        "html" => s(escape_html(&text_of(&args))),
        "js" => s(escape_js(&text_of(&args))),
        "urlquery" => s(query_escape(&text_of(&args))),
        "json" => {
            arity(name, &args, 1)?;
            s(serde_json::to_string(&args[0]).unwrap_or_default())
        }
        "lower" => {
            arity(name, &args, 1)?;
            s(str_arg(&args[0])?.to_lowercase())
        }
        "upper" => {
            arity(name, &args, 1)?;
            s(str_arg(&args[0])?.to_uppercase())
        }
        "title" => {
            arity(name, &args, 1)?;
            s(title(str_arg(&args[0])?))
        }
        "truncate" => {
            arity(name, &args, 2)?;
            let text = str_arg(&args[0])?;
            let n = usize::try_from(int_arg(&args[1])?)
                .map_err(|_| calling("negative length".into()))?;
            let mut cut = n.min(text.len());
            // Go cuts bytes; cut before a multi-byte character rather than through it.
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            s(text[..cut].to_string())
        }
        "pad" => {
            arity(name, &args, 3)?;
            let text = str_arg(&args[0])?;
            let count = |v: &Value| -> Result<usize, String> {
                match usize::try_from(int_arg(v)?) {
                    Err(_) => Err(calling("negative padding".into())),
                    // A count past Go's width limit would only exhaust memory.
                    Ok(n) if n > TOO_LARGE => Err(calling("padding too large".into())),
                    Ok(n) => Ok(n),
                }
            };
            let (pre, post) = (count(&args[1])?, count(&args[2])?);
            if text.is_empty() {
                return s(String::new());
            }
            s(format!("{}{text}{}", " ".repeat(pre), " ".repeat(post)))
        }
        "split" => {
            arity(name, &args, 2)?;
            let (text, sep) = (str_arg(&args[0])?, str_arg(&args[1])?);
            let parts: Vec<Value> = if sep.is_empty() {
                text.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                text.split(sep).map(|p| Value::String(p.into())).collect()
            };
            Ok(Value::Array(parts))
        }
        "join" => {
            arity(name, &args, 2)?;
            let sep = str_arg(&args[1])?;
            let parts: Vec<String> = match &args[0] {
                Value::Array(a) => a.iter().map(go_fmt).collect(),
                Value::Null => Vec::new(),
                other => {
                    return Err(format!(
                        "wrong type for value; expected []string; got {}",
                        type_name(other)
                    ));
                }
            };
            s(parts.join(sep))
        }
        _ => Err(format!("function \"{name}\" not defined")),
    }
}

fn index(item: &Value, keys: &[Value]) -> Result<Value, String> {
    let mut cur = item.clone();
    for key in keys {
        cur = match (&cur, key) {
            (Value::Array(a), k) => {
                let i = as_int(k).ok_or_else(|| {
                    format!("cannot index slice/array with type {}", type_name(k))
                })?;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| a.get(i))
                    .cloned()
                    .ok_or_else(|| format!("index out of range: {i}"))?
            }
            (Value::String(s), k) => {
                let i = as_int(k)
                    .ok_or_else(|| format!("cannot index string with type {}", type_name(k)))?;
                let byte = usize::try_from(i).ok().and_then(|i| s.as_bytes().get(i));
                Value::from(*byte.ok_or_else(|| format!("index out of range: {i}"))?)
            }
            (Value::Object(o), Value::String(k)) => match o.get(k.as_str()) {
                Some(v) => v.clone(),
                None => map_zero(o).unwrap_or(Value::Null),
            },
            (Value::Object(_), k) => {
                return Err(format!("value has type {}; should be string", type_name(k)));
            }
            // A nil map: every key is missing.
            (Value::Null, Value::String(_)) => Value::String(String::new()),
            (other, _) => {
                return Err(format!("can't index item of type {}", type_name(other)));
            }
        };
    }
    Ok(cur)
}

fn slice(item: &Value, idx: &[Value]) -> Result<Value, String> {
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let len = match item {
        Value::String(s) => s.len(),
        Value::Array(a) => a.len(),
        other => return Err(format!("can't slice item of type {}", type_name(other))),
    };
    let mut bounds = Vec::with_capacity(idx.len());
    for v in idx {
        let i = as_int(v)
            .ok_or_else(|| format!("cannot index slice/array with type {}", type_name(v)))?;
        let i = usize::try_from(i)
            .ok()
            .filter(|&i| i <= len)
            .ok_or_else(|| format!("index out of range: {i}"))?;
        bounds.push(i);
    }
    let from = bounds.first().copied().unwrap_or(0);
    let to = bounds.get(1).copied().unwrap_or(len);
    if from > to {
        return Err(format!("invalid slice index: {from} > {to}"));
    }
    match item {
        Value::String(s) if idx.len() == 3 => Err(format!("cannot 3-index slice a string {s:?}")),
        Value::String(s) => s
            .get(from..to)
            .map(|p| Value::String(p.into()))
            .ok_or_else(|| "slice cuts through a multi-byte character".into()),
        Value::Array(a) => Ok(Value::Array(a[from..to].to_vec())),
        _ => unreachable!("checked above"),
    }
}

fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            return Err("non-comparable type".into());
        }
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Ordering::Equal,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => return Err("incompatible types for comparison".into()),
    })
}

fn order(a: &Value, b: &Value) -> Result<Ordering, String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Ok(num_cmp(x, y)),
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        _ if std::mem::discriminant(a) == std::mem::discriminant(b) => {
            Err("invalid type for comparison".into())
        }
        _ => Err("incompatible types for comparison".into()),
    }
}

fn num_cmp(x: &Number, y: &Number) -> Ordering {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(x), int(y)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => {
            let (a, b) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            a.partial_cmp(&b).unwrap_or(Ordering::Equal)
        }
    }
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !a.is_string() && !args[i - 1].is_string() {
            out.push(' ');
        }
        out.push_str(&go_fmt(a));
    }
    out
}

/// The argument text of `html`, `js` and `urlquery`.
fn text_of(args: &[Value]) -> String {
    match args {
        [Value::String(s)] => s.clone(),
        _ => sprint(args),
    }
}

/// Go's `strings.Title`: upper-cases the first letter of every word.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = !(c.is_alphanumeric() || c == '_') && (c.is_ascii() || c.is_whitespace());
    }
    out
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn escape_js(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' | '>' | '&' | '=' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Flags, width and precision of one `printf` verb.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Go's limit on a width or precision (fmt's `tooLarge`).
const TOO_LARGE: usize = 1_000_000;

/// A width or precision, as Go's `parsenum` reads it: a number that grows past
/// [`TOO_LARGE`] consumes the rest of the format, which then ends in `%!(NOVERB)`.
fn digits(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        if n.is_some_and(|v| v > TOO_LARGE) {
            chars.by_ref().for_each(drop);
            return None;
        }
        n = Some(n.unwrap_or(0) * 10 + d as usize);
        chars.next();
    }
    n
}

/// Go's `fmt.Sprintf` for JSON values, including its in-band errors
/// (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA ...)`).
pub(super) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        let mut star = |chars: &mut std::iter::Peekable<std::str::Chars>, out: &mut String| {
            if chars.peek() != Some(&'*') {
                return digits(chars);
            }
            chars.next();
            let n = args
                .get(next)
                .and_then(as_int)
                .filter(|n| n.unsigned_abs() <= TOO_LARGE as u64);
            next += 1;
            if n.is_none() {
                out.push_str("%!(BADWIDTH)");
            }
            n.map(|n| n.unsigned_abs() as usize)
        };
        spec.width = star(&mut chars, &mut out);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(star(&mut chars, &mut out).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(next) {
            Some(a) => out.push_str(&fmt_arg(verb, &spec, a)),
            None => out.push_str(&format!("%!{verb}(MISSING)")),
        }
        next += 1;
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| match a {
                Value::Null => "<nil>".to_string(),
                a => format!("{}={}", type_name(a), go_fmt(a)),
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

fn bad_verb(verb: char, v: &Value) -> String {
    match v {
        Value::Null => format!("%!{verb}(<nil>)"),
        v => format!("%!{verb}({}={})", type_name(v), go_fmt(v)),
    }
}

/// Pads to the width; `numeric` puts `0` padding after the sign.
fn pad(s: String, spec: &Spec, numeric: bool) -> String {
    let len = s.chars().count();
    let Some(width) = spec.width.filter(|&w| w > len) else {
        return s;
    };
    let fill = width - len;
    if spec.minus {
        s + &" ".repeat(fill)
    } else if spec.zero {
        let sign = if numeric && s.starts_with(['+', '-', ' ']) {
            1
        } else {
            0
        };
        format!("{}{}{}", &s[..sign], "0".repeat(fill), &s[sign..])
    } else {
        " ".repeat(fill) + &s
    }
}

fn fmt_arg(verb: char, spec: &Spec, v: &Value) -> String {
    match v {
        // Go formats the elements of lists and maps with the same verb.
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(|e| fmt_arg(verb, spec, e)).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(o) => {
            let parts: Vec<String> = sorted(o)
                .into_iter()
                .map(|(k, e)| {
                    let key = fmt_arg(verb, spec, &Value::String(k.clone()));
                    format!("{key}:{}", fmt_arg(verb, spec, e))
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Null if verb == 'v' => pad("<nil>".into(), spec, false),
        Value::Bool(b) if verb == 'v' || verb == 't' => pad(b.to_string(), spec, false),
        Value::String(s) => match verb {
            'v' | 's' => {
                let s = match spec.prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.clone(),
                };
                pad(s, spec, false)
            }
            'q' => pad(go_quote(s), spec, false),
            'x' => pad(s.bytes().map(|b| format!("{b:02x}")).collect(), spec, false),
            'X' => pad(s.bytes().map(|b| format!("{b:02X}")).collect(), spec, false),
            _ => bad_verb(verb, v),
        },
        Value::Number(n) => fmt_number(verb, spec, n).unwrap_or_else(|| bad_verb(verb, v)),
        _ => bad_verb(verb, v),
    }
}

fn sign(negative: bool, spec: &Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn fmt_number(verb: char, spec: &Spec, n: &Number) -> Option<String> {
    let int = n
        .as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from));
    let Some(i) = int else {
        return fmt_float(verb, spec, n.as_f64()?);
    };
    let abs = i.unsigned_abs();
    let prefixed = |prefix: &str, digits: String| {
        let mut d = digits;
        if let Some(p) = spec.prec {
            d = "0".repeat(p.saturating_sub(d.len())) + &d;
        }
        let p = if spec.sharp || prefix == "0o" {
            prefix
        } else {
            ""
        };
        pad(format!("{}{p}{d}", sign(i < 0, spec)), spec, true)
    };
    Some(match verb {
        'd' | 'v' => prefixed("", abs.to_string()),
        'b' => prefixed("0b", format!("{abs:b}")),
        'o' => prefixed("0", format!("{abs:o}")),
        'O' => prefixed("0o", format!("{abs:o}")),
        'x' => prefixed("0x", format!("{abs:x}")),
        'X' => prefixed("0X", format!("{abs:X}")),
        'c' => pad(char_of(i).to_string(), spec, false),
        'q' => pad(format!("'{}'", char_of(i)), spec, false),
        'U' => pad(format!("U+{abs:04X}"), spec, false),
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => fmt_float(verb, spec, i as f64)?,
        _ => return None,
    })
}

fn char_of(i: i128) -> char {
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

fn fmt_float(verb: char, spec: &Spec, f: f64) -> Option<String> {
    let abs = f.abs();
    let body = match verb {
        'v' | 'g' => go_g(abs, spec.prec),
        'G' => go_g(abs, spec.prec).to_uppercase(),
        'e' => go_e(abs, spec.prec.unwrap_or(6)),
        'E' => go_e(abs, spec.prec.unwrap_or(6)).to_uppercase(),
        'f' | 'F' => fixed(abs, spec.prec.unwrap_or(6)),
        _ => return None,
    };
    Some(pad(
        format!("{}{body}", sign(f.is_sign_negative() && f != 0.0, spec)),
        spec,
        true,
    ))
}

/// Splits Rust's `{:e}` output into significant digits (no trailing zeros) and exponent.
fn sci_parts(s: &str) -> (String, i32) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let mut digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (digits, exp.parse().unwrap_or(0))
}

fn exp_suffix(exp: i32) -> String {
    format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// Rust's formatter panics on a precision past `u16::MAX`, Go's goes to [`TOO_LARGE`] and
/// more: past the digits an f64 holds (1074 after the point, 767 significant) all are zeros.
const EXACT_DIGITS: usize = 1100;

/// `{f:.prec$}` for any precision.
fn fixed(f: f64, prec: usize) -> String {
    let p = prec.min(EXACT_DIGITS);
    format!("{f:.p$}") + &"0".repeat(prec - p)
}

/// `{f:.prec$e}` for any precision.
fn sci(f: f64, prec: usize) -> String {
    let p = prec.min(EXACT_DIGITS);
    let s = format!("{f:.p$e}");
    match s.split_once('e') {
        Some((mant, exp)) if prec > p => format!("{mant}{}e{exp}", "0".repeat(prec - p)),
        _ => s,
    }
}

/// `%e` with Go's two-digit signed exponent.
fn go_e(f: f64, prec: usize) -> String {
    let s = sci(f, prec);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    format!("{mant}{}", exp_suffix(exp.parse().unwrap_or(0)))
}

/// `%g` (and `%v` for floats): shortest or `prec` significant digits, exponent form when
/// the exponent is < -4 or >= the precision (6 when shortest), as strconv does.
fn go_g(f: f64, prec: Option<usize>) -> String {
    let (digits, exp) = match prec {
        None => sci_parts(&format!("{f:e}")),
        Some(p) => sci_parts(&sci(f, p.max(1) - 1)),
    };
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let eprec = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            if p > nd && nd >= dp { nd } else { p }
        }
    };
    if exp < -4 || exp >= eprec {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        return format!("{first}{dot}{rest}{}", exp_suffix(exp));
    }
    if dp <= 0 {
        format!("0.{}{digits}", "0".repeat((-dp) as usize))
    } else if dp >= nd {
        format!("{digits}{}", "0".repeat((dp - nd) as usize))
    } else {
        let (int, frac) = digits.split_at(dp as usize);
        format!("{int}.{frac}")
    }
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
