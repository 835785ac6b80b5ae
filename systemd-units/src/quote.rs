//! systemd's quoting and escaping (systemd.service(5) "Command lines", systemd.syntax(7),
//! systemd-escape(1)): how a command line, an `Environment=` assignment and a unit name are
//! written so that systemd reads back exactly the intended words.

use crate::UnitError;

/// One word of a command line as systemd reads it back unchanged: `%` specifiers and `$`
/// variables neutralised (`%%`, `$$`), and quoted with C escapes when it holds whitespace,
/// quotes, backslashes or control characters, is empty, or is a lone `;` (a command separator).
pub fn word(w: &str) -> String {
    quoted(&w.replace('%', "%%").replace('$', "$$"))
}

/// A command-line word in which `%` specifiers stay live (`%t/%n.ctr-id`), for words the
/// caller writes itself; `$` is still neutralised and the word quoted like [`word`].
pub fn word_with_specifiers(w: &str) -> String {
    quoted(&w.replace('$', "$$"))
}

/// A word copied from a unit file (a quadlet `Exec=`): quoted where it must be, its `%`
/// specifiers and `$` variables left for systemd to expand.
pub fn word_as_written(w: &str) -> String {
    quoted(w)
}

fn quoted(w: &str) -> String {
    let needs_quotes = w.is_empty()
        || w == ";"
        || w.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\'));
    if !needs_quotes {
        return w.to_string();
    }
    let mut out = String::with_capacity(w.len() + 2);
    out.push('"');
    for c in w.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A command line for `ExecStart=` and friends: each word through [`word`].
pub fn command<S: AsRef<str>>(args: &[S]) -> String {
    args.iter()
        .map(|a| word(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An `Environment=` value setting `key` to `value`. systemd expands `%` specifiers there but
/// no `$` variables (systemd.exec(5)), so only `%` is doubled.
pub fn environment(key: &str, value: &str) -> String {
    quoted(&format!("{key}={value}").replace('%', "%%"))
}

/// An `Environment=` assignment whose `%` specifiers stay live (`PODMAN_SYSTEMD_UNIT=%n`).
pub fn environment_with_specifiers(key: &str, value: &str) -> String {
    quoted(&format!("{key}={value}"))
}

/// Splits a command line (or any whitespace-separated value) into words as systemd does:
/// double or single quotes group, C escapes are decoded, `%%` and `$$` become `%` and `$`.
pub fn split(line: &str) -> Result<Vec<String>, UnitError> {
    split_words(line, true)
}

/// [`split`] for values copied on into another unit (quadlet): quotes and escapes decoded,
/// `%` specifiers and `$` variables kept as written.
pub fn split_as_written(line: &str) -> Result<Vec<String>, UnitError> {
    split_words(line, false)
}

fn split_words(line: &str, decode_specifiers: bool) -> Result<Vec<String>, UnitError> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(words);
        }
        let mut w = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, c) if c.is_whitespace() => break,
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, '\\') => {
                    let e = chars
                        .next()
                        .ok_or_else(|| UnitError::BadEscape(line.to_string()))?;
                    match e {
                        'n' => w.push('\n'),
                        't' => w.push('\t'),
                        'r' => w.push('\r'),
                        's' => w.push(' '),
                        'x' => {
                            let hex: String = chars.by_ref().take(2).collect();
                            let b = u8::from_str_radix(&hex, 16)
                                .map_err(|_| UnitError::BadEscape(line.to_string()))?;
                            w.push(char::from(b));
                        }
                        other => w.push(other),
                    }
                }
                (_, '%') if decode_specifiers && chars.peek() == Some(&'%') => {
                    chars.next();
                    w.push('%');
                }
                (_, '$') if decode_specifiers && chars.peek() == Some(&'$') => {
                    chars.next();
                    w.push('$');
                }
                (_, c) => w.push(c),
            }
        }
        if quote.is_some() {
            return Err(UnitError::UnterminatedQuote(line.to_string()));
        }
        words.push(w);
    }
}

/// systemd-escape(1): a string as one unit name component (`/` becomes `-`, other bytes
/// outside `[A-Za-z0-9:_.]` and a leading `.` become `\xNN`).
pub fn unit_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.') => {
                out.push(char::from(b))
            }
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// systemd-escape --path: a path as a unit name (`/` alone is `-`; duplicate and surrounding
/// slashes dropped).
pub fn path_name(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return "-".to_string();
    }
    unit_name(&parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_split() {
        let args = [
            "/usr/bin/burrow",
            "run",
            "--name",
            "web",
            "-e",
            "GREETING=hello world",
            "--label",
            "a=\"quoted\" 'single'",
            "back\\slash",
            "100%",
            "$HOME",
            "",
            ";",
            "tab\there\nnewline",
        ];
        let line = command(&args);
        assert_eq!(split(&line).unwrap(), args);
        assert!(line.contains("100%%") && line.contains("$$HOME"));
    }

    #[test]
    fn split_reads_systemd_forms() {
        assert_eq!(
            split("a 'b c' \"d\\\"e\" f\\x41 \\s").unwrap(),
            vec!["a", "b c", "d\"e", "fA", " "]
        );
        assert!(split("\"open").is_err());
    }

    #[test]
    fn escaping_names_like_systemd_escape() {
        assert_eq!(unit_name("web-1"), "web\\x2d1");
        assert_eq!(unit_name("a/b c"), "a-b\\x20c");
        assert_eq!(unit_name(".hidden"), "\\x2ehidden");
        assert_eq!(path_name("/home/u/"), "home-u");
        assert_eq!(path_name("/"), "-");
        assert_eq!(environment("A", "b c"), "\"A=b c\"");
        assert_eq!(environment("A", "$x 5%"), "\"A=$x 5%%\"");
        assert_eq!(environment_with_specifiers("U", "%n"), "U=%n");
        assert_eq!(
            word_with_specifiers("--cidfile=%t/%n.ctr-id"),
            "--cidfile=%t/%n.ctr-id"
        );
    }
}

#[cfg(test)]
mod systemd_tests {
    use super::*;
    use crate::UnitFile;

    // systemd itself accepts what `command` writes (systemd-analyze verify, which parses
    // ExecStart= the way the manager does and refuses bad quoting or escapes).
    #[test]
    fn systemd_analyze_accepts_quoted_command_lines() {
        let dir = std::env::temp_dir().join(format!("units-quote-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut u = UnitFile::new();
        u.add("Unit", "Description", "quoting check")
            .add(
                "Service",
                "ExecStart",
                command(&[
                    "/bin/echo",
                    "a b",
                    "\"q\"",
                    "100%",
                    "$HOME",
                    "",
                    ";",
                    "x\\y",
                ]),
            )
            .add(
                "Service",
                "Environment",
                environment("GREETING", "hello world"),
            )
            .add("Install", "WantedBy", "default.target");
        let path = dir.join("quote-check.service");
        std::fs::write(&path, u.render()).unwrap();
        let out = std::process::Command::new("systemd-analyze")
            .arg("verify")
            .arg(&path)
            .output()
            .expect("systemd-analyze (package systemd) must be installed: scripts/setup-host");
        let _ = std::fs::remove_dir_all(&dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ours: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("quote-check"))
            .collect();
        assert!(out.status.success() && ours.is_empty(), "{stderr}");
    }
}
