//! Simple signing (containers-signature(5), "atomic container signature"): a GPG-signed JSON
//! payload naming an image's manifest digest and its reference, kept beside the registry in a
//! lookaside store (containers-registries.d(5)) as `BASE/PATH@sha256=HEX/signature-N`, where
//! PATH is the repository without its registry host. `push --sign-by` writes one; a pull under
//! a policy.json `signedBy` requirement reads them and accepts the image only when one is a
//! good signature by a trusted key for this digest and reference.
//!
//! Signing and checking run the `gpg` binary, as podman does through gpgme (which runs gpg
//! too). A check imports the trusted keys into a fresh keyring of its own, so only those keys
//! can make a signature good; it starts no gpg-agent.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::error::StorageError;
use crate::reference::Reference;

const SIGNATURE_TYPE: &str = "atomic container signature";
/// Most signatures one image may have; reading stops at the first missing index anyway.
const MAX_SIGNATURES: usize = 64;

/// Where signatures are read from and written to, for one scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Site {
    /// `lookaside` (or the older `sigstore`): a file:// or http(s):// URL.
    pub read: Option<String>,
    /// `lookaside-staging` (or `sigstore-staging`): a file:// URL.
    pub write: Option<String>,
    /// `use-sigstore-attachments`: whether sigstore signatures are read from and written to
    /// the registry (unset: as the less specific scopes say; false if none does).
    pub sigstore_attachments: Option<bool>,
}

/// registries.d's lookaside configuration: `default-docker` and the per-scope `docker` entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lookaside {
    pub default: Site,
    /// Scope (`host`, `host/namespace`, `host/repo`) → site.
    pub scopes: Vec<(String, Site)>,
    /// Used when neither the scope nor `default-docker` says anything (podman's built-in
    /// `$XDG_DATA_HOME/containers/sigstore` for a rootless user).
    pub builtin: Option<String>,
}

