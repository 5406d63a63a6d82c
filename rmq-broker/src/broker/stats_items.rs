//! Windowed per-key counters behind VIEW_BROKER_STATS_DATA (315), named as Java's
//! BrokerStatsManager names them: `TOPIC_PUT_NUMS` / `TOPIC_PUT_SIZE` keyed by topic,
//! `GROUP_GET_NUMS` / `GROUP_GET_SIZE` keyed by `topic@group`, `BROKER_PUT_NUMS` /
//! `BROKER_GET_NUMS` keyed by the cluster name.
//!
//! Each item counts a value (messages or bytes) and the number of calls that added to it. The
//! broker samples every item every few seconds; a window's figures run from the oldest sample
//! it keeps (one minute, hour or day back, or the item's creation) to the live counters now —
//! so unlike Java, whose figures move only at its 10 s sampling, a send is visible at once. A
//! window's TPS is its sum per second of the window (a young item's burst is not taken for
//! a rate).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::metrics::fast_hash::FxHashMap;

/// The stats names this broker keeps (Java has more; others answer "not exist" as Java does
/// for an unknown name).
pub const STATS_NAMES: [&str; 6] = [
    TOPIC_PUT_NUMS,
    TOPIC_PUT_SIZE,
    GROUP_GET_NUMS,
    GROUP_GET_SIZE,
    BROKER_PUT_NUMS,
    BROKER_GET_NUMS,
];
/// Messages put, by topic.
pub const TOPIC_PUT_NUMS: &str = "TOPIC_PUT_NUMS";
/// Bytes put, by topic.
pub const TOPIC_PUT_SIZE: &str = "TOPIC_PUT_SIZE";
/// Messages pulled, by `topic@group`.
pub const GROUP_GET_NUMS: &str = "GROUP_GET_NUMS";
/// Bytes pulled, by `topic@group`.
pub const GROUP_GET_SIZE: &str = "GROUP_GET_SIZE";
/// Messages put, by cluster name.
pub const BROKER_PUT_NUMS: &str = "BROKER_PUT_NUMS";
/// Messages pulled, by cluster name.
pub const BROKER_GET_NUMS: &str = "BROKER_GET_NUMS";

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// A window's figures: the sum over it, per second, and per call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WindowStats {
    /// Value added within the window.
    pub sum: u64,
    /// `sum` per second over the window (its span, or the time since the oldest sample kept
    /// when that is longer: at most one sampling interval more).
    pub tps: f64,
    /// `sum` per call (average messages or bytes per put/pull).
    pub avgpt: f64,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at_ms: i64,
    value: u64,
    times: u64,
}

/// One counter with its samples.
#[derive(Debug)]
pub struct StatsItem {
    value: AtomicU64,
    times: AtomicU64,
    /// Samples per window: minute (every ~10 s), hour (every minute), day (every hour).
    samples: Mutex<[VecDeque<Sample>; 3]>,
}

const WINDOWS: [(i64, i64); 3] = [(MINUTE_MS, 10_000), (HOUR_MS, MINUTE_MS), (DAY_MS, HOUR_MS)];

impl StatsItem {
    fn new(now_ms: i64) -> Self {
        let first = Sample {
            at_ms: now_ms,
            value: 0,
            times: 0,
        };
        StatsItem {
            value: AtomicU64::new(0),
            times: AtomicU64::new(0),
            samples: Mutex::new(std::array::from_fn(|_| VecDeque::from([first]))),
        }
    }

    fn add(&self, value: u64, times: u64) {
        self.value.fetch_add(value, Ordering::Relaxed);
        self.times.fetch_add(times, Ordering::Relaxed);
    }

    fn now(&self, now_ms: i64) -> Sample {
        Sample {
            at_ms: now_ms,
            value: self.value.load(Ordering::Relaxed),
            times: self.times.load(Ordering::Relaxed),
        }
    }

    fn sample(&self, now_ms: i64) {
        let s = self.now(now_ms);
        let mut all = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        for (q, (span, every)) in all.iter_mut().zip(WINDOWS) {
            if q.back().is_none_or(|last| now_ms - last.at_ms >= every) {
                q.push_back(s);
            }
            // Keep one sample at or beyond the window's start.
            while q.len() > 1 && q.get(1).is_some_and(|next| now_ms - next.at_ms >= span) {
                q.pop_front();
            }
        }
    }

