//! The last thing the container's first process does to itself before `execve`: switch to the
//! container user and cut its privileges down to what the container was given.
//!
//! Runs in the forked child. The parent was single-threaded when it forked, so allocating is
//! fine, but nothing here may start a thread, and every step is a plain syscall.

use caps::CapsHashSet;
use nix::errno::Errno;
use nix::unistd::{Gid, Uid};

use super::SecurityError;

/// The credentials and confinement of a container process, built in the parent and applied in
/// the child by [`ProcessSecurity::apply`].
#[derive(Debug)]
pub struct ProcessSecurity {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups; `None` keeps the ones inherited (`--group-add keep-groups`).
    pub additional_gids: Option<Vec<u32>>,
    /// The container's capability set ([`super::capabilities::resolve`]): the bounding set,
    /// and for uid 0 also the effective and permitted sets.
    pub caps: CapsHashSet,
    /// `--security-opt no-new-privileges`.
    pub no_new_privileges: bool,
    /// From [`super::bpf::program`]; `None` for unconfined.
    pub seccomp: Option<super::bpf::Program>,
}

impl ProcessSecurity {
    /// Applies everything, in runc's and crun's order:
    ///
    /// 1. `PR_SET_KEEPCAPS`, so the permitted set survives the switch away from uid 0;
    /// 2. without no_new_privs, the seccomp filter, while CAP_SYS_ADMIN is still held (the
    ///    kernel demands one or the other); the filter must then allow every syscall below,
    ///    which podman's default profile does;
    /// 3. the bounding set cut to `caps` (needs CAP_SETPCAP, so before the uid switch);
    /// 4. `setgroups`, `setresgid`, `setresuid` (groups first: they need CAP_SETGID);
    /// 5. effective/permitted/inheritable: `caps` for uid 0, empty otherwise (podman gives a
    ///    non-root user its capabilities only through the bounding set); ambient cleared;
    /// 6. no_new_privs when asked;
    /// 7. with no_new_privs, the seccomp filter last, so that it confines nothing of ours.
    ///
    /// After this returns, the caller should do no more than `execve` (and close fds or
    /// report an exec failure): those are allowed by the default profile.
    pub fn apply(self) -> Result<(), SecurityError> {
        step(
            "prctl(PR_SET_KEEPCAPS)",
            nix::sys::prctl::set_keepcaps(true),
        )?;

        let early_seccomp = !self.no_new_privileges;
        if early_seccomp && let Some(filter) = &self.seccomp {
            filter.load()?;
        }
        // Past this point an EPERM may come from our own filter rather than the kernel.
        let hint = |e: SecurityError| match (e, early_seccomp && self.seccomp.is_some()) {
            (SecurityError::Syscall { call, source }, true) => SecurityError::Syscall {
                call: format!("{call} (after loading the seccomp profile)"),
                source,
            },
            (e, _) => e,
        };

        drop_bounding_set(&self.caps).map_err(hint)?;
        switch_ids(self.uid, self.gid, self.additional_gids.as_deref()).map_err(hint)?;

        let empty = CapsHashSet::new();
        let kept = if self.uid == 0 { &self.caps } else { &empty };
        set_capabilities(kept, kept, &empty).map_err(hint)?;
        clear_ambient().map_err(hint)?;

        if self.no_new_privileges {
            step(
                "prctl(PR_SET_NO_NEW_PRIVS)",
                nix::sys::prctl::set_no_new_privs(),
            )?;
            if let Some(filter) = &self.seccomp {
                filter.load()?;
            }
        }
        Ok(())
    }
}

fn step<T>(call: &str, result: nix::Result<T>) -> Result<T, SecurityError> {
    result.map_err(|source| SecurityError::Syscall {
        call: call.to_string(),
        source,
    })
}

/// Drops every capability not in `keep` from the bounding set, including ones newer than the
/// `caps` crate knows: the kernel's indices are probed with PR_CAPBSET_READ, which fails with
/// EINVAL past `cap_last_cap`.
fn drop_bounding_set(keep: &CapsHashSet) -> Result<(), SecurityError> {
    let keep_mask = super::capabilities::mask(keep);
    for index in 0..64u8 {
        // SAFETY: PR_CAPBSET_READ only reads this thread's bounding set; no pointers.
        let present = unsafe { libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(index)) };
        if present < 0 {
            break;
        }
        if present == 0 || keep_mask & (1u64 << index) != 0 {
            continue;
        }
        // SAFETY: PR_CAPBSET_DROP takes a capability number and changes only this thread's
        // bounding set; no pointers.
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(index)) };
        if rc != 0 {
            return Err(SecurityError::Syscall {
                call: format!(
                    "prctl(PR_CAPBSET_DROP, {})",
                    cap_name_by_index(index).unwrap_or_else(|| index.to_string())
                ),
                source: Errno::last(),
            });
        }
    }
    Ok(())
}

