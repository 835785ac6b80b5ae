//! What every unit type shares: the `[Unit]` section ([`UnitInfo`], its dependencies in the
//! order given), the `[Install]` section ([`InstallInfo`]), command lines as words
//! ([`Command`], each word literal or carrying live `%` specifiers), and time spans.

use std::time::Duration;

use crate::{UnitFile, quote};

/// A dependency or ordering key of `[Unit]` (systemd.unit(5)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dependency {
    Wants,
    Requires,
    Requisite,
    BindsTo,
    PartOf,
    Conflicts,
    Before,
    After,
    /// Paths whose mounts the unit needs (`RequiresMountsFor=`).
    RequiresMountsFor,
}

impl Dependency {
    pub fn key(self) -> &'static str {
        match self {
            Dependency::Wants => "Wants",
            Dependency::Requires => "Requires",
            Dependency::Requisite => "Requisite",
            Dependency::BindsTo => "BindsTo",
            Dependency::PartOf => "PartOf",
            Dependency::Conflicts => "Conflicts",
            Dependency::Before => "Before",
            Dependency::After => "After",
            Dependency::RequiresMountsFor => "RequiresMountsFor",
        }
    }
}

/// The `[Unit]` section. Dependencies render in the order they were added, one line per
/// call (names joined by spaces), so a caller can reproduce another tool's layout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitInfo {
    pub description: Option<String>,
    pub documentation: Vec<String>,
    pub dependencies: Vec<(Dependency, Vec<String>)>,
    /// `StartLimitBurst=` (starts allowed within the rate-limit interval).
    pub start_limit_burst: Option<u32>,
    /// Other `[Unit]` keys, verbatim, after the typed ones.
    pub extra: Vec<(String, String)>,
}

impl UnitInfo {
    pub fn new(description: impl Into<String>) -> UnitInfo {
        UnitInfo {
            description: Some(description.into()),
            ..UnitInfo::default()
        }
    }

    /// Adds one `KEY=a b c` dependency line; nothing when `units` is empty.
    pub fn depend<I, S>(&mut self, kind: Dependency, units: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let units: Vec<String> = units.into_iter().map(Into::into).collect();
        if !units.is_empty() {
            self.dependencies.push((kind, units));
        }
        self
    }

    pub(crate) fn render_into(&self, u: &mut UnitFile) {
        u.section_mut("Unit");
        if let Some(d) = &self.description {
            u.add("Unit", "Description", d.as_str());
        }
        for d in &self.documentation {
            u.add("Unit", "Documentation", d.as_str());
        }
        for (kind, units) in &self.dependencies {
            u.add("Unit", kind.key(), units.join(" "));
        }
        if let Some(n) = self.start_limit_burst {
            u.add("Unit", "StartLimitBurst", n.to_string());
        }
        for (k, v) in &self.extra {
            u.add("Unit", k, v.as_str());
        }
    }
}

/// The `[Install]` section: what `systemctl enable` links the unit into.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstallInfo {
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    pub also: Vec<String>,
}

impl InstallInfo {
    /// `WantedBy=TARGET`.
    pub fn wanted_by(target: impl Into<String>) -> InstallInfo {
        InstallInfo {
            wanted_by: vec![target.into()],
            ..InstallInfo::default()
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.wanted_by.is_empty() && self.required_by.is_empty() && self.also.is_empty()
    }

    pub(crate) fn render_into(&self, u: &mut UnitFile) {
        if self.is_empty() {
            return;
        }
        for (key, list) in [
            ("WantedBy", &self.wanted_by),
            ("RequiredBy", &self.required_by),
            ("Also", &self.also),
        ] {
            if !list.is_empty() {
                u.add("Install", key, list.join(" "));
            }
        }
    }
}

/// One word of a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Word {
    /// Passed to the program exactly as given: `%` and `$` are escaped.
    Literal(String),
    /// Written by the caller with live `%` specifiers (`--cidfile=%t/%n.ctr-id`).
    Specifiers(String),
}

impl Word {
    fn render(&self) -> String {
        match self {
            Word::Literal(w) => quote::word(w),
            Word::Specifiers(w) => quote::word_with_specifiers(w),
        }
    }
}

/// A command line (`ExecStart=` and friends): a program and its arguments as words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    /// `-` prefix: a failure of this command is ignored.
    pub ignore_failure: bool,
}

impl Command {
    /// A command of literal words.
    pub fn new<I, S>(argv: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Command {
            words: argv.into_iter().map(|s| Word::Literal(s.into())).collect(),
            ignore_failure: false,
        }
    }

    pub fn arg(mut self, w: impl Into<String>) -> Command {
        self.words.push(Word::Literal(w.into()));
        self
    }

    /// An argument whose `%` specifiers systemd expands.
    pub fn arg_with_specifiers(mut self, w: impl Into<String>) -> Command {
        self.words.push(Word::Specifiers(w.into()));
        self
    }

    pub fn args<I, S>(mut self, argv: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.words
            .extend(argv.into_iter().map(|s| Word::Literal(s.into())));
        self
    }

    /// The value systemd reads back as these words.
    pub fn render(&self) -> String {
        let line = self
            .words
            .iter()
            .map(Word::render)
            .collect::<Vec<_>>()
            .join(" ");
        if self.ignore_failure {
            format!("-{line}")
        } else {
            line
        }
    }
}

/// A time span as systemd.time(7) reads it: whole seconds as a bare number (systemd's unit
/// for these keys, and how podman writes them), otherwise milliseconds or microseconds.
pub fn time_span(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        d.as_secs().to_string()
    } else if d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}us", d.as_micros().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_keep_their_order_and_skip_empty_lists() {
        let mut info = UnitInfo::new("web");
        info.depend(Dependency::Wants, ["network-online.target"])
            .depend(Dependency::After, ["network-online.target"])
            .depend(Dependency::Requires, Vec::<String>::new())
            .depend(Dependency::BindsTo, ["a.service", "b.service"]);
        let mut u = UnitFile::new();
        info.render_into(&mut u);
        assert_eq!(
            u.render(),
            "[Unit]\nDescription=web\nWants=network-online.target\nAfter=network-online.target\nBindsTo=a.service b.service\n"
        );
    }

    #[test]
    fn commands_mix_literal_words_and_specifiers() {
        let c = Command::new(["/usr/bin/burrow", "run"])
            .arg_with_specifiers("--cidfile=%t/%n.ctr-id")
            .args(["-e", "A=50% of $HOME"]);
        assert_eq!(
            c.render(),
            "/usr/bin/burrow run --cidfile=%t/%n.ctr-id -e \"A=50%% of $$HOME\""
        );
        assert_eq!(
            quote::split(&c.render()).unwrap()[4],
            "A=50% of $HOME".to_string()
        );
    }

    #[test]
    fn time_spans() {
        assert_eq!(time_span(Duration::from_secs(70)), "70");
        assert_eq!(time_span(Duration::from_millis(1500)), "1500ms");
        assert_eq!(time_span(Duration::from_micros(3)), "3us");
        assert_eq!(time_span(Duration::ZERO), "0");
    }
}
