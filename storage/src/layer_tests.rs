use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

use super::*;
use crate::digest::sha256_digest;
use crate::testutil::{TarBuilder, real_root, rootless_modes};

fn opts(whiteouts: Whiteouts, rootless: bool) -> ExtractOptions {
    ExtractOptions {
        whiteouts,
        rootless,
    }
}

fn overlay() -> ExtractOptions {
    opts(Whiteouts::Overlay, false)
}

/// A layer dir inside a sandbox dir, so that escapes can be detected next to it.
fn sandbox() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let layer = t.path().join("layer");
    fs::create_dir(&layer).unwrap();
    (t, layer)
}

#[test]
fn extracts_files_dirs_symlinks_and_measures_diff_id() {
    let (_t, dest) = sandbox();
    let tar = TarBuilder::new()
        .dir("etc/", 0o755)
        .file("etc/hostname", b"box\n")
        .symlink("etc/link", "hostname")
        .dir("ro/", 0o555)
        .file("ro/inside", b"x")
        .finish();
    let got = extract(&tar[..], &dest, overlay(), "l1", None).unwrap();
    assert_eq!(got.diff_id, sha256_digest(&tar));
    assert_eq!(got.size, tar.len() as u64);
    assert_eq!(fs::read(dest.join("etc/hostname")).unwrap(), b"box\n");
    assert_eq!(
        fs::read_link(dest.join("etc/link")).unwrap(),
        Path::new("hostname")
    );
    let ro = fs::metadata(dest.join("ro")).unwrap();
    assert_eq!(ro.permissions().mode() & 0o7777, 0o555);
    assert_eq!(ro.mtime(), 1_600_000_000);
    assert_eq!(
        fs::metadata(dest.join("etc/hostname")).unwrap().mtime(),
        1_600_000_000
    );
}

#[test]
fn dotdot_entry_is_refused() {
    let (t, dest) = sandbox();
    let tar = TarBuilder::new().file("../escape", b"x").finish();
    let err = extract(&tar[..], &dest, overlay(), "l1", None).unwrap_err();
    assert!(err.to_string().contains("../escape"), "{err}");
    assert!(!t.path().join("escape").exists());
    let tar = TarBuilder::new().file("a/../../escape2", b"x").finish();
    assert!(extract(&tar[..], &dest, overlay(), "l1", None).is_err());
    assert!(!t.path().join("escape2").exists());
}

#[test]
fn absolute_names_are_rooted_in_the_layer() {
    let (_t, dest) = sandbox();
    let tar = TarBuilder::new()
        .file("/burrow-abs-test/file", b"x")
        .finish();
    extract(&tar[..], &dest, overlay(), "l1", None).unwrap();
    assert!(dest.join("burrow-abs-test/file").is_file());
    assert!(!Path::new("/burrow-abs-test").exists());
}

