use std::ffi::OsStr;

use nix::sched::{CloneFlags, unshare};

use super::*;
use crate::testutil::{TarBuilder, docker_archive, real_root, rootless_modes};

/// Gives the calling test thread its own mount namespace (and cwd), private, so that mounts
/// never reach the host and vanish with the thread. False when not permitted (not root).
pub(crate) fn private_mount_ns() -> bool {
    if !nix::unistd::Uid::effective().is_root() {
        return false;
    }
    // CLONE_NEWNS implies CLONE_FS: only this thread moves, which a multi-threaded test
    // binary allows (unlike CLONE_NEWUSER).
    if unshare(CloneFlags::CLONE_NEWNS).is_err() {
        return false;
    }
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .is_ok()
}

struct Dirs {
    _t: tempfile::TempDir,
    store: Store,
    upper: PathBuf,
    work: PathBuf,
    target: PathBuf,
}

fn setup(driver: Driver, rootless: bool) -> Dirs {
    let t = tempfile::tempdir().unwrap();
    let store = Store::open(&t.path().join("s"), driver, rootless).unwrap();
    let c = t.path().join("ctr");
    let (upper, work, target) = (c.join("upper"), c.join("work"), c.join("merged"));
    for d in [&upper, &work, &target] {
        fs::create_dir_all(d).unwrap();
    }
    Dirs {
        _t: t,
        store,
        upper,
        work,
        target,
    }
}

fn whiteout_image(store: &Store) -> crate::Image {
    let lower = TarBuilder::new()
        .file("a", b"lower")
        .file("d/x", b"lower")
        .file("o/old", b"lower")
        .finish();
    let upper = TarBuilder::new()
        .file(".wh.a", b"")
        .dir("o/", 0o755)
        .file("o/.wh..wh..opq", b"")
        .file("o/new", b"upper")
        .finish();
    let (archive, _) = docker_archive(&[lower, upper], &["wh"], false, "/x");
    store.load(&archive[..]).unwrap().remove(0)
}

#[test]
fn overlay_mount_applies_whiteouts_root_and_rootless_xattrs() {
    let handle = std::thread::spawn(|| {
        if !private_mount_ns() {
            return;
        }
        for &rootless in rootless_modes() {
            let d = setup(Driver::Overlay, rootless);
            let img = whiteout_image(&d.store);
            let lowers = d.store.layer_dirs(&img).unwrap();
            mount(&d.store, &lowers, &d.upper, &d.work, &d.target).unwrap();
            let t = &d.target;
            assert!(
                !t.join("a").exists(),
                "whiteout hides a (rootless={rootless})"
            );
            assert!(t.join("d/x").exists());
            assert!(!t.join("o/old").exists(), "opaque dir hides lower content");
            assert_eq!(fs::read(t.join("o/new")).unwrap(), b"upper");
            fs::write(t.join("written"), b"w").unwrap();
            assert!(d.upper.join("written").exists());
            unmount(t).unwrap();
            assert!(!t.join("written").exists());
            // short links were used and point at the layers
            let link = d.store.short_link(&img.layers[0]).unwrap();
            assert_eq!(
                fs::canonicalize(&link).unwrap(),
                fs::canonicalize(&lowers[1]).unwrap()
            );
        }
    });
    handle.join().unwrap();
}

#[test]
fn overlay_mount_with_long_lowerdir_list() {
    let handle = std::thread::spawn(|| {
        if !private_mount_ns() {
            return;
        }
        let d = setup(Driver::Overlay, !real_root());
        let layers: Vec<Vec<u8>> = (0..150)
            .map(|i| TarBuilder::new().file(&format!("f{i}"), b"x").finish())
            .collect();
        let (archive, _) = docker_archive(&layers, &["tall"], false, "/x");
        let img = d.store.load(&archive[..]).unwrap().remove(0);
        let lowers = d.store.layer_dirs(&img).unwrap();
        let cwd = std::env::current_dir().unwrap();
        mount(&d.store, &lowers, &d.upper, &d.work, &d.target).unwrap();
        assert_eq!(std::env::current_dir().unwrap(), cwd, "cwd restored");
        assert!(d.target.join("f0").exists() && d.target.join("f149").exists());
        unmount(&d.target).unwrap();
    });
    handle.join().unwrap();
}

#[test]
fn vfs_mount_copies_once_and_binds() {
    let handle = std::thread::spawn(|| {
        if !private_mount_ns() {
            return;
        }
        let d = setup(Driver::Vfs, !real_root());
        let img = whiteout_image(&d.store);
        let lowers = d.store.layer_dirs(&img).unwrap();
        mount(&d.store, &lowers, &d.upper, &d.work, &d.target).unwrap();
        assert!(!d.target.join("a").exists());
        assert!(!d.target.join("o/old").exists());
        assert!(d.target.join("o/new").exists() && d.target.join("d/x").exists());
        fs::write(d.target.join("kept"), b"k").unwrap();
        unmount(&d.target).unwrap();
        // Second mount keeps the container's changes (no re-copy).
        mount(&d.store, &lowers, &d.upper, &d.work, &d.target).unwrap();
        assert!(d.target.join("kept").exists());
        unmount(&d.target).unwrap();
    });
    handle.join().unwrap();
}

#[test]
fn paths_overlay_cannot_carry_are_refused() {
    let d = setup(Driver::Overlay, false);
    let bad = d.upper.join("a,b");
    let err = mount(&d.store, &[], &bad, &d.work, &d.target).unwrap_err();
    assert!(
        matches!(err, StorageError::InvalidMountPath { .. }),
        "{err}"
    );
    assert!(check_path(Path::new("/x:y")).is_err());
    assert!(check_path(Path::new(OsStr::new("/fine/path"))).is_ok());
}

#[test]
fn overlay_relative_lowerdir_fallback() {
    let handle = std::thread::spawn(|| {
        if !private_mount_ns() {
            return;
        }
        let d = setup(Driver::Overlay, !real_root());
        let layers: Vec<Vec<u8>> = (0..3)
            .map(|i| TarBuilder::new().file(&format!("f{i}"), b"x").finish())
            .collect();
        let (archive, _) = docker_archive(&layers, &["rel"], false, "/x");
        let img = d.store.load(&archive[..]).unwrap().remove(0);
        let rel: Vec<String> = d
            .store
            .layer_dirs(&img)
            .unwrap()
            .iter()
            .map(|l| short_name(&d.store, l).unwrap().unwrap())
            .collect();
        let opts = format!(
            "lowerdir={}{}",
            rel.join(":"),
            tail_options(&d.store, &d.upper, &d.work, false)
        );
        let cwd = std::env::current_dir().unwrap();
        relative_mount(d.store.root(), &opts, &d.target).unwrap();
        assert_eq!(std::env::current_dir().unwrap(), cwd, "cwd restored");
        assert!(d.target.join("f0").exists() && d.target.join("f2").exists());
        unmount(&d.target).unwrap();
    });
    handle.join().unwrap();
}
