//! End-to-end tests of pull, push, login and logout against Debian's real docker-registry
//! (plain, and with TLS + htpasswd) and against a fake registry that lies (tests/common/
//! registry.rs), run through the CLI as the unprivileged test user.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/registry.rs"]
mod registry;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use archives::{ImageSpec, LayerBuilder, goarch, sha256_digest};
use common::{BUSYBOX, Env, Output, busybox_tar};
use registry::{FakeRegistry, Fault, Registry, base64};
use serde_json::{Value, json};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const TLS_OFF: &str = "--tls-verify=false";

// ----------------------------------------------------------------------------------------------
// Helpers.

/// `burrow ARGS...` with owned strings.
fn burrow(env: &Env, args: &[&str]) -> Output {
    env.burrow(args)
}

/// `burrow push --tls-verify=false IMAGE DEST`, asserting success.
fn push(env: &Env, image: &str, dest: &str) -> Output {
    burrow(env, &["push", TLS_OFF, image, dest]).ok()
}

/// `burrow pull --tls-verify=false IMAGE`.
fn pull(env: &Env, image: &str) -> Output {
    burrow(env, &["pull", TLS_OFF, image])
}

/// The full ID of `image` as `image inspect` reports it.
fn image_id(env: &Env, image: &str) -> String {
    let out = burrow(env, &["image", "inspect", "--format", "{{.Id}}", image]).ok();
    out.out().to_string()
}

/// The full `images` listing (sorted lines without the CREATED column, which ticks).
fn images_snapshot(env: &Env) -> Vec<String> {
    let out = burrow(
        env,
        &[
            "images",
            "-a",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.Id}}",
        ],
    )
    .ok();
    let mut lines: Vec<String> = out.lines().iter().map(|s| s.to_string()).collect();
    lines.sort();
    lines
}

/// Names of the directories under the store's layers/, as the test user sees them.
fn layer_dirs(env: &Env) -> Vec<String> {
    let out = env
        .sh(r#"ls -1 "$XDG_DATA_HOME/burrow/storage/layers" 2>/dev/null || true"#)
        .ok();
    let mut dirs: Vec<String> = out.lines().iter().map(|s| s.to_string()).collect();
    dirs.sort();
    dirs
}

/// Runs `script` in a fresh container of `image` and returns its stdout.
fn run_sh(env: &Env, image: &str, script: &str) -> String {
    burrow(env, &["run", "--rm", image, "sh", "-c", script])
        .ok()
        .stdout
}

/// Writes `data` into the test's base dir (readable by the test user) and returns its path.
fn write_input(env: &Env, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let path = env.path(name);
    fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod input");
    path
}

/// Writes a registries.conf and points CONTAINERS_REGISTRIES_CONF at it.
fn registries_conf(env: &mut Env, text: &str) {
    let path = write_input(env, "registries.conf", text);
    env.set_env("CONTAINERS_REGISTRIES_CONF", &path.display().to_string());
}

/// A registries.conf entry that lets burrow talk plain HTTP to `host`.
fn insecure(host: &str) -> String {
    format!("[[registry]]\nlocation = \"{host}\"\ninsecure = true\n")
}

/// A path in the test user's HOME (where burrow may write).
fn home_file(env: &Env, name: &str) -> String {
    env.home().join(name).display().to_string()
}

/// Asserts the failure shape every pull/push error must have: exit 125, exactly one line
/// `Error: ...` on stderr, and it is the last line.
#[track_caller]
fn assert_one_line_error(out: &Output) {
    assert_eq!(out.status, 125, "expected exit code 125\n{out:?}");
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("Error:"))
        .collect();
    assert_eq!(errors.len(), 1, "expected one `Error:` line\n{out:?}");
    assert_eq!(
        out.stderr.lines().last(),
        Some(errors[0]),
        "the error must be the last line\n{out:?}"
    );
    assert!(
        errors[0].len() > "Error: ".len() + 10,
        "empty error\n{out:?}"
    );
}

/// The busybox rootfs tarball's bytes.
fn busybox_bytes() -> Vec<u8> {
    fs::read(busybox_tar()).expect("read busybox tar")
}

/// busybox, then a layer adding /data/{keep,gone,dir/x}, then a layer deleting /data/gone and
/// /data/dir with whiteouts and adding /data/new.
fn layered_image() -> ImageSpec {
    let middle = LayerBuilder::new()
        .dir("data", 0o755)
        .file("data/keep", 0o644, b"kept\n")
        .file("data/gone", 0o644, b"deleted above\n")
        .dir("data/dir", 0o755)
        .file("data/dir/x", 0o644, b"x\n")
        .finish();
    let top = LayerBuilder::new()
        .whiteout("data", "gone")
        .whiteout("data", "dir")
        .file("data/new", 0o644, b"new\n")
        .finish();
    let mut spec = ImageSpec::new(vec![busybox_bytes(), middle, top]);
    spec.cmd = vec!["/bin/sh".into()];
    spec
}

/// Loads `spec` as `name` (a docker-archive through `burrow load -i`).
fn load_spec(env: &Env, spec: &ImageSpec, name: &str) {
    let path = write_input(
        env,
        &format!("{}.tar", name.replace(['/', ':'], "_")),
        archives::docker_archive(spec, &[name]),
    );
    env.burrow(&[OsStr::new("load"), OsStr::new("-i"), path.as_os_str()])
        .ok();
}

/// An Env with busybox imported whose image was pushed to `reg` as REPO:TAG.
fn pushed_busybox(reg: &Registry, repo_tag: &str) -> Env {
    let env = Env::new().with_busybox();
    push(&env, BUSYBOX, &reg.image(repo_tag));
    env
}

/// How many layer downloads (GET of a blob listed in the manifest of REPO:TAG's `layers`) `reg`
/// answered so far. The config blob is left out: podman fetches it again on every pull.
fn layer_gets(reg: &Registry, repo: &str, tag: &str) -> usize {
    let (_, manifest) = reg.manifest(repo, tag);
    let digests: Vec<String> = manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().expect("digest").to_string())
        .collect();
    reg.accesses()
        .iter()
        .filter(|a| a.method == "GET" && digests.iter().any(|d| a.path.ends_with(d.as_str())))
        .count()
}

/// An image as a registry serves it: manifest, config and layer blobs.
struct Served {
    manifest: Vec<u8>,
    config: Vec<u8>,
    /// (digest, bytes) of each layer blob, bottom first.
    layers: Vec<(String, Vec<u8>)>,
}

