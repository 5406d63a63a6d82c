//! `DefaultMqPushConsumer`: heartbeats, rebalance, one long-polling pull loop per assigned
//! queue feeding its process queue, listener calls bounded by `consume_thread_max` across the
//! consumer, offset commits, retries, and the answers to GET_CONSUMER_RUNNING_INFO and
//! CONSUME_MESSAGE_DIRECTLY.

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::base::{BaseConfig, ConsumerBase};
use super::consume_orderly::orderly_worker;
use super::process_queue::ProcessQueue;
use super::pull_loop::pull_loop;
use super::registry::{BoxFuture, ConsumerInner};
use super::{
    panic_text, ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, ConsumerConfig,
    MessageListenerConcurrently, MessageListenerOrderly, MessageSelector,
};
use crate::client::{ClientConfig, ClientError};
use crate::clock::now_ms;
use crate::protocol::body::{
    CmResult, ConsumeMessageDirectlyResult, ConsumeType, ConsumerRunningInfo, MessageModel,
    MessageQueue, PROP_CONSUME_ORDERLY, PROP_THREADPOOL_CORE_SIZE,
};
use crate::protocol::message::MessageExt;

/// The tasks of one assigned queue.
pub(super) struct QueueTask {
    pub(super) pq: Arc<ProcessQueue>,
    pub(super) pull: JoinHandle<()>,
    /// Orderly: the task handing the queue's messages to the listener one at a time.
    pub(super) worker: Option<JoinHandle<()>>,
}

pub(super) enum Listener {
    Concurrently(Arc<dyn MessageListenerConcurrently>),
    Orderly(Arc<dyn MessageListenerOrderly>),
}

pub(super) struct PushInner {
    pub(super) config: ConsumerConfig,
    pub(super) base: ConsumerBase,
    pub(super) listener: Listener,
    /// The last rebalance was incomplete (a topic without a route yet, queues not locked):
    /// rebalance again within a second instead of waiting for the next period.
    pub(super) retry_soon: AtomicBool,
    pub(super) queues: tokio::sync::Mutex<HashMap<MessageQueue, QueueTask>>,
    /// Listener calls in flight across the consumer.
    pub(super) permits: Arc<Semaphore>,
    /// Stops pulls, queued listener calls and the service loop.
    pub(super) cancel: CancellationToken,
    /// Listener calls (and orderly workers): shutdown waits for them.
    pub(super) tracker: TaskTracker,
    started: AtomicBool,
    start_timestamp: AtomicI64,
}

/// A push consumer: subscribe, start, and the listener is called for every message.
pub struct DefaultMqPushConsumer {
    inner: Arc<PushInner>,
    service: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for DefaultMqPushConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultMqPushConsumer")
            .field("group", &self.inner.config.consumer_group)
            .finish_non_exhaustive()
    }
}

impl DefaultMqPushConsumer {
    /// A consumer; call [`subscribe`](Self::subscribe) then [`start`](Self::start).
    pub fn new(
        client: ClientConfig,
        config: ConsumerConfig,
        listener: impl MessageListenerConcurrently,
    ) -> Result<Self, ClientError> {
        Self::with_listener(client, config, Listener::Concurrently(Arc::new(listener)))
    }

    /// An orderly consumer: queues are locked on the broker (LOCK_BATCH_MQ, renewed every
    /// 20 s) and each queue's messages reach the listener one at a time, in order.
    pub fn new_orderly(
        client: ClientConfig,
        config: ConsumerConfig,
        listener: impl MessageListenerOrderly,
    ) -> Result<Self, ClientError> {
        Self::with_listener(client, config, Listener::Orderly(Arc::new(listener)))
    }

    fn with_listener(
        client: ClientConfig,
        config: ConsumerConfig,
        listener: Listener,
    ) -> Result<Self, ClientError> {
        let base = ConsumerBase::new(
            client,
            BaseConfig {
                group: config.consumer_group.clone(),
                consume_type: ConsumeType::ConsumePassively,
                message_model: config.message_model,
                consume_from_where: config.consume_from_where,
                consume_timestamp: config.consume_timestamp,
                allocate_strategy: config.allocate_strategy,
                offset_store_dir: config.offset_store_dir.clone(),
                instance_name: config.instance_name.clone(),
            },
        )?;
        Ok(DefaultMqPushConsumer {
            inner: Arc::new(PushInner {
                permits: Arc::new(Semaphore::new(config.consume_thread_max.max(1))),
                base,
                listener,
                retry_soon: AtomicBool::new(false),
                queues: tokio::sync::Mutex::new(HashMap::new()),
                cancel: CancellationToken::new(),
                tracker: TaskTracker::new(),
                started: AtomicBool::new(false),
                start_timestamp: AtomicI64::new(0),
                config,
            }),
            service: Mutex::new(None),
        })
    }

