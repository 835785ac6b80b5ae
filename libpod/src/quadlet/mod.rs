//! Quadlet: podman's declarative files (`.container`, `.pod`, `.volume`, `.network`, `.kube`,
//! `.image`, `.build`) turned into systemd service units that run burrow, as podman's quadlet
//! generator does. One module per file type translates its group's keys into a burrow command
//! line; [`dirs`] finds and loads the files (with drop-ins), [`output`] writes the units.
//! Nothing here runs a container or talks to systemd: it only reads files and writes text.

mod build;
mod cmdline;
mod container;
pub mod dirs;
mod image;
mod keys;
mod kube;
mod network;
pub mod output;
mod pod;
mod service;
mod volume;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use systemd_units::{UnitError, UnitFile};

/// The kinds of quadlet files, named by their extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Container,
    Volume,
    Network,
    Pod,
    Kube,
    Image,
    Build,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Container,
        Kind::Volume,
        Kind::Network,
        Kind::Pod,
        Kind::Kube,
        Kind::Image,
        Kind::Build,
    ];

    /// The kind of a file called `name`, from its extension.
    pub fn of_file(name: &str) -> Option<Kind> {
        let ext = Path::new(name).extension()?.to_str()?;
        Kind::ALL.into_iter().find(|k| k.ext() == ext)
    }

    /// The extension, without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            Kind::Container => "container",
            Kind::Volume => "volume",
            Kind::Network => "network",
            Kind::Pod => "pod",
            Kind::Kube => "kube",
            Kind::Image => "image",
            Kind::Build => "build",
        }
    }

    /// The group holding the file's own keys (`[Container]`, ...).
    pub fn group(self) -> &'static str {
        match self {
            Kind::Container => "Container",
            Kind::Volume => "Volume",
            Kind::Network => "Network",
            Kind::Pod => "Pod",
            Kind::Kube => "Kube",
            Kind::Image => "Image",
            Kind::Build => "Build",
        }
    }

    /// What podman appends to the file's base name to name the service.
    fn service_suffix(self) -> &'static str {
        match self {
            Kind::Container | Kind::Kube => "",
            Kind::Volume => "-volume",
            Kind::Network => "-network",
            Kind::Pod => "-pod",
            Kind::Image => "-image",
            Kind::Build => "-build",
        }
    }

    /// Conversion order: a file is converted after the kinds it may refer to (podman's
    /// SupportedExtensions order), so a pod sees every container that joins it.
    fn order(self) -> u8 {
        match self {
            Kind::Image => 1,
            Kind::Volume | Kind::Network => 2,
            Kind::Build => 3,
            Kind::Container | Kind::Kube => 4,
            Kind::Pod => 5,
        }
    }
}

/// What went wrong with one quadlet file; the file is skipped, the others still generated.
#[derive(thiserror::Error, Debug)]
pub enum QuadletError {
    #[error("error loading {path:?}, {source}")]
    Parse { path: PathBuf, source: UnitError },
    #[error("reading {path:?}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("converting {file:?}: unsupported key '{key}' in group '{group}' in {}{}", path.display(), line_suffix(*line))]
    UnknownKey {
        file: String,
        key: String,
        group: String,
        path: PathBuf,
        line: Option<usize>,
    },
    #[error("converting {file:?}: {message}")]
    Convert { file: String, message: String },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(", line {l}")).unwrap_or_default()
}

/// One quadlet file with its drop-ins merged.
#[derive(Clone, Debug)]
pub struct Quadlet {
    /// Where the file is (SourcePath= of the unit, base of relative paths).
    pub path: PathBuf,
    /// Its file name, `web.container`: how other files refer to it.
    pub name: String,
    pub kind: Kind,
    pub unit: UnitFile,
    /// The texts it was read from (the file, then its drop-ins), to name a key's line.
    sources: Vec<(PathBuf, String)>,
}

impl Quadlet {
    /// Parses the quadlet file at `path` from `text`.
    pub fn parse(path: &Path, text: &str) -> Result<Quadlet, QuadletError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = Kind::of_file(&name).ok_or_else(|| QuadletError::Convert {
            file: name.clone(),
            message: format!("unsupported file type {name:?}"),
        })?;
        let unit = UnitFile::parse(text).map_err(|source| QuadletError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Quadlet {
            path: path.to_path_buf(),
            name,
            kind,
            unit,
            sources: vec![(path.to_path_buf(), text.to_string())],
        })
    }

    /// Merges a drop-in: its entries are added after the file's own, as systemd does.
    pub fn merge_dropin(&mut self, path: &Path, text: &str) -> Result<(), QuadletError> {
        let dropin = UnitFile::parse(text).map_err(|source| QuadletError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        for s in dropin.sections {
            self.unit.section_mut(&s.name);
            for e in s.entries {
                self.unit.add(&s.name, &e.key, e.value);
            }
        }
        self.sources.push((path.to_path_buf(), text.to_string()));
        Ok(())
    }

    /// The generated service's name without `.service`: `ServiceName=`, else the file's base
    /// name plus the kind's suffix.
    pub fn service_name(&self) -> String {
        if let Some(s) = self.unit.get(self.kind.group(), "ServiceName") {
            return s.to_string();
        }
        format!("{}{}", self.base_name(), self.kind.service_suffix())
    }

    /// The file name without its extension.
    pub fn base_name(&self) -> &str {
        self.name
            .rsplit_once('.')
            .map(|(b, _)| b)
            .unwrap_or(&self.name)
    }

    /// The file (and line) where `key` of `group` is set, for error messages.
    fn locate(&self, group: &str, key: &str) -> (PathBuf, Option<usize>) {
        for (path, text) in &self.sources {
            let mut current = "";
            for (i, line) in text.lines().enumerate() {
                let t = line.trim();
                if let Some(g) = t.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                    current = g;
                } else if current == group
                    && t.split_once('=').is_some_and(|(k, _)| k.trim() == key)
                {
                    return (path.clone(), Some(i + 1));
                }
            }
        }
        (self.path.clone(), None)
    }

    fn error(&self, message: impl Into<String>) -> QuadletError {
        QuadletError::Convert {
            file: self.name.clone(),
            message: message.into(),
        }
    }
}

