//! [`Service`]: a `.service` unit described by typed fields (systemd.service(5),
//! systemd.exec(5), systemd.kill(5)), rendered to a [`UnitFile`]. `[Service]` keys come out in
//! a fixed order (environment, restart, timeouts, commands, PID file, type), the order
//! podman's generated units use, so generated files are stable and comparable.

use std::time::Duration;

use crate::unit::{Command, InstallInfo, UnitInfo, time_span};
use crate::{UnitFile, quote};

/// `Type=`: when systemd considers the service started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServiceType {
    #[default]
    Simple,
    Exec,
    /// Started when `ExecStart=` exits; the main process is read from `PIDFile=`.
    Forking,
    Oneshot,
    Dbus,
    /// Started at `READY=1` over `$NOTIFY_SOCKET`.
    Notify,
    NotifyReload,
    Idle,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::Simple => "simple",
            ServiceType::Exec => "exec",
            ServiceType::Forking => "forking",
            ServiceType::Oneshot => "oneshot",
            ServiceType::Dbus => "dbus",
            ServiceType::Notify => "notify",
            ServiceType::NotifyReload => "notify-reload",
            ServiceType::Idle => "idle",
        }
    }
}

/// `NotifyAccess=`: whose notifications systemd accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyAccess {
    None,
    Main,
    Exec,
    /// Any process of the unit's cgroup (needed when a helper, not the main process, notifies).
    All,
}

impl NotifyAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyAccess::None => "none",
            NotifyAccess::Main => "main",
            NotifyAccess::Exec => "exec",
            NotifyAccess::All => "all",
        }
    }
}

/// `Restart=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    No,
    OnSuccess,
    OnFailure,
    OnAbnormal,
    OnWatchdog,
    OnAbort,
    Always,
}

/// A `Restart=` value systemd does not know.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("{0} is not a valid restart policy")]
pub struct BadRestart(pub String);

impl Restart {
    pub const ALL: [Restart; 7] = [
        Restart::No,
        Restart::OnSuccess,
        Restart::OnFailure,
        Restart::OnAbnormal,
        Restart::OnWatchdog,
        Restart::OnAbort,
        Restart::Always,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Restart::No => "no",
            Restart::OnSuccess => "on-success",
            Restart::OnFailure => "on-failure",
            Restart::OnAbnormal => "on-abnormal",
            Restart::OnWatchdog => "on-watchdog",
            Restart::OnAbort => "on-abort",
            Restart::Always => "always",
        }
    }
}

impl std::str::FromStr for Restart {
    type Err = BadRestart;
    fn from_str(s: &str) -> Result<Restart, BadRestart> {
        Restart::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| BadRestart(s.to_string()))
    }
}

/// `KillMode=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillMode {
    ControlGroup,
    Mixed,
    Process,
    None,
}

impl KillMode {
    pub fn as_str(self) -> &'static str {
        match self {
            KillMode::ControlGroup => "control-group",
            KillMode::Mixed => "mixed",
            KillMode::Process => "process",
            KillMode::None => "none",
        }
    }
}

/// An environment assignment of `Environment=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
    /// Whether `%` specifiers in the value are live (`PODMAN_SYSTEMD_UNIT=%n`).
    pub specifiers: bool,
}

/// A service unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    /// Comment lines at the top of the file.
    pub header: Vec<String>,
    pub unit: UnitInfo,
    pub environment: Vec<EnvVar>,
    pub restart: Option<Restart>,
    pub restart_sec: Option<Duration>,
    /// `TimeoutStartSec=` (None: systemd's default).
    pub timeout_start: Option<Duration>,
    pub timeout_stop: Option<Duration>,
    pub exec_start_pre: Vec<Command>,
    pub exec_start: Vec<Command>,
    pub exec_start_post: Vec<Command>,
    pub exec_stop: Vec<Command>,
    pub exec_stop_post: Vec<Command>,
    pub pid_file: Option<String>,
    pub kind: ServiceType,
    pub notify_access: Option<NotifyAccess>,
    pub kill_mode: Option<KillMode>,
    /// `Delegate=yes`: the service manages its own cgroup subtree.
    pub delegate: bool,
    pub remain_after_exit: bool,
    pub working_directory: Option<String>,
    /// `SuccessExitStatus=`: exit codes (or signal names) that count as success.
    pub success_exit_status: Vec<String>,
    /// Other `[Service]` keys, verbatim, after the typed ones.
    pub extra: Vec<(String, String)>,
    pub install: InstallInfo,
}

impl Service {
    /// Adds `KEY=VALUE` to the environment, `%` and all taken literally.
    pub fn env(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.environment.push(EnvVar {
            key: key.into(),
            value: value.into(),
            specifiers: false,
        });
        self
    }