impl Lookaside {
    /// The most specific scope's site for the repository `repo` (`host/path`).
    fn site(&self, repo: &str) -> &Site {
        self.scopes
            .iter()
            .filter(|(scope, _)| {
                repo == scope
                    || repo
                        .strip_prefix(scope.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|(scope, _)| scope.len())
            .map_or(&self.default, |(_, site)| site)
    }

    /// Are sigstore attachments used for the repository `repo`? As containers/image: the most
    /// specific scope that sets `use-sigstore-attachments`, else `default-docker`, else no.
    pub fn sigstore_attachments(&self, repo: &str) -> bool {
        self.scopes
            .iter()
            .filter(|(scope, site)| {
                site.sigstore_attachments.is_some()
                    && (repo == scope
                        || repo
                            .strip_prefix(scope.as_str())
                            .is_some_and(|rest| rest.starts_with('/')))
            })
            .max_by_key(|(scope, _)| scope.len())
            .and_then(|(_, site)| site.sigstore_attachments)
            .or(self.default.sigstore_attachments)
            .unwrap_or(false)
    }

    fn read_base(&self, repo: &str) -> Option<&str> {
        let site = self.site(repo);
        site.read
            .as_deref()
            .or(self.default.read.as_deref())
            .or(self.builtin.as_deref())
    }

    fn write_base(&self, repo: &str) -> Option<&str> {
        let site = self.site(repo);
        site.write
            .as_deref()
            .or(site.read.as_deref())
            .or(self.default.write.as_deref())
            .or(self.default.read.as_deref())
            .or(self.builtin.as_deref())
    }
}

/// `BASE/PATH@sha256=HEX`: the directory (or URL prefix) of one image's signatures.
fn signatures_at(base: &str, full: &str, digest: &str) -> Result<String, StorageError> {
    let r = Reference::parse(full)?;
    let path = r.path.as_str();
    let (algo, hex) = digest
        .split_once(':')
        .ok_or_else(|| StorageError::Signature(format!("invalid manifest digest {digest:?}")))?;
    Ok(format!(
        "{}/{path}@{algo}={hex}",
        base.trim_end_matches('/')
    ))
}

/// The JSON that gets signed (field names and nesting as containers/image writes them).
fn payload(identity: &str, digest: &str, creator: &str) -> Vec<u8> {
    signed_payload(SIGNATURE_TYPE, identity, digest, creator)
}

/// The simple-signing payload of type `kind` (GPG and sigstore signatures differ only in it).
pub(crate) fn signed_payload(kind: &str, identity: &str, digest: &str, creator: &str) -> Vec<u8> {
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json!({
        "critical": {
            "identity": {"docker-reference": identity},
            "image": {"docker-manifest-digest": digest},
            "type": kind,
        },
        "optional": {"creator": creator, "timestamp": timestamp},
    })
    .to_string()
    .into_bytes()
}

/// What one gpg run printed.
struct GpgOutput {
    ok: bool,
    stdout: Vec<u8>,
    /// Its messages, with `[GNUPG:]` status lines where `--status-fd 2` asked for them.
    stderr: String,
}

impl GpgOutput {
    /// The human messages, on one line.
    fn said(&self) -> String {
        self.stderr
            .lines()
            .filter(|l| !l.starts_with("[GNUPG:]"))
            .map(|l| l.trim_start_matches("gpg: ").trim())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Runs gpg with `input` on stdin; an error only when it cannot be run.
fn run_gpg(args: &[&str], input: &[u8]) -> Result<GpgOutput, StorageError> {
    let mut child = Command::new("gpg")
        .args(["--batch", "--no-tty"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            StorageError::Signature(format!(
                "cannot run gpg ({e}): install gnupg (apt-get install gpg)"
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // gpg may exit early (a bad key): what it says explains more than EPIPE does. The
        // inputs are a few KiB at most, well within a pipe's buffer.
        let _ = stdin.write_all(input);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| StorageError::Signature(format!("gpg: {e}")))?;
    Ok(GpgOutput {
        ok: out.status.success(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// [`run_gpg`], where failing is an error that starts with `what`.
fn gpg(args: &[&str], input: &[u8], what: &str) -> Result<Vec<u8>, StorageError> {
    let out = run_gpg(args, input)?;
    if !out.ok {
        return Err(StorageError::Signature(format!("{what}: {}", out.said())));
    }
    Ok(out.stdout)
}

/// Fails unless the user's keyring has the secret key `key` (checked before a push, so that a
/// push does not land unsigned).
pub fn check_key(key: &str) -> Result<(), StorageError> {
    gpg(
        &["--list-secret-keys", "--", key],
        &[],
        &format!("--sign-by {key}: no such secret key in the GPG keyring"),
    )
    .map(drop)
}

/// `push --sign-by KEY`: signs `full` (`host/repo:tag`) at manifest `digest` with the user's
/// GPG key and writes the signature to the lookaside staging store. Returns its path.
pub fn sign(
    lookaside: &Lookaside,
    full: &str,
    digest: &str,
    key: &str,
    passphrase_file: Option<&Path>,
    creator: &str,
) -> Result<PathBuf, StorageError> {
    let repo = crate::reference::repository(full);
    let base = lookaside.write_base(repo).ok_or_else(|| {
        StorageError::Signature(format!(
            "no lookaside-staging is configured for {repo}: set one in registries.d"
        ))
    })?;
    let dir = signatures_at(base, full, digest)?;
    let dir = PathBuf::from(dir.strip_prefix("file://").ok_or_else(|| {
        StorageError::Signature(format!(
            "cannot write signatures to {base}: only file:// lookaside-staging locations can be written"
        ))
    })?);
    let mut args = vec!["--sign", "--local-user", key, "--output", "-"];
    let pass;
    if let Some(p) = passphrase_file {
        pass = p.display().to_string();
        args.extend(["--pinentry-mode", "loopback", "--passphrase-file", &pass]);
    }
    let signature = gpg(
        &args,
        &payload(full, digest, creator),
        &format!("signing {full} with key {key}"),
    )?;
    fs::create_dir_all(&dir).map_err(|e| StorageError::io("creating", &dir, e))?;
    for n in 1..=MAX_SIGNATURES {
        let path = dir.join(format!("signature-{n}"));
        let tmp = dir.join(format!(".signature-{n}.tmp-{}", std::process::id()));
        fs::write(&tmp, &signature).map_err(|e| StorageError::io("writing", &tmp, e))?;
        // A hard link fails if the name exists: two signers never overwrite each other.
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StorageError::io("writing", &path, e)),
        }
    }
    Err(StorageError::Signature(format!(
        "{} already holds {MAX_SIGNATURES} signatures",
        dir.display()
    )))
}

/// Reads signature `n` (1-based) of an image; `None` when there is none.
fn fetch(prefix: &str, n: usize) -> Result<Option<Vec<u8>>, StorageError> {
    let url = format!("{prefix}/signature-{n}");
    if let Some(path) = url.strip_prefix("file://") {
        return match fs::read(path) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io("reading", Path::new(path), e)),
        };
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(StorageError::Signature(format!(
            "unsupported lookaside location {prefix}: use file://, http:// or https://"
        )));
    }
    match ureq::get(&url).call() {
        Ok(mut resp) => resp
            .body_mut()
            .with_config()
            .limit(4 << 20)
            .read_to_vec()
            .map(Some)
            .map_err(|e| StorageError::Signature(format!("reading {url}: {e}"))),
        Err(ureq::Error::StatusCode(404)) => Ok(None),
        Err(e) => Err(StorageError::Signature(format!("reading {url}: {e}"))),
    }
}

/// Which references a signature may name (policy.json's `signedIdentity`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SignedIdentity {
    /// The pulled reference by tag exactly; by digest, any tag of the same repository.
    #[default]
    MatchRepoDigestOrExact,
    MatchExact,
    MatchRepository,
    ExactReference(String),
    ExactRepository(String),
}

impl SignedIdentity {
    pub fn from_value(v: Option<&Value>) -> Result<SignedIdentity, String> {
        let Some(v) = v else {
            return Ok(SignedIdentity::default());
        };
        let field = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("signedIdentity: {k} is missing"))
        };
        match v.get("type").and_then(Value::as_str).unwrap_or_default() {
            "matchRepoDigestOrExact" => Ok(SignedIdentity::MatchRepoDigestOrExact),
            "matchExact" => Ok(SignedIdentity::MatchExact),
            "matchRepository" => Ok(SignedIdentity::MatchRepository),
            "exactReference" => Ok(SignedIdentity::ExactReference(field("dockerReference")?)),
            "exactRepository" => Ok(SignedIdentity::ExactRepository(field("dockerRepository")?)),
            other => Err(format!("unsupported signedIdentity type {other:?}")),
        }
    }

    /// Does a signature naming `signed` vouch for pulling `pulled`?
    pub(crate) fn accepts(&self, pulled: &str, signed: &str) -> bool {
        let repo = |s: &str| Some(crate::reference::repository(s).to_string());
        let by_digest = Reference::parse(pulled).is_ok_and(|r| r.digest.is_some());
        match self {
            SignedIdentity::MatchExact => pulled == signed,
            SignedIdentity::MatchRepoDigestOrExact if by_digest => repo(pulled) == repo(signed),
            SignedIdentity::MatchRepoDigestOrExact => pulled == signed,
            SignedIdentity::MatchRepository => repo(pulled) == repo(signed),
            SignedIdentity::ExactReference(r) => signed == r,
            SignedIdentity::ExactRepository(r) => repo(signed).as_deref() == Some(r.as_str()),
        }
    }
}

/// A `signedBy` requirement: the trusted keys (files, or base64 `keyData`) and the identity
/// rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedBy {
    pub key_paths: Vec<String>,
    pub key_data: Vec<String>,
    pub identity: SignedIdentity,
}

/// A fresh GnuPG home with only the trusted keys; removed on drop.
struct TrustedKeyring(PathBuf);

impl TrustedKeyring {
    fn new(req: &SignedBy) -> Result<TrustedKeyring, StorageError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("burrow-gpg-{}-{nanos}", std::process::id()));
        use std::os::unix::fs::DirBuilderExt as _;
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| StorageError::io("creating", &dir, e))?;
        let ring = TrustedKeyring(dir);
        let home = ring.0.display().to_string();
        for path in &req.key_paths {
            let data =
                fs::read(path).map_err(|e| StorageError::io("reading", Path::new(path), e))?;
            ring.import(&home, &data, path)?;
        }
        for data in &req.key_data {
            use base64::Engine as _;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| StorageError::Signature(format!("policy keyData: {e}")))?;
            ring.import(&home, &raw, "keyData")?;
        }
        Ok(ring)
    }

    fn import(&self, home: &str, key: &[u8], what: &str) -> Result<(), StorageError> {
        gpg(
            &["--homedir", home, "--no-autostart", "--import"],
            key,
            &format!("importing trusted key {what}"),
        )
        .map(drop)
    }

    /// The payload of a good signature by one of the keys, or why it is not one.
    fn verify(&self, signature: &[u8]) -> Result<Value, String> {
        let home = self.0.display().to_string();
        let out = run_gpg(
            &[
                "--homedir",
                &home,
                "--no-autostart",
                "--status-fd",
                "2",
                "--output",
                "-",
                "--decrypt",
            ],
            signature,
        )
        .map_err(|e| e.to_string())?;
        // gpg names the signing key of a signature it cannot check in a NO_PUBKEY line.
        if let Some(key) = out
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("[GNUPG:] NO_PUBKEY "))
        {
            return Err(format!(
                "Invalid GPG signature: signed by key {}, which is not a trusted key",
                key.trim()
            ));
        }
        if !out.ok {
            return Err(format!("Invalid GPG signature: {}", out.said()));
        }
        if !out
            .stderr
            .lines()
            .any(|l| l.starts_with("[GNUPG:] VALIDSIG "))
        {
            return Err("Invalid GPG signature: no valid signature by a trusted key".into());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("Invalid signature format: {e}"))
    }
}

