//! The per-queue long-polling pull loop of the push consumer: pulls while the listener
//! works, pauses when the queue's process queue holds too much (flow control), and hands what
//! it pulled to the consume service.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::base::filter_pulled;
use super::offset_store::broker_of;
use super::process_queue::{FlowControl, ProcessQueue};
use super::push::{Listener, PushInner};
use crate::protocol::body::{MessageModel, MessageQueue, SubscriptionData};
use crate::protocol::header::*;
use crate::protocol::message::MessageExt;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Pause after a failed pull (Java's `pullTimeDelayMillsWhenException`).
pub(super) const PULL_ERROR_BACKOFF: Duration = Duration::from_secs(3);
/// Pause while a process queue is over its thresholds (`PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL`).
pub(super) const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// The longest pause after repeated refusals of a subscription.
pub(super) const MAX_REFUSED_BACKOFF: Duration = Duration::from_secs(30);

fn pull_request(
    inner: &PushInner,
    mq: &MessageQueue,
    offset: i64,
    sub: &SubscriptionData,
) -> RemotingCommand {
    let clustering = inner.config.message_model == MessageModel::Clustering;
    let commit = inner.base.offsets.get(mq).filter(|o| clustering && *o > 0);
    let mut sys_flag = PULL_FLAG_SUSPEND | PULL_FLAG_SUBSCRIPTION;
    if commit.is_some() {
        sys_flag |= PULL_FLAG_COMMIT_OFFSET;
    }
    RemotingCommand::request_with_header(
        RequestCode::PullMessage,
        &PullMessageRequestHeader {
            consumer_group: inner.base.wire_group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: inner.config.pull_batch_size,
            sys_flag,
            commit_offset: commit.unwrap_or(0),
            suspend_timeout_millis: inner.config.broker_suspend_max_time.as_millis() as i64,
            subscription: Some(sub.sub_string.clone()),
            sub_version: sub.sub_version,
            expression_type: Some(sub.expression_type.clone()),
            max_msg_bytes: None,
        },
    )
}

/// Logs pull refusals without flooding: a refused subscription (SQL92 on a broker without
/// property filtering) is an error once per queue and backs off up to 30 s; other refusals are
/// a warning when the code changes.
#[derive(Default)]
pub(super) struct Refusals {
    last_code: Option<i32>,
    parse_failed_logged: bool,
    backoff: Option<Duration>,
}

impl Refusals {
    /// A pull succeeded: the next refusal is logged again.
    pub(super) fn reset(&mut self) {
        self.last_code = None;
        self.backoff = None;
    }

    /// Records a refusal; returns how long to wait before the next pull.
    pub(super) fn refused(
        &mut self,
        group: &str,
        mq: &MessageQueue,
        sub: &SubscriptionData,
        code: i32,
        remark: &str,
        base: Duration,
    ) -> Duration {
        if code == ResponseCode::SubscriptionParseFailed.code() {
            if !self.parse_failed_logged {
                self.parse_failed_logged = true;
                tracing::error!(
                    group, queue = %mq, expression_type = %sub.expression_type,
                    expression = %sub.sub_string, remark,
                    "the broker cannot filter this subscription (SUBSCRIPTION_PARSE_FAILED): \
                     SQL92 needs enablePropertyFilter=true on the broker; use a TAG selector \
                     otherwise. Retrying with back-off."
                );
            }
            let next = self
                .backoff
                .map_or(base, |b| (b * 2).min(MAX_REFUSED_BACKOFF));
            self.backoff = Some(next);
            return next;
        }
        if self.last_code != Some(code) {
            tracing::warn!(group, queue = %mq, code, remark, "pull refused");
        } else {
            tracing::debug!(group, queue = %mq, code, remark, "pull refused");
        }
        self.last_code = Some(code);
        base
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
    let group = inner.config.consumer_group.clone();
    let timeout = inner.config.broker_suspend_max_time + Duration::from_secs(15);
    let mut flow_controlled: u64 = 0;
    let mut refusals = Refusals::default();
    while !cancel.is_cancelled() {
        let c = &inner.config;
        let why = pq
            .flow_control(c.pull_threshold_for_queue, c.pull_threshold_size_for_queue)
            .or_else(|| {
                let span = pq.max_span();
                (matches!(inner.listener, Listener::Concurrently(_))
                    && span > c.consume_concurrently_max_span)
                    .then_some(FlowControl::Span(span))
            });
        if let Some(why) = why {
            if flow_controlled.is_multiple_of(1000) {
                match why {
                    FlowControl::Count(n) => tracing::warn!(
                        %group, queue = %mq, cached = n, threshold = c.pull_threshold_for_queue,
                        times = flow_controlled,
                        "the cached message count exceeds the threshold, so do flow control"
                    ),
                    FlowControl::SizeMib(n) => tracing::warn!(
                        %group, queue = %mq, cached_mib = n,
                        threshold_mib = c.pull_threshold_size_for_queue, times = flow_controlled,
                        "the cached message size exceeds the threshold, so do flow control"
                    ),
                    FlowControl::Span(n) => tracing::warn!(
                        %group, queue = %mq, span = n, max_span = c.consume_concurrently_max_span,
                        times = flow_controlled,
                        "the queue's messages span too long, so do flow control"
                    ),
                }
            }
            flow_controlled += 1;
            pause(&cancel, FLOW_CONTROL_DELAY).await;
            continue;
        }
        let Some(sub) = inner.base.subscription(&mq.topic) else {
            tracing::warn!(%group, queue = %mq, "no subscription for the queue's topic");
            pause(&cancel, PULL_ERROR_BACKOFF).await;
            continue;
        };
        let addr = match broker_of(&inner.base.instance, &mq).await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(queue = %mq, error = %e, "no broker for queue");
                pause(&cancel, PULL_ERROR_BACKOFF).await;
                continue;
            }
        };
        pq.touch_pull();
        let req = pull_request(&inner, &mq, offset, &sub);
        let resp = tokio::select! {
            _ = cancel.cancelled() => return,
            r = inner.base.instance.remoting().invoke(&addr, req, timeout) => r,
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(queue = %mq, error = %e, "pull failed");
                pause(&cancel, PULL_ERROR_BACKOFF).await;
                continue;
            }
        };
        let header = resp.decode_header::<PullMessageResponseHeader>().ok();
        let next = header.as_ref().map(|h| h.next_begin_offset);
        match ResponseCode::from_code(resp.code) {
            Some(ResponseCode::Success) => {
                refusals.reset();
                let msgs = match MessageExt::decode_all(&resp.body) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(queue = %mq, error = %e, "undecodable pull body");
                        pause(&cancel, PULL_ERROR_BACKOFF).await;
                        continue;
                    }
                };
                let msgs = filter_pulled(msgs, &sub, header.as_ref());
                if let Some(n) = next {
                    offset = n;
                }
                if msgs.is_empty() {
                    // Everything filtered out: nothing held means nothing can be skipped.
                    if let (Some(n), 0) = (next, pq.count()) {
                        inner.base.offsets.update(&mq, n);
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
            Some(ResponseCode::PullNotFound) | Some(ResponseCode::PullRetryImmediately) => {
                refusals.reset();
                if let Some(n) = next {
                    offset = n;
                    // Java's correctTagsOffset.
                    if pq.count() == 0 {
                        inner.base.offsets.update(&mq, n);
                    }
                }
            }
            Some(ResponseCode::PullOffsetMoved) => {
                if let Some(n) = next {
                    tracing::warn!(queue = %mq, from = offset, to = n, "pull offset moved");
                    offset = n;
                    inner.base.offsets.set(&mq, n);
                }
            }
            _ => {
                let wait = refusals.refused(
                    &group,
                    &mq,
                    &sub,
                    resp.code,
                    resp.remark_str(),
                    PULL_ERROR_BACKOFF,
                );
                pause(&cancel, wait).await;
            }
        }
    }
}

/// Sleeps unless cancelled first.
pub(super) async fn pause(cancel: &CancellationToken, d: Duration) {
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = tokio::time::sleep(d) => {}
    }
}
