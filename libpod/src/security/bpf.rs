//! A compiled seccomp filter as the kernel takes it (classic BPF), and a per-boot cache of
//! those programs.
//!
//! libseccomp is the costliest step of starting a container: for podman's default profile it
//! spends milliseconds of CPU adding the rules in the parent and as many again generating the
//! BPF when the child loads the filter. The program only depends on the profile text, the
//! capability set, the running kernel and the libseccomp in use, so it is compiled once and
//! kept in `$XDG_RUNTIME_DIR/burrow/seccomp` (a tmpfs: gone at reboot), keyed by a hash of all
//! of those. The child then loads it with one `seccomp(2)` call. The cache is only an
//! optimisation: a missing, unwritable or damaged cache falls back to compiling.

use std::fs;
use std::io::{Read, Seek, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;

use caps::CapsHashSet;
use sha2::{Digest, Sha256};

use super::SecurityError;
use super::seccomp::{self, Profile};

/// Bytes of one `struct sock_filter`.
const INSN_LEN: usize = 8;
/// Bytes of the header before the instructions in a cache file: the `seccomp(2)` flags.
const HEADER_LEN: usize = 8;

/// A seccomp filter ready for `seccomp(SECCOMP_SET_MODE_FILTER)`.
pub struct Program {
    filter: Vec<libc::sock_filter>,
    /// `SECCOMP_FILTER_FLAG_LOG` / `_SPEC_ALLOW`, from the profile's `flags`.
    flags: libc::c_ulong,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("instructions", &self.filter.len())
            .field("flags", &self.flags)
            .finish()
    }
}

impl Program {
    /// Installs the filter on the calling thread. Without no_new_privs the kernel demands
    /// CAP_SYS_ADMIN in the user namespace, which the caller holds at that point (see
    /// [`super::ProcessSecurity::apply`]). No allocation: safe between fork and exec.
    pub fn load(&self) -> Result<(), SecurityError> {
        let prog = libc::sock_fprog {
            // Checked against u16::MAX in parse().
            len: self.filter.len() as u16,
            filter: self.filter.as_ptr().cast_mut(),
        };
        // SAFETY: prog points into self.filter, alive for the whole call; the kernel copies
        // the program and keeps no pointer to it.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                self.flags,
                &prog as *const libc::sock_fprog,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(SecurityError::Syscall {
                call: "seccomp(SECCOMP_SET_MODE_FILTER)".to_string(),
                source: nix::errno::Errno::last(),
            })
        }
    }

    /// The program in a cache file's layout: flags, then the instructions, native-endian.
    fn parse(bytes: &[u8]) -> Option<Program> {
        let (head, body) = bytes.split_at_checked(HEADER_LEN)?;
        if body.is_empty() || body.len() % INSN_LEN != 0 || body.len() / INSN_LEN > 0xffff {
            return None;
        }
        let flags = u64::from_ne_bytes(head.try_into().ok()?) as libc::c_ulong;
        let filter = body
            .chunks_exact(INSN_LEN)
            .map(|i| libc::sock_filter {
                code: u16::from_ne_bytes([i[0], i[1]]),
                jt: i[2],
                jf: i[3],
                k: u32::from_ne_bytes([i[4], i[5], i[6], i[7]]),
            })
            .collect();
        Some(Program { filter, flags })
    }
}

