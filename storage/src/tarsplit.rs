//! Tar-split: what it takes to give back a layer's original tar stream, byte for byte, from
//! its extracted directory. `save` and `push` need it: an image's config names each layer by
//! the digest of its uncompressed tar (diff ID), so a re-made tar with other header bytes
//! would be another image. podman keeps the same kind of record (containers/storage's
//! tar-split); ours is a small file per layer, written in the same pass as the extraction.
//!
//! While a layer extracts, every byte the tar parser reads is recorded except the payloads of
//! regular files, which are recorded as (path in the layer, size) references. Reassembly
//! replays the raw bytes and reads the payloads back from the layer directory, checking the
//! size of each and the diff ID of the whole. This module must never follow a symlink out of
//! the layer directory while reading payloads back, nor open anything but a regular file (a
//! FIFO would block the open forever, a device would be read from its driver).
//!
//! File format (gzip-compressed): a sequence of records, `R` + u32 BE length + bytes, or
//! `F` + u64 BE size + u16 BE path length + path bytes (relative to the layer directory).

use std::cell::RefCell;
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Cursor, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use crate::error::{IoContext, StorageError};

/// Raw runs longer than this are split into several records (keeps the length a u32 and the
/// reassembly buffer small).
const MAX_RAW: usize = 1 << 20;

/// The recording side, shared between the reader the tar parser pulls from and the
/// extractor, which announces each file payload just before reading it.
pub(crate) struct Recorder {
    out: GzEncoder<BufWriter<File>>,
    raw: Vec<u8>,
    /// Bytes of an announced payload still to pass unrecorded.
    payload_left: u64,
    path: PathBuf,
}

pub(crate) type SharedRecorder = Rc<RefCell<Recorder>>;

impl Recorder {
    /// Starts recording into `path` (created).
    pub fn create(path: &Path) -> Result<SharedRecorder, StorageError> {
        let file = File::create(path).ctx("creating", path)?;
        Ok(Rc::new(RefCell::new(Recorder {
            out: GzEncoder::new(BufWriter::new(file), Compression::fast()),
            raw: Vec::new(),
            payload_left: 0,
            path: path.to_path_buf(),
        })))
    }

    fn flush_raw(&mut self) -> io::Result<()> {
        for chunk in self.raw.chunks(MAX_RAW) {
            self.out.write_all(b"R")?;
            self.out.write_all(&(chunk.len() as u32).to_be_bytes())?;
            self.out.write_all(chunk)?;
        }
        self.raw.clear();
        Ok(())
    }

    /// The next `size` bytes the parser reads are the content of `rel` (a path inside the
    /// layer directory): record a reference instead of the bytes.
    pub fn payload(&mut self, rel: &Path, size: u64) -> Result<(), StorageError> {
        if size == 0 {
            return Ok(());
        }
        let name = rel.as_os_str().as_bytes();
        let len = u16::try_from(name.len()).map_err(|_| StorageError::UnsafeEntry {
            layer: self.path.display().to_string(),
            entry: rel.display().to_string(),
            reason: "has a path longer than 65535 bytes".to_string(),
        })?;
        let write = |r: &mut Recorder| -> io::Result<()> {
            r.flush_raw()?;
            r.out.write_all(b"F")?;
            r.out.write_all(&size.to_be_bytes())?;
            r.out.write_all(&len.to_be_bytes())?;
            r.out.write_all(name)
        };
        let path = self.path.clone();
        write(self).ctx("writing", path)?;
        self.payload_left = size;
        Ok(())
    }

    /// Writes what is pending and closes the file.
    pub fn finish(shared: SharedRecorder) -> Result<(), StorageError> {
        let cell = Rc::try_unwrap(shared).map_err(|_| StorageError::Io {
            op: "finishing",
            path: PathBuf::from("tar-split record"),
            source: io::Error::other("recorder still in use"),
        })?;
        let mut r = cell.into_inner();
        let path = r.path.clone();
        r.flush_raw().ctx("writing", &path)?;
        let mut buf = r.out.finish().ctx("writing", &path)?;
        buf.flush().ctx("writing", &path)
    }

    fn saw(&mut self, mut bytes: &[u8]) {
        let skip = usize::try_from(self.payload_left)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        self.payload_left -= skip as u64;
        bytes = &bytes[skip..];
        self.raw.extend_from_slice(bytes);
    }
}

/// The reader the tar parser pulls from: passes bytes through, showing them to the recorder.
pub(crate) struct RecordingReader<R> {
    inner: R,
    recorder: SharedRecorder,
}

