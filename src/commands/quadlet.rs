//! `quadlet --dryrun|install|list|print|rm`, and the systemd generator: this binary run as
//! `burrow-user-generator` or `burrow-system-generator` (a symlink's name) writes the units
//! of the quadlet files it finds (libpod::quadlet) into systemd's output directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{ArgAction, Args, Subcommand};
use libpod::quadlet::{self, Generated, Kind, Options, Quadlet, dirs};
use serde_json::json;

use super::{Failure, Outcome};
use crate::output::{print_formatted, print_table};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct QuadletCmd {
    /// Print the units the generator would write (each under ---NAME---), then exit
    #[arg(long)]
    dryrun: bool,
    /// With --dryrun: the user generator's files (the default when not root)
    #[arg(long)]
    user: bool,
    #[command(subcommand)]
    sub: Option<QuadletSub>,
}

#[derive(Subcommand, Debug)]
enum QuadletSub {
    /// Install a quadlet file or quadlet application
    Install(InstallArgs),
    /// List installed quadlets
    #[command(alias = "ls")]
    List(ListArgs),
    /// Display the contents of a quadlet
    #[command(alias = "cat")]
    Print(PrintArgs),
    /// Remove installed quadlets
    #[command(alias = "remove")]
    Rm(RmArgs),
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// Reload systemd after installing quadlets
    #[arg(long = "reload-systemd", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true", value_name = "BOOL")]
    reload_systemd: bool,
    /// Replace the installation even if the quadlet already exists
    #[arg(short, long)]
    replace: bool,
    /// A quadlet file or a directory of them, then files that go with it
    #[arg(required = true, value_name = "QUADLET-PATH")]
    paths: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Filter output based on conditions given (name=, status=, pod=)
    #[arg(short, long)]
    filter: Vec<String>,
    /// Pretty-print output to JSON or using a Go template
    #[arg(long)]
    format: Option<String>,
    /// Do not print headers
    #[arg(short = 'n', long)]
    noheading: bool,
}

#[derive(Args, Debug)]
pub struct PrintArgs {
    /// The quadlet's file name (web.container)
    quadlet: String,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Remove all quadlets for the current user
    #[arg(short, long)]
    all: bool,
    /// Stop running quadlets before removing them
    #[arg(short, long)]
    force: bool,
    /// Do not error for quadlets that do not exist
    #[arg(short, long)]
    ignore: bool,
    /// Reload systemd after removing quadlets
    #[arg(long = "reload-systemd", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true", value_name = "BOOL")]
    reload_systemd: bool,
    quadlets: Vec<String>,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn group(c: QuadletCmd) -> Outcome {
    match c.sub {
        None if c.dryrun => dryrun(c.user || !is_root()),
        None => Err(Failure::new(
            "missing command: burrow quadlet --dryrun | install | list | print | rm",
        )),
        Some(QuadletSub::Install(a)) => install(a),
        Some(QuadletSub::List(a)) => list(a),
        Some(QuadletSub::Print(a)) => print(a),
        Some(QuadletSub::Rm(a)) => rm(a),
    }
}

/// The generator's mode from this process's name: `Some(true)` for the user generator.
pub fn generator_mode(argv0: &std::ffi::OsStr) -> Option<bool> {
    match Path::new(argv0).file_name()?.to_str()? {
        "burrow-user-generator" => Some(true),
        "burrow-system-generator" => Some(false),
        _ => None,
    }
}

/// How this burrow's units are written: its own path, and the flags it accepts.
fn options(user: bool) -> Options {
    let accepts =
        |cmd: clap::Command, flag: &str| cmd.get_arguments().any(|a| a.get_long() == Some(flag));
    use clap::Args as _;
    let burrow = libpod::sealed_exe::program().display().to_string();
    Options {
        burrow,
        user,
        sdnotify: accepts(
            super::container::RunArgs::augment_args(clap::Command::new("run")),
            "sdnotify",
        ),
        rm_cidfile: accepts(
            super::container::RmArgs::augment_args(clap::Command::new("rm")),
            "cidfile",
        ),
    }
}

fn generate(user: bool) -> (Vec<Generated>, Vec<String>) {
    let (quadlets, load_errors) = dirs::load(&dirs::unit_dirs(user));
    let (units, errors) = quadlet::generate(&quadlets, &options(user));
    let errors = load_errors
        .iter()
        .chain(errors.iter())
        .map(ToString::to_string)
        .collect();
    (units, errors)
}

/// systemd runs generators as `GENERATOR NORMAL-DIR EARLY-DIR LATE-DIR`; the units go into
/// the normal directory, as podman's do. Errors go to stderr (the journal), one per file.
pub fn generator_main(user: bool) -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let Some(out) = args.get(1) else {
        eprintln!("burrow-generator: missing output directory argument");
        return 1;
    };
    let (units, mut errors) = generate(user);
    let header = vec![
        String::new(),
        format!("Automatically generated by {}", args[0]),
        String::new(),
    ];
    errors.extend(quadlet::output::write_units(
        Path::new(out),
        &units,
        &header,
    ));
    for e in &errors {
        eprintln!("burrow-generator: {e}");
    }
    i32::from(!errors.is_empty())
}

