//! Image signing end to end: `push --sign-by` with a real GPG key writes a simple signature to
//! the lookaside store that registries.d names, and a pull under a policy.json `signedBy`
//! requirement accepts only images with a good signature by a trusted key for that digest and
//! reference. Sigstore signatures the same way: `push --sign-by-sigstore-private-key` attaches
//! one in the registry, a `sigstoreSigned` policy checks it, and podman reads and writes the
//! same. A real registry (Debian's docker-registry), real gpg, the test user throughout.

#[path = "common/archives.rs"]
mod archives;
mod common;
#[path = "common/podman.rs"]
mod podman;
#[path = "common/registry.rs"]
mod registry;

use std::path::{Path, PathBuf};

use common::Env;
use registry::Registry;

const TLS_OFF: &str = "--tls-verify=false";

/// A GnuPG home for the test user with one passphrase-less key per name; returns the home and
/// each key's fingerprint.
fn gpg_keys(env: &Env, names: &[&str]) -> (PathBuf, Vec<String>) {
    let home = env.home().join("gnupg");
    env.sh(&format!("mkdir -m 700 -p '{}'", home.display()))
        .ok();
    let mut fprs = Vec::new();
    for name in names {
        let out = env
            .sh(&format!(
                "export GNUPGHOME='{h}'; gpg --batch --passphrase '' --quick-gen-key '{name} <{name}@burrow.invalid>' default default never 2>/dev/null \
                 && gpg --batch --with-colons --list-secret-keys '{name}@burrow.invalid' | awk -F: '$1==\"fpr\"{{print $10; exit}}'",
                h = home.display()
            ))
            .ok();
        let fpr = out.out().to_string();
        assert_eq!(fpr.len(), 40, "a fingerprint for {name}: {out:?}");
        fprs.push(fpr);
    }
    (home, fprs)
}

/// Writes `text` to `path` as the test user.
fn write(env: &Env, path: &Path, text: &str) {
    env.sh(&format!(
        "mkdir -p '{}' && cat > '{}' <<'EOF'\n{text}\nEOF",
        path.parent()
            .map(Path::display)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        path.display()
    ))
    .ok();
}

/// Pushes busybox to `dest` with the `sign` options; returns the pushed manifest's digest.
fn push_digest(env: &Env, sign: &[&str], dest: &str) -> String {
    let digestfile = env.home().join("digest").display().to_string();
    let mut args = vec!["push", TLS_OFF, "--digestfile", &digestfile];
    args.extend_from_slice(sign);
    args.extend(["busybox", dest]);
    env.burrow(&args).ok();
    let digest = env.sh(&format!("cat '{digestfile}'")).ok();
    digest.out().to_string()
}

/// Creates a manifest list of busybox and pushes it to `dest` with the `sign` options.
fn signed_list_push(env: &Env, sign: &[&str], dest: &str) {
    env.burrow(&["manifest", "create", "ml", "busybox"]).ok();
    let mut args = vec!["manifest", "push", TLS_OFF];
    args.extend_from_slice(sign);
    args.extend(["ml", dest]);
    env.burrow(&args).ok();
}

/// Points the user's registries.d at one lookaside directory for reading and writing.
fn lookaside(env: &Env, dir: &Path) {
    write(
        env,
        &env.config_dir()
            .join("containers/registries.d/default.yaml"),
        &format!(
            "default-docker:\n  lookaside: file://{d}\n  lookaside-staging: file://{d}",
            d = dir.display()
        ),
    );
}

