//! The lite pull consumer's tasks: the service loop (rebalancing in subscribe mode,
//! heartbeats, auto-commit) and what spawns each held queue's pull task (assigning,
//! rebalancing, seeking). It takes the state from `lite_inner`; `lite_pull.rs` calls in and
//! nothing here imports `lite_pull.rs`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::base::Allocation;
use super::lite_inner::{LiteInner, LiteQueue, Mode, QueueState};
use super::lite_pull_task::pull_task;
use super::process_queue::ProcessQueue;
use super::timers::ticker;
use crate::client::ClientError;
use crate::protocol::body::MessageQueue;

/// The shortest auto-commit period (Java's `DefaultLitePullConsumer`
/// `MIN_AUTOCOMMIT_INTERVAL_MILLIS`: a shorter `autoCommitIntervalMillis` is not taken).
const MIN_AUTO_COMMIT_INTERVAL: Duration = Duration::from_secs(1);

/// Subscribe mode: heartbeats and runs the first rebalance; then (both modes) spawns the
/// service loop.
pub(super) async fn start(inner: &Arc<LiteInner>) -> JoinHandle<()> {
    if inner.mode() == Mode::Subscribe {
        inner.base.heartbeat().await;
        rebalance(inner).await;
    }
    tokio::spawn(service_loop(inner.clone()))
}

/// Starts holding `mq` from `offset`: a new process queue and pull task.
pub(super) fn add_queue(
    inner: &Arc<LiteInner>,
    queues: &mut BTreeMap<MessageQueue, LiteQueue>,
    mq: MessageQueue,
    offset: i64,
) -> Arc<QueueState> {
    let pq = Arc::new(ProcessQueue::new(inner.life.cancel.child_token()));
    let state = Arc::new(QueueState {
        pull_offset: AtomicI64::new(offset),
        consume_offset: AtomicI64::new(-1),
    });
    let task = tokio::spawn(pull_task(
        inner.clone(),
        mq.clone(),
        pq.clone(),
        state.clone(),
    ));
    tracing::info!(group = %inner.config.consumer_group, queue = %mq, offset, "lite pull queue assigned");
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

/// Holds `wanted` (wire queues): releases the others (except those of `keep_topics`), starts
/// the new ones.
pub(super) async fn update_queues(
    inner: &Arc<LiteInner>,
    wanted: Vec<MessageQueue>,
    keep_topics: &[String],
) -> Result<(), ClientError> {
    let mut queues = inner.queues.lock().await;
    let removed: Vec<MessageQueue> = queues
        .keys()
        .filter(|q| !wanted.contains(q) && !keep_topics.contains(&q.topic))
        .cloned()
        .collect();
    for mq in removed {
        if let Some(q) = queues.remove(&mq) {
            inner.release_queue(&mq, q).await;
        }
    }
    let mut first_error = None;
    for mq in wanted {
        if queues.contains_key(&mq) || inner.life.cancel.is_cancelled() {
            continue;
        }
        match inner.base.start_offset(&mq).await {
            Ok(offset) => {
                add_queue(inner, &mut queues, mq, offset);
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
async fn rebalance(inner: &Arc<LiteInner>) {
    if inner.life.cancel.is_cancelled() || inner.mode() != Mode::Subscribe {
        return;
    }
    let Allocation {
        wanted,
        incomplete,
        unknown,
    } = inner.base.allocation().await;
    let failed = update_queues(inner, wanted, &unknown).await.is_err();
    inner
        .retry_soon
        .store(incomplete || failed, Ordering::Release);
}

/// Rebalances, heartbeats and auto-commits until the consumer shuts down. Every period is
/// clamped by [`ticker`], the auto-commit one to at least 1 s.
async fn service_loop(inner: Arc<LiteInner>) {
    let c = &inner.config;
    let mut rebalance_tick = ticker(c.rebalance_interval);
    let mut heartbeat = ticker(c.heartbeat_interval);
    let mut soon = ticker(Duration::from_secs(1));
    let mut commit = ticker(c.auto_commit_interval.max(MIN_AUTO_COMMIT_INTERVAL));
    loop {
        let subscribing = inner.mode() == Mode::Subscribe;
        tokio::select! {
            _ = inner.life.cancel.cancelled() => return,
            _ = soon.tick() => {
                if subscribing && inner.retry_soon.load(Ordering::Acquire) {
                    inner.base.heartbeat().await;
                    rebalance(&inner).await;
                }
            }
            _ = rebalance_tick.tick(), if subscribing => rebalance(&inner).await,
            _ = inner.base.instance.rebalance_requested(), if subscribing => rebalance(&inner).await,
            _ = heartbeat.tick(), if subscribing => inner.base.heartbeat().await,
            _ = commit.tick(), if c.auto_commit => inner.commit_all().await,
        }
    }
}
