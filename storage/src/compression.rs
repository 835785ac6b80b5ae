//! Detects how a stream is compressed from its first bytes and returns a reader of the
//! plain bytes. gzip and zstd are supported; xz and bzip2 are recognised and refused with a
//! clear error (podman reads them only in legacy docker archives). This module must never seek: inputs may be pipes (stdin).

use std::io::{self, Cursor, Read};

use flate2::read::MultiGzDecoder;

use crate::error::StorageError;

/// What the magic bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
}

impl Compression {
    fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Compression::Xz
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else {
            Compression::None
        }
    }
}

/// Reads up to `n` bytes (fewer only at end of stream).
fn read_head<R: Read>(reader: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    reader.by_ref().take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Wraps `reader` so that it yields uncompressed bytes. `what` names the stream in errors.
pub fn decompress<'a, R: Read + 'a>(
    mut reader: R,
    what: &str,
) -> Result<Box<dyn Read + 'a>, StorageError> {
    let head = read_head(&mut reader, 6).map_err(|source| StorageError::Read {
        what: what.to_string(),
        source,
    })?;
    let kind = Compression::detect(&head);
    let whole = Cursor::new(head).chain(reader);
    let format = match kind {
        Compression::None => return Ok(Box::new(whole)),
        Compression::Gzip => return Ok(Box::new(MultiGzDecoder::new(whole))),
        Compression::Zstd => {
            let dec =
                zstd::stream::read::Decoder::new(whole).map_err(|source| StorageError::Read {
                    what: what.to_string(),
                    source,
                })?;
            return Ok(Box::new(dec));
        }
        Compression::Xz => "xz",
        Compression::Bzip2 => "bzip2",
    };
    Err(StorageError::UnsupportedCompression {
        format,
        what: what.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    #[test]
    fn passes_plain_and_inflates_gzip() {
        let data = b"hello tar world".to_vec();
        let mut out = Vec::new();
        decompress(&data[..], "x")
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);

        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&data).unwrap();
        let gz = enc.finish().unwrap();
        let mut out = Vec::new();
        decompress(&gz[..], "x")
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn inflates_zstd() {
        let data = b"zstd layer bytes".repeat(100);
        let z = zstd::encode_all(&data[..], 3).unwrap();
        let mut out = Vec::new();
        decompress(&z[..], "x")
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn short_and_unsupported_inputs() {
        let mut out = Vec::new();
        decompress(&b"a"[..], "x")
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"a");
        let err = decompress(&[0xfdu8, b'7', b'z', b'X', b'Z', 0][..], "layer.tar")
            .err()
            .unwrap();
        assert!(err.to_string().contains("xz"), "{err}");
    }
}
