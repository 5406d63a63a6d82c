//! `DefaultLitePullConsumer`: the application polls. Queues come from a subscription (the
//! group rebalances them among its members, as push consumers do) or are assigned by the
//! application. Background tasks long-poll every queue into a bounded buffer; `poll` takes up
//! to `pull_batch_size` messages from it; consumed offsets are committed automatically
//! (`auto_commit`, every 5 s) or by `commit`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::base::readable_queues;
use super::lifecycle::{self, debug_consumer, ServiceTask};
use super::lite_config::LitePullConsumerConfig;
use super::lite_inner::{LiteInner, Mode};
use super::lite_service;
use super::MessageSelector;
use crate::client::{ClientConfig, ClientError};
use crate::protocol::body::{ConsumerRunningInfo, MessageQueue};
use crate::protocol::message::MessageExt;

/// A pull consumer: `subscribe` + `start`, or `assign`; then `poll`.
pub struct DefaultLitePullConsumer {
    inner: Arc<LiteInner>,
    service: ServiceTask,
}

impl std::fmt::Debug for DefaultLitePullConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_consumer(
            f,
            "DefaultLitePullConsumer",
            &self.inner.config.consumer_group,
        )
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
        Ok(DefaultLitePullConsumer {
            inner: Arc::new(LiteInner::new(client, config)?),
            service: ServiceTask::default(),
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
    /// in both modes. Starting it again (also after `shutdown`) is an error, as Java's
    /// `DefaultLitePullConsumerImpl.start` ("The PullConsumer service state not OK, maybe
    /// started once"), the same rule as the push consumer's. An `assign` before `start`
    /// already runs the background work, which `start` then keeps (Java allows `assign`
    /// before `start` too).
    pub async fn start(&self) -> Result<(), ClientError> {
        let inner = &self.inner;
        inner.life.claim_start(&inner.config.consumer_group)?;
        self.run().await
    }

    /// Starts the background work once (by `start` or the first `assign`).
    async fn run(&self) -> Result<(), ClientError> {
        let inner = &self.inner;
        if inner.running.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        inner.life.stamp_start();
        inner.base.load_offsets()?;
        let weak: Weak<LiteInner> = Arc::downgrade(inner);
        lifecycle::register(&inner.base, weak).await;
        let service = lite_service::start(inner).await;
        self.service.set(service);
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
        self.run().await?;
        let wanted: Vec<MessageQueue> = queues
            .iter()
            .map(|q| self.inner.base.wrap_queue(q))
            .collect();
        lite_service::update_queues(&self.inner, wanted, &[]).await
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
        let state = lite_service::add_queue(&self.inner, &mut queues, wire, offset);
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
        if !inner.running.load(Ordering::Acquire) || inner.life.cancel.is_cancelled() {
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
            if now >= deadline || inner.life.cancel.is_cancelled() {
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
        inner.life.cancel.cancel();
        inner.cache_notify.notify_waiters();
        self.service.join().await;
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
        lifecycle::close(&inner.base).await;
    }
}
