//! Turns a docker/podman seccomp profile into a libseccomp filter for one container.
//!
//! This follows the two steps podman takes with crun/runc, fused into one: containers/common
//! picks the `syscalls[]` blocks that apply to this container (its capabilities, the native
//! architecture, the running kernel), then the runtime turns them into libseccomp rules
//! (runc's `libcontainer/seccomp`), skipping syscall names the installed libseccomp does not
//! know.
//!
//! [`compile`] runs in the parent, before fork, so that the child only has to load the
//! finished filter. Nothing here loads a filter: that is [`super::ProcessSecurity::apply`].

use std::collections::HashSet;
use std::path::PathBuf;

use caps::CapsHashSet;
use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};

use super::SecurityError;
use super::profile::{ArgRule, Filter, KernelVersion, SeccompProfile, SyscallRule};

/// podman's default profile (containers-common's `/usr/share/containers/seccomp.json`), built in
/// so that a container is confined even where that package is not installed.
pub const DEFAULT_PROFILE_JSON: &str = include_str!("seccomp-default.json");

/// How `Profile::Default` is named in error messages.
const DEFAULT_PROFILE_NAME: &str = "(built-in default)";

/// Syscalls take at most six arguments.
const MAX_SYSCALL_ARGS: u32 = 6;

/// Which seccomp profile a container runs under (`--security-opt seccomp=...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    /// podman's default profile, [`DEFAULT_PROFILE_JSON`].
    Default,
    /// `seccomp=unconfined`: no filter at all.
    Unconfined,
    /// `seccomp=/path/profile.json`.
    File(PathBuf),
    /// A profile's JSON text from elsewhere (`--seccomp-policy=image`: an image's label),
    /// `name` saying where in error messages.
    Inline { name: String, json: String },
}

impl Profile {
    /// The value of `--security-opt seccomp=VALUE`.
    pub fn from_security_opt(value: &str) -> Profile {
        match value {
            "unconfined" => Profile::Unconfined,
            path => Profile::File(PathBuf::from(path)),
        }
    }
}

/// Compiles `profile` for a container holding `caps` (its bounding set, which is what podman
/// matches `includes.caps` / `excludes.caps` against). `None` means no filter: `Unconfined`,
/// or a profile with neither a default action nor rules, which podman also treats as
/// "seccomp disabled".
///
/// Call this in the single-threaded parent before fork; the filter is only loaded by
/// [`super::ProcessSecurity::apply`] in the child.
pub fn compile(
    profile: &Profile,
    caps: &CapsHashSet,
) -> Result<Option<ScmpFilterContext>, SecurityError> {
    match source(profile)? {
        Some((name, text)) => compile_text(&name, &text, caps),
        None => Ok(None),
    }
}

/// The profile's name for error messages and its JSON text; `None` for `Unconfined`.
pub(crate) fn source(profile: &Profile) -> Result<Option<(String, String)>, SecurityError> {
    Ok(Some(match profile {
        Profile::Unconfined => return Ok(None),
        Profile::Default => (
            DEFAULT_PROFILE_NAME.to_string(),
            DEFAULT_PROFILE_JSON.to_string(),
        ),
        Profile::File(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|source| SecurityError::ProfileRead {
                    path: path.clone(),
                    source,
                })?;
            (path.display().to_string(), text)
        }
        Profile::Inline { name, json } => (name.clone(), json.clone()),
    }))
}

/// [`compile`] for a profile already read by [`source`].
pub(crate) fn compile_text(
    name: &str,
    text: &str,
    caps: &CapsHashSet,
) -> Result<Option<ScmpFilterContext>, SecurityError> {
    let parsed: SeccompProfile =
        serde_json::from_str(text).map_err(|source| SecurityError::ProfileParse {
            profile: name.to_string(),
            source,
        })?;
    Compiler {
        profile: name,
        native: ScmpArch::native(),
        caps: caps.iter().map(|c| c.to_string()).collect(),
        kernel: KernelVersion::running(),
    }
    .build(&parsed)
}

/// What the rules are matched against, plus the profile's name for error messages.
struct Compiler<'a> {
    profile: &'a str,
    native: ScmpArch,
    /// "CAP_CHOWN", ...
    caps: HashSet<String>,
    /// `None` if uname's release did not parse; only an error if a rule asks for `minKernel`.
    kernel: Option<KernelVersion>,
}