/// A generated unit: its file name (`web.service`) and contents.
#[derive(Clone, Debug)]
pub struct Generated {
    pub file_name: String,
    pub unit: UnitFile,
}

/// How units are generated.
#[derive(Clone, Debug)]
pub struct Options {
    /// The burrow binary the units run.
    pub burrow: String,
    /// For a user manager (`burrow-user-generator`) rather than the system one.
    pub user: bool,
    /// `burrow run` accepts `--sdnotify`: the unit is `Type=notify` and the container's
    /// monitor reports READY; without it the unit is `Type=forking`.
    pub sdnotify: bool,
    /// `burrow rm` accepts `--cidfile`: the container is tracked by `%t/%N.cid` (podman 5.0's
    /// units); without it by its name (podman 5.1 and later).
    pub rm_cidfile: bool,
}

/// What other files may know of a file: its service and the resource it creates.
#[derive(Clone, Debug, Default)]
struct UnitInfo {
    service: String,
    resource: String,
    /// For pods: the container services that start with it.
    containers: Vec<String>,
}

impl UnitInfo {
    fn service_file(&self) -> String {
        format!("{}.service", self.service)
    }
}

/// The state of one generation run, shared by the converters.
struct Ctx<'a> {
    opts: &'a Options,
    infos: HashMap<String, UnitInfo>,
}

impl Ctx<'_> {
    fn info(&self, q: &Quadlet, name: &str) -> Result<&UnitInfo, QuadletError> {
        self.infos
            .get(name)
            .ok_or_else(|| q.error(format!("requested Quadlet unit {name} was not found")))
    }
}

fn resource_name(q: &Quadlet, key: &str) -> String {
    match q.unit.get(q.kind.group(), key) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => format!("systemd-{}", q.base_name()),
    }
}

fn unit_info(q: &Quadlet) -> UnitInfo {
    let service = q.service_name();
    let group = q.kind.group();
    let resource = match q.kind {
        Kind::Container => match q.unit.get(group, "ContainerName") {
            Some(n) if !n.is_empty() => n.replace("%N", &service),
            _ => format!("systemd-{service}"),
        },
        Kind::Volume => resource_name(q, "VolumeName"),
        Kind::Network => resource_name(q, "NetworkName"),
        Kind::Pod => resource_name(q, "PodName"),
        Kind::Image => q
            .unit
            .get(group, "ImageTag")
            .or_else(|| q.unit.get(group, "Image"))
            .unwrap_or_default()
            .to_string(),
        Kind::Build => q
            .unit
            .get_all(group, "ImageTag")
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        Kind::Kube => String::new(),
    };
    UnitInfo {
        service,
        resource,
        containers: Vec::new(),
    }
}

/// Translates every quadlet into its service unit. A file that cannot be converted is
/// reported and skipped; the others are still generated.
pub fn generate(quadlets: &[Quadlet], opts: &Options) -> (Vec<Generated>, Vec<QuadletError>) {
    let mut ordered: Vec<&Quadlet> = quadlets.iter().collect();
    ordered.sort_by_key(|q| q.kind.order());
    let mut ctx = Ctx {
        opts,
        infos: quadlets
            .iter()
            .map(|q| (q.name.clone(), unit_info(q)))
            .collect(),
    };
    let mut units = Vec::new();
    let mut errors = Vec::new();
    for q in ordered {
        let converted = keys::check(q).and_then(|()| match q.kind {
            Kind::Container => container::convert(q, &mut ctx),
            Kind::Volume => volume::convert(q, &mut ctx),
            Kind::Network => network::convert(q, &mut ctx),
            Kind::Pod => pod::convert(q, &mut ctx),
            Kind::Kube => kube::convert(q, &mut ctx),
            Kind::Image => image::convert(q, &mut ctx),
            Kind::Build => build::convert(q, &mut ctx),
        });
        match converted {
            Ok(unit) => units.push(Generated {
                file_name: format!("{}.service", q.service_name()),
                unit,
            }),
            Err(e) => errors.push(e),
        }
    }
    (units, errors)
}

/// `burrow quadlet --dryrun`'s text: each unit under a `---NAME---` header, as podman's
/// `quadlet -dryrun` prints them.
pub fn dryrun_text(units: &[Generated]) -> String {
    let mut out = String::new();
    for g in units {
        out.push_str(&format!("---{}---\n{}\n", g.file_name, g.unit.render()));
    }
    out
}

/// `quadlet list --filter KEY=PATTERN`: podman matches the pattern as a regular expression.
pub fn filter_matches(pattern: &str, value: &str) -> Result<bool, String> {
    regex_lite::Regex::new(pattern)
        .map(|re| re.is_match(value))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
