//! One RocketMQ index file: a persistent hash table from `topic#key` to commit-log offsets.
//!
//! ```text
//! header (40 bytes): beginTimestamp:i64 endTimestamp:i64 beginPhyOffset:i64
//!                    endPhyOffset:i64 hashSlotCount:i32 indexCount:i32
//! slots:   hashSlotNum × i32        index of the newest entry of the slot (0 = empty)
//! entries: maxIndexNum × 20 bytes   keyHash:i32 phyOffset:i64 timeDiff:i32 (s) prevIndex:i32
//! ```
//! All big-endian. Entry 0 is never used, so `indexCount` starts at 1.
//!
//! One writer at a time (an internal mutex). An entry is written before the slot that points
//! at it and the header count are published with Release stores; readers load those with
//! Acquire and only follow indexes below the count, so they never read an entry being written.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use memmap2::{MmapOptions, MmapRaw};

use super::error::StoreError;
use super::sys;

const HEADER: u64 = 40;
const ENTRY: u64 = 20;

/// Java `String.hashCode` of `topic#key`, made non-negative as RocketMQ does.
pub fn key_hash(topic: &str, key: &str) -> u32 {
    let mut h: i32 = 0;
    if topic.is_ascii() && key.is_ascii() {
        for b in topic
            .bytes()
            .chain(std::iter::once(b'#'))
            .chain(key.bytes())
        {
            h = h.wrapping_mul(31).wrapping_add(i32::from(b));
        }
    } else {
        for unit in topic
            .encode_utf16()
            .chain("#".encode_utf16())
            .chain(key.encode_utf16())
        {
            h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
        }
    }
    let abs = h.wrapping_abs();
    if abs < 0 {
        0
    } else {
        abs as u32
    }
}

/// A memory-mapped index file.
#[derive(Debug)]
pub struct IndexFile {
    path: PathBuf,
    map: MmapRaw,
    slot_num: u32,
    max_index: u32,
    write: Mutex<()>,
}

// SAFETY: header and slots are accessed only through atomics; entry bytes are written by one
// writer (the `write` mutex) before being published, and read only after publication.
unsafe impl Sync for IndexFile {}
unsafe impl Send for IndexFile {}

impl IndexFile {
    /// Bytes of a file with these dimensions.
    pub fn file_size(slot_num: u32, max_index: u32) -> u64 {
        HEADER + u64::from(slot_num) * 4 + u64::from(max_index) * ENTRY
    }

