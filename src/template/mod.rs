//! Go `text/template`, the subset podman users rely on in `--format`, over JSON values.
//!
//! Written by hand: the Rust port (the `gtmpl` crate) has had no release since 2021. The
//! engine parses once ([`Template::parse`]) and executes per row ([`Template::execute`]).
//! It must never print by itself nor guess: an unknown function, a bad action or a
//! mistyped struct field is an error naming the template position, as in Go.
//!
//! Supported: text, `{{pipeline}}`, trim markers (`{{- `, ` -}}`), comments, `.Field.Sub`,
//! `.`, `$`, `$x := ...`, `$x = ...`, `$x.Field`, `(pipeline).Field`, string/raw/char/number/
//! bool/nil literals, `if`/`else if`/`else`, `with`/`else with`/`else`, `range` over lists,
//! maps (sorted keys) and integers with `$i, $e :=`, `break`, `continue`; functions `and`,
//! `or`, `not`, `len`, `index`, `slice`, `print`, `printf`, `println`, `eq`, `ne`, `lt`,
//! `le`, `gt`, `ge`, `html`, `js`, `urlquery`, and podman's `json`, `lower`, `upper`,
//! `title`, `truncate`, `pad`, `split`, `join`. Not supported: `define`, `template`,
//! `block`, `call` (JSON data has no functions or methods).
//!
//! podman-specific input handling: literal `\t` and `\n` in the format become tab and
//! newline, the format `json` prints the whole value as indented JSON, and map keys are
//! matched exactly first, then case-insensitively (podman accepts `.state.status`).
//!
//! Missing keys: podman's data are Go structs (a missing field is an error) holding Go maps
//! (a missing key is the zero value). JSON cannot tell them apart, so an object whose values
//! are all strings (or that is empty), like Labels, is taken for a `map[string]string` and a
//! missing key yields `""`; in any other object a missing field is the error
//! `can't evaluate field X`, so typos are caught. Inside an `if`/`with` condition a missing
//! field is simply false, so `{{if .Maybe}}` works.

mod exec;
mod funcs;
#[cfg(test)]
mod fuzz_tests;
mod lex;
mod parse;
mod printf;
#[cfg(test)]
mod tests;

use serde_json::Value;

/// The name shown in error messages, where Go shows the template's name.
const NAME: &str = "format";

/// A parsed `--format` template, ready to run over many rows.
#[derive(Debug)]
pub struct Template {
    body: Body,
}

#[derive(Debug)]
enum Body {
    /// The special format `json`.
    Json,
    Nodes {
        src: String,
        nodes: Vec<parse::Node>,
    },
}

impl Template {
    /// Parses a `--format` string (after the caller stripped any `table` prefix).
    pub fn parse(format: &str) -> Result<Template, String> {
        if format == "json" {
            return Ok(Template { body: Body::Json });
        }
        // podman users pass `\t` and `\n` literally on the command line.
        let src = format.replace("\\t", "\t").replace("\\n", "\n");
        let located = |(msg, pos): (String, usize)| {
            let (line, _) = line_col(&src, pos);
            format!("template: {NAME}:{line}: {msg}")
        };
        let toks = lex::lex(&src).map_err(located)?;
        let nodes = parse::parse(toks, src.len()).map_err(located)?;
        Ok(Template {
            body: Body::Nodes { src, nodes },
        })
    }

    /// Renders the template over one value.
    pub fn execute(&self, data: &Value) -> Result<String, String> {
        let (src, nodes) = match &self.body {
            Body::Json => return Ok(pretty_json(data)),
            Body::Nodes { src, nodes } => (src, nodes),
        };
        exec::execute(nodes, data).map_err(|e| match e.at {
            Some((start, end)) => {
                let (line, col) = line_col(src, start);
                let at = src.get(start..end).unwrap_or("").trim();
                format!(
                    "template: {NAME}:{line}:{col}: executing \"{NAME}\" at <{at}>: {}",
                    e.msg
                )
            }
            None => format!("template: {NAME}: {}", e.msg),
        })
    }
}

/// Parses and executes in one go, for a single value.
pub fn render(format: &str, data: &Value) -> Result<String, String> {
    Template::parse(format)?.execute(data)
}

/// podman's `--format json`: four-space indented JSON.
fn pretty_json(v: &Value) -> String {
    crate::output::json_text(v, b"    ").unwrap_or_default()
}

/// 1-based line and 0-based byte column of `pos`, as Go reports them.
fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let before = src.get(..pos).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1);
    (line, col)
}
