//! `DefaultLitePullConsumer`: the application polls. Queues come from a subscription (the
//! group rebalances them among its members, as push consumers do) or are assigned by the
//! application. Background tasks long-poll every queue into a bounded buffer; `poll` takes up
//! to `pull_batch_size` messages from it; consumed offsets are committed automatically
//! (`auto_commit`, every 5 s) or by `commit`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::base::{readable_queues, BaseConfig, ConsumerBase};
use super::lite_pull_task::service_loop;
use super::process_queue::ProcessQueue;
use super::registry::ConsumerInner;
use super::{AllocateStrategy, MessageSelector};
use crate::client::{ClientConfig, ClientError};
use crate::clock::now_ms;
use crate::protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerRunningInfo, MessageModel, MessageQueue,
};
use crate::protocol::message::MessageExt;

/// Lite pull consumer settings with RocketMQ's defaults (`DefaultLitePullConsumer`).
#[derive(Debug, Clone)]
pub struct LitePullConsumerConfig {
    /// Consumer group (offsets are kept per group).
    pub consumer_group: String,
    /// Clustering (default: the group shares the queues) or broadcasting (subscribe mode).
    pub message_model: MessageModel,
    /// Where a queue without a committed offset starts (last offset).
    pub consume_from_where: ConsumeFromWhere,
    /// With `ConsumeFromTimestamp`: the start time in ms (0: half an hour ago).
    pub consume_timestamp: i64,
    /// How the group's queues are divided among its members (subscribe mode).
    pub allocate_strategy: AllocateStrategy,
    /// Messages per pull, and at most per `poll` (10).
    pub pull_batch_size: i32,
    /// Pulling pauses while the buffer holds more than this many messages (10000).
    pub pull_threshold_for_all: usize,
    /// Pulling on a queue pauses while it caches more than this many messages (1000).
    pub pull_threshold_for_queue: usize,
    /// Pulling on a queue pauses while its cached bodies exceed this many MiB (100).
    pub pull_threshold_size_for_queue: usize,
    /// Pulling on a queue pauses while the offsets it holds span more than this (2000).
    pub consume_max_span: i64,
    /// The poll timeout callers use by default (5 s); `poll` takes its own.
    pub poll_timeout: Duration,
    /// Commit polled offsets to the broker every `auto_commit_interval` (on).
    pub auto_commit: bool,
    /// Auto-commit period (5 s, at least 1 s).
    pub auto_commit_interval: Duration,
    /// How long a pull may be held by the broker (20 s).
    pub broker_suspend_max_time: Duration,
    /// Timeout of a held pull (30 s).
    pub consumer_timeout_when_suspend: Duration,
    /// Rebalance period (20 s).
    pub rebalance_interval: Duration,
    /// Heartbeat period (30 s).
    pub heartbeat_interval: Duration,
    /// Broadcasting offsets directory (default `~/.rocketmq_offsets`).
    pub offset_store_dir: Option<std::path::PathBuf>,
    /// Instance name of the broadcasting offsets file (`DEFAULT`).
    pub instance_name: String,
}

