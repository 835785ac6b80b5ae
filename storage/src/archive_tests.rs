use super::*;
use crate::store::Driver;
use crate::testutil::{TarBuilder, docker_archive, gzip, member, oci_archive};

fn store() -> (tempfile::TempDir, Store) {
    let t = tempfile::tempdir().unwrap();
    let s = Store::open(&t.path().join("storage"), Driver::Overlay, false).unwrap();
    (t, s)
}

fn base_layer() -> Vec<u8> {
    TarBuilder::new()
        .dir("bin/", 0o755)
        .file("bin/sh", b"#!shell")
        .finish()
}

/// Everything visible in the store (index + layer and image dirs), to compare before/after.
fn snapshot(s: &Store) -> (String, Vec<String>) {
    let index = fs::read_to_string(s.index_path()).unwrap_or_default();
    let mut entries = Vec::new();
    for d in ["layers", "images", "l"] {
        for e in fs::read_dir(s.root().join(d)).unwrap() {
            entries.push(format!("{d}/{}", e.unwrap().file_name().to_string_lossy()));
        }
    }
    entries.sort();
    (index, entries)
}

#[test]
fn loads_docker_archive_with_plain_and_gzip_layers() {
    let (_t, s) = store();
    let upper = TarBuilder::new().file("etc/motd", b"hi").finish();
    for gz in [false, true] {
        let (archive, id) = docker_archive(
            &[base_layer(), upper.clone()],
            &["busybox:latest"],
            gz,
            "/bin/sh",
        );
        let imgs = s.load(&archive[..]).unwrap();
        assert_eq!(imgs.len(), 1);
        assert_eq!(imgs[0].id, id);
        assert_eq!(imgs[0].names, vec!["docker.io/library/busybox:latest"]);
        assert_eq!(imgs[0].layers.len(), 2);
        assert_eq!(imgs[0].size, (base_layer().len() + upper.len()) as u64);
        assert_eq!(imgs[0].created.to_rfc3339(), "2024-01-02T03:04:05+00:00");
    }
    let img = s.lookup("busybox").unwrap();
    let dirs = s.layer_dirs(&img).unwrap();
    assert!(dirs[0].join("etc/motd").is_file(), "topmost first");
    assert!(dirs[1].join("bin/sh").is_file());
    let cfg = s.config(&img).unwrap();
    assert_eq!(
        cfg.config().as_ref().unwrap().cmd().clone().unwrap(),
        vec!["/bin/sh"]
    );
    let manifest = s.manifest(&img).unwrap();
    assert_eq!(manifest.layers().len(), 2);
    assert_eq!(img.digest, sha256_digest(&s.manifest_bytes(&img).unwrap()));
}

#[test]
fn whole_archive_may_be_gzipped() {
    let (_t, s) = store();
    let (archive, id) = docker_archive(&[base_layer()], &[], false, "/bin/sh");
    let imgs = s.load(&gzip(&archive)[..]).unwrap();
    assert_eq!(imgs[0].id, id);
    assert!(imgs[0].names.is_empty());
}

#[test]
fn layers_are_shared_between_images_and_extracted_once() {
    let (_t, s) = store();
    let (a, _) = docker_archive(&[base_layer()], &["a"], false, "/a");
    let (b, _) = docker_archive(
        &[base_layer(), TarBuilder::new().file("x", b"x").finish()],
        &["b"],
        true,
        "/b",
    );
    let ia = s.load(&a[..]).unwrap().remove(0);
    let marker = s.layer_dirs(&ia).unwrap()[0].join("bin/marker");
    fs::write(&marker, b"m").unwrap();
    let ib = s.load(&b[..]).unwrap().remove(0);
    assert_eq!(ia.layers[0], ib.layers[0]);
    // Not re-extracted: the marker written after the first load is still there.
    assert!(marker.exists());
    assert_eq!(fs::read_dir(s.root().join("layers")).unwrap().count(), 2);
    s.remove_image(&ia).unwrap();
    assert!(
        s.layer_dirs(&ib).unwrap()[1].join("bin/sh").exists(),
        "shared layer kept"
    );
    s.remove_image(&ib).unwrap();
    assert_eq!(fs::read_dir(s.root().join("layers")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(s.root().join("images")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(s.root().join("l")).unwrap().count(), 0);
}

#[test]
fn loads_oci_archive_with_ref_name() {
    let (_t, s) = store();
    let (archive, id) = oci_archive(&[base_layer()], Some("quay.io/x/y:1"));
    let imgs = s.load(&archive[..]).unwrap();
    assert_eq!(imgs[0].id, id);
    assert_eq!(imgs[0].names, vec!["quay.io/x/y:1"]);
    assert!(s.layer_dirs(&imgs[0]).unwrap()[0].join("bin/sh").exists());
    assert_eq!(s.lookup("y:1").unwrap().id, id);
}

#[test]
fn not_an_archive_and_missing_manifest() {
    let (_t, s) = store();
    let err = s
        .load(&b"this is not a tarball at all, not even close....."[..])
        .unwrap_err();
    assert!(matches!(err, StorageError::NotAnArchive(_)), "{err}");
    let mut b = tar::Builder::new(Vec::new());
    member(&mut b, "hello.txt", b"x");
    let err = s.load(&b.into_inner().unwrap()[..]).unwrap_err();
    assert!(matches!(err, StorageError::MissingManifest), "{err}");
    assert!(err.to_string().contains("manifest.json"));
}

#[test]
fn config_digest_mismatch_is_named() {
    let (_t, s) = store();
    let config = crate::testutil::config_json(&[base_layer()], "/x");
    let wrong = "a".repeat(64);
    let mut b = tar::Builder::new(Vec::new());
    member(&mut b, "l.tar", &base_layer());
    member(&mut b, &format!("{wrong}.json"), &config);
    let m = serde_json::json!([{"Config": format!("{wrong}.json"), "Layers": ["l.tar"]}]);
    member(&mut b, "manifest.json", m.to_string().as_bytes());
    let err = s.load(&b.into_inner().unwrap()[..]).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, StorageError::ConfigDigestMismatch { .. }),
        "{msg}"
    );
    assert!(msg.contains(&wrong), "{msg}");
}

