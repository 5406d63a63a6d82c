//! Orderly consumption (Java's `ConsumeMessageOrderlyService`): one worker per locked queue
//! takes the queue's messages one at a time, in offset order; a suspended message is retried
//! after `suspend_current_queue_time_millis`.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use super::process_queue::ProcessQueue;
use super::push::PushInner;
use super::{panic_text, ConsumeOrderlyStatus, MessageListenerOrderly};
use crate::protocol::body::MessageQueue;

/// Consumes `mq`'s process queue until it is dropped or the consumer stops. A message whose
/// call had not started goes back to the queue; a running call finishes first.
pub(super) async fn orderly_worker(
    inner: Arc<PushInner>,
    listener: Arc<dyn MessageListenerOrderly>,
    mq: MessageQueue,
    pq: Arc<ProcessQueue>,
) {
    let pause = Duration::from_millis(inner.config.suspend_current_queue_time_millis);
    let token = pq.token().clone();
    loop {
        let notified = pq.arrived.notified();
        let Some(msg) = pq.take(1).pop() else {
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
                let offset = pq.commit();
                if offset >= 0 && !pq.is_dropped() {
                    inner.base.offsets.update(&mq, offset);
                }
                break;
            }
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
