//! One fixed-size, memory-mapped store file named by its 20-digit start offset.
//!
//! ```text
//! 0 ............ flushed ........ wrote ........ zeroed ............... size
//! | durable      | written, dirty | pre-zeroed ahead  | zero (sparse)    |
//! ```
//!
//! One appender at a time writes at `wrote` (appends are serialized by an internal mutex) and
//! publishes the new position with a `Release` store; readers load it with `Acquire` and only
//! ever read below it, so no byte is read while it is written. Bytes below `wrote` are never
//! modified again, and bytes above it are always zero (new files are sparse, recovery punches
//! out a torn tail).
//!
//! Pre-zeroing (commit log only) is a performance device: the warm thread claims one chunk
//! above `max(wrote, zeroed)` at a time and writes zeros into it with `pwrite`, so that the
//! pages are in the page cache with their blocks allocated before the appender gets there.
//! An appender that reaches a claimed chunk waits for it; one that outruns the warm thread
//! moves `zeroed` past itself without writing, so the warm thread never zeroes written bytes.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use bytes::Bytes;
use memmap2::{MmapOptions, MmapRaw};

use super::error::StoreError;
use super::sys;

/// Granularity of pre-zeroing.
pub const ZERO_CHUNK: u64 = 256 << 10;

/// Appender-side state, guarded by `MappedFile::state`.
#[derive(Debug, Default)]
struct WriterState {
    /// End of the chunk the warm thread is zeroing right now (0 = none). The claim always
    /// starts at `zeroed`.
    claim_end: u64,
}

/// A memory-mapped segment file.
#[derive(Debug)]
pub struct MappedFile {
    path: PathBuf,
    file: File,
    start: u64,
    size: u64,
    map: MmapRaw,
    wrote: AtomicU64,
    flushed: AtomicU64,
    zeroed: AtomicU64,
    /// Page tables are populated (writable) below this (ASYNC_FLUSH warm-up).
    populated: AtomicU64,
    prezero: bool,
    state: Mutex<WriterState>,
    zeroing_done: Condvar,
    flush_lock: Mutex<()>,
}

// SAFETY: the mapping is only written by the appender below `zeroed` and above `wrote`
// (serialized by `state`), and only read below `wrote` (published with Release/Acquire), so
// concurrent readers and the appender never touch the same bytes.
unsafe impl Sync for MappedFile {}
unsafe impl Send for MappedFile {}

