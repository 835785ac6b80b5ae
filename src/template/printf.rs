//! Go's `fmt.Sprintf` over JSON values: flags, width, precision and verbs, with Go's in-band
//! errors and its float formatting (`%e`, `%g`, `%v`).

use serde_json::{Number, Value};

use super::funcs::{as_int, go_fmt, sorted, type_name};

/// Flags, width and precision of one `printf` verb.
#[derive(Default)]
pub(super) struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Go's limit on a width or precision (fmt's `tooLarge`).
pub(super) const TOO_LARGE: usize = 1_000_000;

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

pub(super) fn fmt_arg(verb: char, spec: &Spec, v: &Value) -> String {
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
