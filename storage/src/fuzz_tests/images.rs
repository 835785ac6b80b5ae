//! Fuzz targets over image metadata:
//!
//! - `image_json`: the bytes a registry serves for a manifest, an index (or docker manifest
//!   list) and an image config, through what pull does with them ([`manifest::parse`], platform
//!   [`manifest::select`], digest checks, `chain_ids`, the creation time). Arbitrary bytes,
//!   arbitrary JSON values and documents of the right shape with random field values: no
//!   panic, no hang.
//! - `archive_load`: whole docker-archive (`manifest.json`, `<id>.json`, layer members) and
//!   oci-archive (`index.json`, blobs) tarballs with random documents, names and symlink
//!   members, loaded by [`Store::load`] into a fresh store: no panic, no hang, nothing created
//!   next to the store, and every image it reports loaded can be read back.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tar::{EntryType, Header};

use super::Bytes;
use crate::archive::created_of;
use crate::digest::{chain_ids, parse_sha256, sha256_digest, sha256_hex};
use crate::registry::manifest::{self, Fetched, Platform};
use crate::store::{Driver, Store};
use crate::testutil::{TarBuilder, gzip, rootless_modes};

const MEDIA_TYPES: &[&str] = &[
    manifest::OCI_MANIFEST,
    manifest::OCI_INDEX,
    manifest::DOCKER_MANIFEST,
    manifest::DOCKER_LIST,
    manifest::OCI_CONFIG,
    manifest::OCI_LAYER_GZIP,
    manifest::OCI_LAYER_ZSTD,
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.container.image.v1+json",
    "",
    "text/html; charset=utf-8",
];

const KEYS: &[&str] = &[
    "schemaVersion",
    "mediaType",
    "manifests",
    "config",
    "layers",
    "digest",
    "size",
    "platform",
    "architecture",
    "os",
    "variant",
    "annotations",
    "rootfs",
    "diff_ids",
    "history",
    "created",
    "type",
    "Config",
    "RepoTags",
    "Layers",
    "Env",
    "Cmd",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "", "linux", "amd64", "arm64", "arm", "v7", "windows", "layers", "sha256:", "latest",
            "busybox", "docker.io/library/busybox:latest", "localhost/x:1", "UPPER:case",
            "a/../b", "../../etc/passwd", "1970-01-01T00:00:00Z", "2024-02-30T25:61:61Z",
            "9999-12-31T23:59:59.999999999+14:00", "-0001-01-01T00:00:00Z",
        ])
        .prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(0)),
        Just(json!(2)),
        Just(json!(-1)),
    ]
}

/// Any JSON value, keys mostly the fields these documents have.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            3 => prop::sample::select(KEYS).prop_map(str::to_string),
            1 => text(),
        ];
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key, inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// The right kind of value most of the time, anything now and then.
fn or_any(good: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop_oneof![30 => good, 1 => any_json()]
}

/// An object from optional fields (a `None` field is left out).
fn object(fields: Vec<(&'static str, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect::<Map<_, _>>(),
    )
}

fn digest() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => vec(any::<u8>(), 0..8).prop_map(|b| json!(sha256_digest(&b))),
        1 => "[0-9a-f]{0,70}".prop_map(|h| json!(format!("sha256:{h}"))),
        1 => "[0-9a-f]{128}".prop_map(|h| json!(format!("sha512:{h}"))),
        1 => text().prop_map(Value::String),
    ]
}

fn media_type() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::sample::select(MEDIA_TYPES).prop_map(|m| json!(m)),
        1 => text().prop_map(Value::String),
    ]
}

fn string_map() -> impl Strategy<Value = Value> {
    vec((text(), text()), 0..3)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
}

fn platform() -> impl Strategy<Value = Value> {
    (
        or_any(text().prop_map(Value::String)),
        or_any(text().prop_map(Value::String)),
        prop::option::of(or_any(text().prop_map(Value::String))),
        prop::option::of(or_any(vec(text(), 0..3).prop_map(|v| json!(v)))),
    )
        .prop_map(|(os, arch, variant, features)| {
            object(vec![
                ("os", Some(os)),
                ("architecture", Some(arch)),
                ("variant", variant),
                ("os.features", features),
            ])
        })
}