impl Compiler<'_> {
    fn invalid(&self, reason: impl Into<String>) -> SecurityError {
        SecurityError::ProfileInvalid {
            profile: self.profile.to_string(),
            reason: reason.into(),
        }
    }

    fn libseccomp(&self, what: String, source: libseccomp::error::SeccompError) -> SecurityError {
        SecurityError::Seccomp {
            profile: self.profile.to_string(),
            what,
            source,
        }
    }

    fn build(&self, p: &SeccompProfile) -> Result<Option<ScmpFilterContext>, SecurityError> {
        if p.default_action.is_empty() && p.syscalls.is_empty() {
            return Ok(None);
        }
        if !p.listener_path.is_empty() {
            return Err(
                self.invalid("listenerPath: seccomp notify listeners are not supported by burrow")
            );
        }
        if !p.architectures.is_empty() && !p.arch_map.is_empty() {
            return Err(self.invalid(
                "'architectures' and 'archMap' were both specified, use either 'architectures' or 'archMap'",
            ));
        }

        let default_action = self.action(&p.default_action, p.default_errno_ret)?;
        let mut ctx = ScmpFilterContext::new(default_action)
            .map_err(|e| self.libseccomp("creating the filter".into(), e))?;
        // libseccomp would set no_new_privs itself on load; whether the container gets it is
        // ProcessSecurity's decision (--security-opt no-new-privileges), as in runc.
        ctx.set_ctl_nnp(false)
            .map_err(|e| self.libseccomp("clearing the no_new_privs attribute".into(), e))?;
        // A binary tree over syscall numbers instead of libseccomp's default linear list: the
        // kernel emulates the filter for every syscall when it is loaded (to build its
        // allow-cache), so a linear 1100-instruction filter costs ~1.5 ms per container start;
        // the tree also makes every filtered syscall cheaper at run time.
        ctx.set_ctl_optimize(2)
            .map_err(|e| self.libseccomp("selecting the binary-tree filter layout".into(), e))?;

        for arch in self.architectures(p)? {
            ctx.add_arch(arch)
                .map_err(|e| self.libseccomp(format!("adding architecture {arch:?}"), e))?;
        }
        for flag in &p.flags {
            match flag.as_str() {
                // Threads are synchronised by construction: the filter is loaded in a
                // single-threaded child.
                "SECCOMP_FILTER_FLAG_TSYNC" => Ok(&mut ctx),
                "SECCOMP_FILTER_FLAG_LOG" => ctx.set_ctl_log(true),
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => ctx.set_ctl_ssb(true),
                other => return Err(self.invalid(format!("unknown flag {other:?}"))),
            }
            .map_err(|e| self.libseccomp(format!("setting flag {flag}"), e))?;
        }

        for rule in &p.syscalls {
            if !self.applies(rule)? {
                continue;
            }
            let action = self.action(&rule.action, rule.errno_ret)?;
            // libseccomp refuses rules whose action is the default one; they are no-ops anyway.
            if action == default_action {
                continue;
            }
            let conditions = self.conditions(&rule.args)?;
            // libseccomp ANDs the conditions of one rule but cannot hold two conditions on the
            // same argument; runc then falls back to one rule per condition, and so do we.
            let mut seen = [false; MAX_SYSCALL_ARGS as usize];
            let split = rule
                .args
                .iter()
                .any(|a| std::mem::replace(&mut seen[a.index as usize], true));
            let names = (!rule.name.is_empty())
                .then_some(&rule.name)
                .into_iter()
                .chain(&rule.names);
            for name in names {
                self.add_rule(&mut ctx, name, action, &conditions, split)?;
            }
        }
        Ok(Some(ctx))
    }

    /// The architectures the filter covers besides the native one: the legacy
    /// `architectures` list, or the native entry of `archMap` with its sub-architectures.
    fn architectures(&self, p: &SeccompProfile) -> Result<Vec<ScmpArch>, SecurityError> {
        let parse = |name: &str| {
            name.parse::<ScmpArch>()
                .map_err(|_| self.invalid(format!("unknown architecture {name:?}")))
        };
        if !p.architectures.is_empty() {
            return p.architectures.iter().map(|a| parse(a)).collect();
        }
        // Entries for other architectures are not errors: the shipped profile lists them all.
        for entry in &p.arch_map {
            if entry.architecture.parse::<ScmpArch>().ok() == Some(self.native) {
                let mut arches = vec![self.native];
                for sub in &entry.sub_architectures {
                    arches.push(parse(sub)?);
                }
                return Ok(arches);
            }
        }
        Ok(Vec::new())
    }

    /// containers/common's filtering of a `syscalls[]` block: excludes first, then includes.
    fn applies(&self, rule: &SyscallRule) -> Result<bool, SecurityError> {
        let arch = go_arch_name(self.native);
        let ex = &rule.excludes;
        if ex.arches.iter().any(|a| a == arch)
            || ex.caps.iter().any(|c| self.has_cap(c))
            || self.kernel_at_least(ex)? == Some(true)
        {
            return Ok(false);
        }
        let inc = &rule.includes;
        if (!inc.arches.is_empty() && !inc.arches.iter().any(|a| a == arch))
            || !inc.caps.iter().all(|c| self.has_cap(c))
            || self.kernel_at_least(inc)? == Some(false)
        {
            return Ok(false);
        }
        Ok(true)
    }

    fn has_cap(&self, name: &str) -> bool {
        self.caps.contains(&caps::to_canonical(name))
    }

    /// `None` when the filter has no `minKernel`.
    fn kernel_at_least(&self, filter: &Filter) -> Result<Option<bool>, SecurityError> {
        let Some(min) = filter.min_kernel.as_deref().filter(|m| !m.is_empty()) else {
            return Ok(None);
        };
        let min = KernelVersion::parse(min).ok_or_else(|| {
            self.invalid(format!(
                "invalid minKernel {min:?}, expected \"<kernel>.<major>\""
            ))
        })?;
        let running = self.kernel.ok_or_else(|| {
            self.invalid("cannot tell the running kernel's version for minKernel")
        })?;
        Ok(Some(running >= min))
    }

    /// A profile action; `errnoRet` defaults to EPERM as in runc.
    fn action(&self, name: &str, errno_ret: Option<u32>) -> Result<ScmpAction, SecurityError> {
        let errno = || {
            errno_ret
                .map(|e| {
                    i32::try_from(e).map_err(|_| self.invalid(format!("errnoRet {e} is too large")))
                })
                .unwrap_or(Ok(libc::EPERM))
        };
        Ok(match name {
            "SCMP_ACT_ALLOW" => ScmpAction::Allow,
            "SCMP_ACT_ERRNO" => ScmpAction::Errno(errno()?),
            "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => ScmpAction::KillThread,
            "SCMP_ACT_KILL_PROCESS" => ScmpAction::KillProcess,
            "SCMP_ACT_TRAP" => ScmpAction::Trap,
            "SCMP_ACT_TRACE" => {
                let msg = errno()?;
                ScmpAction::Trace(u16::try_from(msg).map_err(|_| {
                    self.invalid(format!("SCMP_ACT_TRACE value {msg} is too large"))
                })?)
            }
            "SCMP_ACT_LOG" => ScmpAction::Log,
            // A notify action without a listener would leave the syscall hanging until the
            // fd is closed; refuse rather than pretend.
            "SCMP_ACT_NOTIFY" => {
                return Err(self.invalid(
                    "SCMP_ACT_NOTIFY needs a seccomp notify listener, which burrow does not support",
                ));
            }
            other => return Err(self.invalid(format!("unknown action {other:?}"))),
        })
    }

    fn conditions(&self, args: &[ArgRule]) -> Result<Vec<ScmpArgCompare>, SecurityError> {
        args.iter()
            .map(|a| {
                if a.index >= MAX_SYSCALL_ARGS {
                    return Err(
                        self.invalid(format!("argument index {} is out of range (0-5)", a.index))
                    );
                }
                let (op, datum) = match a.op.as_str() {
                    "SCMP_CMP_NE" => (ScmpCompareOp::NotEqual, a.value),
                    "SCMP_CMP_LT" => (ScmpCompareOp::Less, a.value),
                    "SCMP_CMP_LE" => (ScmpCompareOp::LessOrEqual, a.value),
                    "SCMP_CMP_EQ" => (ScmpCompareOp::Equal, a.value),
                    "SCMP_CMP_GE" => (ScmpCompareOp::GreaterEqual, a.value),
                    "SCMP_CMP_GT" => (ScmpCompareOp::Greater, a.value),
                    // (arg & value) == valueTwo
                    "SCMP_CMP_MASKED_EQ" => (ScmpCompareOp::MaskedEqual(a.value), a.value_two),
                    other => return Err(self.invalid(format!("unknown operator {other:?}"))),
                };
                Ok(ScmpArgCompare::new(a.index, op, datum))
            })
            .collect()
    }

    fn add_rule(
        &self,
        ctx: &mut ScmpFilterContext,
        name: &str,
        action: ScmpAction,
        conditions: &[ScmpArgCompare],
        one_rule_per_condition: bool,
    ) -> Result<(), SecurityError> {
        // Profiles name syscalls of every architecture and kernel; the ones this libseccomp
        // cannot resolve are skipped, as runc and crun do.
        let Ok(syscall) = ScmpSyscall::from_name(name) else {
            return Ok(());
        };
        let err = |e| self.libseccomp(format!("adding a rule for syscall {name:?}"), e);
        if one_rule_per_condition {
            for c in conditions {
                ctx.add_rule_conditional(action, syscall, std::slice::from_ref(c))
                    .map_err(err)?;
            }
        } else {
            ctx.add_rule_conditional(action, syscall, conditions)
                .map_err(err)?;
        }
        Ok(())
    }
}

