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

use std::collections::BTreeMap;
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

/// One file of the log: units `start..start + len`.
#[derive(Debug)]
struct Segment {
    path: PathBuf,
    file: File,
    /// The latest delivery time of its units (`i64::MIN` when empty).
    max_deliver_ms: i64,
}

/// The open timer log: segment files of [`SEGMENT_UNITS`] units named by their first
/// position (`<root>/timerlog/00000000000000000000`, …).
#[derive(Debug)]
pub struct TimerLog {
    dir: PathBuf,
    segments: BTreeMap<u64, Segment>,
    end: u64,
}

/// Units per segment file (6.5 MiB).
pub const SEGMENT_UNITS: u64 = 128 * 1024;
const SEGMENT_BYTES: u64 = SEGMENT_UNITS * UNIT_SIZE;

/// Opens `path` for reading and writing, creating it (never truncating): the timer's log
/// segments, wheel and checkpoint.
pub(super) fn open_file(path: &Path) -> Result<File, TimerError> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| TimerError::io("open", path, e))
}

impl TimerLog {
    /// Opens (creating) `<root>/timerlog` and its segments, reading each unit's delivery time
    /// (for [`delete_delivered`](Self::delete_delivered)). The end is the last segment's length
    /// rounded down to whole units; [`recover_tail`](Self::recover_tail) checks the units.
    ///
    /// # Errors
    /// `Io` when the directory or a file cannot be created or read.
    pub fn open(root: &Path) -> Result<TimerLog, TimerError> {
        let dir = root.join("timerlog");
        std::fs::create_dir_all(&dir).map_err(|e| TimerError::io("create", &dir, e))?;
        let mut segments = BTreeMap::new();
        let entries = std::fs::read_dir(&dir).map_err(|e| TimerError::io("list", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| TimerError::io("list", &dir, e))?;
            let name = entry.file_name();
            let Some(start) = name
                .to_str()
                .filter(|n| n.len() == 20)
                .and_then(|n| n.parse::<u64>().ok())
                .filter(|s| s % SEGMENT_BYTES == 0)
            else {
                continue;
            };
            let path = entry.path();
            let file = open_file(&path)?;
            let max_deliver_ms = max_deliver(&file, &path)?;
            segments.insert(
                start,
                Segment {
                    path,
                    file,
                    max_deliver_ms,
                },
            );
        }
        let end = match segments.iter().next_back() {
            Some((start, seg)) => {
                let len = seg
                    .file
                    .metadata()
                    .map_err(|e| TimerError::io("stat", &seg.path, e))?
                    .len()
                    .min(SEGMENT_BYTES);
                start + len / UNIT_SIZE * UNIT_SIZE
            }
            None => 0,
        };
        Ok(TimerLog { dir, segments, end })
    }

    /// The position the next unit is written at.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// The first position still on disk.
    pub fn min_pos(&self) -> u64 {
        self.segments.keys().next().copied().unwrap_or(self.end)
    }

    /// The segment holding `pos` and `pos`'s offset in it.
    fn locate(&self, pos: u64) -> Option<(&Segment, u64)> {
        let (start, seg) = self.segments.range(..=pos).next_back()?;
        let off = pos - start;
        (off < SEGMENT_BYTES).then_some((seg, off))
    }

