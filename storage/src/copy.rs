//! Copies a directory tree exactly (types, owners, modes, times, xattrs, hardlinks): how the
//! vfs driver makes a layer snapshot from its parent and a container's root from an image.
//! This module must never follow a symlink in the source nor write outside the destination.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{self, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use filetime::FileTime;
use nix::sys::stat::{Mode, SFlag, mknod};
use nix::unistd::{Gid, Uid};

use crate::error::{IoContext, StorageError};
use crate::xattr;

/// New owners for copied files: (uid, gid) of the source to (uid, gid) of the copy.
pub type OwnerMap<'a> = &'a dyn Fn(u32, u32) -> (u32, u32);

struct Copier<'a> {
    /// (dev, ino) of multiply-linked source files → their first copy.
    links: HashMap<(u64, u64), std::path::PathBuf>,
    /// Directories get mode and times after their contents are written.
    dirs: Vec<(std::path::PathBuf, Metadata)>,
    owners: Option<OwnerMap<'a>>,
}

/// Copies `src` (a directory) to `dst`, which must not exist yet.
pub fn copy_tree(src: &Path, dst: &Path) -> Result<(), StorageError> {
    copy_tree_owned(src, dst, None)
}

/// [`copy_tree`] giving every copy the owner `owners` maps its source's owner to (a layer
/// copy shifted for a container's user namespace).
pub fn copy_tree_owned(
    src: &Path,
    dst: &Path,
    owners: Option<OwnerMap<'_>>,
) -> Result<(), StorageError> {
    let mut c = Copier {
        links: HashMap::new(),
        dirs: Vec::new(),
        owners,
    };
    let meta = fs::symlink_metadata(src).ctx("inspecting", src)?;
    c.copy(src, dst, &meta)?;
    for (path, meta) in c.dirs.iter().rev() {
        fs::set_permissions(path, fs::Permissions::from_mode(meta.mode() & 0o7777))
            .ctx("chmod", path)?;
        let t = FileTime::from_last_modification_time(meta);
        filetime::set_symlink_file_times(path, t, t).ctx("setting times", path)?;
    }
    Ok(())
}

/// Copies what is inside `src` into the existing directory `dst` (a new volume's copy-up),
/// then gives `dst` the owner and mode of `src`, so the volume looks like the image's dir.
pub fn copy_contents(src: &Path, dst: &Path) -> Result<(), StorageError> {
    let mut c = Copier {
        links: HashMap::new(),
        dirs: Vec::new(),
        owners: None,
    };
    for entry in fs::read_dir(src).ctx("reading", src)? {
        let entry = entry.ctx("reading", src)?;
        let meta = fs::symlink_metadata(entry.path()).ctx("inspecting", entry.path())?;
        c.copy(&entry.path(), &dst.join(entry.file_name()), &meta)?;
    }
    for (path, meta) in c.dirs.iter().rev() {
        fs::set_permissions(path, fs::Permissions::from_mode(meta.mode() & 0o7777))
            .ctx("chmod", path)?;
        let t = FileTime::from_last_modification_time(meta);
        filetime::set_symlink_file_times(path, t, t).ctx("setting times", path)?;
    }
    let meta = fs::symlink_metadata(src).ctx("inspecting", src)?;
    c.finish(src, dst, &meta)?;
    fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777)).ctx("chmod", dst)
}

