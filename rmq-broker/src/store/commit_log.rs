//! The commit log: every record of every topic, appended to a queue of fixed-size segments.
//!
//! A record that does not fit the rest of a segment (it needs `size + 8` bytes, so that a
//! BLANK header always fits after it) is preceded by a BLANK filler (`TOTALSIZE` = remaining
//! bytes, `MAGIC` = `0xCBD43194`) and goes to the next segment.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{BufMut, Bytes, BytesMut};
use rmq_core::protocol::message::{
    peek_size_and_magic, BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE_V1, MESSAGE_MAGIC_CODE_V2,
};

use super::error::StoreError;
use super::mapped_file::MappedFile;
use super::mapped_file_queue::MappedFileQueue;
use super::warm_signal::WarmSignal;

/// Flushed commit-log data kept in the page cache behind the flush position.
const PAGE_CACHE_KEEP: u64 = 512 << 20;
/// Granularity of page-cache eviction.
const EVICT_STEP: u64 = 64 << 20;

/// Room that must stay free at the end of a segment for a BLANK header.
pub const END_FILE_MIN_BLANK_LENGTH: u64 = 8;

/// State owned by the holder of the append lock.
#[derive(Debug)]
pub struct Writer {
    buf: BytesMut,
    active: Option<Arc<MappedFile>>,
}

/// The commit log.
#[derive(Debug)]
pub struct CommitLog {
    queue: MappedFileQueue,
    writer: Mutex<Writer>,
    /// Everything below is durable.
    flushed: AtomicU64,
    /// Every record below has been dispatched to its consume queue and the index.
    dispatched: AtomicU64,
    /// Page-cache pages below this offset have been dropped (see `evict_behind`).
    evicted: AtomicU64,
    warm: Arc<WarmSignal>,
}

impl CommitLog {
    /// Wraps a recovered segment queue; `end` is the recovered write position.
    pub fn new(queue: MappedFileQueue, end: u64, warm: Arc<WarmSignal>) -> Self {
        let active = queue.last();
        CommitLog {
            queue,
            writer: Mutex::new(Writer {
                buf: BytesMut::with_capacity(64 * 1024),
                active,
            }),
            flushed: AtomicU64::new(end),
            dispatched: AtomicU64::new(end),
            evicted: AtomicU64::new(end.saturating_sub(PAGE_CACHE_KEEP)),
            warm,
        }
    }

    pub fn queue(&self) -> &MappedFileQueue {
        &self.queue
    }

    pub fn segment_size(&self) -> u64 {
        self.queue.file_size()
    }

