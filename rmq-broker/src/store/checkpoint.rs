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
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::error::StoreError;
use super::sealed::{self, Sealer, Unsealed};
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
        Sealer::<LEN>::new(MAGIC, VERSION)
            .u64(self.commit_log_flushed_offset)
            .u64(self.logics_offset)
            .i64(self.timestamp)
            .u32(u32::from(self.clean_shutdown))
            .seal()
    }

    fn decode(b: &[u8; LEN]) -> Option<Checkpoint> {
        let mut r = Unsealed::open(b, MAGIC, VERSION)?;
        Some(Checkpoint {
            commit_log_flushed_offset: r.u64(),
            logics_offset: r.u64(),
            timestamp: r.i64(),
            clean_shutdown: r.u32() == 1,
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
        let cp = sealed::load(&file, &path, "checkpoint", Checkpoint::decode);
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
        sealed::store(&f, &cp.encode()).map_err(|(op, e)| {
            let at = (op == "write").then_some(0);
            StoreError::io(op, &self.path, at, e)
        })
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