impl Served {
    /// `spec` as an OCI image; gzip-compressed layers when `gzip`; `arch` overrides the
    /// config's architecture; `tamper` may edit the manifest JSON before it is serialized.
    fn new(
        spec: &ImageSpec,
        gzip: bool,
        arch: Option<&str>,
        tamper: impl FnOnce(&mut Value),
    ) -> Served {
        let mut config: Value = serde_json::from_slice(&spec.config(None)).expect("config");
        if let Some(arch) = arch {
            config["architecture"] = json!(arch);
        }
        let config = serde_json::to_vec(&config).expect("config json");
        let layers: Vec<(String, Vec<u8>)> = spec
            .layers
            .iter()
            .map(|l| {
                let blob = if gzip { gzip_bytes(l) } else { l.clone() };
                (sha256_digest(&blob), blob)
            })
            .collect();
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha256_digest(&config), "size": config.len()},
            "layers": layers.iter().map(|(d, b)| json!({
                "mediaType": if gzip { OCI_LAYER_GZIP } else { OCI_LAYER },
                "digest": d,
                "size": b.len(),
            })).collect::<Vec<_>>(),
        });
        tamper(&mut manifest);
        Served {
            manifest: serde_json::to_vec(&manifest).expect("manifest json"),
            config,
            layers,
        }
    }

    fn config_digest(&self) -> String {
        sha256_digest(&self.config)
    }

    fn manifest_digest(&self) -> String {
        sha256_digest(&self.manifest)
    }

    /// The image ID burrow must report (podman's: the config digest's hex).
    fn id(&self) -> String {
        self.config_digest()
            .trim_start_matches("sha256:")
            .to_string()
    }

    /// Adds this image to `fake` as REPO:TAG, the layer at `faulty` served with `fault` and
    /// the config with `config_fault`.
    fn serve(
        &self,
        fake: &mut registry::FakeBuilder,
        repo: &str,
        tag: &str,
        faulty: Option<usize>,
        fault: Fault,
        config_fault: Fault,
    ) {
        fake.manifest(repo, tag, OCI_MANIFEST, &self.manifest);
        fake.blob(&self.config_digest(), &self.config, config_fault);
        for (i, (digest, data)) in self.layers.iter().enumerate() {
            let f = if faulty == Some(i) {
                fault
            } else {
                Fault::None
            };
            fake.blob(digest, data, f);
        }
    }
}

