//! The step executor of `burrow build` (podman's `--layers` semantics): each needed stage
//! starts FROM an image, an earlier stage or scratch; metadata instructions accumulate as
//! change lines folded into the next committed image; RUN is a container of our own runtime
//! whose changes become a layer; COPY/ADD write their layer straight from the sources. Every
//! step is looked up in the build cache first, and a hit does no file system work. Nothing is
//! tagged unless the whole build succeeds.
//!
//! This module holds the build's state and the stage loop; the instructions are in
//! instruction.rs, run_step.rs and copy_step.rs, the commits in commit.rs.

use std::cell::Cell;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;

use sha2::{Digest, Sha256};

use super::cache::Cache;
use super::context::BuildContext;
use super::error::{BResult, BuildError};
use super::instruction::{display_text, flag, keyword_start, quote};
use super::options::{BuildOptions, check_platform, validate_tag};
use super::plan::{self, line_of};
use super::words::expand;
use crate::runtime::Runtime;

/// What a stage has built so far.
pub(super) struct Stage {
    pub(super) image: Option<storage::Image>,
    /// The config as the next step sees it (committed plus pending changes).
    pub(super) config: oci_spec::image::Config,
    pub(super) pending: Vec<String>,
    /// The `created_by` of each metadata instruction folded into the next commit: one
    /// history row each, as podman's `history` shows them.
    pub(super) pending_history: Vec<String>,
    pub(super) args: HashMap<String, String>,
    pub(super) shell: Vec<String>,
    pub(super) author: Option<String>,
    pub(super) cmd_set: bool,
}

impl Stage {
    fn vars(&self) -> HashMap<String, String> {
        let mut v = self.args.clone();
        for e in self.config.env().iter().flatten() {
            if let Some((k, val)) = e.split_once('=') {
                v.insert(k.to_string(), val.to_string());
            }
        }
        v
    }
    fn parent_id(&self) -> &str {
        self.image.as_ref().map_or("scratch", |i| i.id.as_str())
    }
}

/// One build in progress.
pub(super) struct Builder<'a> {
    pub(super) rt: &'a Runtime,
    pub(super) opts: &'a BuildOptions,
    pub(super) out: &'a mut dyn Write,
    pub(super) file: String,
    pub(super) text: String,
    pub(super) context: BuildContext,
    pub(super) cache: Cache,
    pub(super) escape: char,
    pub(super) global_args: HashMap<String, String>,
    pub(super) stage_images: HashMap<usize, Option<storage::Image>>,
    pub(super) stage_names: HashMap<String, usize>,
    /// Numbers the build's scratch layer files.
    pub(super) tmp_seq: Cell<u32>,
    /// Index of the instruction that finishes the build: the COMMIT line goes before it.
    pub(super) final_commit_name: Option<String>,
    /// The base image of the stage being built (the target's, at the end): what `--squash`
    /// keeps below the merged layer. `None` for scratch.
    pub(super) final_base: Option<storage::Image>,
    /// Heredoc bodies of `RUN cmd <<EOF` lines, by the offset of their RUN keyword (see
    /// heredoc.rs).
    pub(super) run_heredocs: HashMap<usize, String>,
}

impl Runtime {
    /// Builds the image; step lines go to `out`. Returns the final image, tagged.
    pub fn build(&self, opts: &BuildOptions, out: &mut dyn Write) -> BResult<storage::Image> {
        // Every tag is checked before the first step: a bad one must not cost a whole build
        // that then cannot be named (podman checks them first too).
        for t in &opts.tags {
            validate_tag(t)?;
        }
        let context = BuildContext::open(opts, &self.paths.build_tmp())?;
        let (file, text) = context.read_containerfile(opts)?;
        let (text, run_heredocs) = super::heredoc::cut_command_heredocs(&text);
        let cache = Cache::open(self.paths.data.join("build-cache.json"));
        let mut b = Builder {
            rt: self,
            opts,
            out,
            file,
            text,
            run_heredocs,
            context,
            cache,
            escape: '\\',
            global_args: HashMap::new(),
            stage_images: HashMap::new(),
            stage_names: HashMap::new(),
            tmp_seq: Cell::new(0),
            final_commit_name: None,
            final_base: None,
        };
        let text = b.text.clone();
        let image = b.run(&text)?;
        b.finish_image(image)
    }
}

