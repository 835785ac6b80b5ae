//! End-to-end tests of the image commands (import, images, load, tag, rmi, image inspect/exists,
//! mount) and of the store behind them (layer sharing, id mapping, hostile archives, atomic
//! failure), run through the CLI as the unprivileged test user.

#[path = "common/archives.rs"]
mod archives;
mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use archives::{ImageSpec, LayerBuilder, sha256_hex};
use common::{BUSYBOX, Env, Output, busybox_tar};
use serde_json::Value;

// ----------------------------------------------------------------------------------------------
// Helpers.

/// Writes `data` into the test's base dir (readable by the test user) and returns its path.
fn write_input(env: &Env, name: &str, data: &[u8]) -> PathBuf {
    let path = env.path(name);
    fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod input");
    path
}

fn burrow_path(env: &Env, args: &[&str], path: &Path) -> Output {
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.push(path.as_os_str());
    env.burrow(&all)
}

/// `burrow load -i PATH`.
fn load_file(env: &Env, path: &Path) -> Output {
    burrow_path(env, &["load", "-i"], path)
}

/// `burrow import PATH NAME`.
fn import_file(env: &Env, path: &Path, name: &str) -> Output {
    env.burrow(&[OsStr::new("import"), path.as_os_str(), OsStr::new(name)])
}

/// The store's layer directory.
fn layers_root(env: &Env) -> PathBuf {
    env.data_dir().join("burrow/storage/layers")
}

/// Names of the directories under storage/layers, as the test user sees them.
fn layer_dirs(env: &Env) -> Vec<String> {
    let out = env
        .sh(r#"ls -1 "$XDG_DATA_HOME/burrow/storage/layers" 2>/dev/null || true"#)
        .ok();
    let mut dirs: Vec<String> = out.lines().iter().map(|s| s.to_string()).collect();
    dirs.sort();
    dirs
}

/// The full `images` listing (sorted lines without the CREATED column, which ticks).
fn images_snapshot(env: &Env) -> Vec<String> {
    let out = env
        .burrow(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.Id}}"])
        .ok();
    let mut lines: Vec<String> = out.lines().iter().map(|s| s.to_string()).collect();
    lines.sort();
    lines
}

/// The busybox rootfs tarball's bytes.
fn busybox_bytes() -> Vec<u8> {
    fs::read(busybox_tar()).expect("read busybox tar")
}

/// The second layer of the test images: deletes /etc/nsswitch.conf with a whiteout and adds
/// /added/hello.txt and /added/<extra>.
fn top_layer(extra: &str) -> Vec<u8> {
    LayerBuilder::new()
        .whiteout("etc", "nsswitch.conf")
        .dir("added", 0o755)
        .file("added/hello.txt", 0o644, b"hello from the top layer\n")
        .file(&format!("added/{extra}"), 0o644, extra.as_bytes())
        .finish()
}

/// busybox + `top_layer(extra)`.
fn two_layer_image(extra: &str) -> ImageSpec {
    ImageSpec::new(vec![busybox_bytes(), top_layer(extra)])
}

/// Runs `script` in a fresh container of `image` and returns its stdout.
fn run_sh(env: &Env, image: &str, script: &str) -> String {
    env.burrow(&["run", "--rm", image, "sh", "-c", script])
        .ok()
        .stdout
}

/// Asserts that `image` has the top layer applied: whiteout took effect, added file present.
#[track_caller]
fn assert_top_layer_applied(env: &Env, image: &str) {
    let out = run_sh(
        env,
        image,
        "cat /added/hello.txt; test -e /etc/nsswitch.conf && echo nsswitch-present || echo nsswitch-gone; test -e /etc/group && echo group-present",
    );
    assert_eq!(
        out, "hello from the top layer\nnsswitch-gone\ngroup-present\n",
        "image {image}"
    );
}

fn image_inspect(env: &Env, name: &str) -> Value {
    let out = env.burrow(&["image", "inspect", name]).ok();
    let v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("image inspect is not JSON: {e}\n{out:?}"));
    v[0].clone()
}

/// The first subordinate uid of the test user (container uid 1 maps to it).
fn subuid_start(env: &Env) -> u32 {
    env.user()
        .subuids
        .first()
        .expect("the test user has a subuid range")
        .0
}

// ----------------------------------------------------------------------------------------------
// import and images.

