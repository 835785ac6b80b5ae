//! podman's `file` secret driver: each secret's data in its own file, named by the secret's
//! id, in a 0700 directory, the file 0600. Written to a temporary file first and renamed into
//! place, so a reader (or a crash) never sees half a secret. Unencrypted, as podman's.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::SecretError;

/// The driver's directory under the data root (podman: `<graphroot>/secrets/filedriver`).
pub fn dir(data_root: &Path) -> PathBuf {
    data_root.join("secrets").join("filedriver")
}

/// The file of secret `id`. Ids are hex (checked), so this never leaves `dir`.
fn file(dir: &Path, id: &str) -> Result<PathBuf, SecretError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SecretError::NoSuch(id.to_string()));
    }
    Ok(dir.join(id))
}

/// Stores `data` as secret `id` (replacing what was there), atomically.
pub fn store(dir: &Path, id: &str, data: &[u8]) -> Result<(), SecretError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(SecretError::io(format!("create {}", dir.display())))?;
    let path = file(dir, id)?;
    let tmp = dir.join(format!(".{id}.tmp"));
    // O_CLOEXEC is std's default: no child ever inherits the descriptor.
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        SecretError::Io {
            context: format!("store the data of secret {id}"),
            source: e,
        }
    })
}

/// The data of secret `id`; `None` if the driver has none.
pub fn lookup(dir: &Path, id: &str) -> Result<Option<Vec<u8>>, SecretError> {
    match std::fs::read(file(dir, id)?) {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SecretError::Io {
            context: format!("read the data of secret {id}"),
            source: e,
        }),
    }
}

/// Removes secret `id`'s data; already gone is fine.
pub fn delete(dir: &Path, id: &str) -> Result<(), SecretError> {
    match std::fs::remove_file(file(dir, id)?) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SecretError::Io {
            context: format!("remove the data of secret {id}"),
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn store_lookup_delete() {
        let root = tempfile::tempdir().unwrap();
        let d = dir(root.path());
        store(&d, "abc123", b"s3cret").unwrap();
        let mode = std::fs::metadata(d.join("abc123"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = std::fs::metadata(&d).unwrap().permissions().mode();
        assert_eq!(dmode & 0o777, 0o700);
        store(&d, "abc123", b"new").unwrap();
        assert_eq!(lookup(&d, "abc123").unwrap().as_deref(), Some(&b"new"[..]));
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "no temporary file left"
        );
        delete(&d, "abc123").unwrap();
        assert_eq!(lookup(&d, "abc123").unwrap(), None);
        delete(&d, "abc123").unwrap();
        assert!(lookup(&d, "../x").is_err());
    }
}
