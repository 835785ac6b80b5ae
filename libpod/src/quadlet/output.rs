//! Writing generated units into a generator's output directory, with the symlinks their
//! `[Install]` section asks for (a generated unit cannot be `systemctl enable`d).

use std::path::Path;

use super::Generated;

/// Writes each unit (with `header` comment lines) into `dir` and links it into the
/// `.wants/`, `.requires/`, `.upholds/` directories and `Alias=` names of its [Install].
/// Returns the errors of the units that could not be written; the others are written.
pub fn write_units(dir: &Path, units: &[Generated], header: &[String]) -> Vec<String> {
    let mut errors = Vec::new();
    if let Err(e) = std::fs::create_dir_all(dir) {
        return vec![format!("creating {}: {e}", dir.display())];
    }
    for g in units {
        let mut unit = g.unit.clone();
        unit.header = header.to_vec();
        let path = dir.join(&g.file_name);
        if let Err(e) = std::fs::write(&path, unit.render()) {
            errors.push(format!("generating service file {}: {e}", path.display()));
            continue;
        }
        for link in install_links(g) {
            let link_path = dir.join(&link);
            let target = match link.contains('/') {
                true => format!("../{}", g.file_name),
                false => g.file_name.clone(),
            };
            if let Some(parent) = link_path.parent()
                && let Err(e) = std::fs::create_dir_all(parent)
            {
                errors.push(format!("can't create dir {}: {e}", parent.display()));
                continue;
            }
            let _ = std::fs::remove_file(&link_path);
            if let Err(e) = std::os::unix::fs::symlink(&target, &link_path) {
                errors.push(format!(
                    "failed creating symlink {}: {e}",
                    link_path.display()
                ));
            }
        }
    }
    errors
}

/// The symlinks (relative to the output directory) that enable `g`.
fn install_links(g: &Generated) -> Vec<String> {
    let mut links: Vec<String> = g
        .unit
        .get_all("Install", "Alias")
        .iter()
        .flat_map(|v| v.split_whitespace())
        .filter(|a| !a.contains('/'))
        .map(str::to_string)
        .collect();
    // A template without an instance is enabled only through DefaultInstance=.
    let name = match g.file_name.split_once("@.") {
        Some((base, ext)) => match g.unit.get("Install", "DefaultInstance") {
            Some(i) => format!("{base}@{i}.{ext}"),
            None => return links,
        },
        None => g.file_name.clone(),
    };
    for (key, dir) in [
        ("WantedBy", "wants"),
        ("RequiredBy", "requires"),
        ("UpheldBy", "upholds"),
    ] {
        for v in g.unit.get_all("Install", key) {
            for target in v.split_whitespace().filter(|t| !t.contains('/')) {
                links.push(format!("{target}.{dir}/{name}"));
            }
        }
    }
    links
}
