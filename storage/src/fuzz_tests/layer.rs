//! Fuzz target `layer_extract`: one or two hostile layer tars extracted one after the other
//! into the same destination (a lower layer may plant symlinks an upper one writes through).
//!
//! Layout of a case: `TOP/parent/{layer, sentinel, outside/file}`, the tar-split record (when
//! asked for) in `TOP/record`. After extraction, whatever its result: `parent` holds exactly
//! `layer`, `sentinel` and `outside`, none of which changed (content, mode, owner, times, link
//! count), and no `burrow-fuzz-canary` appeared at `/` or in the working directory. Names and
//! link targets may hold the placeholders `@OUT`, `@SENT` and `@DIR`, replaced at run time by
//! the absolute paths of `parent`, the sentinel and `outside`.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use proptest::collection::vec;
use proptest::prelude::*;
use tar::{EntryType, Header};

use super::Bytes;
use crate::layer::{ExtractOptions, Whiteouts, extract};
use crate::tarsplit::LayerTar;
use crate::testutil::rootless_modes;

const CANARY: &str = "burrow-fuzz-canary";

/// The size a header declares for its data.
#[derive(Clone, Debug)]
enum Size {
    Exact,
    /// More than the data written: the stream goes out of step (or ends early).
    More(u64),
    /// Less than the data written: the rest reads as the next headers.
    Less(u8),
}

/// How names longer than the 100-byte field are stored.
#[derive(Clone, Debug)]
enum Long {
    /// ustar prefix field (split at a `/` when possible), else truncated.
    Ustar,
    /// GNU `L`/`K` entries before the header.
    Gnu,
    /// A pax `x` header with `path`/`linkpath` records.
    Pax,
}

#[derive(Clone, Debug)]
struct Entry {
    name: Bytes,
    kind: u8,
    link: Bytes,
    mode: u32,
    ids: (u64, u64),
    mtime: u64,
    dev: (u32, u32),
    data: Bytes,
    size: Size,
    long: Long,
    pax: Vec<(Bytes, Bytes)>,
    /// (offset, length, real size) of a GNU sparse entry, all small (see the module doc of
    /// `fuzz_tests`).
    sparse: (u16, u16, u16),
    bad_checksum: bool,
}

#[derive(Clone, Debug)]
enum Piece {
    Entry(Box<Entry>),
    /// Raw bytes between entries.
    Garbage(Bytes),
}

#[derive(Clone, Debug)]
enum End {
    /// Two zero blocks, as a tar should end.
    Blocks,
    /// The stream just stops.
    Nothing,
    /// The whole stream cut to this many bytes short.
    Cut(u16),
    /// Bytes after the end blocks (padding is part of the diff ID).
    Trailer(Bytes),
}

#[derive(Clone, Debug)]
struct Layer {
    pieces: Vec<Piece>,
    end: End,
}

#[derive(Clone, Debug)]
struct Input {
    layers: Vec<Layer>,
    delete_whiteouts: bool,
    /// Index into the rootless modes this user can exercise.
    rootless: usize,
    record: bool,
}

