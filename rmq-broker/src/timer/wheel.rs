//! The timer wheel: a file of fixed 32-byte slots, one per `timerPrecisionMs`, indexed by
//! delivery time modulo the slot count (`TimerWheel`). A slot holds the first and last log
//! unit of the messages due in it; the units link backwards through `prev_pos`.
//!
//! ```text
//! 0  time_ms i64     the slot's start time (a slot of another time is empty)
//! 8  first_pos i64   first unit in the log
//! 16 last_pos i64    last unit (the chain's head)
//! 24 num i32         units linked
//! 28 magic i32
//! ```
//! Big-endian. Read and written with positioned I/O: the file stays in the page cache, not
//! in the broker's memory.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::TimerError;

/// Bytes per slot.
pub const SLOT_SIZE: u64 = 32;
const MAGIC: i32 = 0x7157_0001;

/// One wheel slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub time_ms: i64,
    pub first_pos: i64,
    pub last_pos: i64,
    pub num: i32,
}

impl Slot {
    /// An empty slot for `time_ms`.
    pub fn empty(time_ms: i64) -> Slot {
        Slot {
            time_ms,
            first_pos: -1,
            last_pos: -1,
            num: 0,
        }
    }
}

/// The open wheel file.
#[derive(Debug)]
pub struct TimerWheel {
    path: PathBuf,
    file: File,
    slots: u64,
    precision_ms: i64,
}

impl TimerWheel {
    /// Opens (creating, sparse) `<root>/timerwheel` with `slots` slots of `precision_ms`.
    ///
    /// # Errors
    /// `Io` when the file cannot be opened or sized.
    pub fn open(root: &Path, slots: u64, precision_ms: u64) -> Result<TimerWheel, TimerError> {
        let path = root.join("timerwheel");
        let file = super::log::open_file(&path)?;
        let want = slots * SLOT_SIZE;
        let len = file
            .metadata()
            .map_err(|e| TimerError::io("stat", &path, e))?
            .len();
        if len != want {
            file.set_len(want)
                .map_err(|e| TimerError::io("size", &path, e))?;
        }
        Ok(TimerWheel {
            path,
            file,
            slots,
            precision_ms: precision_ms as i64,
        })
    }

    /// Empties every slot (before a rebuild from the log).
    ///
    /// # Errors
    /// `Io` when the file cannot be resized.
    pub fn clear(&self) -> Result<(), TimerError> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.set_len(self.slots * SLOT_SIZE))
            .map_err(|e| TimerError::io("clear", &self.path, e))
    }

    fn offset_of(&self, time_ms: i64) -> u64 {
        let n = time_ms.div_euclid(self.precision_ms) as u64 % self.slots;
        n * SLOT_SIZE
    }

    /// The slot starting at `time_ms` (empty when the stored slot is of another time).
    ///
    /// # Errors
    /// `Io` when reading fails.
    pub fn get(&self, time_ms: i64) -> Result<Slot, TimerError> {
        let mut b = [0u8; SLOT_SIZE as usize];
        self.file
            .read_exact_at(&mut b, self.offset_of(time_ms))
            .map_err(|e| TimerError::io("read", &self.path, e))?;
        let i64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            i64::from_be_bytes(a)
        };
        let i32_at = |i: usize| i32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        if i32_at(28) != MAGIC || i64_at(0) != time_ms {
            return Ok(Slot::empty(time_ms));
        }
        Ok(Slot {
            time_ms,
            first_pos: i64_at(8),
            last_pos: i64_at(16),
            num: i32_at(24),
        })
    }

    /// Writes `slot` at its time's place.
    ///
    /// # Errors
    /// `Io` when writing fails.
    pub fn put(&self, slot: &Slot) -> Result<(), TimerError> {
        let mut b = [0u8; SLOT_SIZE as usize];
        b[0..8].copy_from_slice(&slot.time_ms.to_be_bytes());
        b[8..16].copy_from_slice(&slot.first_pos.to_be_bytes());
        b[16..24].copy_from_slice(&slot.last_pos.to_be_bytes());
        b[24..28].copy_from_slice(&slot.num.to_be_bytes());
        b[28..32].copy_from_slice(&MAGIC.to_be_bytes());
        self.file
            .write_all_at(&b, self.offset_of(slot.time_ms))
            .map_err(|e| TimerError::io("write", &self.path, e))
    }

    /// Makes the written slots durable.
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

    #[test]
    fn slots_round_trip_and_other_times_read_empty() {
        let dir = tempfile::tempdir().unwrap();
        let w = TimerWheel::open(dir.path(), 10, 1000).unwrap();
        let s = Slot {
            time_ms: 3_000,
            first_pos: 0,
            last_pos: 52,
            num: 2,
        };
        w.put(&s).unwrap();
        assert_eq!(w.get(3_000).unwrap(), s);
        // Same index, another lap of the wheel.
        assert_eq!(w.get(13_000).unwrap(), Slot::empty(13_000));
        w.clear().unwrap();
        assert_eq!(w.get(3_000).unwrap(), Slot::empty(3_000));
    }
}
