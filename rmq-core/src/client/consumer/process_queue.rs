//! `ProcessQueue`: the messages pulled from one assigned queue and not yet consumed.
//!
//! Pulls add to it, finished listener calls remove from it. Its size drives flow control and
//! its smallest offset is the offset to commit (Java's `ProcessQueue.removeMessage`): nothing
//! still in flight is ever committed past.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::protocol::body::ProcessQueueInfo;
use crate::protocol::message::MessageExt;

const MIB: usize = 1024 * 1024;

struct Cached {
    msg: MessageExt,
    /// When its listener call started (concurrent consumption).
    started: Option<Instant>,
}

#[derive(Default)]
struct State {
    msgs: BTreeMap<i64, Cached>,
    /// Orderly: taken out of `msgs` and being consumed.
    consuming: BTreeMap<i64, MessageExt>,
    /// Messages held (`msgs` and `consuming`).
    count: usize,
    /// Body bytes held.
    size: usize,
    /// Largest offset ever put.
    offset_max: i64,
}

/// Why pulling on a queue is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlowControl {
    /// More messages cached than `pull_threshold_for_queue`.
    Count(usize),
    /// More MiB cached than `pull_threshold_size_for_queue`.
    SizeMib(usize),
    /// Held offsets span more than the maximum span.
    Span(i64),
}

/// The cached messages of one assigned queue.
pub(crate) struct ProcessQueue {
    state: Mutex<State>,
    dropped: AtomicBool,
    /// Cancelled when the queue is dropped or the consumer stops: pulls and queued listener
    /// calls of this queue end.
    token: CancellationToken,
    /// Orderly: messages arrived.
    pub(crate) arrived: Notify,
    last_pull: AtomicI64,
    last_consume: AtomicI64,
    locked: AtomicBool,
    last_lock: AtomicI64,
}

impl ProcessQueue {
    /// An empty queue whose work ends when `token` is cancelled.
    pub(crate) fn new(token: CancellationToken) -> Self {
        let now = now_ms();
        ProcessQueue {
            state: Mutex::new(State::default()),
            dropped: AtomicBool::new(false),
            token,
            arrived: Notify::new(),
            last_pull: AtomicI64::new(now),
            last_consume: AtomicI64::new(now),
            locked: AtomicBool::new(false),
            last_lock: AtomicI64::new(now),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The token that ends this queue's pulls and queued listener calls.
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Takes the queue away: results of calls still running are discarded.
    pub(crate) fn set_dropped(&self) {
        self.dropped.store(true, Ordering::Release);
        self.token.cancel();
    }

    /// Whether the queue was taken away.
    pub(crate) fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Records a pull.
    pub(crate) fn touch_pull(&self) {
        self.last_pull.store(now_ms(), Ordering::Relaxed);
    }

    /// Orderly: records the broker lock state.
    pub(crate) fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::Relaxed);
        if locked {
            self.last_lock.store(now_ms(), Ordering::Relaxed);
        }
    }

    /// Messages held.
    pub(crate) fn count(&self) -> usize {
        self.lock().count
    }

    /// Whether pulling must pause, and why.
    pub(crate) fn flow_control(&self, max_count: usize, max_mib: usize) -> Option<FlowControl> {
        let s = self.lock();
        if s.count > max_count {
            Some(FlowControl::Count(s.count))
        } else if s.size / MIB > max_mib {
            Some(FlowControl::SizeMib(s.size / MIB))
        } else {
            None
        }
    }

    /// The distance between the first and last offset held (`getMaxSpan`).
    pub(crate) fn max_span(&self) -> i64 {
        let s = self.lock();
        match (s.msgs.keys().next(), s.msgs.keys().next_back()) {
            (Some(a), Some(b)) => b - a,
            _ => 0,
        }
    }

    /// Adds pulled messages (an offset already held is ignored).
    pub(crate) fn put(&self, msgs: &[MessageExt]) {
        let mut s = self.lock();
        for m in msgs {
            if s.msgs.contains_key(&m.queue_offset) || s.consuming.contains_key(&m.queue_offset) {
                continue;
            }
            s.count += 1;
            s.size += m.body.len();
            s.offset_max = s.offset_max.max(m.queue_offset);
            s.msgs.insert(
                m.queue_offset,
                Cached {
                    msg: m.clone(),
                    started: None,
                },
            );
        }
    }

    /// Marks the listener call of these offsets as started now.
    pub(crate) fn mark_started(&self, offsets: &[i64]) {
        let now = Instant::now();
        let mut s = self.lock();
        for o in offsets {
            if let Some(c) = s.msgs.get_mut(o) {
                c.started = Some(now);
            }
        }
    }

    /// Whether `offset` is still held.
    pub(crate) fn contains(&self, offset: i64) -> bool {
        self.lock().msgs.contains_key(&offset)
    }

    /// Removes consumed messages; returns the offset to commit: the smallest offset still
    /// held, or the next offset after everything put when none is; −1 when nothing was held.
    pub(crate) fn remove(&self, offsets: &[i64]) -> i64 {
        self.last_consume.store(now_ms(), Ordering::Relaxed);
        let mut s = self.lock();
        if s.msgs.is_empty() {
            return -1;
        }
        for o in offsets {
            if let Some(c) = s.msgs.remove(o) {
                s.count -= 1;
                s.size = s.size.saturating_sub(c.msg.body.len());
            }
        }
        if s.count == 0 {
            s.size = 0;
        }
        match s.msgs.keys().next() {
            Some(first) => *first,
            None => s.offset_max + 1,
        }
    }