// Pins: a signed push leaves signature-1 under the digest's directory; the signed tag pulls
// (also by digest), while an unsigned tag, a tag signed by an untrusted key, and a tag whose
// digest is signed only for another reference are rejected with podman's reasons and not
// stored; a missing key refuses the push before anything is pushed.
#[test]
fn signed_push_and_verified_pull() {
    let reg = Registry::start();
    let mut pusher = Env::new().with_busybox();
    let (home, fprs) = gpg_keys(&pusher, &["trusted", "stranger"]);
    pusher.set_env("GNUPGHOME", &home.display().to_string());
    let sigs = pusher.home().join("sigstore");
    lookaside(&pusher, &sigs);
    let pubkey = pusher.home().join("trusted.asc");
    pusher
        .sh(&format!(
            "GNUPGHOME='{}' gpg --batch --armor --export {} > '{}'",
            home.display(),
            fprs[0],
            pubkey.display()
        ))
        .ok();

    let image = |tag: &str| reg.image(&format!("signed/bb:{tag}"));
    let digest = push_digest(&pusher, &["--sign-by", &fprs[0]], &image("1"));
    let hex = digest.trim_start_matches("sha256:");
    let sig = sigs.join(format!("signed/bb@sha256={hex}/signature-1"));
    pusher.sh(&format!("test -s '{}'", sig.display())).ok();
    pusher
        .burrow(&["push", TLS_OFF, "busybox", &image("unsigned-same")])
        .ok();
    // Another manifest (another config), unsigned and signed by the untrusted key.
    for n in ["1", "2"] {
        let (ctr, file) = (format!("mk{n}"), format!("/made{n}"));
        pusher
            .burrow(&["run", "--name", &ctr, "busybox", "touch", &file])
            .ok();
        pusher
            .burrow(&["commit", "-q", &ctr, &format!("localhost/other:{n}")])
            .ok();
    }
    pusher
        .burrow(&["push", TLS_OFF, "localhost/other:2", &image("unsigned")])
        .ok();
    pusher
        .burrow(&[
            "push",
            TLS_OFF,
            "--sign-by",
            &fprs[1],
            "localhost/other:1",
            &image("stranger"),
        ])
        .ok();
    pusher
        .burrow(&[
            "push",
            TLS_OFF,
            "--sign-by",
            "nobody@burrow.invalid",
            "busybox",
            &image("nokey"),
        ])
        .code(125)
        .stderr_has("Error: --sign-by nobody@burrow.invalid: no such secret key");
    assert!(!reg.tags("signed/bb").contains(&"nokey".to_string()));
    pusher
        .burrow(&[
            "push",
            TLS_OFF,
            "--sign-by-sigstore",
            "/nonexistent",
            "busybox",
            &image("sigstore"),
        ])
        .code(125)
        .stderr_has("keyless signing (Fulcio, Rekor) is not supported");

    let puller = Env::new();
    lookaside(&puller, &sigs);
    write(
        &puller,
        &puller.config_dir().join("containers/policy.json"),
        &serde_json::json!({
            "default": [{"type": "insecureAcceptAnything"}],
            "transports": {"docker": {
                format!("{}/signed", reg.host()): [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": pubkey}],
            }}
        })
        .to_string(),
    );
    puller.burrow(&["pull", "-q", TLS_OFF, &image("1")]).ok();
    let by_digest = format!("{}/signed/bb@{digest}", reg.host());
    puller.burrow(&["pull", "-q", TLS_OFF, &by_digest]).ok();
    puller
        .burrow(&["run", "--rm", &image("1"), "echo", "verified"])
        .ok()
        .stdout_has("verified");

    let rejected = |tag: &str, why: &str| {
        puller
            .burrow(&["pull", "-q", TLS_OFF, &image(tag)])
            .code(125)
            .stderr_has(&format!("Error: Source image rejected: {why}"));
        puller.burrow(&["image", "exists", &image(tag)]).code(1);
    };
    rejected(
        "unsigned",
        "A signature was required, but no signature exists",
    );
    rejected(
        "stranger",
        &format!(
            "Invalid GPG signature: signed by key {}, which is not a trusted key",
            &fprs[1][24..]
        ),
    );
    rejected(
        "unsigned-same",
        &format!("Signature for identity \"{}\" is not accepted", image("1")),
    );

    // `image sign` signs what a registry reference points to now: the unsigned tag then
    // pulls; -d writes elsewhere; only docker:// references are taken.
    pusher
        .burrow(&[
            "image",
            "sign",
            TLS_OFF,
            "--sign-by",
            &fprs[0],
            &format!("docker://{}", image("unsigned")),
        ])
        .ok();
    puller
        .burrow(&["pull", "-q", TLS_OFF, &image("unsigned")])
        .ok();
    let elsewhere = pusher.home().join("elsewhere");
    pusher
        .burrow(&[
            "image",
            "sign",
            TLS_OFF,
            "-d",
            &elsewhere.display().to_string(),
            "--sign-by",
            &fprs[0],
            &format!("docker://{}", image("1")),
        ])
        .ok();
    pusher
        .sh(&format!(
            "test -s '{}'",
            elsewhere
                .join(format!("signed/bb@sha256={hex}/signature-1"))
                .display()
        ))
        .ok();
    pusher
        .burrow(&["image", "sign", "--sign-by", &fprs[0], "busybox"])
        .code(125)
        .stderr_has("only docker:// references can be signed");

    // A manifest list pushed with --sign-by: its index is what the signature names, and a
    // pull by the list's tag is accepted.
    signed_list_push(&pusher, &["--sign-by", &fprs[0]], &image("list"));
    puller.burrow(&["pull", "-q", TLS_OFF, &image("list")]).ok();
}

/// Writes a sigstore key pair `NAME.private`/`NAME.pub` (passphrase "pass") and a passphrase
/// file in the Env's home; returns the prefix and the passphrase file.
fn sigstore_keys(env: &mut Env, names: &[&str]) -> (PathBuf, PathBuf) {
    env.set_env("BURROW_PASSPHRASE", "pass");
    for name in names {
        let prefix = env.home().join(name);
        env.burrow(&["__sigstore-keygen", &prefix.display().to_string()])
            .ok();
    }
    let pass = env.home().join("pass");
    write(env, &pass, "pass");
    (env.home().to_path_buf(), pass)
}

/// registries.d with sigstore attachments on by default, and off for `off_scope`.
fn attachments(env: &Env, off_scope: &str) {
    write(
        env,
        &env.config_dir()
            .join("containers/registries.d/default.yaml"),
        &format!(
            "default-docker:\n  use-sigstore-attachments: true\ndocker:\n  {off_scope}:\n    use-sigstore-attachments: false"
        ),
    );
}

fn policy(env: &Env, scopes: serde_json::Value) {
    write(
        env,
        &env.config_dir().join("containers/policy.json"),
        &serde_json::json!({
            "default": [{"type": "insecureAcceptAnything"}],
            "transports": {"docker": scopes}
        })
        .to_string(),
    );
}

// Pins: `push --sign-by-sigstore-private-key` stores a signature attachment `sha256-HEX.sig`
// (a second signer's signature is appended, not replacing the first); a pull under a
// `sigstoreSigned` policy accepts the signed tag (and by digest) with the signer's key, and
// refuses, storing nothing, an image signed by another key, an unsigned one, and any when
// registries.d does not enable attachments; a wrong passphrase or attachments disabled for
// the destination refuse the push before anything is pushed.
#[test]
fn sigstore_signed_push_and_verified_pull() {
    let reg = Registry::start();
    let mut pusher = Env::new().with_busybox();
    let (dir, pass) = sigstore_keys(&mut pusher, &["signer", "second", "stranger"]);
    let key = |n: &str, ext: &str| dir.join(format!("{n}.{ext}")).display().to_string();
    let pass = pass.display().to_string();
    attachments(&pusher, &format!("{}/sig/off", reg.host()));
    let image = |repo: &str| reg.image(&format!("sig/{repo}"));
    // `push` of busybox to `dest` signed with `who`'s key, with `more` options.
    let push_with = |who: &str, more: &[&str], dest: &str| {
        let private = key(who, "private");
        let mut args = vec!["push", TLS_OFF, "--sign-by-sigstore-private-key", &private];
        args.extend_from_slice(more);
        args.extend(["busybox", dest]);
        pusher.burrow(&args)
    };
    let signed_push =
        |who: &str, dest: &str| push_with(who, &["--sign-passphrase-file", &pass], dest);
    let digest = push_digest(
        &pusher,
        &[
            "--sign-by-sigstore-private-key",
            &key("signer", "private"),
            "--sign-passphrase-file",
            &pass,
        ],
        &image("bb:1"),
    );
    let sig_tag = format!("sha256-{}.sig", digest.trim_start_matches("sha256:"));
    signed_push("second", &image("bb:1")).ok();
    let (_, attachment) = reg.manifest("sig/bb", &sig_tag);
    let layers = attachment["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2, "both signatures kept: {attachment}");
    assert_eq!(
        layers[0]["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    assert!(layers[0]["annotations"]["dev.cosignproject.cosign/signature"].is_string());
    signed_push("signer", &image("strange:1")).ok();
    // Another manifest (zstd layers), pushed unsigned.
    pusher
        .burrow(&[
            "push",
            TLS_OFF,
            "--compression-format",
            "zstd",
            "busybox",
            &image("bb:unsigned"),
        ])
        .ok();

    // A manifest list: the signature names the index, which a pull by the list's tag checks.
    signed_list_push(
        &pusher,
        &[
            "--sign-by-sigstore-private-key",
            &key("signer", "private"),
            "--sign-passphrase-file",
            &pass,
        ],
        &image("list:1"),
    );

    write(&pusher, &PathBuf::from(&pass), "wrong");
    signed_push("signer", &image("bb:wrongpass"))
        .code(125)
        .stderr_has("wrong passphrase");
    assert!(!reg.tags("sig/bb").contains(&"wrongpass".to_string()));
    write(&pusher, &PathBuf::from(&pass), "pass");
    push_with("signer", &[], &image("bb:noterminal"))
        .code(125)
        .stderr_has("no terminal to ask for the key's passphrase: pass --sign-passphrase-file");
    push_with("signer", &["--sign-by", "someone"], &image("bb:both"))
        .code(125)
        .stderr_has("cannot be used together");
    // manifest push checks its keys as push does, before anything is pushed.
    let private = key("signer", "private");
    let refusals: [(&[&str], &str); 3] = [
        (&["--sign-passphrase-file", &pass], "needs --sign-by KEY"),
        (&["--sign-by-sigstore", "/nonexistent"], "keyless signing"),
        (
            &[
                "--sign-by",
                "someone",
                "--sign-by-sigstore-private-key",
                &private,
            ],
            "cannot be used together",
        ),
    ];
    let refused_list = image("list:refused");
    for (flags, message) in refusals {
        let mut args = vec!["manifest", "push", TLS_OFF];
        args.extend_from_slice(flags);
        args.extend(["ml", refused_list.as_str()]);
        pusher.burrow(&args).code(125).stderr_has(message);
    }
    assert!(!reg.tags("sig/list").contains(&"refused".to_string()));
    let tags = reg.tags("sig/bb");
    assert!(
        !tags.iter().any(|t| t == "noterminal" || t == "both"),
        "{tags:?}"
    );
    signed_push("signer", &image("off:1"))
        .code(125)
        .stderr_has("writing sigstore attachments is disabled by configuration");
    assert!(reg.tags("sig/off").is_empty(), "nothing pushed");

    let puller = Env::new();
    attachments(&puller, "unused.invalid");
    let stranger_pem = pusher.sh(&format!("cat '{}'", key("stranger", "pub"))).ok();
    policy(
        &puller,
        serde_json::json!({
            format!("{}/sig/bb", reg.host()): [{"type": "sigstoreSigned", "keyPath": key("signer", "pub")}],
            format!("{}/sig/list", reg.host()): [{"type": "sigstoreSigned", "keyPaths": [key("signer", "pub")]}],
            format!("{}/sig/strange", reg.host()): [{"type": "sigstoreSigned",
                "keyData": registry::base64(&format!("{}\n", stranger_pem.out()))}],
        }),
    );
    puller.burrow(&["pull", "-q", TLS_OFF, &image("bb:1")]).ok();
    let by_digest = format!("{}@{digest}", image("bb"));
    puller.burrow(&["pull", "-q", TLS_OFF, &by_digest]).ok();
    puller
        .burrow(&["run", "--rm", &image("bb:1"), "echo", "verified"])
        .ok()
        .stdout_has("verified");
    puller
        .burrow(&["pull", "-q", TLS_OFF, &image("list:1")])
        .ok();
    let rejected = |env: &Env, name: &str, why: &str| {
        env.burrow(&["pull", "-q", TLS_OFF, name])
            .code(125)
            .stderr_has(&format!("Error: Source image rejected: {why}"));
        env.burrow(&["image", "exists", name]).code(1);
    };
    rejected(
        &puller,
        &image("strange:1"),
        "cryptographic signature verification failed",
    );
    rejected(
        &puller,
        &image("bb:unsigned"),
        "A signature was required, but no signature exists",
    );
    // The same digest under a tag no signature names: the identity does not match.
    pusher
        .burrow(&["push", TLS_OFF, "busybox", &image("bb:3")])
        .ok();
    rejected(
        &puller,
        &image("bb:3"),
        &format!(
            "None of the signatures were accepted, reasons: Signature for identity \"{}\" is not accepted",
            image("bb:1")
        ),
    );

    let blind = Env::new();
    policy(
        &blind,
        serde_json::json!({
            format!("{}/sig/bb", reg.host()): [{"type": "sigstoreSigned", "keyPath": key("signer", "pub")}],
        }),
    );
    rejected(
        &blind,
        &image("bb:1"),
        "A signature was required, but no signature exists (sigstore signatures of",
    );
    blind
        .burrow(&["pull", "-q", TLS_OFF, &image("bb:1")])
        .stderr_has("set use-sigstore-attachments: true");
}

// Pins: burrow's sigstore signatures are what other implementations read. OpenSSL checks the
// attachment's signature over its payload with the `.pub` key (ECDSA P-256, DER, SPKI PEM).
// Where podman can sign and verify sigstore (Debian's 4.3.1 cannot: its containers/image is
// built with "sigstore disabled"), with a key pair from `__sigstore-keygen`: podman's signed
// push verifies in burrow, burrow's in `podman pull` under the same policy, which refuses an
// unsigned image (so the policy is in force).
#[test]
fn sigstore_signatures_interoperate() {
    let reg = Registry::start();
    let mut env = Env::new().with_busybox();
    // containers/image reads policy.json and registries.d from $HOME/.config, not
    // $XDG_CONFIG_HOME: give both engines the same files.
    env.sh(&format!(
        "ln -s '{}' '{}/.config'",
        env.config_dir().display(),
        env.home().display()
    ))
    .ok();
    let (dir, pass) = sigstore_keys(&mut env, &["k"]);
    let pass = pass.display().to_string();
    let private = dir.join("k.private").display().to_string();
    let public = dir.join("k.pub").display().to_string();
    attachments(&env, "unused.invalid");
    let image = |repo: &str| reg.image(&format!("interop/{repo}"));
    let digest = push_digest(
        &env,
        &[
            "--sign-by-sigstore-private-key",
            &private,
            "--sign-passphrase-file",
            &pass,
        ],
        &image("by-burrow:1"),
    );
    let sig_tag = format!("{}.sig", digest.replace(':', "-"));
    let (_, attachment) = reg.manifest("interop/by-burrow", &sig_tag);
    let layer = &attachment["layers"][0];
    let payload = reg.blob(
        "interop/by-burrow",
        layer["digest"].as_str().expect("payload digest"),
    );
    let signed: serde_json::Value = serde_json::from_slice(&payload).expect("payload JSON");
    assert_eq!(
        signed["critical"]["image"]["docker-manifest-digest"],
        digest
    );
    assert_eq!(
        signed["critical"]["identity"]["docker-reference"],
        image("by-burrow:1")
    );
    std::fs::write(env.path("payload"), &payload).expect("payload file");
    std::fs::write(
        env.path("sig.b64"),
        layer["annotations"]["dev.cosignproject.cosign/signature"]
            .as_str()
            .expect("signature annotation"),
    )
    .expect("signature file");
    env.sh(&format!(
        "cd '{}' && base64 -d sig.b64 > sig.der && openssl dgst -sha256 -verify '{public}' -signature sig.der payload",
        env.path("").display()
    ))
    .ok()
    .stdout_has("Verified OK");

    if let Some(why) = podman::setup(&env) {
        eprintln!("podman part skipped: {why}");
        return;
    }
    podman::load_busybox(&env);
    let by_podman = podman::podman(
        &env,
        &[
            "push",
            TLS_OFF,
            "--sign-by-sigstore-private-key",
            &private,
            "--sign-passphrase-file",
            &pass,
            "localhost/busybox:latest",
            &image("by-podman:1"),
        ],
    );
    if by_podman.status != 0 && by_podman.stderr.contains("sigstore disabled") {
        eprintln!("podman part skipped: this podman is built without sigstore: {by_podman:?}");
        return;
    }
    by_podman.ok();
    env.burrow(&[
        "push",
        TLS_OFF,
        "--compression-format",
        "zstd",
        "busybox",
        &image("by-burrow:unsigned"),
    ])
    .ok();
    policy(
        &env,
        serde_json::json!({
            format!("{}/interop", reg.host()): [{"type": "sigstoreSigned",
                "keyPath": public, "signedIdentity": {"type": "matchRepository"}}],
        }),
    );
    env.burrow(&["pull", "-q", TLS_OFF, &image("by-podman:1")])
        .ok();
    podman::podman(&env, &["pull", "-q", TLS_OFF, &image("by-burrow:1")]).ok();
    podman::podman(&env, &["pull", "-q", TLS_OFF, &image("by-burrow:unsigned")])
        .fails()
        .stderr_has("A signature was required, but no signature exists");
}