fn descriptor() -> impl Strategy<Value = Value> {
    (
        or_any(media_type()),
        or_any(digest()),
        or_any(number()),
        prop::option::of(platform()),
        prop::option::of(or_any(string_map())),
    )
        .prop_map(|(media, digest, size, platform, annotations)| {
            object(vec![
                ("mediaType", Some(media)),
                ("digest", Some(digest)),
                ("size", Some(size)),
                ("platform", platform),
                ("annotations", annotations),
            ])
        })
}

fn schema_version() -> impl Strategy<Value = Value> {
    or_any(prop_oneof![8 => Just(json!(2)), 1 => Just(json!(1)), 1 => number()])
}

fn image_manifest() -> impl Strategy<Value = Value> {
    (
        schema_version(),
        prop::option::of(media_type()),
        or_any(descriptor()),
        or_any(vec(descriptor(), 0..4).prop_map(Value::Array)),
    )
        .prop_map(|(v, media, config, layers)| {
            object(vec![
                ("schemaVersion", Some(v)),
                ("mediaType", media),
                ("config", Some(config)),
                ("layers", Some(layers)),
            ])
        })
}

fn image_index() -> impl Strategy<Value = Value> {
    (
        schema_version(),
        prop::option::of(media_type()),
        or_any(vec(descriptor(), 0..4).prop_map(Value::Array)),
    )
        .prop_map(|(v, media, manifests)| {
            object(vec![
                ("schemaVersion", Some(v)),
                ("mediaType", media),
                ("manifests", Some(manifests)),
            ])
        })
}

/// An image config; `diff_ids` replaces the generated ones when given.
fn image_config(diff_ids: Option<Vec<String>>) -> impl Strategy<Value = Value> {
    let strings = || or_any(vec(text(), 0..3).prop_map(|v| json!(v)));
    let inner = (
        strings(),
        strings(),
        strings(),
        prop::option::of(string_map()),
    )
        .prop_map(|(env, cmd, entrypoint, labels)| {
            object(vec![
                ("Env", Some(env)),
                ("Cmd", Some(cmd)),
                ("Entrypoint", Some(entrypoint)),
                ("Labels", labels),
            ])
        });
    let history = vec(
        (
            or_any(text().prop_map(Value::String)),
            or_any(text().prop_map(Value::String)),
            prop::option::of(or_any(any::<bool>().prop_map(Value::Bool))),
        )
            .prop_map(|(created, by, empty)| {
                object(vec![
                    ("created", Some(created)),
                    ("created_by", Some(by)),
                    ("empty_layer", empty),
                ])
            }),
        0..4,
    );
    (
        or_any(text().prop_map(Value::String)),
        or_any(text().prop_map(Value::String)),
        prop::option::of(or_any(text().prop_map(Value::String))),
        prop::option::of(or_any(inner)),
        or_any(vec(digest(), 0..4).prop_map(Value::Array)),
        prop::option::of(or_any(history.prop_map(Value::Array))),
    )
        .prop_map(move |(arch, os, created, config, ids, history)| {
            let ids = diff_ids.clone().map_or(ids, |d| json!(d));
            object(vec![
                ("architecture", Some(arch)),
                ("os", Some(os)),
                ("created", created),
                ("config", config),
                ("rootfs", Some(json!({"type": "layers", "diff_ids": ids}))),
                ("history", history),
            ])
        })
}

/// The bytes of one `image_json` case.
#[derive(Clone, Debug)]
enum Doc {
    Raw(Bytes),
    Json(Value),
    /// A well-shaped document, cut short or with one byte changed.
    Damaged(Value, usize, Option<u8>),
}

fn doc() -> impl Strategy<Value = Doc> {
    let shaped = prop_oneof![image_manifest(), image_index(), image_config(None)];
    prop_oneof![
        1 => vec(any::<u8>(), 0..200).prop_map(|b| Doc::Raw(Bytes(b))),
        2 => any_json().prop_map(Doc::Json),
        6 => shaped.clone().prop_map(Doc::Json),
        1 => (shaped, any::<usize>(), prop::option::of(any::<u8>()))
            .prop_map(|(v, at, byte)| Doc::Damaged(v, at, byte)),
    ]
}

fn doc_bytes(d: &Doc) -> Vec<u8> {
    match d {
        Doc::Raw(b) => b.0.clone(),
        Doc::Json(v) => serde_json::to_vec(v).expect("serialise"),
        Doc::Damaged(v, at, byte) => {
            let mut b = serde_json::to_vec(v).expect("serialise");
            let at = at % (b.len() + 1);
            match byte {
                Some(x) if at < b.len() => b[at] = *x,
                _ => b.truncate(at),
            }
            b
        }
    }
}

