//! The committed man pages in man/ are what the clap definitions generate: a stale page
//! (a flag added without regenerating) fails here. Regenerate with
//! `cargo run -- __manpages man`.

use std::path::Path;

#[test]
fn man_pages_are_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_burrow"))
        .arg("__manpages")
        .arg(dir.path())
        .status()
        .expect("run burrow __manpages");
    assert!(status.success());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read generated")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n == "burrow-run.1"),
        "no page for run: {names:?}"
    );
    for name in &names {
        let fresh = std::fs::read(dir.path().join(name)).expect("read generated page");
        let old = std::fs::read(committed.join(name)).unwrap_or_default();
        assert!(
            fresh == old,
            "man/{name} is stale or missing: run `cargo run -- __manpages man`"
        );
    }
    let mut extra: Vec<String> = std::fs::read_dir(&committed)
        .expect("read man/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".1") && !names.contains(n))
        .collect();
    extra.sort();
    assert!(
        extra.is_empty(),
        "man/ has pages for commands that no longer exist: {extra:?}"
    );
}