#[test]
fn diff_id_mismatch_leaves_store_unchanged() {
    let (_t, s) = store();
    let (good, _) = docker_archive(&[base_layer()], &["good"], false, "/g");
    s.load(&good[..]).unwrap();
    let before = snapshot(&s);

    // Config claims other diff_ids than the layers have; the first (new) layer extracts fine,
    // the second fails: nothing of it may remain visible.
    let l1 = TarBuilder::new().file("one", b"1").finish();
    let l2 = TarBuilder::new().file("two", b"2").finish();
    let l2_claimed = TarBuilder::new().file("two", b"other").finish();
    let config = crate::testutil::config_json(&[l1.clone(), l2_claimed], "/x");
    let id = sha256_hex(&config);
    let mut b = tar::Builder::new(Vec::new());
    member(&mut b, "1.tar", &l1);
    member(&mut b, "2.tar", &l2);
    member(&mut b, &format!("{id}.json"), &config);
    let m = serde_json::json!([{"Config": format!("{id}.json"), "RepoTags": ["bad:1"], "Layers": ["1.tar", "2.tar"]}]);
    member(&mut b, "manifest.json", m.to_string().as_bytes());
    let err = s.load(&b.into_inner().unwrap()[..]).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StorageError::DiffIdMismatch { .. }), "{msg}");
    assert!(
        msg.contains("2.tar") && msg.contains(&sha256_digest(&l2)),
        "{msg}"
    );
    assert_eq!(snapshot(&s), before);
    assert_eq!(
        fs::read_dir(s.tmp_dir()).unwrap().count(),
        0,
        "work dir removed"
    );
}

#[test]
fn hostile_layer_in_archive_fails_cleanly() {
    let (t, s) = store();
    let before = snapshot(&s);
    let evil = TarBuilder::new()
        .file("ok", b"1")
        .file("../../escape", b"x")
        .finish();
    let (archive, _) = docker_archive(&[evil], &["evil"], false, "/x");
    assert!(s.load(&archive[..]).is_err());
    assert_eq!(snapshot(&s), before);
    assert!(!t.path().join("escape").exists());
}

#[test]
fn oci_blob_digest_is_verified() {
    let (_t, s) = store();
    let (mut archive, _) = oci_archive(&[base_layer()], None);
    // Corrupt the config blob's content (first occurrence of the Cmd string).
    let pos = archive.windows(8).position(|w| w == b"/bin/oci").unwrap();
    archive[pos + 5] = b'X';
    let err = s.load(&archive[..]).unwrap_err();
    assert!(
        matches!(err, StorageError::ConfigDigestMismatch { .. }),
        "{err}"
    );
}

#[test]
fn docker_archive_symlinked_layers_resolve() {
    let (_t, s) = store();
    let layer = base_layer();
    let config = crate::testutil::config_json(&[layer.clone(), layer.clone()], "/x");
    let id = sha256_hex(&config);
    let mut b = tar::Builder::new(Vec::new());
    member(&mut b, "a/layer.tar", &layer);
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "b/layer.tar", "../a/layer.tar")
        .unwrap();
    member(&mut b, &format!("{id}.json"), &config);
    let m = serde_json::json!([{"Config": format!("{id}.json"), "Layers": ["a/layer.tar", "b/layer.tar"]}]);
    member(&mut b, "manifest.json", m.to_string().as_bytes());
    let imgs = s.load(&b.into_inner().unwrap()[..]).unwrap();
    assert_eq!(imgs[0].layers.len(), 2);
}

#[test]
fn vfs_layers_are_snapshots_with_whiteouts_applied() {
    let t = tempfile::tempdir().unwrap();
    let s = Store::open(&t.path().join("vfs"), Driver::Vfs, false).unwrap();
    let l0 = TarBuilder::new().file("a", b"1").file("b", b"1").finish();
    let l1 = TarBuilder::new()
        .file(".wh.a", b"")
        .file("c", b"2")
        .finish();
    let (archive, _) = docker_archive(&[l0, l1], &["v"], false, "/x");
    let img = s.load(&archive[..]).unwrap().remove(0);
    let top = &s.layer_dirs(&img).unwrap()[0];
    assert!(!top.join("a").exists());
    assert!(top.join("b").exists() && top.join("c").exists());
    assert!(!top.join(".wh.a").exists());
}

#[test]
fn oci_ref_name_that_is_not_a_name_leaves_image_untagged() {
    let (_t, s) = store();
    let (archive, id) = oci_archive(&[base_layer()], Some("V1.0-RC"));
    let imgs = s.load(&archive[..]).unwrap();
    assert_eq!(imgs[0].id, id);
    assert!(imgs[0].names.is_empty());
}
