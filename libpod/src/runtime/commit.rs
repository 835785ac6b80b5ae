//! `diff` and `commit`: a container's changes to its image (the overlay upper directory, or
//! for vfs a comparison of the container's copy with the image's top layer), listed as
//! podman lists them or written as an OCI layer (overlay whiteouts become `.wh.NAME`, opaque
//! directories `.wh..wh..opq`) for a new image. This module only reads the container's files.

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::container::Status;
use crate::error::{LibpodError, Result};

use super::Runtime;

/// What `diff` and `commit` cannot find.
#[derive(thiserror::Error, Debug)]
pub enum CommitError {
    #[error("{0} not found: no container or image of that name or ID")]
    NoContainerOrImage(String),
    #[error(
        "container {0} runs from a --rootfs directory, not an image: it has no image layers to diff or commit; archive the directory instead (e.g. tar)"
    )]
    RootfsContainer(String),
}

/// One changed path: 'A' added, 'C' changed, 'D' deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: char,
    /// Absolute, as the container sees it.
    pub path: String,
    /// A directory whose lower content is hidden (overlay's opaque directory).
    pub opaque: bool,
}

/// `commit`'s flags.
#[derive(Clone, Debug, Default)]
pub struct CommitOptions {
    pub name: Option<String>,
    pub author: Option<String>,
    pub changes: Vec<String>,
    pub message: Option<String>,
    pub pause: bool,
    pub squash: bool,
    /// `--format docker`: accepted; the image is stored with an OCI manifest either way.
    pub docker_format: bool,
}

/// Paths burrow itself creates in every container (mount points of generated files and
/// kernel file systems): podman's diff leaves them out, as does ours.
pub(crate) const INIT_PATHS: &[&str] = &[
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/.containerenv",
    "/run/secrets",
    "/sys",
    "/etc/mtab",
];

const OPAQUE_XATTRS: &[&str] = &[
    "user.overlay.opaque",
    "trusted.overlay.opaque",
    "user.fuseoverlayfs.opaque",
];