    /// Subscribes to `topic` with a tag expression (`*` or `TagA || TagB`).
    pub fn subscribe(&self, topic: &str, expression: &str) {
        self.subscribe_with_selector(topic, MessageSelector::by_tag(expression));
    }

    /// Subscribes to `topic` with a tag or SQL92 selector. SQL92 is filtered by the broker
    /// (it needs `enablePropertyFilter`; rmq's bundled broker refuses it and the consumer
    /// logs that once per queue and backs off).
    pub fn subscribe_with_selector(&self, topic: &str, selector: MessageSelector) {
        self.inner.base.subscribe(topic, &selector);
    }

    /// The client id of this consumer (`ip@instance`).
    pub fn client_id(&self) -> &str {
        self.inner.base.instance.client_id()
    }

    /// The consumer group as configured (without namespace).
    pub fn consumer_group(&self) -> &str {
        &self.inner.config.consumer_group
    }

    /// Starts heartbeats and rebalancing; returns once the first rebalance ran. The consumer
    /// then answers GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY for its group.
    pub async fn start(&self) -> Result<(), ClientError> {
        let inner = &self.inner;
        if inner.started.swap(true, Ordering::AcqRel) {
            return Err(ClientError::Config(format!(
                "push consumer of group {} already started",
                inner.config.consumer_group
            )));
        }
        inner.start_timestamp.store(now_ms(), Ordering::Relaxed);
        if inner.config.message_model == MessageModel::Clustering {
            inner
                .base
                .subscribe(&inner.base.retry_topic(), &MessageSelector::by_tag("*"));
        } else {
            inner.base.load_offsets()?;
        }
        for topic in inner.base.topics() {
            if let Err(e) = inner.base.instance.fetch_route(&topic).await {
                tracing::debug!(%topic, error = %e, "no route yet");
            }
        }
        let weak: Weak<PushInner> = Arc::downgrade(inner);
        let weak: Weak<dyn ConsumerInner> = weak;
        inner
            .base
            .instance
            .consumers()
            .register(&inner.base.wire_group, weak);
        inner.base.heartbeat().await;
        inner.rebalance().await;
        let service = tokio::spawn(service_loop(inner.clone()));
        *self.service.lock().unwrap_or_else(|e| e.into_inner()) = Some(service);
        Ok(())
    }

    /// Stops pulling, waits for listener calls in flight (at most `await_termination`),
    /// commits offsets and unregisters from the brokers.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.cancel.cancel();
        let service = self
            .service
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(s) = service {
            let _ = s.await;
        }
        let tasks: Vec<(MessageQueue, QueueTask)> = inner.queues.lock().await.drain().collect();
        for (_, t) in &tasks {
            t.pull.abort();
        }
        inner.tracker.close();
        if tokio::time::timeout(inner.config.await_termination, inner.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(group = %inner.config.consumer_group, "in-flight messages did not finish in time");
        }
        inner.base.persist_offsets().await;
        if inner.is_orderly() {
            let mqs: Vec<MessageQueue> = tasks.iter().map(|(q, _)| q.clone()).collect();
            inner.lock_queues(&mqs, true).await;
        }
        inner.base.unregister().await;
        inner
            .base
            .instance
            .consumers()
            .unregister(&inner.base.wire_group);
        inner.base.instance.remoting().close_all().await;
    }

    /// The queues currently assigned to this consumer (topics without namespace).
    pub async fn assigned_queues(&self) -> Vec<MessageQueue> {
        let mut q: Vec<MessageQueue> = self
            .inner
            .queues
            .lock()
            .await
            .keys()
            .map(|q| self.inner.base.unwrap_queue(q))
            .collect();
        q.sort();
        q
    }

    /// What GET_CONSUMER_RUNNING_INFO answers: settings, subscriptions and the state of each
    /// assigned queue's process queue (cached messages, commit offset).
    pub async fn running_info(&self) -> ConsumerRunningInfo {
        self.inner.build_running_info().await
    }
}