/// `gzip -n` of `data`.
fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .args(["-n", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run gzip");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("gzip output");
    writer.join().expect("gzip writer").expect("write to gzip");
    assert!(out.status.success(), "gzip failed");
    out.stdout
}

/// A one-layer image whose layer is a random blob file of `size` bytes at /blob (for faults
/// that need a layer big enough to be cut in the middle).
fn blob_image(size: usize) -> ImageSpec {
    let data: Vec<u8> = (0..size).map(|i| (i * 7919 % 251) as u8).collect();
    ImageSpec::new(vec![
        LayerBuilder::new().file("blob", 0o644, &data).finish(),
    ])
}

/// Pulls from `fake` (plain HTTP) and asserts the error shape and that the store is unchanged.
#[track_caller]
fn assert_pull_fails_cleanly(env: &Env, image: &str) -> Output {
    let images = images_snapshot(env);
    let layers = layer_dirs(env);
    let out = pull(env, image);
    assert_one_line_error(&out);
    assert_eq!(
        images_snapshot(env),
        images,
        "images changed after a failed pull\n{out:?}"
    );
    assert_eq!(
        layer_dirs(env),
        layers,
        "a layer was left behind by a failed pull\n{out:?}"
    );
    out
}

// ----------------------------------------------------------------------------------------------
// The harness itself.

// The plain registry answers /v2/ and logs each request; the secure one wants credentials over TLS.
#[test]
fn harness_registries_answer() {
    let plain = Registry::start();
    let resp = plain.get("/v2/", None);
    assert_eq!(resp.status, 200);
    assert!(plain.count("GET", "/v2/") >= 1, "{:?}", plain.accesses());
    let secure = Registry::start_secure("alice", "s3cret");
    assert_eq!(
        secure.get("/v2/", None).status,
        200,
        "with the CA and credentials"
    );
    let anonymous = registry::curl(
        &format!("https://{}/v2/", secure.host()),
        Some(&secure.tls().ca),
        None,
        None,
        false,
    );
    assert_eq!(anonymous.status, 401);
    let ca = fs::read_to_string(secure.tls().cert_dir.join("ca.crt")).expect("ca.crt");
    assert!(ca.contains("BEGIN CERTIFICATE"));
}

// The fake registry serves what it was given and lies exactly as asked.
#[test]
fn harness_fake_registry_lies() {
    let served = Served::new(&blob_image(4096), false, None, |_| {});
    let mut b = FakeRegistry::builder();
    served.serve(
        &mut b,
        "hostile/img",
        "latest",
        Some(0),
        Fault::Truncated,
        Fault::WrongBytes,
    );
    let fake = b.start();
    let get = |path: &str| {
        registry::curl(
            &format!("http://{}{path}", fake.host()),
            None,
            None,
            Some(registry::MANIFEST_ACCEPT),
            false,
        )
    };
    let m = get("/v2/hostile/img/manifests/latest");
    assert_eq!(m.status, 200);
    assert_eq!(m.body, served.manifest);
    assert_eq!(
        m.headers.get("docker-content-digest"),
        Some(&served.manifest_digest())
    );
    let (digest, layer) = &served.layers[0];
    let blob = get(&format!("/v2/hostile/img/blobs/{digest}"));
    assert_eq!(blob.body.len(), layer.len() / 2, "truncated");
    let config = get(&format!("/v2/hostile/img/blobs/{}", served.config_digest()));
    assert_eq!(config.body.len(), served.config.len());
    assert_ne!(config.body, served.config, "wrong bytes");
    assert_eq!(get("/v2/hostile/img/manifests/nope").status, 404);
}

// ----------------------------------------------------------------------------------------------
// Push and pull against the real registry.

// busybox pushed by burrow, removed, pulled back: same ID, listed under the registry name, runs.
#[test]
fn push_rmi_pull_run_busybox() {
    let reg = Registry::start();
    let env = Env::new().with_busybox();
    let id = image_id(&env, BUSYBOX);
    let name = reg.image("test/busybox:1");
    push(&env, BUSYBOX, &name);
    assert_eq!(reg.tags("test/busybox"), ["1"]);
    burrow(&env, &["rmi", BUSYBOX]).ok();
    let out = pull(&env, &name).ok();
    assert_eq!(out.out(), id, "pull prints the image ID on stdout\n{out:?}");
    assert!(out.stderr.contains("Writing manifest"), "{out:?}");
    assert!(
        images_snapshot(&env).contains(&format!("{name} {id}")),
        "{:?}",
        images_snapshot(&env)
    );
    assert_eq!(run_sh(&env, &name, "echo pulled"), "pulled\n");
}

// A three-layer image with whiteouts survives push/rmi/pull: the deleted files stay deleted.
#[test]
fn layered_image_with_whiteouts_round_trips() {
    let reg = Registry::start();
    let env = Env::new();
    load_spec(&env, &layered_image(), "localhost/layered:1");
    let name = reg.image("test/layered:1");
    push(&env, "localhost/layered:1", &name);
    burrow(&env, &["rmi", "localhost/layered:1"]).ok();
    assert!(layer_dirs(&env).is_empty(), "rmi left layers behind");
    pull(&env, &name).ok();
    let out = run_sh(
        &env,
        &name,
        "cat /data/keep /data/new; for f in /data/gone /data/dir; do test -e $f && echo $f present; done; true",
    );
    assert_eq!(out, "kept\nnew\n");
    let layers = burrow(
        &env,
        &[
            "image",
            "inspect",
            "--format",
            "{{len .RootFS.Layers}}",
            &name,
        ],
    )
    .ok();
    assert_eq!(layers.out(), "3", "{layers:?}");
}

// `name@sha256:...` pulls exactly the manifest with that digest; an unknown digest fails 125.
#[test]
fn pull_by_digest() {
    let reg = Registry::start();
    let env = pushed_busybox(&reg, "test/busybox:1");
    let id = image_id(&env, BUSYBOX);
    let (digest, _) = reg.manifest("test/busybox", "1");
    burrow(&env, &["rmi", BUSYBOX]).ok();
    let by_digest = format!("{}@{digest}", reg.image("test/busybox"));
    let out = pull(&env, &by_digest).ok();
    assert_eq!(out.out(), id);
    let digests = burrow(&env, &["images", "--digests", "--format", "{{.Digest}}"]).ok();
    assert!(digests.stdout.contains(&digest), "{digests:?}");
    assert_eq!(run_sh(&env, &by_digest, "echo ok"), "ok\n");
    let missing = format!("{}@sha256:{}", reg.image("test/busybox"), "0".repeat(64));
    let out = pull(&env, &missing);
    assert_one_line_error(&out);
}

// A second pull of an image already present downloads no layer and reports the same ID.
#[test]
fn second_pull_downloads_nothing() {
    let reg = Registry::start();
    let env = pushed_busybox(&reg, "test/busybox:1");
    burrow(&env, &["rmi", BUSYBOX]).ok();
    let name = reg.image("test/busybox:1");
    let first = pull(&env, &name).ok();
    let gets = layer_gets(&reg, "test/busybox", "1");
    assert_eq!(
        gets,
        1,
        "the first pull fetched the layer: {:?}",
        reg.accesses()
    );
    let second = pull(&env, &name).ok();
    assert_eq!(second.out(), first.out());
    assert_eq!(
        layer_gets(&reg, "test/busybox", "1"),
        gets,
        "second pull re-downloaded: {:?}",
        reg.accesses()
    );
    assert!(second.stderr.contains("already exists"), "{second:?}");
}

// A pushed layer already in the registry is not uploaded again (the registry sees no new upload).
#[test]
fn second_push_uploads_nothing() {
    let reg = Registry::start();
    let env = pushed_busybox(&reg, "test/busybox:1");
    let uploads = reg.count("POST", "/blobs/uploads/");
    assert!(uploads >= 1, "{:?}", reg.accesses());
    push(&env, BUSYBOX, &reg.image("test/busybox:2"));
    assert_eq!(
        reg.count("POST", "/blobs/uploads/"),
        uploads,
        "{:?}",
        reg.accesses()
    );
    let mut tags = reg.tags("test/busybox");
    tags.sort();
    assert_eq!(tags, ["1", "2"]);
}

// `push --digestfile F` writes the digest the registry stores the manifest under.
#[test]
fn push_digestfile() {
    let reg = Registry::start();
    let env = Env::new().with_busybox();
    let file = home_file(&env, "digest");
    burrow(
        &env,
        &[
            "push",
            TLS_OFF,
            "--digestfile",
            &file,
            BUSYBOX,
            &reg.image("test/busybox:1"),
        ],
    )
    .ok();
    let (digest, _) = reg.manifest("test/busybox", "1");
    let written = fs::read_to_string(&file).expect("digest file");
    assert_eq!(written.trim(), digest);
}

// `push --compression-format zstd` uploads zstd layers, which pull back and run.
#[test]
fn push_zstd_then_pull() {
    let reg = Registry::start();
    let env = Env::new().with_busybox();
    let name = reg.image("test/busybox:zstd");
    burrow(
        &env,
        &[
            "push",
            TLS_OFF,
            "--compression-format",
            "zstd",
            BUSYBOX,
            &name,
        ],
    )
    .ok();
    let (_, manifest) = reg.manifest("test/busybox", "zstd");
    let layer = &manifest["layers"][0];
    assert!(
        layer["mediaType"]
            .as_str()
            .unwrap_or_default()
            .ends_with("+zstd"),
        "{manifest}"
    );
    let blob = reg.blob("test/busybox", layer["digest"].as_str().expect("digest"));
    assert_eq!(&blob[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
    burrow(&env, &["rmi", BUSYBOX]).ok();
    pull(&env, &name).ok();
    assert_eq!(run_sh(&env, &name, "echo zstd"), "zstd\n");
}

// A bad --compression-format is refused before anything is uploaded.
#[test]
fn push_bad_compression_format() {
    let reg = Registry::start();
    let env = Env::new().with_busybox();
    let out = burrow(
        &env,
        &[
            "push",
            TLS_OFF,
            "--compression-format",
            "lz4",
            BUSYBOX,
            &reg.image("x:1"),
        ],
    );
    assert_eq!(out.status, 125, "{out:?}");
    assert!(reg.tags("x").is_empty());
}

// push to oci-archive: and docker-archive: writes archives that `load` reads back.
#[test]
fn push_to_archives_and_load_back() {
    let env = Env::new().with_busybox();
    let id = image_id(&env, BUSYBOX);
    let oci = home_file(&env, "busybox-oci.tar");
    let docker = home_file(&env, "busybox-docker.tar");
    burrow(
        &env,
        &[
            "push",
            BUSYBOX,
            &format!("oci-archive:{oci}:localhost/ocibox:1"),
        ],
    )
    .ok();
    burrow(
        &env,
        &[
            "push",
            BUSYBOX,
            &format!("docker-archive:{docker}:localhost/dockerbox:1"),
        ],
    )
    .ok();
    let listing = env.sh(&format!("tar -tf {oci}; tar -tf {docker}")).ok();
    for member in ["oci-layout", "index.json", "manifest.json"] {
        assert!(
            listing.stdout.lines().any(|l| l == member),
            "{member} missing\n{listing:?}"
        );
    }
    burrow(&env, &["rmi", BUSYBOX]).ok();
    burrow(&env, &["load", "-i", &docker]).ok();
    assert_eq!(image_id(&env, "localhost/dockerbox:1"), id);
    burrow(&env, &["rmi", "-a", "-f"]).ok();
    burrow(&env, &["load", "-i", &oci]).ok();
    assert_eq!(
        burrow(&env, &["images", "-q", "--no-trunc"])
            .ok()
            .out()
            .trim_start_matches("sha256:"),
        id
    );
    assert_eq!(run_sh(&env, &id, "echo loaded"), "loaded\n");
}

// `push IMAGE` with no DEST pushes to the registry named in IMAGE itself.
#[test]
fn push_without_destination_uses_the_image_name() {
    let reg = Registry::start();
    let env = Env::new().with_busybox();
    let name = reg.image("test/self:1");
    burrow(&env, &["tag", BUSYBOX, &name]).ok();
    burrow(&env, &["push", TLS_OFF, &name]).ok();
    assert_eq!(reg.tags("test/self"), ["1"]);
}

// Without --tls-verify=false (or insecure=true) burrow refuses to talk plain HTTP.
#[test]
fn plain_http_needs_tls_verify_false() {
    let reg = Registry::start();
    let env = Env::new().with_busybox();
    let out = burrow(&env, &["push", BUSYBOX, &reg.image("test/busybox:1")]);
    assert_one_line_error(&out);
    assert!(reg.tags("test/busybox").is_empty());
    let out = burrow(&env, &["pull", &reg.image("test/busybox:1")]);
    assert_one_line_error(&out);
}

// ----------------------------------------------------------------------------------------------
// registries.conf: short names, aliases, blocked registries.

// A short name resolves through unqualified-search-registries and is stored fully qualified.
#[test]
fn short_name_via_search_registries() {
    let reg = Registry::start();
    let _pusher = pushed_busybox(&reg, "test/busybox:1");
    let mut env = Env::new();
    let host = reg.host();
    registries_conf(
        &mut env,
        &format!(
            "unqualified-search-registries = [\"{host}\"]\n{}",
            insecure(&host)
        ),
    );
    burrow(&env, &["pull", "test/busybox:1"]).ok();
    let names = burrow(&env, &["images", "--format", "{{.Repository}}:{{.Tag}}"]).ok();
    assert_eq!(names.out(), format!("{host}/test/busybox:1"));
}

// [aliases] maps a short name to a full reference, used before any search registry.
#[test]
fn short_name_alias() {
    let reg = Registry::start();
    let _pusher = pushed_busybox(&reg, "test/busybox:latest");
    let mut env = Env::new();
    let host = reg.host();
    let empty = FakeRegistry::builder().start();
    registries_conf(
        &mut env,
        &format!(
            "unqualified-search-registries = [\"{}\"]\n{}{}\n[aliases]\n\"mybox\" = \"{host}/test/busybox\"\n",
            empty.host(),
            insecure(&host),
            insecure(&empty.host())
        ),
    );
    burrow(&env, &["pull", "mybox"]).ok();
    let names = burrow(&env, &["images", "--format", "{{.Repository}}:{{.Tag}}"]).ok();
    assert_eq!(names.out(), format!("{host}/test/busybox:latest"));
    assert!(
        !empty.requests().iter().any(|r| r.contains("/manifests/")),
        "the search registry was asked despite the alias: {:?}",
        empty.requests()
    );
}

// Several search registries, non-tty: permissive takes the first that has it, enforcing refuses.
#[test]
fn short_name_several_candidates() {
    let reg = Registry::start();
    let _pusher = pushed_busybox(&reg, "test/busybox:1");
    let empty = FakeRegistry::builder().start();
    let conf = |mode: &str| {
        format!(
            "short-name-mode = \"{mode}\"\nunqualified-search-registries = [\"{}\", \"{}\"]\n{}{}",
            empty.host(),
            reg.host(),
            insecure(&empty.host()),
            insecure(&reg.host())
        )
    };
    let mut env = Env::new();
    registries_conf(&mut env, &conf("enforcing"));
    let out = burrow(&env, &["pull", "test/busybox:1"]);
    assert_one_line_error(&out);
    assert!(images_snapshot(&env).is_empty());
    registries_conf(&mut env, &conf("permissive"));
    burrow(&env, &["pull", "test/busybox:1"]).ok();
    let names = burrow(&env, &["images", "--format", "{{.Repository}}"]).ok();
    assert_eq!(names.out(), reg.image("test/busybox"));
}

// A registry marked blocked=true is refused before any request is sent to it.
#[test]
fn blocked_registry_is_refused() {
    let reg = Registry::start();
    let _pusher = pushed_busybox(&reg, "test/busybox:1");
    let mut env = Env::new();
    let host = reg.host();
    registries_conf(
        &mut env,
        &format!("[[registry]]\nlocation = \"{host}\"\ninsecure = true\nblocked = true\n"),
    );
    let before = reg.count("GET", "/manifests/") + reg.count("HEAD", "/manifests/");
    let out = burrow(&env, &["pull", &reg.image("test/busybox:1")]);
    assert_one_line_error(&out);
    assert!(out.stderr.contains("blocked"), "{out:?}");
    assert_eq!(
        reg.count("GET", "/manifests/") + reg.count("HEAD", "/manifests/"),
        before
    );
    assert!(images_snapshot(&env).is_empty());
}

// A [[registry]] prefix rewritten to another location pulls from there, under the asked name.
#[test]
fn registry_location_rewrite() {
    let reg = Registry::start();
    let _pusher = pushed_busybox(&reg, "mirror/busybox:1");
    let mut env = Env::new();
    let host = reg.host();
    registries_conf(
        &mut env,
        &format!(
            "[[registry]]\nprefix = \"example.invalid/lib\"\nlocation = \"{host}/mirror\"\ninsecure = true\n"
        ),
    );
    burrow(&env, &["pull", "example.invalid/lib/busybox:1"]).ok();
    let names = burrow(&env, &["images", "--format", "{{.Repository}}:{{.Tag}}"]).ok();
    assert_eq!(names.out(), "example.invalid/lib/busybox:1");
}

// A [[registry.mirror]] is tried first; the image comes from it when the primary is down.
#[test]
fn registry_mirror_is_used() {
    let reg = Registry::start();
    let _pusher = pushed_busybox(&reg, "test/busybox:1");
    let mut env = Env::new();
    let host = reg.host();
    registries_conf(
        &mut env,
        &format!(
            "[[registry]]\nlocation = \"127.0.0.1:1\"\ninsecure = true\n\
             [[registry.mirror]]\nlocation = \"{host}\"\ninsecure = true\n"
        ),
    );
    burrow(&env, &["pull", "127.0.0.1:1/test/busybox:1"]).ok();
    assert!(reg.blob_gets() >= 2, "{:?}", reg.accesses());
    assert_eq!(
        run_sh(&env, "127.0.0.1:1/test/busybox:1", "echo mirrored"),
        "mirrored\n"
    );
}

// ----------------------------------------------------------------------------------------------
// login / logout and credentials against the TLS + htpasswd registry.

/// The test's auth.json where podman keeps it: $XDG_RUNTIME_DIR/containers/auth.json.
fn default_authfile(env: &Env) -> PathBuf {
    env.runtime_dir().join("containers/auth.json")
}

/// The `auth` value stored for `host` in the auth file at `path`, if any.
fn stored_auth(path: &Path, host: &str) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let json: Value = serde_json::from_str(&text).expect("auth file is JSON");
    json["auths"][host]["auth"].as_str().map(String::from)
}

// login with the CA in --cert-dir stores base64(user:pass) in auth.json; pushes then work; logout removes it.
#[test]
fn login_cert_dir_push_logout() {
    let reg = Registry::start_secure("alice", "s3cret");
    let env = Env::new().with_busybox();
    let certs = reg.tls().cert_dir.display().to_string();
    let host = reg.host();
    let out = burrow(
        &env,
        &[
            "login",
            "-u",
            "alice",
            "-p",
            "s3cret",
            "--cert-dir",
            &certs,
            &host,
        ],
    )
    .ok();
    assert!(out.stdout.contains("Login Succeeded!"), "{out:?}");
    assert_eq!(
        stored_auth(&default_authfile(&env), &host),
        Some(base64("alice:s3cret"))
    );
    let get_login = burrow(&env, &["login", "--get-login", &host]).ok();
    assert_eq!(get_login.out(), "alice");
    burrow(
        &env,
        &[
            "push",
            "--cert-dir",
            &certs,
            BUSYBOX,
            &reg.image("test/busybox:1"),
        ],
    )
    .ok();
    assert_eq!(reg.tags("test/busybox"), ["1"]);
    burrow(&env, &["logout", &host]).ok();
    assert_eq!(stored_auth(&default_authfile(&env), &host), None);
    let out = burrow(
        &env,
        &[
            "push",
            "--cert-dir",
            &certs,
            BUSYBOX,
            &reg.image("test/busybox:2"),
        ],
    );
    assert_one_line_error(&out);
    assert_eq!(reg.tags("test/busybox"), ["1"]);
}

// A wrong password fails with 125 and stores nothing.
#[test]
fn login_wrong_password() {
    let reg = Registry::start_secure("alice", "s3cret");
    let env = Env::new();
    let certs = reg.tls().cert_dir.display().to_string();
    let out = burrow(
        &env,
        &[
            "login",
            "-u",
            "alice",
            "-p",
            "wrong",
            "--cert-dir",
            &certs,
            &reg.host(),
        ],
    );
    assert_one_line_error(&out);
    assert_eq!(stored_auth(&default_authfile(&env), &reg.host()), None);
}

// Without the CA the certificate is refused; --tls-verify=false accepts it.
#[test]
fn login_needs_ca_or_tls_verify_false() {
    let reg = Registry::start_secure("alice", "s3cret");
    let env = Env::new();
    let out = burrow(&env, &["login", "-u", "alice", "-p", "s3cret", &reg.host()]);
    assert_one_line_error(&out);
    let out = burrow(
        &env,
        &["login", TLS_OFF, "-u", "alice", "-p", "s3cret", &reg.host()],
    )
    .ok();
    assert!(out.stdout.contains("Login Succeeded!"), "{out:?}");
}

// --password-stdin reads the password from stdin.
#[test]
fn login_password_stdin() {
    let reg = Registry::start_secure("alice", "s3cret");
    let env = Env::new();
    let certs = reg.tls().cert_dir.display().to_string();
    let out = env
        .burrow_stdin(
            &[
                "login",
                "-u",
                "alice",
                "--password-stdin",
                "--cert-dir",
                &certs,
                &reg.host(),
            ],
            "s3cret\n",
        )
        .ok();
    assert!(out.stdout.contains("Login Succeeded!"), "{out:?}");
}

// --creds works without login; --authfile and REGISTRY_AUTH_FILE pick another auth file.
#[test]
fn creds_and_authfile() {
    let reg = Registry::start_secure("alice", "s3cret");
    let mut env = Env::new().with_busybox();
    let certs = reg.tls().cert_dir.display().to_string();
    let name = reg.image("test/busybox:1");
    let out = burrow(&env, &["push", "--cert-dir", &certs, BUSYBOX, &name]);
    assert_one_line_error(&out);
    burrow(
        &env,
        &[
            "push",
            "--cert-dir",
            &certs,
            "--creds",
            "alice:s3cret",
            BUSYBOX,
            &name,
        ],
    )
    .ok();
    burrow(&env, &["rmi", BUSYBOX]).ok();

    let authfile = home_file(&env, "my-auth.json");
    burrow(
        &env,
        &[
            "login",
            "--authfile",
            &authfile,
            "-u",
            "alice",
            "-p",
            "s3cret",
            "--cert-dir",
            &certs,
            &reg.host(),
        ],
    )
    .ok();
    assert_eq!(
        stored_auth(Path::new(&authfile), &reg.host()),
        Some(base64("alice:s3cret"))
    );
    assert!(
        !default_authfile(&env).exists(),
        "--authfile must not touch the default file"
    );
    let out = burrow(&env, &["pull", "--cert-dir", &certs, &name]);
    assert_one_line_error(&out);
    burrow(
        &env,
        &["pull", "--cert-dir", &certs, "--authfile", &authfile, &name],
    )
    .ok();
    burrow(&env, &["rmi", &name]).ok();
    env.set_env("REGISTRY_AUTH_FILE", &authfile);
    burrow(&env, &["pull", "--cert-dir", &certs, &name]).ok();
    burrow(&env, &["logout", "--authfile", &authfile, "-a"]).ok();
    assert_eq!(stored_auth(Path::new(&authfile), &reg.host()), None);
}

// Credentials in ~/.docker/config.json are used when auth.json has none.
#[test]
fn docker_config_json_is_read() {
    let reg = Registry::start_secure("alice", "s3cret");
    let env = Env::new().with_busybox();
    let certs = reg.tls().cert_dir.display().to_string();
    let config = json!({"auths": {reg.host(): {"auth": base64("alice:s3cret")}}});
    let dir = env.home().join(".docker");
    env.sh(&format!("mkdir -p {}", dir.display())).ok();
    env.output_stdin(
        env.command(
            "sh",
            &["-c", &format!("cat > {}/config.json", dir.display())],
        ),
        config.to_string(),
    )
    .ok();
    burrow(
        &env,
        &[
            "push",
            "--cert-dir",
            &certs,
            BUSYBOX,
            &reg.image("test/busybox:1"),
        ],
    )
    .ok();
    assert_eq!(reg.tags("test/busybox"), ["1"]);
}

// Bearer token auth: the token is fetched from the realm with the credentials, then used.
#[test]
fn bearer_token_auth() {
    let served = Served::new(&ImageSpec::new(vec![busybox_bytes()]), true, None, |_| {});
    let mut b = FakeRegistry::builder();
    served.serve(
        &mut b,
        "private/busybox",
        "1",
        None,
        Fault::None,
        Fault::None,
    );
    b.token_auth("bob", "hunter2");
    let fake = b.start();
    let env = Env::new();
    let name = fake.image("private/busybox:1");
    let out = pull(&env, &name);
    assert_one_line_error(&out);
    let out = burrow(&env, &["pull", TLS_OFF, "--creds", "bob:hunter2", &name]).ok();
    assert_eq!(out.out(), served.id());
    assert!(
        fake.requests().iter().any(|r| r.starts_with("GET /token")),
        "{:?}",
        fake.requests()
    );
    assert_eq!(run_sh(&env, &name, "echo token"), "token\n");
}

// ----------------------------------------------------------------------------------------------
// Manifest lists and platforms (served by the fake registry).

// An index with amd64 and arm64 images: the host's is chosen; --arch/--platform pick the other.
#[test]
fn platform_selection_from_index() {
    let host_arch = goarch();
    let other = if host_arch == "arm64" {
        "amd64"
    } else {
        "arm64"
    };
    let native = Served::new(&ImageSpec::new(vec![busybox_bytes()]), true, None, |_| {});
    let marker = LayerBuilder::new()
        .file("arch", 0o644, other.as_bytes())
        .finish();
    let foreign = Served::new(&ImageSpec::new(vec![marker]), false, Some(other), |_| {});
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": foreign.manifest_digest(), "size": foreign.manifest.len(),
             "platform": {"os": "linux", "architecture": other}},
            {"mediaType": OCI_MANIFEST, "digest": native.manifest_digest(), "size": native.manifest.len(),
             "platform": {"os": "linux", "architecture": host_arch}},
        ],
    }))
    .expect("index json");
    let mut b = FakeRegistry::builder();
    native.serve(
        &mut b,
        "multi/img",
        "native-only",
        None,
        Fault::None,
        Fault::None,
    );
    foreign.serve(
        &mut b,
        "multi/img",
        "foreign-only",
        None,
        Fault::None,
        Fault::None,
    );
    b.manifest("multi/img", "1", OCI_INDEX, &index);
    let fake = b.start();
    let env = Env::new();
    let name = fake.image("multi/img:1");
    assert_eq!(pull(&env, &name).ok().out(), native.id());
    let out = burrow(&env, &["pull", TLS_OFF, "--arch", other, &name]).ok();
    assert_eq!(out.out(), foreign.id());
    let arch = burrow(
        &env,
        &["image", "inspect", "--format", "{{.Architecture}}", &name],
    )
    .ok();
    assert_eq!(arch.out(), other);
    burrow(&env, &["rmi", "-a", "-f"]).ok();
    let out = burrow(
        &env,
        &[
            "pull",
            TLS_OFF,
            "--platform",
            &format!("linux/{other}"),
            &name,
        ],
    )
    .ok();
    assert_eq!(out.out(), foreign.id());
    let out = burrow(&env, &["pull", TLS_OFF, "--os", "windows", &name]);
    assert_one_line_error(&out);
}

