//! What `cp` can refuse: each variant names the path as the user gave it and says the fix.

/// A copy between the host and a container that cannot be done as asked.
#[derive(thiserror::Error, Debug)]
pub enum CopyError {
    #[error("one of the source and the destination must be CONTAINER:PATH")]
    NoContainer,
    /// `dest` is `CONTAINER:PATH`.
    #[error("{dest}: a tar stream can only be copied into an existing directory")]
    StreamNeedsDirectory { dest: String },
    #[error("copy to \"{0}\": the parent directory does not exist: no such file or directory")]
    MissingParent(String),
    #[error("copy to \"{0}\": the directory does not exist: no such file or directory")]
    MissingDirectory(String),
    #[error("copy to \"{0}\": cannot copy a directory onto a file")]
    DirectoryOntoFile(String),
    #[error("cannot copy onto {}: give a file or directory name", .0.display())]
    NoTargetName(std::path::PathBuf),
    #[error(
        "cannot overwrite {} \"{name}\" with {}: use --overwrite",
        kind(.existing_is_dir),
        replacement(.existing_is_dir)
    )]
    WouldReplace {
        name: String,
        /// The entry in the way is a directory (and the copied one is not), or the reverse.
        existing_is_dir: bool,
    },
    /// A path inside a container's root (or a build context) whose symlinks loop.
    #[error("{0}: too many levels of symbolic links in the container")]
    SymlinkLoop(String),
}

/// What is in the way: "directory" or "non-directory".
fn kind(dir: &bool) -> &'static str {
    if *dir { "directory" } else { "non-directory" }
}

/// What would replace it: always the other kind.
fn replacement(existing_is_dir: &bool) -> &'static str {
    if *existing_is_dir {
        "a non-directory"
    } else {
        "a directory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_names_both_kinds() {
        let dir = CopyError::WouldReplace {
            name: "etc".into(),
            existing_is_dir: true,
        };
        assert_eq!(
            dir.to_string(),
            "cannot overwrite directory \"etc\" with a non-directory: use --overwrite"
        );
        let file = CopyError::WouldReplace {
            name: "f".into(),
            existing_is_dir: false,
        };
        assert_eq!(
            file.to_string(),
            "cannot overwrite non-directory \"f\" with a directory: use --overwrite"
        );
    }
}