fn check_json(d: Doc) {
    let bytes = doc_bytes(&d);
    let platforms = [
        Platform::default(),
        Platform::parse("linux/arm/v7").expect("platform"),
        Platform::parse("windows/amd64").expect("platform"),
    ];
    for content_type in ["", manifest::OCI_INDEX, manifest::DOCKER_MANIFEST] {
        match manifest::parse(&bytes, content_type, "fuzz") {
            Ok(Fetched::Index(index)) => {
                for p in &platforms {
                    if let Ok(d) = manifest::select(&index, p, "fuzz") {
                        let _ = parse_sha256(&d);
                    }
                }
            }
            Ok(Fetched::Image(m)) => {
                let _ = parse_sha256(m.config().digest().as_ref());
                for l in m.layers() {
                    let _ = parse_sha256(l.digest().as_ref());
                    let _ = l.media_type().to_string();
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    if let Ok(config) = serde_json::from_slice::<ImageConfiguration>(&bytes) {
        let _ = chain_ids(config.rootfs().diff_ids());
        let _ = created_of(&config);
        let _ = serde_json::to_vec(&config);
    }
    if let Ok(index) = serde_json::from_slice::<ImageIndex>(&bytes) {
        let _ = serde_json::to_vec(&index);
    }
    if let Ok(m) = serde_json::from_slice::<ImageManifest>(&bytes) {
        let _ = serde_json::to_vec(&m);
    }
}

/// One member of an outer archive.
#[derive(Clone, Debug)]
enum Member {
    File(String, Bytes),
    Symlink(String, String),
    Hardlink(String, String),
}

/// A layer member's content.
#[derive(Clone, Debug)]
enum LayerBlob {
    /// One of the small valid layer tars, plain or gzip.
    Good(usize, bool),
    Garbage(Bytes),
}

#[derive(Clone, Debug)]
struct Archive {
    members: Vec<Member>,
    gzip: bool,
    driver_vfs: bool,
    rootless: usize,
}

fn good_layers() -> Vec<Vec<u8>> {
    vec![
        TarBuilder::new()
            .dir("bin/", 0o755)
            .file("bin/sh", b"#!shell")
            .finish(),
        TarBuilder::new().file("etc/motd", b"hi").finish(),
        TarBuilder::new()
            .file(".wh.bin", b"")
            .symlink("bin", "/usr/bin")
            .finish(),
    ]
}

fn layer_blob() -> impl Strategy<Value = LayerBlob> {
    prop_oneof![
        12 => (0usize..3, any::<bool>()).prop_map(|(i, gz)| LayerBlob::Good(i, gz)),
        1 => vec(any::<u8>(), 0..300).prop_map(|b| LayerBlob::Garbage(Bytes(b))),
    ]
}

fn blob_bytes(b: &LayerBlob) -> Vec<u8> {
    match b {
        LayerBlob::Good(i, gz) => {
            let plain = good_layers().swap_remove(*i);
            if *gz { gzip(&plain) } else { plain }
        }
        LayerBlob::Garbage(b) => b.0.clone(),
    }
}

/// The diff ID a layer member really has (garbage: of its bytes, which is wrong anyway).
fn diff_id(b: &LayerBlob) -> String {
    match b {
        LayerBlob::Good(i, _) => sha256_digest(&good_layers()[*i]),
        LayerBlob::Garbage(b) => sha256_digest(&b.0),
    }
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "manifest.json", "index.json", "oci-layout", "repositories", "l0/layer.tar",
            "l1/layer.tar", "./manifest.json", "../manifest.json", "/index.json",
            "blobs/sha256/", "blobs/sha256/..", "a", "b",
        ])
        .prop_map(str::to_string),
        1 => "[a-z./]{0,20}",
    ]
}

fn repo_tags() -> impl Strategy<Value = Value> {
    // An invalid tag fails the whole load: mostly valid ones.
    let tag = prop_oneof![
        12 => prop::sample::select(vec![
            "busybox:latest", "localhost/x:1", "docker.io/library/a:b", "registry:5000/ns/x:tag",
            "a",
        ])
        .prop_map(str::to_string),
        1 => prop::sample::select(vec!["UPPER", "a@sha256:00", "", ":", "a:b:c"])
            .prop_map(str::to_string),
        1 => text(),
    ];
    or_any(vec(tag, 0..3).prop_map(|t| json!(t)))
}

/// A docker-archive: layer members, a config naming their diff IDs (mostly right), a
/// manifest.json listing them, plus extra members.
fn docker_archive() -> impl Strategy<Value = Vec<Member>> {
    (vec(layer_blob(), 0..3), any::<u8>())
        .prop_flat_map(|(blobs, seed)| {
            let ids: Vec<String> = blobs.iter().map(diff_id).collect();
            let config = prop_oneof![
                8 => image_config(Some(ids)),
                1 => image_config(None),
            ];
            (
                Just(blobs),
                config,
                repo_tags(),
                prop_oneof![12 => Just(None), 1 => any_json().prop_map(Some)],
                prop_oneof![2 => Just(Vec::new()), 1 => vec(extra_member(), 1..4)],
                Just(seed),
            )
        })
        .prop_map(|(blobs, config, tags, raw_manifest, extra, seed)| {
            let config = serde_json::to_vec(&config).expect("serialise");
            let config_name = match seed % 8 {
                0 => "config.json".to_string(),
                1 => format!("{}.json", sha256_hex(b"other")),
                _ => format!("{}.json", sha256_hex(&config)),
            };
            let mut members = Vec::new();
            let mut layer_names = Vec::new();
            for (i, b) in blobs.iter().enumerate() {
                let name = format!("l{i}/layer.tar");
                members.push(Member::File(name.clone(), Bytes(blob_bytes(b))));
                layer_names.push(name);
            }
            members.push(Member::File(config_name.clone(), Bytes(config)));
            let manifest = raw_manifest.unwrap_or_else(
                || json!([{"Config": config_name, "RepoTags": tags, "Layers": layer_names}]),
            );
            members.push(Member::File(
                "manifest.json".to_string(),
                Bytes(serde_json::to_vec(&manifest).expect("serialise")),
            ));
            members.extend(extra);
            members
        })
}

fn extra_member() -> impl Strategy<Value = Member> {
    prop_oneof![
        (member_name(), vec(any::<u8>(), 0..64)).prop_map(|(n, b)| Member::File(n, Bytes(b))),
        (member_name(), member_name()).prop_map(|(n, t)| Member::Symlink(n, t)),
        (member_name(), member_name()).prop_map(|(n, t)| Member::Hardlink(n, t)),
    ]
}

/// An oci-archive: blobs under their digests (mostly right), manifests referring to them,
/// an index.json (possibly through a nested index), plus extra members.
fn oci_archive() -> impl Strategy<Value = Vec<Member>> {
    (vec(layer_blob(), 0..3), any::<u8>())
        .prop_flat_map(|(blobs, seed)| {
            let ids: Vec<String> = blobs.iter().map(diff_id).collect();
            let config = prop_oneof![
                8 => image_config(Some(ids)),
                1 => image_config(None),
            ];
            (
                Just(blobs),
                config,
                prop::option::of(string_map()),
                prop_oneof![12 => Just(None), 1 => any_json().prop_map(Some)],
                prop_oneof![2 => Just(Vec::new()), 1 => vec(extra_member(), 1..4)],
                Just(seed),
            )
        })
        .prop_map(|(blobs, config, annotations, raw_index, extra, seed)| {
            let mut members = vec![Member::File(
                "oci-layout".to_string(),
                Bytes(br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
            )];
            let mut blob = |data: Vec<u8>| {
                let d = sha256_digest(&data);
                let len = data.len();
                members.push(Member::File(
                    format!("blobs/sha256/{}", sha256_hex(&data)),
                    Bytes(data),
                ));
                (d, len)
            };
            let (config_digest, config_size) =
                blob(serde_json::to_vec(&config).expect("serialise"));
            let layers: Vec<Value> = blobs
                .iter()
                .map(|b| {
                    let (d, size) = blob(blob_bytes(b));
                    json!({"mediaType": manifest::OCI_LAYER_GZIP, "digest": d, "size": size})
                })
                .collect();
            let m = json!({
                "schemaVersion": 2,
                "mediaType": manifest::OCI_MANIFEST,
                "config": {"mediaType": manifest::OCI_CONFIG, "digest": config_digest, "size": config_size},
                "layers": layers,
            });
            let (m_digest, m_size) = blob(serde_json::to_vec(&m).expect("serialise"));
            let mut desc = json!({"mediaType": manifest::OCI_MANIFEST, "digest": m_digest, "size": m_size});
            if let Some(a) = annotations {
                desc["annotations"] = a;
            }
            if seed % 3 == 0 {
                // Through a nested index, as multi-platform archives are.
                desc["platform"] = json!({"os": "linux", "architecture": crate::registry::manifest::goarch()});
                let nested = json!({"schemaVersion": 2, "manifests": [desc]});
                let (d, size) = blob(serde_json::to_vec(&nested).expect("serialise"));
                desc = json!({"mediaType": manifest::OCI_INDEX, "digest": d, "size": size});
            }
            let index = raw_index.unwrap_or_else(|| json!({"schemaVersion": 2, "manifests": [desc]}));
            members.push(Member::File(
                "index.json".to_string(),
                Bytes(serde_json::to_vec(&index).expect("serialise")),
            ));
            members.extend(extra);
            members
        })
}

fn archive() -> impl Strategy<Value = Archive> {
    (
        prop_oneof![docker_archive(), oci_archive()],
        prop::bool::weighted(0.2),
        any::<bool>(),
        0usize..2,
    )
        .prop_map(|(members, gzip, driver_vfs, rootless)| Archive {
            members,
            gzip,
            driver_vfs,
            rootless,
        })
}

fn push_member(out: &mut Vec<u8>, name: &str, kind: EntryType, link: &str, data: &[u8]) {
    let mut h = Header::new_gnu();
    let n = name.len().min(100);
    h.as_old_mut().name[..n].copy_from_slice(&name.as_bytes()[..n]);
    let l = link.len().min(100);
    h.as_old_mut().linkname[..l].copy_from_slice(&link.as_bytes()[..l]);
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    let rem = out.len() % 512;
    if rem != 0 {
        out.resize(out.len() + 512 - rem, 0);
    }
}

fn archive_bytes(a: &Archive) -> Vec<u8> {
    let mut out = Vec::new();
    for m in &a.members {
        match m {
            Member::File(n, b) => push_member(&mut out, n, EntryType::Regular, "", &b.0),
            Member::Symlink(n, t) => push_member(&mut out, n, EntryType::Symlink, t, b""),
            Member::Hardlink(n, t) => push_member(&mut out, n, EntryType::Link, t, b""),
        }
    }
    out.resize(out.len() + 1024, 0);
    if a.gzip { gzip(&out) } else { out }
}

fn check_archive(a: Archive) {
    let parent = tempfile::tempdir().expect("temp dir");
    let root = parent.path().join("storage");
    let driver = if a.driver_vfs {
        Driver::Vfs
    } else {
        Driver::Overlay
    };
    let modes = rootless_modes();
    let store = Store::open(&root, driver, modes[a.rootless % modes.len()]).expect("store");
    let data = archive_bytes(&a);
    let loaded = store.load(&data[..]);
    let names: BTreeSet<String> = fs::read_dir(parent.path())
        .expect("list parent")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["storage".to_string()]),
        "load created files next to the store"
    );
    assert!(!Path::new("/burrow-fuzz-canary").exists());
    if let Ok(images) = loaded {
        for img in images {
            let img = store
                .lookup(&img.id)
                .expect("a loaded image is in the store");
            store
                .config(&img)
                .expect("a loaded image's config reads back");
            store
                .manifest(&img)
                .expect("a loaded image's manifest reads back");
            store
                .layer_dirs(&img)
                .expect("a loaded image's layers are there");
            let _ = store.history(&img);
        }
    }
}

#[test]
fn image_json() {
    fuzz_harness::short("image_json", 512, doc, check_json);
}

#[test]
#[ignore = "long fuzz run: scripts/fuzz (BURROW_FUZZ_SECONDS)"]
fn image_json_long() {
    fuzz_harness::long("image_json", 512, doc, check_json);
}

#[test]
fn archive_load() {
    fuzz_harness::short("archive_load", 128, archive, check_archive);
}

#[test]
#[ignore = "long fuzz run: scripts/fuzz (BURROW_FUZZ_SECONDS)"]
fn archive_load_long() {
    fuzz_harness::long("archive_load", 128, archive, check_archive);
}
