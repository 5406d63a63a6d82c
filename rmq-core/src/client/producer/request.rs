//! Request-reply (Java's `DefaultMQProducer.request`): a request message carries a
//! `CORRELATION_ID`, the requester's client id (`REPLY_TO_CLIENT`) and its timeout (`TTL`);
//! a replier answers with [`DefaultMqProducer::reply`] to the cluster's reply topic and the
//! broker pushes the reply back on the requester's connection.
//!
//! The broker finds that connection by client id among its producer connections, so before
//! a request the producer sends a HEART_BEAT naming its group to every broker it knows
//! (see [`super::heartbeat`]).

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::DefaultMqProducer;
use crate::client::{ClientError, SendResult};
use crate::protocol::message::{
    create_reply_message, new_uniq_id, reply_keys, Message, MessageExt,
};

/// Forgets a pending request when the request ends, however it ends.
struct Pending<'a> {
    producer: &'a DefaultMqProducer,
    correlation_id: String,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.producer
            .inner
            .instance
            .replies()
            .remove(&self.correlation_id);
    }
}

impl DefaultMqProducer {
    /// Sends `msg` as a request and waits up to `timeout` (send included) for its reply.
    /// A reply that does not come in time is [`ClientError::RequestTimeout`], naming the
    /// topic and the timeout.
    pub async fn request(
        &self,
        msg: Message,
        timeout: Duration,
    ) -> Result<MessageExt, ClientError> {
        let started = Instant::now();
        let mut msg = msg;
        let correlation_id = new_uniq_id();
        let instance = &self.inner.instance;
        msg.properties.insert(
            reply_keys::CORRELATION_ID.to_owned(),
            correlation_id.clone(),
        );
        msg.properties.insert(
            reply_keys::REPLY_TO_CLIENT.to_owned(),
            instance.client_id().to_owned(),
        );
        msg.properties
            .insert(reply_keys::TTL.to_owned(), timeout.as_millis().to_string());
        let topic = msg.topic.clone();
        let send_failed = |e: ClientError| ClientError::RequestSend {
            topic: topic.clone(),
            source: Box::new(e),
        };
        self.publish_info(&self.wire_topic(&topic), started)
            .await
            .map_err(send_failed)?;
        self.announce().await;
        let rx = instance.replies().register(&correlation_id);
        let _pending = Pending {
            producer: self,
            correlation_id,
        };
        let timed_out = || ClientError::RequestTimeout {
            topic: topic.clone(),
            timeout_ms: timeout.as_millis() as u64,
        };
        let remaining = timeout.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            return Err(timed_out());
        }
        self.send_with_timeout(&msg, remaining)
            .await
            .map_err(send_failed)?;
        let remaining = timeout.saturating_sub(started.elapsed());
        match tokio::time::timeout(remaining, rx).await {
            Ok(Ok(reply)) => Ok(reply),
            _ => Err(timed_out()),
        }
    }

    /// [`request`](Self::request) on a task: `callback` gets the reply or the error.
    pub fn request_with_callback<F>(&self, msg: Message, timeout: Duration, callback: F)
    where
        F: FnOnce(Result<MessageExt, ClientError>) + Send + 'static,
    {
        let producer = self.clone();
        tokio::spawn(async move { callback(producer.request(msg, timeout).await) });
    }

    /// Answers a request received by a consumer: sends `body` to the request's cluster reply
    /// topic with its `CORRELATION_ID` and `REPLY_TO_CLIENT` (SEND_REPLY_MESSAGE_V2). The
    /// broker refuses it (SYSTEM_ERROR) when the requester is gone.
    pub async fn reply(
        &self,
        request: &MessageExt,
        body: impl Into<Bytes>,
    ) -> Result<SendResult, ClientError> {
        let reply = create_reply_message(request, body)?;
        self.send(&reply).await
    }
}
