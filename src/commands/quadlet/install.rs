//! `quadlet install`: copies quadlet files (or a directory of them, an application) into the
//! user's or the system's quadlet directory.

use std::path::{Path, PathBuf};

use libpod::quadlet::{Kind, dirs};

use super::*;

pub(super) fn install(a: InstallArgs) -> Outcome {
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
pub(super) fn applications() -> Vec<(String, Vec<String>)> {
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

pub(super) fn app_of(apps: &[(String, Vec<String>)], name: &str) -> Option<String> {
    apps.iter()
        .find(|(_, files)| files.iter().any(|f| f == name))
        .map(|(a, _)| a.clone())
}
