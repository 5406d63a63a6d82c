//! `DefaultMqPushConsumer`: heartbeats, rebalance, one long-polling pull loop per assigned
//! queue feeding its process queue, listener calls bounded by `consume_thread_max` across the
//! consumer, offset commits, retries, and the answers to GET_CONSUMER_RUNNING_INFO and
//! CONSUME_MESSAGE_DIRECTLY.

use std::sync::{Arc, Weak};

use super::lifecycle::{self, debug_consumer, ServiceTask};
use super::push_inner::{Listener, PushInner, QueueTask};
use super::push_service;
use super::{ConsumerConfig, MessageListenerConcurrently, MessageListenerOrderly, MessageSelector};
use crate::client::{ClientConfig, ClientError};
use crate::protocol::body::{ConsumerRunningInfo, MessageModel, MessageQueue};

/// A push consumer: subscribe, start, and the listener is called for every message.
pub struct DefaultMqPushConsumer {
    inner: Arc<PushInner>,
    service: ServiceTask,
}

impl std::fmt::Debug for DefaultMqPushConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_consumer(
            f,
            "DefaultMqPushConsumer",
            &self.inner.config.consumer_group,
        )
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
        Ok(DefaultMqPushConsumer {
            inner: Arc::new(PushInner::new(client, config, listener)?),
            service: ServiceTask::default(),
        })
    }

    /// Subscribes to `topic` with a tag expression (`*` or `TagA || TagB`).
    pub fn subscribe(&self, topic: &str, expression: &str) {
        self.subscribe_with_selector(topic, MessageSelector::by_tag(expression));
    }

    /// Subscribes to `topic` with a tag or SQL92 selector. SQL92 is filtered by the broker
    /// (it needs `enablePropertyFilter`, on by default in rmq-broker, off in Java's); a broker
    /// that refuses the expression is logged once per queue and backed off from.
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
    /// Starting it again (also after `shutdown`) is an error, as Java's
    /// `DefaultMQPushConsumerImpl.start` ("The PushConsumer service state not OK, maybe
    /// started once").
    pub async fn start(&self) -> Result<(), ClientError> {
        let inner = &self.inner;
        inner.life.claim_start(&inner.config.consumer_group)?;
        inner.life.stamp_start();
        if inner.config.message_model == MessageModel::Clustering {
            inner
                .base
                .subscribe(&inner.base.retry_topic(), &MessageSelector::by_tag("*"));
        } else {
            inner.base.load_offsets()?;
        }
        let weak: Weak<PushInner> = Arc::downgrade(inner);
        lifecycle::register(&inner.base, weak).await;
        let service = push_service::start(inner).await;
        self.service.set(service);
        Ok(())
    }

    /// Stops pulling, waits for listener calls in flight (at most `await_termination`),
    /// commits offsets and unregisters from the brokers.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.life.cancel.cancel();
        self.service.join().await;
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
        lifecycle::close(&inner.base).await;
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