// ----------------------------------------------------------------------------------------------
// run/create --pull.

// --pull never refuses an absent image; missing pulls once; always asks the registry again.
#[test]
fn run_pull_policies() {
    let reg = Registry::start();
    let _pusher = pushed_busybox(&reg, "test/busybox:1");
    let mut env = Env::new();
    registries_conf(&mut env, &insecure(&reg.host()));
    let name = reg.image("test/busybox:1");
    let run = |policy: &str| {
        burrow(
            &env,
            &["run", "--rm", "--pull", policy, &name, "echo", "hi"],
        )
    };
    let manifests = || reg.count("GET", "/manifests/") + reg.count("HEAD", "/manifests/");

    let out = run("never");
    assert_eq!(out.status, 125, "{out:?}");
    assert_eq!(manifests(), 0, "--pull never asked the registry");
    assert_eq!(run("missing").ok().stdout, "hi\n");
    let after_first = reg.accesses().len();
    assert_eq!(run("missing").ok().stdout, "hi\n");
    assert_eq!(
        reg.accesses().len(),
        after_first,
        "--pull missing re-checked a present image"
    );
    assert_eq!(run("never").ok().stdout, "hi\n");
    // Before `manifests()`: layer_gets reads the manifest itself.
    let blobs = layer_gets(&reg, "test/busybox", "1");
    let before = manifests();
    assert_eq!(run("always").ok().stdout, "hi\n");
    assert!(
        manifests() > before,
        "--pull always did not ask the registry"
    );
    assert_eq!(
        layer_gets(&reg, "test/busybox", "1"),
        blobs,
        "--pull always re-downloaded unchanged layers"
    );
    let after = manifests();
    assert_eq!(run("newer").ok().stdout, "hi\n");
    assert!(manifests() > after, "--pull newer did not ask the registry");
    let out = burrow(&env, &["create", "--pull", "bogus", &name]);
    assert_eq!(out.status, 125, "{out:?}");
}

