//! The per-queue long-polling pull loop of the push consumer: pulls while the listener
//! works, pauses when the queue's process queue holds too much (flow control), and hands what
//! it pulled to the consume service. The pull itself, the back-off and the moved-offset rule
//! are the shared ones of `pull`.

use std::sync::Arc;
use std::time::Duration;

use super::process_queue::{FlowControl, ProcessQueue};
use super::pull::{adopt_moved_offset, pull_once, PullOutcome, PullSpec, Refusals};
use super::pull::{FLOW_CONTROL_DELAY, PULL_ERROR_BACKOFF};
use super::push_inner::{Listener, PushInner};
use super::timers::pause;
use crate::protocol::body::{MessageModel, MessageQueue};
use crate::protocol::header::{PULL_FLAG_SUBSCRIPTION, PULL_FLAG_SUSPEND};
use crate::protocol::RequestCode;

/// A PULL_MESSAGE carrying the queue's offset as commit offset when clustering (Java's
/// `pullMessage`: `commitOffsetEnable` when the in-memory offset is > 0).
fn pull_spec(inner: &PushInner, mq: &MessageQueue) -> PullSpec {
    let c = &inner.config;
    let clustering = c.message_model == MessageModel::Clustering;
    PullSpec {
        code: RequestCode::PullMessage,
        sys_flag: PULL_FLAG_SUSPEND | PULL_FLAG_SUBSCRIPTION,
        commit_offset: inner.base.offsets.get(mq).filter(|o| clustering && *o > 0),
        batch: c.pull_batch_size,
        suspend: c.broker_suspend_max_time,
        timeout: c.broker_suspend_max_time + Duration::from_secs(15),
    }
}

/// Why pulling `pq` should wait, if it should.
fn flow_control(inner: &PushInner, pq: &ProcessQueue) -> Option<FlowControl> {
    let c = &inner.config;
    pq.flow_control(c.pull_threshold_for_queue, c.pull_threshold_size_for_queue)
        .or_else(|| {
            let span = pq.max_span();
            (matches!(inner.listener, Listener::Concurrently(_))
                && span > c.consume_concurrently_max_span)
                .then_some(FlowControl::Span(span))
        })
}

fn log_flow_control(inner: &PushInner, mq: &MessageQueue, why: FlowControl, times: u64) {
    let c = &inner.config;
    let group = &c.consumer_group;
    match why {
        FlowControl::Count(n) => tracing::warn!(
            %group, queue = %mq, cached = n, threshold = c.pull_threshold_for_queue, times,
            "the cached message count exceeds the threshold, so do flow control"
        ),
        FlowControl::SizeMib(n) => tracing::warn!(
            %group, queue = %mq, cached_mib = n,
            threshold_mib = c.pull_threshold_size_for_queue, times,
            "the cached message size exceeds the threshold, so do flow control"
        ),
        FlowControl::Span(n) => tracing::warn!(
            %group, queue = %mq, span = n, max_span = c.consume_concurrently_max_span, times,
            "the queue's messages span too long, so do flow control"
        ),
    }
}

/// Pulls one queue until its process queue is dropped or the consumer stops.
pub(super) async fn pull_loop(
    inner: Arc<PushInner>,
    mq: MessageQueue,
    mut offset: i64,
    pq: Arc<ProcessQueue>,
) {
    let cancel = pq.token().clone();
    let mut flow_controlled: u64 = 0;
    let mut refusals = Refusals::new(&inner.config.consumer_group);
    while !cancel.is_cancelled() {
        if let Some(why) = flow_control(&inner, &pq) {
            if flow_controlled.is_multiple_of(1000) {
                log_flow_control(&inner, &mq, why, flow_controlled);
            }
            flow_controlled += 1;
            pause(&cancel, FLOW_CONTROL_DELAY).await;
            continue;
        }
        let Some(sub) = inner.base.subscription(&mq.topic) else {
            tracing::warn!(group = %inner.config.consumer_group, queue = %mq, "no subscription for the queue's topic");
            pause(&cancel, PULL_ERROR_BACKOFF).await;
            continue;
        };
        pq.touch_pull();
        let spec = pull_spec(&inner, &mq);
        let outcome = pull_once(&inner.base, &mq, offset, &sub, &spec, &cancel).await;
        if let Some(wait) = refusals.delay_after(&mq, &sub, &outcome) {
            pause(&cancel, wait).await;
            continue;
        }
        match outcome {
            PullOutcome::Found { msgs, next } => {
                offset = next;
                if msgs.is_empty() {
                    // Everything filtered out: nothing held means nothing can be skipped.
                    if pq.count() == 0 {
                        inner.base.offsets.update(&mq, next);
                    }
                    continue;
                }
                if cancel.is_cancelled() {
                    return;
                }
                pq.put(&msgs);
                match &inner.listener {
                    Listener::Concurrently(_) => inner.submit_concurrently(&pq, &mq, msgs),
                    Listener::Orderly(_) => pq.arrived.notify_one(),
                }
            }
            PullOutcome::NoNew { next } => {
                offset = next;
                // Java's correctTagsOffset.
                if pq.count() == 0 {
                    inner.base.offsets.update(&mq, next);
                }
            }
            PullOutcome::OffsetMoved { next } => {
                adopt_moved_offset(&inner.base, &mq, offset, next).await;
                offset = next;
            }
            // Cancelled: the loop ends. Failures and refusals paused above.
            PullOutcome::Cancelled | PullOutcome::Refused { .. } | PullOutcome::Failed(_) => {}
        }
    }
}
