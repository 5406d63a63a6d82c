//! Small OS helpers the standard library lacks: disk usage, hole punching, local time, and
//! listing files named by a 20-digit offset.

use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::error::StoreError;

/// Opens `path` for reading and writing, never truncating it; `create` creates it if missing.
pub fn open_rw(path: &Path, create: bool) -> Result<File, StoreError> {
    File::options()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .open(path)
        .map_err(|e| StoreError::io("open", path, None, e))
}

/// The length of `file`, opened from `path`.
pub fn file_len(file: &File, path: &Path) -> Result<u64, StoreError> {
    Ok(file
        .metadata()
        .map_err(|e| StoreError::io("stat", path, None, e))?
        .len())
}

/// The 20-digit zero-padded file name RocketMQ gives a segment starting at `offset`.
pub fn offset_file_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// Files in `dir` whose names are 20-digit offsets, sorted by offset. Other entries are
/// ignored (with a warning). A missing directory is empty.
pub fn list_offset_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StoreError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("list", dir, None, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| StoreError::io("list", dir, None, e))?;
        let name = entry.file_name();
        let bytes = name.as_bytes();
        let parsed = (bytes.len() == 20 && bytes.iter().all(u8::is_ascii_digit))
            .then(|| std::str::from_utf8(bytes).ok()?.parse::<u64>().ok())
            .flatten();
        match parsed {
            Some(off) => out.push((off, entry.path())),
            None => {
                tracing::warn!(path = %entry.path().display(), "ignoring unexpected file in store directory")
            }
        }
    }
    out.sort_by_key(|(off, _)| *off);
    Ok(out)
}

/// Used fraction (0..=1) and bytes available to this process on the filesystem holding
/// `path`; `(0.0, u64::MAX)` when it cannot be read.
pub fn disk_usage(path: &Path) -> (f64, u64) {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return (0.0, u64::MAX);
    };
    // SAFETY: `statvfs` only writes into the zeroed struct we pass; `c` is NUL-terminated.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 || st.f_blocks == 0 {
        return (0.0, u64::MAX);
    }
    let used = st.f_blocks.saturating_sub(st.f_bfree) as f64;
    let free = (st.f_bavail as u64).saturating_mul(st.f_frsize as u64);
    (used / st.f_blocks as f64, free)
}

/// Bytes in use on the filesystem holding `path` (blocks − free blocks); `None` when it
/// cannot be read.
pub fn disk_used_bytes(path: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `statvfs` only writes into the zeroed struct we pass; `c` is NUL-terminated.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 || st.f_blocks == 0 {
        return None;
    }
    let used = (st.f_blocks as u64).saturating_sub(st.f_bfree as u64);
    Some(used.saturating_mul(st.f_frsize as u64))
}

/// Used fraction (0..=1) of the filesystem holding `path` (0 when it cannot be read).
pub fn disk_used_ratio(path: &Path) -> f64 {
    disk_usage(path).0
}

/// Deallocates `[offset, offset + len)` of `file` so it reads back as zeros, keeping the file
/// size. Falls back to writing zeros where the filesystem can't punch holes.
pub fn punch_hole(file: &File, path: &Path, offset: u64, len: u64) -> Result<(), StoreError> {
    if len == 0 {
        return Ok(());
    }
    // SAFETY: plain syscall on an open descriptor.
    let rc = unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            offset as libc::off_t,
            len as libc::off_t,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    tracing::debug!(path = %path.display(), %err, "punch hole unsupported, writing zeros");
    write_zeros(file, path, offset, len)
}

/// Writes zeros over `[offset, offset + len)` with `pwrite`, one 4 KiB page at a time.
///
/// Page-sized writes matter: a large `pwrite` makes the page cache use large folios, and
/// every later `msync` of a few bytes in such a folio writes the whole folio back (measured:
/// ~1 ms instead of ~150 µs per flush).
pub fn write_zeros(file: &File, path: &Path, offset: u64, len: u64) -> Result<(), StoreError> {
    static ZEROS: [u8; 4096] = [0; 4096];
    let mut pos = offset;
    let end = offset + len;
    while pos < end {
        let n = (end - pos).min(ZEROS.len() as u64 - pos % ZEROS.len() as u64) as usize;
        file.write_all_at(&ZEROS[..n], pos)
            .map_err(|e| StoreError::io("zero", path, Some(pos), e))?;
        pos += n as u64;
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes at `offset`.
pub fn read_exact_at(
    file: &File,
    path: &Path,
    buf: &mut [u8],
    offset: u64,
) -> Result<(), StoreError> {
    file.read_exact_at(buf, offset)
        .map_err(|e| StoreError::io("read", path, Some(offset), e))
}

/// The local broken-down time at `now_ms`, or `None` when the C library cannot tell.
fn local_tm(now_ms: i64) -> Option<libc::tm> {
    let t = (now_ms / 1000) as libc::time_t;
    // SAFETY: `localtime_r` writes only into the zeroed struct we pass.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    (!r.is_null()).then_some(tm)
}

/// The local hour (0..24) at `now_ms`, as RocketMQ's `deleteWhen` uses it.
pub fn local_hour(now_ms: i64) -> u32 {
    match local_tm(now_ms) {
        Some(tm) => tm.tm_hour as u32,
        None => ((now_ms / 3_600_000).rem_euclid(24)) as u32,
    }
}

/// A number that grows by one at every local midnight (days since the epoch, local time).
pub fn local_day(now_ms: i64) -> i64 {
    match local_tm(now_ms) {
        Some(tm) => (now_ms / 1000 + tm.tm_gmtoff).div_euclid(86_400),
        None => now_ms.div_euclid(86_400_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_lists_offset_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(offset_file_name(1073741824), "00000000001073741824");
        std::fs::write(dir.path().join(offset_file_name(4096)), b"").unwrap();
        std::fs::write(dir.path().join(offset_file_name(0)), b"").unwrap();
        std::fs::write(dir.path().join("junk"), b"").unwrap();
        let files = list_offset_files(dir.path()).unwrap();
        assert_eq!(files.iter().map(|f| f.0).collect::<Vec<_>>(), vec![0, 4096]);
        assert!(list_offset_files(&dir.path().join("missing"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn punches_holes_and_reports_disk_usage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        f.write_all_at(&[7u8; 8192], 0).unwrap();
        punch_hole(&f, &path, 100, 5000).unwrap();
        let mut buf = [0u8; 8192];
        read_exact_at(&f, &path, &mut buf, 0).unwrap();
        assert!(buf[..100].iter().all(|b| *b == 7));
        assert!(buf[100..5100].iter().all(|b| *b == 0));
        assert!(buf[5100..].iter().all(|b| *b == 7));
        let r = disk_used_ratio(dir.path());
        assert!(r > 0.0 && r <= 1.0, "{r}");
        assert!(local_hour(0) < 24);
    }
}
