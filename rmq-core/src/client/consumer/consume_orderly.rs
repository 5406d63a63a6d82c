//! Orderly consumption (Java's `ConsumeMessageOrderlyService`): one worker per locked queue
//! takes the queue's messages one at a time, in offset order. A suspended (or panicking) call
//! counts the message's reconsume times locally and retries it after
//! `suspend_current_queue_time_millis`; once the count reaches `max_reconsume_times` the
//! message is sent back to `%RETRY%<group>` (the broker moves it to the DLQ) and the queue
//! moves on (`checkReconsumeTimes` / `sendMessageBack`).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use super::process_queue::ProcessQueue;
use super::push_inner::PushInner;
use super::{panic_text, ConsumeOrderlyStatus, MessageListenerOrderly};
use crate::client::ClientError;
use crate::protocol::body::MessageQueue;
use crate::protocol::message::MessageExt;

/// Java's orderly `getMaxReconsumeTimes`: −1 (any negative here) means `Integer.MAX_VALUE`,
/// i.e. a suspended message is retried locally forever.
pub(super) fn orderly_max_reconsume_times(configured: i32) -> i32 {
    if configured < 0 {
        i32::MAX
    } else {
        configured
    }
}

/// What to do with a message whose call did not succeed (Java's `checkReconsumeTimes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suspended {
    /// Below the maximum: count one more attempt and retry after the pause.
    Retry,
    /// At the maximum: send it back; on success it counts as consumed.
    SendBack,
}

fn check_reconsume_times(msg: &MessageExt, max: i32) -> Suspended {
    if msg.reconsume_times >= max {
        Suspended::SendBack
    } else {
        Suspended::Retry
    }
}

impl PushInner {
    /// Java's orderly `sendMessageBack`: a plain send (not CONSUMER_SEND_MSG_BACK) of the
    /// message to `%RETRY%<group>` with reconsume times + 1, the orderly maximum and delay
    /// level 3 + reconsume times; reconsume times now exceed the maximum, so the broker stores
    /// it in `%DLQ%<group>`.
    async fn send_back_orderly(
        &self,
        msg: &MessageExt,
        mq: &MessageQueue,
    ) -> Result<(), ClientError> {
        let max = orderly_max_reconsume_times(self.config.max_reconsume_times);
        self.send_to_retry_topic(msg, mq, max).await
    }
}

/// Consumes `mq`'s process queue until it is dropped or the consumer stops. A message whose
/// call had not started goes back to the queue; a running call finishes first.
pub(super) async fn orderly_worker(
    inner: Arc<PushInner>,
    listener: Arc<dyn MessageListenerOrderly>,
    mq: MessageQueue,
    pq: Arc<ProcessQueue>,
) {
    let pause = Duration::from_millis(inner.config.suspend_current_queue_time_millis);
    let max = orderly_max_reconsume_times(inner.config.max_reconsume_times);
    let token = pq.token().clone();
    loop {
        let notified = pq.arrived.notified();
        let Some(mut msg) = pq.take(1).pop() else {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = notified => continue,
            }
        };
        loop {
            let permit = tokio::select! {
                _ = token.cancelled() => {
                    pq.rollback();
                    return;
                }
                p = inner.permits.acquire() => match p {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            if token.is_cancelled() {
                pq.rollback();
                return;
            }
            let status = AssertUnwindSafe(
                listener.consume_message(inner.base.for_listener(msg.clone())),
            )
            .catch_unwind()
            .await
            .unwrap_or_else(|p| {
                tracing::warn!(queue = %mq, panic = %panic_text(p.as_ref()), "orderly listener panicked: suspending the queue");
                ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
            });
            drop(permit);
            if status == ConsumeOrderlyStatus::Success {
                commit(&inner, &mq, &pq);
                break;
            }
            if token.is_cancelled() {
                // The queue went to another member (or the consumer stops): it consumes the
                // message from the committed offset; nothing is sent back from here.
                pq.rollback();
                return;
            }
            if check_reconsume_times(&msg, max) == Suspended::SendBack {
                match inner.send_back_orderly(&msg, &mq).await {
                    Ok(()) => {
                        tracing::info!(
                            group = %inner.config.consumer_group, queue = %mq,
                            msg_id = %msg.msg_id(), queue_offset = msg.queue_offset,
                            reconsume_times = msg.reconsume_times, max_reconsume_times = max,
                            "orderly message used up its reconsume times: sent back (to the DLQ)"
                        );
                        commit(&inner, &mq, &pq);
                        break;
                    }
                    Err(e) => tracing::warn!(
                        group = %inner.config.consumer_group, queue = %mq,
                        msg_id = %msg.msg_id(), error = %e,
                        "orderly send back failed: suspending the queue"
                    ),
                }
            }
            msg.reconsume_times = msg.reconsume_times.saturating_add(1);
            tokio::select! {
                _ = token.cancelled() => {
                    pq.rollback();
                    return;
                }
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// The taken message is done: the commit offset moves past it.
fn commit(inner: &PushInner, mq: &MessageQueue, pq: &ProcessQueue) {
    let offset = pq.commit();
    if offset >= 0 && !pq.is_dropped() {
        inner.base.offsets.update(mq, offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconsume_times_as_java_check_reconsume_times() {
        assert_eq!(orderly_max_reconsume_times(-1), i32::MAX);
        assert_eq!(orderly_max_reconsume_times(0), 0);
        assert_eq!(orderly_max_reconsume_times(2), 2);
        let mut m = super::super::sample_message("t", "b");
        for rt in 0..2 {
            m.reconsume_times = rt;
            assert_eq!(check_reconsume_times(&m, 2), Suspended::Retry, "{rt}");
        }
        m.reconsume_times = 2;
        assert_eq!(check_reconsume_times(&m, 2), Suspended::SendBack);
        m.reconsume_times = 0;
        assert_eq!(check_reconsume_times(&m, 0), Suspended::SendBack);
        m.reconsume_times = 1_000_000;
        assert_eq!(check_reconsume_times(&m, i32::MAX), Suspended::Retry);
    }
}