// Pins: `import` prints sha256:<64 hex> and `images` lists it as localhost/busybox:latest with
// the 12-char id, a CREATED and a SIZE column.
#[test]
fn import_prints_id_and_images_lists_it() {
    let env = Env::new();
    let out = env.import_busybox();
    let id = out
        .out()
        .strip_prefix("sha256:")
        .unwrap_or_else(|| panic!("import must print sha256:<id>\n{out:?}"))
        .to_string();
    assert_eq!(id.len(), 64, "{out:?}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{out:?}");

    let images = env.burrow(&["images"]).ok();
    let lines = images.lines();
    assert_eq!(lines.len(), 2, "{images:?}");
    let header: Vec<&str> = lines[0].split("  ").filter(|s| !s.is_empty()).collect();
    let header: Vec<&str> = header.iter().map(|s| s.trim()).collect();
    assert_eq!(
        header,
        ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
        "{images:?}"
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row[0], "localhost/busybox", "{images:?}");
    assert_eq!(row[1], "latest", "{images:?}");
    assert_eq!(row[2], &id[..12], "{images:?}");
    assert!(
        lines[1].contains("ago") || lines[1].contains("now"),
        "CREATED column: {images:?}"
    );
    let last = row.last().expect("row has columns");
    assert!(
        last.ends_with("B") && row[row.len() - 2].parse::<f64>().is_ok(),
        "SIZE column: {images:?}"
    );
}

