//! Sigstore signatures with a key (no Fulcio, no Rekor), as containers/image and cosign make
//! them: the simple-signing JSON payload (type `cosign container image signature`) signed with
//! ECDSA P-256 over SHA-256, the signature kept base64 ASN.1 DER beside its payload in a
//! registry attachment (attachments.rs). Private keys are cosign's encrypted PEM files: a JSON
//! body whose PKCS#8 key is sealed with NaCl secretbox under scrypt(passphrase). This module
//! owns the key formats, signing and checking a signature against policy; it never talks to a
//! registry and never writes a key it could not read back.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use crypto_secretbox::XSalsa20Poly1305;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use serde_json::{Value, json};

use super::signature::{SignedIdentity, check_payload, rejected};
use crate::error::StorageError;

/// The layer media type of a signature's payload in an attachment.
pub const PAYLOAD_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation holding the base64 signature of the payload.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const SIGNATURE_TYPE: &str = "cosign container image signature";
/// containers/image writes this PEM type; cosign writes the second. Both are read.
const PRIVATE_KEY_TYPE: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
const COSIGN_PRIVATE_KEY_TYPE: &str = "ENCRYPTED COSIGN PRIVATE KEY";
/// scrypt cost of keys written here: N=2^15, r=8, p=1, the parameters every version of
/// go-securesystemslib (cosign, containers/image) accepts.
const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
/// Largest N accepted when reading a key: more would let a key file ask for gigabytes.
const MAX_SCRYPT_LOG_N: u8 = 20;

fn err(why: impl Into<String>) -> StorageError {
    StorageError::Signature(why.into())
}

/// The first PEM block of `text`: its type and decoded body.
fn pem_block(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let (label, rest) = rest.split_once("-----")?;
    let end = rest.find(&format!("-----END {label}-----"))?;
    let body: String = rest[..end]
        .lines()
        .map(str::trim)
        // RFC 1421 headers ("Proc-Type: ...") precede the base64 lines.
        .filter(|l| !l.contains(':'))
        .collect();
    Some((label.to_string(), B64.decode(body).ok()?))
}

fn pem_encode(label: &str, data: &[u8]) -> String {
    let b64 = B64.encode(data);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn random<const N: usize>() -> Result<[u8; N], StorageError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| err(format!("reading random bytes: {e}")))?;
    Ok(buf)
}

