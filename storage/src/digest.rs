//! sha256 digests: formatting, validation, chain IDs and a reader that hashes what passes
//! through it, so that blobs are verified while they stream (one pass, never re-read).
//!
//! This module must never accept a digest string without validating it: digests become file
//! names in the store.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use crate::error::StorageError;

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// Lower-case hex sha256 of `data` (64 chars).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// True if `s` is exactly 64 lower-case hex characters.
pub fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Validates `sha256:<64 hex>` and returns the hex part.
pub fn parse_sha256(digest: &str) -> Result<&str, StorageError> {
    match digest.strip_prefix("sha256:") {
        Some(hex) if is_hex64(hex) => Ok(hex),
        _ => Err(StorageError::InvalidDigest(digest.to_string())),
    }
}

/// OCI chain IDs for a list of diff IDs, bottom layer first:
/// chainid(L0) = diffid(L0); chainid(Ln) = sha256(chainid(Ln-1) + " " + diffid(Ln)).
pub fn chain_ids(diff_ids: &[String]) -> Result<Vec<String>, StorageError> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        parse_sha256(diff_id)?;
        let next = match out.last() {
            None => diff_id.clone(),
            Some(parent) => sha256_digest(format!("{parent} {diff_id}").as_bytes()),
        };
        out.push(next);
    }
    Ok(out)
}

/// A reader that hashes and counts every byte read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Reads the rest of the stream (tar archives end before their padding) and returns
    /// (`sha256:<hex>`, total bytes).
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((
            format!("sha256:{}", hex::encode(self.hasher.finalize())),
            self.count,
        ))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn chain_id_follows_oci_definition() {
        let a = sha256_digest(b"a");
        let b = sha256_digest(b"b");
        let ids = chain_ids(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(ids[0], a);
        assert_eq!(ids[1], sha256_digest(format!("{a} {b}").as_bytes()));
        assert!(chain_ids(&["md5:00".to_string()]).is_err());
    }

    #[test]
    fn hashing_reader_hashes_everything() {
        let data = vec![7u8; 100_000];
        let mut r = HashingReader::new(&data[..]);
        let mut first = [0u8; 10];
        r.read_exact(&mut first).unwrap();
        let (d, n) = r.finish().unwrap();
        assert_eq!(n, 100_000);
        assert_eq!(d, sha256_digest(&data));
    }

    #[test]
    fn parse_rejects_bad_digests() {
        assert!(parse_sha256("sha256:abc").is_err());
        assert!(parse_sha256(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(parse_sha256(&format!("sha256:{}", "a".repeat(64))).is_ok());
    }
}