/// The architecture names `includes.arches` / `excludes.arches` use: Go's, as containers/common
/// gets them from libseccomp-golang.
fn go_arch_name(arch: ScmpArch) -> &'static str {
    match arch {
        ScmpArch::X86 => "x86",
        ScmpArch::X8664 => "amd64",
        ScmpArch::X32 => "x32",
        ScmpArch::Arm => "arm",
        ScmpArch::Aarch64 => "arm64",
        ScmpArch::Loongarch64 => "loong64",
        ScmpArch::M68k => "m68k",
        ScmpArch::Mips => "mips",
        ScmpArch::Mips64 => "mips64",
        ScmpArch::Mips64N32 => "mips64n32",
        ScmpArch::Mipsel => "mipsel",
        ScmpArch::Mipsel64 => "mipsel64",
        ScmpArch::Mipsel64N32 => "mipsel64n32",
        ScmpArch::Ppc => "ppc",
        ScmpArch::Ppc64 => "ppc64",
        ScmpArch::Ppc64Le => "ppc64le",
        ScmpArch::S390 => "s390",
        ScmpArch::S390X => "s390x",
        ScmpArch::Parisc => "parisc",
        ScmpArch::Parisc64 => "parisc64",
        ScmpArch::Riscv64 => "riscv64",
        ScmpArch::Sheb => "sheb",
        ScmpArch::Sh => "sh",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::security::capabilities;

    /// The filter as libseccomp's pseudo-code, to check which rules made it in.
    fn pfc(ctx: &ScmpFilterContext) -> String {
        let mut f = tempfile::tempfile().unwrap();
        ctx.export_pfc(&f).unwrap();
        use std::io::{Read, Seek};
        f.rewind().unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        s
    }

    fn profile_file(json: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(json.as_bytes()).unwrap();
        f
    }

    #[test]
    fn default_profile_compiles_for_default_caps() {
        let ctx = compile(&Profile::Default, &capabilities::default_set())
            .unwrap()
            .expect("a filter");
        assert_eq!(ctx.get_act_default().unwrap(), ScmpAction::Errno(38));
        assert!(!ctx.get_ctl_nnp().unwrap(), "NNP is ProcessSecurity's call");
        let text = pfc(&ctx);
        // SYS_CHROOT is in the default set, so chroot is allowed; bpf needs SYS_ADMIN.
        assert!(
            text.contains("if ($syscall == 161)"),
            "chroot rule:\n{text}"
        );
        assert!(ctx.is_arch_present(ScmpArch::X86).unwrap_or(true));
    }

    #[test]
    fn default_profile_compiles_for_privileged_caps() {
        let all = capabilities::resolve(&[], &[], true).unwrap();
        assert!(compile(&Profile::Default, &all).unwrap().is_some());
    }

    #[test]
    fn caps_select_the_rules() {
        // bpf (x86_64: 321) is allowed only with CAP_SYS_ADMIN, else EPERM.
        let default = pfc(&compile(&Profile::Default, &capabilities::default_set())
            .unwrap()
            .unwrap());
        let mut admin = capabilities::default_set();
        admin.insert(caps::Capability::CAP_SYS_ADMIN);
        let with_admin = pfc(&compile(&Profile::Default, &admin).unwrap().unwrap());
        let bpf_rule = |text: &str| {
            let at = text.find("if ($syscall == 321)").expect("bpf has a rule");
            text[at..].lines().nth(1).unwrap_or_default().to_string()
        };
        assert!(bpf_rule(&default).contains("ERRNO(1)"), "{default}");
        assert!(bpf_rule(&with_admin).contains("ALLOW"), "{with_admin}");
    }

    #[test]
    fn unconfined_gives_no_filter() {
        assert!(
            compile(&Profile::Unconfined, &capabilities::default_set())
                .unwrap()
                .is_none()
        );
        assert_eq!(
            Profile::from_security_opt("unconfined"),
            Profile::Unconfined
        );
        assert_eq!(
            Profile::from_security_opt("/etc/x.json"),
            Profile::File("/etc/x.json".into())
        );
    }

    #[test]
    fn empty_profile_disables_seccomp_like_podman() {
        let f = profile_file("{}");
        let got = compile(
            &Profile::File(f.path().into()),
            &capabilities::default_set(),
        )
        .unwrap();
        assert!(got.is_none());
    }

    #[test]
    fn bad_json_names_the_file() {
        let f = profile_file("{\"defaultAction\": ");
        let err = compile(
            &Profile::File(f.path().into()),
            &capabilities::default_set(),
        )
        .unwrap_err();
        assert!(matches!(err, SecurityError::ProfileParse { .. }), "{err}");
        assert!(
            err.to_string().contains(&f.path().display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn missing_file_names_the_file() {
        let err = compile(
            &Profile::File("/nonexistent/seccomp.json".into()),
            &capabilities::default_set(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/seccomp.json"),
            "{err}"
        );
    }

    #[test]
    fn invalid_contents_are_reported() {
        for (json, needle) in [
            (
                r#"{"defaultAction":"SCMP_ACT_NOPE","syscalls":[]}"#,
                "unknown action \"SCMP_ACT_NOPE\"",
            ),
            (
                r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#,
                "argument index 7",
            ),
            (
                r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]}]}"#,
                "unknown operator",
            ),
            (
                r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}],"syscalls":[]}"#,
                "use either",
            ),
            (
                r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOTIFY"}]}"#,
                "SCMP_ACT_NOTIFY",
            ),
        ] {
            let f = profile_file(json);
            let err = compile(
                &Profile::File(f.path().into()),
                &capabilities::default_set(),
            )
            .unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(needle), "{json}: {msg}");
            assert!(msg.contains(&f.path().display().to_string()), "{msg}");
        }
    }

    #[test]
    fn custom_profile_features() {
        // Unknown syscall names are skipped; minKernel, arches, errnoRet, MASKED_EQ and a
        // repeated argument index all compile.
        let json = r#"{
            "defaultAction": "SCMP_ACT_ALLOW",
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "syscalls": [
                {"names": ["no_such_syscall_xyz", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                {"name": "rmdir", "action": "SCMP_ACT_KILL_PROCESS", "includes": {"minKernel": "99.0"}},
                {"names": ["chdir"], "action": "SCMP_ACT_LOG", "includes": {"minKernel": "3.0"}},
                {"names": ["fchdir"], "action": "SCMP_ACT_TRAP", "includes": {"arches": ["s390x"]}},
                {"names": ["fchmod"], "action": "SCMP_ACT_ERRNO", "excludes": {"arches": ["amd64"]}},
                {"names": ["open"], "action": "SCMP_ACT_ERRNO",
                 "args": [{"index": 1, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]},
                {"names": ["openat"], "action": "SCMP_ACT_ERRNO",
                 "args": [{"index": 2, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 2, "op": "SCMP_CMP_EQ"}]}
            ]
        }"#;
        let f = profile_file(json);
        let ctx = compile(
            &Profile::File(f.path().into()),
            &capabilities::default_set(),
        )
        .unwrap()
        .unwrap();
        assert!(ctx.get_ctl_log().unwrap());
        let text = pfc(&ctx);
        // x86_64 numbers: mkdir 83, rmdir 84, chdir 80, fchdir 81, fchmod 91, open 2, openat 257.
        assert!(text.contains("$syscall == 83"), "{text}");
        assert!(text.contains("ERRNO(13)"), "{text}");
        assert!(
            !text.contains("$syscall == 84"),
            "minKernel 99.0 applied:\n{text}"
        );
        assert!(text.contains("$syscall == 80"), "{text}");
        assert!(
            !text.contains("$syscall == 81"),
            "s390x-only rule applied:\n{text}"
        );
        assert!(
            !text.contains("$syscall == 91"),
            "amd64-excluded rule applied:\n{text}"
        );
        assert!(text.contains("$syscall == 2)"), "{text}");
        assert!(text.contains("$syscall == 257"), "{text}");
    }

    #[test]
    fn go_arch_name_of_native_is_known() {
        assert_ne!(go_arch_name(ScmpArch::native()), "unknown");
    }
}