impl<R: Read> RecordingReader<R> {
    pub fn new(inner: R, recorder: SharedRecorder) -> Self {
        RecordingReader { inner, recorder }
    }
}

impl<R: Read> Read for RecordingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut r = self.recorder.borrow_mut();
        r.saw(&buf[..n]);
        if r.raw.len() >= MAX_RAW {
            // Surfaces as a read error of the layer, naming the record file.
            let path = r.path.display().to_string();
            r.flush_raw()
                .map_err(|e| io::Error::other(format!("writing {path}: {e}")))?;
        }
        Ok(n)
    }
}

/// Where a layer's record lives: `ROOT/tar-split/HEX.gz`.
pub(crate) fn record_path(root: &Path, hex: &str) -> PathBuf {
    root.join("tar-split").join(format!("{hex}.gz"))
}

/// The original tar stream of a layer, rebuilt from its record and its directory. Reading it
/// to the end checks the diff ID: a layer changed on disk gives an error, never other bytes
/// under the old digest.
pub struct LayerTar {
    records: BufReader<GzDecoder<File>>,
    dir: PathBuf,
    current: Source,
    hasher: Sha256,
    diff_id: String,
    record_path: PathBuf,
    done: bool,
}

enum Source {
    None,
    Raw(Cursor<Vec<u8>>),
    File {
        file: io::Take<File>,
        path: PathBuf,
        left: u64,
    },
}

impl LayerTar {
    /// Opens the record of a layer extracted in `dir` whose diff ID is `diff_id`.
    pub(crate) fn open(record: &Path, dir: &Path, diff_id: &str) -> Result<LayerTar, StorageError> {
        let file = match File::open(record) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StorageError::NoTarSplit(diff_id.to_string()));
            }
            Err(e) => return Err(StorageError::io("opening", record, e)),
        };
        Ok(LayerTar {
            records: BufReader::new(GzDecoder::new(file)),
            dir: dir.to_path_buf(),
            current: Source::None,
            hasher: Sha256::new(),
            diff_id: diff_id.to_string(),
            record_path: record.to_path_buf(),
            done: false,
        })
    }

    fn corrupt(&self, why: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "layer {}: record {} {why}",
                self.diff_id,
                self.record_path.display()
            ),
        )
    }

    fn not_regular(&self, path: &Path) -> io::Error {
        self.corrupt(&format!(
            "expects a regular file at {}, the layer has something else there: a later entry replaced it, or the layer changed after it was stored",
            path.display()
        ))
    }

    /// Loads the next record into `current`; false at the end of the record file.
    fn next_record(&mut self) -> io::Result<bool> {
        let mut tag = [0u8; 1];
        if self.records.read(&mut tag)? == 0 {
            return Ok(false);
        }
        match tag[0] {
            b'R' => {
                let mut len = [0u8; 4];
                self.records.read_exact(&mut len)?;
                let len = u32::from_be_bytes(len) as usize;
                if len > MAX_RAW {
                    return Err(self.corrupt("has an oversized raw record"));
                }
                let mut raw = vec![0u8; len];
                self.records.read_exact(&mut raw)?;
                self.current = Source::Raw(Cursor::new(raw));
            }
            b'F' => {
                let mut size = [0u8; 8];
                self.records.read_exact(&mut size)?;
                let size = u64::from_be_bytes(size);
                let mut len = [0u8; 2];
                self.records.read_exact(&mut len)?;
                let mut name = vec![0u8; u16::from_be_bytes(len) as usize];
                self.records.read_exact(&mut name)?;
                let path = self.payload_path(OsStr::from_bytes(&name))?;
                // A later entry of the layer may have put a FIFO or a device where the file
                // was: opening a FIFO for reading waits for a writer (forever), opening a
                // device talks to its driver. Only a regular file is opened, and O_NONBLOCK
                // keeps even a FIFO swapped in after the check from blocking the open.
                if !fs::symlink_metadata(&path)?.is_file() {
                    return Err(self.not_regular(&path));
                }
                let file = OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
                    .open(&path)?;
                let meta = file.metadata()?;
                if !meta.is_file() {
                    return Err(self.not_regular(&path));
                }
                let actual = meta.len();
                if actual != size {
                    return Err(self.corrupt(&format!(
                        "expects {size} bytes in {}, the layer has {actual}: the layer changed after it was stored",
                        path.display()
                    )));
                }
                self.current = Source::File {
                    file: file.take(size),
                    path,
                    left: size,
                };
            }
            _ => return Err(self.corrupt("is damaged")),
        }
        Ok(true)
    }

    /// `dir/rel`, refusing any component that is not a real directory (a symlink could lead
    /// out of the layer).
    fn payload_path(&self, rel: &OsStr) -> io::Result<PathBuf> {
        let rel = Path::new(rel);
        let mut path = self.dir.clone();
        let comps: Vec<_> = rel.components().collect();
        for (i, c) in comps.iter().enumerate() {
            match c {
                std::path::Component::Normal(n) => path.push(n),
                _ => return Err(self.corrupt("names a path outside the layer")),
            }
            if i + 1 < comps.len() && !fs::symlink_metadata(&path)?.is_dir() {
                return Err(self.corrupt("names a path through a non-directory"));
            }
        }
        Ok(path)
    }

    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = match &mut self.current {
                Source::None => 0,
                Source::Raw(c) => c.read(buf)?,
                Source::File { file, path, left } => {
                    let n = file.read(buf)?;
                    if n == 0 && *left > 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("{} shrank while being read", path.display()),
                        ));
                    }
                    *left -= n as u64;
                    n
                }
            };
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            if !self.next_record()? {
                return Ok(0);
            }
        }
    }
}

