//! The build context: the directory (or the extracted tar file) COPY and ADD read from, its
//! `.containerignore` / `.dockerignore` rules, and the Containerfile found in it or named
//! with `-f`. A tar context is extracted into the build scratch dir (`Paths::build_tmp`) and
//! removed when the build ends, whatever its outcome.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::{BResult, BuildError};
use super::ignore::Ignore;
use super::options::BuildOptions;

/// The context of one build, ready to be read.
pub(super) struct BuildContext {
    /// The context directory: the one given, or where a tar context was extracted.
    pub(super) dir: PathBuf,
    /// Its ignore rules (none when it has no ignore file).
    pub(super) ignore: Ignore,
    /// Removes an extracted tar context when the build is over.
    _extracted: Option<DirGuard>,
}

impl BuildContext {
    /// Opens `opts.context`, extracting it under `tmp_root` when it is a tar file.
    pub(super) fn open(opts: &BuildOptions, tmp_root: &Path) -> BResult<BuildContext> {
        let (dir, extracted) = if opts.context.is_file() {
            let dir = tmp_root.join(format!("context-{}", std::process::id()));
            extract_context(&opts.context, &dir)?;
            (dir.clone(), Some(DirGuard(dir)))
        } else if opts.context.is_dir() {
            (opts.context.clone(), None)
        } else {
            return Err(BuildError::new(format!(
                "build context {}: no such file or directory: give a directory or a tar file",
                opts.context.display()
            )));
        };
        let ignore_text = [".containerignore", ".dockerignore"]
            .iter()
            .find_map(|n| fs::read_to_string(dir.join(n)).ok())
            .unwrap_or_default();
        Ok(BuildContext {
            ignore: Ignore::parse(&ignore_text),
            dir,
            _extracted: extracted,
        })
    }

    /// The Containerfile's name as messages show it, and its text: `-f FILE` (relative to
    /// the context unless it exists as given), `-f -` for stdin, else the context's
    /// Containerfile or Dockerfile.
    pub(super) fn read_containerfile(&self, opts: &BuildOptions) -> BResult<(String, String)> {
        let read = |p: &Path| {
            fs::read_to_string(p).map_err(|e| {
                BuildError::new(format!(
                    "{}: {e}: give the Containerfile with -f",
                    p.display()
                ))
            })
        };
        match &opts.file {
            Some(f) if f.as_os_str() == "-" => {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| {
                    BuildError::new(format!("read the Containerfile from stdin: {e}"))
                })?;
                Ok(("stdin".to_string(), s))
            }
            Some(f) => {
                let p = if f.exists() || f.is_absolute() {
                    f.clone()
                } else {
                    self.dir.join(f)
                };
                Ok((f.display().to_string(), read(&p)?))
            }
            None => {
                for n in ["Containerfile", "Dockerfile"] {
                    let p = self.dir.join(n);
                    if p.is_file() {
                        return Ok((n.to_string(), read(&p)?));
                    }
                }
                Err(BuildError::new(format!(
                    "no Containerfile or Dockerfile found in the context {}: add one or give it with -f",
                    self.dir.display()
                )))
            }
        }
    }
}

struct DirGuard(PathBuf);

impl Drop for DirGuard {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn extract_context(tar_path: &Path, dir: &Path) -> BResult<()> {
    let err = |e: std::io::Error| {
        BuildError::new(format!(
            "build context {}: {e}: give a directory or a (compressed) tar file",
            tar_path.display()
        ))
    };
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(err)?;
    let f = fs::File::open(tar_path).map_err(err)?;
    let r = storage::compression::decompress(f, &tar_path.display().to_string())?;
    let mut ar = tar::Archive::new(r);
    ar.set_preserve_permissions(true);
    ar.unpack(dir).map_err(err)
}
