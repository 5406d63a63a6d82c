//! RESET_CONSUMER_CLIENT_OFFSET (220) on a push consumer: the broker reset the group's offsets
//! (an admin's `resetOffsetByTime`); the consumer stops its queues of the topic, takes the new
//! offsets (committing them), and the next rebalance restarts those queues from them.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::push_inner::PushInner;
use crate::protocol::body::{MessageModel, MessageQueue};

impl PushInner {
    /// Stops the queues of `topic`, stores `table`'s offsets and asks for a rebalance (within a
    /// second), which restarts the queues from the stored offsets.
    pub(super) async fn restart_from_offsets(
        &self,
        topic: &str,
        table: BTreeMap<MessageQueue, i64>,
    ) {
        let mut queues = self.queues.lock().await;
        let held: Vec<MessageQueue> = queues
            .keys()
            .filter(|q| q.topic == topic)
            .cloned()
            .collect();
        for mq in &held {
            let Some(t) = queues.remove(mq) else {
                continue;
            };
            // Dropped: the results of listener calls still running are discarded, so they
            // cannot commit an offset from before the reset.
            t.pq.set_dropped();
            let _ = tokio::time::timeout(Duration::from_secs(5), t.pull).await;
            if let Some(w) = t.worker {
                let _ = tokio::time::timeout(Duration::from_secs(1), w).await;
            }
        }
        for (mq, offset) in &table {
            self.base.offsets.set(mq, *offset);
            if self.config.message_model == MessageModel::Clustering {
                if let Err(e) = self.base.offsets.persist(&self.base.instance, mq).await {
                    tracing::warn!(queue = %mq, error = %e, "cannot commit the reset offset");
                }
            }
        }
        if self.config.message_model == MessageModel::Broadcasting {
            self.base.persist_offsets().await;
        }
        drop(queues);
        tracing::info!(group = %self.config.consumer_group, %topic, queues = held.len(), "offsets reset: restarting the topic's queues");
        self.retry_soon.store(true, Ordering::Release);
    }
}