fn secretbox_key(
    passphrase: &[u8],
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<[u8; 32], String> {
    let params = scrypt::Params::new(log_n, r, p).map_err(|e| format!("scrypt parameters: {e}"))?;
    let mut key = [0u8; 32];
    scrypt::scrypt(passphrase, salt, &params, &mut key).map_err(|e| format!("scrypt: {e}"))?;
    Ok(key)
}

/// An ECDSA P-256 private key, decrypted.
pub struct PrivateKey(SigningKey);

/// Never prints the secret.
impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

impl PrivateKey {
    /// A new random key.
    pub fn generate() -> Result<PrivateKey, StorageError> {
        // A random 32-byte string is a valid scalar except with negligible probability
        // (zero or at least the group order); draw again in that case.
        loop {
            let bytes: [u8; 32] = random()?;
            if let Ok(k) = SigningKey::from_slice(&bytes) {
                return Ok(PrivateKey(k));
            }
        }
    }

    /// Reads cosign's encrypted private key format (`what` names the file in errors).
    pub fn decrypt(pem: &[u8], passphrase: &[u8], what: &str) -> Result<PrivateKey, StorageError> {
        let bad = |why: String| err(format!("{what}: {why}"));
        let text = std::str::from_utf8(pem).map_err(|_| bad("not a PEM file".into()))?;
        let (label, body) =
            pem_block(text).ok_or_else(|| bad("no PEM block in the file".into()))?;
        if label != PRIVATE_KEY_TYPE && label != COSIGN_PRIVATE_KEY_TYPE {
            return Err(bad(format!(
                "unsupported key type {label:?}: expected {PRIVATE_KEY_TYPE:?} (create one with `skopeo generate-sigstore-key` or `cosign generate-key-pair`)"
            )));
        }
        let doc: Value = serde_json::from_slice(&body)
            .map_err(|e| bad(format!("invalid encrypted key: {e}")))?;
        let field = |v: &Value, k: &str| -> Result<Vec<u8>, StorageError> {
            let s = v
                .get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("invalid encrypted key: no {k}")))?;
            B64.decode(s)
                .map_err(|e| bad(format!("invalid encrypted key: {k}: {e}")))
        };
        let kdf = &doc["kdf"];
        let cipher = &doc["cipher"];
        if kdf["name"].as_str() != Some("scrypt")
            || cipher["name"].as_str() != Some("nacl/secretbox")
        {
            return Err(bad(
                "unsupported key encryption: expected scrypt and nacl/secretbox".into(),
            ));
        }
        let param = |k: &str| kdf["params"][k].as_u64().unwrap_or_default();
        let n = param("N");
        let log_n = n.trailing_zeros();
        if n < 2 || !n.is_power_of_two() || log_n > u32::from(MAX_SCRYPT_LOG_N) {
            return Err(bad(format!("unsupported scrypt parameter N={n}")));
        }
        let (r, p) = (param("r"), param("p"));
        let (Ok(r), Ok(p)) = (u32::try_from(r), u32::try_from(p)) else {
            return Err(bad(format!("unsupported scrypt parameters r={r} p={p}")));
        };
        if r == 0 || p == 0 || u64::from(r) * u64::from(p) > 64 {
            return Err(bad(format!("unsupported scrypt parameters r={r} p={p}")));
        }
        let salt = field(kdf, "salt")?;
        let nonce = field(cipher, "nonce")?;
        let ciphertext = field(&doc, "ciphertext")?;
        if nonce.len() != 24 {
            return Err(bad(
                "invalid encrypted key: the nonce is not 24 bytes".into()
            ));
        }
        let key = secretbox_key(passphrase, &salt, log_n as u8, r, p).map_err(bad)?;
        let der = XSalsa20Poly1305::new(&key.into())
            .decrypt(nonce.as_slice().into(), ciphertext.as_slice())
            .map_err(|_| {
                bad("cannot decrypt the private key: wrong passphrase (check --sign-passphrase-file)".into())
            })?;
        let key = SigningKey::from_pkcs8_der(&der)
            .map_err(|e| bad(format!("not an ECDSA P-256 private key: {e}")))?;
        Ok(PrivateKey(key))
    }

    /// The key in cosign's encrypted format, sealed under `passphrase`.
    pub fn encrypt(&self, passphrase: &[u8]) -> Result<String, StorageError> {
        let der = self
            .0
            .to_pkcs8_der()
            .map_err(|e| err(format!("encoding the private key: {e}")))?;
        let salt: [u8; 32] = random()?;
        let nonce: [u8; 24] = random()?;
        let key =
            secretbox_key(passphrase, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P).map_err(err)?;
        let ciphertext = XSalsa20Poly1305::new(&key.into())
            .encrypt((&nonce).into(), der.as_bytes())
            .map_err(|_| err("encrypting the private key"))?;
        let doc = json!({
            "kdf": {
                "name": "scrypt",
                "params": {"N": 1u64 << SCRYPT_LOG_N, "r": SCRYPT_R, "p": SCRYPT_P},
                "salt": B64.encode(salt),
            },
            "cipher": {"name": "nacl/secretbox", "nonce": B64.encode(nonce)},
            "ciphertext": B64.encode(ciphertext),
        });
        Ok(pem_encode(PRIVATE_KEY_TYPE, doc.to_string().as_bytes()))
    }

    /// The public key as PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn public_pem(&self) -> Result<String, StorageError> {
        self.0
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| err(format!("encoding the public key: {e}")))
    }

    /// The base64 ASN.1 DER signature of `payload`.
    pub fn sign(&self, payload: &[u8]) -> String {
        let sig: Signature = self.0.sign(payload);
        B64.encode(sig.to_der().as_bytes())
    }
}