fn dryrun(user: bool) -> Outcome {
    let (units, errors) = generate(user);
    print!("{}", quadlet::dryrun_text(&units));
    for e in &errors {
        eprintln!("Error: {e}");
    }
    Ok(i32::from(!errors.is_empty()))
}

/// `systemctl [--user] ARGS`, for the manager this user's quadlets belong to.
fn systemctl(args: &[&str]) -> std::io::Result<std::process::Output> {
    let mut cmd = Command::new("systemctl");
    if !is_root() {
        cmd.arg("--user");
    }
    cmd.args(args).output()
}

fn reload_systemd() -> Result<(), Failure> {
    match systemctl(&["daemon-reload"]) {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(Failure::new(format!(
            "reloading systemd: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ))),
        Err(e) => Err(Failure::new(format!("reloading systemd: {e}"))),
    }
}

fn install(a: InstallArgs) -> Outcome {
    let dir = dirs::install_dir(!is_root());
    std::fs::create_dir_all(&dir).map_err(|e| {
        Failure::new(format!(
            "unable to create Quadlet install path {}: {e}",
            dir.display()
        ))
    })?;
    let first = &a.paths[0];
    let mut paths: Vec<PathBuf> = Vec::new();
    let app;
    let from_dir = Path::new(first).is_dir();
    if from_dir {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(first)
            .map_err(|e| Failure::new(format!("unable to read Quadlet dir {first}: {e}")))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        paths.extend(entries);
        app = format!(".{}.app", base_name(Path::new(first)));
    } else {
        app = format!(".{}.app", base_name(Path::new(first)));
        paths.push(PathBuf::from(first));
    }
    paths.extend(a.paths[1..].iter().map(PathBuf::from));
    let mut failed = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let shown = p.display().to_string();
        if shown.starts_with("http://") || shown.starts_with("https://") {
            failed.push(format!(
                "{shown}: installing from a URL is not supported: download it and install the file"
            ));
            continue;
        }
        // The first file of a plain install must be a quadlet; the rest, and everything in
        // an application directory, may be files that go with it.
        let must_be_quadlet = i == 0 && !from_dir;
        match install_one(p, &dir, &app, must_be_quadlet, a.replace) {
            Ok(dest) => println!("{}", dest.display()),
            Err(e) => failed.push(e),
        }
    }
    if a.reload_systemd {
        reload_systemd()?;
    }
    finish(failed)
}

fn base_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn install_one(
    src: &Path,
    dir: &Path,
    app: &str,
    must_be_quadlet: bool,
    replace: bool,
) -> Result<PathBuf, String> {
    let name = base_name(src);
    let meta = std::fs::metadata(src).map_err(|e| {
        format!(
            "quadlet to install {:?} does not exist or cannot be read: {e}",
            src.display().to_string()
        )
    })?;
    if meta.is_dir() {
        return Err(format!(
            "quadlet to install {:?} is not a file",
            src.display().to_string()
        ));
    }
    let is_quadlet = Kind::of_file(&name).is_some();
    if must_be_quadlet && !is_quadlet {
        let ext = Path::new(&name)
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        return Err(format!("{ext:?} is not a supported Quadlet file type"));
    }
    let dest = dir.join(&name);
    if !replace && dest.exists() {
        return Err(format!(
            "a Quadlet with name {name} already exists, refusing to overwrite"
        ));
    }
    let tmp = dir.join(format!(".quadlet-install-{name}"));
    std::fs::copy(src, &tmp)
        .and_then(|_| std::fs::rename(&tmp, &dest))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!(
                "unable to copy file from {} to {}: {e}",
                src.display(),
                dest.display()
            )
        })?;
    append_line(&dir.join(app), &name)
        .map_err(|e| format!("error while writing {name} to the application file: {e}"))?;
    Ok(dest)
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    if text.lines().any(|l| l == line) {
        return Ok(());
    }
    text.push_str(line);
    text.push('\n');
    std::fs::write(path, text)
}