impl Default for LitePullConsumerConfig {
    fn default() -> Self {
        LitePullConsumerConfig {
            consumer_group: "DEFAULT_CONSUMER".into(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: 0,
            allocate_strategy: AllocateStrategy::Averagely,
            pull_batch_size: 10,
            pull_threshold_for_all: 10_000,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100,
            consume_max_span: 2000,
            poll_timeout: Duration::from_secs(5),
            auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            broker_suspend_max_time: Duration::from_secs(20),
            consumer_timeout_when_suspend: Duration::from_secs(30),
            rebalance_interval: Duration::from_secs(20),
            heartbeat_interval: Duration::from_secs(30),
            offset_store_dir: None,
            instance_name: "DEFAULT".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Unset,
    Subscribe,
    Assign,
}

/// Offsets of one assigned queue.
pub(super) struct QueueState {
    /// The next offset to pull.
    pub(super) pull_offset: AtomicI64,
    /// The offset after what was polled (−1: nothing polled yet).
    pub(super) consume_offset: AtomicI64,
}

pub(super) struct LiteQueue {
    pub(super) pq: Arc<ProcessQueue>,
    pub(super) state: Arc<QueueState>,
    pub(super) task: JoinHandle<()>,
}

/// Messages of one pull, waiting for `poll`.
pub(super) struct ConsumeRequest {
    pub(super) msgs: Vec<MessageExt>,
    pub(super) pq: Arc<ProcessQueue>,
    pub(super) state: Arc<QueueState>,
}

pub(super) struct LiteInner {
    pub(super) config: LitePullConsumerConfig,
    pub(super) base: ConsumerBase,
    pub(super) mode: Mutex<Mode>,
    /// Assigned queues (wire names).
    pub(super) queues: tokio::sync::Mutex<BTreeMap<MessageQueue, LiteQueue>>,
    pub(super) cache: Mutex<VecDeque<ConsumeRequest>>,
    pub(super) cache_notify: Notify,
    pub(super) cancel: CancellationToken,
    pub(super) retry_soon: AtomicBool,
    pub(super) started: AtomicBool,
    pub(super) start_timestamp: AtomicI64,
}

/// A pull consumer: `subscribe` + `start`, or `assign`; then `poll`.
pub struct DefaultLitePullConsumer {
    inner: Arc<LiteInner>,
    service: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for DefaultLitePullConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultLitePullConsumer")
            .field("group", &self.inner.config.consumer_group)
            .finish_non_exhaustive()
    }
}

impl DefaultLitePullConsumer {
    /// A consumer of `group` with the default settings.
    pub fn new(client: ClientConfig, group: &str) -> Result<Self, ClientError> {
        Self::with_config(
            client,
            LitePullConsumerConfig {
                consumer_group: group.to_owned(),
                ..Default::default()
            },
        )
    }

    /// A consumer with explicit settings.
    pub fn with_config(
        client: ClientConfig,
        config: LitePullConsumerConfig,
    ) -> Result<Self, ClientError> {
        if config.pull_batch_size <= 0 {
            return Err(ClientError::Config(
                "pull_batch_size must be positive".into(),
            ));
        }
        let base = ConsumerBase::new(
            client,
            BaseConfig {
                group: config.consumer_group.clone(),
                consume_type: ConsumeType::ConsumeActively,
                message_model: config.message_model,
                consume_from_where: config.consume_from_where,
                consume_timestamp: config.consume_timestamp,
                allocate_strategy: config.allocate_strategy,
                offset_store_dir: config.offset_store_dir.clone(),
                instance_name: config.instance_name.clone(),
            },
        )?;
        Ok(DefaultLitePullConsumer {
            inner: Arc::new(LiteInner {
                base,
                mode: Mutex::new(Mode::Unset),
                queues: tokio::sync::Mutex::new(BTreeMap::new()),
                cache: Mutex::new(VecDeque::new()),
                cache_notify: Notify::new(),
                cancel: CancellationToken::new(),
                retry_soon: AtomicBool::new(false),
                started: AtomicBool::new(false),
                start_timestamp: AtomicI64::new(0),
                config,
            }),
            service: Mutex::new(None),
        })
    }

    /// The settings.
    pub fn config(&self) -> &LitePullConsumerConfig {
        &self.inner.config
    }

    /// The client id of this consumer (`ip@instance`).
    pub fn client_id(&self) -> &str {
        self.inner.base.instance.client_id()
    }

    fn set_mode(&self, wanted: Mode) -> Result<(), ClientError> {
        let mut mode = self.inner.mode.lock().unwrap_or_else(|e| e.into_inner());
        match *mode {
            Mode::Unset => {
                *mode = wanted;
                Ok(())
            }
            m if m == wanted => Ok(()),
            m => Err(ClientError::Config(format!(
                "subscribe and assign cannot be mixed (already in {m:?} mode)"
            ))),
        }
    }

    /// Subscribes to `topic` with a tag expression (`*` or `TagA || TagB`): subscribe mode.
    pub fn subscribe(&self, topic: &str, expression: &str) -> Result<(), ClientError> {
        self.subscribe_with_selector(topic, MessageSelector::by_tag(expression))
    }

    /// Subscribes to `topic` with a tag or SQL92 selector: subscribe mode. After `start` the
    /// new subscription is picked up within a second.
    pub fn subscribe_with_selector(
        &self,
        topic: &str,
        selector: MessageSelector,
    ) -> Result<(), ClientError> {
        if topic.trim().is_empty() {
            return Err(ClientError::Config("topic is empty".into()));
        }
        self.set_mode(Mode::Subscribe)?;
        self.inner.base.subscribe(topic, &selector);
        self.inner.retry_soon.store(true, Ordering::Release);
        Ok(())
    }

    /// Starts the background work: in subscribe mode heartbeats (as a CONSUME_ACTIVELY
    /// member of the group) and rebalancing, returning after the first rebalance; auto-commit
    /// in both modes. Calling it again does nothing.
    pub async fn start(&self) -> Result<(), ClientError> {
        let inner = &self.inner;
        if inner.started.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        inner.start_timestamp.store(now_ms(), Ordering::Relaxed);
        inner.base.load_offsets()?;
        let weak: Weak<LiteInner> = Arc::downgrade(inner);
        let weak: Weak<dyn ConsumerInner> = weak;
        inner
            .base
            .instance
            .consumers()
            .register(&inner.base.wire_group, weak);
        if inner.mode() == Mode::Subscribe {
            for topic in inner.base.topics() {
                if let Err(e) = inner.base.instance.fetch_route(&topic).await {
                    tracing::debug!(%topic, error = %e, "no route yet");
                }
            }
            inner.base.heartbeat().await;
            inner.rebalance().await;
        }
        let service = tokio::spawn(service_loop(inner.clone()));
        *self.service.lock().unwrap_or_else(|e| e.into_inner()) = Some(service);
        Ok(())
    }

    /// The readable queues of a topic (topic names as given).
    pub async fn fetch_message_queues(
        &self,
        topic: &str,
    ) -> Result<Vec<MessageQueue>, ClientError> {
        let wire = self.inner.base.wrap(topic);
        let route = self.inner.base.instance.fetch_route(&wire).await?;
        Ok(readable_queues(&wire, &route)
            .iter()
            .map(|q| self.inner.base.unwrap_queue(q))
            .collect())
    }

    /// Assign mode: takes exactly these queues (starting the consumer if needed); a queue
    /// newly taken starts at the group's committed offset, else per `consume_from_where`.
    pub async fn assign(&self, queues: Vec<MessageQueue>) -> Result<(), ClientError> {
        if queues.is_empty() {
            return Err(ClientError::Config("no queue to assign".into()));
        }
        self.set_mode(Mode::Assign)?;
        self.start().await?;
        let wanted: Vec<MessageQueue> = queues
            .iter()
            .map(|q| self.inner.base.wrap_queue(q))
            .collect();
        self.inner.update_queues(wanted, &[]).await
    }

    /// The queues this consumer holds now (topic names as given).
    pub async fn assignment(&self) -> Vec<MessageQueue> {
        self.inner
            .queues
            .lock()
            .await
            .keys()
            .map(|q| self.inner.base.unwrap_queue(q))
            .collect()
    }

    /// Moves a held queue to `offset` (between its min and max offsets): what is buffered for
    /// it is dropped and pulling restarts there.
    pub async fn seek(&self, mq: &MessageQueue, offset: i64) -> Result<(), ClientError> {
        let wire = self.inner.base.wrap_queue(mq);
        if !self.inner.queues.lock().await.contains_key(&wire) {
            return Err(ClientError::Config(format!(
                "queue {mq} is not assigned (or is being rebalanced)"
            )));
        }
        let (min, max) = self.inner.base.min_max_offset(&wire).await?;
        if offset < min || offset > max {
            return Err(ClientError::Config(format!(
                "seek offset {offset} of {mq} is outside [{min}, {max}]"
            )));
        }
        let mut queues = self.inner.queues.lock().await;
        let Some(old) = queues.remove(&wire) else {
            return Err(ClientError::Config(format!("queue {mq} is not assigned")));
        };
        old.pq.set_dropped();
        old.task.abort();
        let state = self.inner.add_queue(&mut queues, wire, offset);
        state.consume_offset.store(offset, Ordering::Release);
        Ok(())
    }

    /// Moves a held queue to its smallest offset.
    pub async fn seek_to_begin(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        let (min, _) = self
            .inner
            .base
            .min_max_offset(&self.inner.base.wrap_queue(mq))
            .await?;
        self.seek(mq, min).await
    }

    /// Moves a held queue past its last message.
    pub async fn seek_to_end(&self, mq: &MessageQueue) -> Result<(), ClientError> {
        let (_, max) = self
            .inner
            .base
            .min_max_offset(&self.inner.base.wrap_queue(mq))
            .await?;
        self.seek(mq, max).await
    }

    /// The group's offset of a queue as committed on its broker (`None`: nothing committed).
    pub async fn committed(&self, mq: &MessageQueue) -> Result<Option<i64>, ClientError> {
        self.inner
            .base
            .offsets
            .fetch(&self.inner.base.instance, &self.inner.base.wrap_queue(mq))
            .await
    }

    /// Up to `pull_batch_size` messages of one queue, waiting at most `timeout` for some;
    /// empty when none arrived. With auto-commit, what is returned counts as consumed.
    pub async fn poll(&self, timeout: Duration) -> Result<Vec<MessageExt>, ClientError> {
        let inner = &self.inner;
        if !inner.started.load(Ordering::Acquire) || inner.cancel.is_cancelled() {
            return Err(ClientError::Config(
                "the lite pull consumer is not running: subscribe and start it, or assign queues"
                    .into(),
            ));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let notified = inner.cache_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(req) = inner.pop_request() {
                let offsets: Vec<i64> = req.msgs.iter().map(|m| m.queue_offset).collect();
                let offset = req.pq.remove(&offsets);
                if offset >= 0 {
                    req.state.consume_offset.store(offset, Ordering::Release);
                }
                return Ok(req
                    .msgs
                    .into_iter()
                    .map(|m| inner.base.for_listener(m))
                    .collect());
            }
            let now = Instant::now();
            if now >= deadline || inner.cancel.is_cancelled() {
                return Ok(Vec::new());
            }
            let _ = tokio::time::timeout(deadline - now, notified).await;
        }
    }

    /// Commits the offsets of everything polled so far to the brokers (or the local file
    /// when broadcasting); errors are logged.
    pub async fn commit(&self) {
        self.inner.commit_all().await;
    }

    /// Settings, subscriptions and the state of each held queue.
    pub async fn running_info(&self) -> ConsumerRunningInfo {
        self.inner.build_running_info().await
    }

    /// Stops pulling, commits (everything polled with auto-commit, else what was committed),
    /// unregisters from the brokers (subscribe mode) and closes the connections.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.cancel.cancel();
        inner.cache_notify.notify_waiters();
        let service = self
            .service
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(s) = service {
            let _ = s.await;
        }
        if inner.config.auto_commit {
            inner.commit_all().await;
        } else {
            inner.base.persist_offsets().await;
        }
        for (_, q) in std::mem::take(&mut *inner.queues.lock().await) {
            q.pq.set_dropped();
            q.task.abort();
        }
        inner
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        if inner.mode() == Mode::Subscribe {
            inner.base.unregister().await;
        }
        inner
            .base
            .instance
            .consumers()
            .unregister(&inner.base.wire_group);
        inner.base.instance.remoting().close_all().await;
    }
}
