//! Commits of a build: each step's image (a layer tar, or only its change lines, on the
//! stage's image), the scratch files those layers are written to, and what happens to the
//! final image: `--squash` / `--squash-all`, `--annotation` and the `-t` tags. A commit is
//! recorded in the build cache under its step's key.

use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use super::copy::TempFile;
use super::error::{BResult, BuildError};
use super::executor::{Builder, Stage};

impl Builder<'_> {
    /// The built image as the user gets it: squashed as asked, annotated, then tagged (the
    /// tags last, so a failed build names nothing).
    pub(super) fn finish_image(&mut self, image: storage::Image) -> BResult<storage::Image> {
        let opts = self.opts;
        let image = match (opts.squash_all, opts.squash, self.final_base.clone()) {
            (true, _, _) | (false, true, None) => self.squash(&image)?,
            (false, true, Some(base)) => self.squash_new_layers(&image, &base)?,
            (false, false, _) => image,
        };
        let image = if opts.annotations.is_empty() {
            image
        } else {
            self.rt.store().annotate(&image, &opts.annotations)?
        };
        for t in &opts.tags {
            self.rt.store().tag(&image, t)?;
            let full = storage::reference::normalize_local(t).unwrap_or_else(|_| t.clone());
            let _ = writeln!(self.out, "Successfully tagged {full}");
        }
        Ok(image)
    }

    /// Prints `COMMIT name` before the build's last commit.
    pub(super) fn final_line(&mut self, last: bool) {
        if last {
            let name = self.final_commit_name.clone().unwrap_or_default();
            self.say(&format!("COMMIT {name}"));
        }
    }

    /// A step that adds `layer`: the `COMMIT` line first when it is the build's last step,
    /// then the commit.
    pub(super) fn commit_layer(
        &mut self,
        st: &mut Stage,
        key: &str,
        created_by: String,
        layer: &TempFile,
        last: bool,
    ) -> BResult<()> {
        self.final_line(last);
        self.commit_step(st, key, created_by, Some(&layer.0))
    }

    /// Commits the stage's pending changes (and `layer`, if any) on its image and records
    /// the result under `key` in the cache.
    pub(super) fn commit_step(
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
            empty_before: std::mem::take(&mut st.pending_history),
        };
        let mut reader = match layer {
            Some(p) => {
                Some(BufReader::new(fs::File::open(p).map_err(|e| {
                    BuildError::new(format!("open {}: {e}", p.display()))
                })?))
            }
            None => None,
        };
        let img = storage::commit::commit_image(
            self.rt.store(),
            st.image.as_ref(),
            reader.as_mut().map(|r| r as &mut dyn Read),
            &spec,
            &self.extras(None),
        )?;
        self.say(&format!("--> {}", &img.id[..12.min(img.id.len())]));
        self.cache.insert(key, &img.id);
        st.image = Some(img);
        st.pending.clear();
        st.pending_history.clear();
        Ok(())
    }

    /// What every commit of this build shares: `--timestamp`, `--omit-history`.
    fn extras(&self, config_from: Option<storage::Image>) -> storage::commit::CommitExtras {
        storage::commit::CommitExtras {
            created: self
                .opts
                .timestamp
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
            omit_history: self.opts.omit_history,
            config_from,
        }
    }

    /// A new scratch file name for a layer tar in the build scratch dir (`Paths::build_tmp`).
    fn temp_tar(&self) -> BResult<TempFile> {
        let dir = self.rt.paths.build_tmp();
        fs::create_dir_all(&dir)
            .map_err(|e| BuildError::new(format!("create {}: {e}", dir.display())))?;
        self.tmp_seq.set(self.tmp_seq.get() + 1);
        Ok(TempFile(dir.join(format!(
            "{}-{}.tar",
            std::process::id(),
            self.tmp_seq.get()
        ))))
    }

    /// A scratch layer tar with what `write` puts in it (buffered; flushed here).
    pub(super) fn write_temp_tar(
        &self,
        write: impl FnOnce(&mut BufWriter<fs::File>) -> BResult<()>,
    ) -> BResult<TempFile> {
        let tmp = self.temp_tar()?;
        let io = |e: std::io::Error| BuildError::new(format!("{}: {e}", tmp.0.display()));
        let mut w = BufWriter::new(fs::File::create(&tmp.0).map_err(io)?);
        write(&mut w)?;
        w.flush().map_err(io)?;
        drop(w);
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
        let res = self.write_temp_tar(|w| {
            let mut changes = Vec::new();
            crate::runtime::commit::tree_changes(&new_root, Some(&old_root), "/", &mut changes)?;
            Ok(crate::runtime::commit::layer_tar(&new_root, &changes, w)?)
        });
        let _ = self.rt.unmount_image(&image.id);
        let _ = self.rt.unmount_image(&base.id);
        let tmp = res?;
        self.commit_squashed(base, &tmp, false, Some(image.clone()))
    }

    /// `--squash-all`: the final image's whole file system as its one layer.
    fn squash(&mut self, image: &storage::Image) -> BResult<storage::Image> {
        let root = self.rt.mount_image(&image.id)?;
        let res = self.write_temp_tar(|w| Ok(storage::dirtar::tar_dir(&root, w)?));
        let _ = self.rt.unmount_image(&image.id);
        let tmp = res?;
        self.commit_squashed(image, &tmp, true, None)
    }

    /// Commits a squashed layer on `base`: `squash_all` drops the base's layers.
    fn commit_squashed(
        &self,
        base: &storage::Image,
        layer: &TempFile,
        squash_all: bool,
        config_from: Option<storage::Image>,
    ) -> BResult<storage::Image> {
        let f = fs::File::open(&layer.0)
            .map_err(|e| BuildError::new(format!("{}: {e}", layer.0.display())))?;
        let mut r = BufReader::new(f);
        let spec = storage::commit::CommitSpec {
            squash: squash_all,
            created_by: "/bin/sh -c #(nop) squashed".to_string(),
            ..Default::default()
        };
        Ok(storage::commit::commit_image(
            self.rt.store(),
            Some(base),
            Some(&mut r),
            &spec,
            &self.extras(config_from),
        )?)
    }
}
