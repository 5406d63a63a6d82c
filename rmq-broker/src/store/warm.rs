//! Warm segments (RocketMQ's warm-mapped-file): a background thread prepares the next
//! commit-log segment before the writer needs it, and readies the active one ahead of the
//! writer so that the appender neither faults in fresh pages nor makes group commits pay for
//! block allocation.
//!
//! * SYNC_FLUSH — zero-fill: keep [`ZERO_AHEAD`] bytes ahead of the writer zero-filled with
//!   4 KiB `pwrite`s (small page-cache folios, see `sys::write_zeros`) and fdatasync each
//!   chunk, so the block allocation is committed here rather than in a writer's flush.
//!   `pwrite` goes through the page cache, so none of it counts against the process RSS.
//!   The zeroing protocol is in [`MappedFile`]: a chunk is claimed only above the write
//!   position, and an appender that needs a claimed chunk waits for it (one that outruns the
//!   warm thread just moves the frontier past itself), so written bytes are never zeroed.
//! * ASYNC_FLUSH — populate: nobody waits for a flush, and the writer's cost is dominated by
//!   page faults (allocating and zeroing page-cache pages). Keep [`POPULATE_AHEAD`] bytes ahead
//!   of the writer prefaulted writable (`MADV_POPULATE_WRITE`, which doesn't change contents)
//!   on the other core; measured 2× the single-writer throughput on the 2-core target.
//!   Populated pages count against the RSS until the idle store releases them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::commit_log::CommitLog;
use super::mapped_file::MappedFile;

/// SYNC_FLUSH: how far ahead of the writer the active segment is kept zero-filled.
pub const ZERO_AHEAD: u64 = 16 << 20;
/// ASYNC_FLUSH: how far ahead of the writer page tables are kept populated.
pub const POPULATE_AHEAD: u64 = 4 << 20;
/// The next segment is created when the writer is this close to the end of the active one.
pub const SPARE_AHEAD: u64 = 32 << 20;

/// How the warm thread readies the active segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmMode {
    /// No warm thread.
    Off,
    /// Zero-fill and sync ahead (SYNC_FLUSH).
    Zero,
    /// Prefault page tables ahead (ASYNC_FLUSH).
    Populate,
}

/// Wakes the warm thread when the writer approaches the readied frontier or rolls over.
#[derive(Debug)]
pub struct WarmSignal {
    mode: WarmMode,
    ahead: u64,
    spare_ahead: u64,
    pending: AtomicBool,
    /// Start offset of the spare segment already prepared (`u64::MAX` = none).
    spare_for: AtomicU64,
    stop: Mutex<bool>,
    cv: Condvar,
}

impl WarmSignal {
    pub fn new(mode: WarmMode, segment_size: u64) -> Self {
        let ahead = match mode {
            WarmMode::Populate => POPULATE_AHEAD,
            _ => ZERO_AHEAD,
        };
        WarmSignal {
            mode,
            ahead: ahead.min(segment_size),
            spare_ahead: SPARE_AHEAD.min(segment_size),
            // Zero ahead of a recovered segment right away; populate only once writes come.
            pending: AtomicBool::new(mode == WarmMode::Zero),
            spare_for: AtomicU64::new(u64::MAX),
            stop: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    /// Called by the appender after each record (cheap unless a kick is due).
    pub fn after_append(&self, seg: &MappedFile) {
        let frontier = match self.mode {
            WarmMode::Off => return,
            WarmMode::Zero => seg.zeroed(),
            WarmMode::Populate => seg.populated(),
        };
        let wrote = seg.wrote();
        let low = frontier < (wrote + self.ahead / 2).min(seg.size());
        let want_spare = seg.size() - wrote < self.spare_ahead
            && self.spare_for.load(Ordering::Relaxed) != seg.end();
        if (low || want_spare) && !self.pending.load(Ordering::Relaxed) {
            self.kick();
        }
    }

    /// Called by the appender after a roll-over.
    pub fn rolled(&self) {
        if self.mode != WarmMode::Off {
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

    /// Readies `seg` up to `ahead` bytes past its write position.
    fn warm_file(&self, seg: &MappedFile) {
        while !self.is_stopped() {
            let done = match self.mode {
                WarmMode::Off => return,
                WarmMode::Populate => seg.populate_ahead(self.ahead),
                WarmMode::Zero => match seg.zero_ahead(self.ahead) {
                    Ok(0) => 0,
                    Ok(n) => match seg.sync_data() {
                        Ok(()) => n,
                        Err(e) => {
                            tracing::warn!(error = %e, "warm segment: fdatasync failed");
                            return;
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "warm segment: zero-fill failed");
                        return;
                    }
                },
            };
            if done == 0 {
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
                if !signal.pending.swap(false, Ordering::AcqRel) {
                    continue; // periodic wake-up without work
                }
                let Some(active) = log.queue().last() else {
                    continue;
                };
                signal.warm_file(&active);
                if active.size() - active.wrote() >= signal.spare_ahead {
                    continue;
                }
                match log.queue().prepare_spare() {
                    Ok(Some(spare)) => {
                        if signal.mode == WarmMode::Zero {
                            signal.warm_file(&spare);
                        }
                        signal.spare_for.store(spare.start(), Ordering::Release);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot prepare the next commit-log segment")
                    }
                }
            }
        })
}
