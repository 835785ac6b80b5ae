use super::*;
use crate::digest::sha256_hex;
use crate::testutil::{TarBuilder, docker_archive, gzip};
use chrono::{DateTime, Utc};
use std::io::Read;

fn store() -> (tempfile::TempDir, Store) {
    let t = tempfile::tempdir().unwrap();
    let s = Store::open(&t.path().join("storage"), Driver::Overlay, false).unwrap();
    (t, s)
}

fn rootfs() -> Vec<u8> {
    TarBuilder::new()
        .dir("bin/", 0o755)
        .file("bin/sh", b"#!shell")
        .finish()
}

fn record(id: &str, names: &[&str]) -> Image {
    Image {
        id: id.to_string(),
        names: names.iter().map(|s| s.to_string()).collect(),
        digest: format!("sha256:{}", "d".repeat(64)),
        created: DateTime::<Utc>::UNIX_EPOCH,
        size: 1,
        layers: vec![],
    }
}

#[test]
fn driver_parses_and_is_recorded() {
    assert_eq!("overlay".parse::<Driver>().unwrap(), Driver::Overlay);
    assert_eq!("vfs".parse::<Driver>().unwrap(), Driver::Vfs);
    assert!("zfs".parse::<Driver>().is_err());
    let (t, s) = store();
    assert_eq!(s.driver(), Driver::Overlay);
    let err = Store::open(&t.path().join("storage"), Driver::Vfs, false).unwrap_err();
    assert!(matches!(err, StorageError::DriverMismatch { .. }), "{err}");
    Store::open(&t.path().join("storage"), Driver::Overlay, true).unwrap();
}

#[test]
fn open_removes_leftovers_of_interrupted_work() {
    let (t, s) = store();
    let tmp = s.tmp_dir();
    fs::create_dir_all(tmp.join("123-dead-0/layer-1/usr")).unwrap();
    fs::write(tmp.join("123-dead-0.lock"), b"").unwrap();
    let live = s.work_dir().unwrap();
    Store::open(&t.path().join("storage"), Driver::Overlay, false).unwrap();
    assert!(!tmp.join("123-dead-0").exists());
    assert!(live.path().exists());
}

#[test]
fn lookup_by_id_prefix_name_and_short_name() {
    let a = format!("abc{}", "0".repeat(61));
    let b = format!("abd{}", "1".repeat(61));
    let c = format!("fff{}", "2".repeat(61));
    let images = vec![
        record(
            &a,
            &[
                "docker.io/library/busybox:latest",
                "docker.io/library/busybox:1",
            ],
        ),
        record(&b, &["localhost/busybox:latest", "quay.io/me/tool:2"]),
        record(&c, &["quay.io/other/tool:2"]),
    ];
    assert_eq!(lookup_in(&images, &a).unwrap().id, a);
    assert_eq!(lookup_in(&images, "abc").unwrap().id, a);
    assert_eq!(
        lookup_in(&images, &format!("sha256:{}", &b[..10]))
            .unwrap()
            .id,
        b
    );
    assert!(matches!(
        lookup_in(&images, "ab"),
        Err(StorageError::ImageNotFound(_))
    ));
    assert!(matches!(
        lookup_in(&images, "ab0"),
        Err(StorageError::ImageNotFound(_))
    ));
    let err = lookup_in(&images, "fff0").map(|_| ());
    assert!(err.is_err());
    // localhost wins over docker.io for a short name
    assert_eq!(lookup_in(&images, "busybox").unwrap().id, b);
    assert_eq!(lookup_in(&images, "busybox:1").unwrap().id, a);
    assert_eq!(
        lookup_in(&images, "docker.io/library/busybox").unwrap().id,
        a
    );
    assert_eq!(
        lookup_in(&images, "docker.io/busybox:latest").unwrap().id,
        a
    );
    // suffix match must be unique
    assert!(matches!(
        lookup_in(&images, "tool:2"),
        Err(StorageError::AmbiguousImage { .. })
    ));
    assert_eq!(lookup_in(&images, "other/tool:2").unwrap().id, c);
    let err = lookup_in(&images, "nothere").unwrap_err();
    assert_eq!(err.to_string(), "nothere: image not known");
    assert!(lookup_in(&images, "Invalid Name!").is_err());
}

