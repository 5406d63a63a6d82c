//! Warm segments (RocketMQ's warm-mapped-file): a background thread prepares the next
//! commit-log segment before the writer needs it, and readies the active one ahead of the
//! writer so that the appender neither faults in fresh pages nor makes group commits pay for
//! block allocation.
//!
//! * SYNC_FLUSH — zero-fill: keep [`ZERO_AHEAD`](super::warm_signal::ZERO_AHEAD) bytes ahead of the writer zero-filled with
//!   4 KiB `pwrite`s (small page-cache folios, see `sys::write_zeros`) and fdatasync each
//!   chunk, so the block allocation is committed here rather than in a writer's flush.
//!   `pwrite` goes through the page cache, so none of it counts against the process RSS.
//!   The zeroing protocol is in [`MappedFile`]: a chunk is claimed only above the write
//!   position, and an appender that needs a claimed chunk waits for it (one that outruns the
//!   warm thread just moves the frontier past itself), so written bytes are never zeroed.
//! * ASYNC_FLUSH — populate: nobody waits for a flush, and the writer's cost is dominated by
//!   page faults (allocating and zeroing page-cache pages). Keep [`POPULATE_AHEAD`](super::warm_signal::POPULATE_AHEAD) bytes ahead
//!   of the writer prefaulted writable (`MADV_POPULATE_WRITE`, which doesn't change contents)
//!   on the other core; measured 2× the single-writer throughput on the 2-core target.
//!   Populated pages count against the RSS until the idle store releases them.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::commit_log::CommitLog;
use super::mapped_file::MappedFile;
use super::warm_signal::{WarmMode, WarmSignal};

/// Readies `seg` up to `signal.ahead` bytes past its write position.
fn warm_file(signal: &WarmSignal, seg: &MappedFile) {
    while !signal.is_stopped() {
        let done = match signal.mode {
            WarmMode::Off => return,
            WarmMode::Populate => seg.populate_ahead(signal.ahead),
            WarmMode::Zero => match seg.zero_ahead(signal.ahead) {
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
                warm_file(&signal, &active);
                if active.size() - active.wrote() >= signal.spare_ahead {
                    continue;
                }
                match log.queue().prepare_spare() {
                    Ok(Some(spare)) => {
                        if signal.mode == WarmMode::Zero {
                            warm_file(&signal, &spare);
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