    /// Takes the append lock.
    pub fn lock(&self) -> WriterGuard<'_> {
        WriterGuard {
            log: self,
            w: self.writer.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Offset of the first byte still on disk.
    pub fn min_offset(&self) -> u64 {
        self.queue.min_offset()
    }

    /// One past the last written byte.
    pub fn max_offset(&self) -> u64 {
        self.queue.max_offset()
    }

    pub fn flushed_offset(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    pub fn dispatched_offset(&self) -> u64 {
        self.dispatched.load(Ordering::Acquire)
    }

    /// Flushes written segments; returns the durable end offset.
    ///
    /// # Errors
    /// `Io` when msync fails.
    pub fn flush(&self) -> Result<u64, StoreError> {
        let end = self.queue.flush()?;
        self.flushed.fetch_max(end, Ordering::AcqRel);
        let flushed = self.flushed_offset();
        self.evict_behind(flushed);
        Ok(flushed)
    }

    /// Drops flushed data more than `PAGE_CACHE_KEEP` behind `flushed` from the mapping and the
    /// page cache, in `EVICT_STEP` steps. Recent data stays cached for consumers; older data is
    /// read from disk again if a lagging consumer needs it. Without this, a fast writer keeps
    /// claiming fresh memory for the page cache (and, in a VM, first-touch faults for it).
    fn evict_behind(&self, flushed: u64) {
        let upto = flushed.saturating_sub(PAGE_CACHE_KEEP);
        let from = self.evicted.load(Ordering::Acquire);
        if upto < from + EVICT_STEP {
            return;
        }
        if self
            .evicted
            .compare_exchange(from, upto, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        for f in self.queue.snapshot() {
            let (s, e) = (from.max(f.start()), upto.min(f.end()));
            if s < e {
                f.evict(s - f.start(), e - f.start());
            }
        }
    }

    /// The `size` bytes at `offset`, if fully written.
    pub fn read(&self, offset: u64, size: usize) -> Option<Bytes> {
        let f = self.queue.find(offset)?;
        f.read_bytes(offset - f.start(), size)
    }

    /// The whole message record starting at `offset` (None for BLANK fillers, unwritten or
    /// deleted ranges, and offsets that are not a record start).
    pub fn read_record(&self, offset: u64) -> Option<Bytes> {
        let f = self.queue.find(offset)?;
        let rel = offset - f.start();
        let (size, magic) = peek_size_and_magic(f.slice(rel, 8)?)?;
        if magic != MESSAGE_MAGIC_CODE_V1 && magic != MESSAGE_MAGIC_CODE_V2 {
            return None;
        }
        let size = usize::try_from(size).ok().filter(|s| *s >= 8)?;
        f.read_bytes(rel, size)
    }
}

/// The append lock, held while records are appended and dispatched.
pub struct WriterGuard<'a> {
    log: &'a CommitLog,
    w: MutexGuard<'a, Writer>,
}

impl WriterGuard<'_> {
    /// Offset where the next record would go if it fits the active segment.
    pub fn write_offset(&self) -> u64 {
        match &self.w.active {
            Some(f) => f.start() + f.wrote(),
            None => self.log.queue.max_offset(),
        }
    }

    /// Makes the next `total` bytes (a batch) land in one segment when they can: pads the
    /// active segment and rolls over if they don't fit but would fit an empty segment.
    ///
    /// # Errors
    /// `Io` when a segment cannot be created.
    pub fn reserve_contiguous(&mut self, total: u64) -> Result<(), StoreError> {
        if total + END_FILE_MIN_BLANK_LENGTH <= self.log.segment_size() {
            self.room_for(total)?;
        }
        Ok(())
    }

    /// Appends one record of `size` bytes, written by `encode(physical_offset, buf)`.
    /// Returns its physical offset.
    ///
    /// # Errors
    /// `RecordTooLarge` when it can't fit any segment, `Io` on file errors, `Corrupt` when the
    /// encoder wrote a different size.
    pub fn append(
        &mut self,
        size: usize,
        encode: impl FnOnce(i64, &mut BytesMut),
    ) -> Result<i64, StoreError> {
        let seg_size = self.log.segment_size();
        if size as u64 + END_FILE_MIN_BLANK_LENGTH > seg_size {
            return Err(StoreError::RecordTooLarge {
                size,
                limit: seg_size - END_FILE_MIN_BLANK_LENGTH,
            });
        }
        let seg = self.room_for(size as u64)?;
        let phy = seg.start() + seg.wrote();
        let mut buf = std::mem::take(&mut self.w.buf);
        buf.clear();
        encode(phy as i64, &mut buf);
        let res = if buf.len() == size {
            seg.append(&buf).map(|_| ())
        } else {
            Err(StoreError::corrupt(
                seg.path(),
                phy - seg.start(),
                format!("encoded {} bytes, expected {size}", buf.len()),
            ))
        };
        self.w.buf = buf;
        res?;
        self.log.warm.after_append(&seg);
        Ok(phy as i64)
    }

    /// Records that everything below `end` has been dispatched.
    pub fn set_dispatched(&self, end: u64) {
        self.log.dispatched.store(end, Ordering::Release);
    }

    /// The active segment with room for `need` bytes plus a BLANK header, rolling if needed.
    fn room_for(&mut self, need: u64) -> Result<Arc<MappedFile>, StoreError> {
        if let Some(f) = &self.w.active {
            if f.remaining() >= need + END_FILE_MIN_BLANK_LENGTH {
                return Ok(f.clone());
            }
        }
        let next_start = match self.w.active.take() {
            Some(f) => {
                let remaining = f.remaining();
                if remaining >= END_FILE_MIN_BLANK_LENGTH {
                    let mut blank = [0u8; 8];
                    let mut b = &mut blank[..];
                    b.put_i32(remaining as i32);
                    b.put_u32(BLANK_MAGIC_CODE);
                    if let Err(e) = f.append_blank(&blank) {
                        self.w.active = Some(f);
                        return Err(e);
                    }
                } else if remaining > 0 {
                    tracing::warn!(path = %f.path().display(), remaining, "segment tail too short for a BLANK record");
                    f.append_blank(&[])?;
                }
                f.end()
            }
            None => self.log.queue.max_offset(),
        };
        let f = self.log.queue.create_file(next_start)?;
        self.log.warm.rolled();
        self.w.active = Some(f.clone());
        Ok(f)
    }
}