#[test]
fn lookup_ambiguous_id_prefix() {
    let images = vec![
        record(&format!("abc1{}", "0".repeat(60)), &[]),
        record(&format!("abc2{}", "0".repeat(60)), &[]),
    ];
    assert!(matches!(
        lookup_in(&images, "abc"),
        Err(StorageError::AmbiguousImage { .. })
    ));
}

/// Listing and short-name lookup among 200 images read the index alone (their speed is
/// measured by scripts/bench, not here).
#[test]
fn listing_many_images_reads_the_index_alone() {
    let (_t, s) = store();
    let lock = s.lock().unwrap();
    let mut index = lock.read().unwrap();
    for i in 0..200 {
        let mut img = record(&format!("{i:064x}"), &[&format!("localhost/img{i}:latest")]);
        img.layers = vec![
            format!("sha256:{:064x}", i),
            format!("sha256:{:064x}", i + 1000),
        ];
        index.images.push(img);
    }
    lock.write(&index).unwrap();
    drop(lock);
    // No image directory exists: anything but the index would fail to read.
    let images = s.images().unwrap();
    assert_eq!(images.len(), 200);
    assert_eq!(s.lookup("img150").unwrap().id, format!("{:064x}", 150));
}

#[test]
fn import_applies_changes_message_and_name() {
    let (_t, s) = store();
    let changes = vec![
        "CMD [\"/bin/sh\"]".to_string(),
        "ENV A=b".to_string(),
        "WORKDIR /srv".to_string(),
        "EXPOSE 8080".to_string(),
    ];
    let tar = rootfs();
    let img = s
        .import(
            &gzip(&tar)[..],
            Some("mybox"),
            &changes,
            Some("from a tarball"),
        )
        .unwrap();
    assert_eq!(img.names, vec!["localhost/mybox:latest"]);
    assert_eq!(img.layers, vec![crate::digest::sha256_digest(&tar)]);
    assert_eq!(img.size, tar.len() as u64);
    assert_eq!(img.id, sha256_hex(&s.config_bytes(&img).unwrap()));
    let cfg = s.config(&img).unwrap();
    let c = cfg.config().clone().unwrap();
    assert_eq!(c.cmd().clone().unwrap(), vec!["/bin/sh"]);
    assert_eq!(c.env().clone().unwrap(), vec!["A=b"]);
    assert_eq!(c.working_dir().as_deref(), Some("/srv"));
    assert_eq!(c.exposed_ports().clone().unwrap(), vec!["8080/tcp"]);
    let history = cfg.history().clone().unwrap();
    assert_eq!(history[0].comment().as_deref(), Some("from a tarball"));
    assert_eq!(cfg.rootfs().diff_ids().len(), 1);
    assert!(s.layer_dirs(&img).unwrap()[0].join("bin/sh").is_file());
    assert_eq!(s.lookup("mybox").unwrap().id, img.id);

    // Same tarball again: a new image, the same (shared) layer.
    let again = s.import(&tar[..], None, &[], None).unwrap();
    assert!(again.names.is_empty());
    assert_eq!(again.layers, img.layers);
    assert_eq!(s.images().unwrap().len(), 2);
}

