//! One Containerfile instruction at a time: how it is shown in `STEP n/m:` lines, and what
//! it does to the stage. Metadata instructions (ENV, LABEL, USER, CMD, EXPOSE, ...) only
//! become change lines folded into the stage's next commit; WORKDIR adds a layer when the
//! directory is missing; RUN and COPY/ADD are in run_step.rs and copy_step.rs.

use std::io::Write;

use parse_dockerfile::{Command, Flag, Instruction, JsonOrStringArray, UnescapedString};

use super::copy::{Attrs, LayerWriter, clean_rel};
use super::error::{BResult, BuildError};
use super::executor::{Builder, Stage};
use super::plan::split_arg;

/// How a metadata instruction's expanded words are written in its change line.
#[derive(Clone, Copy)]
enum Words {
    /// Joined with spaces: `ENV A=1 B=2`, `EXPOSE 80 443`.
    Spaced,
    /// A JSON array: `VOLUME ["/a","/b"]`.
    Json,
}

pub(super) fn json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_string())
}

pub(super) fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The instruction as written, continuation lines joined, heredoc bodies left out.
pub(super) fn display_text(src: &str, escape: char) -> String {
    let mut out = String::new();
    for line in src.lines() {
        let t = line.trim();
        if t.is_empty() || (t.starts_with('#') && !out.is_empty()) {
            continue;
        }
        match t.strip_suffix(escape) {
            Some(rest) => {
                out.push_str(rest.trim_end());
                out.push(' ');
            }
            None => {
                out.push_str(t);
                break;
            }
        }
    }
    out.trim().to_string()
}