/// [`seccomp::compile`] as a loadable program, taken from `cache_dir` when a previous run
/// compiled the same inputs, else compiled and stored there. `None` means no filter.
pub fn program(
    profile: &Profile,
    caps: &CapsHashSet,
    cache_dir: &Path,
) -> Result<Option<Program>, SecurityError> {
    let Some((name, text)) = seccomp::source(profile)? else {
        return Ok(None);
    };
    let path = cache_dir.join(format!("{}.bpf", cache_key(&text, caps)));
    if let Some(p) = fs::read(&path).ok().as_deref().and_then(Program::parse) {
        return Ok(Some(p));
    }
    let Some(ctx) = seccomp::compile_text(&name, &text, caps)? else {
        return Ok(None);
    };
    let mut flags: libc::c_ulong = 0;
    if ctx.get_ctl_log().unwrap_or(false) {
        flags |= libc::SECCOMP_FILTER_FLAG_LOG;
    }
    if ctx.get_ctl_ssb().unwrap_or(false) {
        flags |= libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    }
    let export_err = |e: std::io::Error| SecurityError::ProfileInvalid {
        profile: name.clone(),
        reason: format!("exporting the compiled filter: {e}"),
    };
    let mut bytes = (flags as u64).to_ne_bytes().to_vec();
    bytes.extend(export(&ctx).map_err(export_err)?);
    let mut program = Program::parse(&bytes).ok_or_else(|| SecurityError::ProfileInvalid {
        profile: name.clone(),
        reason: "libseccomp exported an empty or oversized filter".to_string(),
    })?;
    // The same decisions in a fraction of the instructions (see bpf_compact), or as it was.
    if let Some(short) = super::bpf_compact::compact(&program.filter) {
        program.filter = short;
        bytes.truncate(HEADER_LEN);
        for i in &program.filter {
            bytes.extend(i.code.to_ne_bytes());
            bytes.extend([i.jt, i.jf]);
            bytes.extend(i.k.to_ne_bytes());
        }
    }
    // Best effort: the next container compiles again when the cache cannot be written.
    let _ = store(cache_dir, &path, &bytes);
    Ok(Some(program))
}

