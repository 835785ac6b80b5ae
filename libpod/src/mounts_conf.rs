//! containers-mounts.conf(5): host paths bound read-only into every container (podman's
//! subscription mounts). The first file found is used: `$XDG_CONFIG_HOME/containers/mounts.conf`
//! (rootless only), then `/etc/containers/mounts.conf`, then
//! `/usr/share/containers/mounts.conf`. Each line is `HOST:CONTAINER` (or one path for both);
//! a host path that does not exist is skipped silently, as podman does.

use std::path::{Path, PathBuf};

use crate::container::Mount;

const SYSTEM_FILES: [&str; 2] = [
    "/etc/containers/mounts.conf",
    "/usr/share/containers/mounts.conf",
];

/// The mounts of the first mounts.conf found, minus those on a destination `taken` already
/// has. Without any file, this costs one failed open per candidate.
pub(crate) fn mounts(rootless: bool, taken: &[Mount]) -> Vec<Mount> {
    let user = rootless.then(|| crate::config::config_home().join("containers/mounts.conf"));
    let candidates = user
        .into_iter()
        .chain(SYSTEM_FILES.iter().map(PathBuf::from));
    for file in candidates {
        // Read directly (no stat first): a missing file is one failed open.
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        return parse(&text)
            .into_iter()
            .filter(|(_, dest)| !taken.iter().any(|m| m.destination == *dest))
            .filter(|(host, _)| host.exists())
            .map(|(source, destination)| Mount {
                kind: "bind".into(),
                source,
                destination,
                options: vec!["ro".into()],
                ..Default::default()
            })
            .collect();
    }
    Vec::new()
}

/// `HOST:CONTAINER` lines (blank lines and `#` comments skipped); a relative container path is
/// taken from the root.
fn parse(text: &str) -> Vec<(PathBuf, PathBuf)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (host, ctr) = l.split_once(':').unwrap_or((l, l));
            (PathBuf::from(host), Path::new("/").join(ctr))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pairs_single_paths_and_comments() {
        let got = parse("# comment\n\n/a:/b\n /c \nd:e\n");
        assert_eq!(
            got,
            [
                (PathBuf::from("/a"), PathBuf::from("/b")),
                (PathBuf::from("/c"), PathBuf::from("/c")),
                (PathBuf::from("d"), PathBuf::from("/e")),
            ]
        );
    }
}