    /// The figures of the last minute, hour and day.
    pub fn windows(&self, now_ms: i64) -> [WindowStats; 3] {
        let last = self.now(now_ms);
        let all = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        std::array::from_fn(|i| {
            let span = WINDOWS[i].0;
            // The newest sample at least a window old, else the oldest kept.
            let q = &all[i];
            let first = q
                .iter()
                .rev()
                .find(|s| now_ms - s.at_ms >= span)
                .or(q.front())
                .copied()
                .unwrap_or(last);
            let sum = last.value.saturating_sub(first.value);
            let calls = last.times.saturating_sub(first.times);
            // Per second over the whole window: an item younger than the window (or a
            // broker just started) does not turn a burst into a rate it never kept up.
            let ms = (last.at_ms - first.at_ms).max(span);
            WindowStats {
                sum,
                tps: sum as f64 * 1000.0 / ms as f64,
                avgpt: if calls > 0 {
                    sum as f64 / calls as f64
                } else {
                    0.0
                },
            }
        })
    }
}

/// A topic's put counters.
#[derive(Debug)]
struct PutItems {
    nums: StatsItem,
    size: StatsItem,
}

/// A group's get counters on one topic.
#[derive(Debug)]
struct GetItems {
    nums: StatsItem,
    size: StatsItem,
}

/// Topic → its put counters.
type PutTable = FxHashMap<String, Arc<PutItems>>;
/// Topic → group → its get counters.
type GetTable = FxHashMap<String, FxHashMap<String, Arc<GetItems>>>;

/// Every stats item: per topic, per topic and group, and the broker's two.
///
/// A put or a pull takes one read lock and one lookup by `&str` with a fast hash (no
/// allocation) and adds with relaxed atomics; only a topic's (or group's) first message takes
/// the write lock to insert its items.
#[derive(Debug)]
pub struct StatsItems {
    cluster: String,
    puts: RwLock<PutTable>,
    gets: RwLock<GetTable>,
    broker_put: StatsItem,
    broker_get: StatsItem,
}

impl StatsItems {
    /// Items of a broker of `cluster` (the key of `BROKER_PUT_NUMS` / `BROKER_GET_NUMS`).
    pub fn new(cluster: &str) -> StatsItems {
        let now = rmq_core::clock::now_ms();
        StatsItems {
            cluster: cluster.to_owned(),
            puts: RwLock::default(),
            gets: RwLock::default(),
            broker_put: StatsItem::new(now),
            broker_get: StatsItem::new(now),
        }
    }

    /// Counts a put of `messages` messages of `bytes` bytes to `topic`.
    pub fn record_put(&self, topic: &str, messages: u64, bytes: u64) {
        self.broker_put.add(messages, 1);
        let add = |p: &PutItems| {
            p.nums.add(messages, 1);
            p.size.add(bytes, 1);
        };
        if let Some(p) = read(&self.puts).get(topic) {
            add(p);
            return;
        }
        let now = rmq_core::clock::now_ms();
        let mut t = write(&self.puts);
        add(t.entry(topic.to_owned()).or_insert_with(|| {
            Arc::new(PutItems {
                nums: StatsItem::new(now),
                size: StatsItem::new(now),
            })
        }));
    }

    /// Counts a pull of `messages` messages of `bytes` bytes by `group` from `topic`.
    pub fn record_get(&self, group: &str, topic: &str, messages: u64, bytes: u64) {
        self.broker_get.add(messages, 1);
        let add = |g: &GetItems| {
            g.nums.add(messages, 1);
            g.size.add(bytes, 1);
        };
        if let Some(g) = read(&self.gets).get(topic).and_then(|m| m.get(group)) {
            add(g);
            return;
        }
        let now = rmq_core::clock::now_ms();
        let mut t = write(&self.gets);
        add(t
            .entry(topic.to_owned())
            .or_default()
            .entry(group.to_owned())
            .or_insert_with(|| {
                Arc::new(GetItems {
                    nums: StatsItem::new(now),
                    size: StatsItem::new(now),
                })
            }));
    }