fn component() -> impl Strategy<Value = Vec<u8>> {
    let fixed = prop::sample::select(vec![
        "a",
        "b",
        "c",
        "etc",
        "usr",
        "..",
        ".",
        "",
        ".wh.a",
        ".wh.b",
        ".wh..wh..opq",
        ".wh..wh.plnk",
        ".wh.",
        ".wh.@OUT",
        "@OUT",
        "@SENT",
        "@DIR",
        "layer",
        "sentinel",
        "outside",
        CANARY,
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    prop_oneof![
        12 => fixed,
        // NUL-free odd bytes (NUL ends a tar name field; `/` would be a separator).
        2 => vec(any::<u8>().prop_filter("no NUL or /", |b| *b != 0 && *b != b'/'), 1..12),
        1 => (90usize..300).prop_map(|n| vec![b'x'; n]),
    ]
}

fn name() -> impl Strategy<Value = Bytes> {
    (any::<bool>(), vec(component(), 0..5), any::<bool>()).prop_map(|(abs, comps, slash)| {
        let mut out = if abs { b"/".to_vec() } else { Vec::new() };
        out.extend(comps.join(&b'/'));
        if slash {
            out.push(b'/');
        }
        Bytes(out)
    })
}

fn kind() -> impl Strategy<Value = u8> {
    prop_oneof![
        24 => prop::sample::select(b"0000122223455567".to_vec()),
        2 => prop::sample::select(b"\0SxgLKVMD7".to_vec()),
        1 => any::<u8>(),
    ]
}

fn id() -> impl Strategy<Value = u64> {
    // Mostly ids that exist: an unmappable one ends the extraction.
    prop_oneof![
        60 => Just(0u64),
        3 => Just(1000u64),
        1 => Just(65534u64),
        1 => Just(u64::from(u32::MAX)),
        1 => any::<u64>(),
    ]
}

fn pax_record() -> impl Strategy<Value = (Bytes, Bytes)> {
    let key = prop_oneof![
        4 => prop::sample::select(vec![
            "uid",
            "gid",
            "size",
            "path",
            "linkpath",
            "mtime",
            "SCHILY.xattr.user.fuzz",
            "SCHILY.xattr.trusted.overlay.opaque",
            "SCHILY.xattr.user.overlay.opaque",
            "SCHILY.xattr.security.capability",
            "SCHILY.xattr.",
            "GNU.sparse.size",
        ])
        .prop_map(|k| k.as_bytes().to_vec()),
        1 => vec(any::<u8>().prop_filter("no =", |b| *b != b'='), 0..12),
    ];
    let value = prop_oneof![
        3 => prop::sample::select(vec!["0", "1000", "y", "-1", "99999999999999999999999", "", "@OUT/x", "../x"])
            .prop_map(|v| v.as_bytes().to_vec()),
        1 => vec(any::<u8>(), 0..24),
    ];
    (key, value).prop_map(|(k, v)| (Bytes(k), Bytes(v)))
}

fn entry() -> impl Strategy<Value = Entry> {
    // A lie about the size puts the rest of the stream out of step: now and then.
    let size = prop_oneof![
        30 => Just(Size::Exact),
        1 => prop_oneof![1u64..2048, Just(1u64 << 40), Just(u64::MAX >> 2)].prop_map(Size::More),
        1 => any::<u8>().prop_map(Size::Less),
    ];
    let long = prop_oneof![Just(Long::Ustar), Just(Long::Gnu), Just(Long::Pax)];
    let mode = prop_oneof![
        Just(0o755u32),
        Just(0o644),
        Just(0o000),
        Just(0o4755),
        Just(0o1777),
        any::<u32>(),
    ];
    let dev = prop_oneof![
        Just((1u32, 3u32)),
        Just((0, 0)),
        Just((7, 0)),
        (any::<u32>(), any::<u32>()),
    ];
    let data = prop_oneof![4 => vec(any::<u8>(), 0..64), 1 => vec(any::<u8>(), 0..1500)];
    (
        (name(), kind(), name(), mode, (id(), id())),
        (
            prop_oneof![Just(1_600_000_000u64), any::<u64>()],
            dev,
            data,
            size,
            long,
        ),
        (
            prop_oneof![6 => Just(Vec::new()), 1 => vec(pax_record(), 1..3)],
            (any::<u16>(), any::<u16>(), any::<u16>()),
            prop::bool::weighted(0.02),
        ),
    )
        .prop_map(
            |(
                (name, kind, link, mode, ids),
                (mtime, dev, data, size, long),
                (pax, sparse, bad_checksum),
            )| Entry {
                name,
                kind,
                link,
                mode,
                ids,
                mtime,
                dev,
                data: Bytes(data),
                size,
                long,
                pax,
                sparse,
                bad_checksum,
            },
        )
}

fn layer() -> impl Strategy<Value = Layer> {
    let piece = prop_oneof![
        40 => entry().prop_map(|e| Piece::Entry(Box::new(e))),
        1 => vec(any::<u8>(), 0..600).prop_map(|b| Piece::Garbage(Bytes(b))),
    ];
    let end = prop_oneof![
        8 => Just(End::Blocks),
        1 => Just(End::Nothing),
        1 => any::<u16>().prop_map(End::Cut),
        1 => vec(any::<u8>(), 0..700).prop_map(|b| End::Trailer(Bytes(b))),
    ];
    (vec(piece, 0..12), end).prop_map(|(pieces, end)| Layer { pieces, end })
}

fn input() -> impl Strategy<Value = Input> {
    (vec(layer(), 1..3), any::<bool>(), 0usize..2, any::<bool>()).prop_map(
        |(layers, delete_whiteouts, rootless, record)| Input {
            layers,
            delete_whiteouts,
            rootless,
            record,
        },
    )
}

/// The absolute paths the placeholders stand for.
struct Places {
    out: Vec<u8>,
    sentinel: Vec<u8>,
    outside: Vec<u8>,
}

impl Places {
    fn expand(&self, raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(raw.len());
        let mut rest = raw;
        while !rest.is_empty() {
            let hit = [
                (&b"@OUT"[..], &self.out),
                (b"@SENT", &self.sentinel),
                (b"@DIR", &self.outside),
            ]
            .into_iter()
            .find(|(p, _)| rest.starts_with(p));
            match hit {
                Some((p, with)) => {
                    out.extend_from_slice(with);
                    rest = &rest[p.len()..];
                }
                None => {
                    out.push(rest[0]);
                    rest = &rest[1..];
                }
            }
        }
        out
    }
}

/// `val` in octal, NUL-terminated, right-aligned in `field` (what tar readers parse).
fn octal(field: &mut [u8], val: u64) {
    let digits = format!("{val:0width$o}", width = field.len() - 1);
    let digits = &digits.as_bytes()[digits.len() - (field.len() - 1)..];
    field[..digits.len()].copy_from_slice(digits);
    field[digits.len()] = 0;
}

fn pad(out: &mut Vec<u8>) {
    let rem = out.len() % 512;
    if rem != 0 {
        out.resize(out.len() + 512 - rem, 0);
    }
}

/// A pax record: `LEN key=value\n`, LEN counting itself.
fn pax_line(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    let base = key.len() + value.len() + 3;
    let mut len = base + 1;
    while len != base + len.to_string().len() {
        len = base + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// A metadata entry (`L`, `K` or `x`) whose payload applies to the next header.
fn special(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    let mut h = Header::new_gnu();
    let name = if kind == b'x' {
        &b"PaxHeaders/fuzz"[..]
    } else {
        b"././@LongLink"
    };
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_entry_type(EntryType::new(kind));
    h.set_mode(0o644);
    h.set_size(payload.len() as u64);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(payload);
    pad(out);
}

/// Stores `name` in a ustar header: in the name field, or split over prefix and name.
fn ustar_name(h: &mut Header, name: &[u8]) {
    if name.len() > 100 {
        let split = (0..name.len())
            .rev()
            .find(|&i| name[i] == b'/' && i <= 155 && name.len() - i - 1 <= 100);
        if let (Some(i), Some(u)) = (split, h.as_ustar_mut()) {
            u.prefix[..i].copy_from_slice(&name[..i]);
            u.name[..name.len() - i - 1].copy_from_slice(&name[i + 1..]);
            return;
        }
    }
    let n = name.len().min(100);
    h.as_old_mut().name[..n].copy_from_slice(&name[..n]);
}

fn write_entry(out: &mut Vec<u8>, e: &Entry, places: &Places) {
    let name = places.expand(&e.name.0);
    let link = places.expand(&e.link.0);
    let mut pax = Vec::new();
    match e.long {
        Long::Gnu => {
            if name.len() > 100 {
                special(out, b'L', &[&name[..], b"\0"].concat());
            }
            if link.len() > 100 {
                special(out, b'K', &[&link[..], b"\0"].concat());
            }
        }
        Long::Pax => {
            if name.len() > 100 {
                pax_line(&mut pax, b"path", &name);
            }
            if link.len() > 100 {
                pax_line(&mut pax, b"linkpath", &link);
            }
        }
        Long::Ustar => {}
    }
    for (k, v) in &e.pax {
        pax_line(&mut pax, &k.0, &places.expand(&v.0));
    }
    if !pax.is_empty() {
        special(out, b'x', &pax);
    }
    let mut h = match e.long {
        Long::Gnu => Header::new_gnu(),
        _ => Header::new_ustar(),
    };
    ustar_name(&mut h, &name);
    let n = link.len().min(100);
    h.as_old_mut().linkname[..n].copy_from_slice(&link[..n]);
    h.set_entry_type(EntryType::new(e.kind));
    h.set_mode(e.mode);
    h.set_uid(e.ids.0);
    h.set_gid(e.ids.1);
    h.set_mtime(e.mtime);
    // Both formats have the device fields.
    let _ = h.set_device_major(e.dev.0);
    let _ = h.set_device_minor(e.dev.1);
    let len = e.data.0.len() as u64;
    h.set_size(match e.size {
        Size::Exact => len,
        Size::More(n) => len.saturating_add(n),
        Size::Less(n) => len.saturating_sub(u64::from(n)),
    });
    if e.kind == b'S'
        && let Some(g) = h.as_gnu_mut()
    {
        let (offset, length, real) = e.sparse;
        octal(&mut g.sparse[0].offset, u64::from(offset));
        octal(&mut g.sparse[0].numbytes, u64::from(length));
        octal(&mut g.realsize, u64::from(real));
        // Never an extension block: its map would come from our random bytes.
        g.isextended[0] = 0;
    }
    h.set_cksum();
    if e.bad_checksum {
        h.as_old_mut().cksum[0] = b'9';
    }
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(&e.data.0);
    pad(out);
}

fn tar_bytes(layer: &Layer, places: &Places) -> Vec<u8> {
    let mut out = Vec::new();
    for p in &layer.pieces {
        match p {
            Piece::Entry(e) => write_entry(&mut out, e, places),
            Piece::Garbage(b) => out.extend_from_slice(&b.0),
        }
    }
    match &layer.end {
        End::Blocks => out.resize(out.len() + 1024, 0),
        End::Nothing => {}
        End::Cut(n) => {
            out.resize(out.len() + 1024, 0);
            out.truncate(out.len().saturating_sub(usize::from(*n)));
        }
        End::Trailer(b) => {
            out.resize(out.len() + 1024, 0);
            out.extend_from_slice(&b.0);
        }
    }
    out
}

/// What must not change outside the destination: metadata that writes, chmods, chowns,
/// links and time changes would alter.
fn fingerprint(p: &Path) -> String {
    match fs::symlink_metadata(p) {
        // A directory's times and link count change with its entries, checked by listing.
        Ok(m) if m.is_dir() => format!(
            "dir ino={} mode={:o} uid={} gid={}",
            m.ino(),
            m.mode(),
            m.uid(),
            m.gid()
        ),
        Ok(m) => format!(
            "ino={} mode={:o} uid={} gid={} nlink={} size={} mtime={}.{} ctime={}.{}",
            m.ino(),
            m.mode(),
            m.uid(),
            m.gid(),
            m.nlink(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        ),
        Err(e) => format!("missing: {e}"),
    }
}

fn listing(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Removes a tree that extraction may have left with unwritable directories (as non-root).
fn force_remove(top: &Path) {
    fn open_up(p: &Path) {
        let Ok(m) = fs::symlink_metadata(p) else {
            return;
        };
        if m.is_dir() {
            let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o700));
            if let Ok(rd) = fs::read_dir(p) {
                for e in rd.flatten() {
                    open_up(&e.path());
                }
            }
        }
    }
    if fs::remove_dir_all(top).is_err() {
        open_up(top);
        let _ = fs::remove_dir_all(top);
    }
}

/// Removes the case's directories however the check ends (proptest catches panics).
struct Cleanup(std::path::PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        force_remove(&self.0);
    }
}

fn check(input: Input) {
    let top = tempfile::tempdir().expect("temp dir").keep();
    let _cleanup = Cleanup(top.clone());
    let parent = top.join("parent");
    let dest = parent.join("layer");
    let sentinel = parent.join("sentinel");
    let outside = parent.join("outside");
    fs::create_dir_all(&dest).expect("create layer dir");
    fs::create_dir(&outside).expect("create outside dir");
    fs::write(&sentinel, b"sentinel").expect("write sentinel");
    fs::write(outside.join("file"), b"outside").expect("write outside file");
    let watched = [
        parent.clone(),
        sentinel.clone(),
        outside.clone(),
        outside.join("file"),
    ];
    let before: Vec<String> = watched.iter().map(|p| fingerprint(p)).collect();
    let places = Places {
        out: parent.as_os_str().as_encoded_bytes().to_vec(),
        sentinel: sentinel.as_os_str().as_encoded_bytes().to_vec(),
        outside: outside.as_os_str().as_encoded_bytes().to_vec(),
    };
    let modes = rootless_modes();
    let opts = ExtractOptions {
        whiteouts: if input.delete_whiteouts {
            Whiteouts::Delete
        } else {
            Whiteouts::Overlay
        },
        rootless: modes[input.rootless % modes.len()],
    };
    let record = top.join("record");
    for (i, layer) in input.layers.iter().enumerate() {
        let tar = tar_bytes(layer, &places);
        let rec = input.record.then_some(record.as_path());
        let result = extract(&tar[..], &dest, opts, &format!("fuzz{i}"), rec);
        if let (Ok(got), Some(rec)) = (&result, rec) {
            // Rebuilding from the record reads the layer back: it must stay inside too.
            if let Ok(mut rebuilt) = LayerTar::open(rec, &dest, &got.diff_id) {
                let mut sink = Vec::new();
                let _ = rebuilt.read_to_end(&mut sink);
            }
        }
    }
    let after: Vec<String> = watched.iter().map(|p| fingerprint(p)).collect();
    let names = listing(&parent);
    let top_names = listing(&top);
    let canaries = [Path::new("/").join(CANARY), Path::new(CANARY).to_path_buf()];
    let escaped: Vec<_> = canaries.iter().filter(|c| c.exists()).collect();
    let outside_names = listing(&outside);
    let sentinel_data = fs::read(&sentinel).unwrap_or_default();
    for c in &escaped {
        force_remove(c);
    }
    assert_eq!(
        names,
        BTreeSet::from(["layer".into(), "outside".into(), "sentinel".into()]),
        "something was created next to the layer directory"
    );
    assert!(
        top_names.iter().all(|n| n == "parent" || n == "record"),
        "created outside: {top_names:?}"
    );
    assert_eq!(
        outside_names,
        BTreeSet::from(["file".to_string()]),
        "outside/ changed"
    );
    assert_eq!(sentinel_data, b"sentinel", "the sentinel was written");
    for ((p, b), a) in watched.iter().zip(&before).zip(&after) {
        assert_eq!(b, a, "{} changed", p.display());
    }
    assert!(escaped.is_empty(), "escaped to {escaped:?}");
}

const CASES: u32 = 256;

#[test]
fn layer_extract() {
    fuzz_harness::short("layer_extract", CASES, input, check);
}

#[test]
#[ignore = "long fuzz run: scripts/fuzz (BURROW_FUZZ_SECONDS)"]
fn layer_extract_long() {
    fuzz_harness::long("layer_extract", CASES, input, check);
}