/// Every input the program depends on, hashed: the profile, the capabilities its rules are
/// matched against, the kernel (`minKernel` rules) and libseccomp (which syscalls it knows).
fn cache_key(text: &str, caps: &CapsHashSet) -> String {
    let mut caps: Vec<String> = caps.iter().map(|c| c.to_string()).collect();
    caps.sort();
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let lib = libseccomp::ScmpVersion::current()
        .map(|v| format!("{}.{}.{}", v.major, v.minor, v.micro))
        .unwrap_or_default();
    let mut h = Sha256::new();
    for part in [
        text,
        &caps.join(","),
        kernel.trim(),
        &lib,
        std::env::consts::ARCH,
        // How compile() and bpf_compact lay the filter out; bump when that changes.
        "layout=binary-tree,ranges-1",
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// libseccomp's BPF for `ctx`, through a memfd (libseccomp 2.5 exports only to an fd).
fn export(ctx: &libseccomp::ScmpFilterContext) -> std::io::Result<Vec<u8>> {
    // SAFETY: memfd_create takes a NUL-terminated name and flags; no other memory.
    let fd = unsafe { libc::memfd_create(c"burrow-seccomp".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd was just created above and is owned by nothing else.
    let mut file = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    ctx.export_bpf(&file).map_err(std::io::Error::other)?;
    file.rewind()?;
    let mut out = Vec::new();
    file.read_to_end(&mut out)?;
    Ok(out)
}

/// Writes the cache file atomically (temp name, then rename), so that a concurrent reader
/// sees a whole program or none.
fn store(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    drop(f);
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::capabilities;

    fn code(p: &Program) -> Vec<(u16, u8, u8, u32)> {
        p.filter.iter().map(|i| (i.code, i.jt, i.jf, i.k)).collect()
    }

    // Pins that a cached program is the very filter a fresh compile gives.
    #[test]
    fn cached_program_matches_a_fresh_compile() {
        let dir = tempfile::tempdir().unwrap();
        let caps = capabilities::default_set();
        let first = program(&Profile::Default, &caps, dir.path())
            .unwrap()
            .expect("a filter");
        let files: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "one cache file, no temp left: {files:?}");
        let second = program(&Profile::Default, &caps, dir.path())
            .unwrap()
            .expect("a filter");
        assert_eq!(code(&first), code(&second));
        assert_eq!(first.flags, second.flags);
        let fresh = seccomp::compile(&Profile::Default, &caps).unwrap().unwrap();
        let mut bytes = 0u64.to_ne_bytes().to_vec();
        bytes.extend(export(&fresh).unwrap());
        let fresh = Program::parse(&bytes).unwrap();
        let short = super::super::bpf_compact::compact(&fresh.filter).expect("compacts");
        assert_eq!(
            code(&first),
            code(&Program {
                filter: short,
                flags: 0
            })
        );
        // podman's default profile: ~1400 instructions from libseccomp, ~600 here.
        assert!(
            first.filter.len() * 2 < fresh.filter.len(),
            "{} vs {}",
            first.filter.len(),
            fresh.filter.len()
        );
    }

    // Pins that the compacted default profile decides exactly as libseccomp's program: every
    // syscall number below 1100 (and the x32 range) on x86_64, i386 and an unknown
    // architecture, and the argument rules (socket, personality) on assorted values.
    #[test]
    fn compacted_default_profile_decides_like_libseccomp() {
        use super::super::bpf_compact::decision;
        for caps in [
            capabilities::default_set(),
            capabilities::resolve(&[], &[], true).unwrap(),
        ] {
            let ctx = seccomp::compile(&Profile::Default, &caps).unwrap().unwrap();
            let mut bytes = 0u64.to_ne_bytes().to_vec();
            bytes.extend(export(&ctx).unwrap());
            let long = Program::parse(&bytes).unwrap().filter;
            let short = super::super::bpf_compact::compact(&long).expect("compacts");
            let args_sets: Vec<[u64; 6]> = vec![
                [0; 6],
                [16, 3, 9, 0, 0, 0],
                [16, 3, 0, 0, 0, 0],
                [2, 1, 9, 0, 0, 0],
                [8, 0, 0, 0, 0, 0],
                [0x20008, 0, 0, 0, 0, 0],
                [0xffff_ffff, 0, 0, 0, 0, 0],
                [0x1_0000_0008, 0, 0, 0, 0, 0],
                [u64::MAX; 6],
            ];
            for arch in [0xc000_003e_u32, 0x4000_0003, 0, 0x4000_00b7] {
                for nr in (0..1100u32)
                    .chain(0x4000_0000..0x4000_0300)
                    .chain([u32::MAX])
                {
                    for args in &args_sets {
                        assert_eq!(
                            decision(&long, arch, nr, *args),
                            decision(&short, arch, nr, *args),
                            "arch {arch:#x} nr {nr} args {args:?}"
                        );
                    }
                }
            }
        }
    }

    // Pins that other capabilities select another cache entry (the rules depend on them).
    #[test]
    fn capabilities_are_part_of_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let default = capabilities::default_set();
        let all = capabilities::resolve(&[], &[], true).unwrap();
        let a = program(&Profile::Default, &default, dir.path())
            .unwrap()
            .unwrap();
        let b = program(&Profile::Default, &all, dir.path())
            .unwrap()
            .unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
        assert_ne!(code(&a), code(&b));
    }

    // Pins that a damaged cache file is ignored and replaced, never loaded.
    #[test]
    fn damaged_cache_file_is_recompiled() {
        let dir = tempfile::tempdir().unwrap();
        let caps = capabilities::default_set();
        let good = program(&Profile::Default, &caps, dir.path())
            .unwrap()
            .unwrap();
        let file = fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        fs::write(&file, b"0123456789").unwrap();
        let again = program(&Profile::Default, &caps, dir.path())
            .unwrap()
            .unwrap();
        assert_eq!(code(&good), code(&again));
        assert_eq!(
            fs::read(&file).unwrap().len(),
            HEADER_LEN + good.filter.len() * INSN_LEN
        );
    }

    // Pins that unconfined needs no filter and writes no cache.
    #[test]
    fn unconfined_has_no_program() {
        let dir = tempfile::tempdir().unwrap();
        let p = program(
            &Profile::Unconfined,
            &capabilities::default_set(),
            dir.path(),
        )
        .unwrap();
        assert!(p.is_none());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
