//! The signal between the commit-log appender and the warm thread (`warm.rs`): the
//! appender reports its progress, the warm thread waits for a kick. Kept apart from the thread
//! so that the commit log depends on the signal only, never on the thread that reads the log.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

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
    /// What the warm thread does.
    pub(super) mode: WarmMode,
    /// How far ahead of the writer the active segment is readied.
    pub(super) ahead: u64,
    /// How close to a segment's end the next one is prepared.
    pub(super) spare_ahead: u64,
    /// A kick not yet taken by the warm thread.
    pub(super) pending: AtomicBool,
    /// Start offset of the spare segment already prepared (`u64::MAX` = none).
    pub(super) spare_for: AtomicU64,
    stop: Mutex<bool>,
    cv: Condvar,
}

impl WarmSignal {
    /// A signal for segments of `segment_size` bytes.
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

    /// Whether [`stop`](Self::stop) was called.
    pub(super) fn is_stopped(&self) -> bool {
        *self.stop.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a kick (or a second); false once stopped.
    pub(super) fn wait(&self) -> bool {
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
