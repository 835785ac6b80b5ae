//! [`UnitFile`]: ordered sections of ordered `KEY=VALUE` entries, as systemd reads them
//! (systemd.syntax(7)): `#` and `;` start comments, a trailing backslash continues a line
//! (replaced by a space), a key may repeat, and an empty value resets a list key.

use std::fmt::Write as _;

use crate::UnitError;

/// One `KEY=VALUE` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
}

/// One `[Name]` section with its entries in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub entries: Vec<Entry>,
}

/// A unit file: comments at its top, then sections in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitFile {
    /// Comment lines rendered first (without the leading `# `).
    pub header: Vec<String>,
    pub sections: Vec<Section>,
}

impl UnitFile {
    pub fn new() -> UnitFile {
        UnitFile::default()
    }

    /// Parses unit file text. Comments are dropped; entries keep their order.
    pub fn parse(text: &str) -> Result<UnitFile, UnitError> {
        let mut unit = UnitFile::new();
        let mut pending: Option<(usize, String)> = None;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            if let Some((start, mut acc)) = pending.take() {
                // Comment lines inside a continued value are skipped, as systemd does.
                if line.starts_with('#') || line.starts_with(';') {
                    pending = Some((start, acc));
                    continue;
                }
                match line.strip_suffix('\\') {
                    Some(rest) => {
                        acc.push(' ');
                        acc.push_str(rest);
                        pending = Some((start, acc));
                    }
                    None => {
                        acc.push(' ');
                        acc.push_str(line);
                        unit.add_line(start, &acc)?;
                    }
                }
                continue;
            }
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_suffix('\\') {
                pending = Some((line_no, rest.to_string()));
                continue;
            }
            unit.add_line(line_no, line)?;
        }
        if let Some((start, acc)) = pending {
            unit.add_line(start, &acc)?;
        }
        Ok(unit)
    }

    fn add_line(&mut self, line: usize, text: &str) -> Result<(), UnitError> {
        let text = text.trim();
        if text.starts_with('[') {
            let name = text
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .ok_or_else(|| UnitError::BadHeader {
                    line,
                    text: text.to_string(),
                })?;
            self.sections.push(Section {
                name: name.to_string(),
                entries: Vec::new(),
            });
            return Ok(());
        }
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| UnitError::NotAnAssignment {
                line,
                text: text.to_string(),
            })?;
        let section = self
            .sections
            .last_mut()
            .ok_or_else(|| UnitError::OutsideSection {
                line,
                text: text.to_string(),
            })?;
        section.entries.push(Entry {
            key: key.trim().to_string(),
            value: value.trim().to_string(),
        });
        Ok(())
    }

    /// The first section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The section called `name`, added at the end if missing.
    pub fn section_mut(&mut self, name: &str) -> &mut Section {
        match self.sections.iter().position(|s| s.name == name) {
            Some(i) => &mut self.sections[i],
            None => {
                self.sections.push(Section {
                    name: name.to_string(),
                    entries: Vec::new(),
                });
                let last = self.sections.len() - 1;
                &mut self.sections[last]
            }
        }
    }

    /// Appends `KEY=VALUE` to `section` (a key may repeat).
    pub fn add(&mut self, section: &str, key: &str, value: impl Into<String>) -> &mut Self {
        self.section_mut(section).entries.push(Entry {
            key: key.to_string(),
            value: value.into(),
        });
        self
    }

    /// Replaces every `key` of `section` by one `KEY=VALUE`, where the first one was.
    pub fn set(&mut self, section: &str, key: &str, value: impl Into<String>) -> &mut Self {
        let s = self.section_mut(section);
        let value = value.into();
        match s.entries.iter().position(|e| e.key == key) {
            Some(i) => {
                s.entries[i].value = value;
                let mut n = 0;
                s.entries.retain(|e| {
                    n += 1;
                    e.key != key || n - 1 == i
                });
            }
            None => s.entries.push(Entry {
                key: key.to_string(),
                value,
            }),
        }
        self
    }

    /// Removes every `key` of `section`.
    pub fn remove(&mut self, section: &str, key: &str) -> &mut Self {
        for s in self.sections.iter_mut().filter(|s| s.name == section) {
            s.entries.retain(|e| e.key != key);
        }
        self
    }

    /// The last value of `key` in `section` (systemd's rule for single-valued keys).
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.get_all(section, key).last().copied()
    }

    /// Every value of `key` in `section`, in order, across repeated sections, with an empty
    /// value resetting the list (systemd's rule for list keys).
    pub fn get_all(&self, section: &str, key: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for s in self.sections.iter().filter(|s| s.name == section) {
            for e in s.entries.iter().filter(|e| e.key == key) {
                if e.value.is_empty() {
                    out.clear();
                } else {
                    out.push(e.value.as_str());
                }
            }
        }
        out
    }

    /// The unit file's text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for h in &self.header {
            if h.is_empty() {
                out.push_str("#\n");
            } else {
                let _ = writeln!(out, "# {h}");
            }
        }
        for (i, s) in self.sections.iter().enumerate() {
            if i > 0 || !self.header.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "[{}]", s.name);
            for e in &s.entries {
                let _ = writeln!(out, "{}={}", e.key, e.value);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_render_round_trip() {
        let text = "# top\n[Unit]\nDescription=web\nAfter=a.service\nAfter=b.service\n\n[Service]\n; c\nExecStart=/bin/echo \\\n  hello \\\n# skipped\n  world\nEnvironment=\n";
        let u = UnitFile::parse(text).unwrap();
        assert_eq!(u.get("Unit", "Description"), Some("web"));
        assert_eq!(u.get_all("Unit", "After"), vec!["a.service", "b.service"]);
        let exec = u.get("Service", "ExecStart").unwrap();
        assert_eq!(
            crate::quote::split(exec).unwrap(),
            vec!["/bin/echo", "hello", "world"]
        );
        assert!(u.get_all("Service", "Environment").is_empty());
        let again = UnitFile::parse(&u.render()).unwrap();
        assert_eq!(again, u);
    }

    #[test]
    fn errors_name_the_line() {
        let e = UnitFile::parse("Key=1\n").unwrap_err();
        assert_eq!(
            e,
            UnitError::OutsideSection {
                line: 1,
                text: "Key=1".into()
            }
        );
        assert!(matches!(
            UnitFile::parse("[Unit]\nnope\n"),
            Err(UnitError::NotAnAssignment { line: 2, .. })
        ));
        assert!(matches!(
            UnitFile::parse("[Unit\n"),
            Err(UnitError::BadHeader { line: 1, .. })
        ));
    }

    #[test]
    fn set_add_remove() {
        let mut u = UnitFile::new();
        u.add("Service", "Environment", "A=1")
            .add("Service", "Environment", "B=2")
            .set("Service", "Type", "notify")
            .set("Service", "Environment", "C=3");
        assert_eq!(u.get_all("Service", "Environment"), vec!["C=3"]);
        u.remove("Service", "Type");
        assert_eq!(u.get("Service", "Type"), None);
        u.header = vec!["generated".into()];
        assert_eq!(u.render(), "# generated\n\n[Service]\nEnvironment=C=3\n");
    }
}