fn is_opaque(p: &Path) -> bool {
    let Ok(path) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    OPAQUE_XATTRS.iter().any(|name| {
        let Ok(name) = CString::new(*name) else {
            return false;
        };
        let mut buf = [0u8; 4];
        // SAFETY: both strings are NUL-terminated and the buffer's length is passed.
        let n = unsafe {
            libc::lgetxattr(
                path.as_ptr(),
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        n > 0 && buf[0] == b'y'
    })
}

fn read_sorted(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    let mut v: Vec<fs::DirEntry> = fs::read_dir(dir)
        .and_then(|d| d.collect())
        .map_err(|e| LibpodError::io(format!("read {}", dir.display()), e))?;
    v.sort_by_key(|e| e.file_name());
    Ok(v)
}

fn join(rel: &str, name: &str) -> String {
    if rel == "/" {
        format!("/{name}")
    } else {
        format!("{rel}/{name}")
    }
}

/// Changes recorded in an overlay upper directory, given the lower layers.
fn overlay_changes(
    upper: &Path,
    lowers: &[PathBuf],
    rel: &str,
    out: &mut Vec<Change>,
) -> Result<()> {
    for e in read_sorted(&upper.join(rel.trim_start_matches('/')))? {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let meta = fs::symlink_metadata(&path)
            .map_err(|err| LibpodError::io(format!("read {}", path.display()), err))?;
        let ft = meta.file_type();
        if ft.is_char_device() && meta.rdev() == 0 {
            out.push(Change {
                kind: 'D',
                path: join(rel, &name),
                opaque: false,
            });
            continue;
        }
        if let Some(gone) = name.strip_prefix(".wh.") {
            if gone != ".wh..opq" {
                out.push(Change {
                    kind: 'D',
                    path: join(rel, gone),
                    opaque: false,
                });
            }
            continue;
        }
        let p = join(rel, &name);
        let in_lower = lowers
            .iter()
            .any(|l| fs::symlink_metadata(l.join(p.trim_start_matches('/'))).is_ok());
        out.push(Change {
            kind: if in_lower { 'C' } else { 'A' },
            path: p.clone(),
            opaque: ft.is_dir() && is_opaque(&path),
        });
        if ft.is_dir() {
            overlay_changes(upper, lowers, &p, out)?;
        }
    }
    Ok(())
}

/// Changes between two complete trees (vfs: the container's copy against the image's top
/// layer snapshot, or a layer against its parent).
pub(crate) fn tree_changes(
    new: &Path,
    old: Option<&Path>,
    rel: &str,
    out: &mut Vec<Change>,
) -> Result<()> {
    let new_dir = new.join(rel.trim_start_matches('/'));
    let old_dir = old.map(|o| o.join(rel.trim_start_matches('/')));
    let mut names: Vec<(String, bool)> = Vec::new();
    for e in read_sorted(&new_dir)? {
        names.push((e.file_name().to_string_lossy().into_owned(), true));
    }
    if let Some(od) = &old_dir
        && fs::symlink_metadata(od)
            .map(|m| m.is_dir())
            .unwrap_or(false)
    {
        for e in read_sorted(od)? {
            let n = e.file_name().to_string_lossy().into_owned();
            if !names.iter().any(|(x, _)| *x == n) {
                names.push((n, false));
            }
        }
    }
    names.sort();
    for (name, present) in names {
        let p = join(rel, &name);
        if !present {
            out.push(Change {
                kind: 'D',
                path: p,
                opaque: false,
            });
            continue;
        }
        let nm = fs::symlink_metadata(new_dir.join(&name))
            .map_err(|e| LibpodError::io(format!("read {}", new_dir.join(&name).display()), e))?;
        let om = old_dir
            .as_ref()
            .and_then(|od| fs::symlink_metadata(od.join(&name)).ok());
        let kind = match &om {
            None => Some('A'),
            Some(o) => {
                let same_type = o.file_type() == nm.file_type();
                let same = same_type
                    && o.mode() == nm.mode()
                    && o.uid() == nm.uid()
                    && o.gid() == nm.gid()
                    && o.mtime() == nm.mtime()
                    && o.mtime_nsec() == nm.mtime_nsec()
                    && (nm.is_dir() || o.size() == nm.size());
                (!same).then_some('C')
            }
        };
        if let Some(k) = kind {
            out.push(Change {
                kind: k,
                path: p.clone(),
                opaque: false,
            });
        }
        if nm.is_dir() {
            let old_next = if om.as_ref().is_some_and(|o| o.is_dir()) {
                old
            } else {
                None
            };
            tree_changes(new, old_next, &p, out)?;
        }
    }
    Ok(())
}

/// A whiteout marker: an empty regular file, owned by root (every numeric field set, or
/// the header does not parse).
fn empty_file_header() -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(0);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h
}

/// Writes the changes as an OCI layer tar, entries taken from `root` (the directory whose
/// content the changes describe).
pub(crate) fn layer_tar(root: &Path, changes: &[Change], out: impl Write) -> Result<()> {
    layer_tar_owned(root, changes, out, &|u, g| (u, g))
}

/// [`layer_tar`] with each entry's owner passed through `owners` (a container with a user
/// namespace of its own: its files carry the ids they have outside it).
pub(crate) fn layer_tar_owned(
    root: &Path,
    changes: &[Change],
    out: impl Write,
    owners: &dyn Fn(u32, u32) -> (u32, u32),
) -> Result<()> {
    let mut b = tar::Builder::new(out);
    let err = |p: &str| {
        let ctx = format!("write the layer entry {p}");
        move |e| LibpodError::io(ctx, e)
    };
    for c in changes {
        let rel = c.path.trim_start_matches('/');
        if c.kind == 'D' {
            let p = Path::new(rel);
            let wh = match (p.parent(), p.file_name()) {
                (Some(d), Some(n)) => d.join(format!(".wh.{}", n.to_string_lossy())),
                _ => continue,
            };
            let mut h = empty_file_header();
            b.append_data(&mut h, &wh, std::io::empty())
                .map_err(err(&c.path))?;
            continue;
        }
        let src = root.join(rel);
        let meta = fs::symlink_metadata(&src)
            .map_err(|e| LibpodError::io(format!("read {}", src.display()), e))?;
        let ft = meta.file_type();
        if ft.is_socket() {
            continue;
        }
        let mut h = tar::Header::new_gnu();
        h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
        let (uid, gid) = owners(meta.uid(), meta.gid());
        h.set_uid(u64::from(uid));
        h.set_gid(u64::from(gid));
        if ft.is_dir() {
            h.set_size(0);
            b.append_data(&mut h, format!("{rel}/"), std::io::empty())
                .map_err(err(&c.path))?;
            if c.opaque {
                let mut o = empty_file_header();
                b.append_data(&mut o, format!("{rel}/.wh..wh..opq"), std::io::empty())
                    .map_err(err(&c.path))?;
            }
        } else if ft.is_symlink() {
            let target = fs::read_link(&src)
                .map_err(|e| LibpodError::io(format!("read link {}", src.display()), e))?;
            h.set_size(0);
            b.append_link(&mut h, rel, &target).map_err(err(&c.path))?;
        } else if ft.is_file() {
            let f = fs::File::open(&src)
                .map_err(|e| LibpodError::io(format!("open {}", src.display()), e))?;
            b.append_data(&mut h, rel, f).map_err(err(&c.path))?;
        } else {
            h.set_size(0);
            b.append_data(&mut h, rel, std::io::empty())
                .map_err(err(&c.path))?;
        }
    }
    b.finish().map_err(err("(end)"))
}

impl Runtime {
    /// The container's changes and the directory holding their content.
    pub(crate) fn container_changes(&self, c: &crate::Container) -> Result<(Vec<Change>, PathBuf)> {
        if !c.config.rootfs.is_empty() {
            return Err(CommitError::RootfsContainer(c.name.clone()).into());
        }
        let image = self.store.lookup(&c.config.image_id)?;
        let upper = self.paths.container_dir(&c.id).join("upper");
        let mut out = Vec::new();
        if self.store.driver() == storage::Driver::Vfs {
            // vfs: `upper` is a full copy of the image's top layer, changed in place.
            let top = match image.layers.last() {
                Some(l) => Some(self.store.layer_path(l)?),
                None => None,
            };
            if fs::symlink_metadata(&upper)
                .map(|m| m.is_dir())
                .unwrap_or(false)
                && fs::read_dir(&upper)
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(false)
            {
                tree_changes(&upper, top.as_deref(), "/", &mut out)?;
            }
        } else {
            let lowers = self.mapped_lowers(c, self.store.layer_dirs(&image)?)?;
            overlay_changes(&upper, &lowers, "/", &mut out)?;
        }
        Ok((out, upper))
    }

    /// `diff CONTAINER|IMAGE`: A/C/D lines sorted by path, as podman prints them.
    pub fn diff(&self, name: &str) -> Result<Vec<Change>> {
        let mut changes = match self.state.lookup(name) {
            Ok(_) => {
                let c = self.lookup(name)?;
                let (mut ch, _) = self.container_changes(&c)?;
                ch.retain(|x| !INIT_PATHS.contains(&x.path.as_str()));
                ch
            }
            Err(LibpodError::NoSuchContainer(_)) => {
                let image = self
                    .store
                    .lookup(name)
                    .map_err(|_| CommitError::NoContainerOrImage(name.to_string()))?;
                self.image_changes(&image)?
            }
            Err(e) => return Err(e),
        };
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(changes)
    }

    /// An image's top layer against its parent.
    fn image_changes(&self, image: &storage::Image) -> Result<Vec<Change>> {
        let Some(top) = image.layers.last() else {
            return Ok(Vec::new());
        };
        let top_dir = self.store.layer_path(top)?;
        let parent_dir = match image.layers.len() {
            0 | 1 => None,
            n => Some(self.store.layer_path(&image.layers[n - 2])?),
        };
        let mut out = Vec::new();
        if self.store.driver() == storage::Driver::Vfs {
            tree_changes(&top_dir, parent_dir.as_deref(), "/", &mut out)?;
        } else {
            let lowers: Vec<PathBuf> = image.layers[..image.layers.len() - 1]
                .iter()
                .rev()
                .map(|l| self.store.layer_path(l))
                .collect::<std::result::Result<_, _>>()?;
            overlay_changes(&top_dir, &lowers, "/", &mut out)?;
        }
        Ok(out)
    }

    /// `commit`: the container's changes as a new layer on its image (or, squashed, its
    /// whole file system as the only layer), with `--change` lines applied to the config.
    pub fn commit(&self, name: &str, opts: &CommitOptions) -> Result<storage::Image> {
        let c = self.lookup(name)?;
        // A bad --change fails before anything is written.
        let mut probe = oci_spec::image::Config::default();
        storage::changes::apply_all(&mut probe, &opts.changes)?;
        if !c.config.rootfs.is_empty() {
            return Err(CommitError::RootfsContainer(c.name.clone()).into());
        }
        let image = self.store.lookup(&c.config.image_id)?;
        let paused = opts.pause && c.status() == Status::Running;
        if paused {
            self.pause(&c.id)?;
        }
        let mut res = self.commit_paused(&c, &image, opts);
        if paused {
            // Once the image is written, a container left paused is what `unpause` is for,
            // not a failed commit: the unpause is reported only with a failed commit.
            let unpaused = self.unpause(&c.id);
            res = res.map_err(|e| e.with_cleanup(unpaused.err().into_iter().collect()));
        }
        if res.is_ok() {
            self.container_event(&c, "commit");
        }
        res
    }

    fn commit_paused(
        &self,
        c: &crate::Container,
        image: &storage::Image,
        opts: &CommitOptions,
    ) -> Result<storage::Image> {
        let tmp = self.paths.container_dir(&c.id).join("commit.tar");
        let res = (|| {
            let f = fs::File::create(&tmp)
                .map_err(|e| LibpodError::io(format!("create {}", tmp.display()), e))?;
            let mut w = std::io::BufWriter::new(f);
            if opts.squash {
                let merged = self.paths.container_dir(&c.id).join("merged");
                let was_mounted = super::is_mountpoint(&merged);
                let root = self.mount(&c.id)?;
                let r = storage::dirtar::tar_dir_owned(&root, &mut w, &|u, g| {
                    super::userns_mode::owner_in_container(c, u, g)
                });
                let unmounted = if was_mounted {
                    Ok(())
                } else {
                    self.unmount(&c.id)
                };
                // A tarred root left mounted does not spoil the tar: only a failed tar
                // reports the unmount too.
                if let Err(e) = r {
                    return Err(
                        LibpodError::from(e).with_cleanup(unmounted.err().into_iter().collect())
                    );
                }
            } else {
                let (changes, root) = self.container_changes(c)?;
                layer_tar_owned(&root, &changes, &mut w, &|u, g| {
                    super::userns_mode::owner_in_container(c, u, g)
                })?;
            }
            w.flush()
                .map_err(|e| LibpodError::io(format!("write {}", tmp.display()), e))?;
            drop(w);
            let f = fs::File::open(&tmp)
                .map_err(|e| LibpodError::io(format!("open {}", tmp.display()), e))?;
            let spec = storage::commit::CommitSpec {
                name: opts.name.clone(),
                changes: opts.changes.clone(),
                author: opts.author.clone(),
                comment: opts.message.clone(),
                squash: opts.squash,
                created_by: format!("/bin/sh -c #(nop) {}", c.config.args.join(" ")),
                empty_before: Vec::new(),
            };
            Ok(storage::commit::commit(
                &self.store,
                image,
                std::io::BufReader::new(f),
                &spec,
            )?)
        })();
        let removed = fs::remove_file(&tmp)
            .map_err(|e| LibpodError::io(format!("remove {}", tmp.display()), e));
        // Once the image is committed, a tar left in the container's directory is only
        // litter (the next commit overwrites it, `rm` removes it): reported with a failure.
        res.map_err(|e| e.with_cleanup(removed.err().into_iter().collect()))
    }
}
