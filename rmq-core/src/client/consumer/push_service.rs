//! The push consumer's tasks: the service loop (rebalance, heartbeats, offset commits, lock
//! renewal, expired-message checks) and the rebalance that spawns each assigned queue's pull
//! loop (and orderly worker). It takes the state from `push_inner`; `push.rs` calls
//! [`start`] and nothing here imports `push.rs`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::consume_orderly::orderly_worker;
use super::process_queue::ProcessQueue;
use super::pull_loop::pull_loop;
use super::push_inner::{Listener, PushInner, QueueTask};
use super::timers::ticker;
use crate::protocol::body::MessageQueue;

/// Heartbeats, runs the first rebalance, then spawns the service loop.
pub(super) async fn start(inner: &Arc<PushInner>) -> JoinHandle<()> {
    inner.base.heartbeat().await;
    rebalance(inner).await;
    tokio::spawn(service_loop(inner.clone()))
}

/// Rebalances, heartbeats, commits offsets, renews orderly locks and sends back expired
/// messages until the consumer shuts down. Every period is clamped by [`ticker`].
async fn service_loop(inner: Arc<PushInner>) {
    let c = &inner.config;
    let mut rebalance_tick = ticker(c.rebalance_interval);
    let mut heartbeat = ticker(c.heartbeat_interval);
    let mut persist = ticker(c.persist_consumer_offset_interval);
    let mut relock = ticker(Duration::from_secs(1));
    let mut renew = ticker(Duration::from_secs(20));
    let mut clean = ticker(c.consume_timeout_check_interval);
    loop {
        tokio::select! {
            _ = inner.life.cancel.cancelled() => return,
            _ = relock.tick() => {
                if inner.retry_soon.load(Ordering::Acquire) {
                    rebalance(&inner).await;
                }
            }
            _ = renew.tick(), if inner.is_orderly() => inner.renew_locks().await,
            _ = rebalance_tick.tick() => rebalance(&inner).await,
            _ = inner.base.instance.rebalance_requested() => rebalance(&inner).await,
            _ = heartbeat.tick() => inner.base.heartbeat().await,
            _ = persist.tick() => inner.base.persist_offsets().await,
            _ = clean.tick(), if !inner.is_orderly() => inner.clean_expired().await,
        }
    }
}

/// Recomputes this member's queues; stops the pulls of queues it lost and starts pulls (and
/// orderly workers) for queues it gained.
async fn rebalance(inner: &Arc<PushInner>) {
    if inner.life.cancel.is_cancelled() {
        return;
    }
    let allocation = inner.base.allocation().await;
    let mut incomplete = allocation.incomplete;
    let mut queues = inner.queues.lock().await;
    if inner.life.cancel.is_cancelled() {
        return;
    }
    let removed: Vec<MessageQueue> = queues
        .keys()
        .filter(|q| allocation.releases(q))
        .cloned()
        .collect();
    for mq in removed {
        if let Some(t) = queues.remove(&mq) {
            inner.release_queue(&mq, t).await;
        }
    }
    let mut new: Vec<MessageQueue> = allocation
        .wanted
        .into_iter()
        .filter(|q| !queues.contains_key(q))
        .collect();
    if inner.is_orderly() && !new.is_empty() {
        let locked = inner.lock_queues(&new, false).await;
        let before = new.len();
        new.retain(|q| locked.contains(q));
        // Queues another member still holds are locked on a later (1 s) retry.
        incomplete |= new.len() != before;
    }
    for mq in new {
        let offset = match inner.base.start_offset(&mq).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset");
                incomplete = true;
                continue;
            }
        };
        tracing::info!(group = %inner.config.consumer_group, queue = %mq, offset, "queue assigned");
        let task = spawn_queue(inner, &mq, offset);
        queues.insert(mq, task);
    }
    inner.retry_soon.store(incomplete, Ordering::Release);
}

/// The pull loop (and orderly worker) of a newly assigned queue.
fn spawn_queue(inner: &Arc<PushInner>, mq: &MessageQueue, offset: i64) -> QueueTask {
    let pq = Arc::new(ProcessQueue::new(inner.life.cancel.child_token()));
    let worker = if let Listener::Orderly(l) = &inner.listener {
        pq.set_locked(inner.is_orderly());
        Some(inner.tracker.spawn(orderly_worker(
            inner.clone(),
            l.clone(),
            mq.clone(),
            pq.clone(),
        )))
    } else {
        None
    };
    let pull = tokio::spawn(pull_loop(inner.clone(), mq.clone(), offset, pq.clone()));
    QueueTask { pq, pull, worker }
}