/// Application files (`.NAME.app` in the install directory): file name -> application.
fn applications() -> Vec<(String, Vec<String>)> {
    let dir = dirs::install_dir(!is_root());
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut apps: Vec<(String, Vec<String>)> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.ends_with(".app"))
        .map(|n| {
            let files = std::fs::read_to_string(dir.join(&n))
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect();
            (n, files)
        })
        .collect();
    apps.sort();
    apps
}

fn app_of(apps: &[(String, Vec<String>)], name: &str) -> Option<String> {
    apps.iter()
        .find(|(_, files)| files.iter().any(|f| f == name))
        .map(|(a, _)| a.clone())
}

/// Every quadlet file the generator would read, first of a name only.
fn all_quadlets() -> Vec<Quadlet> {
    dirs::load(&dirs::unit_dirs(!is_root())).0
}

/// `(load, active, sub)` of each unit, from the user's manager; none when unreachable.
fn unit_states(units: &[String]) -> Vec<Option<(String, String, String)>> {
    let mut args = vec!["show", "--property=LoadState,ActiveState,SubState", "--"];
    args.extend(units.iter().map(String::as_str));
    let Ok(out) = systemctl(&args) else {
        return vec![None; units.len()];
    };
    if !out.status.success() {
        return vec![None; units.len()];
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let blocks: Vec<&str> = text.split("\n\n").collect();
    units
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let b = blocks.get(i)?;
            let get = |k: &str| {
                b.lines()
                    .find_map(|l| l.strip_prefix(&format!("{k}=")))
                    .unwrap_or_default()
                    .to_string()
            };
            Some((get("LoadState"), get("ActiveState"), get("SubState")))
        })
        .collect()
}

fn status_of(state: &Option<(String, String, String)>) -> String {
    match state {
        Some((load, active, sub)) if load == "loaded" => format!("{active}/{sub}"),
        _ => "Not loaded".to_string(),
    }
}

fn list(a: ListArgs) -> Outcome {
    let apps = applications();
    let quadlets = all_quadlets();
    let units: Vec<String> = quadlets
        .iter()
        .map(|q| format!("{}.service", q.service_name()))
        .collect();
    let states = unit_states(&units);
    let mut filters: Vec<(String, String)> = Vec::new();
    for f in &a.filter {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| Failure::new(format!("invalid filter {f:?}")))?;
        if !matches!(k, "name" | "status" | "pod") {
            return Err(Failure::new(format!("{k} is not a valid filter")));
        }
        quadlet::filter_matches(v, "")
            .map_err(|e| Failure::new(format!("invalid filter {f:?}: {e}")))?;
        filters.push((k.to_string(), v.to_string()));
    }
    let mut items = Vec::new();
    for ((q, unit), state) in quadlets.iter().zip(&units).zip(&states) {
        let pod = q
            .unit
            .get("Container", "Pod")
            .unwrap_or_default()
            .to_string();
        let item = json!({
            "Name": q.name,
            "UnitName": unit,
            "Path": q.path.display().to_string(),
            "Status": status_of(state),
            "App": app_of(&apps, &q.name).unwrap_or_default(),
            "Pod": pod,
        });
        let keep = filters.iter().all(|(k, re)| {
            let field = match k.as_str() {
                "name" => "Name",
                "status" => "Status",
                _ => "Pod",
            };
            let v = item[field].as_str().unwrap_or_default();
            quadlet::filter_matches(re, v).unwrap_or(false)
        });
        if keep {
            items.push(item);
        }
    }
    if let Some(fmt) = a.format.as_deref() {
        return print_formatted(fmt, items, &header);
    }
    let fields = ["Name", "UnitName", "Path", "Status", "App", "Pod"];
    let mut rows: Vec<Vec<String>> = Vec::new();
    if !a.noheading {
        rows.push(fields.iter().map(|f| header(f)).collect());
    }
    for item in &items {
        rows.push(
            fields
                .iter()
                .map(|f| item[*f].as_str().unwrap_or_default().to_string())
                .collect(),
        );
    }
    print_table(&rows);
    Ok(0)
}

