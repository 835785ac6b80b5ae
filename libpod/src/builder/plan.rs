//! From Containerfile text to what a build must do: parse (parse-dockerfile), resolve the
//! global ARGs before the first FROM, pick the target stage and the stages it needs (through
//! `FROM <stage>` and `COPY --from=<stage>`), so stages the target does not need are skipped.
//! Every error names the file, the line and the instruction.

use std::collections::{BTreeSet, HashMap};

use parse_dockerfile::{Dockerfile, Instruction};

use super::words::expand;

/// A planning error, already worded for the user.
#[derive(Debug, PartialEq, Eq)]
pub struct PlanError(pub String);

/// The stages to build, in file order, and where to stop.
#[derive(Debug)]
pub struct Plan {
    /// Indexes (in file order) of the stages to build; the last is the target.
    pub stages: Vec<usize>,
    /// The base each stage starts FROM, after ARG substitution: an image name, `scratch`, or
    /// `stage:N` for an earlier stage.
    pub bases: Vec<String>,
    /// Global ARG values (defaults overridden by --build-arg) for FROM lines and redeclaring.
    pub global_args: HashMap<String, String>,
    pub escape: char,
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Parses `text` (named `file` in errors).
pub fn parse<'a>(file: &str, text: &'a str) -> Result<Dockerfile<'a>, PlanError> {
    parse_dockerfile::parse(text).map_err(|e| PlanError(format!("{file}:{}: {e}", e.line())))
}

fn stage_name(d: &Dockerfile<'_>, i: usize) -> Option<String> {
    d.stages()
        .nth(i)?
        .from
        .as_
        .as_ref()
        .map(|(_, n)| n.value.to_ascii_lowercase())
}

