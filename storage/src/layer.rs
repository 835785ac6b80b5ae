//! Secure extraction of one layer tar into a directory, computing its diff ID in the same pass.
//!
//! Every entry name is cleaned (leading `/` stripped, `..` refused) and its parent directories
//! are resolved component by component inside the layer directory: a symlink met on the way is
//! followed *within* the layer root (an absolute target is re-rooted there, `..` stops at the
//! root), as containers/storage does with securejoin. The entry itself is never followed.
//! Hardlink targets are resolved the same way and must already exist in the layer. This module
//! must never write, link or chmod anything outside `dest`, and must never mknod a device when
//! rootless (not permitted in a user namespace: such entries are skipped).
//!
//! The destination is a private temporary directory of the store that no other process writes,
//! so checking components with `lstat` before use is race-free.

use std::collections::{HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use filetime::FileTime;
use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use nix::unistd::{Gid, Uid};
use tar::EntryType;

use crate::digest::HashingReader;
use crate::error::{IoContext, StorageError};
use crate::tarsplit::{Recorder, RecordingReader, SharedRecorder};
use crate::xattr;

/// How OCI whiteouts (`.wh.NAME`, `.wh..wh..opq`) are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whiteouts {
    /// Overlay driver: a 0:0 char device per deleted name, an opaque xattr per opaque dir.
    Overlay,
    /// Vfs driver: the layer is applied onto a copy of its parent, so whiteouts delete.
    Delete,
}

/// How to extract.
#[derive(Clone, Copy, Debug)]
pub struct ExtractOptions {
    pub whiteouts: Whiteouts,
    /// Inside a user namespace as a non-root user: skip device nodes, use `user.overlay.*`.
    pub rootless: bool,
}

impl ExtractOptions {
    /// The xattr overlayfs reads to make a directory opaque.
    pub fn opaque_xattr(&self) -> &'static str {
        if self.rootless {
            "user.overlay.opaque"
        } else {
            "trusted.overlay.opaque"
        }
    }
}

/// What extraction measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    /// `sha256:` of the uncompressed tar stream.
    pub diff_id: String,
    /// Length of the uncompressed tar stream.
    pub size: u64,
}

const MAX_SYMLINK_HOPS: usize = 40;
const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";

struct Extractor<'a> {
    root: &'a Path,
    layer: &'a str,
    opts: ExtractOptions,
    /// Directories whose mode and times are set last, when nothing more is written in them.
    dirs: Vec<(PathBuf, u32, FileTime)>,
    /// Paths written by this layer (Delete mode only: whiteouts must spare them).
    written: HashSet<PathBuf>,
    /// The tar-split record being written, if asked for.
    recorder: Option<SharedRecorder>,
    /// Copy buffer for file contents (io::copy's 8 KiB means a write call per 8 KiB).
    buf: Vec<u8>,
}

/// Copies a file's contents with a large buffer; returns the bytes copied.
fn copy_file_data(
    src: &mut impl Read,
    dst: &mut impl io::Write,
    buf: &mut Vec<u8>,
) -> io::Result<u64> {
    if buf.is_empty() {
        buf.resize(COPY_BUF, 0);
    }
    let mut total = 0;
    loop {
        let n = match src.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        dst.write_all(&buf[..n])?;
        total += n as u64;
    }
}

const COPY_BUF: usize = 256 * 1024;