fn cap_name_by_index(index: u8) -> Option<String> {
    caps::all()
        .into_iter()
        .find(|c| c.index() == index)
        .map(|c| c.to_string())
}

/// setgroups (unless the inherited groups stay), then setresgid, then setresuid: once the uid
/// is not 0 the others are refused.
fn switch_ids(uid: u32, gid: u32, additional_gids: Option<&[u32]>) -> Result<(), SecurityError> {
    let groups: Vec<Gid> = additional_gids
        .unwrap_or_default()
        .iter()
        .copied()
        .map(Gid::from_raw)
        .collect();
    if additional_gids.is_none() {
        // keep-groups: the groups burrow itself has stay the container's.
    } else if let Err(e) = nix::unistd::setgroups(&groups) {
        // In a user namespace whose gid_map was written by an unprivileged user,
        // /proc/self/setgroups is "deny" and setgroups always fails; with no supplementary
        // groups asked for there is nothing to set (crun skips it the same way).
        if !(e == Errno::EPERM && groups.is_empty() && setgroups_denied()) {
            return step(&format!("setgroups({additional_gids:?})"), Err(e));
        }
    }
    let g = Gid::from_raw(gid);
    step(
        &format!("setresgid({gid})"),
        nix::unistd::setresgid(g, g, g),
    )?;
    let u = Uid::from_raw(uid);
    step(
        &format!("setresuid({uid})"),
        nix::unistd::setresuid(u, u, u),
    )?;
    Ok(())
}

fn setgroups_denied() -> bool {
    std::fs::read_to_string("/proc/self/setgroups").is_ok_and(|s| s.trim() == "deny")
}

/// capset(2)'s version 3 header and per-32-bit-word data (linux/capability.h).
#[repr(C)]
struct CapUserHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapUserData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Sets the three base sets in one capset(2), so no intermediate state (effective not within
/// permitted) can be refused.
fn set_capabilities(
    effective: &CapsHashSet,
    permitted: &CapsHashSet,
    inheritable: &CapsHashSet,
) -> Result<(), SecurityError> {
    let (e, p, i) = (
        super::capabilities::mask(effective),
        super::capabilities::mask(permitted),
        super::capabilities::mask(inheritable),
    );
    let header = CapUserHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let word = |shift: u32| CapUserData {
        effective: (e >> shift) as u32,
        permitted: (p >> shift) as u32,
        inheritable: (i >> shift) as u32,
    };
    let data = [word(0), word(32)];
    // SAFETY: header and data match the kernel's v3 layout (one header, two data words) and
    // outlive the call; the kernel only reads them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &header as *const CapUserHeader,
            data.as_ptr(),
        )
    };
    if rc != 0 {
        return Err(SecurityError::Syscall {
            call: format!("capset(effective={e:#x}, permitted={p:#x}, inheritable={i:#x})"),
            source: Errno::last(),
        });
    }
    Ok(())
}

