//! The lite pull consumer's per-queue task (Java's `DefaultLitePullConsumerImpl.PullTaskImpl`):
//! long-polls one held queue into the poll buffer, pausing while the buffer or the queue's
//! cache is over its thresholds. The pull itself, the back-off and the moved-offset rule are
//! the shared ones of `pull`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::lite_inner::{ConsumeRequest, LiteInner, Mode, QueueState};
use super::process_queue::{FlowControl, ProcessQueue};
use super::pull::FLOW_CONTROL_DELAY;
use super::pull::{adopt_moved_offset, pull_once, PullOutcome, PullSpec, Refusals};
use super::timers::pause;
use crate::protocol::body::{MessageQueue, SubscriptionData};
use crate::protocol::header::{PULL_FLAG_LITE_PULL, PULL_FLAG_SUBSCRIPTION, PULL_FLAG_SUSPEND};
use crate::protocol::RequestCode;

/// A LITE_PULL_MESSAGE (no commit offset: the lite consumer commits on its own).
fn pull_spec(inner: &LiteInner) -> PullSpec {
    let c = &inner.config;
    PullSpec {
        code: RequestCode::LitePullMessage,
        sys_flag: PULL_FLAG_SUSPEND | PULL_FLAG_SUBSCRIPTION | PULL_FLAG_LITE_PULL,
        commit_offset: None,
        batch: c.pull_batch_size,
        suspend: c.broker_suspend_max_time,
        timeout: c.consumer_timeout_when_suspend,
    }
}

/// Why pulling `pq` should wait, if it should: the poll buffer (counted in pulls of
/// `pull_batch_size`), then the queue's cache and span.
fn flow_control(inner: &LiteInner, pq: &ProcessQueue) -> Option<FlowControl> {
    let c = &inner.config;
    let buffered = inner.buffered() * c.pull_batch_size.max(1) as usize;
    (buffered > c.pull_threshold_for_all)
        .then_some(FlowControl::Count(buffered))
        .or_else(|| pq.flow_control(c.pull_threshold_for_queue, c.pull_threshold_size_for_queue))
        .or_else(|| {
            let span = pq.max_span();
            (span > c.consume_max_span).then_some(FlowControl::Span(span))
        })
}

/// Long-polls one held queue into the poll buffer until the queue is released.
pub(super) async fn pull_task(
    inner: Arc<LiteInner>,
    mq: MessageQueue,
    pq: Arc<ProcessQueue>,
    state: Arc<QueueState>,
) {
    let cancel = pq.token().clone();
    let spec = pull_spec(&inner);
    let assign_sub = SubscriptionData::from_expression(&mq.topic, "*", crate::clock::now_ms());
    let mut flow_controlled: u64 = 0;
    let mut refusals = Refusals::new(&inner.config.consumer_group);
    while !cancel.is_cancelled() {
        if let Some(why) = flow_control(&inner, &pq) {
            if flow_controlled.is_multiple_of(1000) {
                tracing::warn!(group = %inner.config.consumer_group, queue = %mq, ?why, times = flow_controlled, "poll buffer or queue cache over its threshold, so do flow control");
            }
            flow_controlled += 1;
            pause(&cancel, FLOW_CONTROL_DELAY).await;
            continue;
        }
        let sub = if inner.mode() == Mode::Subscribe {
            match inner.base.subscription(&mq.topic) {
                Some(s) => s,
                None => return,
            }
        } else {
            assign_sub.clone()
        };
        pq.touch_pull();
        let offset = state.pull_offset.load(Ordering::Acquire);
        let outcome = pull_once(&inner.base, &mq, offset, &sub, &spec, &cancel).await;
        if let Some(wait) = refusals.delay_after(&mq, &sub, &outcome) {
            pause(&cancel, wait).await;
            continue;
        }
        if cancel.is_cancelled() {
            // Released or sought meanwhile: the answer is for an offset no longer wanted.
            return;
        }
        match outcome {
            PullOutcome::Found { msgs, next } => {
                if !msgs.is_empty() {
                    pq.put(&msgs);
                    inner
                        .cache
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_back(ConsumeRequest {
                            msgs,
                            pq: pq.clone(),
                            state: state.clone(),
                        });
                    inner.cache_notify.notify_waiters();
                }
                state.pull_offset.store(next, Ordering::Release);
            }
            PullOutcome::NoNew { next } => state.pull_offset.store(next, Ordering::Release),
            PullOutcome::OffsetMoved { next } => {
                // As a seek to `next`: pulls and the polled (auto-committed) offset go on
                // from there; then the shared rule commits it.
                state.pull_offset.store(next, Ordering::Release);
                state.consume_offset.store(next, Ordering::Release);
                adopt_moved_offset(&inner.base, &mq, offset, next).await;
            }
            // Cancelled: the loop ends. Failures and refusals paused above.
            PullOutcome::Cancelled | PullOutcome::Refused { .. } | PullOutcome::Failed(_) => {}
        }
    }
}