    /// Opens or creates the file (sparse) at `path`.
    ///
    /// # Errors
    /// `Io` on open/map failures; `Corrupt` when an existing file has other dimensions.
    pub fn open(path: PathBuf, slot_num: u32, max_index: u32) -> Result<Self, StoreError> {
        let size = Self::file_size(slot_num, max_index);
        let file = sys::open_rw(&path, true)?;
        let len = sys::file_len(&file, &path)?;
        if len == 0 {
            file.set_len(size)
                .map_err(|e| StoreError::io("set length of", &path, Some(size), e))?;
        } else if len != size {
            return Err(StoreError::corrupt(&path, 0, format!("index file of {len} bytes, expected {size} (maxHashSlotNum/maxIndexNum changed?)")));
        }
        let map = MmapOptions::new()
            .len(size as usize)
            .map_raw(&file)
            .map_err(|e| StoreError::io("mmap", &path, None, e))?;
        let f = IndexFile {
            path,
            map,
            slot_num,
            max_index,
            write: Mutex::new(()),
        };
        if f.count() == 0 {
            f.u32_at(36).store(1u32.to_be(), Ordering::Release);
        }
        Ok(f)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn u64_at(&self, off: u64) -> &AtomicU64 {
        debug_assert!(off.is_multiple_of(8) && off + 8 <= HEADER);
        // SAFETY: in bounds, 8-aligned (page-aligned base), only accessed atomically.
        unsafe { &*(self.map.as_ptr().add(off as usize) as *const AtomicU64) }
    }

    fn u32_at(&self, off: u64) -> &AtomicU32 {
        debug_assert!(off.is_multiple_of(4) && off + 4 <= HEADER + u64::from(self.slot_num) * 4);
        // SAFETY: in bounds, 4-aligned, only accessed atomically.
        unsafe { &*(self.map.as_ptr().add(off as usize) as *const AtomicU32) }
    }

    fn get64(&self, off: u64) -> i64 {
        u64::from_be(self.u64_at(off).load(Ordering::Acquire)) as i64
    }

    fn set64(&self, off: u64, v: i64) {
        self.u64_at(off)
            .store((v as u64).to_be(), Ordering::Release);
    }

    pub fn begin_timestamp(&self) -> i64 {
        self.get64(0)
    }
    pub fn end_timestamp(&self) -> i64 {
        self.get64(8)
    }
    pub fn end_phy_offset(&self) -> i64 {
        self.get64(24)
    }
    /// Entries used plus one.
    pub fn count(&self) -> u32 {
        u32::from_be(self.u32_at(36).load(Ordering::Acquire))
    }
    pub fn is_full(&self) -> bool {
        self.count() >= self.max_index
    }

    fn slot(&self, hash: u32) -> &AtomicU32 {
        self.u32_at(HEADER + u64::from(hash % self.slot_num) * 4)
    }

    fn entry_pos(&self, idx: u32) -> u64 {
        HEADER + u64::from(self.slot_num) * 4 + u64::from(idx) * ENTRY
    }

    /// Adds `hash → phy`. Returns false when the file is full.
    pub fn put(&self, hash: u32, phy: i64, store_ts: i64) -> bool {
        let _w = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let count = self.count();
        if count >= self.max_index {
            return false;
        }
        let slot = self.slot(hash);
        let mut prev = u32::from_be(slot.load(Ordering::Acquire));
        if prev == 0 || prev >= count {
            prev = 0;
        }
        let begin = self.begin_timestamp();
        let diff = if begin <= 0 {
            0
        } else {
            ((store_ts - begin) / 1000).clamp(0, i64::from(i32::MAX))
        };
        let mut e = [0u8; 20];
        e[0..4].copy_from_slice(&hash.to_be_bytes());
        e[4..12].copy_from_slice(&phy.to_be_bytes());
        e[12..16].copy_from_slice(&(diff as i32).to_be_bytes());
        e[16..20].copy_from_slice(&prev.to_be_bytes());
        // SAFETY: entry `count` is in bounds (count < max_index), unpublished, and only this
        // writer (holding `write`) touches it.
        unsafe {
            std::ptr::copy_nonoverlapping(
                e.as_ptr(),
                self.map.as_mut_ptr().add(self.entry_pos(count) as usize),
                20,
            );
        }
        if count <= 1 {
            self.set64(16, phy);
            self.set64(0, store_ts);
        }
        if prev == 0 {
            let used = self.u32_at(32);
            used.store(
                (u32::from_be(used.load(Ordering::Relaxed)) + 1).to_be(),
                Ordering::Relaxed,
            );
        }
        slot.store(count.to_be(), Ordering::Release);
        self.set64(24, phy);
        self.set64(8, store_ts);
        self.u32_at(36)
            .store((count + 1).to_be(), Ordering::Release);
        true
    }

    /// Commit-log offsets of entries with `hash` stored within `[begin_ms, end_ms]` (to the
    /// second), newest first, at most `max`.
    pub fn lookup(&self, hash: u32, max: usize, begin_ms: i64, end_ms: i64, out: &mut Vec<i64>) {
        let count = self.count();
        let begin_ts = self.begin_timestamp();
        let mut idx = u32::from_be(self.slot(hash).load(Ordering::Acquire));
        while idx > 0 && idx < count && out.len() < max {
            // SAFETY: `idx < count`, so the entry was published before `count` (Acquire).
            let e = unsafe {
                std::slice::from_raw_parts(self.map.as_ptr().add(self.entry_pos(idx) as usize), 20)
            };
            let h = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
            let mut p = [0u8; 8];
            p.copy_from_slice(&e[4..12]);
            let diff = i32::from_be_bytes([e[12], e[13], e[14], e[15]]);
            let prev = u32::from_be_bytes([e[16], e[17], e[18], e[19]]);
            let t = begin_ts + i64::from(diff) * 1000;
            if h == hash && t <= end_ms && t + 999 >= begin_ms {
                out.push(i64::from_be_bytes(p));
            }
            if prev >= idx || t + 999 < begin_ms {
                break;
            }
            idx = prev;
        }
    }

    /// Drops the mapping's pages from the process (see `MappedFile::release_pages`).
    pub fn release_pages(&self) {
        // SAFETY: shared file mapping; MADV_DONTNEED only unmaps, contents stay in the file.
        let _ = unsafe {
            self.map
                .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
        };
    }

    /// Flushes the whole mapping.
    ///
    /// # Errors
    /// `Io` when msync fails.
    pub fn flush(&self) -> Result<(), StoreError> {
        let used = self.entry_pos(self.count()) as usize;
        self.map
            .flush_range(0, used.min(self.map.len()))
            .map_err(|e| StoreError::io("flush", &self.path, None, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_lookup_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idx");
        let f = IndexFile::open(path.clone(), 4, 5).unwrap();
        let h = key_hash("T", "k1");
        assert!(f.put(h, 100, 10_000));
        assert!(f.put(key_hash("T", "k2"), 200, 11_000));
        assert!(f.put(h, 300, 12_000));
        assert!(f.put(h, 400, 13_000));
        assert!(!f.put(h, 500, 14_000), "full after 4 entries");
        let mut out = Vec::new();
        f.lookup(h, 10, 0, i64::MAX, &mut out);
        assert_eq!(out, vec![400, 300, 100]);
        out.clear();
        f.lookup(h, 10, 11_500, 12_500, &mut out);
        assert_eq!(out, vec![300]);
        drop(f);
        let f = IndexFile::open(path, 4, 5).unwrap();
        assert_eq!(f.count(), 5);
        assert_eq!(f.end_phy_offset(), 400);
        assert!(IndexFile::open(dir.path().join("idx"), 8, 5).is_err());
    }

    #[test]
    fn key_hash_matches_java() {
        // "T#k1".hashCode() in Java.
        assert_eq!(key_hash("T", "k1"), 2_539_445);
        // Non-ASCII goes through UTF-16 units like Java: "é".hashCode() == 233.
        assert_eq!(key_hash("é", ""), (233 * 31 + 35) as u32);
    }
}