/// Extracts the plain (already decompressed) tar `reader` into `dest`, which must exist.
/// `layer` names the layer in errors. With `record`, the tar-split record that lets
/// [`crate::tarsplit::LayerTar`] rebuild the exact stream is written there.
pub fn extract(
    reader: impl Read,
    dest: &Path,
    opts: ExtractOptions,
    layer: &str,
    record: Option<&Path>,
) -> Result<Extracted, StorageError> {
    let mut hashing = HashingReader::new(reader);
    let recorder = record.map(Recorder::create).transpose()?;
    let mut ex = Extractor {
        root: dest,
        layer,
        opts,
        dirs: Vec::new(),
        written: HashSet::new(),
        recorder: recorder.clone(),
        buf: Vec::new(),
    };
    let read_err = |source| StorageError::Read {
        what: format!("layer {layer}"),
        source,
    };
    let mut source: Box<dyn Read + '_> = match &recorder {
        Some(r) => Box::new(RecordingReader::new(&mut hashing, r.clone())),
        None => Box::new(&mut hashing),
    };
    {
        let mut archive = tar::Archive::new(&mut source);
        let entries = archive.entries().map_err(read_err)?;
        let mut seen_any = false;
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) if !seen_any => {
                    return Err(StorageError::NotAnArchive(format!("{layer}: {e}")));
                }
                Err(e) => return Err(read_err(e)),
            };
            seen_any = true;
            ex.entry(entry)?;
        }
    }
    ex.finish_dirs()?;
    // The stream goes on after the tar's end blocks (padding): it is part of the diff ID,
    // so the record must hold it too.
    io::copy(&mut source, &mut io::sink()).map_err(read_err)?;
    drop(source);
    drop(ex);
    if let Some(r) = recorder {
        Recorder::finish(r)?;
    }
    let (diff_id, size) = hashing.finish().map_err(read_err)?;
    if size == 0 {
        return Err(StorageError::NotAnArchive(format!("{layer}: empty input")));
    }
    Ok(Extracted { diff_id, size })
}

/// Splits a tar name into clean components: no empty, no `.`, and `..` refused.
fn clean_name(raw: &[u8]) -> Option<Vec<OsString>> {
    let mut out = Vec::new();
    for c in raw.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return None,
            _ => out.push(OsStr::from_bytes(c).to_os_string()),
        }
    }
    Some(out)
}

/// Removes whatever is at `path` (file, symlink, device or whole directory tree).
pub(crate) fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

struct Meta {
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: FileTime,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Extractor<'_> {
    fn unsafe_entry(&self, entry: &[u8], reason: &str) -> StorageError {
        StorageError::UnsafeEntry {
            layer: self.layer.to_string(),
            entry: String::from_utf8_lossy(entry).into_owned(),
            reason: reason.to_string(),
        }
    }

