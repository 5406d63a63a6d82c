//! Message traffic counters: messages and bytes in per topic and message type (with the
//! message size histogram), messages and bytes out per consumer group and topic.
//!
//! The tables are read-mostly: a message takes a read lock, finds its topic's counters by
//! `&str` (no allocation) and adds with relaxed atomics; only the first message of a new topic
//! (or group/topic pair) takes the write lock to insert it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::fast_hash::FxHashMap;
use super::histogram::{Histogram, HistogramSnapshot, MESSAGE_SIZE_BOUNDS};
use super::names::MessageType;

/// Incoming counters of one topic and message type.
#[derive(Debug)]
pub struct InCounters {
    messages: AtomicU64,
    bytes: AtomicU64,
    size: Histogram,
}

impl Default for InCounters {
    fn default() -> Self {
        InCounters {
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            size: Histogram::new(MESSAGE_SIZE_BOUNDS),
        }
    }
}

/// Incoming counters of one topic, one set per message type.
#[derive(Debug, Default)]
pub struct TopicIn {
    by_type: [InCounters; 4],
}

/// Queue ids above this are not tracked (pull offsets are kept in a vector by queue id).
const MAX_TRACKED_QUEUE: i32 = 1024;

/// Outgoing counters of one group on one topic.
#[derive(Debug, Default)]
pub struct GroupTopicOut {
    messages: AtomicU64,
    bytes: AtomicU64,
    /// The next offset to pull per queue id after the last pull that returned messages
    /// (Java's pull offsets: in flight = pulled − committed); -1 = none.
    pulled: RwLock<Vec<AtomicI64>>,
}

impl GroupTopicOut {
    fn set_pulled(&self, queue_id: i32, next: i64) {
        if !(0..MAX_TRACKED_QUEUE).contains(&queue_id) {
            return;
        }
        let q = queue_id as usize;
        if let Some(slot) = self.pulled.read().unwrap_or_else(|e| e.into_inner()).get(q) {
            slot.store(next, Ordering::Relaxed);
            return;
        }
        let mut v = self.pulled.write().unwrap_or_else(|e| e.into_inner());
        while v.len() <= q {
            v.push(AtomicI64::new(-1));
        }
        v[q].store(next, Ordering::Relaxed);
    }
}

/// A copy of one topic's incoming counters for one message type.
#[derive(Debug, Clone)]
pub struct InSample {
    pub topic: String,
    pub message_type: MessageType,
    pub messages: u64,
    pub bytes: u64,
    pub size: HistogramSnapshot,
}

/// A copy of one group/topic pair's outgoing counters.
#[derive(Debug, Clone)]
pub struct OutSample {
    pub group: String,
    pub topic: String,
    pub messages: u64,
    pub bytes: u64,
}

/// The traffic tables.
#[derive(Debug, Default)]
pub struct Traffic {
    topics_in: RwLock<FxHashMap<String, Arc<TopicIn>>>,
    /// group → topic → counters.
    out: RwLock<FxHashMap<String, FxHashMap<String, Arc<GroupTopicOut>>>>,
}

impl Traffic {
    /// Counts stored messages: `sizes` are the record sizes (Java's `wroteBytes`).
    pub fn record_in(&self, topic: &str, t: MessageType, sizes: impl Iterator<Item = u64> + Clone) {
        let add = |ti: &TopicIn| {
            let c = &ti.by_type[t as usize];
            let mut n = 0;
            let mut total = 0;
            for s in sizes.clone() {
                c.size.record(s);
                n += 1;
                total += s;
            }
            c.messages.fetch_add(n, Ordering::Relaxed);
            c.bytes.fetch_add(total, Ordering::Relaxed);
        };
        if let Some(ti) = self
            .topics_in
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
        {
            add(ti);
            return;
        }
        let ti = self
            .topics_in
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(topic.to_owned())
            .or_default()
            .clone();
        add(&ti);
    }

