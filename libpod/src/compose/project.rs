//! Loading a project: which files (`-f`, `COMPOSE_FILE`, else `compose.yaml` and its
//! aliases), the variables (`.env` in the project directory under the process environment),
//! each file parsed, interpolated, normalised and checked key by key (so a mistake names the
//! file, the service and the key), the files merged in order, `extends` resolved, the project
//! name chosen and normalised, and the services that `--profile` leaves out dropped. Reads
//! files only: a project that fails to load has changed nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::extends::resolve_extends;
use super::file::{absolute, parse_file, variables};
use super::interpolate::Vars;
use super::merge::merge_files;
use super::model::{ComposeFile, Service};
use super::{CResult, ComposeError};

/// The file names docker compose looks for, in its order.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// How to find and read a project.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `-f`, in order; empty: `COMPOSE_FILE`, else the default names in `cwd`.
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--project-directory`; else the first file's directory.
    pub project_directory: Option<PathBuf>,
    /// `--profile`; empty: `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
    /// `--env-file`: instead of `.env` in the project directory.
    pub env_file: Option<PathBuf>,
    /// Services named on the command line: enabled whatever their profiles.
    pub enable: Vec<String>,
    /// The process environment.
    pub env: Vars,
    pub cwd: PathBuf,
}

/// A loaded project.
#[derive(Clone, Debug)]
pub struct Project {
    pub name: String,
    pub working_dir: PathBuf,
    pub config_files: Vec<PathBuf>,
    /// Only the services the active profiles enable.
    pub model: ComposeFile,
    /// `.env` under the process environment: what `${VAR}` read.
    pub vars: Vars,
    /// Variables used but not set (compose warns about each).
    pub unset: Vec<String>,
    /// Keys accepted and not applied, as `service.key`.
    pub ignored: Vec<String>,
}

