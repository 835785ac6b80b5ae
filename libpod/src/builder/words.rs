//! Dockerfile variable substitution (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}`, and
//! the unset-only forms `${VAR-default}`, `${VAR+alt}`), with the escape character protecting
//! a `$`. Written here: the Dockerfile rules differ from a shell's (no command substitution, no
//! word splitting), and no crate implements exactly them.

use std::collections::HashMap;

/// Why a word could not be expanded.
#[derive(Debug, PartialEq, Eq)]
pub struct SubstError(pub String);

/// Expands the variables of `word` from `vars`; `escape` is the Dockerfile's escape character
/// (`\` unless `# escape=` says otherwise). An escaped `$` stays literal; other escapes are
/// left for the instruction to interpret.
pub fn expand(
    word: &str,
    vars: &HashMap<String, String>,
    escape: char,
) -> Result<String, SubstError> {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == escape && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('{') => {
                let close = find_close(&chars, i + 2)
                    .ok_or_else(|| SubstError(format!("missing '}}' in {word:?}")))?;
                let inner: String = chars[i + 2..close].iter().collect();
                out.push_str(&braced(&inner, vars, escape, word)?);
                i = close + 1;
            }
            Some(&n) if n == '_' || n.is_ascii_alphabetic() => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j] == '_' || chars[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                out.push_str(vars.get(&name).map_or("", String::as_str));
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
fn find_close(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '$' if chars.get(i + 1) == Some(&'{') => {
                depth += 1;
                i += 1;
            }
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(
    inner: &str,
    vars: &HashMap<String, String>,
    escape: char,
    word: &str,
) -> Result<String, SubstError> {
    let name_end = inner
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(SubstError(format!("bad substitution in {word:?}")));
    }
    let value = vars.get(name);
    let rest = &inner[name_end..];
    let (op, arg) = if let Some(a) = rest.strip_prefix(":-") {
        (":-", a)
    } else if let Some(a) = rest.strip_prefix(":+") {
        (":+", a)
    } else if let Some(a) = rest.strip_prefix('-') {
        ("-", a)
    } else if let Some(a) = rest.strip_prefix('+') {
        ("+", a)
    } else if rest.is_empty() {
        ("", "")
    } else {
        return Err(SubstError(format!(
            "unsupported modifier {rest:?} in {word:?}: use ${{VAR:-default}} or ${{VAR:+alt}}"
        )));
    };
    let set_nonempty = value.is_some_and(|v| !v.is_empty());
    Ok(match op {
        "" => value.cloned().unwrap_or_default(),
        ":-" if set_nonempty => value.cloned().unwrap_or_default(),
        ":-" => expand(arg, vars, escape)?,
        "-" if value.is_some() => value.cloned().unwrap_or_default(),
        "-" => expand(arg, vars, escape)?,
        ":+" if set_nonempty => expand(arg, vars, escape)?,
        "+" if value.is_some() => expand(arg, vars, escape)?,
        _ => String::new(),
    })
}

/// Splits an instruction's arguments on unquoted whitespace, removing the quotes (`ARG A="x y"
/// B=1`, `ENV`-style pairs): Dockerfile words, not shell words (no expansion here).
pub fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') if matches!(chars.peek(), Some('"' | '\\')) => {
                cur.extend(chars.next());
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> HashMap<String, String> {
        [("A", "1"), ("EMPTY", ""), ("PATHX", "/usr/bin")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_and_braced_names() {
        let v = vars();
        assert_eq!(expand("$A-${A}x$A_", &v, '\\').unwrap(), "1-1x");
        assert_eq!(expand("$PATHX:/bin", &v, '\\').unwrap(), "/usr/bin:/bin");
        assert_eq!(expand("cost $5 and $", &v, '\\').unwrap(), "cost $5 and $");
    }

    #[test]
    fn default_and_alternative_forms() {
        let v = vars();
        assert_eq!(expand("${NOPE:-def}", &v, '\\').unwrap(), "def");
        assert_eq!(expand("${EMPTY:-def}", &v, '\\').unwrap(), "def");
        assert_eq!(expand("${EMPTY-def}", &v, '\\').unwrap(), "");
        assert_eq!(expand("${A:-def}", &v, '\\').unwrap(), "1");
        assert_eq!(expand("${A:+alt}", &v, '\\').unwrap(), "alt");
        assert_eq!(expand("${EMPTY:+alt}", &v, '\\').unwrap(), "");
        assert_eq!(expand("${EMPTY+alt}", &v, '\\').unwrap(), "alt");
        assert_eq!(expand("${NOPE:-${A}0}", &v, '\\').unwrap(), "10");
    }

    #[test]
    fn words_split_outside_quotes() {
        assert_eq!(
            split_words(r#"A="x y" B=1  C='q "r"' D"#),
            vec!["A=x y", "B=1", "C=q \"r\"", "D"]
        );
        assert_eq!(split_words(r#"E="a \"b\"""#), vec![r#"E=a "b""#]);
    }

    #[test]
    fn escapes_and_errors() {
        let v = vars();
        assert_eq!(expand("\\$A", &v, '\\').unwrap(), "$A");
        assert_eq!(expand("`$A", &v, '`').unwrap(), "$A");
        assert_eq!(expand("a\\nb", &v, '\\').unwrap(), "a\\nb");
        assert!(expand("${A", &v, '\\').is_err());
        assert!(expand("${1x}", &v, '\\').is_err());
        assert!(expand("${A/x/y}", &v, '\\').is_err());
    }
}