/// Reads a PEM `PUBLIC KEY` (ECDSA P-256).
pub fn public_key(pem: &[u8], what: &str) -> Result<VerifyingKey, StorageError> {
    let text = std::str::from_utf8(pem).map_err(|_| err(format!("{what}: not a PEM file")))?;
    VerifyingKey::from_public_key_pem(text.trim())
        .map_err(|e| err(format!("{what}: not an ECDSA P-256 public key in PEM: {e}")))
}

/// The JSON that gets signed (as containers/image writes it: creator and timestamp are
/// optional and never checked).
pub fn payload(identity: &str, digest: &str, creator: &str) -> Vec<u8> {
    super::signature::signed_payload(SIGNATURE_TYPE, identity, digest, creator)
}

/// One signature as stored in an attachment: the payload blob and the layer's annotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attached {
    pub payload: Vec<u8>,
    /// `None` when the layer has no signature annotation.
    pub signature: Option<String>,
}

/// A policy.json `sigstoreSigned` requirement with public keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigstoreSigned {
    pub key_paths: Vec<String>,
    /// base64 of PEM public keys (`keyData`, `keyDatas`).
    pub key_data: Vec<String>,
    pub identity: SignedIdentity,
}

impl SigstoreSigned {
    fn keys(&self) -> Result<Vec<VerifyingKey>, StorageError> {
        let mut keys = Vec::new();
        for path in &self.key_paths {
            let data =
                std::fs::read(path).map_err(|e| StorageError::io("reading", Path::new(path), e))?;
            keys.push(public_key(&data, path)?);
        }
        for data in &self.key_data {
            let pem = B64
                .decode(data.trim())
                .map_err(|e| err(format!("policy keyData: {e}")))?;
            keys.push(public_key(&pem, "policy keyData")?);
        }
        Ok(keys)
    }
}

/// Why one signature is not good for `full` at `digest`, or its acceptance.
fn check_one(
    keys: &[VerifyingKey],
    req: &SigstoreSigned,
    full: &str,
    digest: &str,
    sig: &Attached,
) -> Result<(), String> {
    let Some(b64) = &sig.signature else {
        return Err(format!("missing {SIGNATURE_ANNOTATION} annotation"));
    };
    let der = B64
        .decode(b64.trim())
        .map_err(|e| format!("invalid signature encoding: {e}"))?;
    let signature =
        Signature::from_der(&der).map_err(|_| "invalid ASN.1 ECDSA signature".to_string())?;
    if !keys
        .iter()
        .any(|k| k.verify(&sig.payload, &signature).is_ok())
    {
        return Err("cryptographic signature verification failed: invalid signature".into());
    }
    let p: Value = serde_json::from_slice(&sig.payload)
        .map_err(|e| format!("Invalid signature format: {e}"))?;
    check_payload(&p, SIGNATURE_TYPE, full, digest, &req.identity)
}

