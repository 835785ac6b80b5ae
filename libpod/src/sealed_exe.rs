//! Root mode runs burrow from a sealed in-memory copy of its own binary (runc's defence
//! against CVE-2019-5736). Without a user namespace a container's root is the host's root, so
//! a burrow process it can see (the `--init` pid 1, an exec'd child before its execve, a pod's
//! infra process) must not lead it to the binary on the host: /proc/PID/exe of every such
//! process is this memfd, which nobody can write, shrink or grow. Rootless containers need no
//! copy: their root is the user's uid inside a user namespace that has no capability over
//! burrow's processes, and burrow's children are non-dumpable until they exec.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};

/// Seals that make the copy immutable: no write, no shrink, no grow, no further change of
/// seals.
const SEALS: libc::c_int =
    libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;

/// `MFD_EXEC` (Linux 6.3): asks for an executable memfd where `vm.memfd_noexec` would
/// otherwise refuse it; older kernels reject the flag, and then it is not needed.
const MFD_EXEC: libc::c_uint = 0x10;

/// Where the sealed copy's original binary is, for the commands burrow writes for others to
/// run (timers, units): they must name the binary, not a memfd of this process.
const PROGRAM_VAR: &str = "_BURROW_PROGRAM";

/// The path of the burrow binary this process runs: the original of the sealed copy in root
/// mode, else /proc/self/exe's target.
pub fn program() -> std::path::PathBuf {
    let current = std::env::current_exe().unwrap_or_else(|_| "burrow".into());
    if current.to_string_lossy().starts_with("/memfd:")
        && let Some(p) = std::env::var_os(PROGRAM_VAR)
    {
        return p.into();
    }
    current
}

/// Returns when this process already runs from the sealed copy; otherwise makes the copy and
/// re-executes itself from it with the same arguments and environment (and only returns an
/// error).
pub fn ensure() -> io::Result<()> {
    let exe = File::open("/proc/self/exe")?;
    if is_sealed_copy(&exe) {
        // execveat from a descriptor names the process after the descriptor's number.
        // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
        unsafe { libc::prctl(libc::PR_SET_NAME, c"burrow".as_ptr()) };
        return Ok(());
    }
    let copy = sealed_copy(exe)?;
    let original = std::env::current_exe()?;
    let args: Vec<std::ffi::CString> = std::env::args_os()
        .map(|a| std::ffi::CString::new(a.into_encoded_bytes()))
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    let env: Vec<std::ffi::CString> = std::env::vars_os()
        .filter(|(k, _)| k != PROGRAM_VAR)
        .chain(std::iter::once((
            PROGRAM_VAR.into(),
            original.into_os_string(),
        )))
        .map(|(k, v)| {
            let mut kv = k.into_encoded_bytes();
            kv.push(b'=');
            kv.extend(v.into_encoded_bytes());
            std::ffi::CString::new(kv)
        })
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    // The memfd is close-on-exec, which an ELF binary (not a script) allows for execveat.
    let err = nix::unistd::execveat(&copy, c"", &args, &env, nix::fcntl::AtFlags::AT_EMPTY_PATH)
        .err()
        .unwrap_or(nix::Error::UnknownErrno);
    Err(io::Error::from(err))
}

fn is_sealed_copy(exe: &File) -> bool {
    // SAFETY: F_GET_SEALS on our own descriptor; regular files answer EINVAL.
    let seals = unsafe { libc::fcntl(exe.as_raw_fd(), libc::F_GET_SEALS) };
    seals >= 0 && seals & SEALS == SEALS
}

fn sealed_copy(mut exe: File) -> io::Result<File> {
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // SAFETY: memfd_create with a NUL-terminated name; the result is checked.
    let mut fd = unsafe { libc::memfd_create(c"burrow".as_ptr(), flags | MFD_EXEC) };
    if fd < 0 {
        // SAFETY: as above, without the flag older kernels do not know.
        fd = unsafe { libc::memfd_create(c"burrow".as_ptr(), flags) };
    }
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let mut copy = unsafe { File::from_raw_fd(fd) };
    io::copy(&mut exe, &mut copy)?;
    // SAFETY: F_ADD_SEALS on our own memfd.
    if unsafe { libc::fcntl(copy.as_raw_fd(), libc::F_ADD_SEALS, SEALS) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_is_sealed_and_cannot_be_written() {
        let exe = File::open("/proc/self/exe").unwrap();
        assert!(!is_sealed_copy(&exe));
        let copy = sealed_copy(exe).unwrap();
        assert!(is_sealed_copy(&copy));
        let path = format!("/proc/self/fd/{}", copy.as_raw_fd());
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        assert!(io::Write::write_all(&mut w, b"x").is_err());
        assert!(
            std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&path)
                .is_err()
        );
        let len = copy.metadata().unwrap().len();
        assert_eq!(len, std::fs::metadata("/proc/self/exe").unwrap().len());
    }
}