    /// The unit file.
    pub fn to_unit_file(&self) -> UnitFile {
        let mut u = UnitFile::new();
        u.header = self.header.clone();
        self.unit.render_into(&mut u);
        let s = "Service";
        u.section_mut(s);
        for e in &self.environment {
            let v = if e.specifiers {
                quote::environment_with_specifiers(&e.key, &e.value)
            } else {
                quote::environment(&e.key, &e.value)
            };
            u.add(s, "Environment", v);
        }
        if let Some(r) = self.restart {
            u.add(s, "Restart", r.as_str());
        }
        if let Some(d) = self.restart_sec {
            u.add(s, "RestartSec", time_span(d));
        }
        if let Some(d) = self.timeout_start {
            u.add(s, "TimeoutStartSec", time_span(d));
        }
        if let Some(d) = self.timeout_stop {
            u.add(s, "TimeoutStopSec", time_span(d));
        }
        for (key, cmds) in [
            ("ExecStartPre", &self.exec_start_pre),
            ("ExecStart", &self.exec_start),
            ("ExecStartPost", &self.exec_start_post),
            ("ExecStop", &self.exec_stop),
            ("ExecStopPost", &self.exec_stop_post),
        ] {
            for c in cmds {
                u.add(s, key, c.render());
            }
        }
        if let Some(p) = &self.pid_file {
            u.add(s, "PIDFile", p.as_str());
        }
        u.add(s, "Type", self.kind.as_str());
        if let Some(n) = self.notify_access {
            u.add(s, "NotifyAccess", n.as_str());
        }
        if let Some(k) = self.kill_mode {
            u.add(s, "KillMode", k.as_str());
        }
        if self.delegate {
            u.add(s, "Delegate", "yes");
        }
        if self.remain_after_exit {
            u.add(s, "RemainAfterExit", "yes");
        }
        if let Some(w) = &self.working_directory {
            u.add(s, "WorkingDirectory", w.as_str());
        }
        if !self.success_exit_status.is_empty() {
            u.add(s, "SuccessExitStatus", self.success_exit_status.join(" "));
        }
        for (k, v) in &self.extra {
            u.add(s, k, v.as_str());
        }
        self.install.render_into(&mut u);
        u
    }

    /// The unit file's text.
    pub fn render(&self) -> String {
        self.to_unit_file().render()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::quote::split;
    use crate::unit::Dependency;

    fn hostile() -> Vec<String> {
        [
            "/usr/bin/burrow",
            "run",
            "-e",
            "MSG=hello \"world\" 100% $HOME",
            "busybox",
            "sh",
            "-c",
            "echo a\\b; exit 0",
        ]
        .map(String::from)
        .to_vec()
    }

    pub(crate) fn sample() -> Service {
        let mut s = Service {
            header: vec!["web.service".into()],
            unit: UnitInfo::new("a web server"),
            restart: Some(Restart::OnFailure),
            restart_sec: Some(Duration::from_secs(5)),
            timeout_start: Some(Duration::from_secs(90)),
            timeout_stop: Some(Duration::from_secs(70)),
            exec_start: vec![Command::new(hostile())],
            exec_stop: vec![
                Command::new(["/usr/bin/burrow", "stop"]).arg_with_specifiers("--cidfile=%t/%n"),
            ],
            kind: ServiceType::Notify,
            notify_access: Some(NotifyAccess::All),
            kill_mode: Some(KillMode::Mixed),
            delegate: true,
            install: InstallInfo::wanted_by("default.target"),
            ..Service::default()
        };
        s.unit
            .depend(Dependency::Wants, ["network-online.target"])
            .depend(Dependency::After, ["network-online.target"])
            .depend(Dependency::RequiresMountsFor, ["%t/containers"]);
        s.unit
            .documentation
            .push("man:burrow-generate-systemd(1)".into());
        s.environment.push(EnvVar {
            key: "PODMAN_SYSTEMD_UNIT".into(),
            value: "%n".into(),
            specifiers: true,
        });
        s.env("GREETING", "hi there");
        s
    }

    #[test]
    fn renders_in_order_and_round_trips() {
        let text = sample().render();
        assert_eq!(
            text,
            "# web.service

[Unit]
Description=a web server
Documentation=man:burrow-generate-systemd(1)
Wants=network-online.target
After=network-online.target
RequiresMountsFor=%t/containers

[Service]
Environment=PODMAN_SYSTEMD_UNIT=%n
Environment=\"GREETING=hi there\"
Restart=on-failure
RestartSec=5
TimeoutStartSec=90
TimeoutStopSec=70
ExecStart=/usr/bin/burrow run -e \"MSG=hello \\\"world\\\" 100%% $$HOME\" busybox sh -c \"echo a\\\\b; exit 0\"
ExecStop=/usr/bin/burrow stop --cidfile=%t/%n
Type=notify
NotifyAccess=all
KillMode=mixed
Delegate=yes

[Install]
WantedBy=default.target
"
        );
        let parsed = UnitFile::parse(&text).unwrap();
        assert_eq!(
            split(parsed.get("Service", "ExecStart").unwrap()).unwrap(),
            hostile()
        );
    }

    #[test]
    fn restart_policies_parse() {
        assert_eq!("on-abort".parse::<Restart>(), Ok(Restart::OnAbort));
        assert_eq!(
            "sometimes".parse::<Restart>().unwrap_err().to_string(),
            "sometimes is not a valid restart policy"
        );
    }
}
