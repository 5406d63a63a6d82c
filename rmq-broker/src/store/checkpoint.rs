//! The `checkpoint` file in `storePathRootDir`: where recovery may start, and whether the last
//! shutdown was clean.
//!
//! ```text
//! 0  magic "RMQC" u32 | 4 version u32 = 1
//! 8  commit_log_flushed_offset i64   everything below is durable in the commit log
//! 16 logics_offset i64               consume-queue and index entries of every record below
//!                                    this commit-log offset are durable
//! 24 timestamp i64                   when this checkpoint was written (ms)
//! 32 clean_shutdown u32              1 only when written by shutdown
//! 36 crc32 u32                       of bytes 0..36
//! ```
//! All big-endian. The 40 bytes are rewritten in place and synced; a torn write fails the CRC
//! and the file is treated as missing (recovery then starts at the first segment).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::error::StoreError;
use super::sys;

const MAGIC: u32 = 0x524D_5143;
const VERSION: u32 = 1;
const LEN: usize = 40;

/// The checkpoint's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub commit_log_flushed_offset: u64,
    pub logics_offset: u64,
    pub timestamp: i64,
    pub clean_shutdown: bool,
}

impl Checkpoint {
    fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        b[4..8].copy_from_slice(&VERSION.to_be_bytes());
        b[8..16].copy_from_slice(&self.commit_log_flushed_offset.to_be_bytes());
        b[16..24].copy_from_slice(&self.logics_offset.to_be_bytes());
        b[24..32].copy_from_slice(&self.timestamp.to_be_bytes());
        b[32..36].copy_from_slice(&u32::from(self.clean_shutdown).to_be_bytes());
        let crc = crc32fast::hash(&b[..36]);
        b[36..40].copy_from_slice(&crc.to_be_bytes());
        b
    }

    fn decode(b: &[u8; LEN]) -> Option<Checkpoint> {
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            u64::from_be_bytes(a)
        };
        if u32_at(0) != MAGIC || u32_at(4) != VERSION || crc32fast::hash(&b[..36]) != u32_at(36) {
            return None;
        }
        Some(Checkpoint {
            commit_log_flushed_offset: u64_at(8),
            logics_offset: u64_at(16),
            timestamp: u64_at(24) as i64,
            clean_shutdown: u32_at(32) == 1,
        })
    }
}

/// The open checkpoint file.
#[derive(Debug)]
pub struct CheckpointFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl CheckpointFile {
    /// Opens (creating) `<root>/checkpoint` and reads it; `None` when absent or invalid.
    ///
    /// # Errors
    /// `Io` when the file cannot be opened.
    pub fn open(root: &Path) -> Result<(Self, Option<Checkpoint>), StoreError> {
        let path = root.join("checkpoint");
        let file = sys::open_rw(&path, true)?;
        let mut b = [0u8; LEN];
        let cp = match file.read_exact_at(&mut b, 0) {
            Ok(()) => {
                let cp = Checkpoint::decode(&b);
                if cp.is_none() {
                    tracing::warn!(path = %path.display(), "checkpoint is invalid, ignoring it");
                }
                cp
            }
            Err(_) => None,
        };
        Ok((
            CheckpointFile {
                path,
                file: Mutex::new(file),
            },
            cp,
        ))
    }

    /// Writes and syncs `cp`.
    ///
    /// # Errors
    /// `Io` when writing or syncing fails.
    pub fn write(&self, cp: &Checkpoint) -> Result<(), StoreError> {
        let f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all_at(&cp.encode(), 0)
            .map_err(|e| StoreError::io("write", &self.path, Some(0), e))?;
        f.sync_data()
            .map_err(|e| StoreError::io("fdatasync", &self.path, None, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_torn_writes() {
        let dir = tempfile::tempdir().unwrap();
        let (f, cp) = CheckpointFile::open(dir.path()).unwrap();
        assert_eq!(cp, None);
        let want = Checkpoint {
            commit_log_flushed_offset: 4096,
            logics_offset: 1000,
            timestamp: 123,
            clean_shutdown: true,
        };
        f.write(&want).unwrap();
        drop(f);
        let (_, cp) = CheckpointFile::open(dir.path()).unwrap();
        assert_eq!(cp, Some(want));
        let mut bytes = std::fs::read(dir.path().join("checkpoint")).unwrap();
        bytes[10] ^= 0xFF;
        std::fs::write(dir.path().join("checkpoint"), bytes).unwrap();
        let (_, cp) = CheckpointFile::open(dir.path()).unwrap();
        assert_eq!(cp, None);
    }
}