impl Builder<'_> {
    pub(super) fn say(&mut self, line: &str) {
        if !self.opts.quiet {
            let _ = writeln!(self.out, "{line}");
            let _ = self.out.flush();
        }
    }

    fn at(&self, offset: usize) -> String {
        format!("{}:{}", self.file, line_of(&self.text, offset))
    }

    fn run(&mut self, text: &str) -> BResult<storage::Image> {
        let d = plan::parse(&self.file, text).map_err(|e| BuildError::new(e.0))?;
        let p = plan::plan(
            &self.file,
            text,
            &d,
            self.opts.target.as_deref(),
            &self.opts.build_args,
        )
        .map_err(|e| BuildError::new(e.0))?;
        self.escape = p.escape;
        self.global_args = p.global_args.clone();
        let stages: Vec<_> = d.stages().collect();
        for (i, s) in stages.iter().enumerate() {
            if let Some((_, n)) = &s.from.as_ {
                self.stage_names.insert(n.value.to_ascii_lowercase(), i);
            }
        }
        let total = p.stages.len();
        let mut last = None;
        for (n, &i) in p.stages.iter().enumerate() {
            let stage = &stages[i];
            let is_final = n + 1 == total;
            if is_final {
                self.final_commit_name = Some(self.opts.tags.first().cloned().unwrap_or_default());
            }
            let prefix = if total > 1 {
                format!("[{}/{}] ", n + 1, total)
            } else {
                String::new()
            };
            let image = self.run_stage(stage, &p.bases[i], &prefix, is_final)?;
            self.stage_images.insert(i, image.clone());
            last = image;
        }
        last.ok_or_else(|| BuildError::new("the build produced no image"))
    }

    fn run_stage(
        &mut self,
        stage: &parse_dockerfile::Stage<'_, '_>,
        base: &str,
        prefix: &str,
        is_final: bool,
    ) -> BResult<Option<storage::Image>> {
        let steps = stage.instructions.len() + 1;
        let from_start = stage.from.from.span.start;
        let from_end = stage
            .instructions
            .first()
            .map_or(self.text.len(), keyword_start);
        let from_text = display_text(&self.text[from_start..from_end], self.escape);
        self.say(&format!("{prefix}STEP 1/{steps}: {from_text}"));
        if let Some(pf) = flag(&stage.from.options, "platform") {
            check_platform(pf).map_err(|e| {
                BuildError::new(format!(
                    "{}: FROM --platform={pf}: {e}",
                    self.at(from_start)
                ))
            })?;
        }
        let image = self.base_image(base).map_err(|e| BuildError {
            message: format!("{}: {from_text}: {}", self.at(from_start), e.message),
            code: e.code,
        })?;
        // Stages run in order and the target is the last: its base is what --squash keeps.
        self.final_base = image.clone();
        let config = match &image {
            Some(img) => self
                .rt
                .store()
                .config(img)?
                .config()
                .clone()
                .unwrap_or_default(),
            None => oci_spec::image::Config::default(),
        };
        let mut st = Stage {
            image,
            config,
            pending: Vec::new(),
            pending_history: Vec::new(),
            args: HashMap::new(),
            shell: vec!["/bin/sh".to_string(), "-c".to_string()],
            author: None,
            cmd_set: false,
        };
        let base_id = st.image.as_ref().map(|i| i.id.clone());
        for (k, inst) in stage.instructions.iter().enumerate() {
            let start = keyword_start(inst);
            let end = stage
                .instructions
                .get(k + 1)
                .map_or_else(|| self.next_stage_start(start), keyword_start);
            let src = self.text[start..end].to_string();
            let shown = display_text(&src, self.escape);
            self.say(&format!("{prefix}STEP {}/{steps}: {shown}", k + 2));
            let last_step = is_final && k + 1 == stage.instructions.len();
            let at = self.at(start);
            let wrap = |e: BuildError| BuildError {
                message: format!("{at}: {shown}: {}", e.message),
                code: e.code,
            };
            match self.step(&mut st, inst, &src, &shown, last_step) {
                Ok(()) => {}
                Err(e) if e.code != 125 => return Err(e),
                Err(e) => return Err(wrap(e)),
            }
        }
        if is_final {
            for l in &self.opts.labels {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                st.pending.push(format!("LABEL {}={}", quote(k), quote(v)));
            }
            for e in &self.opts.env {
                let (k, v) = e.split_once('=').unwrap_or((e, ""));
                st.pending.push(format!("ENV {}={}", quote(k), quote(v)));
            }
        }
        let unchanged = st.image.as_ref().map(|i| i.id.clone()) == base_id;
        if !st.pending.is_empty() || (is_final && unchanged) {
            self.final_line(is_final);
            let key = self.key(&st, "(metadata)", "");
            // An unchanged context and Containerfile give the same image ID again (podman
            // reuses its cached last step too).
            if !self.cached(&mut st, &key) {
                let created_by = st
                    .pending_history
                    .pop()
                    .unwrap_or_else(|| format!("/bin/sh -c #(nop) {}", st.pending.join(" ")));
                self.commit_step(&mut st, &key, created_by, None)?;
            }
        }
        Ok(st.image)
    }

    fn next_stage_start(&self, after: usize) -> usize {
        // The next FROM line after `after` (instructions of the next stage start there).
        let d = parse_dockerfile::parse(&self.text).ok();
        d.and_then(|d| {
            d.stages()
                .map(|s| s.from.from.span.start)
                .find(|&s| s > after)
        })
        .unwrap_or(self.text.len())
    }

    fn base_image(&mut self, base: &str) -> BResult<Option<storage::Image>> {
        if base.eq_ignore_ascii_case("scratch") {
            return Ok(None);
        }
        if let Some(n) = base.strip_prefix("stage:")
            && let Ok(i) = n.parse::<usize>()
        {
            return Ok(self.stage_images.get(&i).cloned().flatten());
        }
        let img = self.rt.image_for_run(
            base,
            self.opts.pull,
            &self.opts.registry,
            None,
            &storage::registry::Quiet,
        )?;
        Ok(Some(img))
    }

    /// The cache key of a step: its parent, the changes folded into it, its text and the
    /// build args it can see, plus `extra` (a content hash of COPY sources).
    pub(super) fn key(&self, st: &Stage, text: &str, extra: &str) -> String {
        let mut h = Sha256::new();
        h.update(st.parent_id());
        h.update(b"\0");
        for p in &st.pending {
            h.update(p);
            h.update(b"\n");
        }
        h.update(b"\0");
        h.update(text);
        h.update(b"\0");
        let mut args: Vec<_> = st.args.iter().collect();
        args.sort();
        for (k, v) in args {
            h.update(format!("{k}={v}\n"));
        }
        h.update(b"\0");
        h.update(extra);
        hex::encode(h.finalize())
    }

    /// A cache hit: the step's image, reused.
    pub(super) fn cached(&mut self, st: &mut Stage, key: &str) -> bool {
        if self.opts.no_cache {
            return false;
        }
        let Some(id) = self.cache.get(key) else {
            return false;
        };
        let Ok(img) = self.rt.store().lookup(&id) else {
            return false;
        };
        self.say(&format!("--> Using cache {}", img.id));
        self.say(&format!("--> {}", &img.id[..12.min(img.id.len())]));
        st.image = Some(img);
        st.pending.clear();
        st.pending_history.clear();
        true
    }

    /// Adds a change line, validated against the tracked config.
    pub(super) fn change(&mut self, st: &mut Stage, line: String) -> BResult<()> {
        storage::changes::apply(&mut st.config, &line)?;
        st.pending.push(line);
        Ok(())
    }

    /// `word` with the stage's variables (ARGs and ENV) substituted.
    pub(super) fn expand(&self, st: &Stage, word: &str) -> BResult<String> {
        expand(word, &st.vars(), self.escape).map_err(|e| BuildError::new(e.0))
    }

    /// The image of `--from=stage|image`: an earlier stage by name or index, else an image
    /// (pulled as the build's `--pull` says).
    pub(super) fn image_of(&mut self, from: &str) -> BResult<storage::Image> {
        let lower = from.to_ascii_lowercase();
        let idx = self
            .stage_names
            .get(&lower)
            .copied()
            .or_else(|| lower.parse::<usize>().ok());
        if let Some(i) = idx {
            return match self.stage_images.get(&i) {
                Some(Some(img)) => Ok(img.clone()),
                _ => Err(BuildError::new(format!(
                    "stage {from:?} has no file system (FROM scratch with nothing in it)"
                ))),
            };
        }
        Ok(self.rt.image_for_run(
            from,
            self.opts.pull,
            &self.opts.registry,
            None,
            &storage::registry::Quiet,
        )?)
    }

    /// True if `rel` exists in the stage's current image.
    pub(super) fn image_has(&self, st: &Stage, rel: &str) -> bool {
        let Some(img) = &st.image else {
            return false;
        };
        let Ok(dirs) = self.rt.store().layer_dirs(img) else {
            return false;
        };
        for d in dirs {
            if let Ok(m) = fs::symlink_metadata(d.join(rel)) {
                let whiteout = m.file_type().is_char_device() && {
                    use std::os::unix::fs::MetadataExt;
                    m.rdev() == 0
                };
                return !whiteout;
            }
            if self.rt.store().driver() == storage::Driver::Vfs {
                return false;
            }
        }
        false
    }

    /// True if `rel` is a directory in the stage's current image.
    pub(super) fn image_is_dir(&self, st: &Stage, rel: &str) -> bool {
        let Some(img) = &st.image else {
            return false;
        };
        let Ok(dirs) = self.rt.store().layer_dirs(img) else {
            return false;
        };
        dirs.iter()
            .find_map(|d| fs::symlink_metadata(d.join(rel)).ok())
            .is_some_and(|m| m.is_dir())
    }
}
