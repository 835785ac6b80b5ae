//! Dockerfile-style `--change` lines (`podman import --change`) applied to an image config:
//! CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL.
//! Pure parsing: this module must never touch the file system, and must refuse (naming the
//! line) anything it does not understand rather than guess.

use std::collections::HashMap;

use oci_spec::image::Config;

use crate::error::StorageError;

fn bad(line: &str, reason: impl Into<String>) -> StorageError {
    StorageError::InvalidChange {
        line: line.to_string(),
        reason: reason.into(),
    }
}

/// Splits shell-like words: whitespace separates, '…' and "…" quote, backslash escapes.
fn words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        None => return Err("unterminated quote".to_string()),
                        Some(q) if q == c => break,
                        Some('\\') if c == '"' => {
                            cur.push(chars.next().ok_or("trailing backslash")?);
                        }
                        Some(x) => cur.push(x),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(chars.next().ok_or("trailing backslash")?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// `KEY=VALUE ...` pairs, or the legacy `KEY VALUE WITH SPACES` form.
fn pairs(line: &str, rest: &str) -> Result<Vec<(String, String)>, StorageError> {
    let first = rest.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        let (k, v) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad(line, "expected KEY=VALUE or KEY VALUE"))?;
        return Ok(vec![(k.to_string(), v.trim().to_string())]);
    }
    words(rest)
        .map_err(|e| bad(line, e))?
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(bad(line, format!("{w:?} is not KEY=VALUE"))),
        })
        .collect()
}

/// A JSON array (exec form) or, for commands, the shell form `/bin/sh -c "..."`.
fn command(line: &str, rest: &str) -> Result<Vec<String>, StorageError> {
    if rest.starts_with('[') {
        serde_json::from_str(rest).map_err(|e| bad(line, format!("invalid JSON array: {e}")))
    } else {
        Ok(vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            rest.to_string(),
        ])
    }
}

fn port(line: &str, p: &str) -> Result<String, StorageError> {
    let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    let valid_num = |n: &str| n.parse::<u16>().is_ok_and(|v| v > 0);
    let range_ok = match num.split_once('-') {
        Some((a, b)) => valid_num(a) && valid_num(b),
        None => valid_num(num),
    };
    if !range_ok || !matches!(proto, "tcp" | "udp" | "sctp") {
        return Err(bad(line, format!("invalid port {p:?}")));
    }
    Ok(format!("{num}/{proto}"))
}

/// Applies one change line to `config`.
pub fn apply(config: &mut Config, line: &str) -> Result<(), StorageError> {
    let trimmed = line.trim();
    let split_at = trimmed
        .find(|c: char| c.is_whitespace() || c == '=')
        .ok_or_else(|| bad(line, "missing argument"))?;
    let keyword = trimmed[..split_at].to_ascii_uppercase();
    // The separator may be any whitespace, some of which is several bytes long.
    let sep = trimmed[split_at..].chars().next().map_or(1, char::len_utf8);
    let rest = trimmed[split_at + sep..].trim();
    if rest.is_empty() {
        return Err(bad(line, format!("{keyword} requires an argument")));
    }
    match keyword.as_str() {
        "CMD" => {
            config.set_cmd(Some(command(line, rest)?));
        }
        "ENTRYPOINT" => {
            config.set_entrypoint(Some(command(line, rest)?));
        }
        "ENV" => {
            let mut env = config.env().clone().unwrap_or_default();
            for (k, v) in pairs(line, rest)? {
                env.retain(|e| e.split_once('=').map_or(e.as_str(), |(ek, _)| ek) != k);
                env.push(format!("{k}={v}"));
            }
            config.set_env(Some(env));
        }
        "LABEL" => {
            let mut labels: HashMap<String, String> = config.labels().clone().unwrap_or_default();
            labels.extend(pairs(line, rest)?);
            config.set_labels(Some(labels));
        }
        "WORKDIR" => {
            let dir = if rest.starts_with('/') {
                rest.to_string()
            } else {
                let base = config
                    .working_dir()
                    .clone()
                    .unwrap_or_else(|| "/".to_string());
                format!("{}/{rest}", base.trim_end_matches('/'))
            };
            config.set_working_dir(Some(dir));
        }
        "USER" => {
            config.set_user(Some(rest.to_string()));
        }
        "STOPSIGNAL" => {
            config.set_stop_signal(Some(rest.to_string()));
        }
        "EXPOSE" => {
            let mut ports = config.exposed_ports().clone().unwrap_or_default();
            for p in words(rest).map_err(|e| bad(line, e))? {
                let p = port(line, &p)?;
                if !ports.contains(&p) {
                    ports.push(p);
                }
            }
            config.set_exposed_ports(Some(ports));
        }
        "VOLUME" => {
            let mut volumes = config.volumes().clone().unwrap_or_default();
            let new: Vec<String> = if rest.starts_with('[') {
                serde_json::from_str(rest)
                    .map_err(|e| bad(line, format!("invalid JSON array: {e}")))?
            } else {
                words(rest).map_err(|e| bad(line, e))?
            };
            for v in new {
                if !volumes.contains(&v) {
                    volumes.push(v);
                }
            }
            config.set_volumes(Some(volumes));
        }
        // Docker's Healthcheck object: not part of the OCI config, so the commit writes it
        // into the config's JSON itself (`healthcheck`).
        "HEALTHCHECK" => {
            healthcheck_object(rest).map_err(|e| bad(line, e))?;
        }
        other => {
            return Err(bad(
                line,
                format!("unknown or unsupported instruction {other}"),
            ));
        }
    }
    Ok(())
}