/// Plans the build of `target` (a stage name; the last stage when `None`).
pub fn plan(
    file: &str,
    text: &str,
    d: &Dockerfile<'_>,
    target: Option<&str>,
    build_args: &HashMap<String, String>,
) -> Result<Plan, PlanError> {
    let escape = d
        .parser_directives
        .escape
        .as_ref()
        .map_or('\\', |e| e.value.value);
    // Global ARGs: declared before the first FROM, usable in FROM lines.
    let mut global_args = HashMap::new();
    for arg in d.global_args() {
        let line = line_of(text, arg.arg.span.start);
        for word in super::words::split_words(&arg.arguments.value) {
            let (name, default) = split_arg(&word);
            let value = match build_args.get(name) {
                Some(v) => Some(v.clone()),
                None => default
                    .map(|v| expand(v, &global_args, escape))
                    .transpose()
                    .map_err(|e| PlanError(format!("{file}:{line}: ARG {name}: {}", e.0)))?,
            };
            global_args.insert(name.to_string(), value.unwrap_or_default());
        }
    }
    let count = d.stages().len();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut bases = Vec::new();
    let mut deps: Vec<BTreeSet<usize>> = Vec::new();
    for (i, stage) in d.stages().enumerate() {
        let line = line_of(text, stage.from.from.span.start);
        let raw = expand(&stage.from.image.value, &global_args, escape)
            .map_err(|e| PlanError(format!("{file}:{line}: FROM: {}", e.0)))?;
        let mut needs = BTreeSet::new();
        let base = match names.get(&raw.to_ascii_lowercase()) {
            Some(&j) => {
                needs.insert(j);
                format!("stage:{j}")
            }
            None if raw.is_empty() => {
                return Err(PlanError(format!(
                    "{file}:{line}: FROM needs an image (an ARG in it expanded to nothing)"
                )));
            }
            None => raw,
        };
        for inst in stage.instructions {
            let (flags, kw) = match inst {
                Instruction::Copy(c) => (&c.options[..], c.copy.span.start),
                Instruction::Add(a) => (&a.options[..], a.add.span.start),
                _ => continue,
            };
            for f in flags {
                if f.name.value == "from"
                    && let Some(v) = &f.value
                {
                    let from = v.value.to_ascii_lowercase();
                    match names.get(&from) {
                        Some(&j) => {
                            needs.insert(j);
                        }
                        // A later stage cannot be used; a number names a stage by index.
                        None => match from.parse::<usize>() {
                            Ok(j) if j < i => {
                                needs.insert(j);
                            }
                            Ok(_) => {
                                return Err(PlanError(format!(
                                    "{file}:{}: COPY --from={from}: no such earlier stage",
                                    line_of(text, kw)
                                )));
                            }
                            Err(_) => {} // an image name: pulled when the step runs
                        },
                    }
                }
            }
        }
        if let Some(n) = stage_name(d, i) {
            names.insert(n, i);
        }
        bases.push(base);
        deps.push(needs);
    }
    let target_index = match target {
        None => count - 1,
        Some(t) => *names.get(&t.to_ascii_lowercase()).ok_or_else(|| {
            PlanError(format!(
                "{file}: target stage {t:?} could not be found (stages: {})",
                (0..count)
                    .map(|i| stage_name(d, i).unwrap_or_else(|| i.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
    };
    let mut needed = BTreeSet::from([target_index]);
    let mut todo = vec![target_index];
    while let Some(i) = todo.pop() {
        for &j in &deps[i] {
            if needed.insert(j) {
                todo.push(j);
            }
        }
    }
    Ok(Plan {
        stages: needed.into_iter().collect(),
        bases,
        global_args,
        escape,
    })
}

/// `NAME[=default]` of an ARG.
pub fn split_arg(s: &str) -> (&str, Option<&str>) {
    match s.split_once('=') {
        Some((n, v)) => (n.trim(), Some(v)),
        None => (s.trim(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTI: &str = "ARG BASE=busybox\nARG TAG\nFROM ${BASE}:${TAG:-latest} AS build\nRUN echo build > /out\nFROM scratch AS unused\nCOPY x /x\nFROM busybox AS final\nCOPY --from=build /out /out\n";

    #[test]
    fn target_pulls_in_only_the_stages_it_needs() {
        let d = parse("Containerfile", MULTI).unwrap();
        let p = plan("Containerfile", MULTI, &d, None, &HashMap::new()).unwrap();
        assert_eq!(p.stages, vec![0, 2]);
        assert_eq!(p.bases[0], "busybox:latest");
        let args = HashMap::from([("TAG".to_string(), "1.36".to_string())]);
        let p = plan("Containerfile", MULTI, &d, Some("build"), &args).unwrap();
        assert_eq!(p.stages, vec![0]);
        assert_eq!(p.bases[0], "busybox:1.36");
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = parse("Containerfile", "FROM busybox\nFROBNICATE x\n").unwrap_err();
        assert!(err.0.starts_with("Containerfile:2:"), "{}", err.0);
        let d = parse("Containerfile", MULTI).unwrap();
        let err = plan("Containerfile", MULTI, &d, Some("nope"), &HashMap::new()).unwrap_err();
        assert!(err.0.contains("\"nope\" could not be found"), "{}", err.0);
        assert!(err.0.contains("build, unused, final"), "{}", err.0);
        let bad = "FROM busybox\nCOPY --from=5 /a /b\n";
        let d = parse("Containerfile", bad).unwrap();
        let err = plan("Containerfile", bad, &d, None, &HashMap::new()).unwrap_err();
        assert!(
            err.0.starts_with("Containerfile:2: COPY --from=5"),
            "{}",
            err.0
        );
    }

    #[test]
    fn from_an_earlier_stage_and_escape_directive() {
        let text = "# escape=`\nFROM busybox AS a\nFROM a\nRUN echo `$HOME\n";
        let d = parse("Containerfile", text).unwrap();
        let p = plan("Containerfile", text, &d, None, &HashMap::new()).unwrap();
        assert_eq!(p.escape, '`');
        assert_eq!(p.stages, vec![0, 1]);
        assert_eq!(p.bases[1], "stage:0");
    }
}
