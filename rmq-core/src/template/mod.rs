//! `RocketMqTemplate`: rocketmq-spring's `RocketMQTemplate` over the native producer.
//!
//! Destinations are `topic` or `topic:tag`; payloads are text, bytes, [`Json`] or a whole
//! [`Message`](crate::protocol::message::Message). The template is cheap to clone: clones
//! share one producer (and one pull consumer for [`RocketMqTemplate::receive`]).
//!
//! ```no_run
//! # async fn demo(template: rmq_core::template::RocketMqTemplate) -> Result<(), rmq_core::template::TemplateError> {
//! use rmq_core::template::Json;
//! let result = template.sync_send("boot-test", "Hello, World!").await?;
//! println!("{:?} {}", result.send_status, result.msg_id);
//! template.sync_send("orders:created", Json(serde_json::json!({"id": 1}))).await?;
//! # Ok(()) }
//! ```

mod destination;
mod payload;
mod request_reply;
mod transaction;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use destination::Destination;
pub use payload::{FromMessage, IntoPayload, Json};

use crate::client::{
    select_by_hash_key, ClientError, DefaultLitePullConsumer, DefaultMqProducer, SendResult,
};
use crate::listener::ListenerError;
use crate::protocol::message::{keys, Message};

/// Why a template call failed.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The client or the broker refused or failed the call.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The destination is not `topic` or `topic:tag`.
    #[error("invalid destination: {0}")]
    Destination(String),
    /// The payload could not be serialized.
    #[error("cannot serialize the payload: {0}")]
    Payload(String),
    /// A received message did not decode as the asked type.
    #[error(transparent)]
    Decode(ListenerError),
    /// `receive` without a pull consumer configured.
    #[error("receive needs a pull consumer: set rocketmq.pull-consumer.group and rocketmq.pull-consumer.topic (or rocketmq.consumer.group/topic)")]
    NoPullConsumer,
    /// A background send task ended without an answer.
    #[error("the send task was cancelled")]
    Cancelled,
    /// A transactional send without a matching transaction listener.
    #[error("transaction: {0}")]
    Transaction(String),
}

struct Inner {
    producer: DefaultMqProducer,
    pull: Option<(Arc<DefaultLitePullConsumer>, Duration)>,
    transactions: transaction::TransactionProducers,
}

/// Sends (and receives) messages the rocketmq-spring way. Cheap to clone.
#[derive(Clone)]
pub struct RocketMqTemplate {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RocketMqTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocketMqTemplate")
            .field("receive", &self.inner.pull.is_some())
            .finish_non_exhaustive()
    }
}

fn build(destination: &str, payload: impl IntoPayload) -> Result<Message, TemplateError> {
    payload.into_message(&Destination::parse(destination)?)
}

impl RocketMqTemplate {
    /// A template over `producer` (already usable: the native producer needs no start).
    pub fn new(producer: DefaultMqProducer) -> Self {
        RocketMqTemplate {
            inner: Arc::new(Inner {
                producer,
                pull: None,
                transactions: Default::default(),
            }),
        }
    }

    /// A template whose `receive` polls `consumer` for up to `poll_timeout`.
    pub fn with_pull_consumer(
        producer: DefaultMqProducer,
        consumer: Arc<DefaultLitePullConsumer>,
        poll_timeout: Duration,
    ) -> Self {
        RocketMqTemplate {
            inner: Arc::new(Inner {
                producer,
                pull: Some((consumer, poll_timeout)),
                transactions: Default::default(),
            }),
        }
    }

    /// The producer underneath.
    pub fn producer(&self) -> &DefaultMqProducer {
        &self.inner.producer
    }

    /// The pull consumer behind `receive`, if configured.
    pub fn pull_consumer(&self) -> Option<&Arc<DefaultLitePullConsumer>> {
        self.inner.pull.as_ref().map(|(c, _)| c)
    }

    /// Sends and waits for the broker (`syncSend`).
    pub async fn sync_send(
        &self,
        destination: &str,
        payload: impl IntoPayload,
    ) -> Result<SendResult, TemplateError> {
        let msg = build(destination, payload)?;
        Ok(self.inner.producer.send(&msg).await?)
    }

    /// `sync_send` bounded by `timeout` (`syncSend(destination, message, timeout)`).
    pub async fn sync_send_with_timeout(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        timeout: Duration,
    ) -> Result<SendResult, TemplateError> {
        let msg = build(destination, payload)?;
        Ok(self.inner.producer.send_with_timeout(&msg, timeout).await?)
    }

    /// A delayed message at `delay_level` (1 = 1s, 2 = 5s, 3 = 10s, … 18 = 2h), bounded by
    /// `timeout` (`syncSend(destination, message, timeout, delayLevel)`).
    pub async fn sync_send_with_delay_level(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        timeout: Duration,
        delay_level: i32,
    ) -> Result<SendResult, TemplateError> {
        let msg = build(destination, payload)?.with_delay_time_level(delay_level);
        Ok(self.inner.producer.send_with_timeout(&msg, timeout).await?)
    }

