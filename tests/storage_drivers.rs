//! The three storage drivers (native overlay, fuse-overlayfs, vfs) give a container the same
//! root file system: layers stacked, whiteouts and opaque directories honoured, writes kept in
//! the container. Also: the driver is chosen once, at first use, and recorded.

#[path = "common/archives.rs"]
mod archives;
mod common;

use std::fs;

use archives::{ImageSpec, LayerBuilder};
use common::Env;

/// A three-layer image: busybox; then /data/{a,b} and /etc/extra; then a whiteout of
/// /etc/extra, an opaque /data holding only c.
fn layered_archive() -> Vec<u8> {
    let base = fs::read(common::busybox_tar()).expect("read busybox rootfs tar");
    let mut mid = LayerBuilder::new();
    mid.dir("data", 0o755)
        .file("data/a", 0o644, b"a")
        .file("data/b", 0o644, b"b")
        .file("etc/extra", 0o644, b"extra");
    let mut top = LayerBuilder::new();
    top.whiteout("etc", "extra")
        .dir("data", 0o755)
        .file("data/.wh..wh..opq", 0o644, b"")
        .file("data/c", 0o644, b"c");
    archives::docker_archive(
        &ImageSpec::new(vec![base, mid.finish(), top.finish()]),
        &["layered:latest"],
    )
}

fn check_driver(driver: &str) {
    let env = Env::new();
    env.load_archive_with(driver, &layered_archive());
    let out = env
        .burrow(&[
            "--storage-driver",
            driver,
            "run",
            "--name",
            "c1",
            "layered",
            "sh",
            "-c",
            "ls /data | tr '\\n' ' '; test -e /etc/extra && echo extra-present || echo extra-gone; echo written > /data/new; cat /data/new",
        ])
        .ok();
    assert_eq!(out.stdout, "c extra-gone\nwritten\n", "driver {driver}");
    // The container's writes stay in the container: a second container does not see them.
    let fresh = env
        .burrow(&[
            "--storage-driver",
            driver,
            "run",
            "--rm",
            "layered",
            "ls",
            "/data",
        ])
        .ok();
    assert_eq!(fresh.stdout, "c\n", "driver {driver}");
    let recorded =
        fs::read_to_string(env.data_dir().join("burrow/storage/driver")).expect("driver file");
    assert_eq!(recorded.trim(), driver);
}

// Pins: native overlay stacks layers and honours whiteouts and opaque directories.
#[test]
fn overlay_driver_layers_whiteouts_opaque() {
    check_driver("overlay");
}

// Pins: fuse-overlayfs reads the same layers the same way (the fallback for kernels without
// overlay in user namespaces).
#[test]
fn fuse_overlayfs_driver_layers_whiteouts_opaque() {
    check_driver("fuse-overlayfs");
}

// Pins: the copying vfs driver applies whiteouts and opaque directories by deleting.
#[test]
fn vfs_driver_layers_whiteouts_opaque() {
    check_driver("vfs");
}

// Pins: with no --storage-driver the first use picks native overlay where the kernel allows
// it (it does on these machines) and records it; a later different choice is refused clearly.
#[test]
fn driver_is_chosen_at_first_use_and_recorded() {
    let env = Env::new().with_busybox();
    let recorded =
        fs::read_to_string(env.data_dir().join("burrow/storage/driver")).expect("driver file");
    assert_eq!(recorded.trim(), "overlay");
    env.burrow(&["--storage-driver", "vfs", "images"])
        .code(125)
        .stderr_has("created with driver overlay");
    env.burrow(&["--storage-driver", "zfs", "images"])
        .code(125)
        .stderr_has("unknown storage driver");
}