impl Copier<'_> {
    fn copy(&mut self, src: &Path, dst: &Path, meta: &Metadata) -> Result<(), StorageError> {
        let ft = meta.file_type();
        if ft.is_dir() {
            fs::create_dir(dst).ctx("creating directory", dst)?;
            self.finish(src, dst, meta)?;
            self.dirs.push((dst.to_path_buf(), meta.clone()));
            for entry in fs::read_dir(src).ctx("reading", src)? {
                let entry = entry.ctx("reading", src)?;
                let child_meta =
                    fs::symlink_metadata(entry.path()).ctx("inspecting", entry.path())?;
                self.copy(&entry.path(), &dst.join(entry.file_name()), &child_meta)?;
            }
            return Ok(());
        }
        if meta.nlink() > 1 {
            if let Some(first) = self.links.get(&(meta.dev(), meta.ino())) {
                return fs::hard_link(first, dst).ctx("creating hardlink", dst);
            }
            self.links
                .insert((meta.dev(), meta.ino()), dst.to_path_buf());
        }
        if ft.is_symlink() {
            let target = fs::read_link(src).ctx("reading symlink", src)?;
            std::os::unix::fs::symlink(&target, dst).ctx("creating symlink", dst)?;
        } else if ft.is_file() {
            fs::copy(src, dst).ctx("copying to", dst)?;
        } else {
            let kind = if ft.is_char_device() {
                SFlag::S_IFCHR
            } else if ft.is_block_device() {
                SFlag::S_IFBLK
            } else if ft.is_fifo() {
                SFlag::S_IFIFO
            } else {
                return Ok(()); // sockets have no meaning in an image
            };
            match mknod(dst, kind, Mode::from_bits_truncate(0o600), meta.rdev()) {
                Ok(()) => {}
                // Devices cannot be created in a user namespace; podman skips them too.
                Err(nix::Error::EPERM) if kind != SFlag::S_IFIFO => return Ok(()),
                Err(e) => return Err(StorageError::sys("mknod", dst, e)),
            }
        }
        self.finish(src, dst, meta)?;
        if !ft.is_symlink() {
            fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777))
                .ctx("chmod", dst)?;
        }
        let t = FileTime::from_last_modification_time(meta);
        filetime::set_symlink_file_times(dst, t, t).ctx("setting times", dst)
    }

    /// Owner, then xattrs (chown clears security.capability, so xattrs come after it).
    fn finish(&self, src: &Path, dst: &Path, meta: &Metadata) -> Result<(), StorageError> {
        let (uid, gid) = match self.owners {
            Some(map) => map(meta.uid(), meta.gid()),
            None => (meta.uid(), meta.gid()),
        };
        nix::unistd::fchownat(
            nix::fcntl::AT_FDCWD,
            dst,
            Some(Uid::from_raw(uid)),
            Some(Gid::from_raw(gid)),
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map_err(|e| StorageError::sys("lchown", dst, e))?;
        // Xattrs are copied where the file system and our privileges allow.
        for name in xattr::llist(src).unwrap_or_default() {
            let name = OsStr::from_bytes(&name);
            if let Ok(Some(value)) = xattr::lget(src, name) {
                let _ = xattr::lset(dst, name, &value);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_types_modes_links_and_times() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src");
        fs::create_dir_all(src.join("d")).unwrap();
        fs::write(src.join("d/f"), b"data").unwrap();
        fs::set_permissions(src.join("d/f"), fs::Permissions::from_mode(0o4750)).unwrap();
        fs::hard_link(src.join("d/f"), src.join("hl")).unwrap();
        std::os::unix::fs::symlink("d/f", src.join("sl")).unwrap();
        fs::set_permissions(src.join("d"), fs::Permissions::from_mode(0o500)).unwrap();
        let old = FileTime::from_unix_time(1_000_000, 0);
        filetime::set_symlink_file_times(src.join("d"), old, old).unwrap();

        let dst = t.path().join("dst");
        copy_tree(&src, &dst).unwrap();
        assert_eq!(fs::read(dst.join("d/f")).unwrap(), b"data");
        let m = fs::metadata(dst.join("d/f")).unwrap();
        assert_eq!(m.mode() & 0o7777, 0o4750);
        assert_eq!(m.nlink(), 2);
        assert_eq!(m.ino(), fs::metadata(dst.join("hl")).unwrap().ino());
        assert_eq!(fs::read_link(dst.join("sl")).unwrap(), Path::new("d/f"));
        let d = fs::metadata(dst.join("d")).unwrap();
        assert_eq!(d.mode() & 0o7777, 0o500);
        assert_eq!(d.mtime(), 1_000_000);
        fs::set_permissions(src.join("d"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(dst.join("d"), fs::Permissions::from_mode(0o700)).unwrap();
    }
}