impl Drop for TrustedKeyring {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Checks that `full` at manifest `digest` carries a good signature for `req`; podman's
/// "Source image rejected" reasons otherwise.
pub fn verify(
    lookaside: &Lookaside,
    full: &str,
    digest: &str,
    req: &SignedBy,
) -> Result<(), StorageError> {
    let Some(base) = lookaside.read_base(crate::reference::repository(full)) else {
        return Err(rejected(&[]));
    };
    let prefix = signatures_at(base, full, digest)?;
    let mut signatures = Vec::new();
    for n in 1..=MAX_SIGNATURES {
        match fetch(&prefix, n)? {
            Some(s) => signatures.push(s),
            None => break,
        }
    }
    if signatures.is_empty() {
        return Err(rejected(&[]));
    }
    let ring = TrustedKeyring::new(req)?;
    let mut reasons = Vec::new();
    for s in &signatures {
        match ring
            .verify(s)
            .and_then(|p| check_payload(&p, SIGNATURE_TYPE, full, digest, &req.identity))
        {
            Ok(()) => return Ok(()),
            Err(why) => reasons.push(why),
        }
    }
    Err(rejected(&reasons))
}

/// Why the payload `p` of a cryptographically good signature does not vouch for pulling
/// `full` at manifest `digest`: not of type `kind`, another digest, or an identity the
/// policy's `signedIdentity` does not accept.
pub(crate) fn check_payload(
    p: &Value,
    kind: &str,
    full: &str,
    digest: &str,
    identity: &SignedIdentity,
) -> Result<(), String> {
    let critical = &p["critical"];
    let signed_digest = critical["image"]["docker-manifest-digest"].as_str();
    let signed = critical["identity"]["docker-reference"]
        .as_str()
        .unwrap_or_default();
    if critical["type"].as_str() != Some(kind) {
        Err(format!("Invalid signature format: type is not {kind:?}"))
    } else if signed_digest != Some(digest) {
        Err(format!(
            "Signature for docker digest {:?} does not match",
            signed_digest.unwrap_or_default()
        ))
    } else if !identity.accepts(full, signed) {
        Err(format!("Signature for identity {signed:?} is not accepted"))
    } else {
        Ok(())
    }
}

/// podman's rejection when no signature was accepted, with each one's reason.
pub(crate) fn rejected(reasons: &[String]) -> StorageError {
    StorageError::PolicyRejected(match reasons {
        [] => "A signature was required, but no signature exists".to_string(),
        [one] => one.clone(),
        all => format!(
            "None of the signatures were accepted, reasons: {}",
            all.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_containers_image() {
        let at = signatures_at("file:///sigs/", "quay.io/ns/app:1", "sha256:abcd").unwrap();
        assert_eq!(at, "file:///sigs/ns/app@sha256=abcd");
    }

    #[test]
    fn most_specific_scope_wins() {
        let site = |s: &str| Site {
            read: Some(s.into()),
            ..Site::default()
        };
        let l = Lookaside {
            default: site("file:///d"),
            scopes: vec![
                ("quay.io".into(), site("file:///q")),
                ("quay.io/ns".into(), site("file:///ns")),
            ],
            builtin: None,
        };
        assert_eq!(l.read_base("quay.io/ns/app"), Some("file:///ns"));
        assert_eq!(l.read_base("quay.io/other"), Some("file:///q"));
        assert_eq!(l.read_base("quay.io.evil/x"), Some("file:///d"));
        assert_eq!(l.write_base("quay.io/ns/app"), Some("file:///ns"));
        assert!(!l.sigstore_attachments("quay.io/ns/app"));
        let attach = |on: bool| Site {
            sigstore_attachments: Some(on),
            ..Site::default()
        };
        let l = Lookaside {
            default: attach(true),
            scopes: vec![
                ("quay.io/ns".into(), attach(false)),
                ("quay.io/ns/app".into(), site("file:///x")),
            ],
            builtin: None,
        };
        assert!(
            !l.sigstore_attachments("quay.io/ns/app"),
            "an unset scope defers"
        );
        assert!(l.sigstore_attachments("quay.io/other"));
    }

    #[test]
    fn identities() {
        let tag = "host/ns/app:1";
        let other_tag = "host/ns/app:2";
        let by_digest =
            "host/ns/app@sha256:0000000000000000000000000000000000000000000000000000000000000000";
        let d = SignedIdentity::MatchRepoDigestOrExact;
        assert!(d.accepts(tag, tag));
        assert!(!d.accepts(tag, other_tag));
        assert!(d.accepts(by_digest, other_tag));
        assert!(!d.accepts(by_digest, "host/ns/other:1"));
        assert!(SignedIdentity::MatchRepository.accepts(tag, other_tag));
        assert!(!SignedIdentity::MatchExact.accepts(tag, other_tag));
        assert!(SignedIdentity::ExactReference(other_tag.into()).accepts(tag, other_tag));
        assert!(SignedIdentity::ExactRepository("host/ns/app".into()).accepts(tag, other_tag));
        assert!(SignedIdentity::from_value(Some(&json!({"type": "remapIdentity"}))).is_err());
    }
}
