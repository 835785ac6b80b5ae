//! COPY and ADD without a container: the sources (globs over the build context, or over an
//! earlier stage's or an image's root file system) become a layer tar directly, with docker's
//! destination rules. The same writer, pointed at a hasher with times zeroed, gives the
//! content hash of a step's sources for the build cache. This module only reads sources.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::ignore::{Ignore, glob};
use crate::in_root::resolve_in_root;

/// Where COPY reads from: a directory, and the ignore rules that apply to it (the context's).
pub struct SourceRoot<'a> {
    pub dir: &'a Path,
    pub ignore: Option<&'a Ignore>,
}

/// `filepath.Clean` of a path inside a root, relative, `""` for the root itself.
pub fn clean_rel(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

impl SourceRoot<'_> {
    /// `rel` with every symlink in it resolved inside the root, relative to the root; `None`
    /// when it names nothing (a link to a directory outside the context, for one).
    fn real_dir(&self, rel: &str) -> Result<Option<String>, String> {
        if rel.is_empty() {
            return Ok(Some(String::new()));
        }
        let real = resolve_in_root(self.dir, rel, true).map_err(|e| e.to_string())?;
        let Ok(inside) = real.strip_prefix(self.dir) else {
            return Ok(None);
        };
        Ok(real.is_dir().then(|| inside.to_string_lossy().into_owned()))
    }

    fn excluded(&self, rel: &str) -> bool {
        !rel.is_empty() && self.ignore.is_some_and(|i| i.excludes(rel))
    }

    /// The paths (relative to the root) a COPY source pattern names; an error names the
    /// pattern when nothing matches. Every directory on the way is resolved inside the root
    /// (a symlink to `/etc` names the root's `etc`, `..` stops at the root), so no pattern
    /// reaches a file outside it; the last component is returned as it is, a symlink
    /// included, and copied as a symlink.
    pub fn resolve(&self, pattern: &str) -> Result<Vec<String>, String> {
        let cleaned = clean_rel(pattern);
        let mut found = vec![String::new()];
        for seg in cleaned.split('/').filter(|s| !s.is_empty()) {
            let mut next = Vec::new();
            for base in &found {
                let Some(real) = self.real_dir(base)? else {
                    continue;
                };
                let join = |n: &str| {
                    if real.is_empty() {
                        n.to_string()
                    } else {
                        format!("{real}/{n}")
                    }
                };
                if !has_meta(seg) {
                    let p = join(seg);
                    if fs::symlink_metadata(self.dir.join(&p)).is_ok() {
                        next.push(p);
                    }
                    continue;
                }
                let Ok(rd) = fs::read_dir(self.dir.join(&real)) else {
                    continue;
                };
                let pat: Vec<char> = seg.chars().collect();
                let mut names: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| glob(&pat, &n.chars().collect::<Vec<_>>()))
                    .collect();
                names.sort();
                next.extend(names.iter().map(|n| join(n)));
            }
            found = next;
        }
        found.retain(|p| !self.excluded(p));
        if found.is_empty() {
            return Err(format!(
                "no such file or directory: {pattern:?} is not in the build context (or is excluded by .dockerignore)"
            ));
        }
        Ok(found)
    }
}

/// Ownership and mode applied to everything copied.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attrs {
    pub uid: u32,
    pub gid: u32,
    pub chmod: Option<u32>,
    /// Hashing: times are left out so that a touched but unchanged file still hits the cache.
    pub zero_times: bool,
}

/// Writes layer entries; remembers the directories written so parents are emitted once.
pub struct LayerWriter<W: Write> {
    tar: tar::Builder<W>,
    attrs: Attrs,
    dirs: HashSet<String>,
}

fn header(meta: Option<&fs::Metadata>, kind: tar::EntryType, attrs: &Attrs) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    let mode = meta.map_or(0o755, |m| m.permissions().mode() & 0o7777);
    h.set_mode(match attrs.chmod {
        Some(m) if kind != tar::EntryType::Symlink => m,
        _ => mode,
    });
    h.set_uid(u64::from(attrs.uid));
    h.set_gid(u64::from(attrs.gid));
    let mtime = if attrs.zero_times {
        0
    } else {
        meta.map_or(0, |m| m.mtime().max(0) as u64)
    };
    h.set_mtime(mtime);
    h.set_size(0);
    h
}

impl<W: Write> LayerWriter<W> {
    pub fn new(out: W, attrs: Attrs) -> Self {
        LayerWriter {
            tar: tar::Builder::new(out),
            attrs,
            dirs: HashSet::new(),
        }
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.tar.finish()?;
        self.tar.into_inner()
    }

    /// A directory entry (for a created parent or WORKDIR); `exists` skips it when the image
    /// already has it, so its owner and mode are kept.
    pub fn dir(&mut self, rel: &str, meta: Option<&fs::Metadata>) -> io::Result<()> {
        if rel.is_empty() || !self.dirs.insert(rel.to_string()) {
            return Ok(());
        }
        let mut h = header(meta, tar::EntryType::Directory, &self.attrs);
        self.tar.append_data(&mut h, format!("{rel}/"), io::empty())
    }

    /// Directory entries for every parent of `rel` that `exists` says the image lacks.
    pub fn parents(&mut self, rel: &str, exists: &dyn Fn(&str) -> bool) -> io::Result<()> {
        let mut acc = String::new();
        let parts: Vec<&str> = rel.split('/').collect();
        for seg in &parts[..parts.len().saturating_sub(1)] {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(seg);
            if !self.dirs.contains(&acc) && !exists(&acc) {
                self.dir(&acc.clone(), None)?;
            }
        }
        Ok(())
    }

