//! Sends to one chosen queue: ordered sends through a selector, Java's `send(msg, mq)`, and
//! oneway sends (no retries for any of them).

use std::time::Instant;

use super::{timeout_error, DefaultMqProducer, Prepared};
use crate::client::publish::TopicPublishInfo;
use crate::client::{ClientError, SendResult};
use crate::protocol::body::MessageQueue;
use crate::protocol::message::Message;

impl DefaultMqProducer {
    /// Sends to the queue `select` picks among the topic's writable queues (ordered
    /// messages), without retries: the order of a key must not move to another queue.
    /// `select` sees the queues without the namespace; see [`select_by_hash_key`](super::select_by_hash_key).
    pub async fn send_with_selector<F>(
        &self,
        msg: &Message,
        select: F,
    ) -> Result<SendResult, ClientError>
    where
        F: FnOnce(&[MessageQueue]) -> usize,
    {
        let started = Instant::now();
        let p = self.prepare(msg)?;
        let info = self.publish_info(&p.topic, started).await?;
        let i = select(&info.user_queues) % info.queues.len();
        self.send_once(&p, &info, &info.queues[i], started).await
    }

    /// Sends to one queue of the message's topic (Java's `send(msg, mq)`), without retries.
    pub async fn send_to_queue(
        &self,
        msg: &Message,
        mq: &MessageQueue,
    ) -> Result<SendResult, ClientError> {
        let started = Instant::now();
        let p = self.prepare(msg)?;
        if self.wire_topic(&mq.topic) != p.topic {
            return Err(ClientError::InvalidMessage(format!(
                "message topic {} differs from the queue's topic {}",
                msg.topic, mq.topic
            )));
        }
        let info = self.publish_info(&p.topic, started).await?;
        let wire_mq = MessageQueue::new(p.topic.clone(), mq.broker_name.clone(), mq.queue_id);
        self.send_once(&p, &info, &wire_mq, started).await
    }

    async fn send_once(
        &self,
        p: &Prepared,
        info: &TopicPublishInfo,
        mq: &MessageQueue,
        started: Instant,
    ) -> Result<SendResult, ClientError> {
        let timeout = self.inner.config.send_msg_timeout;
        let remaining = timeout.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            return Err(timeout_error(&p.topic, timeout));
        }
        let begin = Instant::now();
        let r = self.send_kernel(p, mq, info, remaining).await;
        let isolation = matches!(
            r,
            Err(ClientError::Remoting(_) | ClientError::Broker { .. })
        );
        self.inner
            .fault
            .update(&mq.broker_name, begin.elapsed(), isolation);
        if r.is_err() {
            self.inner.publish.invalidate(&p.topic);
        }
        r
    }

    /// Sends without waiting for the broker: done once the request is queued on the
    /// connection. No retries (as Java); a broker that cannot be reached is an error and is
    /// put aside by the fault tolerance.
    pub async fn send_oneway(&self, msg: &Message) -> Result<(), ClientError> {
        self.send_oneway_inner(msg, None::<fn(&[MessageQueue]) -> usize>)
            .await
    }

    /// One-way send to the queue `select` picks (Java's `sendOneway(msg, selector, arg)`).
    pub async fn send_oneway_with_selector<F>(
        &self,
        msg: &Message,
        select: F,
    ) -> Result<(), ClientError>
    where
        F: FnOnce(&[MessageQueue]) -> usize,
    {
        self.send_oneway_inner(msg, Some(select)).await
    }

    async fn send_oneway_inner<F>(
        &self,
        msg: &Message,
        select: Option<F>,
    ) -> Result<(), ClientError>
    where
        F: FnOnce(&[MessageQueue]) -> usize,
    {
        let started = Instant::now();
        let p = self.prepare(msg)?;
        let info = self.publish_info(&p.topic, started).await?;
        let fault = &self.inner.fault;
        let index = match select {
            Some(select) => select(&info.user_queues) % info.queues.len(),
            None => fault.select(&info.queues, &info.counter, None),
        };
        let mq = &info.queues[index];
        let addr = info.master_of(&p.topic, mq)?;
        let req = self.wire_request(&p, mq);
        let begin = Instant::now();
        let r = self
            .inner
            .instance
            .remoting()
            .invoke_oneway(addr, req)
            .await;
        fault.update(&mq.broker_name, begin.elapsed(), r.is_err());
        if r.is_err() {
            self.inner.publish.invalidate(&p.topic);
        }
        Ok(r?)
    }
}