async fn service_loop(inner: Arc<PushInner>) {
    let c = &inner.config;
    let tick = |d: Duration| {
        let mut i = tokio::time::interval_at(tokio::time::Instant::now() + d, d);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    };
    let mut rebalance = tick(c.rebalance_interval);
    let mut heartbeat = tick(c.heartbeat_interval);
    let mut persist = tick(c.persist_consumer_offset_interval);
    let mut relock = tick(Duration::from_secs(1));
    let mut renew = tick(Duration::from_secs(20));
    let mut clean = tick(
        c.consume_timeout_check_interval
            .max(Duration::from_millis(10)),
    );
    loop {
        tokio::select! {
            _ = inner.cancel.cancelled() => return,
            _ = relock.tick() => {
                if inner.retry_soon.load(Ordering::Acquire) {
                    inner.rebalance().await;
                }
            }
            _ = renew.tick(), if inner.is_orderly() => inner.renew_locks().await,
            _ = rebalance.tick() => inner.rebalance().await,
            _ = inner.base.instance.rebalance_requested() => inner.rebalance().await,
            _ = heartbeat.tick() => inner.base.heartbeat().await,
            _ = persist.tick() => inner.base.persist_offsets().await,
            _ = clean.tick(), if !inner.is_orderly() => inner.clean_expired().await,
        }
    }
}

impl PushInner {
    /// Orderly consumption with broker locks (clustering).
    pub(super) fn is_orderly(&self) -> bool {
        matches!(self.listener, Listener::Orderly(_))
            && self.config.message_model == MessageModel::Clustering
    }

    /// Redeliveries before the DLQ (−1 → 16).
    pub(super) fn max_reconsume_times(&self) -> i32 {
        if self.config.max_reconsume_times < 0 {
            16
        } else {
            self.config.max_reconsume_times
        }
    }