#[test]
fn write_through_symlink_to_outside_stays_inside() {
    let (t, dest) = sandbox();
    let outside = t.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let tar = TarBuilder::new()
        .symlink("a", outside.to_str().unwrap())
        .file("a/passwd", b"owned")
        .symlink("rel", "../outside")
        .file("rel/passwd2", b"owned")
        .finish();
    extract(&tar[..], &dest, overlay(), "l1", None).unwrap();
    assert!(!outside.join("passwd").exists());
    assert!(!outside.join("passwd2").exists());
    // Absolute targets are re-rooted at the layer, `..` stops at the layer root.
    let rerooted = dest.join(outside.strip_prefix("/").unwrap()).join("passwd");
    assert_eq!(fs::read(rerooted).unwrap(), b"owned");
    assert_eq!(fs::read(dest.join("outside/passwd2")).unwrap(), b"owned");
    // The symlinks themselves are kept as written.
    assert!(
        fs::symlink_metadata(dest.join("a"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn symlink_chain_cannot_escape() {
    let (t, dest) = sandbox();
    let tar = TarBuilder::new()
        .symlink("a", "b")
        .symlink("b", "c/../../../..")
        .dir("c/", 0o755)
        .file("a/escaped", b"x")
        .symlink("loop1", "loop2")
        .symlink("loop2", "loop1")
        .finish();
    let err = {
        let mut tar = tar.clone();
        // Drop the end-of-archive blocks and add an entry through the loop.
        tar.truncate(tar.len() - 1024);
        let mut more = TarBuilder::new().file("loop1/x", b"x").finish();
        tar.append(&mut more);
        extract(&tar[..], &dest, overlay(), "l1", None).unwrap_err()
    };
    assert!(err.to_string().contains("symlinks"), "{err}");
    assert!(!t.path().join("escaped").exists());
    assert!(dest.join("escaped").is_file());
}

#[test]
fn hardlinks_must_stay_inside() {
    let (t, dest) = sandbox();
    let before = fs::metadata("/etc/passwd").unwrap().nlink();
    let tar = TarBuilder::new().hardlink("pw", "/etc/passwd").finish();
    let err = extract(&tar[..], &dest, overlay(), "l1", None).unwrap_err();
    assert!(err.to_string().contains("not in the layer"), "{err}");
    assert_eq!(fs::metadata("/etc/passwd").unwrap().nlink(), before);

    fs::write(t.path().join("secret"), b"s").unwrap();
    let tar = TarBuilder::new().hardlink("pw", "../secret").finish();
    let err = extract(&tar[..], &dest, overlay(), "l1", None).unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
    assert_eq!(fs::metadata(t.path().join("secret")).unwrap().nlink(), 1);

    // Through a symlink to outside: resolved inside the layer, where it does not exist.
    let tar = TarBuilder::new()
        .symlink("up", t.path().to_str().unwrap())
        .hardlink("pw2", "up/secret")
        .finish();
    assert!(extract(&tar[..], &dest, overlay(), "l1", None).is_err());
    assert_eq!(fs::metadata(t.path().join("secret")).unwrap().nlink(), 1);

    let (_t2, dest2) = sandbox();
    let tar = TarBuilder::new()
        .file("etc/passwd", b"root")
        .hardlink("pw", "/etc/passwd")
        .finish();
    extract(&tar[..], &dest2, overlay(), "l1", None).unwrap();
    assert_eq!(fs::metadata(dest2.join("pw")).unwrap().nlink(), 2);
}

#[test]
fn device_nodes_created_as_root_skipped_rootless() {
    let tar = TarBuilder::new()
        .device("null", EntryType::Char, 1, 3)
        .device("blk", EntryType::Block, 7, 0)
        .device("fifo", EntryType::Fifo, 0, 0)
        .file("after", b"x")
        .finish();
    let (_t, dest) = sandbox();
    extract(&tar[..], &dest, opts(Whiteouts::Overlay, true), "l1", None).unwrap();
    assert!(!dest.join("null").exists());
    assert!(!dest.join("blk").exists());
    assert!(
        fs::symlink_metadata(dest.join("fifo"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(dest.join("after").exists());

    if real_root() {
        let (_t, dest) = sandbox();
        extract(&tar[..], &dest, overlay(), "l1", None).unwrap();
        let m = fs::symlink_metadata(dest.join("null")).unwrap();
        assert!(m.file_type().is_char_device());
        assert_eq!(m.rdev(), makedev(1, 3));
        assert!(
            fs::symlink_metadata(dest.join("blk"))
                .unwrap()
                .file_type()
                .is_block_device()
        );
    }
}

#[test]
fn setuid_mode_and_ownership_are_preserved() {
    let (_t, dest) = sandbox();
    let me = Uid::effective().as_raw() as u64;
    let (uid, gid) = if real_root() { (1000, 1001) } else { (me, me) };
    let tar = TarBuilder::new()
        .file_with("bin/su", b"elf", 0o4755, uid, gid)
        .file_with("bin/sg", b"elf", 0o2711, uid, gid)
        .finish();
    extract(&tar[..], &dest, overlay(), "l1", None).unwrap();
    let m = fs::metadata(dest.join("bin/su")).unwrap();
    assert_eq!(m.permissions().mode() & 0o7777, 0o4755);
    assert_eq!((m.uid() as u64, m.gid() as u64), (uid, gid));
    let m = fs::metadata(dest.join("bin/sg")).unwrap();
    assert_eq!(m.permissions().mode() & 0o7777, 0o2711);
}

#[test]
fn unmappable_owner_error_names_ids_and_path() {
    let (_t, dest) = sandbox();
    // u32::MAX is never a valid id (it means "no change" to chown).
    let tar = TarBuilder::new()
        .file_with("f", b"x", 0o644, 4_294_967_295, 5)
        .finish();
    let err = extract(&tar[..], &dest, overlay(), "l1", None).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("potentially insufficient UIDs or GIDs")
            && msg.contains("4294967295:5")
            && msg.contains("/f"),
        "{msg}"
    );
}

#[test]
fn overlay_whiteouts_become_char_devices_and_opaque_xattrs() {
    for &rootless in rootless_modes() {
        let (_t, dest) = sandbox();
        let tar = TarBuilder::new()
            .dir("d/", 0o755)
            .file("d/.wh.gone", b"")
            .dir("o/", 0o755)
            .file("o/.wh..wh..opq", b"")
            .file("o/kept", b"x")
            .file(".wh..wh.plnk", b"")
            .finish();
        let o = opts(Whiteouts::Overlay, rootless);
        extract(&tar[..], &dest, o, "l1", None).unwrap();
        let m = fs::symlink_metadata(dest.join("d/gone")).unwrap();
        assert!(m.file_type().is_char_device());
        assert_eq!(m.rdev(), 0);
        let name = OsStr::new(o.opaque_xattr());
        assert_eq!(
            xattr::lget(&dest.join("o"), name).unwrap().as_deref(),
            Some(&b"y"[..])
        );
        assert!(dest.join("o/kept").exists());
        assert!(!dest.join(".wh..wh.plnk").exists());
        assert!(!dest.join("d/.wh.gone").exists());
    }
}

#[test]
fn delete_whiteouts_remove_lower_content_only() {
    let (_t, dest) = sandbox();
    let lower = TarBuilder::new()
        .file("keep", b"1")
        .file("gone", b"1")
        .dir("dir/", 0o755)
        .file("dir/sub", b"1")
        .dir("opq/", 0o755)
        .file("opq/old", b"1")
        .finish();
    let o = opts(Whiteouts::Delete, false);
    extract(&lower[..], &dest, o, "l0", None).unwrap();
    let upper = TarBuilder::new()
        .file(".wh.gone", b"")
        .file(".wh.dir", b"")
        .file("opq/new", b"2")
        .file("opq/.wh..wh..opq", b"")
        .file(".wh.nothing", b"")
        .finish();
    extract(&upper[..], &dest, o, "l1", None).unwrap();
    assert!(dest.join("keep").exists());
    assert!(!dest.join("gone").exists());
    assert!(!dest.join("dir").exists());
    assert!(!dest.join("opq/old").exists());
    assert!(dest.join("opq/new").exists());
    assert!(!dest.join(".wh.gone").exists());
}

#[test]
fn garbage_is_not_an_archive() {
    let (_t, dest) = sandbox();
    let garbage = vec![b'z'; 2000];
    let err = extract(&garbage[..], &dest, overlay(), "l1", None).unwrap_err();
    assert!(matches!(err, StorageError::NotAnArchive(_)), "{err}");
    let err = extract(&b""[..], &dest, overlay(), "l1", None).unwrap_err();
    assert!(matches!(err, StorageError::NotAnArchive(_)), "{err}");
}

#[test]
fn overlay_private_xattrs_are_never_restored() {
    assert!(xattr::is_overlay_private(b"trusted.overlay.redirect"));
    assert!(xattr::is_overlay_private(b"user.overlay.opaque"));
    assert!(!xattr::is_overlay_private(b"user.mime_type"));
}

/// Regression: a directory's deferred chmod must not follow a symlink that later replaced it
/// (or its parent) to a directory outside the layer.
#[test]
fn deferred_dir_mode_never_applies_through_a_later_symlink() {
    let (t, dest) = sandbox();
    let outside = t.path().join("outside");
    fs::create_dir_all(outside.join("b")).unwrap();
    fs::set_permissions(&outside, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(outside.join("b"), fs::Permissions::from_mode(0o755)).unwrap();
    let tar = TarBuilder::new()
        .dir("d/", 0o777)
        .dir("a/", 0o755)
        .dir("a/b/", 0o777)
        .symlink("d", outside.to_str().unwrap())
        .symlink("a", outside.to_str().unwrap())
        .finish();
    extract(&tar[..], &dest, overlay(), "l1", None).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&outside), 0o755);
    assert_eq!(mode(&outside.join("b")), 0o755);
}

/// Regression (fuzz layer_extract HANG): rebuilding the tar opened a FIFO that a later entry
/// had put in place of a recorded file, and waited forever for a writer.
#[test]
fn rebuild_refuses_a_fifo_that_replaced_a_recorded_file_without_blocking() {
    use std::time::{Duration, Instant};

    let (t, dest) = sandbox();
    let tar = TarBuilder::new()
        .file("f", b"data")
        .device("f", EntryType::Fifo, 0, 0)
        .finish();
    let record = t.path().join("record");
    let got = extract(&tar[..], &dest, overlay(), "l1", Some(&record)).unwrap();
    assert!(
        fs::symlink_metadata(dest.join("f"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    // On a thread: were the open to block, the test fails on the timeout instead of hanging.
    std::thread::spawn(move || {
        let result = crate::tarsplit::LayerTar::open(&record, &dest, &got.diff_id)
            .map_err(|e| e.to_string())
            .and_then(|mut rebuilt| {
                rebuilt
                    .read_to_end(&mut Vec::new())
                    .map_err(|e| e.to_string())
            });
        let _ = tx.send(result);
    });
    let result = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("rebuilding the layer tar blocked on the FIFO");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    let err = result.unwrap_err();
    assert!(err.contains("regular file"), "{err}");
}
