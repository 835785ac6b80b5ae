//! The step executor of `burrow build` (podman's `--layers` semantics): each needed stage
//! starts FROM an image, an earlier stage or scratch; metadata instructions accumulate as
//! change lines folded into the next committed image; RUN is a container of our own runtime
//! whose changes become a layer; COPY/ADD write their layer straight from the sources. Every
//! step is looked up in the build cache first, and a hit does no file system work. Nothing is
//! tagged unless the whole build succeeds.

use std::collections::HashMap;
use std::fs;
use std::io::{BufReader, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use parse_dockerfile::{Command, Flag, Instruction, JsonOrStringArray, Source};
use sha2::{Digest, Sha256};

use super::cache::Cache;
use super::copy::{Attrs, HashWriter, LayerWriter, SourceRoot, TempFile, clean_rel, is_archive};
use super::ignore::Ignore;
use super::plan::{self, line_of, split_arg};
use super::words::expand;
use crate::error::LibpodError;
use crate::registry::RegistryFlags;
use crate::runtime::{AttachOptions, CreateOptions, PullPolicy, Runtime};

/// A build failure as the user sees it: one line, and podman's exit code (125, or a failing
/// RUN's own status).
#[derive(Debug)]
pub struct BuildError {
    pub message: String,
    pub code: i32,
}

impl BuildError {
    fn new(message: impl Into<String>) -> BuildError {
        BuildError {
            message: message.into(),
            code: 125,
        }
    }
}

impl From<LibpodError> for BuildError {
    fn from(e: LibpodError) -> BuildError {
        BuildError {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<storage::StorageError> for BuildError {
    fn from(e: storage::StorageError) -> BuildError {
        BuildError::new(e.to_string())
    }
}

type BResult<T> = std::result::Result<T, BuildError>;

/// `burrow build`'s validated options.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The context: a directory or a tar file.
    pub context: PathBuf,
    /// `-f`: a file, or `-` for stdin; else Containerfile, then Dockerfile, in the context.
    pub file: Option<PathBuf>,
    pub tags: Vec<String>,
    pub build_args: HashMap<String, String>,
    pub target: Option<String>,
    pub labels: Vec<String>,
    pub env: Vec<String>,
    pub pull: PullPolicy,
    pub registry: RegistryFlags,
    pub no_cache: bool,
    pub quiet: bool,
    pub network: Option<String>,
    /// `--secret id=ID,src=PATH`.
    pub secrets: HashMap<String, PathBuf>,
    /// `--squash-all`: the whole file system as one layer.
    pub squash_all: bool,
    /// `--squash`: the layers this build added as one layer on the base.
    pub squash: bool,
    /// `--annotation KEY=VALUE`: on the final image's manifest.
    pub annotations: HashMap<String, String>,
    pub timestamp: Option<i64>,
    pub omit_history: bool,
}

/// Args usable in RUN without an ARG line (the Dockerfile reference's predefined ARGs).
const PROXY_ARGS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// What a stage has built so far.
struct Stage {
    image: Option<storage::Image>,
    /// The config as the next step sees it (committed plus pending changes).
    config: oci_spec::image::Config,
    pending: Vec<String>,
    args: HashMap<String, String>,
    shell: Vec<String>,
    author: Option<String>,
    cmd_set: bool,
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
struct Builder<'a> {
    rt: &'a Runtime,
    opts: &'a BuildOptions,
    out: &'a mut dyn Write,
    file: String,
    text: String,
    context: PathBuf,
    ignore: Ignore,
    cache: Cache,
    escape: char,
    global_args: HashMap<String, String>,
    stage_images: HashMap<usize, Option<storage::Image>>,
    stage_names: HashMap<String, usize>,
    tmp_seq: u32,
    /// Index of the instruction that finishes the build: the COMMIT line goes before it.
    final_commit_name: Option<String>,
    /// The base image of the stage being built (the target's, at the end): what `--squash`
    /// keeps below the merged layer. `None` for scratch.
    final_base: Option<storage::Image>,
    /// Heredoc bodies of `RUN cmd <<EOF` lines, by the offset of their RUN keyword (see
    /// heredoc.rs).
    run_heredocs: HashMap<usize, String>,
}

fn json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_string())
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The instruction as written, continuation lines joined, heredoc bodies left out.
fn display_text(src: &str, escape: char) -> String {
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
fn shell_text(src: &str, escape: char) -> String {
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

fn flag<'f>(flags: &'f [Flag<'_>], name: &str) -> Option<&'f str> {
    flags
        .iter()
        .find(|f| f.name.value == name)
        .and_then(|f| f.value.as_ref())
        .map(|v| v.value.as_ref())
}

fn keyword_start(inst: &Instruction<'_>) -> usize {
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

/// Restores a redirected stdout/stderr (`build -q` hides RUN output).
struct Silence(Option<(i32, i32)>);

impl Silence {
    fn new(on: bool) -> Silence {
        if !on {
            return Silence(None);
        }
        let Ok(null) = fs::OpenOptions::new().write(true).open("/dev/null") else {
            return Silence(None);
        };
        use std::os::fd::AsRawFd;
        // SAFETY: plain descriptor duplication (close-on-exec, like every descriptor of ours);
        // the saved copies are restored in Drop.
        unsafe {
            let (o, e) = (
                libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3),
                libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3),
            );
            libc::dup2(null.as_raw_fd(), 1);
            libc::dup2(null.as_raw_fd(), 2);
            Silence(Some((o, e)))
        }
    }
}

impl Drop for Silence {
    fn drop(&mut self) {
        if let Some((o, e)) = self.0 {
            // SAFETY: restores the descriptors saved in `new`.
            unsafe {
                libc::dup2(o, 1);
                libc::dup2(e, 2);
                libc::close(o);
                libc::close(e);
            }
        }
    }
}

impl Runtime {
    /// Builds the image; step lines go to `out`. Returns the final image, tagged.
    pub fn build(&self, opts: &BuildOptions, out: &mut dyn Write) -> BResult<storage::Image> {
        // Every tag is checked before the first step: a bad one must not cost a whole build
        // that then cannot be named (podman checks them first too).
        for t in &opts.tags {
            validate_tag(t)?;
        }
        let tmp_root = self.paths.data.join("build-tmp");
        let (context, _ctx_guard) = if opts.context.is_file() {
            let dir = tmp_root.join(format!("context-{}", std::process::id()));
            extract_context(&opts.context, &dir)?;
            (dir.clone(), Some(DirGuard(dir)))
        } else if opts.context.is_dir() {
            (opts.context.clone(), None)
        } else {
            return Err(BuildError::new(format!(
                "build context {}: no such file or directory: give a directory or a tar file",
                opts.context.display()
            )));
        };
        let (file, text) = read_containerfile(opts, &context)?;
        let (text, run_heredocs) = super::heredoc::cut_command_heredocs(&text);
        let ignore_text = [".containerignore", ".dockerignore"]
            .iter()
            .find_map(|n| fs::read_to_string(context.join(n)).ok())
            .unwrap_or_default();
        let cache = Cache::open(self.paths.data.join("build-cache.json"));
        let mut b = Builder {
            rt: self,
            opts,
            out,
            file,
            text: String::new(),
            run_heredocs,
            context,
            ignore: Ignore::parse(&ignore_text),
            cache,
            escape: '\\',
            global_args: HashMap::new(),
            stage_images: HashMap::new(),
            stage_names: HashMap::new(),
            tmp_seq: 0,
            final_commit_name: None,
            final_base: None,
        };
        b.text = text;
        let text = b.text.clone();
        let image = b.run(&text)?;
        let image = match (opts.squash_all, opts.squash, b.final_base.clone()) {
            (true, _, _) | (false, true, None) => b.squash(&image)?,
            (false, true, Some(base)) => b.squash_new_layers(&image, &base)?,
            (false, false, _) => image,
        };
        let image = if opts.annotations.is_empty() {
            image
        } else {
            self.store().annotate(&image, &opts.annotations)?
        };
        for t in &opts.tags {
            self.store().tag(&image, t)?;
            let full = storage::reference::normalize_local(t).unwrap_or_else(|_| t.clone());
            let _ = writeln!(b.out, "Successfully tagged {full}");
        }
        Ok(image)
    }
}

/// A `-t` value as an image name, worded as podman words it: `tag NAME: invalid reference
/// format: WHY`.
fn validate_tag(tag: &str) -> BResult<()> {
    match storage::reference::normalize_local(tag) {
        Ok(_) => Ok(()),
        Err(storage::StorageError::InvalidReference { reason, .. }) => Err(BuildError::new(
            format!("tag {tag}: invalid reference format: {reason}"),
        )),
        Err(e) => Err(BuildError::new(format!("tag {tag}: {e}"))),
    }
}

struct DirGuard(PathBuf);

impl Drop for DirGuard {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn extract_context(tar_path: &Path, dir: &Path) -> BResult<()> {
    let err = |e: std::io::Error| {
        BuildError::new(format!(
            "build context {}: {e}: give a directory or a (compressed) tar file",
            tar_path.display()
        ))
    };
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(err)?;
    let f = fs::File::open(tar_path).map_err(err)?;
    let r = storage::compression::decompress(f, &tar_path.display().to_string())?;
    let mut ar = tar::Archive::new(r);
    ar.set_preserve_permissions(true);
    ar.unpack(dir).map_err(err)
}

fn read_containerfile(opts: &BuildOptions, context: &Path) -> BResult<(String, String)> {
    let read = |p: &Path| {
        fs::read_to_string(p).map_err(|e| {
            BuildError::new(format!(
                "{}: {e}: give the Containerfile with -f",
                p.display()
            ))
        })
    };
    match &opts.file {
        Some(f) if f.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| BuildError::new(format!("read the Containerfile from stdin: {e}")))?;
            Ok(("stdin".to_string(), s))
        }
        Some(f) => {
            let p = if f.exists() || f.is_absolute() {
                f.clone()
            } else {
                context.join(f)
            };
            Ok((f.display().to_string(), read(&p)?))
        }
        None => {
            for n in ["Containerfile", "Dockerfile"] {
                let p = context.join(n);
                if p.is_file() {
                    return Ok((n.to_string(), read(&p)?));
                }
            }
            Err(BuildError::new(format!(
                "no Containerfile or Dockerfile found in the context {}: add one or give it with -f",
                context.display()
            )))
        }
    }
}

impl Builder<'_> {
    fn say(&mut self, line: &str) {
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
            if is_final {
                let name = self.final_commit_name.clone().unwrap_or_default();
                self.say(&format!("COMMIT {name}"));
            }
            let key = self.key(&st, "(metadata)", "");
            let created_by = format!("/bin/sh -c #(nop) {}", st.pending.join(" "));
            self.commit_step(&mut st, &key, created_by, None)?;
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
    fn key(&self, st: &Stage, text: &str, extra: &str) -> String {
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
    fn cached(&mut self, st: &mut Stage, key: &str) -> bool {
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
        true
    }

    fn commit_step(
        &mut self,
        st: &mut Stage,
        key: &str,
        created_by: String,
        layer: Option<&Path>,
    ) -> BResult<()> {
        let spec = storage::commit::CommitSpec {
            name: None,
            changes: st.pending.clone(),
            author: st.author.clone(),
            comment: None,
            squash: false,
            created_by,
        };
        let extras = storage::commit::CommitExtras {
            created: self
                .opts
                .timestamp
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
            omit_history: self.opts.omit_history,
            config_from: None,
        };
        let img = match layer {
            Some(p) => {
                let f = fs::File::open(p)
                    .map_err(|e| BuildError::new(format!("open {}: {e}", p.display())))?;
                let mut r = BufReader::new(f);
                storage::commit::commit_image(
                    self.rt.store(),
                    st.image.as_ref(),
                    Some(&mut r),
                    &spec,
                    &extras,
                )?
            }
            None => storage::commit::commit_image(
                self.rt.store(),
                st.image.as_ref(),
                None,
                &spec,
                &extras,
            )?,
        };
        self.say(&format!("--> {}", &img.id[..12.min(img.id.len())]));
        self.cache.insert(key, &img.id);
        st.image = Some(img);
        st.pending.clear();
        Ok(())
    }

    fn temp_tar(&mut self) -> BResult<TempFile> {
        let dir = self.rt.paths.data.join("build-tmp");
        fs::create_dir_all(&dir)
            .map_err(|e| BuildError::new(format!("create {}: {e}", dir.display())))?;
        self.tmp_seq += 1;
        Ok(TempFile(dir.join(format!(
            "{}-{}.tar",
            std::process::id(),
            self.tmp_seq
        ))))
    }

    /// Adds a change line, validated against the tracked config.
    fn change(&mut self, st: &mut Stage, line: String) -> BResult<()> {
        storage::changes::apply(&mut st.config, &line)?;
        st.pending.push(line);
        Ok(())
    }

    fn expand(&self, st: &Stage, word: &str) -> BResult<String> {
        expand(word, &st.vars(), self.escape).map_err(|e| BuildError::new(e.0))
    }

    fn step(
        &mut self,
        st: &mut Stage,
        inst: &Instruction<'_>,
        src: &str,
        shown: &str,
        last: bool,
    ) -> BResult<()> {
        match inst {
            Instruction::Env(i) => {
                let text = self.expand(st, &i.arguments.value)?;
                self.change(st, format!("ENV {text}"))?;
            }
            Instruction::Label(i) => {
                let text = self.expand(st, &i.arguments.value)?;
                self.change(st, format!("LABEL {text}"))?;
            }
            Instruction::User(i) => {
                let text = self.expand(st, &i.arguments.value)?;
                self.change(st, format!("USER {text}"))?;
            }
            Instruction::Stopsignal(i) => {
                let text = self.expand(st, &i.arguments.value)?;
                self.change(st, format!("STOPSIGNAL {text}"))?;
            }
            Instruction::Expose(i) => {
                let mut ports = Vec::new();
                for a in &i.arguments {
                    ports.push(self.expand(st, &a.value)?);
                }
                self.change(st, format!("EXPOSE {}", ports.join(" ")))?;
            }
            Instruction::Volume(i) => {
                let items = match &i.arguments {
                    JsonOrStringArray::Json(a) => &a.value,
                    JsonOrStringArray::String(a) => a,
                };
                let mut v = Vec::new();
                for a in items {
                    v.push(self.expand(st, &a.value)?);
                }
                self.change(st, format!("VOLUME {}", json(&v)))?;
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
            Instruction::Healthcheck(_) | Instruction::Onbuild(_) => {
                eprintln!(
                    "WARN[0000] {} is not supported for OCI image format and will be ignored. Must use `docker` format",
                    shown.split_whitespace().next().unwrap_or("")
                );
            }
            Instruction::Arg(i) => {
                for a in super::words::split_words(&i.arguments.value) {
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
            }
            Instruction::Workdir(i) => {
                let text = self.expand(st, &i.arguments.value)?;
                self.change(st, format!("WORKDIR {text}"))?;
                let dir = st.config.working_dir().clone().unwrap_or_default();
                let rel = clean_rel(&dir);
                if !rel.is_empty() && !self.image_has(st, &rel) {
                    let key = self.key(st, src, "");
                    if !self.cached(st, &key) {
                        let tmp = self.temp_tar()?;
                        let f = fs::File::create(&tmp.0)
                            .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
                        let mut w = LayerWriter::new(f, Attrs::default());
                        let exists = |p: &str| self.image_has(st, p);
                        w.parents(&format!("{rel}/x"), &exists)
                            .and_then(|_| w.finish().map(drop))
                            .map_err(|e| BuildError::new(format!("write the layer: {e}")))?;
                        self.final_line(last);
                        self.commit_step(
                            st,
                            &key,
                            format!("/bin/sh -c #(nop) {shown}"),
                            Some(&tmp.0),
                        )?;
                    }
                }
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

    /// Prints `COMMIT name` before the build's last commit.
    fn final_line(&mut self, last: bool) {
        if last {
            let name = self.final_commit_name.clone().unwrap_or_default();
            self.say(&format!("COMMIT {name}"));
        }
    }

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

    /// True if `rel` exists in the stage's current image.
    fn image_has(&self, st: &Stage, rel: &str) -> bool {
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

    fn image_is_dir(&self, st: &Stage, rel: &str) -> bool {
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

    fn run_env(&self, st: &Stage) -> Vec<String> {
        let mut env: Vec<String> = Vec::new();
        for (k, v) in &st.args {
            env.push(format!("{k}={v}"));
        }
        for p in PROXY_ARGS {
            if let Some(v) = self.opts.build_args.get(*p)
                && !st.args.contains_key(*p)
            {
                env.push(format!("{p}={v}"));
            }
        }
        env.extend(st.config.env().iter().flatten().cloned());
        env
    }

    fn run_step(
        &mut self,
        st: &mut Stage,
        i: &parse_dockerfile::RunInstruction<'_>,
        src: &str,
        shown: &str,
        last: bool,
    ) -> BResult<()> {
        // `RUN cmd <<EOF`: the bodies cut out of the text belong to this command's script.
        let bodies = self
            .run_heredocs
            .get(&i.run.span.start)
            .cloned()
            .unwrap_or_default();
        let key = self.key(st, src, &bodies);
        if self.cached(st, &key) {
            return Ok(());
        }
        let Some(image) = st.image.clone() else {
            return Err(BuildError::new(
                "RUN needs a base image with a shell: FROM scratch has none",
            ));
        };
        let (command, created_by) = match &i.arguments {
            Command::Exec(a) => {
                let v: Vec<String> = a.value.iter().map(|s| s.value.to_string()).collect();
                let by = format!("/bin/sh -c {}", v.join(" "));
                (v, by)
            }
            Command::Shell(s) => {
                let text = shell_text(s.value, self.escape);
                // `RUN <<EOF`: the heredoc is the script (the parser takes a heredoc only
                // right after RUN, so there is no command line to combine it with). Its
                // variables are the shell's to expand when it runs, as with docker.
                let script = match i.here_docs.first() {
                    Some(h) => h.value.to_string(),
                    None => format!("{text}{bodies}"),
                };
                let mut v = st.shell.clone();
                v.push(script.clone());
                (v, format!("{} {}", st.shell.join(" "), script))
            }
            _ => return Err(BuildError::new("unsupported RUN form")),
        };
        let mut mounts = Vec::new();
        let mut targets = Vec::new();
        let mut network = self.opts.network.clone();
        for f in &i.options {
            let val = f
                .value
                .as_ref()
                .map(|v| v.value.to_string())
                .unwrap_or_default();
            match f.name.value.as_ref() {
                "mount" => {
                    let (m, target) = self.run_mount(&val)?;
                    if let Some(m) = m {
                        mounts.push(m);
                    }
                    targets.push(target);
                }
                "network" => {
                    network = Some(match val.as_str() {
                        "default" => "host".to_string(),
                        other => other.to_string(),
                    })
                }
                other => {
                    return Err(BuildError::new(format!(
                        "RUN --{other} is not supported: use --mount or --network"
                    )));
                }
            }
        }
        let opts = CreateOptions {
            image: image.id.clone(),
            command,
            entrypoint: Some(String::new()),
            env: self.run_env(st),
            workdir: st.config.working_dir().clone(),
            user: st.config.user().clone(),
            // As podman: RUN gets the default network (slirp4netns rootless) unless
            // `--network` (of the build or of the RUN) says otherwise.
            network,
            mounts,
            // Owned by this build: a killed build leaves no working container behind.
            temporary: true,
            ..Default::default()
        };
        let c = self.rt.create(&opts)?;
        let res = (|| {
            let code = {
                let _s = Silence::new(self.opts.quiet);
                self.rt.start_attached(
                    &c,
                    AttachOptions {
                        stdin: false,
                        sig_proxy: true,
                    },
                )?
            };
            if code != 0 {
                return Err(BuildError {
                    message: format!(
                        "building at STEP \"{shown}\" ({}): exit status {code}",
                        self.file
                    ),
                    code,
                });
            }
            let (mut changes, root) = self.rt.container_changes(&c)?;
            changes.retain(|ch| {
                let p = ch.path.as_str();
                let is_dir = fs::symlink_metadata(root.join(p.trim_start_matches('/')))
                    .is_ok_and(|m| m.is_dir());
                let init_file = crate::runtime::commit::INIT_PATHS.contains(&p) && !is_dir;
                let mount_target = targets.iter().any(|t| t == p);
                !(init_file || mount_target || p.starts_with("/run/secrets/"))
            });
            let tmp = self.temp_tar()?;
            let f = fs::File::create(&tmp.0)
                .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
            let mut w = std::io::BufWriter::new(f);
            crate::runtime::commit::layer_tar(&root, &changes, &mut w)?;
            w.flush()
                .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
            drop(w);
            self.final_line(last);
            self.commit_step(st, &key, created_by.clone(), Some(&tmp.0))
        })();
        let _ = self.rt.remove(&c.id, true, true);
        res
    }

    /// One `RUN --mount=...`: the runtime's mount spec and the target path.
    fn run_mount(&mut self, spec: &str) -> BResult<(Option<String>, String)> {
        let mut kv: HashMap<&str, &str> = HashMap::new();
        for field in spec.split(',').filter(|f| !f.is_empty()) {
            let (k, v) = field.split_once('=').unwrap_or((field, "true"));
            kv.insert(k, v);
        }
        let kind = kv.get("type").copied().unwrap_or("bind");
        let target = kv
            .get("target")
            .or(kv.get("dst"))
            .or(kv.get("destination"))
            .map(|t| t.to_string());
        let need_target = || {
            target.clone().ok_or_else(|| {
                BuildError::new(format!("RUN --mount={spec}: a target=PATH is required"))
            })
        };
        match kind {
            "cache" => {
                let t = need_target()?;
                let id = kv.get("id").map_or(t.clone(), |s| s.to_string());
                let dir = self
                    .rt
                    .paths
                    .data
                    .join("build-cache-mounts")
                    .join(&hex::encode(Sha256::digest(id.as_bytes()))[..16]);
                fs::create_dir_all(&dir)
                    .map_err(|e| BuildError::new(format!("create {}: {e}", dir.display())))?;
                Ok((Some(format!("type=bind,src={},dst={t}", dir.display())), t))
            }
            "tmpfs" => {
                let t = need_target()?;
                Ok((Some(format!("type=tmpfs,dst={t}")), t))
            }
            "bind" => {
                let t = need_target()?;
                let source = kv.get("source").or(kv.get("src")).copied().unwrap_or(".");
                let root = match kv.get("from") {
                    Some(from) => self.mounted_root_of(from)?,
                    None => self.context.clone(),
                };
                // The mount follows every link in the source, so it is resolved inside the
                // context (or stage) first: a link to a host directory names nothing.
                let p = crate::in_root::resolve_in_root(&root, &clean_rel(source), true)
                    .map_err(|e| BuildError::new(format!("RUN --mount={spec}: {e}")))?;
                if fs::symlink_metadata(&p).is_err() {
                    return Err(BuildError::new(format!(
                        "RUN --mount={spec}: {source}: no such file or directory"
                    )));
                }
                Ok((Some(format!("type=bind,src={},dst={t},ro", p.display())), t))
            }
            "secret" => {
                let id = kv.get("id").copied().unwrap_or_default().to_string();
                let t = target.unwrap_or_else(|| format!("/run/secrets/{id}"));
                match self.opts.secrets.get(&id) {
                    Some(src) => Ok((
                        Some(format!("type=bind,src={},dst={t},ro", src.display())),
                        t,
                    )),
                    None if kv.get("required").is_some_and(|v| *v == "true") => {
                        Err(BuildError::new(format!(
                            "RUN --mount={spec}: secret {id:?} was not given: add --secret id={id},src=FILE"
                        )))
                    }
                    None => Ok((None, t)),
                }
            }
            other => Err(BuildError::new(format!(
                "RUN --mount type {other:?} is not supported: use cache, bind, tmpfs or secret"
            ))),
        }
    }

    /// The root file system of `--from=stage|image`, mounted read-only.
    fn mounted_root_of(&mut self, from: &str) -> BResult<PathBuf> {
        let img = self.image_of(from)?;
        Ok(self.rt.mount_image(&img.id)?)
    }

    fn image_of(&mut self, from: &str) -> BResult<storage::Image> {
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

    /// The uid and gid of `--chown=USER[:GROUP]`, names looked up in the image.
    fn chown(&self, st: &Stage, spec: &str) -> BResult<(u32, u32)> {
        let (u, g) = match spec.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (spec, None),
        };
        let lookup = |file: &str, name: &str| -> Option<(u32, u32)> {
            let img = st.image.as_ref()?;
            let dirs = self.rt.store().layer_dirs(img).ok()?;
            let text = dirs
                .iter()
                .find_map(|d| fs::read_to_string(d.join(file)).ok())?;
            text.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() >= 4 && f[0] == name)
                    .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                    .flatten()
            })
        };
        let (uid, user_gid) = match u.parse::<u32>() {
            Ok(n) => (n, n),
            Err(_) => lookup("etc/passwd", u).ok_or_else(|| {
                BuildError::new(format!(
                    "--chown: no user {u:?} in /etc/passwd of the image"
                ))
            })?,
        };
        let gid = match g {
            None => user_gid,
            Some(g) => match g.parse::<u32>() {
                Ok(n) => n,
                Err(_) => lookup("etc/group", g).map(|(gid, _)| gid).ok_or_else(|| {
                    BuildError::new(format!(
                        "--chown: no group {g:?} in /etc/group of the image"
                    ))
                })?,
            },
        };
        Ok((uid, gid))
    }

    #[allow(clippy::too_many_arguments)]
    fn copy_step(
        &mut self,
        st: &mut Stage,
        flags: &[Flag<'_>],
        sources: &[Source<'_>],
        dest: &str,
        add: bool,
        src_text: &str,
        shown: &str,
        last: bool,
    ) -> BResult<()> {
        let name = if add { "ADD" } else { "COPY" };
        let mut attrs = Attrs::default();
        if let Some(c) = flag(flags, "chown") {
            let c = self.expand(st, c)?;
            (attrs.uid, attrs.gid) = self.chown(st, &c)?;
        }
        if let Some(m) = flag(flags, "chmod") {
            attrs.chmod = Some(u32::from_str_radix(m, 8).map_err(|_| {
                BuildError::new(format!("--chmod={m}: give an octal mode such as 0755"))
            })?);
        }
        for f in flags {
            if !matches!(
                f.name.value.as_ref(),
                "from" | "chown" | "chmod" | "link" | "parents"
            ) {
                return Err(BuildError::new(format!(
                    "{name} --{} is not supported: use --from, --chown, --chmod or --link",
                    f.name.value
                )));
            }
        }
        let from = flag(flags, "from").map(|s| s.to_string());
        let dest_raw = self.expand(st, dest)?;
        let workdir = st.config.working_dir().clone().unwrap_or_default();
        let dest_abs = if dest_raw.starts_with('/') {
            dest_raw.clone()
        } else {
            format!("{workdir}/{dest_raw}")
        };
        let dest_rel = clean_rel(&dest_abs);
        let dest_is_dir_hint = dest_raw.ends_with('/') || dest_raw == "." || sources.len() > 1;

        // The source root: the context, or an earlier stage's / an image's root file system.
        let (root_dir, from_image) = match &from {
            Some(f) => {
                let img = self.image_of(f)?;
                (None, Some(img))
            }
            None => (Some(self.context.clone()), None),
        };
        let mut patterns = Vec::new();
        let mut heredocs = Vec::new();
        for s in sources {
            match s {
                Source::Path(p) => patterns.push(self.expand(st, &p.value)?),
                Source::HereDoc(h) => heredocs.push(if h.expand {
                    self.expand(st, &h.value)?
                } else {
                    h.value.to_string()
                }),
                _ => {}
            }
        }
        for p in &patterns {
            if p.contains("://") {
                return Err(BuildError::new(format!(
                    "{name} {p}: remote URLs are not supported: download the file into the context"
                )));
            }
        }
        // Content hash of the sources (context only: an image's content is its ID).
        let extra = match (&root_dir, &from_image) {
            (_, Some(img)) => format!("from:{}", img.id),
            (Some(dir), None) => {
                let hash_attrs = Attrs {
                    zero_times: true,
                    ..attrs
                };
                let mut w = LayerWriter::new(HashWriter(Sha256::new()), hash_attrs);
                let root = SourceRoot {
                    dir,
                    ignore: Some(&self.ignore),
                };
                for p in &patterns {
                    let found = root.resolve(p).map_err(BuildError::new)?;
                    for f in found {
                        w.copy(&root, &f, &f, true).map_err(|e| {
                            BuildError::new(format!("read {}: {e}", dir.join(&f).display()))
                        })?;
                    }
                }
                for h in &heredocs {
                    w.data("heredoc", h.as_bytes())
                        .map_err(|e| BuildError::new(e.to_string()))?;
                }
                let hw = w.finish().map_err(|e| BuildError::new(e.to_string()))?;
                hex::encode(hw.0.finalize())
            }
            (None, None) => String::new(),
        };
        let key = self.key(st, &format!("{src_text}\0{dest_abs}"), &extra);
        if self.cached(st, &key) {
            return Ok(());
        }
        let mounted = match &from_image {
            Some(img) => Some(self.rt.mount_image(&img.id)?),
            None => None,
        };
        let dir = mounted.clone().or(root_dir).unwrap_or_default();
        let res = self.write_copy_layer(
            st,
            &dir,
            from_image.is_none(),
            &patterns,
            &heredocs,
            &dest_rel,
            dest_is_dir_hint,
            add,
            attrs,
        );
        if let Some(img) = &from_image {
            let _ = self.rt.unmount_image(&img.id);
        }
        let tmp = res?;
        self.final_line(last);
        self.commit_step(st, &key, format!("/bin/sh -c #(nop) {shown}"), Some(&tmp.0))
    }

    #[allow(clippy::too_many_arguments)]
    fn write_copy_layer(
        &mut self,
        st: &Stage,
        dir: &Path,
        is_context: bool,
        patterns: &[String],
        heredocs: &[String],
        dest_rel: &str,
        dest_is_dir_hint: bool,
        add: bool,
        attrs: Attrs,
    ) -> BResult<TempFile> {
        let tmp = self.temp_tar()?;
        let root = SourceRoot {
            dir,
            ignore: is_context.then_some(&self.ignore),
        };
        let mut found = Vec::new();
        for p in patterns {
            found.extend(root.resolve(p).map_err(BuildError::new)?);
        }
        let f = fs::File::create(&tmp.0)
            .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
        let mut w = LayerWriter::new(std::io::BufWriter::new(f), attrs);
        let io = |e: std::io::Error| BuildError::new(format!("write the layer: {e}"));
        let exists = |p: &str| self.image_has(st, p);
        let dest_is_dir = dest_is_dir_hint
            || found.len() > 1
            || dest_rel.is_empty()
            || self.image_is_dir(st, dest_rel);
        for s in &found {
            let src = dir.join(s);
            let meta = fs::symlink_metadata(&src)
                .map_err(|e| BuildError::new(format!("{}: {e}", src.display())))?;
            if meta.is_dir() {
                w.parents(&format!("{dest_rel}/x"), &exists).map_err(io)?;
                if !exists(dest_rel) {
                    w.dir(dest_rel, None).map_err(io)?;
                }
                w.copy(&root, s, dest_rel, false).map_err(io)?;
                continue;
            }
            if add && meta.is_file() && is_archive(&src) {
                w.parents(&format!("{dest_rel}/x"), &exists).map_err(io)?;
                if !exists(dest_rel) {
                    w.dir(dest_rel, None).map_err(io)?;
                }
                let f = fs::File::open(&src)
                    .map_err(|e| BuildError::new(format!("{}: {e}", src.display())))?;
                let r = storage::compression::decompress(f, &src.display().to_string())?;
                w.extract(r, dest_rel).map_err(io)?;
                continue;
            }
            let base = s.rsplit('/').next().unwrap_or(s);
            let target = if dest_is_dir {
                if dest_rel.is_empty() {
                    base.to_string()
                } else {
                    format!("{dest_rel}/{base}")
                }
            } else {
                dest_rel.to_string()
            };
            w.parents(&target, &exists).map_err(io)?;
            w.copy(&root, s, &target, true).map_err(io)?;
        }
        for h in heredocs {
            w.parents(dest_rel, &exists).map_err(io)?;
            w.data(dest_rel, h.as_bytes()).map_err(io)?;
        }
        let mut bw = w.finish().map_err(io)?;
        bw.flush().map_err(io)?;
        Ok(tmp)
    }

    /// `--squash`: the layers this build added, merged into one on top of the final stage's
    /// base (whose layers stay shared), with the built image's config.
    fn squash_new_layers(
        &mut self,
        image: &storage::Image,
        base: &storage::Image,
    ) -> BResult<storage::Image> {
        if image.layers.len() <= base.layers.len() + 1 {
            return Ok(image.clone()); // one new layer or none: nothing to merge
        }
        let new_root = self.rt.mount_image(&image.id)?;
        let old_root = match self.rt.mount_image(&base.id) {
            Ok(r) => r,
            Err(e) => {
                let _ = self.rt.unmount_image(&image.id);
                return Err(e.into());
            }
        };
        let tmp = self.temp_tar()?;
        let res = (|| {
            let mut changes = Vec::new();
            crate::runtime::commit::tree_changes(&new_root, Some(&old_root), "/", &mut changes)?;
            let f = fs::File::create(&tmp.0)
                .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
            let mut w = std::io::BufWriter::new(f);
            crate::runtime::commit::layer_tar(&new_root, &changes, &mut w)?;
            w.flush()
                .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
            Ok::<(), BuildError>(())
        })();
        let _ = self.rt.unmount_image(&image.id);
        let _ = self.rt.unmount_image(&base.id);
        res?;
        let f = fs::File::open(&tmp.0)
            .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
        let mut r = BufReader::new(f);
        let spec = storage::commit::CommitSpec {
            created_by: "/bin/sh -c #(nop) squashed".to_string(),
            ..Default::default()
        };
        let extras = storage::commit::CommitExtras {
            created: self
                .opts
                .timestamp
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
            omit_history: self.opts.omit_history,
            config_from: Some(image.clone()),
        };
        Ok(storage::commit::commit_image(
            self.rt.store(),
            Some(base),
            Some(&mut r),
            &spec,
            &extras,
        )?)
    }

    /// `--squash-all`: the final image's whole file system as its one layer.
    fn squash(&mut self, image: &storage::Image) -> BResult<storage::Image> {
        let root = self.rt.mount_image(&image.id)?;
        let tmp = self.temp_tar()?;
        let res = (|| {
            let f = fs::File::create(&tmp.0)
                .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
            let mut w = std::io::BufWriter::new(f);
            storage::dirtar::tar_dir(&root, &mut w)?;
            w.flush()
                .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
            Ok::<(), BuildError>(())
        })();
        let _ = self.rt.unmount_image(&image.id);
        res?;
        let f = fs::File::open(&tmp.0)
            .map_err(|e| BuildError::new(format!("{}: {e}", tmp.0.display())))?;
        let mut r = BufReader::new(f);
        let spec = storage::commit::CommitSpec {
            squash: true,
            created_by: "/bin/sh -c #(nop) squashed".to_string(),
            ..Default::default()
        };
        let extras = storage::commit::CommitExtras {
            created: self
                .opts
                .timestamp
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
            omit_history: self.opts.omit_history,
            config_from: None,
        };
        Ok(storage::commit::commit_image(
            self.rt.store(),
            Some(image),
            Some(&mut r),
            &spec,
            &extras,
        )?)
    }
}

/// `--platform`: only the machine's own.
pub fn check_platform(p: &str) -> Result<(), String> {
    let arch = oci_spec::image::Arch::default().to_string();
    let mut parts = p.split('/');
    let os = parts.next().unwrap_or("");
    let a = parts.next().unwrap_or(&arch);
    if (os.is_empty() || os == "linux") && (a == arch || p.is_empty()) {
        Ok(())
    } else {
        Err(format!(
            "only the native platform linux/{arch} can be built: burrow does not emulate other architectures"
        ))
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

    #[test]
    fn platform_must_be_native() {
        let arch = oci_spec::image::Arch::default().to_string();
        assert!(check_platform(&format!("linux/{arch}")).is_ok());
        assert!(check_platform("linux/s390x").is_err() || arch == "s390x");
    }
}