    /// Resolves parent components to a real directory inside the root, following symlinks
    /// only within it. With `create`, missing directories are made (mode 0755).
    /// Returns `None` if a component is missing and `create` is false.
    fn resolve_dir(
        &self,
        comps: &[OsString],
        create: bool,
        name: &[u8],
    ) -> Result<Option<PathBuf>, StorageError> {
        let mut current: Vec<OsString> = Vec::new();
        let mut queue: VecDeque<OsString> = comps.iter().cloned().collect();
        let mut hops = 0;
        while let Some(c) = queue.pop_front() {
            if c.is_empty() || c == "." {
                continue;
            }
            if c == ".." {
                current.pop();
                continue;
            }
            let mut candidate = self.root.to_path_buf();
            candidate.extend(current.iter());
            candidate.push(&c);
            match fs::symlink_metadata(&candidate) {
                Ok(m) if m.is_dir() => current.push(c),
                Ok(m) if m.file_type().is_symlink() => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(self.unsafe_entry(name, "has too many levels of symlinks"));
                    }
                    let target = fs::read_link(&candidate).ctx("reading symlink", &candidate)?;
                    let bytes = target.as_os_str().as_bytes();
                    if bytes.starts_with(b"/") {
                        current.clear();
                    }
                    for part in bytes.split(|&b| b == b'/').rev() {
                        queue.push_front(OsStr::from_bytes(part).to_os_string());
                    }
                }
                Ok(_) => {
                    return Err(self.unsafe_entry(name, "has a parent that is not a directory"));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if !create {
                        return Ok(None);
                    }
                    fs::create_dir(&candidate).ctx("creating directory", &candidate)?;
                    current.push(c);
                }
                Err(e) => return Err(StorageError::io("inspecting", candidate, e)),
            }
        }
        let mut out = self.root.to_path_buf();
        out.extend(current.iter());
        Ok(Some(out))
    }

    fn entry<R: Read>(&mut self, mut entry: tar::Entry<'_, R>) -> Result<(), StorageError> {
        let raw_name = entry.path_bytes().into_owned();
        let comps = clean_name(&raw_name)
            .ok_or_else(|| self.unsafe_entry(&raw_name, "escapes the layer directory (..)"))?;
        let kind = entry.header().entry_type();
        let meta = self.meta(&mut entry, &raw_name)?;

        let Some((base, parents)) = comps.split_last() else {
            // "./" describes the layer root itself.
            if kind.is_dir() {
                self.apply_owner(self.root, &meta)?;
                self.dirs
                    .push((self.root.to_path_buf(), meta.mode, meta.mtime));
            }
            return Ok(());
        };

        let base_bytes = base.as_bytes();
        if let Some(hidden) = base_bytes.strip_prefix(WHITEOUT_PREFIX.as_bytes()) {
            return self.whiteout(parents, base_bytes, hidden, &raw_name);
        }

        let Some(parent) = self.resolve_dir(parents, true, &raw_name)? else {
            return Ok(());
        };
        let path = parent.join(base);

        match kind {
            EntryType::Directory => {
                match fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        remove_any(&path).ctx("replacing", &path)?;
                        fs::create_dir(&path).ctx("creating directory", &path)?;
                    }
                    Err(_) => fs::create_dir(&path).ctx("creating directory", &path)?,
                }
                self.apply_owner(&path, &meta)?;
                self.apply_xattrs(&path, &meta);
                self.dirs.push((path.clone(), meta.mode, meta.mtime));
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                remove_any(&path).ctx("replacing", &path)?;
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                    .open(&path)
                    .ctx("creating", &path)?;
                if let Some(r) = &self.recorder
                    && kind != EntryType::GNUSparse
                {
                    // Sparse payloads are not the file's bytes: they stay raw in the record.
                    let rel = path.strip_prefix(self.root).unwrap_or(&path);
                    r.borrow_mut().payload(rel, entry.size())?;
                }
                copy_file_data(&mut entry, &mut file, &mut self.buf).map_err(|source| {
                    StorageError::Read {
                        what: format!("layer {} entry {}", self.layer, path.display()),
                        source,
                    }
                })?;
                drop(file);
                self.apply_owner(&path, &meta)?;
                fs::set_permissions(&path, fs::Permissions::from_mode(meta.mode))
                    .ctx("chmod", &path)?;
                self.apply_xattrs(&path, &meta);
                self.apply_times(&path, &meta)?;
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| self.unsafe_entry(&raw_name, "is a symlink without target"))?
                    .into_owned();
                remove_any(&path).ctx("replacing", &path)?;
                // The target is stored verbatim: it is only ever resolved inside the layer
                // (by resolve_dir) or inside the container's root by the kernel.
                std::os::unix::fs::symlink(OsStr::from_bytes(&target), &path)
                    .ctx("creating symlink", &path)?;
                self.apply_owner(&path, &meta)?;
                self.apply_xattrs(&path, &meta);
                self.apply_times(&path, &meta)?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| self.unsafe_entry(&raw_name, "is a hardlink without target"))?
                    .into_owned();
                let source = self.resolve_link_target(&target, &raw_name)?;
                if source == path {
                    return Ok(());
                }
                remove_any(&path).ctx("replacing", &path)?;
                // linkat without AT_SYMLINK_FOLLOW: a symlink target is linked itself.
                fs::hard_link(&source, &path).ctx("creating hardlink", &path)?;
            }
            EntryType::Char | EntryType::Block => {
                if self.opts.rootless {
                    // mknod of real devices is not permitted in a user namespace; podman
                    // skips them too.
                    return Ok(());
                }
                let major = entry.header().device_major().ok().flatten().unwrap_or(0);
                let minor = entry.header().device_minor().ok().flatten().unwrap_or(0);
                let sflag = if kind == EntryType::Char {
                    SFlag::S_IFCHR
                } else {
                    SFlag::S_IFBLK
                };
                remove_any(&path).ctx("replacing", &path)?;
                match mknod(
                    &path,
                    sflag,
                    Mode::from_bits_truncate(0o600),
                    makedev(major.into(), minor.into()),
                ) {
                    Ok(()) => {}
                    // Not permitted in a user namespace even when `rootless` was not said:
                    // skip like podman rather than fail the whole image.
                    Err(nix::Error::EPERM) => return Ok(()),
                    Err(e) => return Err(StorageError::sys("mknod", &path, e)),
                }
                self.finish_special(&path, &meta)?;
            }
            EntryType::Fifo => {
                remove_any(&path).ctx("replacing", &path)?;
                mknod(&path, SFlag::S_IFIFO, Mode::from_bits_truncate(0o600), 0)
                    .map_err(|e| StorageError::sys("mkfifo", &path, e))?;
                self.finish_special(&path, &meta)?;
            }
            // pax/GNU headers are consumed by the tar crate; anything else has no file form.
            _ => return Ok(()),
        }
        if self.opts.whiteouts == Whiteouts::Delete {
            self.written.insert(path);
        }
        Ok(())
    }

    fn finish_special(&self, path: &Path, meta: &Meta) -> Result<(), StorageError> {
        self.apply_owner(path, meta)?;
        fs::set_permissions(path, fs::Permissions::from_mode(meta.mode)).ctx("chmod", path)?;
        self.apply_xattrs(path, meta);
        self.apply_times(path, meta)
    }

    fn meta<R: Read>(
        &self,
        entry: &mut tar::Entry<'_, R>,
        name: &[u8],
    ) -> Result<Meta, StorageError> {
        let h = entry.header();
        let bad = |what: &str| self.unsafe_entry(name, &format!("has an invalid {what} field"));
        let mut m = Meta {
            mode: h.mode().map_err(|_| bad("mode"))? & 0o7777,
            uid: h.uid().map_err(|_| bad("uid"))?,
            gid: h.gid().map_err(|_| bad("gid"))?,
            mtime: FileTime::from_unix_time(h.mtime().map_err(|_| bad("mtime"))? as i64, 0),
            xattrs: Vec::new(),
        };
        if let Ok(Some(exts)) = entry.pax_extensions() {
            for ext in exts.flatten() {
                let key = ext.key_bytes();
                let value = ext.value_bytes();
                let num = || std::str::from_utf8(value).ok()?.parse::<u64>().ok();
                if let Some(xname) = key.strip_prefix(b"SCHILY.xattr.") {
                    m.xattrs.push((xname.to_vec(), value.to_vec()));
                } else if key == b"uid" {
                    m.uid = num().ok_or_else(|| bad("pax uid"))?;
                } else if key == b"gid" {
                    m.gid = num().ok_or_else(|| bad("pax gid"))?;
                }
            }
        }
        Ok(m)
    }

    fn apply_owner(&self, path: &Path, meta: &Meta) -> Result<(), StorageError> {
        // u32::MAX means "leave unchanged" to chown(2): as an image id it is simply unmappable.
        let uid = u32::try_from(meta.uid).ok().filter(|&v| v != u32::MAX);
        let gid = u32::try_from(meta.gid).ok().filter(|&v| v != u32::MAX);
        let result = match (uid, gid) {
            (Some(u), Some(g)) => nix::unistd::fchownat(
                nix::fcntl::AT_FDCWD,
                path,
                Some(Uid::from_raw(u)),
                Some(Gid::from_raw(g)),
                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
            ),
            _ => Err(nix::Error::EINVAL),
        };
        match result {
            Ok(()) => Ok(()),
            Err(e @ (nix::Error::EINVAL | nix::Error::EPERM)) => {
                Err(StorageError::InsufficientIds {
                    uid: meta.uid,
                    gid: meta.gid,
                    path: path.to_path_buf(),
                    source: e,
                })
            }
            Err(e) => Err(StorageError::sys("lchown", path, e)),
        }
    }

    fn apply_xattrs(&self, path: &Path, meta: &Meta) {
        for (name, value) in &meta.xattrs {
            if xattr::is_overlay_private(name) {
                continue;
            }
            // "Where allowed": security.* and trusted.* need privileges a user namespace may
            // lack, user.* is refused on symlinks and some file systems have no xattrs at all;
            // the file is usable without them, as with podman's ignore_chown_errors.
            let _ = xattr::lset(path, OsStr::from_bytes(name), value);
        }
    }

    fn apply_times(&self, path: &Path, meta: &Meta) -> Result<(), StorageError> {
        filetime::set_symlink_file_times(path, meta.mtime, meta.mtime).ctx("setting times", path)
    }

    fn resolve_link_target(&self, target: &[u8], name: &[u8]) -> Result<PathBuf, StorageError> {
        let comps = clean_name(target)
            .ok_or_else(|| self.unsafe_entry(name, "links to a target outside the layer (..)"))?;
        let Some((base, parents)) = comps.split_last() else {
            return Err(self.unsafe_entry(name, "links to the layer root"));
        };
        let missing = || self.unsafe_entry(name, "links to a target that is not in the layer");
        let dir = self
            .resolve_dir(parents, false, name)?
            .ok_or_else(missing)?;
        let source = dir.join(base);
        match fs::symlink_metadata(&source) {
            Ok(m) if m.is_dir() => Err(self.unsafe_entry(name, "links to a directory")),
            Ok(_) => Ok(source),
            Err(_) => Err(missing()),
        }
    }

    fn whiteout(
        &mut self,
        parents: &[OsString],
        base: &[u8],
        hidden: &[u8],
        raw_name: &[u8],
    ) -> Result<(), StorageError> {
        let opaque = base == OPAQUE_WHITEOUT.as_bytes();
        if !opaque && hidden.starts_with(WHITEOUT_PREFIX.as_bytes()) {
            // Other `.wh..wh.*` names are aufs bookkeeping with no meaning here.
            return Ok(());
        }
        if hidden.is_empty() {
            return Err(self.unsafe_entry(raw_name, "is a whiteout without a name"));
        }
        match self.opts.whiteouts {
            Whiteouts::Overlay => {
                let Some(dir) = self.resolve_dir(parents, true, raw_name)? else {
                    return Ok(());
                };
                if opaque {
                    let name = OsStr::new(self.opts.opaque_xattr());
                    xattr::lset(&dir, name, b"y").ctx("setting opaque xattr on", &dir)?;
                } else {
                    let path = dir.join(OsStr::from_bytes(hidden));
                    remove_any(&path).ctx("replacing", &path)?;
                    // A 0:0 character device is overlayfs' whiteout; creating one needs no
                    // privilege since Linux 5.8, also in a user namespace.
                    mknod(&path, SFlag::S_IFCHR, Mode::empty(), makedev(0, 0))
                        .map_err(|e| StorageError::sys("creating whiteout", &path, e))?;
                }
            }
            Whiteouts::Delete => {
                let Some(dir) = self.resolve_dir(parents, false, raw_name)? else {
                    return Ok(());
                };
                if opaque {
                    let children = fs::read_dir(&dir).ctx("reading", &dir)?;
                    for child in children {
                        let child = child.ctx("reading", &dir)?.path();
                        if !self.written.contains(&child) {
                            remove_any(&child).ctx("removing", &child)?;
                        }
                    }
                } else {
                    let path = dir.join(OsStr::from_bytes(hidden));
                    if !self.written.contains(&path) {
                        remove_any(&path).ctx("removing", &path)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// True if `path` and every component between the root and it is a real directory.
    fn is_real_dir(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(self.root) else {
            return false;
        };
        let mut cur = self.root.to_path_buf();
        for c in rel.components() {
            cur.push(c);
            match fs::symlink_metadata(&cur) {
                Ok(m) if m.is_dir() => {}
                _ => return false,
            }
        }
        true
    }

    /// Directory modes and times last: writing children changes a directory's mtime, and a
    /// read-only mode must not stop the extraction of its children.
    fn finish_dirs(&mut self) -> Result<(), StorageError> {
        for (path, mode, mtime) in self.dirs.iter().rev() {
            // A later entry may have replaced this directory, or one of its parents, by a
            // symlink: chmod follows symlinks, so only touch what is still a real directory
            // reached through real directories.
            if !self.is_real_dir(path) {
                continue;
            }
            fs::set_permissions(path, fs::Permissions::from_mode(*mode)).ctx("chmod", path)?;
            filetime::set_symlink_file_times(path, *mtime, *mtime).ctx("setting times", path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "layer_tests.rs"]
mod tests;