    /// Counts messages handed to `group` from `topic`'s queue `queue_id`: `bytes` is the size
    /// of the records, `next_offset` the offset the consumer pulls from next.
    pub fn record_out(
        &self,
        group: &str,
        topic: &str,
        queue_id: i32,
        messages: u64,
        bytes: u64,
        next_offset: i64,
    ) {
        let add = |c: &GroupTopicOut| {
            c.messages.fetch_add(messages, Ordering::Relaxed);
            c.bytes.fetch_add(bytes, Ordering::Relaxed);
            c.set_pulled(queue_id, next_offset);
        };
        if let Some(c) = self
            .out
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(group)
            .and_then(|m| m.get(topic))
        {
            add(c);
            return;
        }
        let c = self
            .out
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(group.to_owned())
            .or_default()
            .entry(topic.to_owned())
            .or_default()
            .clone();
        add(&c);
    }

    /// The pull offsets of `group` on `topic` by queue id (absent: never pulled messages).
    pub fn pull_offsets(&self, group: &str, topic: &str) -> HashMap<i32, i64> {
        let out = self.out.read().unwrap_or_else(|e| e.into_inner());
        let Some(c) = out.get(group).and_then(|m| m.get(topic)) else {
            return HashMap::new();
        };
        let pulled = c.pulled.read().unwrap_or_else(|e| e.into_inner());
        pulled
            .iter()
            .enumerate()
            .filter_map(|(q, o)| {
                let o = o.load(Ordering::Relaxed);
                (o >= 0).then_some((q as i32, o))
            })
            .collect()
    }

    /// Forgets a deleted topic.
    pub fn remove_topic(&self, topic: &str) {
        self.topics_in
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(topic);
        for m in self
            .out
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .values_mut()
        {
            m.remove(topic);
        }
    }

    /// Every topic and message type that received messages, sorted.
    pub fn in_samples(&self) -> Vec<InSample> {
        let topics: Vec<(String, Arc<TopicIn>)> = self
            .topics_in
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut out = Vec::new();
        for (topic, ti) in topics {
            for t in MessageType::ALL {
                let c = &ti.by_type[t as usize];
                let messages = c.messages.load(Ordering::Relaxed);
                if messages == 0 {
                    continue;
                }
                out.push(InSample {
                    topic: topic.clone(),
                    message_type: t,
                    messages,
                    bytes: c.bytes.load(Ordering::Relaxed),
                    size: c.size.snapshot(),
                });
            }
        }
        out.sort_by(|a, b| {
            (&a.topic, a.message_type as usize).cmp(&(&b.topic, b.message_type as usize))
        });
        out
    }

    /// Every group/topic pair that got messages, sorted.
    pub fn out_samples(&self) -> Vec<OutSample> {
        let mut out: Vec<OutSample> = self
            .out
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flat_map(|(g, m)| {
                m.iter().map(move |(t, c)| OutSample {
                    group: g.clone(),
                    topic: t.clone(),
                    messages: c.messages.load(Ordering::Relaxed),
                    bytes: c.bytes.load(Ordering::Relaxed),
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.group, &a.topic).cmp(&(&b.group, &b.topic)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_topic_type_and_group() {
        let t = Traffic::default();
        t.record_in("A", MessageType::Normal, [100u64, 200].into_iter());
        t.record_in("A", MessageType::Normal, [5000u64].into_iter());
        t.record_in("A", MessageType::Delay, [10u64].into_iter());
        t.record_out("g", "A", 0, 3, 300, 3);
        t.record_out("g", "A", 2, 1, 10, 8);
        t.record_out("g", "A", 5000, 0, 0, 8);
        assert_eq!(t.pull_offsets("g", "A"), HashMap::from([(0, 3), (2, 8)]));
        let ins = t.in_samples();
        assert_eq!(ins.len(), 2);
        assert_eq!((ins[0].messages, ins[0].bytes), (3, 5300));
        assert_eq!(ins[0].size.cumulative[0], (1024, 2));
        assert_eq!(ins[1].message_type, MessageType::Delay);
        let outs = t.out_samples();
        assert_eq!((outs[0].messages, outs[0].bytes), (4, 310));
        t.remove_topic("A");
        assert!(t.in_samples().is_empty());
        assert!(t.out_samples().is_empty());
    }
}
