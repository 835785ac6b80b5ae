//! COPY and ADD: the sources (from the context, honouring its ignore rules, or from an
//! earlier stage or an image with `--from`) written straight into the step's layer tar, with
//! `--chown` / `--chmod` applied; ADD also unpacks local archives. The cache key holds a
//! content hash of the context sources, so an edited file misses the cache.

use std::fs;
use std::io::Write;
use std::path::Path;

use parse_dockerfile::{Flag, Source};
use sha2::{Digest, Sha256};

use super::copy::{Attrs, HashWriter, LayerWriter, SourceRoot, TempFile, clean_rel, is_archive};
use super::error::{BResult, BuildError};
use super::executor::{Builder, Stage};
use super::instruction::flag;

impl Builder<'_> {
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
    pub(super) fn copy_step(
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
            None => (Some(self.context.dir.clone()), None),
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
            (Some(dir), None) => self.sources_hash(dir, &patterns, &heredocs, attrs)?,
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
        self.commit_layer(st, &key, format!("/bin/sh -c #(nop) {shown}"), &tmp, last)
    }

    /// The hash of what a COPY from the context would write (times zeroed): the part of its
    /// cache key that changes when a source file does.
    fn sources_hash(
        &self,
        dir: &Path,
        patterns: &[String],
        heredocs: &[String],
        attrs: Attrs,
    ) -> BResult<String> {
        let hash_attrs = Attrs {
            zero_times: true,
            ..attrs
        };
        let mut w = LayerWriter::new(HashWriter(Sha256::new()), hash_attrs);
        let root = SourceRoot {
            dir,
            ignore: Some(&self.context.ignore),
        };
        for p in patterns {
            let found = root.resolve(p).map_err(BuildError::new)?;
            for f in found {
                w.copy(&root, &f, &f, true).map_err(|e| {
                    BuildError::new(format!("read {}: {e}", dir.join(&f).display()))
                })?;
            }
        }
        for h in heredocs {
            w.data("heredoc", h.as_bytes())
                .map_err(|e| BuildError::new(e.to_string()))?;
        }
        let hw = w.finish().map_err(|e| BuildError::new(e.to_string()))?;
        Ok(hex::encode(hw.0.finalize()))
    }

    #[allow(clippy::too_many_arguments)]
    fn write_copy_layer(
        &self,
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
        let root = SourceRoot {
            dir,
            ignore: is_context.then_some(&self.context.ignore),
        };
        self.write_temp_tar(|f| {
            let mut found = Vec::new();
            for p in patterns {
                found.extend(root.resolve(p).map_err(BuildError::new)?);
            }
            let mut w = LayerWriter::new(f, attrs);
            let io = |e: std::io::Error| BuildError::new(format!("write the layer: {e}"));
            let exists = |p: &str| self.image_has(st, p);
            // A directory source or an archive lands inside `dest_rel`, created if missing.
            let dest_dir = |w: &mut LayerWriter<_>| -> BResult<()> {
                w.parents(&format!("{dest_rel}/x"), &exists).map_err(io)?;
                if !exists(dest_rel) {
                    w.dir(dest_rel, None).map_err(io)?;
                }
                Ok(())
            };
            let dest_is_dir = dest_is_dir_hint
                || found.len() > 1
                || dest_rel.is_empty()
                || self.image_is_dir(st, dest_rel);
            for s in &found {
                let src = dir.join(s);
                let meta = fs::symlink_metadata(&src)
                    .map_err(|e| BuildError::new(format!("{}: {e}", src.display())))?;
                if meta.is_dir() {
                    dest_dir(&mut w)?;
                    w.copy(&root, s, dest_rel, false).map_err(io)?;
                    continue;
                }
                if add && meta.is_file() && is_archive(&src) {
                    dest_dir(&mut w)?;
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
            w.finish().map_err(io)?.flush().map_err(io)
        })
    }
}
