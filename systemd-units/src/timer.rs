//! [`Timer`]: a `.timer` unit (systemd.timer(5)) that starts a service on a calendar or
//! after a delay, e.g. a periodic healthcheck or auto-update run.

use std::time::Duration;

use crate::UnitFile;
use crate::unit::{InstallInfo, UnitInfo, time_span};

/// A timer unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timer {
    pub header: Vec<String>,
    pub unit: UnitInfo,
    /// `OnCalendar=` expressions (`daily`, `*-*-* 00:00:00`).
    pub on_calendar: Vec<String>,
    pub on_active: Option<Duration>,
    pub on_boot: Option<Duration>,
    pub on_startup: Option<Duration>,
    /// `OnUnitActiveSec=`: again this long after the service last started.
    pub on_unit_active: Option<Duration>,
    pub on_unit_inactive: Option<Duration>,
    pub accuracy: Option<Duration>,
    pub randomized_delay: Option<Duration>,
    /// `Persistent=true`: a run missed while off happens at the next boot.
    pub persistent: bool,
    /// `Unit=`: the service started (default: the timer's own name with `.service`).
    pub target: Option<String>,
    pub extra: Vec<(String, String)>,
    pub install: InstallInfo,
}

impl Timer {
    pub fn to_unit_file(&self) -> UnitFile {
        let mut u = UnitFile::new();
        u.header = self.header.clone();
        self.unit.render_into(&mut u);
        let t = "Timer";
        u.section_mut(t);
        for c in &self.on_calendar {
            u.add(t, "OnCalendar", c.as_str());
        }
        for (key, d) in [
            ("OnActiveSec", self.on_active),
            ("OnBootSec", self.on_boot),
            ("OnStartupSec", self.on_startup),
            ("OnUnitActiveSec", self.on_unit_active),
            ("OnUnitInactiveSec", self.on_unit_inactive),
            ("AccuracySec", self.accuracy),
            ("RandomizedDelaySec", self.randomized_delay),
        ] {
            if let Some(d) = d {
                u.add(t, key, time_span(d));
            }
        }
        if self.persistent {
            u.add(t, "Persistent", "true");
        }
        if let Some(target) = &self.target {
            u.add(t, "Unit", target.as_str());
        }
        for (k, v) in &self.extra {
            u.add(t, k, v.as_str());
        }
        self.install.render_into(&mut u);
        u
    }

    pub fn render(&self) -> String {
        self.to_unit_file().render()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Timer {
        Timer {
            unit: UnitInfo::new("healthcheck of web"),
            on_active: Some(Duration::from_millis(500)),
            on_unit_inactive: Some(Duration::from_secs(30)),
            accuracy: Some(Duration::from_secs(1)),
            on_calendar: vec!["daily".into()],
            persistent: true,
            target: Some("web-health.service".into()),
            install: InstallInfo::wanted_by("timers.target"),
            ..Timer::default()
        }
    }

    #[test]
    fn renders() {
        assert_eq!(
            sample().render(),
            "[Unit]\nDescription=healthcheck of web\n\n[Timer]\nOnCalendar=daily\nOnActiveSec=500ms\nOnUnitInactiveSec=30\nAccuracySec=1\nPersistent=true\nUnit=web-health.service\n\n[Install]\nWantedBy=timers.target\n"
        );
    }
}
