//! Retention (RocketMQ's `CleanCommitLogService` / `CleanConsumeQueueService`).
//!
//! At the local hours listed in `deleteWhen`, or at any hour while the disk holding the store
//! is fuller than `diskMaxUsedSpaceRatio`, commit-log segments whose modification time is
//! older than `fileReservedTime` hours are deleted, oldest first, stopping at the first one
//! that is not expired and never touching the segment being written. Then consume-queue files
//! whose entries all point below the new commit-log start are deleted, each queue's min offset
//! moves past entries that point below it, and index files that only point below it go too.

use std::sync::Arc;
use std::time::Duration;

use super::flush::Ticker;
use super::sys;
use super::StoreInner;

/// Deletes expired files; returns the number of commit-log segments deleted.
///
/// `force` skips the `deleteWhen` hour check (the age rule still applies).
pub fn delete_expired_files(inner: &StoreInner, now_ms: i64, force: bool) -> usize {
    let hour_ok = inner.parsed.delete_hours.contains(&sys::local_hour(now_ms));
    let ratio = sys::disk_used_ratio(&inner.config.store_path_root_dir);
    let disk_full = ratio * 100.0 > f64::from(inner.config.disk_max_used_space_ratio);
    if !(force || hour_ok || disk_full) {
        return 0;
    }
    if disk_full {
        tracing::warn!(
            ratio,
            limit = inner.config.disk_max_used_space_ratio,
            "disk usage above limit, cleaning expired files"
        );
    }
    let reserved_ms = i64::try_from(
        inner
            .config
            .file_reserved_time_hours
            .saturating_mul(3_600_000),
    )
    .unwrap_or(i64::MAX);
    let removed = inner
        .commit_log
        .queue()
        .delete_prefix(|f| f.is_full() && f.modified_ms().saturating_add(reserved_ms) <= now_ms);
    for f in &removed {
        tracing::info!(path = %f.path().display(), "deleted expired commit-log segment");
    }
    let clog_min = inner.commit_log.min_offset();
    let mut cq_files = 0;
    for cq in inner.cqs.all() {
        cq_files += cq.delete_expired(clog_min);
    }
    let index_files = inner.index.delete_expired(clog_min);
    if !removed.is_empty() || cq_files > 0 || index_files > 0 {
        tracing::info!(
            segments = removed.len(),
            cq_files,
            index_files,
            clog_min,
            "retention done"
        );
    }
    removed.len()
}

/// Starts the housekeeping thread: flushes consume queues and the index and writes the
/// checkpoint every `flush_interval_consume_queue_ms`, runs retention every
/// `clean_resource_interval_ms`.
pub fn spawn_housekeeping(
    inner: Arc<StoreInner>,
    ticker: Arc<Ticker>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let flush_every = Duration::from_millis(inner.opts.flush_interval_consume_queue_ms.max(1));
    let clean_every = Duration::from_millis(inner.opts.clean_resource_interval_ms.max(1));
    std::thread::Builder::new()
        .name("rmq-store-housekeeping".into())
        .spawn(move || {
            let mut last_flush = std::time::Instant::now();
            let mut last_clean = std::time::Instant::now();
            let mut released_at = u64::MAX;
            let mut seen = inner.commit_log.max_offset();
            while ticker.wait(flush_every.min(clean_every)) {
                if last_flush.elapsed() >= flush_every {
                    last_flush = std::time::Instant::now();
                    inner.check_disk_space();
                    if let Err(e) = inner.flush_logics_and_checkpoint(false) {
                        tracing::warn!(error = %e, "periodic consume queue flush failed");
                    }
                    // Nothing appended for a whole interval: the store is idle, give mapped
                    // pages back (they stay in the page cache).
                    let now = inner.commit_log.max_offset();
                    if now == seen && released_at != now {
                        released_at = now;
                        inner.release_pages();
                    }
                    seen = now;
                }
                if last_clean.elapsed() >= clean_every {
                    last_clean = std::time::Instant::now();
                    delete_expired_files(&inner, rmq_core::clock::now_ms(), false);
                }
            }
        })
}
