//! The timer log: an append-only file of fixed 52-byte units, one per timer message, each
//! linked to the previous unit of the same wheel slot (`TimerLog`).
//!
//! ```text
//! 0  size i32 = 52
//! 4  prev_pos i64          the previous unit of the same slot (-1: none)
//! 12 magic i32             PENDING, or DELIVERED once the message was re-put
//! 16 enqueue_ms i64        when the unit was appended
//! 24 deliver_ms i64        the message's delivery time
//! 32 offset_py i64         commit-log offset of the parked message
//! 40 size_py i32           its record size
//! 44 queue_offset i64      its offset in rmq_sys_wheel_timer queue 0
//! ```
//! Big-endian. A unit is written once, then only its magic changes (to DELIVERED).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::TimerError;

/// Bytes per unit.
pub const UNIT_SIZE: u64 = 52;
const MAGIC_PENDING: i32 = 0x7131_0001;
const MAGIC_DELIVERED: i32 = 0x7131_0002;
const MAGIC_OFFSET: u64 = 12;

/// One timer-log unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogUnit {
    pub prev_pos: i64,
    pub delivered: bool,
    pub enqueue_ms: i64,
    pub deliver_ms: i64,
    pub offset_py: i64,
    pub size_py: i32,
    pub queue_offset: i64,
}

impl LogUnit {
    fn encode(&self) -> [u8; UNIT_SIZE as usize] {
        let mut b = [0u8; UNIT_SIZE as usize];
        b[0..4].copy_from_slice(&(UNIT_SIZE as i32).to_be_bytes());
        b[4..12].copy_from_slice(&self.prev_pos.to_be_bytes());
        let magic = if self.delivered {
            MAGIC_DELIVERED
        } else {
            MAGIC_PENDING
        };
        b[12..16].copy_from_slice(&magic.to_be_bytes());
        b[16..24].copy_from_slice(&self.enqueue_ms.to_be_bytes());
        b[24..32].copy_from_slice(&self.deliver_ms.to_be_bytes());
        b[32..40].copy_from_slice(&self.offset_py.to_be_bytes());
        b[40..44].copy_from_slice(&self.size_py.to_be_bytes());
        b[44..52].copy_from_slice(&self.queue_offset.to_be_bytes());
        b
    }

    fn decode(b: &[u8; UNIT_SIZE as usize]) -> Option<LogUnit> {
        let i32_at = |i: usize| i32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let i64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            i64::from_be_bytes(a)
        };
        if i32_at(0) != UNIT_SIZE as i32 {
            return None;
        }
        let delivered = match i32_at(12) {
            MAGIC_PENDING => false,
            MAGIC_DELIVERED => true,
            _ => return None,
        };
        Some(LogUnit {
            prev_pos: i64_at(4),
            delivered,
            enqueue_ms: i64_at(16),
            deliver_ms: i64_at(24),
            offset_py: i64_at(32),
            size_py: i32_at(40),
            queue_offset: i64_at(44),
        })
    }
}

/// The open timer log.
#[derive(Debug)]
pub struct TimerLog {
    path: PathBuf,
    file: File,
    end: u64,
}

