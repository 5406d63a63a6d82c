//! One consume queue: the logical queue of a topic/queueId, as 20-byte entries pointing into
//! the commit log. Queue offset N lives at byte N×20.
//!
//! ```text
//! commitLogOffset:i64 size:i32 tagsCode:i64      (big-endian)
//! ```
//! A filler entry `(0, i32::MAX, 0)` (RocketMQ's "pre blank") stands for a queue offset whose
//! record is unknown — written when a queue is rebuilt from a commit log that no longer holds
//! its first messages. Readers skip fillers. An all-zero entry is unwritten.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::error::StoreError;
use super::mapped_file::MappedFile;
use super::mapped_file_queue::MappedFileQueue;
use super::sys;

/// Bytes per entry.
pub const CQ_STORE_UNIT_SIZE: u64 = 20;
const FILLER_SIZE: i32 = i32::MAX;

/// One consume-queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqEntry {
    pub phy: i64,
    pub size: i32,
    pub tags_code: i64,
}

impl CqEntry {
    const FILLER: CqEntry = CqEntry {
        phy: 0,
        size: FILLER_SIZE,
        tags_code: 0,
    };

    pub fn encode(&self) -> [u8; 20] {
        let mut b = [0u8; 20];
        b[0..8].copy_from_slice(&self.phy.to_be_bytes());
        b[8..12].copy_from_slice(&self.size.to_be_bytes());
        b[12..20].copy_from_slice(&self.tags_code.to_be_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> CqEntry {
        let mut p = [0u8; 8];
        let mut t = [0u8; 8];
        p.copy_from_slice(&b[0..8]);
        t.copy_from_slice(&b[12..20]);
        CqEntry {
            phy: i64::from_be_bytes(p),
            size: i32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            tags_code: i64::from_be_bytes(t),
        }
    }

    pub fn is_filler(&self) -> bool {
        self.size == FILLER_SIZE
    }

    /// Points at a record (not a filler, not zero, not garbage).
    pub fn is_record(&self) -> bool {
        self.phy >= 0 && self.size > 0 && self.size != FILLER_SIZE
    }

    /// One past the record in the commit log.
    pub fn phy_end(&self) -> u64 {
        self.phy as u64 + self.size as u64
    }
}

/// The consume queue of one topic/queueId.
#[derive(Debug)]
pub struct ConsumeQueue {
    topic: String,
    queue_id: i32,
    queue: MappedFileQueue,
    /// First readable queue offset (retention moves it forward).
    min_logic: AtomicI64,
}

impl ConsumeQueue {
    /// Opens (or starts) the queue in `<cq_root>/<topic>/<queue_id>/`.
    ///
    /// # Errors
    /// `Io` on directory or file errors.
    pub fn load(
        cq_root: &Path,
        topic: &str,
        queue_id: i32,
        file_size: u64,
    ) -> Result<Self, StoreError> {
        let dir = cq_root.join(topic).join(queue_id.to_string());
        let queue = MappedFileQueue::load(&dir, file_size, false, false)?;
        let min = (queue.min_offset() / CQ_STORE_UNIT_SIZE) as i64;
        Ok(ConsumeQueue {
            topic: topic.to_owned(),
            queue_id,
            queue,
            min_logic: AtomicI64::new(min),
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }
    pub fn queue_id(&self) -> i32 {
        self.queue_id
    }
    pub fn has_files(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The next queue offset to be written.
    pub fn max_offset(&self) -> i64 {
        (self.queue.max_offset() / CQ_STORE_UNIT_SIZE) as i64
    }

    /// The first readable queue offset.
    pub fn min_offset(&self) -> i64 {
        let file_min = (self.queue.min_offset() / CQ_STORE_UNIT_SIZE) as i64;
        self.min_logic
            .load(Ordering::Acquire)
            .max(file_min)
            .min(self.max_offset())
    }

    /// The entry at queue offset `n`, if written.
    pub fn entry(&self, n: i64) -> Option<CqEntry> {
        let pos = u64::try_from(n).ok()?.checked_mul(CQ_STORE_UNIT_SIZE)?;
        let f = self.queue.find(pos)?;
        f.slice(pos - f.start(), CQ_STORE_UNIT_SIZE as usize)
            .map(CqEntry::decode)
    }

    /// Commit-log end of the last record entry (None if there is none).
    pub fn max_phy_end(&self) -> Option<u64> {
        let max = self.max_offset();
        let min = self.min_offset();
        (min..max).rev().take(1024).find_map(|n| {
            self.entry(n)
                .filter(CqEntry::is_record)
                .map(|e| e.phy_end())
        })
    }

    /// Writes the entry for `queue_offset` (called under the commit-log append lock).
    /// Offsets already present are skipped (re-dispatch after a crash); a gap is filled with
    /// filler entries.
    ///
    /// # Errors
    /// `Io` when a file cannot be created or written.
    pub fn put(&self, queue_offset: i64, entry: CqEntry) -> Result<(), StoreError> {
        let next = self.max_offset();
        if queue_offset < next {
            if self.entry(queue_offset).is_some_and(|e| e.phy != entry.phy) {
                tracing::warn!(topic = %self.topic, queue_id = self.queue_id, queue_offset, "consume queue already holds another record at this offset");
            }
            return Ok(());
        }
        if queue_offset > next {
            if self.queue.is_empty() {
                let pos = queue_offset as u64 * CQ_STORE_UNIT_SIZE;
                let size = self.queue.file_size();
                self.queue.create_file(pos / size * size)?;
                self.min_logic.store(queue_offset, Ordering::Release);
            } else {
                tracing::warn!(topic = %self.topic, queue_id = self.queue_id, expected = next, queue_offset, "gap in consume queue, filling");
            }
            while self.max_offset() < queue_offset {
                self.append(&CqEntry::FILLER)?;
            }
        }
        self.append(&entry)
    }

    fn append(&self, e: &CqEntry) -> Result<(), StoreError> {
        let f = match self.queue.last() {
            Some(f) if f.remaining() >= CQ_STORE_UNIT_SIZE => f,
            Some(f) => self.queue.create_file(f.end())?,
            None => self.queue.create_file(0)?,
        };
        f.append(&e.encode()).map(|_| ())
    }

    /// Flushes written entries.
    ///
    /// # Errors
    /// `Io` when msync fails.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.queue.flush().map(|_| ())
    }

    /// Drops mapped pages from the process (idle store).
    pub fn release_pages(&self) {
        for f in self.queue.snapshot() {
            f.release_pages();
        }
    }

    /// Recovery: finds the written end of the last file, drops entries that point at or past
    /// `clog_end` (and files left empty) by zeroing them, and with `zero_rest` zeroes whatever
    /// follows the end too (after a crash). Returns the number of dropped entries.
    ///
    /// # Errors
    /// `Io` on read/zero errors.
    pub fn recover(&mut self, clog_end: u64, zero_rest: bool) -> Result<u64, StoreError> {
        let topic = self.topic.clone();
        let queue_id = self.queue_id;
        let files = self.queue.files_mut();
        let mut dropped = 0u64;
        while let Some(last) = files.last() {
            let entries = last.size() / CQ_STORE_UNIT_SIZE;
            let written = first_zero_entry(last, entries)?;
            let mut keep = written;
            while keep > 0 {
                let e = read_entry(last, keep - 1)?;
                if e.is_filler() || (e.is_record() && e.phy_end() <= clog_end) {
                    break;
                }
                keep -= 1;
            }
            dropped += written - keep;
            if keep == 0 && files.len() > 1 {
                if let Some(f) = files.pop() {
                    tracing::warn!(path = %f.path().display(), "consume queue file points past the commit log end, deleting");
                    f.destroy()?;
                }
                continue;
            }
            let Some(f) = files.last_mut().and_then(Arc::get_mut) else {
                return Err(StoreError::corrupt(
                    Path::new(&topic),
                    0,
                    "consume queue shared during recovery",
                ));
            };
            if keep < written || (zero_rest && keep < entries) {
                sys::punch_hole(
                    f.file(),
                    f.path(),
                    keep * CQ_STORE_UNIT_SIZE,
                    f.size() - keep * CQ_STORE_UNIT_SIZE,
                )?;
            }
            f.set_positions(keep * CQ_STORE_UNIT_SIZE);
            break;
        }
        if dropped > 0 {
            tracing::warn!(topic = %topic, queue_id, dropped, clog_end, "truncated consume queue entries past the commit log end");
        }
        Ok(dropped)
    }

    /// Moves the min offset past entries whose records are below `clog_min` (retention).
    pub fn correct_min_offset(&self, clog_min: u64) {
        let (mut lo, mut hi) = (
            (self.queue.min_offset() / CQ_STORE_UNIT_SIZE) as i64,
            self.max_offset(),
        );
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let below = self
                .entry(mid)
                .is_none_or(|e| !e.is_record() || (e.phy as u64) < clog_min);
            if below {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.min_logic.fetch_max(lo, Ordering::AcqRel);
    }

    /// Deletes files whose last entry points below `clog_min` (never the last file), then
    /// corrects the min offset. Returns the number of files deleted.
    pub fn delete_expired(&self, clog_min: u64) -> usize {
        let removed = self.queue.delete_prefix(|f| {
            let last = f.wrote().saturating_sub(CQ_STORE_UNIT_SIZE);
            f.slice(last, CQ_STORE_UNIT_SIZE as usize)
                .map(CqEntry::decode)
                .is_none_or(|e| !e.is_record() || e.phy_end() <= clog_min)
        });
        self.correct_min_offset(clog_min);
        removed.len()
    }

    /// Deletes all files and the directory.
    pub fn destroy(&self) {
        self.queue.destroy_all();
    }
}

fn read_entry(f: &MappedFile, n: u64) -> Result<CqEntry, StoreError> {
    let mut b = [0u8; 20];
    sys::read_exact_at(f.file(), f.path(), &mut b, n * CQ_STORE_UNIT_SIZE)?;
    Ok(CqEntry::decode(&b))
}

/// Index of the first all-zero entry (entries are written in order, so a binary search).
fn first_zero_entry(f: &MappedFile, entries: u64) -> Result<u64, StoreError> {
    let (mut lo, mut hi) = (0u64, entries);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if read_entry(f, mid)?
            == (CqEntry {
                phy: 0,
                size: 0,
                tags_code: 0,
            })
        {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(phy: i64) -> CqEntry {
        CqEntry {
            phy,
            size: 10,
            tags_code: 7,
        }
    }

    #[test]
    fn entries_roll_over_and_recover() {
        let dir = tempfile::tempdir().unwrap();
        let cq = ConsumeQueue::load(dir.path(), "T", 0, 60).unwrap();
        for i in 0..7 {
            cq.put(i, e(i * 10)).unwrap();
        }
        cq.put(3, e(30)).unwrap();
        assert_eq!((cq.min_offset(), cq.max_offset()), (0, 7));
        assert_eq!(cq.entry(5), Some(e(50)));
        assert_eq!(cq.entry(7), None);
        assert_eq!(cq.max_phy_end(), Some(70));
        drop(cq);
        let mut cq = ConsumeQueue::load(dir.path(), "T", 0, 60).unwrap();
        assert_eq!(cq.recover(45, true).unwrap(), 3, "entries 4..7 end past 45");
        assert_eq!(cq.max_offset(), 4);
        cq.put(4, e(40)).unwrap();
        assert_eq!(cq.entry(4), Some(e(40)));
        assert_eq!(cq.delete_expired(35), 1);
        assert_eq!(cq.min_offset(), 4, "entries below phy 35 are gone");
    }

    #[test]
    fn rebuild_starts_at_the_first_known_offset() {
        let dir = tempfile::tempdir().unwrap();
        let cq = ConsumeQueue::load(dir.path(), "T", 1, 60).unwrap();
        cq.put(4, e(400)).unwrap();
        assert_eq!((cq.min_offset(), cq.max_offset()), (4, 5));
        assert_eq!(cq.entry(3).map(|x| x.is_filler()), Some(true));
        assert_eq!(cq.entry(4), Some(e(400)));
    }
}