/// A shell-form command with continuations removed (comment lines inside dropped).
pub(super) fn shell_text(src: &str, escape: char) -> String {
    let mut out = String::new();
    let mut lines = src.lines().peekable();
    let mut first = true;
    while let Some(line) = lines.next() {
        if !first && line.trim_start().starts_with('#') {
            continue;
        }
        first = false;
        let trimmed = line.trim_end();
        match trimmed.strip_suffix(escape) {
            Some(rest) if lines.peek().is_some() => out.push_str(rest),
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.trim_end_matches('\n').to_string()
}

/// The value of `--name=VALUE` among an instruction's flags.
pub(super) fn flag<'f>(flags: &'f [Flag<'_>], name: &str) -> Option<&'f str> {
    flags
        .iter()
        .find(|f| f.name.value == name)
        .and_then(|f| f.value.as_ref())
        .map(|v| v.value.as_ref())
}

/// The offset of the instruction's keyword in the Containerfile text.
pub(super) fn keyword_start(inst: &Instruction<'_>) -> usize {
    match inst {
        Instruction::Add(i) => i.add.span.start,
        Instruction::Arg(i) => i.arg.span.start,
        Instruction::Cmd(i) => i.cmd.span.start,
        Instruction::Copy(i) => i.copy.span.start,
        Instruction::Entrypoint(i) => i.entrypoint.span.start,
        Instruction::Env(i) => i.env.span.start,
        Instruction::Expose(i) => i.expose.span.start,
        Instruction::From(i) => i.from.span.start,
        Instruction::Healthcheck(i) => i.healthcheck.span.start,
        Instruction::Label(i) => i.label.span.start,
        Instruction::Maintainer(i) => i.maintainer.span.start,
        Instruction::Onbuild(i) => i.onbuild.span.start,
        Instruction::Run(i) => i.run.span.start,
        Instruction::Shell(i) => i.shell.span.start,
        Instruction::Stopsignal(i) => i.stopsignal.span.start,
        Instruction::User(i) => i.user.span.start,
        Instruction::Volume(i) => i.volume.span.start,
        Instruction::Workdir(i) => i.workdir.span.start,
        _ => 0,
    }
}

/// Whether an instruction is a metadata step with a history row of its own (`empty_layer`):
/// the ones that change the image config. ARG and the layer steps (RUN, COPY, ADD) are not.
fn records_history(inst: &Instruction<'_>) -> bool {
    matches!(
        inst,
        Instruction::Env(_)
            | Instruction::Label(_)
            | Instruction::User(_)
            | Instruction::Stopsignal(_)
            | Instruction::Expose(_)
            | Instruction::Volume(_)
            | Instruction::Cmd(_)
            | Instruction::Entrypoint(_)
            | Instruction::Shell(_)
            | Instruction::Maintainer(_)
            | Instruction::Healthcheck(_)
            | Instruction::Workdir(_)
    )
}

impl Builder<'_> {
    /// Runs one instruction of the stage; `src` is its text, `shown` its STEP line and `last`
    /// whether it is the build's last step.
    pub(super) fn step(
        &mut self,
        st: &mut Stage,
        inst: &Instruction<'_>,
        src: &str,
        shown: &str,
        last: bool,
    ) -> BResult<()> {
        if records_history(inst) {
            st.pending_history
                .push(format!("/bin/sh -c #(nop) {shown}"));
        }
        match inst {
            Instruction::Env(i) => self.set_config_text(st, "ENV", &i.arguments)?,
            Instruction::Label(i) => self.set_config_text(st, "LABEL", &i.arguments)?,
            Instruction::User(i) => self.set_config_text(st, "USER", &i.arguments)?,
            Instruction::Stopsignal(i) => self.set_config_text(st, "STOPSIGNAL", &i.arguments)?,
            Instruction::Expose(i) => self.set_config(st, "EXPOSE", &i.arguments, Words::Spaced)?,
            Instruction::Volume(i) => {
                let items = match &i.arguments {
                    JsonOrStringArray::Json(a) => &a.value,
                    JsonOrStringArray::String(a) => a,
                };
                self.set_config(st, "VOLUME", items, Words::Json)?;
            }
            Instruction::Cmd(i) => {
                let cmd = self.command(st, &i.arguments);
                st.cmd_set = true;
                self.change(st, format!("CMD {}", json(&cmd)))?;
            }
            Instruction::Entrypoint(i) => {
                let ep = self.command(st, &i.arguments);
                self.change(st, format!("ENTRYPOINT {}", json(&ep)))?;
                // docker: a new ENTRYPOINT drops the CMD inherited from the base image.
                if !st.cmd_set {
                    self.change(st, "CMD []".to_string())?;
                }
            }
            Instruction::Shell(i) => {
                st.shell = i.arguments.iter().map(|a| a.value.to_string()).collect();
            }
            Instruction::Maintainer(i) => {
                st.author = Some(i.name.value.to_string());
            }
            Instruction::Healthcheck(i) => self.healthcheck(st, i)?,
            Instruction::Onbuild(_) => {
                crate::warn!(
                    "{} is not supported for OCI image format and will be ignored. Must use `docker` format",
                    shown.split_whitespace().next().unwrap_or("")
                );
            }
            Instruction::Arg(i) => self.arg(st, &i.arguments.value)?,
            Instruction::Workdir(i) => {
                self.set_config_text(st, "WORKDIR", &i.arguments)?;
                self.make_workdir(st, src, shown, last)?;
            }
            Instruction::Run(i) => self.run_step(st, i, src, shown, last)?,
            Instruction::Copy(i) => self.copy_step(
                st,
                &i.options,
                &i.src,
                &i.dest.value,
                false,
                src,
                shown,
                last,
            )?,
            Instruction::Add(i) => self.copy_step(
                st,
                &i.options,
                &i.src,
                &i.dest.value,
                true,
                src,
                shown,
                last,
            )?,
            Instruction::From(_) => {}
            _ => {
                return Err(BuildError::new("unsupported instruction"));
            }
        }
        Ok(())
    }

    /// ENV, LABEL, USER, STOPSIGNAL, WORKDIR, EXPOSE and VOLUME: the words expanded with the
    /// stage's variables and kept as the change line `KEYWORD WORDS`, checked against the
    /// config now and folded into the stage's next commit (no layer of their own).
    fn set_config(
        &mut self,
        st: &mut Stage,
        keyword: &str,
        words: &[UnescapedString<'_>],
        form: Words,
    ) -> BResult<()> {
        let mut v = Vec::with_capacity(words.len());
        for w in words {
            v.push(self.expand(st, &w.value)?);
        }
        let text = match form {
            Words::Spaced => v.join(" "),
            Words::Json => json(&v),
        };
        self.change(st, format!("{keyword} {text}"))
    }

    /// [`Self::set_config`] for the instructions whose argument is one free text.
    fn set_config_text(
        &mut self,
        st: &mut Stage,
        keyword: &str,
        text: &UnescapedString<'_>,
    ) -> BResult<()> {
        self.set_config(st, keyword, std::slice::from_ref(text), Words::Spaced)
    }

    /// `ARG NAME[=DEFAULT] ...`: the value from `--build-arg`, else the global ARG (when no
    /// default is given here), else the default; an ARG with none of them stays unset.
    fn arg(&mut self, st: &mut Stage, text: &str) -> BResult<()> {
        for a in super::words::split_words(text) {
            let (name, default) = split_arg(&a);
            let valid = name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
                && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
            if !valid {
                return Err(BuildError::new(format!(
                    "invalid ARG name {name:?}: use letters, digits and _"
                )));
            }
            let value = match self.opts.build_args.get(name) {
                Some(v) => Some(v.clone()),
                None => match self.global_args.get(name) {
                    Some(v) if default.is_none() => Some(v.clone()),
                    _ => default.map(|d| self.expand(st, d)).transpose()?,
                },
            };
            if let Some(v) = value {
                st.args.insert(name.to_string(), v);
            }
        }
        Ok(())
    }

    /// WORKDIR's directory as a layer of its own when the image lacks it (docker creates it
    /// at once, so a later RUN or COPY finds it).
    fn make_workdir(&mut self, st: &mut Stage, src: &str, shown: &str, last: bool) -> BResult<()> {
        let dir = st.config.working_dir().clone().unwrap_or_default();
        let rel = clean_rel(&dir);
        if rel.is_empty() || self.image_has(st, &rel) {
            return Ok(());
        }
        let key = self.key(st, src, "");
        if self.cached(st, &key) {
            return Ok(());
        }
        // The layer's own history row names this WORKDIR.
        st.pending_history.pop();
        let tmp = self.write_temp_tar(|f| {
            let mut w = LayerWriter::new(f, Attrs::default());
            let exists = |p: &str| self.image_has(st, p);
            w.parents(&format!("{rel}/x"), &exists)
                .and_then(|_| w.finish()?.flush())
                .map_err(|e| BuildError::new(format!("write the layer: {e}")))
        })?;
        self.commit_layer(st, &key, format!("/bin/sh -c #(nop) {shown}"), &tmp, last)
    }

    /// CMD's or ENTRYPOINT's argv: the exec form as written, the shell form after the
    /// stage's SHELL.
    fn command(&self, st: &Stage, c: &Command<'_>) -> Vec<String> {
        match c {
            Command::Exec(a) => a.value.iter().map(|s| s.value.to_string()).collect(),
            Command::Shell(s) => {
                let mut v = st.shell.clone();
                v.push(shell_text(s.value, self.escape));
                v
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_text_joins_continuations_and_keeps_newlines_otherwise() {
        assert_eq!(shell_text("echo a \\\n  b", '\\'), "echo a   b");
        assert_eq!(shell_text("echo a \\\n# note\n  b", '\\'), "echo a   b");
        assert_eq!(display_text("RUN a \\\n b\n\n", '\\'), "RUN a b");
    }
}