    /// RocketMQ 5.x timer message delivered `seconds` from now (`TIMER_DELAY_SEC`).
    pub async fn sync_send_delay_time_seconds(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        seconds: i64,
    ) -> Result<SendResult, TemplateError> {
        let msg =
            build(destination, payload)?.with_property(keys::TIMER_DELAY_SEC, seconds.to_string());
        Ok(self.inner.producer.send(&msg).await?)
    }

    /// RocketMQ 5.x timer message delivered `millis` from now (`TIMER_DELAY_MS`).
    pub async fn sync_send_delay_time_mills(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        millis: i64,
    ) -> Result<SendResult, TemplateError> {
        let msg =
            build(destination, payload)?.with_property(keys::TIMER_DELAY_MS, millis.to_string());
        Ok(self.inner.producer.send(&msg).await?)
    }

    /// RocketMQ 5.x timer message delivered at `deliver_time_millis` since the epoch
    /// (`TIMER_DELIVER_MS`).
    pub async fn sync_send_deliver_time_mills(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        deliver_time_millis: i64,
    ) -> Result<SendResult, TemplateError> {
        let msg = build(destination, payload)?
            .with_property(keys::TIMER_DELIVER_MS, deliver_time_millis.to_string());
        Ok(self.inner.producer.send(&msg).await?)
    }

    /// Sends one batch (one topic; split at the size limit): one result per request.
    pub async fn sync_send_batch<P: IntoPayload>(
        &self,
        destination: &str,
        payloads: impl IntoIterator<Item = P>,
    ) -> Result<Vec<SendResult>, TemplateError> {
        let dest = Destination::parse(destination)?;
        let msgs = payloads
            .into_iter()
            .map(|p| p.into_message(&dest))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.inner.producer.send_batch(&msgs).await?)
    }

    /// Sends in the background (`asyncSend`): the send starts now; await the returned future
    /// for its result (dropping it does not cancel the send).
    pub fn async_send(
        &self,
        destination: &str,
        payload: impl IntoPayload,
    ) -> impl Future<Output = Result<SendResult, TemplateError>> + Send + 'static {
        let started = build(destination, payload).map(|msg| self.inner.producer.send_async(msg));
        async move { Ok(started?.await?) }
    }

    /// Sends in the background and calls `callback` with the outcome (`asyncSend` with a
    /// `SendCallback`).
    pub fn async_send_with_callback<F>(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        callback: F,
    ) where
        F: FnOnce(Result<SendResult, TemplateError>) + Send + 'static,
    {
        match build(destination, payload) {
            Ok(msg) => self
                .inner
                .producer
                .send_async_with_callback(msg, |r| callback(r.map_err(Into::into))),
            Err(e) => callback(Err(e)),
        }
    }

    /// Sends without waiting for the broker (`sendOneWay`).
    pub async fn send_one_way(
        &self,
        destination: &str,
        payload: impl IntoPayload,
    ) -> Result<(), TemplateError> {
        let msg = build(destination, payload)?;
        Ok(self.inner.producer.send_oneway(&msg).await?)
    }

    /// Sends to the queue `hash_key` selects (`syncSendOrderly`): messages with one key keep
    /// their order.
    pub async fn sync_send_orderly(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        hash_key: &str,
    ) -> Result<SendResult, TemplateError> {
        let msg = build(destination, payload)?;
        Ok(self
            .inner
            .producer
            .send_with_selector(&msg, select_by_hash_key(hash_key))
            .await?)
    }

    /// `sync_send_orderly` in the background (`asyncSendOrderly`).
    pub fn async_send_orderly(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        hash_key: &str,
    ) -> impl Future<Output = Result<SendResult, TemplateError>> + Send + 'static {
        let template = self.clone();
        let hash_key = hash_key.to_owned();
        let started = build(destination, payload).map(|msg| {
            tokio::spawn(async move {
                template
                    .inner
                    .producer
                    .send_with_selector(&msg, select_by_hash_key(&hash_key))
                    .await
            })
        });
        async move {
            match started?.await {
                Ok(result) => Ok(result?),
                Err(_) => Err(TemplateError::Cancelled),
            }
        }
    }

    /// One-way send to the queue `hash_key` selects (`sendOneWayOrderly`).
    pub async fn send_one_way_orderly(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        hash_key: &str,
    ) -> Result<(), TemplateError> {
        let msg = build(destination, payload)?;
        Ok(self
            .inner
            .producer
            .send_oneway_with_selector(&msg, select_by_hash_key(hash_key))
            .await?)
    }

    /// Pulls the next messages of the configured pull consumer (`receive`), waiting up to the
    /// configured poll timeout (5 s); empty when none arrived.
    pub async fn receive<T: FromMessage>(&self) -> Result<Vec<T>, TemplateError> {
        let timeout = match &self.inner.pull {
            Some((_, t)) => *t,
            None => return Err(TemplateError::NoPullConsumer),
        };
        self.receive_with_timeout(timeout).await
    }

    /// `receive` with its own poll timeout.
    pub async fn receive_with_timeout<T: FromMessage>(
        &self,
        timeout: Duration,
    ) -> Result<Vec<T>, TemplateError> {
        let Some((consumer, _)) = &self.inner.pull else {
            return Err(TemplateError::NoPullConsumer);
        };
        consumer
            .poll(timeout)
            .await?
            .into_iter()
            .map(T::from_message)
            .collect()
    }
}
