//! The timer service: moves parked messages from [`TIMER_TOPIC`] into the log and wheel, and
//! re-puts each to its real topic at its delivery time (`TimerMessageStore`'s enqueue and
//! dequeue services, on one task).
//!
//! Only the units of slots whose time has come are in memory (a heap ordered by delivery
//! time); pending messages further out live in the log and wheel files.
//!
//! Delivery guarantees: a unit is marked delivered right after its message is re-put, so a
//! restart (clean or `kill -9`) delivers every pending message once; a crash between a re-put
//! and its mark delivers that one message twice. After power loss, units and marks written
//! since the last sync (`timerFlushIntervalMs`) may be lost: messages are enqueued again from
//! the timer topic (which the commit log keeps under `flushDiskType`'s guarantee), so nothing
//! acknowledged is lost, but some may be delivered twice.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rmq_core::clock::now_ms;
use rmq_core::protocol::message::decode_record;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::checkpoint::{CheckpointFile, TimerCheckpoint};
use super::log::{LogUnit, TimerLog};
use super::message::{deliver_time, restore};
use super::wheel::TimerWheel;
use super::{TimerConfig, TimerError, TIMER_TOPIC};
use crate::store::{MessageStore, PutMessageStatus};

/// Records read from the timer topic per batch.
const ENQUEUE_BATCH: i32 = 256;
/// Messages enqueued, slots loaded, or messages re-put before the task lets other tasks of
/// its runtime thread run (the file I/O is synchronous).
const BUDGET: usize = 4096;
/// How long a failed re-put waits before the next try.
const RETRY_DELAY: Duration = Duration::from_millis(100);
/// The longest the task sleeps without looking at the timer topic.
const MAX_IDLE: Duration = Duration::from_millis(500);
/// How long shutdown waits for the task to finish its current message.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A loaded unit waiting for its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Due {
    deliver_ms: i64,
    pos: i64,
    offset_py: i64,
    enqueue_ms: i64,
}

impl Due {
    fn of(pos: i64, u: &LogUnit) -> Due {
        Due {
            deliver_ms: u.deliver_ms,
            pos,
            offset_py: u.offset_py,
            enqueue_ms: u.enqueue_ms,
        }
    }
}

#[derive(Debug)]
struct State {
    log: TimerLog,
    wheel: TimerWheel,
    checkpoint: CheckpointFile,
    /// The next slot to load; every earlier slot is loaded.
    read_time: i64,
    /// The next offset of the timer topic's queue 0 to enqueue.
    queue_offset: i64,
    /// Loaded, undelivered units, earliest first.
    ready: BinaryHeap<Reverse<Due>>,
    /// The unit being re-put right now (out of `ready`, not yet marked).
    in_flight: Option<Due>,
    /// Units appended or marked since the last sync.
    dirty: bool,
    last_flush_ms: i64,
    last_checkpoint: Option<TimerCheckpoint>,
}

/// What became of one due message.
enum Outcome {
    Delivered,
    Skipped,
    Retry,
}

/// Counters of the timer, for monitoring and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerStats {
    /// Messages moved from the timer topic into the log since start.
    pub enqueued: u64,
    /// Messages re-put to their real topic since start.
    pub delivered: u64,
    /// Units loaded and waiting for their time.
    pub loaded: usize,
    /// The next timer-topic offset to enqueue.
    pub queue_offset: i64,
    /// The size of the timer log in bytes.
    pub log_bytes: u64,
}

