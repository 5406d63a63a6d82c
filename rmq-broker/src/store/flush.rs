//! Commit-log flushing: SYNC_FLUSH group commit and ASYNC_FLUSH background flushing.
//!
//! SYNC_FLUSH: a writer that needs its record durable registers the record's end offset and
//! awaits a oneshot. The flush thread takes every pending request at once, flushes the commit
//! log up to the current write position (which covers them all, and whatever else was
//! appended meanwhile) and answers them together: one msync serves many writers.
//! ASYNC_FLUSH: the thread flushes every `flush_interval_commit_log_ms`.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest a group commit waits for more writers when the previous one served many.
const STRAGGLER_WAIT: Duration = Duration::from_micros(100);

use tokio::sync::oneshot;

use super::commit_log::CommitLog;
use super::config::FlushDiskType;
use crate::metrics::histogram::{Histogram, STORE_LATENCY_US_BOUNDS};

#[derive(Default)]
struct State {
    requests: Vec<(u64, oneshot::Sender<()>)>,
    stop: bool,
}

/// The flush thread's mailbox.
pub struct FlushService {
    mode: FlushDiskType,
    interval: Duration,
    state: Mutex<State>,
    cv: Condvar,
    /// Duration of each commit-log flush, in microseconds (`rmq_store_flush_latency`).
    pub latency: Histogram,
}

impl std::fmt::Debug for FlushService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlushService")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl FlushService {
    pub fn new(mode: FlushDiskType, interval_ms: u64) -> Self {
        FlushService {
            mode,
            interval: Duration::from_millis(interval_ms.max(1)),
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
            latency: Histogram::new(STORE_LATENCY_US_BOUNDS),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for the commit log to be durable up to `end`; the receiver completes when it is
    /// (or is dropped when flushing failed or the store stopped without flushing).
    pub fn request(&self, end: u64) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let mut st = self.lock();
        if st.stop {
            return rx;
        }
        st.requests.push((end, tx));
        drop(st);
        self.cv.notify_one();
        rx
    }

    /// Wakes the thread for a flush without waiting for it.
    pub fn wakeup(&self) {
        self.cv.notify_one();
    }

    /// Stops the thread after a final flush.
    pub fn stop(&self) {
        self.lock().stop = true;
        self.cv.notify_all();
    }

    /// Starts the flush thread.
    pub fn spawn(self: &Arc<Self>, log: Arc<CommitLog>) -> std::io::Result<JoinHandle<()>> {
        let svc = self.clone();
        std::thread::Builder::new()
            .name("rmq-store-flush".into())
            .spawn(move || match svc.mode {
                FlushDiskType::SyncFlush => svc.run_sync(&log),
                FlushDiskType::AsyncFlush => svc.run_async(&log),
            })
    }

    /// Flushes the commit log, recording how long it took when there was something to flush.
    fn timed_flush(&self, log: &CommitLog) -> Result<u64, super::StoreError> {
        let pending = log.flushed_offset() < log.max_offset();
        let started = Instant::now();
        let r = log.flush();
        if pending {
            self.latency
                .record(started.elapsed().as_micros().min(u64::MAX as u128) as u64);
        }
        r
    }

    fn run_sync(&self, log: &CommitLog) {
        let mut last_batch = 0usize;
        loop {
            let (requests, stop) = {
                let mut st = self.lock();
                while st.requests.is_empty() && !st.stop {
                    st = self
                        .cv
                        .wait_timeout(st, Duration::from_secs(1))
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                    if st.requests.is_empty() && !st.stop {
                        break;
                    }
                }
                // Many writers: the fastest ones are back before the rest; give the others a
                // moment so that one flush serves them all (a lone writer never waits here).
                let deadline = Instant::now() + STRAGGLER_WAIT;
                while !st.stop && st.requests.len() * 2 <= last_batch {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    st = self
                        .cv
                        .wait_timeout(st, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                (std::mem::take(&mut st.requests), st.stop)
            };
            last_batch = requests.len();
            match self.timed_flush(log) {
                Ok(flushed) => {
                    for (end, tx) in requests {
                        if end <= flushed {
                            let _ = tx.send(());
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "commit log flush failed"),
            }
            if stop {
                return;
            }
        }
    }

    fn run_async(&self, log: &CommitLog) {
        loop {
            let stop = {
                let st = self.lock();
                if st.stop {
                    true
                } else {
                    self.cv
                        .wait_timeout(st, self.interval)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                        .stop
                }
            };
            if let Err(e) = self.timed_flush(log) {
                tracing::error!(error = %e, "commit log flush failed");
            }
            if stop {
                return;
            }
        }
    }
}

/// A stoppable periodic timer for background threads.
#[derive(Debug, Default)]
pub struct Ticker {
    stop: Mutex<bool>,
    cv: Condvar,
}

impl Ticker {
    /// Waits up to `d`; false once stopped.
    pub fn wait(&self, d: Duration) -> bool {
        let st = self.stop.lock().unwrap_or_else(|p| p.into_inner());
        if *st {
            return false;
        }
        let (st, _) = self
            .cv
            .wait_timeout(st, d)
            .unwrap_or_else(|p| p.into_inner());
        !*st
    }

    pub fn stop(&self) {
        *self.stop.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cv.notify_all();
    }
}