// create --pull always picks up a tag that moved in the registry; --pull missing keeps the old one.
#[test]
fn pull_always_sees_a_moved_tag() {
    let reg = Registry::start();
    let pusher = pushed_busybox(&reg, "test/app:1");
    let mut env = Env::new();
    registries_conf(&mut env, &insecure(&reg.host()));
    let name = reg.image("test/app:1");
    burrow(&env, &["pull", &name]).ok();
    let old = image_id(&env, &name);
    load_spec(&pusher, &layered_image(), "localhost/layered:1");
    push(&pusher, "localhost/layered:1", &name);
    burrow(&env, &["create", "--pull", "missing", &name, "true"]).ok();
    assert_eq!(image_id(&env, &name), old);
    burrow(&env, &["create", "--pull", "always", &name, "true"]).ok();
    assert_ne!(image_id(&env, &name), old);
    assert_eq!(run_sh(&env, &name, "cat /data/new"), "new\n");
}

// ----------------------------------------------------------------------------------------------
// Concurrency and interruption.

// Two pulls of the same image at once both succeed, with the same ID, and store it once.
#[test]
fn concurrent_pulls_store_once() {
    let reg = Registry::start();
    let pusher = Env::new();
    load_spec(&pusher, &layered_image(), "localhost/layered:1");
    let name = reg.image("test/layered:1");
    push(&pusher, "localhost/layered:1", &name);
    let env = Env::new();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| pull(&env, &name));
        let b = s.spawn(|| pull(&env, &name));
        (a.join().expect("thread a"), b.join().expect("thread b"))
    });
    let (a, b) = (a.ok(), b.ok());
    assert_eq!(a.out(), b.out());
    assert_eq!(
        images_snapshot(&env).len(),
        1,
        "{:?}",
        images_snapshot(&env)
    );
    assert_eq!(layer_dirs(&env).len(), 3, "{:?}", layer_dirs(&env));
    assert_eq!(run_sh(&env, &name, "cat /data/keep"), "kept\n");
}

