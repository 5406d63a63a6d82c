//! Sealed fixed-size records, as the store's and the timer's checkpoints keep them:
//!
//! ```text
//! 0  magic u32 | 4 version u32 | 8 big-endian words ... | LEN-4 crc32 u32 of bytes 0..LEN-4
//! ```
//!
//! Rewritten in place at offset 0 and synced; a torn write fails the CRC and the record counts
//! as missing.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Builds a sealed record: magic and version first, then the words in order, then the CRC.
#[derive(Debug)]
pub struct Sealer<const LEN: usize> {
    buf: [u8; LEN],
    pos: usize,
}

impl<const LEN: usize> Sealer<LEN> {
    /// A record starting with `magic` and `version`.
    pub fn new(magic: u32, version: u32) -> Self {
        let mut s = Sealer {
            buf: [0u8; LEN],
            pos: 0,
        };
        s.put(&magic.to_be_bytes());
        s.put(&version.to_be_bytes());
        s
    }

    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }

    /// Appends a big-endian `u32`.
    pub fn u32(mut self, v: u32) -> Self {
        self.put(&v.to_be_bytes());
        self
    }

    /// Appends a big-endian `u64`.
    pub fn u64(mut self, v: u64) -> Self {
        self.put(&v.to_be_bytes());
        self
    }

    /// Appends a big-endian `i64`.
    pub fn i64(mut self, v: i64) -> Self {
        self.put(&v.to_be_bytes());
        self
    }

    /// The record with its CRC in the last 4 bytes.
    pub fn seal(mut self) -> [u8; LEN] {
        debug_assert_eq!(
            self.pos,
            LEN - 4,
            "the words must fill the record up to its CRC"
        );
        let crc = crc32fast::hash(&self.buf[..LEN - 4]);
        self.buf[LEN - 4..].copy_from_slice(&crc.to_be_bytes());
        self.buf
    }
}

/// Reads the words of a record whose magic, version and CRC checked out.
#[derive(Debug)]
pub struct Unsealed<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Unsealed<'a> {
    /// The words after magic and version; `None` when the magic, the version or the CRC is
    /// wrong.
    pub fn open<const LEN: usize>(b: &'a [u8; LEN], magic: u32, version: u32) -> Option<Self> {
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        if u32_at(0) != magic
            || u32_at(4) != version
            || crc32fast::hash(&b[..LEN - 4]) != u32_at(LEN - 4)
        {
            return None;
        }
        Some(Unsealed { buf: b, pos: 8 })
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        a
    }

    /// The next big-endian `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }

    /// The next big-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take())
    }

    /// The next big-endian `i64`.
    pub fn i64(&mut self) -> i64 {
        i64::from_be_bytes(self.take())
    }
}

/// Reads and decodes the record at offset 0 of `file` (opened from `path`); `None` when the
/// file is too short, and `None` with a warning naming `what` when `decode` refuses it.
pub fn load<T, const LEN: usize>(
    file: &File,
    path: &Path,
    what: &str,
    decode: impl FnOnce(&[u8; LEN]) -> Option<T>,
) -> Option<T> {
    let mut b = [0u8; LEN];
    file.read_exact_at(&mut b, 0).ok()?;
    let v = decode(&b);
    if v.is_none() {
        tracing::warn!(path = %path.display(), "{what} is invalid, ignoring it");
    }
    v
}

/// Writes `record` at offset 0 of `file` and syncs it.
///
/// # Errors
/// The failed operation (`"write"` or `"fdatasync"`) and its error.
pub fn store(file: &File, record: &[u8]) -> Result<(), (&'static str, io::Error)> {
    file.write_all_at(record, 0).map_err(|e| ("write", e))?;
    file.sync_data().map_err(|e| ("fdatasync", e))
}