impl TimerLog {
    /// Opens (creating) `<root>/timerlog/00000000000000000000`. The end is the file length
    /// rounded down to whole units; [`recover_tail`](Self::recover_tail) checks the units.
    ///
    /// # Errors
    /// `Io` when the directory or file cannot be created or read.
    pub fn open(root: &Path) -> Result<TimerLog, TimerError> {
        let dir = root.join("timerlog");
        std::fs::create_dir_all(&dir).map_err(|e| TimerError::io("create", &dir, e))?;
        let path = dir.join(format!("{:020}", 0));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| TimerError::io("open", &path, e))?;
        let len = file
            .metadata()
            .map_err(|e| TimerError::io("stat", &path, e))?
            .len();
        Ok(TimerLog {
            path,
            file,
            end: len / UNIT_SIZE * UNIT_SIZE,
        })
    }

    /// The position the next unit is written at.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Reads the unit at `pos`; `None` past the end, misaligned or not a valid unit.
    ///
    /// # Errors
    /// `Io` when reading fails.
    pub fn read(&self, pos: i64) -> Result<Option<LogUnit>, TimerError> {
        let Ok(p) = u64::try_from(pos) else {
            return Ok(None);
        };
        if p % UNIT_SIZE != 0 || p + UNIT_SIZE > self.end {
            return Ok(None);
        }
        let mut b = [0u8; UNIT_SIZE as usize];
        self.file
            .read_exact_at(&mut b, p)
            .map_err(|e| TimerError::io("read", &self.path, e))?;
        Ok(LogUnit::decode(&b))
    }

    /// Appends `unit`; returns its position.
    ///
    /// # Errors
    /// `Io` when writing fails.
    pub fn append(&mut self, unit: &LogUnit) -> Result<i64, TimerError> {
        let pos = self.end;
        self.file
            .write_all_at(&unit.encode(), pos)
            .map_err(|e| TimerError::io("write", &self.path, e))?;
        self.end += UNIT_SIZE;
        Ok(pos as i64)
    }

    /// Marks the unit at `pos` delivered.
    ///
    /// # Errors
    /// `Io` when writing fails.
    pub fn mark_delivered(&self, pos: i64) -> Result<(), TimerError> {
        let Ok(p) = u64::try_from(pos) else {
            return Ok(());
        };
        self.file
            .write_all_at(&MAGIC_DELIVERED.to_be_bytes(), p + MAGIC_OFFSET)
            .map_err(|e| TimerError::io("write", &self.path, e))
    }

    /// Rewrites the `prev_pos` of the unit at `pos` (relinking during recovery).
    ///
    /// # Errors
    /// `Io` when writing fails.
    pub fn set_prev(&self, pos: i64, prev_pos: i64) -> Result<(), TimerError> {
        let Ok(p) = u64::try_from(pos) else {
            return Ok(());
        };
        self.file
            .write_all_at(&prev_pos.to_be_bytes(), p + 4)
            .map_err(|e| TimerError::io("write", &self.path, e))
    }

    /// Checks the units from `from` to the end; cuts the log at the first invalid one (a torn
    /// tail) and returns the valid units after `from` with their positions.
    ///
    /// # Errors
    /// `Io` when reading or truncating fails.
    pub fn recover_tail(&mut self, from: u64) -> Result<Vec<(i64, LogUnit)>, TimerError> {
        let mut out = Vec::new();
        let mut pos = from.min(self.end) / UNIT_SIZE * UNIT_SIZE;
        while pos < self.end {
            match self.read(pos as i64)? {
                Some(u) => out.push((pos as i64, u)),
                None => {
                    tracing::warn!(path = %self.path.display(), pos, end = self.end, "timer log: invalid unit, cutting the tail");
                    self.file
                        .set_len(pos)
                        .map_err(|e| TimerError::io("truncate", &self.path, e))?;
                    self.end = pos;
                    break;
                }
            }
            pos += UNIT_SIZE;
        }
        Ok(out)
    }

    /// Makes the written units durable.
    ///
    /// # Errors
    /// `Io` when syncing fails.
    pub fn sync(&self) -> Result<(), TimerError> {
        self.file
            .sync_data()
            .map_err(|e| TimerError::io("fdatasync", &self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(q: i64) -> LogUnit {
        LogUnit {
            prev_pos: -1,
            delivered: false,
            enqueue_ms: 1,
            deliver_ms: 2_000 + q,
            offset_py: 100 * q,
            size_py: 90,
            queue_offset: q,
        }
    }

    #[test]
    fn appends_marks_and_cuts_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = TimerLog::open(dir.path()).unwrap();
        let a = log.append(&unit(0)).unwrap();
        let b = log.append(&unit(1)).unwrap();
        assert_eq!((a, b), (0, UNIT_SIZE as i64));
        log.mark_delivered(a).unwrap();
        assert!(log.read(a).unwrap().unwrap().delivered);
        assert_eq!(log.read(b).unwrap(), Some(unit(1)));
        assert_eq!(log.read(2 * UNIT_SIZE as i64).unwrap(), None);
        drop(log);
        // A torn third unit: zeros where its magic should be.
        let path = dir.path().join("timerlog").join(format!("{:020}", 0));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[0u8; UNIT_SIZE as usize]);
        std::fs::write(&path, bytes).unwrap();
        let mut log = TimerLog::open(dir.path()).unwrap();
        assert_eq!(log.end(), 3 * UNIT_SIZE);
        let tail = log.recover_tail(UNIT_SIZE).unwrap();
        assert_eq!(tail, vec![(b, unit(1))]);
        assert_eq!(log.end(), 2 * UNIT_SIZE);
    }
}
