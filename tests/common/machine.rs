//! A real systemd for end-to-end tests of units, quadlet files, timers and reboots.
//!
//! `tests/tools/systemd-machine` boots this host's own root under systemd-nspawn, through an
//! overlay (nothing of the host changes), with /home bound from the host and per-user managers
//! running. Each [`Machine`] is one booted machine, destroyed when dropped. Its [`Env`]s live
//! under the test user's home (the machine sees /home, not the host's /tmp, which its boot
//! empties), and every burrow command of such an Env runs inside the machine, so the user
//! namespace, the pause process and the units all belong to one systemd.
//!
//! ```ignore
//! let m = Machine::boot();
//! let env = m.env().with_busybox_in(&m);
//! m.burrow(&env, &["run", "-d", "--name", "web", "busybox", "sleep", "1000"]).ok();
//! m.systemctl(&env, &["start", "container-web.service"]).ok();
//! m.reboot();
//! ```

#![allow(dead_code)] // each test crate uses a different part of the harness

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{Env, Output, busybox_tar, copy_burrow_bin, is_root, make_dir, test_user};

/// One booted systemd machine.
pub struct Machine {
    name: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/systemd-machine")
}

/// Where machine tests keep their files: under the test user's home, which machines share.
pub fn machine_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let user = test_user();
        let out = Command::new("getent")
            .args(["passwd", &user.name])
            .output()
            .expect("getent passwd");
        let line = String::from_utf8_lossy(&out.stdout).to_string();
        let home = line
            .trim()
            .split(':')
            .nth(5)
            .filter(|h| h.starts_with("/home/"))
            .unwrap_or_else(|| {
                panic!("the test user's home must be under /home (machines bind /home): {line:?}")
            })
            .to_string();
        let root = PathBuf::from(home).join(".e2e");
        make_dir(&root, 0o755);
        if user.drop_privileges {
            std::os::unix::fs::chown(&root, Some(user.uid), Some(user.gid)).expect("chown .e2e");
        }
        root
    })
}

/// The burrow binary as machines see it.
pub fn machine_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| copy_burrow_bin(machine_root()))
}

impl Machine {
    /// Boots a fresh machine (a few seconds). Panics with the fix when this runner cannot.
    pub fn boot() -> Machine {
        assert!(
            is_root(),
            "systemd machine tests need a root runner (sudo scripts/test)"
        );
        assert!(
            Path::new("/usr/bin/systemd-nspawn").exists(),
            "systemd-nspawn is missing: run scripts/setup-host (apt-get install systemd-container)"
        );
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let m = Machine {
            name: format!("bt{}x{n}", std::process::id()),
        };
        m.tool(&["start"]);
        m
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn tool(&self, args: &[&str]) {
        let (cmd, rest) = args.split_first().expect("a systemd-machine command");
        let out = Command::new(script())
            .arg(cmd)
            .arg(&self.name)
            .args(rest)
            .stdin(Stdio::null())
            .output()
            .expect("run tests/tools/systemd-machine");
        assert!(
            out.status.success(),
            "systemd-machine {cmd} {}: {}{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Powers the machine off and boots it again with its state kept (a reboot).
    pub fn reboot(&self) {
        self.tool(&["reboot"]);
    }

    /// An Env for this machine: its directories under the shared home, and its XDG variables
    /// given to the test user's systemd manager, so units see the same store as commands.
    pub fn env(&self) -> Env {
        let env = Env::new_under(machine_root());
        self.import_env(&env);
        env
    }

    /// Gives `env`'s HOME and XDG directories to the user manager (again after a reboot).
    pub fn import_env(&self, env: &Env) {
        let mut args = vec!["--user".to_string(), "set-environment".to_string()];
        for (k, v) in env.envs() {
            if matches!(
                k.as_str(),
                "HOME" | "XDG_DATA_HOME" | "XDG_CONFIG_HOME" | "XDG_RUNTIME_DIR" | "PATH"
            ) {
                args.push(format!("{k}={v}"));
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.user_plain(env, "systemctl", &args).ok();
    }

    /// A command that runs `program` inside the machine as the test user, with `env`'s
    /// environment (and the user bus).
    pub fn user_cmd<S: AsRef<OsStr>>(&self, env: &Env, program: &str, args: &[S]) -> Command {
        let user = test_user();
        let mut cmd = Command::new(script());
        cmd.args(["run", &self.name, &user.name, "env", "-C"])
            .arg(env.home())
            .arg("-u")
            .arg("XDG_RUNTIME_DIR");
        for (k, v) in env.envs() {
            cmd.arg(format!("{k}={v}"));
        }
        cmd.arg(program).args(args).stdin(Stdio::null());
        cmd
    }

    /// Runs `program` inside the machine as the test user with `env`'s environment.
    #[track_caller]
    pub fn user<S: AsRef<OsStr>>(&self, env: &Env, program: &str, args: &[S]) -> Output {
        env.output(self.user_cmd(env, program, args))
    }

    /// Runs `program` as the test user with the user manager's own environment (its
    /// XDG_RUNTIME_DIR and bus): for systemctl, systemd-run, journalctl.
    #[track_caller]
    pub fn user_plain<S: AsRef<OsStr>>(&self, env: &Env, program: &str, args: &[S]) -> Output {
        let user = test_user();
        let mut cmd = Command::new(script());
        cmd.args(["run", &self.name, &user.name, program])
            .args(args)
            .stdin(Stdio::null());
        env.output(cmd)
    }

    /// `burrow ARGS` inside the machine.
    #[track_caller]
    pub fn burrow<S: AsRef<OsStr>>(&self, env: &Env, args: &[S]) -> Output {
        self.user(env, &machine_bin().display().to_string(), args)
    }

    /// `sh -c SCRIPT` inside the machine as the test user (`$BURROW` is the binary).
    #[track_caller]
    pub fn sh(&self, env: &Env, script: &str) -> Output {
        let script = format!("BURROW={}; {script}", machine_bin().display());
        self.user(env, "sh", &["-c", &script])
    }

    /// `systemctl --user ARGS` (and `journalctl --user` through `user_plain` for diagnosis).
    #[track_caller]
    pub fn systemctl<S: AsRef<OsStr>>(&self, env: &Env, args: &[S]) -> Output {
        let mut all: Vec<&OsStr> = vec![OsStr::new("--user")];
        all.extend(args.iter().map(AsRef::as_ref));
        self.user_plain(env, "systemctl", &all)
    }

    /// The user's journal, for failure messages.
    pub fn journal(&self, env: &Env) -> String {
        let out = self.user_plain(env, "journalctl", &["--user", "--no-pager", "-n", "200"]);
        format!("{}{}", out.stdout, out.stderr)
    }

    /// Runs `args` as root inside the machine.
    #[track_caller]
    pub fn root<S: AsRef<OsStr>>(&self, env: &Env, args: &[S]) -> Output {
        let mut cmd = Command::new(script());
        cmd.args(["root", &self.name])
            .args(args)
            .stdin(Stdio::null());
        env.output(cmd)
    }

    /// Imports the busybox rootfs as `localhost/busybox` inside the machine.
    #[track_caller]
    pub fn import_busybox(&self, env: &Env) {
        let tar = machine_root().join("busybox-rootfs.tar");
        if !tar.exists() {
            std::fs::copy(busybox_tar(), &tar).expect("copy the busybox tarball");
        }
        self.burrow(
            env,
            &[
                OsStr::new("import"),
                tar.as_os_str(),
                OsStr::new(crate::common::BUSYBOX),
            ],
        )
        .ok();
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["destroy", &self.name])
            .stdin(Stdio::null())
            .output();
    }
}