    /// Recomputes this member's queues; stops the pulls of queues it lost and starts pulls
    /// (and orderly workers) for queues it gained.
    pub(super) async fn rebalance(self: &Arc<Self>) {
        if self.cancel.is_cancelled() {
            return;
        }
        let allocation = self.base.allocation().await;
        let mut incomplete = allocation.incomplete;
        let mut queues = self.queues.lock().await;
        if self.cancel.is_cancelled() {
            return;
        }
        let removed: Vec<MessageQueue> = queues
            .keys()
            .filter(|q| allocation.releases(q))
            .cloned()
            .collect();
        for mq in removed {
            if let Some(t) = queues.remove(&mq) {
                self.release_queue(&mq, t).await;
            }
        }
        let mut new: Vec<MessageQueue> = allocation
            .wanted
            .into_iter()
            .filter(|q| !queues.contains_key(q))
            .collect();
        if self.is_orderly() && !new.is_empty() {
            let locked = self.lock_queues(&new, false).await;
            let before = new.len();
            new.retain(|q| locked.contains(q));
            // Queues another member still holds are locked on a later (1 s) retry.
            incomplete |= new.len() != before;
        }
        for mq in new {
            let offset = match self.base.start_offset(&mq).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset");
                    incomplete = true;
                    continue;
                }
            };
            tracing::info!(group = %self.config.consumer_group, queue = %mq, offset, "queue assigned");
            let pq = Arc::new(ProcessQueue::new(self.cancel.child_token()));
            let worker = if let Listener::Orderly(l) = &self.listener {
                pq.set_locked(self.is_orderly());
                Some(self.tracker.spawn(orderly_worker(
                    self.clone(),
                    l.clone(),
                    mq.clone(),
                    pq.clone(),
                )))
            } else {
                None
            };
            let pull = tokio::spawn(pull_loop(self.clone(), mq.clone(), offset, pq.clone()));
            queues.insert(mq, QueueTask { pq, pull, worker });
        }
        self.retry_soon.store(incomplete, Ordering::Release);
    }

    /// Stops a queue this member no longer holds: its process queue is dropped (results of
    /// calls still running are discarded), its offset committed, its broker lock released.
    pub(super) async fn release_queue(&self, mq: &MessageQueue, t: QueueTask) {
        t.pq.set_dropped();
        let _ = t.pull.await;
        if let Some(w) = t.worker {
            if tokio::time::timeout(Duration::from_secs(1), w)
                .await
                .is_err()
            {
                tracing::warn!(queue = %mq, "orderly listener still busy; releasing the queue anyway");
            }
        }
        self.base.release_offset(mq).await;
        if self.is_orderly() {
            self.lock_queues(std::slice::from_ref(mq), true).await;
        }
        tracing::info!(group = %self.config.consumer_group, queue = %mq, "queue released");
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
        let mut put = |k: &str, v: String| {
            p.insert(k.to_owned(), v);
        };
        put("consumeTimestamp", c.consume_timestamp.to_string());
        put("consumeThreadMin", c.consume_thread_max.to_string());
        put("consumeThreadMax", c.consume_thread_max.to_string());
        put(
            "consumeMessageBatchMaxSize",
            c.consume_message_batch_max_size.to_string(),
        );
        put("pullBatchSize", c.pull_batch_size.to_string());
        put(
            "pullThresholdForQueue",
            c.pull_threshold_for_queue.to_string(),
        );
        put(
            "pullThresholdSizeForQueue",
            c.pull_threshold_size_for_queue.to_string(),
        );
        put("maxReconsumeTimes", c.max_reconsume_times.to_string());
        put(
            "consumeTimeout",
            (c.consume_timeout.as_secs() / 60).to_string(),
        );
        put(
            "suspendCurrentQueueTimeMillis",
            c.suspend_current_queue_time_millis.to_string(),
        );
        put("pullInterval", "0".into());
        put(PROP_CONSUME_ORDERLY, self.is_orderly().to_string());
        put(PROP_THREADPOOL_CORE_SIZE, c.consume_thread_max.to_string());
        let queues: BTreeMap<MessageQueue, Arc<ProcessQueue>> = self
            .queues
            .lock()
            .await
            .iter()
            .map(|(q, t)| (q.clone(), t.pq.clone()))
            .collect();
        for (mq, pq) in queues {
            let mut pqi = pq.info();
            pqi.commit_offset = self.base.offsets.get(&mq).unwrap_or(-1);
            info.mq_table.insert(mq, pqi);
        }
        info
    }

    async fn consume_directly(&self, msg: MessageExt) -> ConsumeMessageDirectlyResult {
        let msg = self.base.for_listener(msg);
        tracing::info!(group = %self.config.consumer_group, msg_id = %msg.msg_id(), "consume message directly");
        let begin = Instant::now();
        let mut r = ConsumeMessageDirectlyResult::default();
        let outcome = match &self.listener {
            Listener::Concurrently(l) => AssertUnwindSafe(l.consume_message(vec![msg]))
                .catch_unwind()
                .await
                .map(|s| match s {
                    ConsumeConcurrentlyStatus::ConsumeSuccess => CmResult::CrSuccess,
                    ConsumeConcurrentlyStatus::ReconsumeLater => CmResult::CrLater,
                }),
            Listener::Orderly(l) => {
                r.order = true;
                AssertUnwindSafe(l.consume_message(msg))
                    .catch_unwind()
                    .await
                    .map(|s| match s {
                        ConsumeOrderlyStatus::Success => CmResult::CrSuccess,
                        ConsumeOrderlyStatus::SuspendCurrentQueueAMoment => CmResult::CrLater,
                    })
            }
        };
        match outcome {
            Ok(result) => r.consume_result = Some(result),
            Err(p) => {
                r.consume_result = Some(CmResult::CrThrowException);
                r.remark = Some(panic_text(p.as_ref()));
            }
        }
        r.spent_time_mills = begin.elapsed().as_millis() as i64;
        r
    }
}

impl ConsumerInner for PushInner {
    fn running_info(&self) -> BoxFuture<'_, ConsumerRunningInfo> {
        Box::pin(self.build_running_info())
    }

    fn consume_message_directly(
        &self,
        msg: MessageExt,
        _broker_name: Option<String>,
    ) -> BoxFuture<'_, Option<ConsumeMessageDirectlyResult>> {
        Box::pin(async move { Some(self.consume_directly(msg).await) })
    }
}
