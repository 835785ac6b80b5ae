//! `artifact extract`: an artifact's blobs copied out to a file or into a directory. In a
//! directory each blob is written under its title (or digest), which must name a plain entry
//! directly inside that directory: never a path through `..`, never through an existing
//! symbolic link. Files are written to a temporary name in the same directory and renamed, so
//! a failed extraction leaves no partial file behind.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::{Artifact, ArtifactError, ArtifactStore, blob_file_name};

/// `--digest` / `--title`: only the one blob.
#[derive(Clone, Debug, Default)]
pub struct ExtractOptions {
    pub digest: Option<String>,
    pub title: Option<String>,
}

/// The digest of the single blob `opts` selects (podman's matching).
fn find_blob(art: &Artifact, opts: &ExtractOptions) -> Result<String, ArtifactError> {
    let (what, value) = match (&opts.digest, &opts.title) {
        (Some(d), _) => ("digest", d.as_str()),
        (None, Some(t)) => ("title", t.as_str()),
        (None, None) => ("digest", ""),
    };
    let hits: Vec<&str> = art
        .manifest
        .layers
        .iter()
        .filter(|l| match what {
            "digest" => l.digest == value,
            _ => l.title() == Some(value),
        })
        .map(|l| l.digest.as_str())
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(ArtifactError::NoSuchBlob {
            what,
            value: value.to_string(),
        }),
        _ => Err(ArtifactError::AmbiguousBlob {
            what,
            value: value.to_string(),
        }),
    }
}

/// Copies blob `digest` to `dest` via a temporary file beside it.
fn copy_blob(store: &ArtifactStore, digest: &str, dest: &Path) -> Result<(), ArtifactError> {
    let src = store.blob_path(digest)?;
    let mut from = File::open(&src).map_err(|e| ArtifactError::io("open", &src, e))?;
    let dir = dest.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.burrow-extract-{}",
        dest.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    // create_new never follows a symbolic link planted at the temporary name.
    let mut to = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| ArtifactError::io("create", &tmp, e))?;
    let copied = io::copy(&mut from, &mut to).and_then(|_| to.sync_all());
    if let Err(e) = copied {
        let _ = fs::remove_file(&tmp);
        return Err(ArtifactError::io("write", &tmp, e));
    }
    // rename replaces the final entry itself; it never writes through a link.
    fs::rename(&tmp, dest).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        ArtifactError::io("rename", dest, e)
    })
}

/// `name` inside `dir`, refused when an entry of that name is a symbolic link.
fn inside(dir: &Path, name: &str) -> Result<PathBuf, ArtifactError> {
    let path = dir.join(name);
    if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(ArtifactError::SymlinkTarget {
            path: path.display().to_string(),
        });
    }
    Ok(path)
}

/// Extracts `art` to `target`: a directory (existing) gets every selected blob by its name;
/// anything else is one file, which needs a single blob or a selection.
pub fn extract(
    store: &ArtifactStore,
    art: &Artifact,
    target: &Path,
    opts: &ExtractOptions,
) -> Result<(), ArtifactError> {
    if opts.digest.is_some() && opts.title.is_some() {
        return Err(ArtifactError::DigestAndTitle);
    }
    if art.manifest.layers.is_empty() {
        return Err(ArtifactError::NoBlobs);
    }
    let _lock = store.read_lock()?;
    let selected = opts.digest.is_some() || opts.title.is_some();
    let is_dir = match fs::metadata(target) {
        Ok(m) => m.is_dir(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(ArtifactError::io("stat", target, e)),
    };
    if !is_dir {
        let digest = if art.manifest.layers.len() == 1 && !selected {
            art.manifest.layers[0].digest.clone()
        } else if !selected {
            return Err(ArtifactError::SeveralBlobs(target.display().to_string()));
        } else {
            find_blob(art, opts)?
        };
        // The target is the user's own path: a link there is followed, as podman does.
        let dest = fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
        return copy_blob(store, &digest, &dest);
    }
    if selected {
        let digest = find_blob(art, opts)?;
        // With --digest the file is named by the digest even when the blob has a title.
        let name = blob_file_name(opts.title.as_deref(), &digest)?;
        return copy_blob(store, &digest, &inside(target, &name)?);
    }
    // All names are checked before the first file is written.
    let mut plan = Vec::new();
    for l in &art.manifest.layers {
        let name = blob_file_name(l.title(), &l.digest)?;
        if plan.iter().any(|(n, _): &(String, String)| n == &name) {
            return Err(ArtifactError::invalid(
                art.name.clone(),
                format!(
                    "annotation \"{}\":\"{name}\" is used in multiple different layers within artifact",
                    super::TITLE
                ),
            ));
        }
        inside(target, &name)?;
        plan.push((name, l.digest.clone()));
    }
    for (name, digest) in &plan {
        copy_blob(store, digest, &inside(target, name)?)?;
    }
    Ok(())
}
