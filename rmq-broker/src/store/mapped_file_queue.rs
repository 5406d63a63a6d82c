//! An ordered, contiguous list of [`MappedFile`]s in one directory: roll-over, lookup by
//! offset, flushing and deletion of a prefix.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use super::error::StoreError;
use super::mapped_file::MappedFile;
use super::sys;

/// Segments of the commit log or of one consume queue.
#[derive(Debug)]
pub struct MappedFileQueue {
    dir: PathBuf,
    file_size: u64,
    prezero: bool,
    files: RwLock<Vec<Arc<MappedFile>>>,
    /// The next segment, created ahead of time by the warm thread.
    spare: Mutex<Option<Arc<MappedFile>>>,
}

impl MappedFileQueue {
    /// Opens every 20-digit file of `dir` (creating the directory). With `strict`, a gap
    /// between files is an error (commit log); otherwise files before the last gap are
    /// ignored with a warning (consume queue).
    ///
    /// # Errors
    /// `Io` on directory or file errors; `Corrupt` on a gap when `strict`.
    pub fn load(
        dir: &Path,
        file_size: u64,
        prezero: bool,
        strict: bool,
    ) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::io("create directory", dir, None, e))?;
        let mut files: Vec<Arc<MappedFile>> = Vec::new();
        for (start, path) in sys::list_offset_files(dir)? {
            let f = MappedFile::open(path, start, file_size, prezero)?;
            if let Some(prev) = files.last() {
                if prev.end() != start {
                    if strict {
                        return Err(StoreError::corrupt(
                            f.path(),
                            start,
                            format!(
                                "segment does not follow {} (which ends at {})",
                                prev.path().display(),
                                prev.end()
                            ),
                        ));
                    }
                    tracing::warn!(path = %f.path().display(), expected = prev.end(), "gap before file, ignoring earlier files");
                    files.clear();
                }
            }
            files.push(Arc::new(f));
        }
        Ok(MappedFileQueue {
            dir: dir.to_path_buf(),
            file_size,
            prezero,
            files: RwLock::new(files),
            spare: Mutex::new(None),
        })
    }

    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<Arc<MappedFile>>> {
        self.files.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The files, for recovery (exclusive access).
    pub fn files_mut(&mut self) -> &mut Vec<Arc<MappedFile>> {
        self.files.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    /// A snapshot of the files.
    pub fn snapshot(&self) -> Vec<Arc<MappedFile>> {
        self.read().clone()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    pub fn last(&self) -> Option<Arc<MappedFile>> {
        self.read().last().cloned()
    }

    /// The file holding `offset`.
    pub fn find(&self, offset: u64) -> Option<Arc<MappedFile>> {
        let files = self.read();
        let idx = files.partition_point(|f| f.start() <= offset);
        let f = files.get(idx.checked_sub(1)?)?;
        (offset < f.end()).then(|| f.clone())
    }

    /// Start of the first file (0 when empty).
    pub fn min_offset(&self) -> u64 {
        self.read().first().map_or(0, |f| f.start())
    }

    /// One past the last written byte (0 when empty).
    pub fn max_offset(&self) -> u64 {
        self.read().last().map_or(0, |f| f.start() + f.wrote())
    }

    fn new_file(&self, start: u64) -> Result<MappedFile, StoreError> {
        MappedFile::create(
            self.dir.join(sys::offset_file_name(start)),
            start,
            self.file_size,
            self.prezero,
        )
    }

    /// Appends a new file starting at `start` (the spare one when it matches).
    ///
    /// # Errors
    /// `Io` when the file cannot be created or mapped.
    pub fn create_file(&self, start: u64) -> Result<Arc<MappedFile>, StoreError> {
        // Held while the list changes, so `prepare_spare` never targets a live file.
        let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
        let f = match spare.take() {
            Some(s) if s.start() == start && s.wrote() == 0 => s,
            other => {
                if let Some(s) = other {
                    let _ = s.destroy();
                }
                Arc::new(self.new_file(start)?)
            }
        };
        self.files
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(f.clone());
        Ok(f)
    }

    /// Warm thread: creates the file after the last one ahead of time (no-op if done).
    /// Returns the spare for pre-zeroing.
    ///
    /// # Errors
    /// `Io` when the file cannot be created.
    pub fn prepare_spare(&self) -> Result<Option<Arc<MappedFile>>, StoreError> {
        let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
        let Some(next) = self.last().map(|l| l.end()) else {
            return Ok(None);
        };
        if let Some(s) = spare.as_ref() {
            if s.start() == next {
                return Ok(Some(s.clone()));
            }
        }
        if let Some(old) = spare.take() {
            let _ = old.destroy();
        }
        let f = Arc::new(self.new_file(next)?);
        *spare = Some(f.clone());
        Ok(Some(f))
    }

    /// Deletes the spare file (shutdown), so that a reopen sees only written segments.
    pub fn discard_spare(&self) {
        if let Some(s) = self.spare.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = s.destroy();
        }
    }

    /// Flushes every file with unflushed bytes; returns the flushed end offset.
    ///
    /// # Errors
    /// `Io` when msync fails.
    pub fn flush(&self) -> Result<u64, StoreError> {
        let files = self.snapshot();
        for f in files.iter().filter(|f| f.flushed() < f.wrote()) {
            f.flush()?;
        }
        Ok(files.last().map_or(0, |f| f.start() + f.flushed()))
    }

    /// Removes files from the front while `expired` says so, never the last one. Returns the
    /// removed files (already deleted from disk).
    pub fn delete_prefix(
        &self,
        mut expired: impl FnMut(&MappedFile) -> bool,
    ) -> Vec<Arc<MappedFile>> {
        let removed: Vec<Arc<MappedFile>> = {
            let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
            let keep_from = files
                .iter()
                .take(files.len().saturating_sub(1))
                .position(|f| !expired(f))
                .unwrap_or(files.len().saturating_sub(1));
            files.drain(..keep_from).collect()
        };
        for f in &removed {
            if let Err(e) = f.destroy() {
                tracing::warn!(error = %e, "cannot delete expired file");
            }
        }
        removed
    }

    /// Deletes every file and the directory (consume queue of a deleted topic).
    pub fn destroy_all(&self) {
        let files = std::mem::take(&mut *self.files.write().unwrap_or_else(|p| p.into_inner()));
        for f in files {
            let _ = f.destroy();
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolls_finds_and_deletes_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let q = MappedFileQueue::load(dir.path(), 4096, false, true).unwrap();
        assert!(q.is_empty());
        let a = q.create_file(0).unwrap();
        a.append(&[1u8; 4096]).unwrap();
        let b = q.create_file(4096).unwrap();
        b.append(&[2u8; 10]).unwrap();
        assert_eq!(q.max_offset(), 4106);
        assert_eq!(q.find(4095).unwrap().start(), 0);
        assert_eq!(q.find(4096).unwrap().start(), 4096);
        assert!(q.find(8192).is_none());
        assert_eq!(q.flush().unwrap(), 4106);
        let spare = q.prepare_spare().unwrap().unwrap();
        assert_eq!(spare.start(), 8192);
        assert_eq!(q.delete_prefix(|_| true).len(), 1, "never the last file");
        assert_eq!(q.min_offset(), 4096);
        q.discard_spare();
        drop((a, b, spare, q));
        let q = MappedFileQueue::load(dir.path(), 4096, false, true).unwrap();
        assert_eq!(q.snapshot().len(), 1);
    }

    #[test]
    fn gap_is_an_error_only_when_strict() {
        let dir = tempfile::tempdir().unwrap();
        for start in [0u64, 8192] {
            std::fs::write(
                dir.path().join(sys::offset_file_name(start)),
                vec![0u8; 4096],
            )
            .unwrap();
        }
        let err = MappedFileQueue::load(dir.path(), 4096, false, true).unwrap_err();
        assert!(err.to_string().contains("00000000000000008192"), "{err}");
        let q = MappedFileQueue::load(dir.path(), 4096, false, false).unwrap();
        assert_eq!(q.min_offset(), 8192);
    }
}