    /// The first held message when its listener call has run longer than `timeout`.
    pub(crate) fn expired_head(&self, timeout: Duration) -> Option<MessageExt> {
        let s = self.lock();
        let (_, c) = s.msgs.iter().next()?;
        let started = c.started?;
        (started.elapsed() > timeout).then(|| c.msg.clone())
    }

    /// Removes `offset` when it is still the first held message; returns the offset to commit.
    pub(crate) fn remove_if_first(&self, offset: i64) -> Option<i64> {
        let first = self.lock().msgs.keys().next().copied();
        (first == Some(offset)).then(|| self.remove(&[offset]))
    }

    /// Orderly: moves up to `n` messages, in offset order, to the consuming set.
    pub(crate) fn take(&self, n: usize) -> Vec<MessageExt> {
        self.last_consume.store(now_ms(), Ordering::Relaxed);
        let mut s = self.lock();
        let mut out = Vec::new();
        while out.len() < n {
            let Some((offset, c)) = s.msgs.pop_first() else {
                break;
            };
            s.consuming.insert(offset, c.msg.clone());
            out.push(c.msg);
        }
        out
    }

    /// Orderly: the consuming set is done; returns the offset to commit (−1 when empty).
    pub(crate) fn commit(&self) -> i64 {
        let mut s = self.lock();
        let consuming = std::mem::take(&mut s.consuming);
        let Some(last) = consuming.keys().next_back().copied() else {
            return -1;
        };
        for m in consuming.values() {
            s.count -= 1;
            s.size = s.size.saturating_sub(m.body.len());
        }
        if s.count == 0 {
            s.size = 0;
        }
        last + 1
    }

    /// Orderly: puts the consuming set back to be taken again.
    pub(crate) fn rollback(&self) {
        let mut s = self.lock();
        let consuming = std::mem::take(&mut s.consuming);
        for (o, m) in consuming {
            s.msgs.insert(
                o,
                Cached {
                    msg: m,
                    started: None,
                },
            );
        }
    }

    /// The `ProcessQueueInfo` of GET_CONSUMER_RUNNING_INFO (without `commit_offset`).
    pub(crate) fn info(&self) -> ProcessQueueInfo {
        let s = self.lock();
        let mut info = ProcessQueueInfo::default();
        if let (Some(a), Some(b)) = (s.msgs.keys().next(), s.msgs.keys().next_back()) {
            info.cached_msg_min_offset = *a;
            info.cached_msg_max_offset = *b;
            info.cached_msg_count = s.msgs.len() as i64;
        }
        info.cached_msg_size_in_mib = (s.size / MIB) as i64;
        if let (Some(a), Some(b)) = (s.consuming.keys().next(), s.consuming.keys().next_back()) {
            info.transaction_msg_min_offset = *a;
            info.transaction_msg_max_offset = *b;
            info.transaction_msg_count = s.consuming.len() as i64;
        }
        info.locked = self.locked.load(Ordering::Relaxed);
        info.last_lock_timestamp = self.last_lock.load(Ordering::Relaxed);
        info.droped = self.is_dropped();
        info.last_pull_timestamp = self.last_pull.load(Ordering::Relaxed);
        info.last_consume_timestamp = self.last_consume.load(Ordering::Relaxed);
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(offset: i64, len: usize) -> MessageExt {
        let mut m = super::super::sample_message("T", "body");
        m.queue_offset = offset;
        m.body = vec![0u8; len].into();
        m
    }

    #[test]
    fn commit_offset_is_the_smallest_in_flight() {
        let pq = ProcessQueue::new(CancellationToken::new());
        assert_eq!(pq.remove(&[1]), -1, "nothing held");
        pq.put(&[msg(10, 1), msg(11, 1), msg(12, 1)]);
        pq.put(&[msg(11, 1)]);
        assert_eq!(pq.count(), 3);
        assert_eq!(pq.remove(&[11]), 10, "10 still in flight");
        assert_eq!(pq.remove(&[10]), 12);
        assert!(pq.contains(12));
        assert_eq!(pq.remove(&[12]), 13, "none held: after the last put");
        assert_eq!(pq.count(), 0);
    }

    #[test]
    fn flow_control_by_count_and_size() {
        let pq = ProcessQueue::new(CancellationToken::new());
        pq.put(&[msg(0, MIB), msg(1, MIB)]);
        assert_eq!(pq.flow_control(1, 100), Some(FlowControl::Count(2)));
        assert_eq!(pq.flow_control(2, 1), Some(FlowControl::SizeMib(2)));
        assert_eq!(pq.flow_control(2, 2), None);
        assert_eq!(pq.max_span(), 1);
    }

    #[test]
    fn expired_head_and_orderly_take_commit_rollback() {
        let pq = ProcessQueue::new(CancellationToken::new());
        pq.put(&[msg(0, 1), msg(1, 1)]);
        assert!(pq.expired_head(Duration::ZERO).is_none(), "not started");
        pq.mark_started(&[0]);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(pq.expired_head(Duration::ZERO).unwrap().queue_offset, 0);
        assert_eq!(pq.remove_if_first(1), None);
        assert_eq!(pq.remove_if_first(0), Some(1));
        let taken = pq.take(1);
        assert_eq!(taken[0].queue_offset, 1);
        pq.rollback();
        assert_eq!(pq.take(5).len(), 1);
        assert_eq!(pq.commit(), 2);
        assert_eq!(pq.count(), 0);
        assert_eq!(pq.info().cached_msg_count, 0);
    }
}
