//! A directory tree as a tar stream (`export`): what a process inside the user namespace
//! sees, so owners are container ids, as in podman's export. Hard links are kept as links,
//! symlinks are never followed, sockets are skipped (tar cannot hold them).
//! This module must never follow a symlink or leave the directory it was given.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::error::{IoContext, StorageError};

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Write {
        what: path.display().to_string(),
        source,
    }
}

/// Writes the tree under `root` (not `root` itself) as a tar to `out`, names relative to it.
pub fn tar_dir(root: &Path, out: impl Write) -> Result<(), StorageError> {
    tar_dir_owned(root, out, &|u, g| (u, g))
}

/// [`tar_dir`] with each entry's owner passed through `owners` (a tree whose files carry the
/// ids a container's own user namespace maps, written as the container sees them).
pub fn tar_dir_owned(
    root: &Path,
    out: impl Write,
    owners: crate::copy::OwnerMap<'_>,
) -> Result<(), StorageError> {
    let mut builder = tar::Builder::new(out);
    let mut links: HashMap<(u64, u64), String> = HashMap::new();
    walk(root, "", &mut builder, &mut links, owners)?;
    builder.finish().map_err(write_err(root))
}

fn walk<W: Write>(
    dir: &Path,
    prefix: &str,
    builder: &mut tar::Builder<W>,
    links: &mut HashMap<(u64, u64), String>,
    owners: crate::copy::OwnerMap<'_>,
) -> Result<(), StorageError> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .ctx("reading", dir)?
        .collect::<Result<_, _>>()
        .ctx("reading", dir)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        append(&entry.path(), &name, builder, links, owners)?;
    }
    Ok(())
}

/// Writes `path` (not following it) as `name`, and everything under it if it is a directory,
/// owners through `owners` (`cp CTR:PATH -` of a container with its own user namespace).
pub fn tar_entry_owned(
    path: &Path,
    name: &str,
    out: impl Write,
    owners: crate::copy::OwnerMap<'_>,
) -> Result<(), StorageError> {
    let mut builder = tar::Builder::new(out);
    let mut links: HashMap<(u64, u64), String> = HashMap::new();
    append(path, name, &mut builder, &mut links, owners)?;
    builder.finish().map_err(write_err(path))
}

fn append<W: Write>(
    path: &Path,
    name: &str,
    builder: &mut tar::Builder<W>,
    links: &mut HashMap<(u64, u64), String>,
    owners: crate::copy::OwnerMap<'_>,
) -> Result<(), StorageError> {
    let meta = fs::symlink_metadata(path).ctx("reading", path)?;
    let ft = meta.file_type();
    if ft.is_socket() {
        return Ok(());
    }
    let mut h = tar::Header::new_gnu();
    h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    let (uid, gid) = owners(meta.uid(), meta.gid());
    h.set_uid(u64::from(uid));
    h.set_gid(u64::from(gid));
    if ft.is_file() && meta.nlink() > 1 {
        let key = (meta.dev(), meta.ino());
        if let Some(first) = links.get(&key) {
            h.set_entry_type(tar::EntryType::Link);
            h.set_size(0);
            builder
                .append_link(&mut h, name, first)
                .map_err(write_err(path))?;
            return Ok(());
        }
        links.insert(key, name.to_string());
    }
    if ft.is_dir() {
        h.set_size(0);
        builder
            .append_data(&mut h, format!("{name}/"), std::io::empty())
            .map_err(write_err(path))?;
        walk(path, &format!("{name}/"), builder, links, owners)?;
    } else if ft.is_symlink() {
        let target = fs::read_link(path).ctx("reading link", path)?;
        h.set_size(0);
        builder
            .append_link(&mut h, name, &target)
            .map_err(write_err(path))?;
    } else if ft.is_file() {
        let f = fs::File::open(path).ctx("opening", path)?;
        builder
            .append_data(&mut h, name, f)
            .map_err(write_err(path))?;
    } else {
        // fifos and device nodes: the header says it all.
        h.set_size(0);
        builder
            .append_data(&mut h, name, std::io::empty())
            .map_err(write_err(path))?;
    }
    Ok(())
}
