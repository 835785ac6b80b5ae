//! Fuzz target `conf_files` (run by `fuzz-harness`; `conf_files_long` is `#[ignore]`d and
//! run by scripts/fuzz): containers.conf, storage.conf and registries.conf files of TOML-ish
//! text built from their tables, keys and values, or arbitrary bytes, read by this module's
//! `parse`; a registries.conf that parses is then asked what pulls ask it (short-name
//! candidates, endpoints through `[[registry]]` prefixes and mirrors, insecure hosts), with
//! names taken from the file itself so that its prefixes match. Property: no panic, no hang.

use std::io::Write;

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;

const TOKENS: &[&str] = &[
    // Tables.
    "[containers]\n",
    "[engine]\n",
    "[storage]\n",
    "[storage.options]\n",
    "[[registry]]\n",
    "[[registry.mirror]]\n",
    "[aliases]\n",
    "[registries.search]\n",
    "[",
    "]",
    "[[",
    "]]",
    // Keys.
    "unqualified-search-registries",
    "short-name-mode",
    "prefix",
    "location",
    "insecure",
    "blocked",
    "mirror",
    "default_capabilities",
    "env",
    "default_ulimits",
    "init",
    "seccomp_profile",
    "userns",
    "driver",
    "graphroot",
    "runroot",
    "rootless_storage_path",
    "\"busybox\"",
    "registries",
    "a.b",
    "\"quoted key\"",
    // Values.
    " = ",
    "=",
    "\"docker.io\"",
    "\"quay.io\"",
    "\"localhost:5000\"",
    "\"docker.io/library\"",
    "\"docker.io/library/\"",
    "\"docker.io/library//\"",
    "\"example.com/a\"",
    "\"*.example.com\"",
    "\"example.com/\"",
    "\"\"",
    "\"/\"",
    "\"mirror.local\"",
    "\"mirror.local/\"",
    "\"é.example/ü\"",
    "[\"docker.io\", \"quay.io\"]",
    "[]",
    "[\"CHOWN\"]",
    "true",
    "false",
    "1",
    "-1",
    "1e400",
    "nan",
    "inf",
    "0x10",
    "1979-05-27T07:32:00Z",
    "\"enforcing\"",
    "\"permissive\"",
    "\"disabled\"",
    "\"vfs\"",
    "\"overlay\"",
    "\"/x\"",
    "{ a = 1 }",
    "\"\"\"",
    "'''",
    "'",
    "\"",
    "\\",
    "\"\\u00e9\"",
    "\"\\uD800\"",
    "\"docker.io/library/busybox\"",
    "\"quay.io/x/y:1\"",
    "\"a@sha256:0\"",
    // Comments and layout.
    "#",
    "# comment\n",
    ",",
    " ",
    "\n",
    "\n",
    "\n",
    "\t",
    "\r\n",
];

/// Registry names and paths as registries.conf values, hostile ones included.
const LOCATIONS: &[&str] = &[
    "docker.io",
    "quay.io",
    "localhost:5000",
    "docker.io/library",
    "docker.io/library/",
    "docker.io/library//",
    "docker.io/library/busybox",
    "docker.io/library/busybox/",
    "example.com/a",
    "example.com/",
    "*.example.com",
    "",
    "/",
    "mirror.local",
    "mirror.local/",
    "é.example/ü",
    "a@sha256:0",
    "UPPER.io",
    "x:y:z",
];

/// A registries.conf of the right shape with values from [`LOCATIONS`].
fn registries_conf() -> impl Strategy<Value = Vec<u8>> {
    let loc = || prop::sample::select(LOCATIONS);
    let mirror = (loc(), any::<bool>())
        .prop_map(|(l, i)| format!("[[registry.mirror]]\nlocation = {l:?}\ninsecure = {i}\n"));
    let registry = (
        prop::option::of(loc()),
        prop::option::of(loc()),
        any::<bool>(),
        prop::bool::weighted(0.2),
        vec(mirror, 0..3),
    )
        .prop_map(|(prefix, location, insecure, blocked, mirrors)| {
            let mut t = "[[registry]]\n".to_string();
            if let Some(p) = prefix {
                t += &format!("prefix = {p:?}\n");
            }
            if let Some(l) = location {
                t += &format!("location = {l:?}\n");
            }
            t += &format!("insecure = {insecure}\nblocked = {blocked}\n");
            t + &mirrors.concat()
        });
    (
        vec(loc(), 0..3),
        prop::sample::select(vec!["enforcing", "permissive", "disabled", ""]),
        vec(
            (prop::sample::select(vec!["busybox", "a/b", "x"]), loc()),
            0..3,
        ),
        vec(registry, 0..4),
    )
        .prop_map(|(search, mode, aliases, registries)| {
            let mut t =
                format!("unqualified-search-registries = {search:?}\nshort-name-mode = {mode:?}\n");
            if !aliases.is_empty() {
                t += "[aliases]\n";
                for (k, v) in aliases {
                    t += &format!("{k:?} = {v:?}\n");
                }
            }
            (t + &registries.concat()).into_bytes()
        })
}

/// A file's bytes, shown as text in failure reports.
#[derive(Clone)]
struct Conf(Vec<u8>);

impl std::fmt::Debug for Conf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// The bytes of one file.
fn conf_text() -> impl Strategy<Value = Conf> {
    let token = prop_oneof![
        30 => prop::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        1 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
    ];
    prop_oneof![
        12 => vec(token, 0..80).prop_map(|t| t.concat()),
        6 => registries_conf(),
        1 => any::<String>().prop_map(String::into_bytes),
        1 => vec(any::<u8>(), 0..200),
    ]
    .prop_map(Conf)
}

/// Names to ask a parsed registries.conf about: fixed ones, and its own strings.
fn names(conf: &RegistriesConf) -> Vec<String> {
    let mut out: Vec<String> = [
        "busybox",
        "busybox:1",
        "library/busybox",
        "docker.io/library/busybox:latest",
        "quay.io/x/y@sha256:0123456789012345678901234567890123456789012345678901234567890123",
        "localhost:5000/a",
        "example.com/a/b",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    out.extend(conf.aliases.keys().cloned());
    out.extend(conf.aliases.values().cloned());
    for r in &conf.unqualified_search_registries {
        out.push(format!("{r}/x"));
    }
    for e in &conf.registry {
        for p in [&e.prefix, &e.location].into_iter().flatten() {
            out.push(p.clone());
            out.push(format!("{p}/x"));
            out.push(format!("{}/x", p.trim_end_matches('/')));
        }
    }
    out
}

fn check(text: Conf) {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(&text.0).expect("write temp file");
    let path = Some(file.path().to_path_buf());
    let _ = parse::<ContainersConf>(path.clone());
    if let Ok(s) = parse::<StorageConf>(path.clone()) {
        let _ = s.storage.data_root(true);
        let _ = s.storage.data_root(false);
    }
    if let Ok(conf) = parse::<RegistriesConf>(path) {
        for name in names(&conf) {
            let _ = conf.candidates(&name, false);
            let _ = conf.candidates(&name, true);
            let _ = conf.endpoints(&name, false);
            let host = name.split('/').next().unwrap_or("");
            let _ = conf.is_insecure(host);
        }
    }
}

const CASES: u32 = 256;

#[test]
fn conf_files() {
    fuzz_harness::short("conf_files", CASES, conf_text, check);
}

#[test]
#[ignore = "long fuzz run: scripts/fuzz (BURROW_FUZZ_SECONDS)"]
fn conf_files_long() {
    fuzz_harness::long("conf_files", CASES, conf_text, check);
}