/// Starts `burrow ARGS` in its own process group (so a SIGKILL reaches all it forked).
fn spawn_burrow(env: &Env, args: &[&str]) -> std::process::Child {
    let mut cmd = env.burrow_cmd(args);
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    cmd.spawn().expect("spawn burrow")
}

fn kill_group(child: &mut std::process::Child) {
    // SAFETY: kill has no memory-safety preconditions; -pid names the group spawn_burrow made.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.wait();
}

// SIGKILL while a layer is half downloaded leaves no image and no layer; the next pull works.
#[test]
fn pull_killed_mid_blob_leaves_nothing() {
    let served = Served::new(&blob_image(4 << 20), true, None, |_| {});
    let mut b = FakeRegistry::builder();
    served.serve(
        &mut b,
        "slow/img",
        "1",
        Some(0),
        Fault::StallOnce,
        Fault::None,
    );
    let fake = b.start();
    let env = Env::new();
    let name = fake.image("slow/img:1");
    let mut child = spawn_burrow(&env, &["pull", TLS_OFF, &name]);
    assert!(
        fake.wait_stalled(Duration::from_secs(60)),
        "the pull never reached the layer: {:?}",
        fake.requests()
    );
    std::thread::sleep(Duration::from_millis(300));
    kill_group(&mut child);
    env.kill_leftovers();
    assert!(
        images_snapshot(&env).is_empty(),
        "{:?}",
        images_snapshot(&env)
    );
    assert!(layer_dirs(&env).is_empty(), "{:?}", layer_dirs(&env));
    assert_eq!(pull(&env, &name).ok().out(), served.id());
    assert_eq!(images_snapshot(&env).len(), 1);
}

