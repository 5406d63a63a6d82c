//! The lite pull consumer's background work: one long-polling task per held queue feeding the
//! poll buffer, rebalancing (subscribe mode), heartbeats and auto-commit.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::base::{filter_pulled, Allocation};
use super::lite_pull::{ConsumeRequest, LiteInner, LiteQueue, Mode, QueueState};
use super::offset_store::broker_of;
use super::process_queue::{FlowControl, ProcessQueue};
use super::pull_loop::{pause, Refusals, FLOW_CONTROL_DELAY};
use super::registry::{BoxFuture, ConsumerInner};
use crate::client::ClientError;
use crate::protocol::body::{
    ConsumeMessageDirectlyResult, ConsumerRunningInfo, MessageQueue, SubscriptionData,
    PROP_CONSUME_ORDERLY, PROP_THREADPOOL_CORE_SIZE,
};
use crate::protocol::header::*;
use crate::protocol::message::MessageExt;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Pause after a failed pull (Java's lite pull: 1 s).
const PULL_ERROR_BACKOFF: Duration = Duration::from_secs(1);

impl LiteInner {
    pub(super) fn mode(&self) -> Mode {
        *self.mode.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The oldest buffered pull of a queue still held.
    pub(super) fn pop_request(&self) -> Option<ConsumeRequest> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(r) = cache.pop_front() {
            if !r.pq.is_dropped() {
                return Some(r);
            }
        }
        None
    }

    fn buffered(&self) -> usize {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Starts holding `mq` from `offset`.
    pub(super) fn add_queue(
        self: &Arc<Self>,
        queues: &mut BTreeMap<MessageQueue, LiteQueue>,
        mq: MessageQueue,
        offset: i64,
    ) -> Arc<QueueState> {
        let pq = Arc::new(ProcessQueue::new(self.cancel.child_token()));
        let state = Arc::new(QueueState {
            pull_offset: AtomicI64::new(offset),
            consume_offset: AtomicI64::new(-1),
        });
        let task = tokio::spawn(pull_task(
            self.clone(),
            mq.clone(),
            pq.clone(),
            state.clone(),
        ));
        tracing::info!(group = %self.config.consumer_group, queue = %mq, offset, "lite pull queue assigned");
        queues.insert(
            mq,
            LiteQueue {
                pq,
                state: state.clone(),
                task,
            },
        );
        state
    }

    /// Stops holding a queue; with auto-commit its polled offset is committed first.
    async fn release_queue(&self, mq: &MessageQueue, q: LiteQueue) {
        q.pq.set_dropped();
        q.task.abort();
        if self.config.auto_commit {
            let o = q.state.consume_offset.load(Ordering::Acquire);
            if o >= 0 {
                self.base.offsets.set(mq, o);
            }
        }
        self.base.release_offset(mq).await;
        tracing::info!(group = %self.config.consumer_group, queue = %mq, "lite pull queue released");
    }

    /// Holds `wanted` (wire queues): releases the others (except those of `keep_topics`),
    /// starts the new ones.
    pub(super) async fn update_queues(
        self: &Arc<Self>,
        wanted: Vec<MessageQueue>,
        keep_topics: &[String],
    ) -> Result<(), ClientError> {
        let mut queues = self.queues.lock().await;
        let removed: Vec<MessageQueue> = queues
            .keys()
            .filter(|q| !wanted.contains(q) && !keep_topics.contains(&q.topic))
            .cloned()
            .collect();
        for mq in removed {
            if let Some(q) = queues.remove(&mq) {
                self.release_queue(&mq, q).await;
            }
        }
        let mut first_error = None;
        for mq in wanted {
            if queues.contains_key(&mq) || self.cancel.is_cancelled() {
                continue;
            }
            match self.base.start_offset(&mq).await {
                Ok(offset) => {
                    self.add_queue(&mut queues, mq, offset);
                }
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Subscribe mode: recomputes this member's share of the subscribed queues.
    pub(super) async fn rebalance(self: &Arc<Self>) {
        if self.cancel.is_cancelled() || self.mode() != Mode::Subscribe {
            return;
        }
        let Allocation {
            wanted,
            incomplete,
            unknown,
        } = self.base.allocation().await;
        let failed = self.update_queues(wanted, &unknown).await.is_err();
        self.retry_soon
            .store(incomplete || failed, Ordering::Release);
    }

    /// Copies polled offsets to the offset store and commits them.
    pub(super) async fn commit_all(&self) {
        for (mq, q) in self.queues.lock().await.iter() {
            let o = q.state.consume_offset.load(Ordering::Acquire);
            if o >= 0 && !q.pq.is_dropped() {
                self.base.offsets.set(mq, o);
            }
        }
        self.base.persist_offsets().await;
    }

    pub(super) async fn build_running_info(&self) -> ConsumerRunningInfo {
        let c = &self.config;
        let mut info = ConsumerRunningInfo {
            subscription_set: self.base.subscription_set(),
            ..Default::default()
        };
        let p = &mut info.properties;
        self.base
            .common_properties(p, self.start_timestamp.load(Ordering::Relaxed));
        for (k, v) in [
            ("pullBatchSize", c.pull_batch_size.to_string()),
            ("pullThresholdForAll", c.pull_threshold_for_all.to_string()),
            (
                "pullThresholdForQueue",
                c.pull_threshold_for_queue.to_string(),
            ),
            (
                "pullThresholdSizeForQueue",
                c.pull_threshold_size_for_queue.to_string(),
            ),
            ("pollTimeoutMillis", c.poll_timeout.as_millis().to_string()),
            ("autoCommit", c.auto_commit.to_string()),
            (
                "autoCommitIntervalMillis",
                c.auto_commit_interval.as_millis().to_string(),
            ),
            (PROP_CONSUME_ORDERLY, "false".to_owned()),
            (PROP_THREADPOOL_CORE_SIZE, "-1".to_owned()),
        ] {
            p.insert(k.to_owned(), v);
        }
        for (mq, q) in self.queues.lock().await.iter() {
            let mut pqi = q.pq.info();
            pqi.commit_offset = self.base.offsets.get(mq).unwrap_or(-1);
            info.mq_table.insert(mq.clone(), pqi);
        }
        info
    }
}

impl ConsumerInner for LiteInner {
    fn running_info(&self) -> BoxFuture<'_, ConsumerRunningInfo> {
        Box::pin(self.build_running_info())
    }

    /// A pull consumer has no listener (Java answers SYSTEM_ERROR too).
    fn consume_message_directly(
        &self,
        _msg: MessageExt,
        _broker_name: Option<String>,
    ) -> BoxFuture<'_, Option<ConsumeMessageDirectlyResult>> {
        Box::pin(async { None })
    }
}

/// Rebalances, heartbeats and auto-commits until the consumer shuts down.
pub(super) async fn service_loop(inner: Arc<LiteInner>) {
    let c = &inner.config;
    let tick = |d: Duration| {
        let d = d.max(Duration::from_millis(10));
        let mut i = tokio::time::interval_at(tokio::time::Instant::now() + d, d);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    };
    let mut rebalance = tick(c.rebalance_interval);
    let mut heartbeat = tick(c.heartbeat_interval);
    let mut soon = tick(Duration::from_secs(1));
    let mut commit = tick(c.auto_commit_interval.max(Duration::from_secs(1)));
    loop {
        let subscribing = inner.mode() == Mode::Subscribe;
        tokio::select! {
            _ = inner.cancel.cancelled() => return,
            _ = soon.tick() => {
                if subscribing && inner.retry_soon.load(Ordering::Acquire) {
                    inner.base.heartbeat().await;
                    inner.rebalance().await;
                }
            }
            _ = rebalance.tick(), if subscribing => inner.rebalance().await,
            _ = inner.base.instance.rebalance_requested(), if subscribing => inner.rebalance().await,
            _ = heartbeat.tick(), if subscribing => inner.base.heartbeat().await,
            _ = commit.tick(), if c.auto_commit => inner.commit_all().await,
        }
    }
}

fn pull_request(
    inner: &LiteInner,
    mq: &MessageQueue,
    offset: i64,
    sub: &SubscriptionData,
) -> RemotingCommand {
    RemotingCommand::request_with_header(
        RequestCode::LitePullMessage,
        &PullMessageRequestHeader {
            consumer_group: inner.base.wire_group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: inner.config.pull_batch_size,
            sys_flag: PULL_FLAG_SUSPEND | PULL_FLAG_SUBSCRIPTION | PULL_FLAG_LITE_PULL,
            commit_offset: 0,
            suspend_timeout_millis: inner.config.broker_suspend_max_time.as_millis() as i64,
            subscription: Some(sub.sub_string.clone()),
            sub_version: sub.sub_version,
            expression_type: Some(sub.expression_type.clone()),
            max_msg_bytes: None,
        },
    )
}

/// Long-polls one held queue into the poll buffer until the queue is released.
async fn pull_task(
    inner: Arc<LiteInner>,
    mq: MessageQueue,
    pq: Arc<ProcessQueue>,
    state: Arc<QueueState>,
) {
    let cancel = pq.token().clone();
    let group = inner.config.consumer_group.clone();
    let c = &inner.config;
    let assign_sub = SubscriptionData::from_expression(&mq.topic, "*", crate::clock::now_ms());
    let mut flow_controlled: u64 = 0;
    let mut refusals = Refusals::default();
    while !cancel.is_cancelled() {
        let buffered = inner.buffered() * c.pull_batch_size.max(1) as usize;
        let why = (buffered > c.pull_threshold_for_all)
            .then_some(FlowControl::Count(buffered))
            .or_else(|| {
                pq.flow_control(c.pull_threshold_for_queue, c.pull_threshold_size_for_queue)
            })
            .or_else(|| {
                let span = pq.max_span();
                (span > c.consume_max_span).then_some(FlowControl::Span(span))
            });
        if let Some(why) = why {
            if flow_controlled.is_multiple_of(1000) {
                tracing::warn!(%group, queue = %mq, ?why, times = flow_controlled, "poll buffer or queue cache over its threshold, so do flow control");
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
        let addr = match broker_of(&inner.base.instance, &mq).await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(queue = %mq, error = %e, "no broker for queue");
                pause(&cancel, PULL_ERROR_BACKOFF).await;
                continue;
            }
        };
        pq.touch_pull();
        let offset = state.pull_offset.load(Ordering::Acquire);
        let req = pull_request(&inner, &mq, offset, &sub);
        let resp = tokio::select! {
            _ = cancel.cancelled() => return,
            r = inner.base.instance.remoting().invoke(&addr, req, c.consumer_timeout_when_suspend) => r,
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
                    Ok(m) => filter_pulled(m, &sub, header.as_ref()),
                    Err(e) => {
                        tracing::warn!(queue = %mq, error = %e, "undecodable pull body");
                        pause(&cancel, PULL_ERROR_BACKOFF).await;
                        continue;
                    }
                };
                if cancel.is_cancelled() {
                    return;
                }
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
            }
            Some(ResponseCode::PullNotFound | ResponseCode::PullRetryImmediately) => {
                refusals.reset();
            }
            Some(ResponseCode::PullOffsetMoved) => {
                tracing::warn!(queue = %mq, from = offset, to = ?next, "pull offset moved");
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
                continue;
            }
        }
        if let Some(n) = next {
            state.pull_offset.store(n, Ordering::Release);
        }
    }
}