    /// A file with the given content (COPY heredocs).
    pub fn data(&mut self, rel: &str, content: &[u8]) -> io::Result<()> {
        let mut h = header(None, tar::EntryType::Regular, &self.attrs);
        if self.attrs.chmod.is_none() {
            h.set_mode(0o644);
        }
        h.set_size(content.len() as u64);
        self.tar.append_data(&mut h, rel, content)
    }

    /// `src` (a file, link or directory of `root`) written as `dest`; a directory's content
    /// goes under `dest`, children excluded by the root's ignore rules left out.
    pub fn copy(
        &mut self,
        root: &SourceRoot<'_>,
        src_rel: &str,
        dest: &str,
        dir_self: bool,
    ) -> io::Result<()> {
        let src = root.dir.join(src_rel);
        let meta = fs::symlink_metadata(&src)?;
        let ft = meta.file_type();
        if ft.is_dir() {
            if dir_self {
                self.dirs.remove(dest);
                self.dir(dest, Some(&meta))?;
            }
            let mut names: Vec<String> = fs::read_dir(&src)?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for n in names {
                let child = if src_rel.is_empty() {
                    n.clone()
                } else {
                    format!("{src_rel}/{n}")
                };
                if root.excluded(&child)
                    && !root.ignore.is_some_and(|i| i.may_reinclude_under(&child))
                {
                    continue;
                }
                let d = if dest.is_empty() {
                    n.clone()
                } else {
                    format!("{dest}/{n}")
                };
                self.copy(root, &child, &d, true)?;
            }
            return Ok(());
        }
        if root.excluded(src_rel) {
            return Ok(());
        }
        if ft.is_symlink() {
            let target = fs::read_link(&src)?;
            let mut h = header(Some(&meta), tar::EntryType::Symlink, &self.attrs);
            return self.tar.append_link(&mut h, dest, target);
        }
        if ft.is_file() {
            let mut h = header(Some(&meta), tar::EntryType::Regular, &self.attrs);
            h.set_size(meta.len());
            let f = fs::File::open(&src)?;
            return self.tar.append_data(&mut h, dest, f.take(meta.len()));
        }
        Ok(()) // sockets, devices and fifos are not copied, as with docker
    }

    /// ADD of a local archive: its entries re-rooted under `dest`.
    pub fn extract(&mut self, archive: impl Read, dest: &str) -> io::Result<()> {
        let mut ar = tar::Archive::new(archive);
        for entry in ar.entries()? {
            let mut entry = entry?;
            let path = entry.path()?.to_string_lossy().into_owned();
            let rel = clean_rel(&path);
            if rel.is_empty() {
                continue;
            }
            let full = if dest.is_empty() {
                rel
            } else {
                format!("{dest}/{rel}")
            };
            let mut h = entry.header().clone();
            let kind = h.entry_type();
            if self.attrs.zero_times {
                h.set_mtime(0);
            }
            if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name()?
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                // A hard link's target is a path inside the archive: re-root it too.
                let target = if kind.is_hard_link() {
                    format!("{dest}/{}", clean_rel(&target))
                        .trim_start_matches('/')
                        .to_string()
                } else {
                    target
                };
                h.set_size(0);
                self.tar.append_link(&mut h, &full, target)?;
            } else if kind.is_dir() {
                if self.dirs.insert(full.clone()) {
                    self.tar
                        .append_data(&mut h, format!("{full}/"), io::empty())?;
                }
            } else {
                self.tar.append_data(&mut h, &full, &mut entry)?;
            }
        }
        Ok(())
    }
}

/// True if the file looks like an archive ADD should unpack (tar, maybe compressed).
pub fn is_archive(path: &Path) -> bool {
    let Ok(f) = fs::File::open(path) else {
        return false;
    };
    let Ok(mut r) = storage::compression::decompress(f, &path.display().to_string()) else {
        return false;
    };
    let mut block = [0u8; 512];
    if r.read_exact(&mut block).is_err() {
        return false;
    }
    &block[257..262] == b"ustar"
}

/// A `Write` that only hashes (the cache key of COPY sources).
pub struct HashWriter(pub sha2::Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        sha2::Digest::update(&mut self.0, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A scratch file for a layer, removed when dropped.
pub struct TempFile(pub PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_and_resolve_globs() {
        assert_eq!(clean_rel("./a//b/../c/"), "a/c");
        assert_eq!(clean_rel("/"), "");
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.txt", "b.txt", "c.md", "sub/d.txt", "skip.txt"] {
            let p = dir.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, f).unwrap();
        }
        let ignore = Ignore::parse("skip.txt\n");
        let root = SourceRoot {
            dir: dir.path(),
            ignore: Some(&ignore),
        };
        assert_eq!(root.resolve("*.txt").unwrap(), vec!["a.txt", "b.txt"]);
        assert_eq!(root.resolve("./sub/*.txt").unwrap(), vec!["sub/d.txt"]);
        assert_eq!(root.resolve(".").unwrap(), vec![""]);
        assert!(root.resolve("skip.txt").is_err());
        assert!(root.resolve("nope").unwrap_err().contains("\"nope\""));
    }
}
