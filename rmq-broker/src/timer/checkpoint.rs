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
use std::path::{Path, PathBuf};

use super::TimerError;
use crate::store::sealed::{self, Sealer, Unsealed};

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
        Sealer::<LEN>::new(MAGIC, VERSION)
            .i64(self.read_time_ms)
            .i64(self.queue_offset)
            .u64(self.log_pos)
            .u64(self.precision_ms)
            .u32(u32::from(self.clean))
            .seal()
    }

    fn decode(b: &[u8; LEN]) -> Option<TimerCheckpoint> {
        let mut r = Unsealed::open(b, MAGIC, VERSION)?;
        Some(TimerCheckpoint {
            read_time_ms: r.i64(),
            queue_offset: r.i64(),
            log_pos: r.u64(),
            precision_ms: r.u64(),
            clean: r.u32() == 1,
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
        let file = super::log::open_file(&path)?;
        let cp = sealed::load(&file, &path, "timer checkpoint", TimerCheckpoint::decode);
        Ok((CheckpointFile { path, file }, cp))
    }

    /// Writes and syncs `cp`.
    ///
    /// # Errors
    /// `Io` when writing or syncing fails.
    pub fn write(&self, cp: &TimerCheckpoint) -> Result<(), TimerError> {
        sealed::store(&self.file, &cp.encode()).map_err(|(op, e)| TimerError::io(op, &self.path, e))
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