/// The timer store and its delivery task.
#[derive(Debug)]
pub struct TimerMessageStore {
    cfg: TimerConfig,
    store: Arc<MessageStore>,
    state: Mutex<State>,
    wake: Notify,
    stopping: AtomicBool,
    enqueued: AtomicU64,
    delivered: AtomicU64,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl TimerMessageStore {
    /// Opens the timer files under the store's root and recovers: units written after the
    /// last checkpoint are checked (a torn tail is cut) and linked into the wheel; without a
    /// usable checkpoint, or when `timerPrecisionMs` changed, the wheel is rebuilt from the log.
    ///
    /// # Errors
    /// `Io` when a timer file cannot be opened, read or written.
    pub fn open(cfg: TimerConfig, store: Arc<MessageStore>) -> Result<Self, TimerError> {
        let reserved_sec = store.config().file_reserved_time_hours.saturating_mul(3600);
        if cfg.wheel_enable && reserved_sec < cfg.max_delay_sec {
            tracing::warn!(
                file_reserved_time_hours = store.config().file_reserved_time_hours,
                timer_max_delay_sec = cfg.max_delay_sec,
                "fileReservedTime is below timerMaxDelaySec: a timer message whose commit-log segment is deleted before it is due will be dropped"
            );
        }
        let root = store.config().store_path_root_dir.clone();
        let mut log = TimerLog::open(&root)?;
        let wheel = TimerWheel::open(&root, cfg.wheel_slots(), cfg.precision_ms)?;
        let (checkpoint, cp) = CheckpointFile::open(&root)?;
        let now = now_ms();
        let mut ready = BinaryHeap::new();
        let usable = cp.filter(|c| c.precision_ms == cfg.precision_ms);
        let (read_time, from) = match (usable, cp) {
            (Some(c), _) => (c.read_time_ms, c.log_pos),
            (None, Some(c)) => {
                tracing::info!(
                    old = c.precision_ms,
                    new = cfg.precision_ms,
                    "timerPrecisionMs changed: rebuilding the timer wheel"
                );
                wheel.clear()?;
                (cfg.slot_start(c.read_time_ms), 0)
            }
            (None, None) => {
                wheel.clear()?;
                (cfg.slot_start(now), 0)
            }
        };
        let mut queue_offset = cp.map_or(0, |c| c.queue_offset);
        let tail = log.recover_tail(from)?;
        let relinked = tail.len();
        for (pos, u) in tail {
            queue_offset = queue_offset.max(u.queue_offset + 1);
            let s = cfg.slot_start(u.deliver_ms);
            if s < read_time {
                if !u.delivered {
                    ready.push(Reverse(Due::of(pos, &u)));
                }
                continue;
            }
            let mut slot = wheel.get(s)?;
            if slot.last_pos >= pos {
                continue;
            }
            if u.prev_pos != slot.last_pos {
                log.set_prev(pos, slot.last_pos)?;
            }
            if slot.first_pos < 0 {
                slot.first_pos = pos;
            }
            slot.last_pos = pos;
            slot.num += 1;
            wheel.put(&slot)?;
        }
        tracing::info!(
            read_time_ms = read_time,
            queue_offset,
            log_bytes = log.end(),
            relinked,
            overdue = ready.len(),
            clean = cp.is_some_and(|c| c.clean),
            "timer store opened"
        );
        Ok(TimerMessageStore {
            cfg,
            store,
            state: Mutex::new(State {
                log,
                wheel,
                checkpoint,
                read_time,
                queue_offset,
                ready,
                in_flight: None,
                dirty: false,
                last_flush_ms: now,
                last_checkpoint: None,
            }),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
            enqueued: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            task: Mutex::new(None),
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &TimerConfig {
        &self.cfg
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the delivery task on the current runtime.
    pub fn start(self: &Arc<Self>) {
        let me = self.clone();
        let handle = tokio::spawn(async move { me.run().await });
        *self.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
    }

    /// Tells the task a timer message was parked.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Counters.
    pub fn stats(&self) -> TimerStats {
        let st = self.lock();
        TimerStats {
            enqueued: self.enqueued.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            loaded: st.ready.len(),
            queue_offset: st.queue_offset,
            log_bytes: st.log.end(),
        }
    }

    /// Stops the task (letting it finish the message it is re-putting) and writes a clean
    /// checkpoint. Idempotent.
    pub async fn shutdown(&self) {
        if self.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        self.wake.notify_one();
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut t) = task {
            if tokio::time::timeout(STOP_GRACE, &mut t).await.is_err() {
                tracing::warn!("timer task did not stop in time");
                t.abort();
            }
        }
        let mut st = self.lock();
        if let Err(e) = self.write_checkpoint(&mut st, true) {
            tracing::error!(error = %e, "timer checkpoint at shutdown failed");
        }
    }

    async fn run(&self) {
        tracing::debug!("timer task started");
        while !self.stopping.load(Ordering::Acquire) {
            let busy = match self.enqueue_and_load() {
                Ok(more) => more,
                Err(e) => {
                    tracing::error!(error = %e, "timer store I/O failed");
                    false
                }
            };
            let retry = match self.deliver_due().await {
                Ok(retry) => retry,
                Err(e) => {
                    tracing::error!(error = %e, "timer store I/O failed");
                    true
                }
            };
            let wait = {
                let mut st = self.lock();
                let now = now_ms();
                if now - st.last_flush_ms >= self.cfg.flush_interval_ms as i64 {
                    st.last_flush_ms = now;
                    if let Err(e) = self.write_checkpoint(&mut st, false) {
                        tracing::error!(error = %e, "timer checkpoint failed");
                    }
                }
                let mut next = st
                    .read_time
                    .min(st.last_flush_ms + self.cfg.flush_interval_ms as i64);
                if let Some(Reverse(d)) = st.ready.peek() {
                    next = next.min(d.deliver_ms);
                }
                let wait = Duration::from_millis((next - now).clamp(0, i64::MAX) as u64);
                if retry {
                    wait.min(RETRY_DELAY).max(Duration::from_millis(10))
                } else {
                    wait.min(MAX_IDLE)
                }
            };
            if busy {
                tokio::task::yield_now().await;
            } else if wait > Duration::ZERO {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
        tracing::debug!("timer task stopped");
    }

    /// Enqueues what arrived in the timer topic and loads the slots whose time has come, up
    /// to [`BUDGET`] of each. `Ok(true)` when more are waiting.
    fn enqueue_and_load(&self) -> Result<bool, TimerError> {
        let mut st = self.lock();
        let more_enqueue = self.enqueue(&mut st)?;
        let more_load = self.load_due(&mut st, now_ms())?;
        Ok(more_enqueue || more_load)
    }

    /// Moves up to [`BUDGET`] messages from the timer topic into the log and wheel.
    /// `Ok(true)` when more are waiting.
    fn enqueue(&self, st: &mut State) -> Result<bool, TimerError> {
        let mut done = 0;
        loop {
            if done >= BUDGET {
                return Ok(true);
            }
            let got = self.store.get_message(
                TIMER_TOPIC,
                0,
                st.queue_offset,
                ENQUEUE_BATCH,
                4 << 20,
                &|_| true,
            );
            if got.messages.is_empty() {
                if got.next_begin_offset > st.queue_offset {
                    st.queue_offset = got.next_begin_offset;
                    continue;
                }
                if got.max_offset < st.queue_offset {
                    tracing::warn!(
                        offset = st.queue_offset,
                        max = got.max_offset,
                        "timer topic queue is shorter than the timer checkpoint; following it"
                    );
                    st.queue_offset = got.max_offset;
                }
                return Ok(false);
            }
            for (record, &queue_offset) in got.messages.iter().zip(&got.queue_offsets) {
                if queue_offset < st.queue_offset {
                    continue;
                }
                st.queue_offset = queue_offset + 1;
                done += 1;
                let view = match decode_record(record, false) {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(queue_offset, error = %e, "skipping an undecodable timer message");
                        continue;
                    }
                };
                let Some(deliver_ms) = deliver_time(view.properties) else {
                    tracing::warn!(
                        queue_offset,
                        "skipping a timer message without TIMER_OUT_MS"
                    );
                    continue;
                };
                let unit = LogUnit {
                    prev_pos: -1,
                    delivered: false,
                    enqueue_ms: now_ms(),
                    deliver_ms,
                    offset_py: view.physical_offset,
                    size_py: view.total_size as i32,
                    queue_offset,
                };
                let (pos, slot_time) = self.append_linked(st, unit)?;
                if slot_time < st.read_time {
                    st.ready.push(Reverse(Due::of(pos, &unit)));
                }
                self.enqueued.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Appends `unit` to the log and links it into its slot; returns its position and slot.
    fn append_linked(&self, st: &mut State, mut unit: LogUnit) -> Result<(i64, i64), TimerError> {
        let slot_time = self.cfg.slot_start(unit.deliver_ms);
        let mut slot = st.wheel.get(slot_time)?;
        unit.prev_pos = slot.last_pos;
        let pos = st.log.append(&unit)?;
        st.dirty = true;
        if slot.first_pos < 0 {
            slot.first_pos = pos;
        }
        slot.last_pos = pos;
        slot.num += 1;
        st.wheel.put(&slot)?;
        Ok((pos, slot_time))
    }

    /// Loads up to [`BUDGET`] slots whose time has come. `Ok(true)` when more are due.
    fn load_due(&self, st: &mut State, now: i64) -> Result<bool, TimerError> {
        let p = self.cfg.precision_ms as i64;
        for _ in 0..BUDGET {
            if st.read_time > now {
                return Ok(false);
            }
            let slot = st.wheel.get(st.read_time)?;
            let (mut pos, mut left) = (slot.last_pos, slot.num);
            while pos >= 0 && left > 0 {
                let Some(u) = st.log.read(pos)? else {
                    tracing::warn!(
                        slot = st.read_time,
                        pos,
                        "timer wheel links a missing log unit"
                    );
                    break;
                };
                if !u.delivered && self.cfg.slot_start(u.deliver_ms) == st.read_time {
                    st.ready.push(Reverse(Due::of(pos, &u)));
                }
                pos = u.prev_pos;
                left -= 1;
            }
            st.read_time += p;
        }
        Ok(st.read_time <= now)
    }

    /// Re-puts every loaded message whose time has come. `Ok(true)` when one must be retried.
    async fn deliver_due(&self) -> Result<bool, TimerError> {
        let mut n = 0usize;
        loop {
            if self.stopping.load(Ordering::Acquire) {
                return Ok(false);
            }
            n += 1;
            if n.is_multiple_of(BUDGET) {
                tokio::task::yield_now().await;
            }
            let due = {
                let mut st = self.lock();
                match st.ready.peek() {
                    Some(Reverse(d)) if d.deliver_ms <= now_ms() => {
                        let d = *d;
                        st.ready.pop();
                        st.in_flight = Some(d);
                        d
                    }
                    _ => return Ok(false),
                }
            };
            let outcome = self.put_one(&due).await;
            let mut st = self.lock();
            st.in_flight = None;
            st.dirty = true;
            match outcome {
                Outcome::Delivered => {
                    st.log.mark_delivered(due.pos)?;
                    self.delivered.fetch_add(1, Ordering::Relaxed);
                }
                Outcome::Skipped => st.log.mark_delivered(due.pos)?,
                Outcome::Retry => {
                    st.ready.push(Reverse(due));
                    return Ok(true);
                }
            }
        }
    }

    async fn put_one(&self, due: &Due) -> Outcome {
        let Some(record) = self.store.look_message_by_offset(due.offset_py) else {
            tracing::warn!(
                offset = due.offset_py,
                "a timer message is no longer in the commit log; dropped"
            );
            return Outcome::Skipped;
        };
        let view = match decode_record(&record, false) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(offset = due.offset_py, error = %e, "an undecodable timer message; dropped");
                return Outcome::Skipped;
            }
        };
        let Some(msg) = restore(&view, due.enqueue_ms, now_ms()) else {
            tracing::warn!(
                offset = due.offset_py,
                "a timer message without REAL_TOPIC/REAL_QID; dropped"
            );
            return Outcome::Skipped;
        };
        let result = self.store.put_message(msg).await;
        match result.status {
            PutMessageStatus::PutOk | PutMessageStatus::FlushDiskTimeout => Outcome::Delivered,
            PutMessageStatus::MessageIllegal | PutMessageStatus::PropertiesSizeExceeded => {
                tracing::warn!(status = ?result.status, remark = ?result.remark, "a timer message was refused by the store; dropped");
                Outcome::Skipped
            }
            PutMessageStatus::ServiceNotAvailable | PutMessageStatus::UnknownError => {
                tracing::warn!(status = ?result.status, remark = ?result.remark, "re-putting a timer message failed; will retry");
                Outcome::Retry
            }
        }
    }

    /// Syncs the log and the wheel, then writes the checkpoint (when it changed) and removes
    /// the log segments delivered before it.
    fn write_checkpoint(&self, st: &mut State, clean: bool) -> Result<(), TimerError> {
        // Every slot before this is loaded, and every unit loaded from it delivered.
        let read_time = st
            .ready
            .peek()
            .map(|Reverse(d)| d)
            .into_iter()
            .chain(st.in_flight.as_ref())
            .map(|d| self.cfg.slot_start(d.deliver_ms))
            .fold(st.read_time, i64::min);
        let cp = TimerCheckpoint {
            read_time_ms: read_time,
            queue_offset: st.queue_offset,
            log_pos: st.log.end(),
            precision_ms: self.cfg.precision_ms,
            clean,
        };
        if st.last_checkpoint == Some(cp) {
            return Ok(());
        }
        if st.dirty {
            st.log.sync()?;
            st.wheel.sync()?;
            st.dirty = false;
        }
        st.checkpoint.write(&cp)?;
        st.last_checkpoint = Some(cp);
        st.log.delete_delivered(read_time)?;
        Ok(())
    }
}