impl MappedFile {
    /// Creates a new file of `size` bytes at `path` (replacing a leftover one).
    pub fn create(path: PathBuf, start: u64, size: u64, prezero: bool) -> Result<Self, StoreError> {
        if path.exists() {
            tracing::warn!(path = %path.display(), "replacing leftover store file");
            std::fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, None, e))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| StoreError::io("create", &path, None, e))?;
        file.set_len(size)
            .map_err(|e| StoreError::io("set length of", &path, Some(size), e))?;
        let mut f = Self::map(path, file, start, size, prezero)?;
        f.set_positions(0);
        Ok(f)
    }

    /// Opens an existing file; positions start at "full" until recovery sets them.
    /// A file shorter than `size` (e.g. zero length after a crash) is extended to `size`.
    pub fn open(path: PathBuf, start: u64, size: u64, prezero: bool) -> Result<Self, StoreError> {
        let file = sys::open_rw(&path, false)?;
        let len = sys::file_len(&file, &path)?;
        let len = if len < size {
            file.set_len(size)
                .map_err(|e| StoreError::io("set length of", &path, Some(size), e))?;
            size
        } else {
            len
        };
        Self::map(path, file, start, len, prezero)
    }

    fn map(
        path: PathBuf,
        file: File,
        start: u64,
        size: u64,
        prezero: bool,
    ) -> Result<Self, StoreError> {
        let len = usize::try_from(size).map_err(|_| {
            StoreError::corrupt(&path, 0, format!("file of {size} bytes cannot be mapped"))
        })?;
        let map = MmapOptions::new()
            .len(len)
            .map_raw(&file)
            .map_err(|e| StoreError::io("mmap", &path, None, e))?;
        Ok(MappedFile {
            path,
            file,
            start,
            size,
            map,
            wrote: AtomicU64::new(size),
            flushed: AtomicU64::new(size),
            zeroed: AtomicU64::new(size),
            populated: AtomicU64::new(0),
            prezero,
            state: Mutex::new(WriterState::default()),
            zeroing_done: Condvar::new(),
            flush_lock: Mutex::new(()),
        })
    }

    /// Sets write, flush and zero positions (recovery and creation; not yet shared).
    pub fn set_positions(&mut self, wrote: u64) {
        let wrote = wrote.min(self.size);
        *self.wrote.get_mut() = wrote;
        *self.flushed.get_mut() = wrote;
        *self.zeroed.get_mut() = wrote;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn file(&self) -> &File {
        &self.file
    }
    /// Global offset of the first byte.
    pub fn start(&self) -> u64 {
        self.start
    }
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Global offset one past the last byte.
    pub fn end(&self) -> u64 {
        self.start + self.size
    }
    /// Bytes written (and visible to readers).
    pub fn wrote(&self) -> u64 {
        self.wrote.load(Ordering::Acquire)
    }
    pub fn flushed(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }
    pub fn remaining(&self) -> u64 {
        self.size - self.wrote()
    }
    pub fn is_full(&self) -> bool {
        self.wrote() >= self.size
    }
    /// The pre-zero frontier.
    pub fn zeroed(&self) -> u64 {
        self.zeroed.load(Ordering::Acquire)
    }

    fn lock_state(&self) -> MutexGuard<'_, WriterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `data` at the write position and publishes it; returns its file-relative offset.
    ///
    /// # Errors
    /// `Corrupt` if the data does not fit; `Io` if zero-filling the region fails.
    pub fn append(&self, data: &[u8]) -> Result<u64, StoreError> {
        let st = self.lock_state();
        let (pos, st) = self.write_locked(st, data)?;
        self.wrote.store(pos + data.len() as u64, Ordering::Release);
        drop(st);
        Ok(pos)
    }

    /// Writes the BLANK header `header` at the write position and marks the file full.
    ///
    /// # Errors
    /// As [`append`](Self::append).
    pub fn append_blank(&self, header: &[u8]) -> Result<(), StoreError> {
        let st = self.lock_state();
        let (_, st) = self.write_locked(st, header)?;
        self.wrote.store(self.size, Ordering::Release);
        drop(st);
        Ok(())
    }

    /// Copies `data` to the write position (not yet published); returns that position and
    /// the still-held appender lock.
    fn write_locked<'a>(
        &'a self,
        st: MutexGuard<'a, WriterState>,
        data: &[u8],
    ) -> Result<(u64, MutexGuard<'a, WriterState>), StoreError> {
        let pos = self.wrote.load(Ordering::Relaxed);
        let end = pos + data.len() as u64;
        if end > self.size {
            return Err(StoreError::corrupt(
                &self.path,
                pos,
                format!(
                    "append of {} bytes overflows file of {} bytes",
                    data.len(),
                    self.size
                ),
            ));
        }
        let st = if self.prezero {
            self.ensure_zeroed(st, end)
        } else {
            st
        };
        // SAFETY: `[pos, end)` lies inside the mapping, above every reader-visible byte, and
        // only this appender (holding `state`) writes there; zeroing of it has completed.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.map.as_mut_ptr().add(pos as usize),
                data.len(),
            );
        }
        Ok((pos, st))
    }

    /// Makes sure no zeroing is in progress below `need`: waits for the warm thread's chunk
    /// if it overlaps, otherwise moves the frontier past `need` without writing — the bytes
    /// are zero already (new files are sparse, recovery punches out a torn tail); pre-zeroing
    /// only makes their first flush cheaper, and the appender shouldn't pay for it.
    fn ensure_zeroed<'a>(
        &'a self,
        mut st: MutexGuard<'a, WriterState>,
        need: u64,
    ) -> MutexGuard<'a, WriterState> {
        loop {
            let z = self.zeroed.load(Ordering::Acquire);
            if need <= z {
                return st;
            }
            if st.claim_end > z {
                st = self
                    .zeroing_done
                    .wait(st)
                    .unwrap_or_else(|p| p.into_inner());
                continue;
            }
            self.zeroed.store(need, Ordering::Release);
            return st;
        }
    }

    /// Warm thread: zero-fills the next chunk if the zeroed region reaches less than `ahead`
    /// bytes past the write position. Returns the bytes zeroed (0 = nothing to do).
    ///
    /// # Errors
    /// `Io` when the `pwrite` fails (e.g. disk full).
    pub fn zero_ahead(&self, ahead: u64) -> Result<u64, StoreError> {
        let mut st = self.lock_state();
        let z = self.zeroed.load(Ordering::Acquire);
        let w = self.wrote.load(Ordering::Relaxed);
        let target = w.saturating_add(ahead).min(self.size);
        if z >= target || st.claim_end > z {
            return Ok(0);
        }
        let end = ((z / ZERO_CHUNK + 1) * ZERO_CHUNK).min(self.size);
        st.claim_end = end;
        drop(st);
        let res = sys::write_zeros(&self.file, &self.path, z, end - z);
        let mut st = self.lock_state();
        st.claim_end = 0;
        if res.is_ok() {
            self.zeroed.store(end, Ordering::Release);
        }
        self.zeroing_done.notify_all();
        drop(st);
        res.map(|()| end - z)
    }

    /// Warm thread (ASYNC_FLUSH): prefaults the next piece of the mapping writable
    /// (MADV_POPULATE_WRITE) if less than `ahead` bytes past the write position are, so the
    /// appender doesn't take a page fault per page. Contents are not touched. Returns the bytes
    /// populated (0 = nothing to do).
    pub fn populate_ahead(&self, ahead: u64) -> u64 {
        const PAGE: u64 = 4096;
        let w = self.wrote();
        let target = w.saturating_add(ahead).min(self.size);
        let from = self.populated.load(Ordering::Acquire).max(w / PAGE * PAGE);
        if from >= target {
            return 0;
        }
        let end = (from + ZERO_CHUNK).min(self.size);
        let len = (end - from) as usize;
        if self
            .map
            .advise_range(memmap2::Advice::PopulateWrite, from as usize, len)
            .is_err()
        {
            // Unsupported kernel or error: stop trying for this file.
            self.populated.store(self.size, Ordering::Release);
            return 0;
        }
        self.populated.fetch_max(end, Ordering::AcqRel);
        end - from
    }

    /// How far page tables are populated.
    pub fn populated(&self) -> u64 {
        self.populated.load(Ordering::Acquire)
    }

    /// Bytes `[rel, rel + len)`, if they are below the write position.
    pub fn slice(&self, rel: u64, len: usize) -> Option<&[u8]> {
        let end = rel.checked_add(len as u64)?;
        if end > self.wrote() {
            return None;
        }
        // SAFETY: below `wrote` (Acquire), so fully written and never modified again; the
        // mapping lives as long as `self`.
        Some(unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(rel as usize), len) })
    }

    /// A copy of `[rel, rel + len)`, if below the write position.
    pub fn read_bytes(&self, rel: u64, len: usize) -> Option<Bytes> {
        self.slice(rel, len).map(Bytes::copy_from_slice)
    }

    /// Flushes `[flushed, wrote)` to disk (msync); returns the new flushed position.
    ///
    /// # Errors
    /// `Io` when msync fails.
    pub fn flush(&self) -> Result<u64, StoreError> {
        let _g = self.flush_lock.lock().unwrap_or_else(|p| p.into_inner());
        let w = self.wrote();
        let f = self.flushed.load(Ordering::Acquire);
        if w > f {
            self.map
                .flush_range(f as usize, (w - f) as usize)
                .map_err(|e| StoreError::io("flush", &self.path, Some(f), e))?;
            self.flushed.store(w, Ordering::Release);
        }
        Ok(w)
    }

    /// Drops this mapping's pages from the process (MADV_DONTNEED); the data stays in the page
    /// cache and on disk, and the next access maps it again. Used when the store is idle, so
    /// that pages written or read earlier don't count against the RSS.
    pub fn release_pages(&self) {
        // SAFETY: on a shared file mapping MADV_DONTNEED only unmaps pages: later accesses
        // (including through slices handed out earlier) see the file's current contents, and
        // dirty pages keep their data in the page cache.
        if let Err(e) = unsafe {
            self.map
                .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
        } {
            tracing::debug!(path = %self.path.display(), error = %e, "madvise(DONTNEED) failed");
        }
        self.populated.store(0, Ordering::Release);
    }

    /// Drops `[rel_start, rel_end)` (flushed bytes) from this mapping and from the page cache.
    pub fn evict(&self, rel_start: u64, rel_end: u64) {
        const PAGE: u64 = 4096;
        let (s, e) = (
            rel_start / PAGE * PAGE,
            rel_end.min(self.flushed()) / PAGE * PAGE,
        );
        if s >= e {
            return;
        }
        // SAFETY: shared file mapping; MADV_DONTNEED only unmaps (see `release_pages`).
        let _ = unsafe {
            self.map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                s as usize,
                (e - s) as usize,
            )
        };
        // SAFETY: plain syscall on an open descriptor; clean pages are dropped, nothing else.
        unsafe {
            libc::posix_fadvise(
                std::os::unix::io::AsRawFd::as_raw_fd(&self.file),
                s as libc::off_t,
                (e - s) as libc::off_t,
                libc::POSIX_FADV_DONTNEED,
            );
        }
    }

    /// fdatasync of the whole file (commits block allocation of zeroed chunks).
    pub fn sync_data(&self) -> Result<(), StoreError> {
        self.file
            .sync_data()
            .map_err(|e| StoreError::io("fdatasync", &self.path, None, e))
    }

    /// Removes the file from disk. Readers holding this value keep a valid mapping.
    pub fn destroy(&self) -> Result<(), StoreError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io("delete", &self.path, None, e)),
        }
    }

    /// Last modification time of the file in ms since the epoch (0 if unknown).
    pub fn modified_ms(&self) -> i64 {
        std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_read_flush_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(sys::offset_file_name(8192));
        let f = MappedFile::create(path.clone(), 8192, 8192, true).unwrap();
        assert_eq!(f.append(b"hello").unwrap(), 0);
        assert_eq!(f.append(b" world").unwrap(), 5);
        assert_eq!(f.slice(0, 11), Some(&b"hello world"[..]));
        assert_eq!(f.slice(6, 6), None, "nothing past the write position");
        assert_eq!(
            f.zeroed(),
            11,
            "the appender moves the frontier without zeroing"
        );
        assert_eq!(f.flush().unwrap(), 11);
        assert!(f.append(&[1u8; 8192]).is_err());
        drop(f);
        let mut g = MappedFile::open(path, 8192, 8192, true).unwrap();
        g.set_positions(11);
        assert_eq!(g.read_bytes(0, 11).unwrap(), &b"hello world"[..]);
        assert_eq!(g.end(), 16384);
    }

    #[test]
    fn evicted_pages_read_back_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(sys::offset_file_name(0));
        let f = MappedFile::create(path, 0, 64 << 10, false).unwrap();
        let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        f.append(&data).unwrap();
        f.evict(0, 40_000);
        assert_eq!(
            f.slice(0, 40_000).unwrap(),
            &data[..],
            "unflushed pages are kept"
        );
        f.flush().unwrap();
        f.evict(0, 40_000);
        f.release_pages();
        assert_eq!(f.slice(0, 40_000).unwrap(), &data[..]);
    }

    #[test]
    fn zero_ahead_stays_above_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(sys::offset_file_name(0));
        let size = 3 * ZERO_CHUNK;
        let f = MappedFile::create(path, 0, size, true).unwrap();
        f.append(&[9u8; 100]).unwrap();
        assert_eq!(
            f.zero_ahead(ZERO_CHUNK).unwrap(),
            ZERO_CHUNK - 100,
            "up to the chunk boundary"
        );
        assert_eq!(f.zeroed(), ZERO_CHUNK);
        assert_eq!(f.zero_ahead(ZERO_CHUNK).unwrap(), ZERO_CHUNK);
        assert_eq!(
            f.zero_ahead(ZERO_CHUNK).unwrap(),
            0,
            "already a chunk ahead"
        );
        assert_eq!(f.zero_ahead(4 * ZERO_CHUNK).unwrap(), ZERO_CHUNK);
        assert_eq!(f.zero_ahead(4 * ZERO_CHUNK).unwrap(), 0, "end of file");
        assert_eq!(
            f.slice(0, 100).unwrap(),
            &[9u8; 100][..],
            "written bytes untouched"
        );
    }
}
