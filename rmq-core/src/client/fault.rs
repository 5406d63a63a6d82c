//! Latency fault tolerance: a broker that failed or answered slowly is avoided for a while
//! (Java's `MQFaultStrategy` and `LatencyFaultToleranceImpl`, with the 4.x tables).
//!
//! Every send reports its broker and latency. With `send_latency_fault_enable`, the latency
//! maps to a period in which the broker is *not available* (`LATENCY_MAX_MS` →
//! `NOT_AVAILABLE_DURATION_MS`); a failed send counts as an isolation, i.e. a latency of
//! 30 000 ms, which puts the broker aside for 600 000 ms. A later fast answer from that broker
//! (when it had to be used because no other was available) makes it available again at once,
//! as in the 4.x client.
//!
//! Queue selection walks the topic's queues round-robin and takes the first one that is on
//! an available broker other than the one that just failed; when every broker is unavailable
//! it falls back to any queue (still preferring another broker than the last failed one).
//! Without `send_latency_fault_enable` only the last failed broker is avoided, on the retry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::protocol::body::MessageQueue;

/// Latency thresholds in ms (`latencyMax` of the 4.x `MQFaultStrategy`).
pub const LATENCY_MAX_MS: [u64; 7] = [50, 100, 550, 1000, 2000, 3000, 15000];
/// How long a broker is avoided after a send with at least the matching latency, in ms
/// (`notAvailableDuration`).
pub const NOT_AVAILABLE_DURATION_MS: [u64; 7] = [0, 0, 30000, 60000, 120000, 180000, 600000];
/// The latency a failed send counts as (`isolation ? 30000 : currentLatency`).
pub const ISOLATION_LATENCY_MS: u64 = 30000;

/// How long a broker is avoided after a send that took `latency` (Java's
/// `computeNotAvailableDuration`).
pub fn not_available_duration(latency: Duration) -> Duration {
    let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    LATENCY_MAX_MS
        .iter()
        .zip(NOT_AVAILABLE_DURATION_MS)
        .rev()
        .find(|(max, _)| ms >= **max)
        .map_or(Duration::ZERO, |(_, d)| Duration::from_millis(d))
}

#[derive(Debug, Clone, Copy)]
struct FaultItem {
    latency: Duration,
    available_at: Instant,
}

/// The fault table of one producer: broker name → when it becomes available again.
#[derive(Debug)]
pub struct LatencyFaultTolerance {
    enabled: bool,
    /// Whether the table may hold an entry: lets healthy sends skip the lock.
    any: AtomicBool,
    items: Mutex<HashMap<String, FaultItem>>,
}

impl LatencyFaultTolerance {
    /// A table; `enabled` is `send_latency_fault_enable`.
    pub fn new(enabled: bool) -> Self {
        LatencyFaultTolerance {
            enabled,
            any: AtomicBool::new(false),
            items: Mutex::new(HashMap::new()),
        }
    }

    /// Whether latencies and failures are recorded.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, FaultItem>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a send to `broker` that took `latency`; `isolation` marks a failure.
    pub fn update(&self, broker: &str, latency: Duration, isolation: bool) {
        if !self.enabled {
            return;
        }
        let counted = if isolation {
            Duration::from_millis(ISOLATION_LATENCY_MS)
        } else {
            latency
        };
        let duration = not_available_duration(counted);
        if duration.is_zero() && !self.any.load(Ordering::Acquire) {
            return;
        }
        let mut items = self.lock();
        if duration.is_zero() {
            // 4.x sets startTimestamp = now + 0: available again.
            items.remove(broker);
        } else {
            tracing::info!(
                broker,
                ?duration,
                ?latency,
                "broker put aside by latency fault tolerance"
            );
            items.insert(
                broker.to_owned(),
                FaultItem {
                    latency,
                    available_at: Instant::now() + duration,
                },
            );
        }
        self.any.store(!items.is_empty(), Ordering::Release);
    }

