//! Java's admin and retry metrics: topic and subscription-group creation times
//! (`rocketmq_topic_create_execution_time`, `rocketmq_consumer_group_create_execution_time`)
//! and messages moved to a dead-letter queue (`rocketmq_send_to_dlq_messages_total`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::histogram::{Bounds, Histogram, HistogramSnapshot};

/// Java's creation-time buckets, in milliseconds.
pub const CREATE_TIME_MS_BOUNDS: Bounds = &[10, 100, 1000, 3000, 5000];

/// Creation times by outcome (`invocation_status`) and, for topics, `is_system`.
#[derive(Debug)]
pub struct CreateTimes {
    /// Index: `success as usize * 2 + is_system as usize`.
    topic: [Histogram; 4],
    /// Index: `success as usize`.
    group: [Histogram; 2],
}

impl Default for CreateTimes {
    fn default() -> Self {
        CreateTimes {
            topic: std::array::from_fn(|_| Histogram::new(CREATE_TIME_MS_BOUNDS)),
            group: std::array::from_fn(|_| Histogram::new(CREATE_TIME_MS_BOUNDS)),
        }
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u64::MAX as u128) as u64
}

impl CreateTimes {
    /// Records an UPDATE_AND_CREATE_TOPIC.
    pub fn topic(&self, success: bool, is_system: bool, elapsed: Duration) {
        self.topic[success as usize * 2 + is_system as usize].record(ms(elapsed));
    }

    /// Records an UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
    pub fn group(&self, success: bool, elapsed: Duration) {
        self.group[success as usize].record(ms(elapsed));
    }

    /// `(success, is_system, histogram)` of the topic creations recorded.
    pub fn topic_samples(&self) -> Vec<(bool, bool, HistogramSnapshot)> {
        let mut v = Vec::new();
        for success in [false, true] {
            for system in [false, true] {
                let s = self.topic[success as usize * 2 + system as usize].snapshot();
                if s.count > 0 {
                    v.push((success, system, s));
                }
            }
        }
        v
    }

    /// `(success, histogram)` of the group creations recorded.
    pub fn group_samples(&self) -> Vec<(bool, HistogramSnapshot)> {
        [false, true]
            .into_iter()
            .map(|s| (s, self.group[s as usize].snapshot()))
            .filter(|(_, h)| h.count > 0)
            .collect()
    }
}

/// Messages moved to a DLQ, by consumer group and topic.
#[derive(Debug, Default)]
pub struct DlqCounter {
    table: RwLock<HashMap<(String, String), Arc<AtomicU64>>>,
}

impl DlqCounter {
    /// Counts one message of `group` (consuming `topic`) moved to its DLQ (rare: allocates).
    pub fn add(&self, group: &str, topic: &str) {
        let c = self
            .table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry((group.to_owned(), topic.to_owned()))
            .or_default()
            .clone();
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// `(group, topic, count)`, sorted.
    pub fn samples(&self) -> Vec<(String, String, u64)> {
        let mut v: Vec<(String, String, u64)> = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|((g, t), c)| (g.clone(), t.clone(), c.load(Ordering::Relaxed)))
            .collect();
        v.sort();
        v
    }
}
