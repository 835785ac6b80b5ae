//! The subset of Go templates that `--format` accepts until the full engine lands (issue:
//! "A podman user's CLI"): `{{.Field.Sub}}` lookups, `{{json .Field}}`, `{{json .}}`, the
//! `json` shortcut, plus `\t` and `\n` escapes. Anything else is a clear error, never a
//! silently wrong output.

use serde_json::Value;

pub fn render(format: &str, data: &Value) -> Result<String, String> {
    if format == "json" {
        return Ok(serde_json::to_string_pretty(data).unwrap_or_default());
    }
    let format = format.replace("\\t", "\t").replace("\\n", "\n");
    let mut out = String::new();
    let mut rest = format.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("template: unclosed action in \"{format}\""))?;
        let action = after[..end]
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        out.push_str(&eval(action, data)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn eval(action: &str, data: &Value) -> Result<String, String> {
    if let Some(arg) = action.strip_prefix("json ") {
        return Ok(serde_json::to_string(&lookup(arg.trim(), data)?).unwrap_or_default());
    }
    if action.starts_with('.') {
        return Ok(plain(&lookup(action, data)?));
    }
    Err(format!(
        "template: function or construct \"{action}\" is not supported yet"
    ))
}

fn lookup(path: &str, data: &Value) -> Result<Value, String> {
    if path == "." {
        return Ok(data.clone());
    }
    let mut cur = data;
    for key in path.trim_start_matches('.').split('.') {
        let obj = cur
            .as_object()
            .ok_or_else(|| format!("template: can't evaluate field {key}"))?;
        // podman accepts field names in any case (`.state.status`).
        cur = obj
            .get(key)
            .or_else(|| {
                obj.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            })
            .ok_or_else(|| format!("template: can't evaluate field {key}"))?;
    }
    Ok(cur.clone())
}

/// Go's default printing: strings bare, maps as map[k:v], lists as [a b].
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<no value>".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(plain).collect::<Vec<_>>().join(" ")),
        Value::Object(o) => format!(
            "map[{}]",
            o.iter()
                .map(|(k, v)| format!("{k}:{}", plain(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_json_and_errors() {
        let v = serde_json::json!({"State": {"Status": "running", "ExitCode": 0}, "Names": ["a", "b"], "Labels": {"k": "v"}});
        assert_eq!(render("{{.State.Status}}", &v).unwrap(), "running");
        assert_eq!(render("{{.state.exitcode}}\\t!", &v).unwrap(), "0\t!");
        assert_eq!(
            render("{{.Names}} {{.Labels}}", &v).unwrap(),
            "[a b] map[k:v]"
        );
        assert_eq!(render("{{json .Names}}", &v).unwrap(), "[\"a\",\"b\"]");
        assert!(render("{{.Nope}}", &v).is_err());
        assert!(render("{{range .Names}}", &v).is_err());
    }
}
