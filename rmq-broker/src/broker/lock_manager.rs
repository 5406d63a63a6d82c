//! Queue locks of orderly consumers: `(group, queue) → client`, expiring after 60 s.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rmq_core::protocol::body::MessageQueue;

/// How long a lock lives without renewal (`rocketmq.broker.rebalance.lockMaxLiveTime`).
pub const LOCK_MAX_LIVE_TIME: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct LockEntry {
    client_id: String,
    last_update: Instant,
}

/// The lock table.
#[derive(Debug)]
pub struct RebalanceLockManager {
    max_live: Duration,
    table: Mutex<HashMap<String, HashMap<MessageQueue, LockEntry>>>,
}

impl Default for RebalanceLockManager {
    fn default() -> Self {
        Self::with_max_live(LOCK_MAX_LIVE_TIME)
    }
}

impl RebalanceLockManager {
    /// A table whose locks expire after `max_live`.
    pub fn with_max_live(max_live: Duration) -> Self {
        RebalanceLockManager {
            max_live,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Locks (or renews) what it can; returns the queues now held by `client_id`.
    pub fn try_lock_batch(
        &self,
        group: &str,
        mqs: &[MessageQueue],
        client_id: &str,
    ) -> Vec<MessageQueue> {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let locks = t.entry(group.to_owned()).or_default();
        let now = Instant::now();
        let mut ok = Vec::new();
        for mq in mqs {
            match locks.get_mut(mq) {
                Some(e) if e.client_id == client_id => {
                    e.last_update = now;
                    ok.push(mq.clone());
                }
                Some(e) if now.duration_since(e.last_update) <= self.max_live => {
                    tracing::debug!(group, %mq, holder = %e.client_id, "queue locked by another client");
                }
                _ => {
                    locks.insert(
                        mq.clone(),
                        LockEntry {
                            client_id: client_id.to_owned(),
                            last_update: now,
                        },
                    );
                    ok.push(mq.clone());
                }
            }
        }
        ok
    }

    /// Releases the queues held by `client_id`.
    pub fn unlock_batch(&self, group: &str, mqs: &[MessageQueue], client_id: &str) {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(locks) = t.get_mut(group) {
            for mq in mqs {
                if locks.get(mq).is_some_and(|e| e.client_id == client_id) {
                    locks.remove(mq);
                }
            }
        }
    }

    /// Whether any live lock of the group exists.
    pub fn has_live_lock(&self, group: &str) -> bool {
        let t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        t.get(group).is_some_and(|l| {
            l.values()
                .any(|e| now.duration_since(e.last_update) <= self.max_live)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_are_exclusive_until_they_expire() {
        let m = RebalanceLockManager::with_max_live(Duration::from_millis(0));
        let q = vec![MessageQueue::new("T", "b", 0)];
        assert_eq!(m.try_lock_batch("G", &q, "c1").len(), 1);
        // Expired immediately (max live 0): another client takes it.
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(m.try_lock_batch("G", &q, "c2").len(), 1);
        let strict = RebalanceLockManager::default();
        assert_eq!(strict.try_lock_batch("G", &q, "c1").len(), 1);
        assert!(strict.try_lock_batch("G", &q, "c2").is_empty());
        assert_eq!(
            strict.try_lock_batch("G", &q, "c1").len(),
            1,
            "renewal by the holder"
        );
        strict.unlock_batch("G", &q, "c2");
        assert!(
            strict.try_lock_batch("G", &q, "c2").is_empty(),
            "only the holder unlocks"
        );
        strict.unlock_batch("G", &q, "c1");
        assert_eq!(strict.try_lock_batch("G", &q, "c2").len(), 1);
    }
}
