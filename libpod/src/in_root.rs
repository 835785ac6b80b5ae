//! Paths resolved inside a root directory, as securejoin resolves them: a symlink met on the
//! way (an absolute target, or `..` past the top) is re-rooted at the root, so a link in an
//! image or a build context can never name a file outside it. For trees that do not change
//! under us (an image, a stopped container, a build context); a writer racing a running
//! container uses openat2(RESOLVE_IN_ROOT) on descriptors instead (runtime/cp.rs).

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::{LibpodError, Result};
use crate::runtime::CopyError;

const MAX_SYMLINK_HOPS: usize = 40;

/// Resolves `path` inside `root`, following symlinks within it (the last component only
/// when `follow_last`). Components past the first missing one are appended as they are.
pub fn resolve_in_root(root: &Path, path: &str, follow_last: bool) -> Result<PathBuf> {
    let mut pending: Vec<std::ffi::OsString> = Path::new(path)
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut cur = root.to_path_buf();
    let mut hops = 0;
    let mut missing = false;
    while let Some(name) = pending.pop() {
        if name == ".." {
            if cur != root {
                cur.pop();
            }
            continue;
        }
        let next = cur.join(&name);
        if missing {
            cur = next;
            continue;
        }
        let last = pending.is_empty();
        match fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() && (!last || follow_last) => {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(CopyError::SymlinkLoop(path.to_string()).into());
                }
                let target = fs::read_link(&next)
                    .map_err(|e| LibpodError::io(format!("read link {}", next.display()), e))?;
                if target.is_absolute() {
                    cur = root.to_path_buf();
                }
                for c in target.components().rev() {
                    match c {
                        Component::Normal(n) => pending.push(n.to_os_string()),
                        Component::ParentDir => pending.push("..".into()),
                        _ => {}
                    }
                }
            }
            Ok(_) => cur = next,
            Err(_) => {
                missing = true;
                cur = next;
            }
        }
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        fs::create_dir_all(root.join("etc")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../../etc", root.join("etc/up")).unwrap();
        assert_eq!(
            resolve_in_root(root, "/abs", true).unwrap(),
            root.join("etc/passwd")
        );
        assert_eq!(
            resolve_in_root(root, "/abs", false).unwrap(),
            root.join("abs")
        );
        assert_eq!(
            resolve_in_root(root, "/etc/up/x", true).unwrap(),
            root.join("etc/x")
        );
        assert_eq!(
            resolve_in_root(root, "/../../x", true).unwrap(),
            root.join("x")
        );
        std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
        assert!(resolve_in_root(root, "/loop", true).is_err());
    }
}