#[test]
fn import_errors_leave_store_unchanged() {
    let (_t, s) = store();
    let bad = vec!["CMD [\"x\"]".to_string(), "BOGUS thing".to_string()];
    let err = s.import(&rootfs()[..], Some("x"), &bad, None).unwrap_err();
    assert!(err.to_string().contains("BOGUS thing"), "{err}");
    let err = s
        .import(&b"plain text, no tar"[..], Some("x"), &[], None)
        .unwrap_err();
    assert!(matches!(err, StorageError::NotAnArchive(_)), "{err}");
    let err = s
        .import(&rootfs()[..], Some("Bad Name"), &[], None)
        .unwrap_err();
    assert!(
        matches!(err, StorageError::InvalidReference { .. }),
        "{err}"
    );
    assert!(s.images().unwrap().is_empty());
    assert_eq!(fs::read_dir(s.root().join("layers")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(s.tmp_dir()).unwrap().count(), 0);
}

#[test]
fn tag_untag_and_name_moves() {
    let (_t, s) = store();
    let a = s.import(&rootfs()[..], Some("a"), &[], None).unwrap();
    let b = s.import(&rootfs()[..], None, &[], None).unwrap();
    s.tag(&b, "a").unwrap();
    assert!(s.lookup(&a.id).unwrap().names.is_empty(), "name moved away");
    assert_eq!(s.lookup("a").unwrap().id, b.id);
    s.tag(&b, "quay.io/x/y:2").unwrap();
    assert_eq!(
        s.lookup(&b.id).unwrap().names,
        vec!["localhost/a:latest", "quay.io/x/y:2"]
    );
    s.untag(&b, "a").unwrap();
    assert_eq!(s.lookup(&b.id).unwrap().names, vec!["quay.io/x/y:2"]);
    assert!(s.untag(&b, "a").is_err());
    assert!(s.tag(&b, "UPPER").is_err());
}

#[test]
fn remove_image_errors_for_unknown() {
    let (_t, s) = store();
    let img = s.import(&rootfs()[..], Some("a"), &[], None).unwrap();
    s.remove_image(&img).unwrap();
    assert!(matches!(
        s.remove_image(&img),
        Err(StorageError::ImageNotFound(_))
    ));
    assert!(s.lookup("a").is_err());
}

#[test]
fn concurrent_loads_from_two_handles_keep_both_images() {
    let (t, s) = store();
    let root = t.path().join("storage");
    let archives: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            let layer = TarBuilder::new().file(&format!("f{i}"), b"x").finish();
            docker_archive(&[rootfs(), layer], &[&format!("img{i}")], i % 2 == 0, "/x").0
        })
        .collect();
    std::thread::scope(|scope| {
        for a in &archives {
            let root = &root;
            scope.spawn(move || {
                let s = Store::open(root, Driver::Overlay, false).unwrap();
                s.load(&a[..]).unwrap();
            });
        }
    });
    let images = s.images().unwrap();
    assert_eq!(images.len(), 4);
    for i in 0..4 {
        s.lookup(&format!("img{i}")).unwrap();
    }
    // The shared base layer exists once: 1 base + 4 tops.
    assert_eq!(fs::read_dir(s.root().join("layers")).unwrap().count(), 5);
}

/// Saved and pushed layers must hash to the config's diff_ids: `layer_tar` gives back each
/// loaded layer's exact bytes (whiteouts, hardlinks, symlinks, trailing padding included), in
/// both drivers, and `rmi` removes the records with the layers.
#[test]
fn layer_tar_rebuilds_the_original_stream() {
    let lower = TarBuilder::new()
        .dir("etc/", 0o755)
        .file("etc/keep", b"kept")
        .file("etc/gone", b"to be deleted")
        .file("big", &vec![7u8; 100_000])
        .hardlink("big2", "big")
        .symlink("etc/link", "/etc/keep")
        .finish();
    let mut upper = TarBuilder::new()
        .dir("etc/", 0o755)
        .file("etc/.wh.gone", b"")
        .file("etc/new", b"new content")
        .finish();
    upper.extend_from_slice(&[0u8; 4096]); // padding after the end blocks
    for driver in [Driver::Overlay, Driver::Vfs] {
        let t = tempfile::tempdir().unwrap();
        let s = Store::open(&t.path().join("storage"), driver, false).unwrap();
        let (archive, _) = docker_archive(
            &[lower.clone(), upper.clone()],
            &["localhost/split:1"],
            true,
            "/bin/sh",
        );
        let img = s.load(&archive[..]).unwrap().remove(0);
        for (chain, original) in img.layers.iter().zip([&lower, &upper]) {
            let mut rebuilt = Vec::new();
            s.layer_tar(chain)
                .unwrap()
                .read_to_end(&mut rebuilt)
                .unwrap();
            assert!(rebuilt == *original, "{driver}: layer {chain} differs");
        }
        s.remove_image(&img).unwrap();
        assert_eq!(
            fs::read_dir(t.path().join("storage/tar-split"))
                .unwrap()
                .count(),
            0
        );
    }
}

// Pins that two first commands opening a fresh store at once both succeed (each records the
// driver through its own temp file; the loser of the rename accepts the same record).
#[test]
fn concurrent_first_opens_both_succeed() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("storage");
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            let opens: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        Store::open(&root, Driver::Vfs, false).map(|_| ())
                    })
                })
                .collect();
            for o in opens {
                o.join().unwrap().expect("both opens succeed");
            }
        });
        assert_eq!(Store::recorded_driver(&root), Some(Driver::Vfs));
    }
}
