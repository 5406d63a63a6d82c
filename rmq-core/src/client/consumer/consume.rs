//! Concurrent consumption (Java's `ConsumeMessageConcurrentlyService`): pulled messages are
//! split into listener calls of `consume_message_batch_max_size`, run at most
//! `consume_thread_max` at a time across the consumer; results move the commit offset, failed
//! messages are sent back, and calls running past `consume_timeout` have their message sent
//! back and dropped (`cleanExpiredMsg`).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use super::process_queue::ProcessQueue;
use super::push_inner::{Listener, PushInner};
use super::timers::pause;
use super::{panic_text, ConsumeConcurrentlyStatus};
use crate::clock::now_ms;
use crate::protocol::body::{MessageModel, MessageQueue};
use crate::protocol::message::{keys, MessageExt};

/// Delay before messages whose send-back failed are consumed again locally (Java: 5 s).
pub(super) const CONSUME_AGAIN_DELAY: Duration = Duration::from_secs(5);
/// Delay level of a message whose listener call timed out.
const TIMEOUT_DELAY_LEVEL: i32 = 3;
/// Expired messages sent back per queue and check (Java: 16).
const MAX_EXPIRED_PER_CHECK: usize = 16;

impl PushInner {
    /// Queues listener calls for freshly pulled messages of `mq`.
    pub(super) fn submit_concurrently(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        mq: &MessageQueue,
        msgs: Vec<MessageExt>,
    ) {
        let batch = self.config.consume_message_batch_max_size.max(1);
        for chunk in msgs.chunks(batch) {
            self.spawn_consume(pq.clone(), mq.clone(), chunk.to_vec(), None);
        }
    }

    fn spawn_consume(
        self: &Arc<Self>,
        pq: Arc<ProcessQueue>,
        mq: MessageQueue,
        msgs: Vec<MessageExt>,
        delay: Option<Duration>,
    ) {
        let inner = self.clone();
        self.tracker.spawn(async move {
            if let Some(d) = delay {
                pause(pq.token(), d).await;
            }
            inner.consume_batch(pq, mq, msgs).await;
        });
    }

    /// One listener call: waits for a permit, runs the listener, applies the result. Queued
    /// calls of a dropped queue or a stopping consumer never start; a running call finishes.
    async fn consume_batch(
        self: Arc<Self>,
        pq: Arc<ProcessQueue>,
        mq: MessageQueue,
        msgs: Vec<MessageExt>,
    ) {
        let Listener::Concurrently(listener) = &self.listener else {
            return;
        };
        let permit = tokio::select! {
            _ = pq.token().cancelled() => return,
            p = self.permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        if pq.token().is_cancelled() {
            return;
        }
        let offsets: Vec<i64> = msgs.iter().map(|m| m.queue_offset).collect();
        pq.mark_started(&offsets);
        let start = now_ms().to_string();
        let for_listener: Vec<MessageExt> = msgs
            .iter()
            .map(|m| {
                let mut m = self.base.for_listener(m.clone());
                m.properties
                    .insert(keys::CONSUME_START_TIMESTAMP.to_owned(), start.clone());
                m
            })
            .collect();
        let status = match AssertUnwindSafe(listener.consume_message(for_listener))
            .catch_unwind()
            .await
        {
            Ok(s) => s,
            Err(p) => {
                tracing::warn!(group = %self.config.consumer_group, queue = %mq, panic = %panic_text(p.as_ref()), "listener panicked: RECONSUME_LATER");
                ConsumeConcurrentlyStatus::ReconsumeLater
            }
        };
        if pq.is_dropped() {
            tracing::debug!(queue = %mq, "queue dropped: the result of this call is discarded");
            return;
        }
        self.process_result(status, &pq, &mq, msgs).await;
        drop(permit);
    }

    /// Java's `processConsumeResult`: failed messages go back to the broker (clustering) or
    /// are dropped (broadcasting); a message whose send-back failed stays in the process queue
    /// and is consumed again after 5 s; the rest leave and the commit offset moves.
    async fn process_result(
        self: &Arc<Self>,
        status: ConsumeConcurrentlyStatus,
        pq: &Arc<ProcessQueue>,
        mq: &MessageQueue,
        msgs: Vec<MessageExt>,
    ) {
        let mut done: Vec<i64> = msgs.iter().map(|m| m.queue_offset).collect();
        if status == ConsumeConcurrentlyStatus::ReconsumeLater {
            match self.config.message_model {
                MessageModel::Broadcasting => {
                    for m in &msgs {
                        tracing::warn!(msg_id = %m.msg_id(), "BROADCASTING, the message consume failed, drop it");
                    }
                }
                MessageModel::Clustering => {
                    let mut failed = Vec::new();
                    for mut m in msgs {
                        // Expired and already sent back by the timeout check.
                        if !pq.contains(m.queue_offset) {
                            continue;
                        }
                        let level = self.config.delay_level_when_next_consume;
                        if let Err(e) = self.send_message_back(&m, mq, level).await {
                            tracing::warn!(msg_id = %m.msg_id(), error = %e, "send back failed; consuming it again locally in 5 s");
                            m.reconsume_times += 1;
                            failed.push(m);
                        }
                    }
                    if !failed.is_empty() {
                        done.retain(|o| !failed.iter().any(|m| m.queue_offset == *o));
                        self.spawn_consume(
                            pq.clone(),
                            mq.clone(),
                            failed,
                            Some(CONSUME_AGAIN_DELAY),
                        );
                    }
                }
            }
        }
        let offset = pq.remove(&done);
        if offset >= 0 && !pq.is_dropped() {
            self.base.offsets.update(mq, offset);
        }
    }

    /// Java's `cleanExpiredMsg`: the first message of each queue whose listener call has run
    /// longer than `consume_timeout` is sent back (delay level 3) and dropped from the queue.
    pub(super) async fn clean_expired(self: &Arc<Self>) {
        for (mq, pq) in self.process_queues().await {
            for _ in 0..MAX_EXPIRED_PER_CHECK {
                if pq.is_dropped() {
                    break;
                }
                let Some(msg) = pq.expired_head(self.config.consume_timeout) else {
                    break;
                };
                if let Err(e) = self.send_message_back(&msg, &mq, TIMEOUT_DELAY_LEVEL).await {
                    tracing::warn!(queue = %mq, msg_id = %msg.msg_id(), error = %e, "cannot send back an expired message");
                    break;
                }
                tracing::info!(
                    group = %self.config.consumer_group, queue = %mq, msg_id = %msg.msg_id(),
                    queue_offset = msg.queue_offset, timeout = ?self.config.consume_timeout,
                    "consume timeout: message sent back"
                );
                if let Some(offset) = pq.remove_if_first(msg.queue_offset) {
                    if offset >= 0 && !pq.is_dropped() {
                        self.base.offsets.update(&mq, offset);
                    }
                }
            }
        }
    }
}