/// Accepts `full` at manifest `digest` when one of `signatures` is good for `req`; podman's
/// "Source image rejected" reasons otherwise.
pub fn verify(
    req: &SigstoreSigned,
    full: &str,
    digest: &str,
    signatures: &[Attached],
) -> Result<(), StorageError> {
    if signatures.is_empty() {
        return Err(rejected(&[]));
    }
    let keys = req.keys()?;
    let mut reasons = Vec::new();
    for s in signatures {
        match check_one(&keys, req, full, digest, s) {
            Ok(()) => return Ok(()),
            Err(why) => reasons.push(why),
        }
    }
    Err(rejected(&reasons))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789012345678901234567890123456789012345678901234567890123";
    const FULL: &str = "reg.example.com/ns/app:1";

    fn requirement(pubs: &[String]) -> SigstoreSigned {
        SigstoreSigned {
            key_paths: Vec::new(),
            key_data: pubs.iter().map(|p| B64.encode(p)).collect(),
            identity: SignedIdentity::default(),
        }
    }

    fn signed(key: &PrivateKey, identity: &str, digest: &str) -> Attached {
        let payload = payload(identity, digest, "test");
        let signature = Some(key.sign(&payload));
        Attached { payload, signature }
    }

    #[test]
    fn keys_round_trip_through_the_encrypted_format() {
        let key = PrivateKey::generate().unwrap();
        let pem = key.encrypt(b"secret").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let back = PrivateKey::decrypt(pem.as_bytes(), b"secret", "k").unwrap();
        assert_eq!(back.public_pem().unwrap(), key.public_pem().unwrap());
        let e = PrivateKey::decrypt(pem.as_bytes(), b"wrong", "k.private").unwrap_err();
        assert!(e.to_string().contains("wrong passphrase"), "{e}");
        let cosign = pem.replace("SIGSTORE", "COSIGN");
        assert!(PrivateKey::decrypt(cosign.as_bytes(), b"secret", "k").is_ok());
        let e = PrivateKey::decrypt(
            b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
            b"",
            "k",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unsupported key type"), "{e}");
    }

    #[test]
    fn written_keys_use_parameters_every_reader_accepts() {
        let key = PrivateKey::generate().unwrap();
        let pem = key.encrypt(b"burrow").unwrap();
        let (_, body) = pem_block(&pem).unwrap();
        let doc: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["kdf"]["params"], json!({"N": 32768, "r": 8, "p": 1}));
        assert_eq!(
            B64.decode(doc["kdf"]["salt"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
    }

    #[test]
    fn signatures_verify_only_with_the_right_key_digest_and_identity() {
        let key = PrivateKey::generate().unwrap();
        let other = PrivateKey::generate().unwrap();
        let req = requirement(&[key.public_pem().unwrap()]);
        let good = signed(&key, FULL, DIGEST);
        assert!(verify(&req, FULL, DIGEST, std::slice::from_ref(&good)).is_ok());

        let e = verify(&req, FULL, DIGEST, &[]).unwrap_err();
        assert!(e.to_string().contains("no signature exists"), "{e}");
        let e = verify(&req, FULL, DIGEST, &[signed(&other, FULL, DIGEST)]).unwrap_err();
        assert!(e.to_string().contains("verification failed"), "{e}");
        let other_digest = DIGEST.replace("0123", "9999");
        let e = verify(&req, FULL, DIGEST, &[signed(&key, FULL, &other_digest)]).unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
        let e = verify(
            &req,
            FULL,
            DIGEST,
            &[signed(&key, "reg.example.com/ns/app:2", DIGEST)],
        )
        .unwrap_err();
        assert!(e.to_string().contains("is not accepted"), "{e}");

        let mut tampered = good.clone();
        tampered.payload = payload("reg.example.com/ns/app:1", DIGEST, "someone else");
        assert!(verify(&req, FULL, DIGEST, &[tampered.clone()]).is_err());
        // One good signature among bad ones is enough.
        assert!(verify(&req, FULL, DIGEST, &[tampered, good]).is_ok());
        // Any of several keys.
        let both = requirement(&[other.public_pem().unwrap(), key.public_pem().unwrap()]);
        assert!(verify(&both, FULL, DIGEST, &[signed(&key, FULL, DIGEST)]).is_ok());
    }

    #[test]
    fn pem_blocks_with_headers_parse() {
        let pem = "junk\n-----BEGIN X-----\nProc-Type: 4\n\nAAEC\n-----END X-----\n";
        assert_eq!(pem_block(pem), Some(("X".to_string(), vec![0, 1, 2])));
        assert_eq!(pem_block("-----BEGIN X-----\nAAEC\n"), None);
    }
}