impl Read for LayerTar {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.read_inner(buf)?;
        self.hasher.update(&buf[..n]);
        if n == 0 && !buf.is_empty() {
            self.done = true;
            let actual = format!("sha256:{}", hex::encode(self.hasher.clone().finalize()));
            if actual != self.diff_id {
                return Err(self.corrupt(&format!(
                    "rebuilt a tar with digest {actual}: the layer changed after it was stored"
                )));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_skipped_and_raw_bytes_kept() {
        let t = tempfile::tempdir().unwrap();
        let rec = Recorder::create(&t.path().join("r.gz")).unwrap();
        fs::write(t.path().join("f"), b"PAYLOAD").unwrap();
        let stream = b"HEADPAYLOADTAIL".to_vec();
        let mut reader = RecordingReader::new(&stream[..], rec.clone());
        let mut head = [0u8; 4];
        reader.read_exact(&mut head).unwrap();
        rec.borrow_mut().payload(Path::new("f"), 7).unwrap();
        io::copy(&mut reader, &mut io::sink()).unwrap();
        drop(reader);
        Recorder::finish(rec).unwrap();
        let digest = crate::digest::sha256_digest(&stream);
        let mut out = Vec::new();
        LayerTar::open(&t.path().join("r.gz"), t.path(), &digest)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, stream);
    }

    #[test]
    fn a_changed_file_is_an_error_not_other_bytes() {
        let t = tempfile::tempdir().unwrap();
        let rec = Recorder::create(&t.path().join("r.gz")).unwrap();
        fs::write(t.path().join("f"), b"PAYLOAD").unwrap();
        let stream = b"HPAYLOAD".to_vec();
        let mut reader = RecordingReader::new(&stream[..], rec.clone());
        let mut head = [0u8; 1];
        reader.read_exact(&mut head).unwrap();
        rec.borrow_mut().payload(Path::new("f"), 7).unwrap();
        io::copy(&mut reader, &mut io::sink()).unwrap();
        drop(reader);
        Recorder::finish(rec).unwrap();
        fs::write(t.path().join("f"), b"PAYLOAd").unwrap();
        let digest = crate::digest::sha256_digest(&stream);
        let mut out = Vec::new();
        let err = LayerTar::open(&t.path().join("r.gz"), t.path(), &digest)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(err.to_string().contains("changed"), "{err}");
    }

    #[test]
    fn payload_paths_cannot_leave_the_layer() {
        let t = tempfile::tempdir().unwrap();
        let layer = t.path().join("layer");
        fs::create_dir(&layer).unwrap();
        std::os::unix::fs::symlink("/etc", layer.join("d")).unwrap();
        let rec = Recorder::create(&t.path().join("r.gz")).unwrap();
        let stream = b"Hxxxxxxxxx".to_vec();
        let mut reader = RecordingReader::new(&stream[..], rec.clone());
        let mut head = [0u8; 1];
        reader.read_exact(&mut head).unwrap();
        rec.borrow_mut().payload(Path::new("d/passwd"), 9).unwrap();
        io::copy(&mut reader, &mut io::sink()).unwrap();
        drop(reader);
        Recorder::finish(rec).unwrap();
        let digest = crate::digest::sha256_digest(&stream);
        let mut out = Vec::new();
        let err = LayerTar::open(&t.path().join("r.gz"), &layer, &digest)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(err.to_string().contains("non-directory"), "{err}");
    }
}