// SIGKILL at a series of moments during a real pull: each time the store shows all or nothing.
#[test]
fn pull_killed_at_any_moment_is_all_or_nothing() {
    let reg = Registry::start();
    let pusher = Env::new();
    load_spec(&pusher, &layered_image(), "localhost/layered:1");
    let name = reg.image("test/layered:1");
    push(&pusher, "localhost/layered:1", &name);
    let env = Env::new();
    let start = Instant::now();
    pull(&env, &name).ok();
    let full = start.elapsed();
    burrow(&env, &["rmi", "-a", "-f"]).ok();
    for step in 1..=6u32 {
        let mut child = spawn_burrow(&env, &["pull", TLS_OFF, &name]);
        std::thread::sleep(full * step / 7);
        kill_group(&mut child);
        env.kill_leftovers();
        let images = images_snapshot(&env);
        assert!(images.len() <= 1, "{images:?}");
        if images.len() == 1 {
            assert_eq!(
                run_sh(&env, &name, "cat /data/keep"),
                "kept\n",
                "kill at step {step}"
            );
            burrow(&env, &["rmi", "-a", "-f"]).ok();
        }
    }
    pull(&env, &name).ok();
    assert_eq!(run_sh(&env, &name, "cat /data/new"), "new\n");
}

// ----------------------------------------------------------------------------------------------
// A registry that lies: exit 125, one error line, the store unchanged.

/// A fake registry serving `blob_image` as hostile/img:1 with the given faults.
fn hostile(
    faulty_layer: Fault,
    config: Fault,
    tamper: impl FnOnce(&mut Value),
) -> (FakeRegistry, Served) {
    let served = Served::new(&blob_image(1 << 20), true, None, tamper);
    let mut b = FakeRegistry::builder();
    served.serve(&mut b, "hostile/img", "1", Some(0), faulty_layer, config);
    (b.start(), served)
}

// A layer whose bytes do not match its digest is refused.
#[test]
fn fault_layer_wrong_digest() {
    let (fake, _) = hostile(Fault::WrongBytes, Fault::None, |_| {});
    let env = Env::new().with_busybox();
    let out = assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
    assert!(out.stderr.contains("digest"), "{out:?}");
}

// A config blob whose bytes do not match its digest is refused.
#[test]
fn fault_config_wrong_digest() {
    let (fake, _) = hostile(Fault::None, Fault::WrongBytes, |_| {});
    let env = Env::new().with_busybox();
    assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
}

// A truncated layer (honest short Content-Length) is refused.
#[test]
fn fault_truncated_layer() {
    let (fake, _) = hostile(Fault::Truncated, Fault::None, |_| {});
    let env = Env::new().with_busybox();
    assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
}

// A connection closed in the middle of a layer is an error, not a hang or a short layer.
#[test]
fn fault_connection_closed_mid_blob() {
    let (fake, _) = hostile(Fault::CloseMidway, Fault::None, |_| {});
    let env = Env::new().with_busybox();
    assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
}

// A manifest claiming a layer is larger than it is is refused.
#[test]
fn fault_manifest_size_too_large() {
    let (fake, _) = hostile(Fault::None, Fault::None, |m| {
        let size = m["layers"][0]["size"].as_u64().expect("size");
        m["layers"][0]["size"] = json!(size + 1000);
    });
    let env = Env::new().with_busybox();
    assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
}

// A manifest claiming a layer is smaller than it is is refused (no reading past the size).
#[test]
fn fault_manifest_size_too_small() {
    let (fake, _) = hostile(Fault::None, Fault::None, |m| {
        let size = m["layers"][0]["size"].as_u64().expect("size");
        m["layers"][0]["size"] = json!(size / 2);
    });
    let env = Env::new().with_busybox();
    assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
}

// A config whose diff_ids do not match the unpacked layers is refused.
#[test]
fn fault_diff_id_mismatch() {
    let spec = blob_image(4096);
    let config = spec.config(Some(vec![format!("sha256:{}", "a".repeat(64))]));
    let layer = gzip_bytes(&spec.layers[0]);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256_digest(&config), "size": config.len()},
        "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": sha256_digest(&layer), "size": layer.len()}],
    }))
    .expect("manifest");
    let mut b = FakeRegistry::builder();
    b.manifest("hostile/img", "1", OCI_MANIFEST, &manifest)
        .blob(&sha256_digest(&config), &config, Fault::None)
        .blob(&sha256_digest(&layer), &layer, Fault::None);
    let fake = b.start();
    let env = Env::new().with_busybox();
    assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
}

// Pull by digest when the registry answers with a different manifest is refused.
#[test]
fn fault_manifest_digest_mismatch() {
    let served = Served::new(&blob_image(4096), true, None, |_| {});
    let mut b = FakeRegistry::builder();
    served.serve(&mut b, "hostile/img", "1", None, Fault::None, Fault::None);
    let claimed = format!("sha256:{}", "b".repeat(64));
    b.manifest_at("hostile/img", &claimed, OCI_MANIFEST, &served.manifest);
    let fake = b.start();
    let env = Env::new().with_busybox();
    let out = assert_pull_fails_cleanly(&env, &format!("{}@{claimed}", fake.image("hostile/img")));
    assert!(out.stderr.contains("digest"), "{out:?}");
}

