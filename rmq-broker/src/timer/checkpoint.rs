//! The timer checkpoint `<storePathRootDir>/config/timercheck` (`TimerCheckpoint`).
//!
//! ```text
//! 0  magic u32 | 4 version u32 = 1
//! 8  read_time_ms i64      every slot before this time is loaded and its units delivered
//! 16 queue_offset i64      rmq_sys_wheel_timer queue 0 is in the log up to here
//! 24 log_pos u64           the timer log and wheel are durable up to this log position
//! 32 precision_ms u64      the wheel's slot width when written
//! 40 clean u32             1 only when written at shutdown
//! 44 crc32 u32             of bytes 0..44
//! ```
//! Big-endian; rewritten in place and synced after the log and the wheel. A torn write fails
//! the CRC and the checkpoint counts as missing.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::TimerError;

const MAGIC: u32 = 0x524D_5154;
const VERSION: u32 = 1;
const LEN: usize = 48;

/// The checkpoint's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerCheckpoint {
    pub read_time_ms: i64,
    pub queue_offset: i64,
    pub log_pos: u64,
    pub precision_ms: u64,
    pub clean: bool,
}

impl TimerCheckpoint {
    fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        b[4..8].copy_from_slice(&VERSION.to_be_bytes());
        b[8..16].copy_from_slice(&self.read_time_ms.to_be_bytes());
        b[16..24].copy_from_slice(&self.queue_offset.to_be_bytes());
        b[24..32].copy_from_slice(&self.log_pos.to_be_bytes());
        b[32..40].copy_from_slice(&self.precision_ms.to_be_bytes());
        b[40..44].copy_from_slice(&u32::from(self.clean).to_be_bytes());
        let crc = crc32fast::hash(&b[..44]);
        b[44..48].copy_from_slice(&crc.to_be_bytes());
        b
    }

    fn decode(b: &[u8; LEN]) -> Option<TimerCheckpoint> {
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            u64::from_be_bytes(a)
        };
        if u32_at(0) != MAGIC || u32_at(4) != VERSION || crc32fast::hash(&b[..44]) != u32_at(44) {
            return None;
        }
        Some(TimerCheckpoint {
            read_time_ms: u64_at(8) as i64,
            queue_offset: u64_at(16) as i64,
            log_pos: u64_at(24),
            precision_ms: u64_at(32),
            clean: u32_at(40) == 1,
        })
    }
}

/// The open checkpoint file.
#[derive(Debug)]
pub struct CheckpointFile {
    path: PathBuf,
    file: File,
}

impl CheckpointFile {
    /// Opens (creating) `<root>/config/timercheck`; `None` when absent or invalid.
    ///
    /// # Errors
    /// `Io` when the file cannot be opened.
    pub fn open(root: &Path) -> Result<(CheckpointFile, Option<TimerCheckpoint>), TimerError> {
        let dir = root.join("config");
        std::fs::create_dir_all(&dir).map_err(|e| TimerError::io("create", &dir, e))?;
        let path = dir.join("timercheck");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| TimerError::io("open", &path, e))?;
        let mut b = [0u8; LEN];
        let cp = match file.read_exact_at(&mut b, 0) {
            Ok(()) => {
                let cp = TimerCheckpoint::decode(&b);
                if cp.is_none() {
                    tracing::warn!(path = %path.display(), "timer checkpoint is invalid, ignoring it");
                }
                cp
            }
            Err(_) => None,
        };
        Ok((CheckpointFile { path, file }, cp))
    }

    /// Writes and syncs `cp`.
    ///
    /// # Errors
    /// `Io` when writing or syncing fails.
    pub fn write(&self, cp: &TimerCheckpoint) -> Result<(), TimerError> {
        self.file
            .write_all_at(&cp.encode(), 0)
            .map_err(|e| TimerError::io("write", &self.path, e))?;
        self.file
            .sync_data()
            .map_err(|e| TimerError::io("fdatasync", &self.path, e))
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
        let want = TimerCheckpoint {
            read_time_ms: 5_000,
            queue_offset: 7,
            log_pos: 364,
            precision_ms: 1000,
            clean: true,
        };
        f.write(&want).unwrap();
        drop(f);
        assert_eq!(CheckpointFile::open(dir.path()).unwrap().1, Some(want));
        let path = dir.path().join("config").join("timercheck");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[9] ^= 0xFF;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(CheckpointFile::open(dir.path()).unwrap().1, None);
    }
}
