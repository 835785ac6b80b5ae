//! systemd unit files as data: [`UnitFile`] parses and renders the INI-like format systemd
//! reads (sections, repeated keys, comments, continuation lines), and [`quote`] holds systemd's
//! quoting and escaping rules for command lines, values and unit names. [`Service`],
//! [`Timer`] and [`Socket`] describe units with typed fields and render to a [`UnitFile`].
//! It knows nothing of containers: callers describe a unit, this crate writes it.

mod error;
mod file;
pub mod quote;
mod service;
mod socket;
mod timer;
mod unit;

pub use error::UnitError;
pub use file::{Entry, Section, UnitFile};
pub use service::{BadRestart, EnvVar, KillMode, NotifyAccess, Restart, Service, ServiceType};
pub use socket::Socket;
pub use timer::Timer;
pub use unit::{Command, Dependency, InstallInfo, UnitInfo, Word, time_span};

#[cfg(test)]
mod systemd_tests {
    use crate::Word;

    // systemd itself accepts every kind of unit this crate describes (systemd-analyze verify
    // loads them as the manager would, checks keys, values, quoting and that programs exist).
    #[test]
    fn systemd_analyze_accepts_described_units() {
        let dir = std::env::temp_dir().join(format!("units-describe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut service = crate::service::tests::sample();
        // verify insists that programs exist.
        for c in service.exec_start.iter_mut().chain(&mut service.exec_stop) {
            c.words[0] = Word::Literal("/bin/echo".into());
        }
        service.restart_sec = Some(std::time::Duration::from_millis(250));
        service.success_exit_status = vec!["143".into(), "SIGTERM".into()];
        service.unit.start_limit_burst = Some(5);
        let mut timer = crate::timer::tests::sample();
        timer.target = Some("describe-check.service".into());
        let mut socket = crate::socket::tests::sample();
        socket.service = Some("describe-check.service".into());
        let files = [
            ("describe-check.service", service.render()),
            ("describe-check.timer", timer.render()),
            ("describe-check.socket", socket.render()),
        ];
        let mut paths = Vec::new();
        for (name, text) in &files {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            paths.push(p);
        }
        let out = std::process::Command::new("systemd-analyze")
            // Documentation= names a man page that exists once installed, not here.
            .args(["verify", "--man=no"])
            .args(&paths)
            .output()
            .expect("systemd-analyze (package systemd) must be installed: scripts/setup-host");
        let _ = std::fs::remove_dir_all(&dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ours: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("describe-check"))
            .collect();
        assert!(out.status.success() && ours.is_empty(), "{stderr}");
    }
}
