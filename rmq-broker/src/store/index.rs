//! The message index under `<storePathRootDir>/index/`: `topic#KEYS-entry` and
//! `topic#UNIQ_KEY` → commit-log offsets, in RocketMQ's [`IndexFile`] layout.
//!
//! Files are named by their creation time in ms (20 digits) and filled one after another.
//! The index is written under the append lock, flushed lazily, and rebuilt for the commit-log
//! tail after a crash (re-dispatch may add duplicate entries; queries de-duplicate). Hits are
//! checked against the record itself, so stale entries past a truncated tail are harmless.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::error::StoreError;
use super::index_file::{key_hash, IndexFile};
use super::sys;

/// All index files.
#[derive(Debug)]
pub struct IndexService {
    dir: PathBuf,
    slot_num: u32,
    max_index: u32,
    files: RwLock<Vec<Arc<IndexFile>>>,
}

impl IndexService {
    /// Opens the existing index files.
    ///
    /// # Errors
    /// `Io`/`Corrupt` when a file cannot be opened.
    pub fn load(dir: &Path, slot_num: u32, max_index: u32) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::io("create directory", dir, None, e))?;
        let mut files = Vec::new();
        for (_, path) in sys::list_offset_files(dir)? {
            files.push(Arc::new(IndexFile::open(path, slot_num, max_index)?));
        }
        Ok(IndexService {
            dir: dir.to_path_buf(),
            slot_num,
            max_index,
            files: RwLock::new(files),
        })
    }

    fn snapshot(&self) -> Vec<Arc<IndexFile>> {
        self.files.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The file to write, rolling to a new one when the last is full.
    fn writable(&self, now_ms: i64) -> Result<Arc<IndexFile>, StoreError> {
        if let Some(f) = self.files.read().unwrap_or_else(|p| p.into_inner()).last() {
            if !f.is_full() {
                return Ok(f.clone());
            }
        }
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = files.last() {
            if !f.is_full() {
                return Ok(f.clone());
            }
            let _ = f.flush();
        }
        let last_name = files
            .last()
            .and_then(|f| f.path().file_name()?.to_str()?.parse::<u64>().ok())
            .unwrap_or(0);
        let name = (now_ms.max(0) as u64).max(last_name + 1);
        let f = Arc::new(IndexFile::open(
            self.dir.join(sys::offset_file_name(name)),
            self.slot_num,
            self.max_index,
        )?);
        files.push(f.clone());
        Ok(f)
    }

    /// Indexes one record: its `UNIQ_KEY` and each space-separated `KEYS` entry.
    ///
    /// # Errors
    /// `Io` when a new index file cannot be created.
    pub fn put(
        &self,
        topic: &str,
        uniq_key: Option<&str>,
        keys: Option<&str>,
        phy: i64,
        store_ts: i64,
    ) -> Result<(), StoreError> {
        let all = uniq_key
            .into_iter()
            .chain(keys.into_iter().flat_map(str::split_whitespace));
        for key in all.filter(|k| !k.is_empty()) {
            let hash = key_hash(topic, key);
            let mut f = self.writable(store_ts)?;
            if !f.put(hash, phy, store_ts) {
                f = self.writable(store_ts)?;
                f.put(hash, phy, store_ts);
            }
        }
        Ok(())
    }

    /// Candidate commit-log offsets for `topic#key` stored within `[begin_ms, end_ms]`,
    /// newest first, de-duplicated, at most `max` (callers verify the records).
    pub fn query(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin_ms: i64,
        end_ms: i64,
    ) -> Vec<i64> {
        let hash = key_hash(topic, key);
        let mut out = Vec::new();
        for f in self.snapshot().iter().rev() {
            if out.len() >= max {
                break;
            }
            let (b, e) = (f.begin_timestamp(), f.end_timestamp());
            if f.count() <= 1 || e + 999 < begin_ms || b > end_ms {
                continue;
            }
            f.lookup(hash, max.saturating_mul(2), begin_ms, end_ms, &mut out);
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|p| seen.insert(*p));
        out
    }

    /// Flushes every file.
    ///
    /// # Errors
    /// `Io` when msync fails.
    pub fn flush(&self) -> Result<(), StoreError> {
        for f in self.snapshot() {
            f.flush()?;
        }
        Ok(())
    }

    /// Drops mapped pages of every file from the process (idle store).
    pub fn release_pages(&self) {
        for f in self.snapshot() {
            f.release_pages();
        }
    }

    /// Deletes files (never the last) whose entries all point below `clog_min`.
    pub fn delete_expired(&self, clog_min: u64) -> usize {
        let removed: Vec<Arc<IndexFile>> = {
            let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
            let n = files
                .iter()
                .take(files.len().saturating_sub(1))
                .position(|f| f.end_phy_offset() >= clog_min as i64)
                .unwrap_or(files.len().saturating_sub(1));
            files.drain(..n).collect()
        };
        for f in &removed {
            if let Err(e) = std::fs::remove_file(f.path()) {
                tracing::warn!(path = %f.path().display(), error = %e, "cannot delete expired index file");
            }
        }
        removed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolls_files_and_queries_across_them() {
        let dir = tempfile::tempdir().unwrap();
        let idx = IndexService::load(dir.path(), 8, 3).unwrap();
        for i in 0..5i64 {
            idx.put(
                "T",
                Some(&format!("U{i}")),
                Some("shared other"),
                i * 100,
                1_000 + i,
            )
            .unwrap();
        }
        assert!(idx.snapshot().len() >= 3);
        assert_eq!(idx.query("T", "U3", 10, 0, i64::MAX), vec![300]);
        assert_eq!(
            idx.query("T", "shared", 10, 0, i64::MAX),
            vec![400, 300, 200, 100, 0]
        );
        assert_eq!(idx.query("T", "shared", 2, 0, i64::MAX).len(), 2);
        assert!(idx.query("X", "shared", 10, 0, i64::MAX).is_empty());
        drop(idx);
        let idx = IndexService::load(dir.path(), 8, 3).unwrap();
        assert_eq!(idx.query("T", "U0", 10, 0, i64::MAX), vec![0]);
        assert!(idx.delete_expired(250) >= 1);
        assert!(idx.query("T", "U0", 10, 0, i64::MAX).is_empty());
    }
}
