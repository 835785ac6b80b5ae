//! `${VAR}` interpolation as the Compose Specification defines it (`$VAR`, `${VAR}`,
//! `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`,
//! `${VAR+alt}`, `$$` for a literal `$`), over every string of a parsed file, and the `.env`
//! file format. Pure: the caller supplies the variables.

use std::collections::BTreeMap;

use serde_json::Value;

/// Variables: the `.env` file's, overridden by the process environment.
pub type Vars = BTreeMap<String, String>;

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolateError {
    /// `${VAR:?message}` with VAR unset (or empty).
    Required { var: String, message: String },
    /// A `${` without its `}`, or a name that is not one.
    Syntax(String),
}

impl std::fmt::Display for InterpolateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpolateError::Required { var, message } if message.is_empty() => {
                write!(f, "required variable {var} is missing a value")
            }
            InterpolateError::Required { var, message } => {
                write!(f, "required variable {var} is missing a value: {message}")
            }
            InterpolateError::Syntax(s) => write!(f, "invalid interpolation format for {s:?}"),
        }
    }
}

/// Interpolates one string. Variables used but unset (without a default) are pushed to
/// `unset`, so the caller can warn as compose does; they expand to "".
pub fn interpolate(
    s: &str,
    vars: &Vars,
    unset: &mut Vec<String>,
) -> Result<String, InterpolateError> {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            let next = s[i..].find('$').map_or(s.len(), |n| i + n);
            out.push_str(&s[i..next]);
            i = next;
            continue;
        }
        match b.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                let end =
                    closing_brace(s, i + 2).ok_or_else(|| InterpolateError::Syntax(s.into()))?;
                out.push_str(&braced(&s[i + 2..end], s, vars, unset)?);
                i = end + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                out.push_str(&lookup(&s[start..j], vars, unset));
                i = j;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The index of the `}` closing a `${` whose body starts at `from` (nested `${}` allowed).