    /// Reads the unit at `pos`; `None` outside the log, misaligned or not a valid unit.
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
        let Some((seg, off)) = self.locate(p) else {
            return Ok(None);
        };
        let mut b = [0u8; UNIT_SIZE as usize];
        seg.file
            .read_exact_at(&mut b, off)
            .map_err(|e| TimerError::io("read", &seg.path, e))?;
        Ok(LogUnit::decode(&b))
    }

    /// Appends `unit`; returns its position.
    ///
    /// # Errors
    /// `Io` when a new segment cannot be created or writing fails.
    pub fn append(&mut self, unit: &LogUnit) -> Result<i64, TimerError> {
        let pos = self.end;
        let start = pos / SEGMENT_BYTES * SEGMENT_BYTES;
        if !self.segments.contains_key(&start) {
            let path = self.dir.join(format!("{start:020}"));
            let file = open_file(&path)?;
            self.segments.insert(
                start,
                Segment {
                    path,
                    file,
                    max_deliver_ms: i64::MIN,
                },
            );
        }
        let Some(seg) = self.segments.get_mut(&start) else {
            return Ok(-1);
        };
        seg.file
            .write_all_at(&unit.encode(), pos - start)
            .map_err(|e| TimerError::io("write", &seg.path, e))?;
        seg.max_deliver_ms = seg.max_deliver_ms.max(unit.deliver_ms);
        self.end += UNIT_SIZE;
        Ok(pos as i64)
    }

    fn write_at(&self, pos: i64, field: u64, bytes: &[u8]) -> Result<(), TimerError> {
        let Some((seg, off)) = u64::try_from(pos).ok().and_then(|p| self.locate(p)) else {
            return Ok(());
        };
        seg.file
            .write_all_at(bytes, off + field)
            .map_err(|e| TimerError::io("write", &seg.path, e))
    }

    /// Marks the unit at `pos` delivered.
    ///
    /// # Errors
    /// `Io` when writing fails.
    pub fn mark_delivered(&self, pos: i64) -> Result<(), TimerError> {
        self.write_at(pos, MAGIC_OFFSET, &MAGIC_DELIVERED.to_be_bytes())
    }

    /// Rewrites the `prev_pos` of the unit at `pos` (relinking during recovery).
    ///
    /// # Errors
    /// `Io` when writing fails.
    pub fn set_prev(&self, pos: i64, prev_pos: i64) -> Result<(), TimerError> {
        self.write_at(pos, 4, &prev_pos.to_be_bytes())
    }

    /// Checks the units from `from` to the end; cuts the log at the first invalid one (a torn
    /// tail) and returns the valid units after `from` with their positions.
    ///
    /// # Errors
    /// `Io` when reading or truncating fails.
    pub fn recover_tail(&mut self, from: u64) -> Result<Vec<(i64, LogUnit)>, TimerError> {
        let mut out = Vec::new();
        let mut pos = from.clamp(self.min_pos(), self.end) / UNIT_SIZE * UNIT_SIZE;
        while pos < self.end {
            match self.read(pos as i64)? {
                Some(u) => out.push((pos as i64, u)),
                None => {
                    tracing::warn!(dir = %self.dir.display(), pos, end = self.end, "timer log: invalid unit, cutting the tail");
                    self.truncate(pos)?;
                    break;
                }
            }
            pos += UNIT_SIZE;
        }
        Ok(out)
    }

    /// Cuts the log at `pos` (segments after it are removed).
    fn truncate(&mut self, pos: u64) -> Result<(), TimerError> {
        let later: Vec<u64> = self.segments.range(pos..).map(|(s, _)| *s).collect();
        for start in later {
            if start == pos / SEGMENT_BYTES * SEGMENT_BYTES {
                continue;
            }
            if let Some(seg) = self.segments.remove(&start) {
                std::fs::remove_file(&seg.path)
                    .map_err(|e| TimerError::io("remove", &seg.path, e))?;
            }
        }
        if let Some((seg, off)) = self.locate(pos) {
            seg.file
                .set_len(off)
                .map_err(|e| TimerError::io("truncate", &seg.path, e))?;
        }
        self.end = pos;
        Ok(())
    }

    /// Removes the full segments all of whose units are due before `before_ms` (their slots
    /// are loaded and, by the checkpoint, delivered). Returns how many were removed.
    ///
    /// # Errors
    /// `Io` when a file cannot be removed.
    pub fn delete_delivered(&mut self, before_ms: i64) -> Result<usize, TimerError> {
        let active = self.end / SEGMENT_BYTES * SEGMENT_BYTES;
        let done: Vec<u64> = self
            .segments
            .iter()
            .take_while(|(start, seg)| **start < active && seg.max_deliver_ms < before_ms)
            .map(|(s, _)| *s)
            .collect();
        for start in &done {
            if let Some(seg) = self.segments.remove(start) {
                std::fs::remove_file(&seg.path)
                    .map_err(|e| TimerError::io("remove", &seg.path, e))?;
                tracing::info!(path = %seg.path.display(), "timer log segment delivered, removed");
            }
        }
        Ok(done.len())
    }

    /// Makes the written units durable.
    ///
    /// # Errors
    /// `Io` when syncing fails.
    pub fn sync(&self) -> Result<(), TimerError> {
        match self.segments.iter().next_back() {
            Some((_, seg)) => seg
                .file
                .sync_data()
                .map_err(|e| TimerError::io("fdatasync", &seg.path, e)),
            None => Ok(()),
        }
    }
}

/// The latest delivery time in a segment file.
fn max_deliver(file: &File, path: &Path) -> Result<i64, TimerError> {
    let mut max = i64::MIN;
    let mut buf = vec![0u8; (UNIT_SIZE * 4096) as usize];
    let mut off = 0u64;
    loop {
        let n = read_up_to(file, &mut buf, off).map_err(|e| TimerError::io("read", path, e))?;
        for chunk in buf[..n - n % UNIT_SIZE as usize].chunks_exact(UNIT_SIZE as usize) {
            let mut b = [0u8; UNIT_SIZE as usize];
            b.copy_from_slice(chunk);
            if let Some(u) = LogUnit::decode(&b) {
                max = max.max(u.deliver_ms);
            }
        }
        if n < buf.len() {
            return Ok(max);
        }
        off += n as u64;
    }
}

/// Reads from `off` until `buf` is full or the file ends; returns the bytes read.
fn read_up_to(file: &File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], off + got as u64)? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
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

    #[test]
    fn segments_roll_over_and_delivered_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = TimerLog::open(dir.path()).unwrap();
        for q in 0..SEGMENT_UNITS + 3 {
            let mut u = unit(q as i64);
            u.deliver_ms = if q < SEGMENT_UNITS { 1_000 } else { 9_000 };
            log.append(&u).unwrap();
        }
        drop(log);
        let mut log = TimerLog::open(dir.path()).unwrap();
        assert_eq!(log.end(), (SEGMENT_UNITS + 3) * UNIT_SIZE);
        let second = ((SEGMENT_UNITS + 1) * UNIT_SIZE) as i64;
        assert_eq!(
            log.read(second).unwrap().unwrap().queue_offset,
            SEGMENT_UNITS as i64 + 1
        );
        assert_eq!(log.delete_delivered(1_000).unwrap(), 0);
        assert_eq!(log.delete_delivered(1_001).unwrap(), 1);
        assert_eq!(log.min_pos(), SEGMENT_BYTES);
        assert_eq!(log.read(0).unwrap(), None);
        // The segment being written stays.
        assert_eq!(log.delete_delivered(i64::MAX).unwrap(), 0);
        assert_eq!(log.recover_tail(0).unwrap().len(), 3);
    }
}