// A manifest that is not JSON is refused.
#[test]
fn fault_garbage_manifest() {
    let mut b = FakeRegistry::builder();
    b.manifest(
        "hostile/img",
        "1",
        OCI_MANIFEST,
        b"<html>not a manifest</html>",
    );
    let fake = b.start();
    let env = Env::new().with_busybox();
    assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
}

// An unknown tag and a registry nobody listens on are plain errors naming the image.
#[test]
fn fault_unknown_tag_and_refused_connection() {
    let fake = FakeRegistry::builder().start();
    let env = Env::new().with_busybox();
    let out = assert_pull_fails_cleanly(&env, &fake.image("nothing/here:1"));
    assert!(out.stderr.contains("nothing/here"), "{out:?}");
    assert_pull_fails_cleanly(&env, "127.0.0.1:1/nothing/here:1");
}

// A failed pull followed by an honest registry: the retry works.
#[test]
fn fault_then_retry_succeeds() {
    let (fake, served) = hostile(Fault::CloseMidway, Fault::None, |_| {});
    let env = Env::new();
    assert_pull_fails_cleanly(&env, &fake.image("hostile/img:1"));
    drop(fake);
    let mut b = FakeRegistry::builder();
    served.serve(&mut b, "hostile/img", "1", None, Fault::None, Fault::None);
    let honest = b.start();
    assert_eq!(
        pull(&env, &honest.image("hostile/img:1")).ok().out(),
        served.id()
    );
}

// -q prints only the image ID.
#[test]
fn pull_quiet_prints_only_the_id() {
    let reg = Registry::start();
    let env = pushed_busybox(&reg, "test/busybox:1");
    let id = image_id(&env, BUSYBOX);
    burrow(&env, &["rmi", BUSYBOX]).ok();
    let out = burrow(&env, &["pull", "-q", TLS_OFF, &reg.image("test/busybox:1")]).ok();
    assert_eq!(out.stdout, format!("{id}\n"));
    assert_eq!(out.stderr, "", "{out:?}");
}

// Pins: `search` of a plain registry (no /v1/search) lists its catalog filtered by the term,
// `--list-tags` lists a repository's tags, `--format` and `image search` work, and a bare
// term with no unqualified-search-registries is refused with 125 naming the fix.
#[test]
fn search_lists_catalog_and_tags() {
    let env = Env::new().with_busybox();
    let reg = Registry::start();
    push(&env, BUSYBOX, &reg.image("team/busybox:1"));
    push(&env, BUSYBOX, &reg.image("team/busybox:2"));
    push(&env, BUSYBOX, &reg.image("other/app:1"));
    let host = reg.host();
    let out = burrow(&env, &["search", TLS_OFF, &format!("{host}/busy")]).ok();
    assert_eq!(out.lines().len(), 2, "{out:?}");
    assert!(out.lines()[0].starts_with("NAME") && out.lines()[0].contains("DESCRIPTION"));
    assert_eq!(out.lines()[1].trim_end(), format!("{host}/team/busybox"));
    let all = burrow(
        &env,
        &[
            "image",
            "search",
            TLS_OFF,
            "--format",
            "{{.Name}}",
            &format!("{host}/"),
        ],
    )
    .ok();
    let mut names = all.lines();
    names.sort();
    assert_eq!(
        names,
        [format!("{host}/other/app"), format!("{host}/team/busybox")]
    );
    let tags = burrow(
        &env,
        &[
            "search",
            TLS_OFF,
            "--list-tags",
            &format!("{host}/team/busybox"),
        ],
    )
    .ok();
    let rows: Vec<Vec<&str>> = tags
        .lines()
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["NAME", "TAG"], "{tags:?}");
    let mut tag_names: Vec<&str> = rows[1..].iter().map(|r| r[1]).collect();
    tag_names.sort();
    assert_eq!(tag_names, ["1", "2"], "{tags:?}");
    burrow(&env, &["search", "busybox"])
        .code(125)
        .stderr_has("no unqualified-search-registries");
    burrow(&env, &["search", "--list-tags", "busybox"])
        .code(125)
        .stderr_has("--list-tags needs a fully-qualified repository name");
}

// Pins: on a terminal, pull draws a bar per blob that ends as `Copying blob ID done   | SIZE`;
// without one, plain lines (no bar characters); -q prints only the image ID.
#[test]
fn pull_progress_bars_on_a_terminal_only() {
    let env = Env::new().with_busybox();
    let reg = Registry::start();
    let image = reg.image("prog/busybox:1");
    push(&env, BUSYBOX, &image);
    // A store without busybox's layer, so that the pull downloads it.
    let env = Env::new();
    // A terminal indicatif draws on (the harness sets TERM=dumb, where it draws nothing).
    let script = format!(
        "TERM=xterm {} pull {TLS_OFF} {image}",
        common::burrow_bin().display()
    );
    let tty = env
        .output(env.command("script", &["-qec", &script, "/dev/null"]))
        .ok();
    let text = tty.stdout.replace('\r', "\n");
    assert!(text.contains("Getting image source signatures"), "{tty:?}");
    assert!(
        text.lines()
            .any(|l| l.contains("Copying blob ") && l.contains(" done   | ")),
        "{tty:?}"
    );
    burrow(&env, &["rmi", &image]).ok();
    let plain = pull(&env, &image).ok();
    assert!(
        plain
            .stderr
            .lines()
            .any(|l| l.starts_with("Copying blob ") && l.ends_with(" done")),
        "{plain:?}"
    );
    assert!(!plain.stderr.contains("[="), "{plain:?}");
    burrow(&env, &["rmi", &image]).ok();
    let quiet = burrow(&env, &["pull", "-q", TLS_OFF, &image]).ok();
    assert!(quiet.stderr.is_empty(), "{quiet:?}");
    assert_eq!(quiet.lines().len(), 1, "{quiet:?}");
}

// Pins: registries.conf.d drop-ins (the user's) add short-name aliases on top of the main
// file, as podman reads them: a pull of the alias fetches what it names.
#[test]
fn registries_conf_drop_in_alias() {
    let env = Env::new().with_busybox();
    let reg = Registry::start();
    let image = reg.image("aliased/busybox:1");
    push(&env, BUSYBOX, &image);
    let dir = env.config_dir().join("containers/registries.conf.d");
    env.sh(&format!("mkdir -p {}", dir.display())).ok();
    let host = reg.host();
    let conf = format!(
        "[aliases]\n\"mybox\" = \"{host}/aliased/busybox\"\n{}",
        insecure(&host)
    );
    env.sh(&format!(
        "printf '%s' '{}' > {}/50-mine.conf",
        conf.replace('\'', "'\\''"),
        dir.display()
    ))
    .ok();
    let out = burrow(&env, &["pull", "mybox:1"]).ok();
    assert!(
        out.stderr
            .contains(&format!("Trying to pull {host}/aliased/busybox:1")),
        "{out:?}"
    );
    burrow(&env, &["image", "exists", &image]).ok();
}