fn header(field: &str) -> String {
    match field {
        "UnitName" => "UNIT NAME",
        "Path" => "PATH ON DISK",
        "App" => "APPLICATION",
        other => return other.to_uppercase(),
    }
    .to_string()
}

/// The path of the quadlet called `name` in the search directories.
fn find(name: &str) -> Result<PathBuf, String> {
    if Kind::of_file(name).is_none() {
        let ext = Path::new(name)
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        return Err(format!("{ext:?} is not a supported quadlet file type"));
    }
    dirs::unit_dirs(!is_root())
        .iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!("could not locate quadlet {name:?} in any supported quadlet directory: no such quadlet")
        })
}

fn print(a: PrintArgs) -> Outcome {
    let path = find(&a.quadlet).map_err(Failure::new)?;
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::new(format!(
            "reading quadlet {:?} contents: {e}",
            path.display().to_string()
        ))
    })?;
    print!("{text}");
    Ok(0)
}

fn rm(a: RmArgs) -> Outcome {
    if a.quadlets.is_empty() && !a.all {
        return Err(Failure::new("must provide at least 1 quadlet to remove"));
    }
    let apps = applications();
    let install_dir = dirs::install_dir(!is_root());
    let mut names: Vec<String> = if a.all {
        all_quadlets().into_iter().map(|q| q.name).collect()
    } else {
        a.quadlets.clone()
    };
    // Removing one quadlet of an application removes the whole application.
    let mut assets: Vec<String> = Vec::new();
    let mut app_files: Vec<String> = Vec::new();
    let mut i = 0;
    while i < names.len() {
        let app = if names[i].starts_with('.') && names[i].ends_with(".app") {
            Some(names[i].clone())
        } else {
            app_of(&apps, &names[i])
        };
        if let Some(app) = app {
            if let Some((_, files)) = apps.iter().find(|(n, _)| *n == app) {
                for f in files {
                    if Kind::of_file(f).is_none() {
                        assets.push(f.clone());
                    } else if !names.contains(f) {
                        names.push(f.clone());
                    }
                }
            }
            if !app_files.contains(&app) {
                app_files.push(app);
            }
        }
        i += 1;
    }
    names.retain(|n| !(n.starts_with('.') && n.ends_with(".app")));
    let mut failed = Vec::new();
    let mut removed = Vec::new();
    let mut found = Vec::new();
    for n in &names {
        match find(n) {
            Ok(p) => found.push((n.clone(), p)),
            Err(_) if a.ignore => removed.push(n.clone()),
            Err(e) => failed.push(e),
        }
    }
    let units: Vec<String> = found
        .iter()
        .map(|(_, p)| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            Quadlet::parse(p, &text)
                .map(|q| format!("{}.service", q.service_name()))
                .unwrap_or_default()
        })
        .collect();
    let states = unit_states(&units);
    for (((name, path), unit), state) in found.iter().zip(&units).zip(&states) {
        if let Some((load, active, _)) = state
            && load == "loaded"
            && active == "active"
        {
            if !a.force {
                failed.push(format!(
                    "quadlet {name} is running and force is not set, refusing to remove: quadlet is running"
                ));
                continue;
            }
            match systemctl(&["stop", unit]) {
                Ok(o) if o.status.success() => {}
                Ok(o) => {
                    failed.push(format!(
                        "stopping quadlet {name}: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    ));
                    continue;
                }
                Err(e) => {
                    failed.push(format!("stopping quadlet {name}: {e}"));
                    continue;
                }
            }
        }
        match std::fs::remove_file(path) {
            Ok(()) => removed.push(name.clone()),
            Err(e) => failed.push(format!("unable to remove quadlet {name}: {e}")),
        }
    }
    for f in assets.iter().chain(&app_files) {
        let _ = std::fs::remove_file(install_dir.join(f));
    }
    for r in &removed {
        println!("{r}");
    }
    if a.reload_systemd && !removed.is_empty() {
        reload_systemd()?;
    }
    finish(failed)
}

/// Every error but the last on stderr; the last is the command's `Error:`.
fn finish(mut failed: Vec<String>) -> Outcome {
    match failed.pop() {
        None => Ok(0),
        Some(last) => {
            for f in failed {
                eprintln!("Error: {f}");
            }
            Err(Failure::new(last))
        }
    }
}
