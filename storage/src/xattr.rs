//! Thin wrappers over the l*xattr system calls (never following symlinks), used to set overlay
//! opaque markers, restore image xattrs and copy trees. This module must never follow a
//! symlink: every call is the `l` variant.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

fn cname(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "xattr name contains NUL"))
}

/// Sets `name` = `value` on `path` itself (not a symlink's target).
pub fn lset(path: &Path, name: &OsStr, value: &[u8]) -> io::Result<()> {
    let p = cpath(path)?;
    let n = cname(name)?;
    // SAFETY: p and n are valid NUL-terminated strings; value is a valid buffer of its length.
    let rc = unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Reads the value of `name` on `path`, `None` if it is not set.
pub fn lget(path: &Path, name: &OsStr) -> io::Result<Option<Vec<u8>>> {
    let p = cpath(path)?;
    let n = cname(name)?;
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: buf is a writable buffer of buf.len() bytes; strings are NUL-terminated.
        let rc =
            unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if rc >= 0 {
            buf.truncate(rc as usize);
            return Ok(Some(buf));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ENODATA) => return Ok(None),
            Some(libc::ERANGE) if buf.len() < 1 << 20 => buf.resize(buf.len() * 4, 0),
            _ => return Err(err),
        }
    }
}

/// Names of all xattrs on `path` itself.
pub fn llist(path: &Path) -> io::Result<Vec<Vec<u8>>> {
    let p = cpath(path)?;
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: buf is a writable buffer of buf.len() bytes; p is NUL-terminated.
        let rc = unsafe { libc::llistxattr(p.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if rc >= 0 {
            buf.truncate(rc as usize);
            return Ok(buf
                .split(|&b| b == 0)
                .filter(|s| !s.is_empty())
                .map(<[u8]>::to_vec)
                .collect());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ERANGE) if buf.len() < 1 << 20 => buf.resize(buf.len() * 4, 0),
            Some(libc::ENOTSUP) => return Ok(Vec::new()),
            _ => return Err(err),
        }
    }
}

/// xattr names an image must never set: they would steer overlayfs (redirects, metacopy,
/// opaque markers) instead of describing a file.
pub fn is_overlay_private(name: &[u8]) -> bool {
    name.starts_with(b"trusted.overlay.") || name.starts_with(b"user.overlay.")
}