    /// The last minute, hour and day of the item `name`/`key` (`topic@group` for the GROUP_
    /// names, the cluster for the BROKER_ names), if anything was counted under it.
    pub fn windows(&self, name: &str, key: &str, now_ms: i64) -> Option<[WindowStats; 3]> {
        match name {
            TOPIC_PUT_NUMS | TOPIC_PUT_SIZE => {
                let t = read(&self.puts);
                let p = t.get(key)?;
                let item = if name == TOPIC_PUT_NUMS {
                    &p.nums
                } else {
                    &p.size
                };
                Some(item.windows(now_ms))
            }
            GROUP_GET_NUMS | GROUP_GET_SIZE => {
                // Topic and group names cannot hold '@'.
                let (topic, group) = key.split_once('@')?;
                self.group_windows(group, topic, name == GROUP_GET_NUMS, now_ms)
            }
            BROKER_PUT_NUMS if key == self.cluster => Some(self.broker_put.windows(now_ms)),
            BROKER_GET_NUMS if key == self.cluster => Some(self.broker_get.windows(now_ms)),
            _ => None,
        }
    }

    /// The windows of `group`'s gets from `topic`: messages (`nums`) or bytes.
    pub fn group_windows(
        &self,
        group: &str,
        topic: &str,
        nums: bool,
        now_ms: i64,
    ) -> Option<[WindowStats; 3]> {
        let t = read(&self.gets);
        let g = t.get(topic)?.get(group)?;
        Some(if nums { &g.nums } else { &g.size }.windows(now_ms))
    }

    /// Messages handed to consumers since start (the value of `BROKER_GET_NUMS`).
    pub fn broker_gets(&self) -> u64 {
        self.broker_get.value.load(Ordering::Relaxed)
    }

    /// Takes the due samples of every item (the broker calls this every few seconds).
    pub fn sample(&self, now_ms: i64) {
        self.broker_put.sample(now_ms);
        self.broker_get.sample(now_ms);
        let puts: Vec<Arc<PutItems>> = read(&self.puts).values().cloned().collect();
        for p in puts {
            p.nums.sample(now_ms);
            p.size.sample(now_ms);
        }
        let gets: Vec<Arc<GetItems>> = read(&self.gets)
            .values()
            .flat_map(|m| m.values().cloned())
            .collect();
        for g in gets {
            g.nums.sample(now_ms);
            g.size.sample(now_ms);
        }
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_sum_from_the_oldest_sample_in_range() {
        let t0 = 1_000_000;
        let item = StatsItem::new(t0);
        item.add(10, 2);
        item.sample(t0 + 10_000);
        item.add(5, 1);
        let [m, h, d] = item.windows(t0 + 20_000);
        assert_eq!((m.sum, h.sum, d.sum), (15, 15, 15));
        // 15 within the minute, per second of the minute.
        assert!((m.tps - 0.25).abs() < 1e-9);
        assert!((m.avgpt - 5.0).abs() < 1e-9);
        // Two minutes on, sampled every 10 s: the minute window holds only the last minute.
        for s in 3..=14 {
            item.sample(t0 + s * 10_000);
        }
        item.add(7, 1);
        let [m, h, _] = item.windows(t0 + 140_000);
        assert_eq!((m.sum, h.sum), (7, 22));
    }

    #[test]
    fn items_by_name_and_key() {
        let s = StatsItems::new("c");
        s.record_put("T", 3, 300);
        s.record_put("T", 1, 100);
        s.record_get("G", "T", 2, 200);
        let now = rmq_core::clock::now_ms();
        let sum = |name, key| s.windows(name, key, now).map(|w| (w[2].sum, w[2].avgpt));
        assert_eq!(sum(TOPIC_PUT_NUMS, "T"), Some((4, 2.0)));
        assert_eq!(sum(TOPIC_PUT_SIZE, "T"), Some((400, 200.0)));
        assert_eq!(sum(GROUP_GET_NUMS, "T@G"), Some((2, 2.0)));
        assert_eq!(sum(GROUP_GET_SIZE, "T@G"), Some((200, 200.0)));
        assert_eq!(sum(BROKER_PUT_NUMS, "c"), Some((4, 2.0)));
        assert_eq!(sum(BROKER_GET_NUMS, "c"), Some((2, 2.0)));
        assert_eq!(sum(BROKER_PUT_NUMS, "other"), None);
        assert_eq!(sum(GROUP_GET_NUMS, "T"), None);
        assert_eq!(sum(GROUP_GET_NUMS, "T@H"), None);
        assert_eq!(sum(TOPIC_PUT_NUMS, "U"), None);
        assert_eq!(sum("NOPE", "T"), None);
    }
}
