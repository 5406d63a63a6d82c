//! Warm segments (RocketMQ's warm-mapped-file): a background thread prepares the next
//! commit-log segment before the writer needs it and, under SYNC_FLUSH, zero-fills the active
//! segment ahead of the writer.
//!
//! Under ASYNC_FLUSH nobody waits for a flush, and zeroing ahead only moves page-cache work to
//! another thread — measured on the 2-core target it costs the writer 15–30% throughput, so
//! there the thread only prepares segments.
//!
//! Zero-filling pages ahead (4 KiB `pwrite`s, so the page cache keeps small folios — see
//! `sys::write_zeros`) takes the page allocation and zeroing off the writer's thread, and,
//! under SYNC_FLUSH, each chunk is fdatasync'ed here so that the block allocation is committed
//! before a group commit has to. `pwrite` goes through the page cache, so none of it counts
//! against the process RSS.
//!
//! The zeroing protocol is in [`MappedFile`]: a chunk is claimed only above the write
//! position, and an appender that needs a claimed chunk waits for it (one that outruns the
//! warm thread just moves the frontier past itself), so written bytes are never zeroed.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::commit_log::CommitLog;
use super::mapped_file::MappedFile;

/// How far ahead of the writer the active segment is kept zero-filled.
pub const WARM_AHEAD: u64 = 16 << 20;

/// Wakes the warm thread when the writer approaches the zeroed frontier or rolls over.
#[derive(Debug)]
pub struct WarmSignal {
    enabled: bool,
    /// Zero-fill (and fdatasync) ahead of the writer: SYNC_FLUSH only.
    zero_ahead: bool,
    ahead: u64,
    pending: AtomicBool,
    /// Start offset of the spare segment already prepared (`u64::MAX` = none).
    spare_for: AtomicU64,
    stop: Mutex<bool>,
    cv: Condvar,
}

impl WarmSignal {
    pub fn new(enabled: bool, zero_ahead: bool, segment_size: u64) -> Self {
        WarmSignal {
            enabled,
            zero_ahead: enabled && zero_ahead,
            ahead: WARM_AHEAD.min(segment_size),
            pending: AtomicBool::new(enabled),
            spare_for: AtomicU64::new(u64::MAX),
            stop: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    /// Called by the appender after each record (cheap unless a kick is due).
    pub fn after_append(&self, seg: &MappedFile) {
        if !self.enabled {
            return;
        }
        let wrote = seg.wrote();
        let low_zeroed = self.zero_ahead && seg.zeroed() < (wrote + self.ahead / 2).min(seg.size());
        let want_spare =
            seg.size() - wrote < self.ahead && self.spare_for.load(Ordering::Relaxed) != seg.end();
        if (low_zeroed || want_spare) && !self.pending.load(Ordering::Relaxed) {
            self.kick();
        }
    }

    /// Called by the appender after a roll-over.
    pub fn rolled(&self) {
        if self.enabled {
            self.kick();
        }
    }

    fn kick(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            let _g = self.stop.lock().unwrap_or_else(|p| p.into_inner());
            self.cv.notify_one();
        }
    }

    /// Stops the thread.
    pub fn stop(&self) {
        *self.stop.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cv.notify_all();
    }

    fn is_stopped(&self) -> bool {
        *self.stop.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a kick (or a second); false once stopped.
    fn wait(&self) -> bool {
        let mut stopped = self.stop.lock().unwrap_or_else(|p| p.into_inner());
        while !*stopped && !self.pending.load(Ordering::Acquire) {
            let (g, timeout) = self
                .cv
                .wait_timeout(stopped, Duration::from_secs(1))
                .unwrap_or_else(|p| p.into_inner());
            stopped = g;
            if timeout.timed_out() {
                break;
            }
        }
        !*stopped
    }
}

/// Zero-fills `seg` up to `ahead` bytes past its write position, syncing each chunk so its
/// block allocation is committed before the writer gets there.
fn warm_file(signal: &WarmSignal, seg: &MappedFile, ahead: u64) {
    if !signal.zero_ahead {
        return;
    }
    loop {
        if signal.is_stopped() {
            return;
        }
        match seg.zero_ahead(ahead) {
            Ok(0) => return,
            Ok(_) => {
                if let Err(e) = seg.sync_data() {
                    tracing::warn!(error = %e, "warm segment: fdatasync failed");
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "warm segment: zero-fill failed");
                return;
            }
        }
    }
}

/// Starts the warm thread for `log`.
pub fn spawn(
    log: Arc<CommitLog>,
    signal: Arc<WarmSignal>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("rmq-store-warm".into())
        .spawn(move || {
            while signal.wait() {
                signal.pending.store(false, Ordering::Release);
                let Some(active) = log.queue().last() else {
                    continue;
                };
                warm_file(&signal, &active, signal.ahead);
                if active.size() - active.wrote() < signal.ahead * 2 {
                    match log.queue().prepare_spare() {
                        Ok(Some(spare)) => {
                            warm_file(&signal, &spare, signal.ahead);
                            signal.spare_for.store(spare.start(), Ordering::Release);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot prepare the next commit-log segment")
                        }
                    }
                }
            }
        })
}