// Pins: `images -q`, `--no-trunc`, a Go template and `--format json` show the same image.
#[test]
fn images_quiet_no_trunc_and_formats() {
    let env = Env::new();
    let id = env
        .import_busybox()
        .out()
        .trim_start_matches("sha256:")
        .to_string();

    let quiet = env.burrow(&["images", "-q"]).ok();
    assert_eq!(quiet.stdout, format!("{}\n", &id[..12]));

    let quiet_full = env.burrow(&["images", "-q", "--no-trunc"]).ok();
    assert_eq!(quiet_full.stdout, format!("sha256:{id}\n"));

    let no_trunc = env.burrow(&["images", "--no-trunc"]).ok();
    no_trunc.clone().stdout_has(&format!("sha256:{id}"));

    let tmpl = env
        .burrow(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok();
    assert_eq!(tmpl.stdout, "localhost/busybox:latest\n");

    let json = env.burrow(&["images", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("--format json is not JSON: {e}\n{json:?}"));
    let items = v.as_array().expect("a JSON array");
    assert_eq!(items.len(), 1, "{json:?}");
    assert_eq!(items[0]["Id"], id.as_str(), "{json:?}");
    assert_eq!(
        items[0]["Names"],
        serde_json::json!(["localhost/busybox:latest"]),
        "{json:?}"
    );
}

// Pins: --change CMD/ENV/WORKDIR/USER/LABEL end up in the image config and in what `run` does.
#[test]
fn import_changes_apply_to_config_and_run() {
    let env = Env::new();
    let tar = busybox_tar();
    env.burrow(&[
        OsStr::new("import"),
        OsStr::new("--change"),
        OsStr::new(r#"CMD ["/bin/echo","from-cmd"]"#),
        OsStr::new("--change"),
        OsStr::new("ENV FOO=bar"),
        OsStr::new("--change"),
        OsStr::new("WORKDIR /tmp"),
        OsStr::new("--change"),
        OsStr::new("USER tester"),
        OsStr::new("--change"),
        OsStr::new("LABEL a=b"),
        tar.as_os_str(),
        OsStr::new("changed"),
    ])
    .ok();

    let out = env.burrow(&["run", "--rm", "changed"]).ok();
    assert_eq!(out.stdout, "from-cmd\n");
    let out = run_sh(&env, "changed", "echo $FOO; pwd; id -un; id -u");
    assert_eq!(out, "bar\n/tmp\ntester\n1000\n");

    let img = image_inspect(&env, "changed");
    let cfg = &img["Config"];
    assert_eq!(
        cfg["Cmd"],
        serde_json::json!(["/bin/echo", "from-cmd"]),
        "{img}"
    );
    let env_list = cfg["Env"].as_array().expect("Config.Env is a list");
    assert!(env_list.iter().any(|e| e == "FOO=bar"), "{img}");
    assert_eq!(cfg["Labels"]["a"], "b", "{img}");
    assert_eq!(cfg["WorkingDir"], "/tmp", "{img}");
    assert_eq!(cfg["User"], "tester", "{img}");
    assert_eq!(
        img["RepoTags"],
        serde_json::json!(["localhost/changed:latest"])
    );
}

// Pins: a bad --change line fails with 125, names the line, and imports nothing.
#[test]
fn import_bad_change_fails_naming_the_line() {
    let env = Env::new();
    let tar = busybox_tar();
    env.burrow(&[
        OsStr::new("import"),
        OsStr::new("--change"),
        OsStr::new("ENV FOO=bar"),
        OsStr::new("--change"),
        OsStr::new("FROBNICATE everything"),
        tar.as_os_str(),
        OsStr::new("bad"),
    ])
    .code(125)
    .stderr_has("FROBNICATE everything");
    assert!(images_snapshot(&env).is_empty());
    assert!(layer_dirs(&env).is_empty(), "{:?}", layer_dirs(&env));
    env.burrow(&["image", "exists", "bad"]).code(1);
}

// Pins: `import -` reads the tarball from stdin.
#[test]
fn import_from_stdin() {
    let env = Env::new();
    let out = env
        .burrow_stdin(&["import", "-", "fromstdin"], busybox_bytes())
        .ok();
    assert!(out.out().starts_with("sha256:"), "{out:?}");
    let run = env
        .burrow(&["run", "--rm", "fromstdin", "echo", "stdin-ok"])
        .ok();
    assert_eq!(run.stdout, "stdin-ok\n");
}

// ----------------------------------------------------------------------------------------------
// load.

// Pins: a docker-archive loads under its RepoTags name and its second layer's whiteout and
// added file show in a container.
#[test]
fn load_docker_archive_applies_whiteout_and_added_file() {
    let env = Env::new();
    let archive = archives::docker_archive(&two_layer_image("docker"), &["loaded:v1"]);
    let path = write_input(&env, "docker.tar", &archive);
    let out = load_file(&env, &path).ok();
    out.clone().stdout_has("Loaded image: ");
    out.stdout_has("loaded:v1");
    assert_top_layer_applied(&env, "loaded:v1");
    let extra = run_sh(&env, "loaded:v1", "cat /added/docker");
    assert_eq!(extra, "docker");
    env.burrow(&["image", "exists", "loaded:v1"]).ok();
}

// Pins: an oci-archive (oci-layout, index.json, ref.name annotation) loads under its name
// and its whiteout and added file show in a container.
#[test]
fn load_oci_archive_applies_whiteout_and_added_file() {
    let env = Env::new();
    let archive = archives::oci_archive(&two_layer_image("oci"), Some("localhost/ocitest:v2"));
    let path = write_input(&env, "oci.tar", &archive);
    load_file(&env, &path).ok().stdout_has("ocitest:v2");
    let listing = env
        .burrow(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok();
    assert_eq!(listing.stdout, "localhost/ocitest:v2\n");
    assert_top_layer_applied(&env, "localhost/ocitest:v2");
    assert_eq!(run_sh(&env, "ocitest:v2", "cat /added/oci"), "oci");
}

// Pins: layers are shared: a base layer already in the store (from import or an earlier load)
// is not extracted again; each new top layer adds exactly one layer dir.
#[test]
fn load_shares_layers_between_images() {
    let env = Env::new().with_busybox();
    let base = layer_dirs(&env);
    assert_eq!(base.len(), 1, "import of busybox makes one layer: {base:?}");

    let first = write_input(
        &env,
        "first.tar",
        &archives::docker_archive(&two_layer_image("first"), &["first:latest"]),
    );
    load_file(&env, &first).ok();
    let after_first = layer_dirs(&env);
    assert_eq!(after_first.len(), 2, "{after_first:?}");
    assert!(after_first.contains(&base[0]), "{after_first:?}");

    let second = write_input(
        &env,
        "second.tar",
        &archives::oci_archive(&two_layer_image("second"), Some("second:latest")),
    );
    load_file(&env, &second).ok();
    let after_second = layer_dirs(&env);
    assert_eq!(after_second.len(), 3, "{after_second:?}");

    // The whiteout hides the file only in the loaded image, not in the shared base.
    assert_eq!(
        run_sh(&env, BUSYBOX, "test -e /etc/nsswitch.conf && echo present"),
        "present\n"
    );
    // Loading the same archive again adds nothing.
    load_file(&env, &first).ok();
    assert_eq!(layer_dirs(&env), after_second);
    assert_eq!(run_sh(&env, "first", "cat /added/first"), "first");
    assert_eq!(run_sh(&env, "second", "cat /added/second"), "second");
}

// Pins: `load` without -i reads the archive from stdin.
#[test]
fn load_from_stdin() {
    let env = Env::new();
    let archive = archives::docker_archive(&two_layer_image("stdin"), &["fromstdin:latest"]);
    env.burrow_stdin(&["load"], archive)
        .ok()
        .stdout_has("fromstdin:latest");
    assert_top_layer_applied(&env, "fromstdin");
}

// ----------------------------------------------------------------------------------------------
// Ownership mapping.

// Pins: ids map like podman's: image uid 0 is the user on the host, image uid 1000 is
// subuid start + 999; inside `burrow unshare` and in a container they read back 0 and 1000.
#[test]
fn layer_ownership_maps_like_podman() {
    let env = Env::new();
    let tar = LayerBuilder::new()
        .file_owned("owned-by-1000", 0o644, (1000, 1000), b"x")
        .file("owned-by-root", 0o644, b"y")
        .finish();
    let path = write_input(&env, "owners.tar", &tar);
    import_file(&env, &path, "owners").ok();
    env.import_busybox();

    let layer = layers_root(&env).join(sha256_hex(&tar));
    let bb_layer = layers_root(&env).join(sha256_hex(&busybox_bytes()));
    let mapped_1000 = subuid_start(&env) + 999;
    let cases = [
        (layer.join("owned-by-1000"), mapped_1000, 1000),
        (layer.join("owned-by-root"), env.uid(), 0),
        (bb_layer.join("home/tester"), mapped_1000, 1000),
        (bb_layer.join("bin/busybox"), env.uid(), 0),
    ];
    for (file, host_uid, inner_uid) in &cases {
        let meta = fs::symlink_metadata(file)
            .unwrap_or_else(|e| panic!("stat {} from the host: {e}", file.display()));
        assert_eq!(meta.uid(), *host_uid, "host owner of {}", file.display());
        let out = burrow_path(&env, &["unshare", "stat", "-c", "%u"], file).ok();
        assert_eq!(
            out.out(),
            inner_uid.to_string(),
            "owner of {} inside burrow unshare",
            file.display()
        );
    }
    let out = run_sh(
        &env,
        BUSYBOX,
        "stat -c %u /home/tester; stat -c %u /bin/busybox",
    );
    assert_eq!(out, "1000\n0\n");
}

// ----------------------------------------------------------------------------------------------
// Hostile archives.

/// How a hostile layer reaches the store.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Via {
    /// `load -i` of a docker-archive: busybox + the hostile layer.
    Load,
    /// `import` of the hostile layer as a tarball.
    Import,
}

/// Feeds `layer` to burrow `via` load or import. Whatever happens, /etc/passwd is untouched
/// and none of `outside` exists afterwards. On failure: exit 125 with an `Error:` line, and
/// images and layer dirs as before. Returns true if the archive was accepted.
#[track_caller]
fn feed_hostile(env: &Env, via: Via, layer: Vec<u8>, outside: &[PathBuf]) -> bool {
    let passwd_before = fs::read("/etc/passwd").expect("read /etc/passwd");
    for p in outside {
        assert!(!p.exists(), "{} exists before the test", p.display());
    }
    let images_before = images_snapshot(env);
    let layers_before = layer_dirs(env);
    let out = match via {
        Via::Load => {
            let image = ImageSpec::new(vec![busybox_bytes(), layer]);
            let path = write_input(
                env,
                "hostile.tar",
                &archives::docker_archive(&image, &["hostile:latest"]),
            );
            load_file(env, &path)
        }
        Via::Import => {
            let path = write_input(env, "hostile.tar", &layer);
            import_file(env, &path, "hostile")
        }
    };
    for p in outside {
        assert!(
            fs::symlink_metadata(p).is_err(),
            "{} was written outside the store\n{out:?}",
            p.display()
        );
    }
    assert_eq!(
        fs::read("/etc/passwd").expect("read /etc/passwd"),
        passwd_before,
        "/etc/passwd changed\n{out:?}"
    );
    eprintln!(
        "hostile archive via {via:?}: exit {}: {}",
        out.status,
        out.stderr.trim()
    );
    if out.status == 0 {
        env.burrow(&["image", "exists", "hostile"]).ok();
        return true;
    }
    let out = out.code(125).stderr_has("Error: ");
    assert_eq!(images_snapshot(env), images_before, "{out:?}");
    assert_eq!(layer_dirs(env), layers_before, "{out:?}");
    false
}

/// The store's copy of `rel` (a path inside an image), if some layer dir has it.
fn find_in_layers(env: &Env, rel: &str) -> Option<PathBuf> {
    let rel = rel.trim_start_matches('/');
    fs::read_dir(layers_root(env))
        .ok()?
        .flatten()
        .map(|e| e.path().join(rel))
        .find(|p| fs::symlink_metadata(p).is_ok())
}

/// A marker path that must never be created (inside the test's base dir).
fn marker(env: &Env, name: &str) -> PathBuf {
    env.path(name)
}

/// `../` repeated enough to climb from any layer dir to `/`.
const CLIMB: &str = "../../../../../../../../../../../../../../";

fn dotdot_layer(target: &Path) -> Vec<u8> {
    let name = format!(
        "{CLIMB}{}",
        target.display().to_string().trim_start_matches('/')
    );
    LayerBuilder::new()
        .file("inside", 0o644, b"ok")
        .file(&name, 0o644, b"escaped")
        .file("../escape", 0o644, b"escaped")
        .finish()
}

fn check_dotdot(via: Via) {
    let env = Env::new().with_busybox();
    let target = marker(&env, "escaped-dotdot");
    let layer = dotdot_layer(&target);
    if feed_hostile(&env, via, layer, &[target]) {
        panic!("an entry with `..` must be refused, not accepted");
    }
}

// Pins: a `../` entry in a loaded layer is refused (125) and writes nothing outside.
#[test]
fn hostile_load_dotdot_entry_is_refused() {
    check_dotdot(Via::Load);
}

// Pins: a `../` entry in an imported tarball is refused (125) and writes nothing outside.
#[test]
fn hostile_import_dotdot_entry_is_refused() {
    check_dotdot(Via::Import);
}

fn check_absolute(via: Via) {
    let env = Env::new().with_busybox();
    let target = marker(&env, "escaped-abs");
    let tmp_target = PathBuf::from(format!("/tmp/burrow-abs-{}-{via:?}", std::process::id()));
    let _ = fs::remove_file(&tmp_target);
    let layer = LayerBuilder::new()
        .file(&target.display().to_string(), 0o644, b"abs")
        .file(&tmp_target.display().to_string(), 0o644, b"abs")
        .finish();
    if feed_hostile(&env, via, layer, &[target.clone(), tmp_target.clone()]) {
        for t in [&target, &tmp_target] {
            let inside = find_in_layers(&env, &t.display().to_string())
                .unwrap_or_else(|| panic!("{} is neither refused nor in a layer", t.display()));
            assert_eq!(fs::read(&inside).expect("read contained file"), b"abs");
        }
    }
}

// Pins: absolute entry names in a loaded layer land inside the layer (or are refused).
#[test]
fn hostile_load_absolute_entry_is_contained() {
    check_absolute(Via::Load);
}

// Pins: absolute entry names in an imported tarball land inside the layer (or are refused).
#[test]
fn hostile_import_absolute_entry_is_contained() {
    check_absolute(Via::Import);
}

fn check_symlink(via: Via) {
    let env = Env::new().with_busybox();
    // A directory the test user may write to, so only burrow's checks can keep it empty.
    let outside = env.path("outside");
    fs::create_dir(&outside).expect("mkdir outside");
    fs::set_permissions(&outside, fs::Permissions::from_mode(0o777)).expect("chmod outside");
    let abs_link_target = outside.display().to_string();
    let rel_link_target = format!("{CLIMB}{}", abs_link_target.trim_start_matches('/'));
    let layer = LayerBuilder::new()
        .symlink("abslink", &abs_link_target)
        .file("abslink/pwned-abs", 0o644, b"pwned")
        .symlink("rellink", &rel_link_target)
        .file("rellink/pwned-rel", 0o644, b"pwned")
        .finish();
    let pwned = [outside.join("pwned-abs"), outside.join("pwned-rel")];
    if feed_hostile(&env, via, layer, &pwned) {
        let rel = format!("{}/pwned-abs", abs_link_target);
        let inside = find_in_layers(&env, &rel)
            .unwrap_or_else(|| panic!("pwned-abs is neither refused nor in a layer"));
        assert_eq!(fs::read(inside).expect("read contained file"), b"pwned");
    }
    assert_eq!(fs::read_dir(&outside).expect("read outside").count(), 0);
}

// Pins: a file written through a symlink to outside lands inside the layer (or is refused).
#[test]
fn hostile_load_symlink_escape_is_contained() {
    check_symlink(Via::Load);
}

// Pins: same for import: writing through a symlink never leaves the layer.
#[test]
fn hostile_import_symlink_escape_is_contained() {
    check_symlink(Via::Import);
}

fn check_hardlink(via: Via) {
    let env = Env::new().with_busybox();
    let passwd = fs::metadata("/etc/passwd").expect("stat /etc/passwd");
    let layer = LayerBuilder::new()
        .dir("etc", 0o755)
        .hardlink("etc/linked-passwd", "/etc/passwd")
        .hardlink(
            "etc/linked-passwd2",
            "../../../../../../../../../etc/passwd",
        )
        .file("etc/linked-passwd", 0o644, b"root::0:0::/:/bin/sh\n")
        .finish();
    if feed_hostile(&env, via, layer, &[]) {
        // Accepted: the links point at a file inside the image, never at the host's.
        for dir in fs::read_dir(layers_root(&env)).expect("layers").flatten() {
            let p = dir.path().join("etc/linked-passwd");
            if let Ok(m) = fs::symlink_metadata(&p) {
                assert!(
                    (m.dev(), m.ino()) != (passwd.dev(), passwd.ino()),
                    "{} is the host's /etc/passwd",
                    p.display()
                );
            }
        }
    }
    let after = fs::metadata("/etc/passwd").expect("stat /etc/passwd");
    assert_eq!(after.nlink(), passwd.nlink(), "/etc/passwd gained a link");
}

// Pins: a hardlink to /etc/passwd in a loaded layer never links or changes the host's file.
#[test]
fn hostile_load_hardlink_to_etc_passwd() {
    check_hardlink(Via::Load);
}

// Pins: same for import.
#[test]
fn hostile_import_hardlink_to_etc_passwd() {
    check_hardlink(Via::Import);
}

fn check_device(via: Via) {
    let env = Env::new().with_busybox();
    let layer = LayerBuilder::new()
        .dir("dev", 0o755)
        .char_device("dev/evil-mem", 1, 1)
        .char_device("dev/evil-null", 1, 3)
        .file("dev/after-devices", 0o644, b"ok")
        .finish();
    if feed_hostile(&env, via, layer, &[]) {
        for name in ["dev/evil-mem", "dev/evil-null"] {
            if let Some(p) = find_in_layers(&env, name) {
                let m = fs::symlink_metadata(&p).expect("stat device");
                assert!(
                    !(m.file_type().is_char_device() && m.rdev() != 0),
                    "a real device node {} was created in the store",
                    p.display()
                );
            }
        }
        // The rest of the layer was still extracted.
        assert!(find_in_layers(&env, "dev/after-devices").is_some());
    }
}

// Pins: device nodes in a loaded layer are never created as real devices.
#[test]
fn hostile_load_device_node_is_not_created() {
    check_device(Via::Load);
}

// Pins: device nodes in an imported tarball are never created as real devices.
#[test]
fn hostile_import_device_node_is_not_created() {
    check_device(Via::Import);
}

fn check_setuid(via: Via) {
    let env = Env::new().with_busybox();
    let layer = LayerBuilder::new()
        .dir("bin", 0o755)
        .file("bin/suid-root", 0o4755, b"#!/bin/sh\nid -u\n")
        .finish();
    if feed_hostile(&env, via, layer, &[]) {
        let p = find_in_layers(&env, "bin/suid-root").expect("setuid file in the layer");
        let m = fs::symlink_metadata(&p).expect("stat setuid file");
        assert_ne!(m.uid(), 0, "{} is owned by host root", p.display());
        assert_eq!(m.uid(), env.uid(), "image root maps to the test user");
    }
}

// Pins: a setuid-root file in a loaded layer is owned by the user on the host, not root.
#[test]
fn hostile_load_setuid_file_is_not_host_root() {
    check_setuid(Via::Load);
}

// Pins: a setuid-root file in an imported tarball is owned by the user on the host.
#[test]
fn hostile_import_setuid_file_is_not_host_root() {
    check_setuid(Via::Import);
}

// ----------------------------------------------------------------------------------------------
// Failures leave the store as it was.

/// Asserts that `out` failed with 125 and images and layer dirs are what they were.
#[track_caller]
fn assert_store_unchanged(env: &Env, out: Output, images: &[String], layers: &[String]) {
    let out = out.code(125).stderr_has("Error: ");
    assert_eq!(images_snapshot(env), images, "{out:?}");
    assert_eq!(layer_dirs(env), layers, "{out:?}");
}

// Pins: a truncated docker-archive or import tarball fails with 125 and changes nothing.
#[test]
fn truncated_archive_changes_nothing() {
    let env = Env::new().with_busybox();
    let images = images_snapshot(&env);
    let layers = layer_dirs(&env);

    let archive = archives::docker_archive(&two_layer_image("trunc"), &["trunc:latest"]);
    // Cut in the middle of the busybox layer, the first member.
    let cut = archive.len() / 3;
    let path = write_input(&env, "truncated.tar", &archive[..cut]);
    assert_store_unchanged(&env, load_file(&env, &path), &images, &layers);

    let tarball = busybox_bytes();
    let path = write_input(
        &env,
        "truncated-rootfs.tar",
        &tarball[..tarball.len() / 2 + 7],
    );
    assert_store_unchanged(&env, import_file(&env, &path, "trunc"), &images, &layers);
}

// Pins: a docker-archive whose config does not hash to the name manifest.json gives it is
// refused with 125, naming the mismatch, and changes nothing.
#[test]
fn docker_archive_config_digest_mismatch_changes_nothing() {
    let env = Env::new();
    let image = two_layer_image("cfg");
    let mut tampered = image.config(None);
    let pos = tampered.len() - 2;
    tampered.insert(pos, b' ');
    let members = archives::docker_members(&image, &["tampered:latest"], Some(tampered));
    let path = write_input(&env, "cfg.tar", &archives::pack(&members));
    let out = load_file(&env, &path);
    let out = out.stderr_has("digest");
    assert_store_unchanged(&env, out, &[], &[]);
}

// Pins: a layer whose content does not match the config's diff_id is refused with 125 even
// after earlier layers were extracted, and no layer dir is left behind.
#[test]
fn docker_archive_diff_id_mismatch_changes_nothing() {
    let env = Env::new();
    let mut image = two_layer_image("diff");
    let real_top = image.layers[1].clone();
    // The config promises another top layer than the archive carries.
    image.layers[1] = top_layer("promised");
    let config = image.config(None);
    image.layers[1] = real_top;
    let config_name = format!("{}.json", sha256_hex(&config));
    let mut members = archives::docker_members(&image, &["diff:latest"], Some(config.clone()));
    // Rename the config member and manifest entry to the forged config's digest, so only the
    // diff_id check can catch it.
    let old_name = format!("{}.json", sha256_hex(&image.config(None)));
    for (name, data) in members.iter_mut() {
        if *name == old_name {
            *name = config_name.clone();
        } else if name == "manifest.json" {
            let text = String::from_utf8(data.clone()).expect("utf8 manifest");
            *data = text.replace(&old_name, &config_name).into_bytes();
        }
    }
    let path = write_input(&env, "diff.tar", &archives::pack(&members));
    let out = load_file(&env, &path).stderr_has("diff_id");
    assert_store_unchanged(&env, out, &[], &[]);
}

// ----------------------------------------------------------------------------------------------
// tag, rmi, image exists.

// Pins: `tag` adds a name; `images` lists both names with the same id.
#[test]
fn tag_adds_a_name() {
    let env = Env::new().with_busybox();
    env.burrow(&["tag", BUSYBOX, "other:v1"]).ok();
    let listing = env
        .burrow(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
        .ok();
    let mut lines = listing.lines();
    lines.sort();
    assert_eq!(lines.len(), 2, "{listing:?}");
    assert!(
        lines[0].starts_with("localhost/busybox:latest "),
        "{listing:?}"
    );
    assert!(lines[1].starts_with("localhost/other:v1 "), "{listing:?}");
    let ids: Vec<&str> = lines.iter().filter_map(|l| l.split(' ').nth(1)).collect();
    assert_eq!(ids[0], ids[1], "{listing:?}");
    env.burrow(&["run", "--rm", "other:v1", "echo", "tagged"])
        .ok()
        .stdout_has("tagged");
}

// Pins: `rmi` of one of several names only untags; of the last name it deletes the image and
// its layers.
#[test]
fn rmi_untags_then_deletes() {
    let env = Env::new().with_busybox();
    let id = env
        .burrow(&["images", "-q", "--no-trunc"])
        .ok()
        .out()
        .to_string();
    env.burrow(&["tag", BUSYBOX, "other:v1"]).ok();

    let out = env.burrow(&["rmi", "other:v1"]).ok();
    assert_eq!(out.stdout, "Untagged: localhost/other:v1\n");
    env.burrow(&["image", "exists", "other:v1"]).code(1);
    env.burrow(&["image", "exists", BUSYBOX]).ok();
    assert_eq!(layer_dirs(&env).len(), 1);

    let out = env.burrow(&["rmi", "busybox"]).ok();
    out.clone()
        .stdout_has("Untagged: localhost/busybox:latest\n");
    out.stdout_has(&format!("Deleted: {}", id.trim_start_matches("sha256:")));
    env.burrow(&["image", "exists", BUSYBOX]).code(1);
    assert_eq!(env.burrow(&["images", "-q"]).ok().stdout, "");
    assert!(layer_dirs(&env).is_empty(), "{:?}", layer_dirs(&env));
}

// Pins: `rmi` of an image a container uses is refused with 2 (podman's code) naming the
// container;
// `rmi -f` removes the container and the image.
#[test]
fn rmi_of_image_in_use() {
    let env = Env::new().with_busybox();
    let cid = env
        .burrow(&["create", "--name", "user1", BUSYBOX, "true"])
        .ok()
        .out()
        .to_string();
    env.burrow(&["rmi", BUSYBOX]).code(2).stderr_has(&cid[..12]);
    env.burrow(&["image", "exists", BUSYBOX]).ok();
    env.burrow(&["container", "exists", "user1"]).ok();

    env.burrow(&["rmi", "-f", BUSYBOX])
        .ok()
        .stdout_has("Deleted: ");
    env.burrow(&["container", "exists", "user1"]).code(1);
    env.burrow(&["image", "exists", BUSYBOX]).code(1);
}

// Pins: `rmi` of an unknown image fails with 1 (podman-rmi(1)) and says so, as do `rm`,
// `pod rm` and `network rm` of unknown names; `image exists` is 0/1.
#[test]
fn rmi_unknown_and_image_exists() {
    let env = Env::new().with_busybox();
    env.burrow(&["rm", "nosuch"])
        .code(1)
        .stderr_has("no such container");
    env.burrow(&["pod", "rm", "nosuch"])
        .code(1)
        .stderr_has("no such pod");
    env.burrow(&["network", "rm", "nosuch"])
        .code(1)
        .stderr_has("network not found");
    env.burrow(&["rmi", "nosuchimage"])
        .code(1)
        .stderr_has("nosuchimage");
    env.burrow(&["image", "exists", "busybox"]).ok();
    env.burrow(&["image", "exists", "nosuchimage"]).code(1);
    let id = env.burrow(&["images", "-q"]).ok().out().to_string();
    env.burrow(&["image", "exists", &id]).ok();
}

// Pins: `rmi -a` removes every image (including ones sharing a layer) and all layers.
#[test]
fn rmi_all_removes_everything() {
    let env = Env::new().with_busybox();
    let path = write_input(
        &env,
        "two.tar",
        &archives::docker_archive(&two_layer_image("all"), &["two:latest"]),
    );
    load_file(&env, &path).ok();
    assert_eq!(images_snapshot(&env).len(), 2);
    env.burrow(&["rmi", "-a"]).ok().stdout_has("Deleted: ");
    assert_eq!(env.burrow(&["images", "-q"]).ok().stdout, "");
    assert!(layer_dirs(&env).is_empty(), "{:?}", layer_dirs(&env));
}

// ----------------------------------------------------------------------------------------------
// mount, storage driver.

// Pins: `mount` prints the container's rootfs, visible inside `burrow unshare`; `umount`
// takes it away.
#[test]
fn mount_and_umount_container_rootfs() {
    let env = Env::new().with_busybox();
    env.burrow(&["create", "--name", "m1", BUSYBOX, "true"])
        .ok();
    let out = env.burrow(&["mount", "m1"]).ok();
    let path = out.out().to_string();
    assert!(path.starts_with('/'), "{out:?}");
    let check = format!("{path}/bin/busybox");
    env.burrow(&["unshare", "ls", &check])
        .ok()
        .stdout_has("bin/busybox");
    env.burrow(&["unshare", "cat", &format!("{path}/etc/hostname")])
        .ok()
        .stdout_has("busybox");
    env.burrow(&["umount", "m1"]).ok();
    env.burrow(&["unshare", "ls", &check]).fails();
}

// Pins: `--storage-driver vfs` imports, runs and loads (whiteouts applied by copying) busybox.
#[test]
fn vfs_driver_imports_runs_and_loads() {
    let env = Env::new();
    let tar = busybox_tar();
    env.burrow(&[
        OsStr::new("--storage-driver"),
        OsStr::new("vfs"),
        OsStr::new("import"),
        tar.as_os_str(),
        OsStr::new(BUSYBOX),
    ])
    .ok();
    let out = env
        .burrow(&[
            "--storage-driver",
            "vfs",
            "run",
            "--rm",
            BUSYBOX,
            "echo",
            "vfs-ok",
        ])
        .ok();
    assert_eq!(out.stdout, "vfs-ok\n");
    let driver = fs::read_to_string(env.data_dir().join("burrow/storage/driver"))
        .expect("storage/driver file");
    assert_eq!(driver.trim(), "vfs");
    let img = env
        .burrow(&["--storage-driver", "vfs", "image", "inspect", BUSYBOX])
        .ok();
    img.stdout_has(r#""vfs""#);

    let path = write_input(
        &env,
        "vfs.tar",
        &archives::docker_archive(&two_layer_image("vfs"), &["vfsload:latest"]),
    );
    burrow_path(&env, &["--storage-driver", "vfs", "load", "-i"], &path).ok();
    let out = env
        .burrow(&[
            "--storage-driver",
            "vfs",
            "run",
            "--rm",
            "vfsload",
            "sh",
            "-c",
            "cat /added/vfs; test -e /etc/nsswitch.conf || echo gone",
        ])
        .ok();
    assert_eq!(out.stdout, "vfsgone\n");
}