fn closing_brace(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 1;
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn lookup(name: &str, vars: &Vars, unset: &mut Vec<String>) -> String {
    match vars.get(name) {
        Some(v) => v.clone(),
        None => {
            if !unset.iter().any(|u| u == name) {
                unset.push(name.to_string());
            }
            String::new()
        }
    }
}

fn braced(
    body: &str,
    whole: &str,
    vars: &Vars,
    unset: &mut Vec<String>,
) -> Result<String, InterpolateError> {
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let name = &body[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(InterpolateError::Syntax(whole.into()));
    }
    let rest = &body[name_end..];
    if rest.is_empty() {
        return Ok(lookup(name, vars, unset));
    }
    let value = vars.get(name);
    let (op, arg) = if let Some(a) = rest.strip_prefix(":-") {
        (":-", a)
    } else if let Some(a) = rest.strip_prefix(":?") {
        (":?", a)
    } else if let Some(a) = rest.strip_prefix(":+") {
        (":+", a)
    } else if let Some(a) = rest.strip_prefix('-') {
        ("-", a)
    } else if let Some(a) = rest.strip_prefix('?') {
        ("?", a)
    } else if let Some(a) = rest.strip_prefix('+') {
        ("+", a)
    } else {
        return Err(InterpolateError::Syntax(whole.into()));
    };
    let set = value.is_some();
    let non_empty = value.is_some_and(|v| !v.is_empty());
    let v = || value.cloned().unwrap_or_default();
    match op {
        ":-" if non_empty => Ok(v()),
        "-" if set => Ok(v()),
        ":-" | "-" => interpolate(arg, vars, unset),
        ":+" if non_empty => interpolate(arg, vars, unset),
        "+" if set => interpolate(arg, vars, unset),
        ":+" | "+" => Ok(String::new()),
        ":?" if non_empty => Ok(v()),
        "?" if set => Ok(v()),
        _ => Err(InterpolateError::Required {
            var: name.to_string(),
            message: interpolate(arg, vars, unset)?,
        }),
    }
}

/// Interpolates every string in `v` (not map keys); an error names the dotted path.
pub fn interpolate_value(
    v: &mut Value,
    path: &mut Vec<String>,
    vars: &Vars,
    unset: &mut Vec<String>,
) -> Result<(), (String, InterpolateError)> {
    match v {
        Value::String(s) if s.contains('$') => {
            *s = interpolate(s, vars, unset).map_err(|e| (path.join("."), e))?;
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                path.push(format!("[{i}]"));
                let r = interpolate_value(x, path, vars, unset);
                path.pop();
                r?;
            }
        }
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                path.push(k.clone());
                let r = interpolate_value(x, path, vars, unset);
                path.pop();
                r?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Parses a `.env` (or `env_file`) text: `KEY=VALUE` lines, `#` comments, an optional
/// `export `, values in single quotes (literal) or double quotes (`\n` escapes), a bare `KEY`
/// (no `=`) kept as `None`.
pub fn parse_env_file(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((k, v)) = line.split_once('=') else {
            out.push((line.to_string(), None));
            continue;
        };
        let v = v.trim();
        let value = if let Some(q) = v.strip_prefix('\'').and_then(|r| r.rsplit_once('\'')) {
            q.0.to_string()
        } else if let Some(q) = v.strip_prefix('"').and_then(|r| r.rsplit_once('"')) {
            q.0.replace("\\n", "\n")
                .replace("\\\"", "\"")
                .replace("\\\\", "\\")
        } else {
            // An unquoted value ends at ` #` (an inline comment).
            v.split(" #").next().unwrap_or("").trim_end().to_string()
        };
        out.push((k.trim().to_string(), Some(value)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        [("A", "x"), ("E", ""), ("PORT", "8080")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn i(s: &str) -> Result<String, InterpolateError> {
        interpolate(s, &vars(), &mut Vec::new())
    }

    #[test]
    fn plain_and_braced() {
        assert_eq!(i("$A-${A}-$PORT/tcp").unwrap(), "x-x-8080/tcp");
        assert_eq!(i("cost $$5 and $$A").unwrap(), "cost $5 and $A");
        assert_eq!(i("a $ b").unwrap(), "a $ b");
    }

    #[test]
    fn defaults() {
        assert_eq!(i("${E:-d}").unwrap(), "d");
        assert_eq!(i("${E-d}").unwrap(), "");
        assert_eq!(i("${U-d}").unwrap(), "d");
        assert_eq!(i("${U:-${A}y}").unwrap(), "xy");
        assert_eq!(i("${A:+alt}").unwrap(), "alt");
        assert_eq!(i("${E:+alt}").unwrap(), "");
        assert_eq!(i("${E+alt}").unwrap(), "alt");
    }

    #[test]
    fn required() {
        assert_eq!(i("${A:?no}").unwrap(), "x");
        let e = i("${U:?set U please}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "required variable U is missing a value: set U please"
        );
        assert!(i("${E:?}").is_err());
        assert_eq!(i("${E?}").unwrap(), "");
    }

    #[test]
    fn unset_warns_and_blanks() {
        let mut unset = Vec::new();
        assert_eq!(
            interpolate("a${NOPE}b$NOPE", &vars(), &mut unset).unwrap(),
            "ab"
        );
        assert_eq!(unset, vec!["NOPE"]);
    }

    #[test]
    fn bad_syntax() {
        assert!(i("${A").is_err());
        assert!(i("${}").is_err());
        assert!(i("${A!x}").is_err());
    }

    #[test]
    fn env_file_format() {
        let e = parse_env_file(
            "# c\nA=1\nexport B = two \nC='lit $x'\nD=\"l1\\nl2\"\nE=v # comment\nF\n",
        );
        assert_eq!(
            e,
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("two".into())),
                ("C".into(), Some("lit $x".into())),
                ("D".into(), Some("l1\nl2".into())),
                ("E".into(), Some("v".into())),
                ("F".into(), None),
            ]
        );
    }
}