/// docker compose's project name rule: lower case, `[a-z0-9_-]`, starting with a letter or
/// digit.
pub fn normalise_name(s: &str) -> String {
    let lower: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    lower
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

impl Project {
    /// Loads the project; nothing is created or changed.
    pub fn load(o: &LoadOptions) -> CResult<Project> {
        let mut files: Vec<PathBuf> = o.files.iter().map(|f| absolute(&o.cwd, f)).collect();
        if files.is_empty() {
            if let Some(cf) = o.env.get("COMPOSE_FILE").filter(|s| !s.is_empty()) {
                files = cf
                    .split(':')
                    .map(|f| absolute(&o.cwd, Path::new(f)))
                    .collect();
            } else {
                let found = DEFAULT_FILES
                    .iter()
                    .map(|n| o.cwd.join(n))
                    .find(|p| p.is_file())
                    .ok_or_else(|| ComposeError::NoFile(o.cwd.display().to_string()))?;
                files.push(found);
            }
        }
        let working_dir = match &o.project_directory {
            Some(d) => absolute(&o.cwd, d),
            None => files[0].parent().unwrap_or(&o.cwd).to_path_buf(),
        };
        let env_file = o.env_file.as_ref().map(|f| absolute(&o.cwd, f));
        let vars = variables(&working_dir, env_file.as_deref(), &o.env)?;
        let mut unset = Vec::new();
        let mut merged = Value::Object(Map::new());
        for f in &files {
            let v = parse_file(f, &vars, &mut unset)?;
            merge_files(&mut merged, v);
        }
        let mut services = match merged.get_mut("services").map(Value::take) {
            Some(Value::Object(s)) => s,
            _ => Map::new(),
        };
        let names: Vec<String> = services.keys().cloned().collect();
        for n in &names {
            resolve_extends(
                n,
                &mut services,
                &working_dir,
                &vars,
                &mut unset,
                &mut Vec::new(),
            )?;
        }
        if let Value::Object(m) = &mut merged {
            m.insert("services".into(), Value::Object(services));
        }
        let file_name = files[0].display().to_string();
        let mut model: ComposeFile =
            serde_json::from_value(merged).map_err(|e| ComposeError::Key {
                file: file_name,
                at: "services".into(),
                message: e.to_string(),
            })?;
        let name = o
            .project_name
            .clone()
            .or_else(|| {
                vars.get("COMPOSE_PROJECT_NAME")
                    .cloned()
                    .filter(|s| !s.is_empty())
            })
            .or_else(|| model.name.clone())
            .unwrap_or_else(|| {
                working_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        let name = normalise_name(&name);
        if name.is_empty() {
            return Err(ComposeError::Other(
                "project name must not be empty: give one with -p NAME".into(),
            ));
        }
        let mut profiles: BTreeSet<String> = o.profiles.iter().cloned().collect();
        if profiles.is_empty()
            && let Some(p) = vars.get("COMPOSE_PROFILES")
        {
            profiles.extend(p.split(',').filter(|s| !s.is_empty()).map(str::to_string));
        }
        for s in &o.enable {
            if !model.services.contains_key(s) {
                return Err(ComposeError::NoSuchService(s.clone()));
            }
        }
        let active = active_services(&model.services, &profiles, &o.enable);
        model.services.retain(|n, _| active.contains(n));
        let ignored = model
            .services
            .iter()
            .flat_map(|(n, s)| {
                let v = serde_json::to_value(s).unwrap_or_default();
                super::model::IGNORED_SERVICE_KEYS
                    .iter()
                    .filter(move |k| v.get(**k).is_some())
                    .map(move |k| format!("{n}.{k}"))
            })
            .collect();
        let project = Project {
            name,
            working_dir,
            config_files: files,
            model,
            vars,
            unset,
            ignored,
        };
        project.check_references()?;
        Ok(project)
    }

    /// Every service, network, volume, secret and config a service names is defined.
    fn check_references(&self) -> CResult<()> {
        let m = &self.model;
        for (name, s) in &m.services {
            let err = |message: String| ComposeError::Service {
                service: name.clone(),
                message,
            };
            if s.image.is_none() && s.build.is_none() {
                return Err(err(
                    "has neither an image nor a build context specified".into()
                ));
            }
            for d in s.depends_on.keys() {
                if !m.services.contains_key(d) {
                    return Err(err(format!("depends on undefined service {d:?}")));
                }
            }
            for n in s.networks.keys() {
                if n != "default" && !m.networks.contains_key(n) {
                    return Err(err(format!("refers to undefined network {n}")));
                }
            }
            for v in &s.volumes {
                if let Some(vol) = super::plan::named_volume(v)
                    && !m.volumes.contains_key(&vol)
                {
                    return Err(err(format!("refers to undefined volume {vol}")));
                }
            }
            for (kind, uses, defs) in [
                ("secret", &s.secrets, &m.secrets),
                ("config", &s.configs, &m.configs),
            ] {
                for u in uses {
                    let src = u.long().source;
                    if !defs.contains_key(&src) {
                        return Err(err(format!("refers to undefined {kind} {src}")));
                    }
                }
            }
        }
        Ok(())
    }

    /// Services in start order (each after what it depends on), optionally only `only` and
    /// their dependencies.
    pub fn ordered(&self, only: &[String]) -> CResult<Vec<String>> {
        let mut want: BTreeSet<String> = if only.is_empty() {
            self.model.services.keys().cloned().collect()
        } else {
            only.iter().cloned().collect()
        };
        for s in &want {
            if !self.model.services.contains_key(s) {
                return Err(ComposeError::NoSuchService(s.clone()));
            }
        }
        // The closure under depends_on.
        let mut stack: Vec<String> = want.iter().cloned().collect();
        while let Some(s) = stack.pop() {
            if let Some(svc) = self.model.services.get(&s) {
                for d in svc.depends_on.keys() {
                    if want.insert(d.clone()) {
                        stack.push(d.clone());
                    }
                }
            }
        }
        let mut order = Vec::new();
        let mut state: BTreeMap<String, u8> = BTreeMap::new();
        for s in &want {
            self.visit(s, &mut state, &mut order)?;
        }
        Ok(order)
    }

    fn visit(
        &self,
        s: &str,
        state: &mut BTreeMap<String, u8>,
        order: &mut Vec<String>,
    ) -> CResult<()> {
        match state.get(s) {
            Some(2) => return Ok(()),
            Some(1) => {
                return Err(ComposeError::Service {
                    service: s.to_string(),
                    message: "dependency cycle through depends_on".into(),
                });
            }
            _ => {}
        }
        state.insert(s.to_string(), 1);
        if let Some(svc) = self.model.services.get(s) {
            for d in svc.depends_on.keys() {
                self.visit(d, state, order)?;
            }
        }
        state.insert(s.to_string(), 2);
        order.push(s.to_string());
        Ok(())
    }

    /// A resource of the project by compose's naming: `<project>_<name>`.
    pub fn scoped(&self, name: &str) -> String {
        format!("{}_{name}", self.name)
    }

    /// The network's real name (its `name:` if set, else `<project>_<key>`).
    pub fn network_name(&self, key: &str) -> String {
        match self.model.networks.get(key).cloned().flatten() {
            Some(d) if d.name.is_some() => d.name.unwrap_or_default(),
            Some(d) if d.external == Some(true) => key.to_string(),
            _ => self.scoped(key),
        }
    }

    /// The volume's real name (its `name:` if set, else `<project>_<key>`).
    pub fn volume_name(&self, key: &str) -> String {
        match self.model.volumes.get(key).cloned().flatten() {
            Some(d) if d.name.is_some() => d.name.unwrap_or_default(),
            Some(d) if d.external == Some(true) => key.to_string(),
            _ => self.scoped(key),
        }
    }

    /// A path from the file, relative to the project directory.
    pub fn path(&self, p: &str) -> PathBuf {
        let p = match p.strip_prefix("~/") {
            Some(rest) => match self.vars.get("HOME") {
                Some(h) => return Path::new(h).join(rest),
                None => p,
            },
            None => p,
        };
        absolute(&self.working_dir, Path::new(p))
    }
}

/// Services with no profile, or one of `profiles`; those in `enable` and, for all of them,
/// what they depend on.
fn active_services(
    services: &BTreeMap<String, Service>,
    profiles: &BTreeSet<String>,
    enable: &[String],
) -> BTreeSet<String> {
    let mut active: BTreeSet<String> = services
        .iter()
        .filter(|(n, s)| {
            s.profiles.is_empty()
                || s.profiles
                    .iter()
                    .any(|p| profiles.contains(p) || p == "*" || profiles.contains("*"))
                || enable.contains(n)
        })
        .map(|(n, _)| n.clone())
        .collect();
    let mut stack: Vec<String> = active.iter().cloned().collect();
    while let Some(s) = stack.pop() {
        if let Some(svc) = services.get(&s) {
            for d in svc.depends_on.keys() {
                if active.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
    }
    active
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn opts(dir: &Path) -> LoadOptions {
        LoadOptions {
            cwd: dir.to_path_buf(),
            ..LoadOptions::default()
        }
    }

    #[test]
    fn names_normalise_as_compose_does() {
        assert_eq!(normalise_name("My App.v2"), "myappv2");
        assert_eq!(normalise_name("_x-Y_1"), "x-y_1");
    }

    #[test]
    fn loads_with_dotenv_and_environment() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("Proj.One");
        std::fs::create_dir(&dir).unwrap();
        write(&dir, ".env", "TAG=1.36\nPORT=8080\n");
        write(
            &dir,
            "compose.yaml",
            "version: '3.8'\nx-common: &c {a: 1}\nservices:\n  web:\n    image: busybox:${TAG}\n    ports: [\"${PORT}:80\"]\n    environment: [A=1, B]\n    command: echo ${MISSING:-fallback} $$HOME\n",
        );
        let mut o = opts(&dir);
        o.env.insert("PORT".into(), "9090".into());
        let p = Project::load(&o).unwrap();
        assert_eq!(p.name, "projone");
        let w = &p.model.services["web"];
        assert_eq!(w.image.as_deref(), Some("busybox:1.36"));
        assert_eq!(
            w.ports,
            vec![super::super::model::Port::Short(
                super::super::model::Scalar::Str("9090:80".into())
            )]
        );
        assert_eq!(
            w.command.as_ref().unwrap().words(),
            vec!["echo", "fallback", "$HOME"]
        );
        assert!(w.environment.contains_key("B"));
    }

    #[test]
    fn project_name_and_profiles_from_dotenv() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            ".env",
            "COMPOSE_PROJECT_NAME=FromEnv\nCOMPOSE_PROFILES=dev\n",
        );
        write(
            d.path(),
            "compose.yaml",
            "name: fromfile\nservices:\n  a:\n    image: b\n    profiles: [dev]\n",
        );
        let p = Project::load(&opts(d.path())).unwrap();
        assert_eq!(p.name, "fromenv");
        assert!(p.model.services.contains_key("a"));
        let mut o = opts(d.path());
        o.project_name = Some("flag".into());
        assert_eq!(Project::load(&o).unwrap().name, "flag");
    }

    #[test]
    fn env_file_flag_replaces_dotenv() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), ".env", "TAG=dot\n");
        write(d.path(), "other.env", "TAG=other\n");
        write(
            d.path(),
            "compose.yaml",
            "services:\n  a:\n    image: b:${TAG}\n",
        );
        let mut o = opts(d.path());
        assert_eq!(
            Project::load(&o).unwrap().model.services["a"]
                .image
                .as_deref(),
            Some("b:dot")
        );
        o.env_file = Some("other.env".into());
        assert_eq!(
            Project::load(&o).unwrap().model.services["a"]
                .image
                .as_deref(),
            Some("b:other")
        );
        o.env_file = Some("missing.env".into());
        assert!(
            Project::load(&o)
                .unwrap_err()
                .to_string()
                .contains("missing.env")
        );
    }

    #[test]
    fn known_but_unapplied_keys_are_listed() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "compose.yaml",
            "services:\n  a:\n    image: b\n    logging: {driver: json-file}\n    ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}\n    extra_hosts: {gw: 10.0.0.1}\n",
        );
        let p = Project::load(&opts(d.path())).unwrap();
        assert_eq!(p.ignored, vec!["a.logging"]);
        let a = &p.model.services["a"];
        assert_eq!(a.ulimits.len(), 2);
        assert_eq!(a.extra_hosts, vec!["gw=10.0.0.1"]);
    }

    #[test]
    fn unknown_key_names_file_service_and_key() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "compose.yaml",
            "services:\n  web:\n    image: busybox\n    imagee: x\n",
        );
        let e = Project::load(&opts(d.path())).unwrap_err().to_string();
        assert!(
            e.contains("compose.yaml: services.web.imagee: unknown field"),
            "{e}"
        );
        write(
            d.path(),
            "compose.yaml",
            "services:\n  web:\n    image: busybox\n    ports: 5\n",
        );
        let e = Project::load(&opts(d.path())).unwrap_err().to_string();
        assert!(e.contains("services.web.ports"), "{e}");
        write(d.path(), "compose.yaml", "service:\n  web: {}\n");
        let e = Project::load(&opts(d.path())).unwrap_err().to_string();
        assert!(e.contains("compose.yaml: service: unknown field"), "{e}");
    }

    #[test]
    fn files_merge_in_order() {
        let d = tempfile::tempdir().unwrap();
        let a = write(
            d.path(),
            "a.yaml",
            "services:\n  web:\n    image: busybox\n    environment: {A: '1'}\n",
        );
        let b = write(
            d.path(),
            "b.yaml",
            "services:\n  web:\n    environment: [B=2]\n  db:\n    image: busybox\n",
        );
        let mut o = opts(d.path());
        o.files = vec![a, b];
        o.project_name = Some("p".into());
        let p = Project::load(&o).unwrap();
        assert_eq!(p.model.services["web"].environment.len(), 2);
        assert!(p.model.services.contains_key("db"));
        assert_eq!(p.config_files.len(), 2);
    }

    #[test]
    fn extends_same_and_other_file() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        write(
            &d.path().join("sub"),
            "base.yaml",
            "services:\n  base:\n    image: busybox\n    build: ./ctx\n    environment: {FROM: base}\n",
        );
        write(
            d.path(),
            "compose.yaml",
            "services:\n  common:\n    image: alpine\n    command: [sleep, '1']\n    environment: {A: a}\n  web:\n    extends: common\n    environment: {B: b}\n  other:\n    extends: {file: sub/base.yaml, service: base}\n",
        );
        let p = Project::load(&opts(d.path())).unwrap();
        let w = &p.model.services["web"];
        assert_eq!(w.image.as_deref(), Some("alpine"));
        assert_eq!(w.environment.len(), 2);
        assert!(w.extends.is_none());
        let o = &p.model.services["other"];
        let ctx = o.build.as_ref().unwrap().long().context.unwrap();
        assert!(ctx.ends_with("sub/./ctx"), "{ctx}");
    }

    #[test]
    fn profiles_and_order() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "compose.yaml",
            "services:\n  web:\n    image: b\n    depends_on: [db]\n  db:\n    image: b\n  debug:\n    image: b\n    profiles: [dev]\n",
        );
        let p = Project::load(&opts(d.path())).unwrap();
        assert!(!p.model.services.contains_key("debug"));
        assert_eq!(p.ordered(&[]).unwrap(), vec!["db", "web"]);
        let mut o = opts(d.path());
        o.profiles = vec!["dev".into()];
        assert!(
            Project::load(&o)
                .unwrap()
                .model
                .services
                .contains_key("debug")
        );
    }

    #[test]
    fn required_variable_fails_the_load() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "compose.yaml",
            "services:\n  web:\n    image: ${IMG:?set IMG}\n",
        );
        let e = Project::load(&opts(d.path())).unwrap_err().to_string();
        assert!(
            e.contains("services.web.image: required variable IMG is missing a value: set IMG"),
            "{e}"
        );
    }
}