fn healthcheck_object(rest: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(rest) {
        Ok(v) if v.get("Test").is_some_and(serde_json::Value::is_array) => Ok(v),
        Ok(_) => Err("HEALTHCHECK needs a JSON object with a Test array".into()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// The Healthcheck the last `HEALTHCHECK {json}` line of `lines` sets, if any.
pub fn healthcheck(lines: &[String]) -> Option<serde_json::Value> {
    lines.iter().rev().find_map(|l| {
        let t = l.trim();
        let kw = t.get(..11)?;
        if !kw.eq_ignore_ascii_case("HEALTHCHECK") {
            return None;
        }
        healthcheck_object(t[11..].trim()).ok()
    })
}

/// Applies all lines in order; the first bad line is the error.
pub fn apply_all(config: &mut Config, lines: &[String]) -> Result<(), StorageError> {
    lines.iter().try_for_each(|l| apply(config, l))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(lines: &[&str]) -> Result<Config, StorageError> {
        let mut c = Config::default();
        let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        apply_all(&mut c, &lines)?;
        Ok(c)
    }

    #[test]
    fn cmd_and_entrypoint_exec_and_shell_forms() {
        let c = cfg(&["CMD [\"/bin/sh\"]", "ENTRYPOINT /init --x"]).unwrap();
        assert_eq!(c.cmd().as_deref(), Some(&["/bin/sh".to_string()][..]));
        assert_eq!(
            c.entrypoint().clone().unwrap(),
            vec!["/bin/sh", "-c", "/init --x"]
        );
        let c = cfg(&["CMD=/bin/sh"]).unwrap();
        assert_eq!(c.cmd().clone().unwrap(), vec!["/bin/sh", "-c", "/bin/sh"]);
    }

    #[test]
    fn env_both_forms_and_override() {
        let c = cfg(&["ENV A=b C=\"d e\"", "ENV F g h", "env A=z"]).unwrap();
        assert_eq!(c.env().clone().unwrap(), vec!["C=d e", "F=g h", "A=z"]);
    }

    /// Regression (found by fuzz target containerfile): a multi-byte whitespace after the
    /// keyword (`ENV\u{3000}A=b`) panicked, cutting the line inside that character.
    #[test]
    fn multibyte_whitespace_separates_the_keyword() {
        let c = cfg(&["ENV\u{3000}A=b", "USER\u{a0}u"]).unwrap();
        assert_eq!(c.env().clone().unwrap(), vec!["A=b"]);
        assert_eq!(c.user().as_deref(), Some("u"));
    }

    #[test]
    fn other_instructions() {
        let c = cfg(&[
            "WORKDIR /x",
            "WORKDIR y",
            "USER u:g",
            "LABEL k=v \"a b\"=c",
            "EXPOSE 80 53/udp",
            "VOLUME /d",
            "VOLUME [\"/e\"]",
            "STOPSIGNAL SIGTERM",
        ])
        .unwrap();
        assert_eq!(c.working_dir().as_deref(), Some("/x/y"));
        assert_eq!(c.user().as_deref(), Some("u:g"));
        let labels = c.labels().clone().unwrap();
        assert_eq!(labels["k"], "v");
        assert_eq!(labels["a b"], "c");
        assert_eq!(c.exposed_ports().clone().unwrap(), vec!["80/tcp", "53/udp"]);
        assert_eq!(c.volumes().clone().unwrap(), vec!["/d", "/e"]);
        assert_eq!(c.stop_signal().as_deref(), Some("SIGTERM"));
    }

    #[test]
    fn bad_lines_are_named() {
        for line in [
            "FROB x",
            "CMD",
            "CMD [\"unterminated\"",
            "EXPOSE http",
            "ENV A",
            "LABEL \"x",
        ] {
            let err = cfg(&[line]).unwrap_err();
            assert!(err.to_string().contains(line), "{line}: {err}");
        }
    }
}
