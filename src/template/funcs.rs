//! Template functions (Go's builtins plus podman's `FuncMap`) and Go's `fmt` rules for
//! printing JSON values: `%v` formatting and `print`/`println` spacing (`printf` verbs are
//! in [`super::printf`]).

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::printf::{Spec, TOO_LARGE, fmt_arg, sprintf};

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

pub(super) fn sorted(o: &Map<String, Value>) -> Vec<(&String, &Value)> {
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

pub(super) fn as_int(v: &Value) -> Option<i64> {
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