    /// Whether sends may go to `broker` now.
    pub fn is_available(&self, broker: &str) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return true;
        }
        self.lock()
            .get(broker)
            .is_none_or(|i| Instant::now() >= i.available_at)
    }

    /// The recorded latency of a broker that is put aside.
    pub fn fault_latency(&self, broker: &str) -> Option<Duration> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        self.lock().get(broker).map(|i| i.latency)
    }

    /// Picks a queue index from `queues` (never empty), round-robin from `counter`: the
    /// first queue on an available broker other than `last_failed`; then one on any
    /// available broker; then one on another broker than `last_failed`; then the next one.
    pub fn select(
        &self,
        queues: &[MessageQueue],
        counter: &AtomicUsize,
        last_failed: Option<&str>,
    ) -> usize {
        let n = queues.len().max(1);
        let start = counter.fetch_add(1, Ordering::Relaxed);
        let not_last = |mq: &MessageQueue| last_failed != Some(mq.broker_name.as_str());
        let find = |ok: &dyn Fn(&MessageQueue) -> bool| {
            (0..n)
                .map(|k| start.wrapping_add(k) % n)
                .find(|&i| queues.get(i).is_some_and(ok))
        };
        if self.enabled && self.any.load(Ordering::Acquire) {
            let items = self.lock();
            let now = Instant::now();
            let available = |mq: &MessageQueue| {
                items
                    .get(&mq.broker_name)
                    .is_none_or(|i| now >= i.available_at)
            };
            if let Some(i) = find(&|mq| available(mq) && not_last(mq)).or_else(|| find(&available))
            {
                return i;
            }
        } else if last_failed.is_none() {
            return start % n;
        }
        find(&not_last).unwrap_or(start % n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues() -> Vec<MessageQueue> {
        let mut v = Vec::new();
        for b in ["a", "b"] {
            for q in 0..2 {
                v.push(MessageQueue::new("t", b, q));
            }
        }
        v
    }

    #[test]
    fn durations_follow_the_java_table() {
        let d = |ms| not_available_duration(Duration::from_millis(ms)).as_millis();
        assert_eq!(d(0), 0);
        assert_eq!(d(549), 0);
        assert_eq!(d(550), 30000);
        assert_eq!(d(1000), 60000);
        assert_eq!(d(2999), 120000);
        assert_eq!(d(3000), 180000);
        assert_eq!(d(ISOLATION_LATENCY_MS), 600000);
    }

    #[test]
    fn failed_broker_is_skipped_until_a_fast_answer() {
        let f = LatencyFaultTolerance::new(true);
        let qs = queues();
        let c = AtomicUsize::new(0);
        f.update("a", Duration::from_millis(3), true);
        assert!(!f.is_available("a"));
        for _ in 0..8 {
            assert_eq!(qs[f.select(&qs, &c, None)].broker_name, "b");
        }
        // Everything unavailable: any queue, preferring another broker than the last failed.
        f.update("b", Duration::from_millis(3), true);
        for _ in 0..8 {
            assert_eq!(qs[f.select(&qs, &c, Some("a"))].broker_name, "b");
        }
        f.update("a", Duration::from_millis(1), false);
        assert!(f.is_available("a"));
        assert_eq!(qs[f.select(&qs, &c, None)].broker_name, "a");
    }

    #[test]
    fn disabled_only_avoids_the_last_failed_broker() {
        let f = LatencyFaultTolerance::new(false);
        let qs = queues();
        let c = AtomicUsize::new(0);
        f.update("a", Duration::from_millis(3), true);
        assert!(f.is_available("a"));
        let picked: Vec<_> = (0..4)
            .map(|_| qs[f.select(&qs, &c, None)].clone())
            .collect();
        assert_eq!(picked, qs);
        for _ in 0..4 {
            assert_eq!(qs[f.select(&qs, &c, Some("a"))].broker_name, "b");
        }
        let one = vec![MessageQueue::new("t", "a", 0)];
        assert_eq!(f.select(&one, &c, Some("a")), 0);
    }
}
