//! The media type of a file added to an artifact without `--file-type`: the first 512 bytes
//! read as Go's `http.DetectContentType` reads them (podman's detection), for the signatures
//! artifacts commonly hold. Anything unrecognised is `application/octet-stream`.

/// Bytes looked at, as in Go.
pub const SNIFF_LEN: usize = 512;

const TEXT: &str = "text/plain; charset=utf-8";
const BINARY: &str = "application/octet-stream";

/// Exact prefixes and their types, in Go's order of precedence.
const PREFIXES: &[(&[u8], &str)] = &[
    (b"%PDF-", "application/pdf"),
    (b"%!PS-Adobe-", "application/postscript"),
    (b"\xFE\xFF", "text/plain; charset=utf-16be"),
    (b"\xFF\xFE", "text/plain; charset=utf-16le"),
    (b"\xEF\xBB\xBF", TEXT),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
    (b"\xFF\xD8\xFF", "image/jpeg"),
    (b"BM", "image/bmp"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
    (b"OggS\x00", "application/ogg"),
    (b"\x1F\x8B\x08", "application/x-gzip"),
    (b"PK\x03\x04", "application/zip"),
    (b"Rar!\x1A\x07\x00", "application/x-rar-compressed"),
    (b"Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"),
    (b"7z\xBC\xAF\x27\x1C", "application/x-7z-compressed"),
    (b"\x00\x61\x73\x6D", "application/wasm"),
];

/// HTML tags Go recognises (case-insensitive, followed by a space or `>`).
const HTML_TAGS: &[&str] = &[
    "<!DOCTYPE HTML",
    "<HTML",
    "<HEAD",
    "<SCRIPT",
    "<IFRAME",
    "<H1",
    "<DIV",
    "<FONT",
    "<TABLE",
    "<A",
    "<STYLE",
    "<TITLE",
    "<B",
    "<BODY",
    "<BR",
    "<P",
    "<!--",
];

/// The media type of a file starting with `data` (at most [`SNIFF_LEN`] bytes are used).
pub fn detect(data: &[u8]) -> &'static str {
    let data = &data[..data.len().min(SNIFF_LEN)];
    // Go skips leading white space for the markup signatures only.
    let ws = data
        .iter()
        .position(|b| !matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | b' '))
        .unwrap_or(data.len());
    let trimmed = &data[ws..];
    for tag in HTML_TAGS {
        let t = tag.as_bytes();
        if trimmed.len() > t.len()
            && trimmed[..t.len()].eq_ignore_ascii_case(t)
            && matches!(trimmed[t.len()], b' ' | b'>')
        {
            return "text/html; charset=utf-8";
        }
    }
    if trimmed.starts_with(b"<?xml") {
        return "text/xml; charset=utf-8";
    }
    for (prefix, kind) in PREFIXES {
        if data.starts_with(prefix) {
            return kind;
        }
    }
    if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        return "image/webp";
    }
    if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WAVE" {
        return "audio/wave";
    }
    // Go's text rule: no byte that is a control character other than white space and ESC.
    let binary = data
        .iter()
        .any(|&b| matches!(b, 0x00..=0x08 | 0x0B | 0x0E..=0x1A | 0x1C..=0x1F));
    if binary { BINARY } else { TEXT }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_as_go_detects_them() {
        assert_eq!(detect(b"hello\n"), TEXT);
        assert_eq!(detect(b""), TEXT);
        assert_eq!(detect(b"\x7FELF\x02\x01\x01\x00"), BINARY);
        assert_eq!(detect(b"\x1F\x8B\x08\x00rest"), "application/x-gzip");
        assert_eq!(detect(b"  <html><body>"), "text/html; charset=utf-8");
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?>"),
            "text/xml; charset=utf-8"
        );
        assert_eq!(detect(b"%PDF-1.7"), "application/pdf");
        assert_eq!(detect(b"PK\x03\x04zip"), "application/zip");
    }
}