/// Empties the ambient set; kernels before 4.3 have none (EINVAL), which is as good as empty.
fn clear_ambient() -> Result<(), SecurityError> {
    // SAFETY: PR_CAP_AMBIENT_CLEAR_ALL takes no pointers and changes only this thread.
    let rc = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if rc != 0 && Errno::last() != Errno::EINVAL {
        return Err(SecurityError::Syscall {
            call: "prctl(PR_CAP_AMBIENT_CLEAR_ALL)".into(),
            source: Errno::last(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! apply() is tested for real: the test binary re-executes itself with `pre_exec`
    //! applying a ProcessSecurity between fork and exec (the sanctioned place in a
    //! multi-threaded process), and the re-executed `probe` test checks its own
    //! /proc/self/status and syscalls from inside.

    use std::os::unix::process::CommandExt;
    use std::process::Command;
    use std::sync::Mutex;

    use super::*;
    use crate::security::bpf;
    use crate::security::capabilities;
    use crate::security::seccomp::Profile;

    const PROBE_ENV: &str = "BURROW_SECURITY_PROBE";
    const NOBODY: u32 = 65534;

    /// Hands the ProcessSecurity to the pre_exec closure, which must be Send + Sync.
    struct ChildOnly(Mutex<Option<ProcessSecurity>>);
    // SAFETY: the ProcessSecurity is only taken out in the pre_exec closure, which runs in the
    // forked child where no other thread exists; the parent never touches it again.
    unsafe impl Send for ChildOnly {}
    // SAFETY: as above; access goes through the Mutex.
    unsafe impl Sync for ChildOnly {}

    /// Runs the `probe` test of this binary under `sec`, in mode `mode`; returns its output
    /// after asserting it exited 0.
    fn run_probe(mode: &str, sec: ProcessSecurity) -> String {
        let exe = std::env::current_exe().unwrap();
        let probe = format!(
            "{}::probe",
            module_path!().split_once("::").map_or("", |(_, rest)| rest)
        );
        let slot = ChildOnly(Mutex::new(Some(sec)));
        let mut cmd = Command::new(exe);
        cmd.args([probe.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env(PROBE_ENV, mode);
        // SAFETY: the closure runs between fork and exec in the child. Test binaries are
        // multi-threaded, so only the calling thread exists there; apply() makes plain
        // syscalls, and libseccomp's allocations are safe because glibc resets its malloc
        // locks in the child after fork.
        unsafe {
            cmd.pre_exec(move || {
                // Capture the whole wrapper, not just its (non-Send) field.
                let slot = &slot;
                let sec = slot.0.lock().ok().and_then(|mut s| s.take());
                if let Some(sec) = sec {
                    sec.apply().map_err(std::io::Error::other)?;
                }
                Ok(())
            });
        }
        let out = cmd.output().expect("spawning the probe");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "probe {mode} failed ({:?}):\n{text}",
            out.status
        );
        assert!(text.contains("PROBE OK"), "probe did not run:\n{text}");
        text
    }

    fn default_security(uid: u32, no_new_privileges: bool) -> ProcessSecurity {
        let caps = capabilities::default_set();
        let cache = tempfile::tempdir().unwrap();
        let seccomp = bpf::program(&Profile::Default, &caps, cache.path()).unwrap();
        ProcessSecurity {
            uid,
            gid: uid,
            additional_gids: Some(vec![uid, 10]),
            caps,
            no_new_privileges,
            seccomp,
        }
    }

    #[test]
    fn apply_root_with_no_new_privileges() {
        run_probe("root-nnp", default_security(0, true));
    }

    #[test]
    fn apply_root_loads_seccomp_before_dropping_caps() {
        run_probe("root", default_security(0, false));
    }

    #[test]
    fn apply_non_root_keeps_caps_only_in_bounding_set() {
        run_probe("user", default_security(NOBODY, false));
    }

    #[test]
    fn apply_unconfined_leaves_seccomp_off() {
        let mut sec = default_security(0, true);
        sec.seccomp = None;
        run_probe("unconfined", sec);
    }

    /// The confined side of the tests above; a no-op in a normal test run.
    #[test]
    fn probe() {
        let Ok(mode) = std::env::var(PROBE_ENV) else {
            return;
        };
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(":\t"))
                .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
                .to_string()
        };
        let default_mask = format!("{:016x}", 0x8004_05fbu64);
        let zero = "0".repeat(16);
        let root = mode != "user";
        let (want_eff, want_ids, want_groups) = if root {
            (default_mask.as_str(), "0\t0\t0\t0", "0 10")
        } else {
            (zero.as_str(), "65534\t65534\t65534\t65534", "10 65534")
        };
        let checks = [
            ("CapEff", want_eff),
            ("CapPrm", want_eff),
            ("CapInh", zero.as_str()),
            ("CapAmb", zero.as_str()),
            ("CapBnd", default_mask.as_str()),
            ("Uid", want_ids),
            ("Gid", want_ids),
            ("Groups", want_groups),
            (
                "NoNewPrivs",
                if mode == "user" || mode == "root" {
                    "0"
                } else {
                    "1"
                },
            ),
            ("Seccomp", if mode == "unconfined" { "0" } else { "2" }),
        ];
        for (name, want) in checks {
            assert_eq!(field(name).trim(), want, "{name} in mode {mode}");
        }

        if mode != "unconfined" {
            // kexec_load is on the profile's explicit EPERM list; add_key is not listed at
            // all, so it gets defaultErrnoRet (ENOSYS), which only seccomp can produce for
            // a syscall this kernel has.
            // SAFETY: the arguments are never dereferenced: the filter rejects the call.
            let rc = unsafe { libc::syscall(libc::SYS_kexec_load, 0, 0, 0, 0) };
            assert_eq!((rc, Errno::last()), (-1, Errno::EPERM), "kexec_load");
            // SAFETY: as above.
            let rc = unsafe { libc::syscall(libc::SYS_add_key, 0, 0, 0, 0, 0) };
            assert_eq!((rc, Errno::last()), (-1, Errno::ENOSYS), "add_key");
        }
        println!("PROBE OK {mode}");
    }
}
