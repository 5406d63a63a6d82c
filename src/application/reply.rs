//! Replies of listeners whose handler returns a value (rocketmq-spring's
//! `RocketMQReplyListener`): the value goes back to the requester through a producer of the
//! listener's client settings, within the listener's `reply_timeout`. A failed reply is
//! logged; the request is acknowledged either way, as rocketmq-spring does.

use std::sync::OnceLock;
use std::time::Duration;

use rmq_core::client::{ClientConfig, DefaultMqProducer, ProducerConfig};
use rmq_core::listener::ReplyBody;
use rmq_core::protocol::message::{reply_keys, MessageExt};

/// The producer group replies are sent with (Java's `CLIENT_INNER_PRODUCER`).
const REPLY_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";

/// Sends the replies of one listener; its producer is created on the first reply.
pub(crate) struct Replier {
    listener: String,
    client: ClientConfig,
    timeout: Duration,
    producer: OnceLock<Option<DefaultMqProducer>>,
}

impl Replier {
    /// A replier with the listener's client settings and `reply_timeout` (ms).
    pub(crate) fn new(listener: &str, client: ClientConfig, reply_timeout_ms: i32) -> Self {
        Replier {
            listener: listener.to_owned(),
            client,
            timeout: Duration::from_millis(u64::try_from(reply_timeout_ms).unwrap_or(3000).max(1)),
            producer: OnceLock::new(),
        }
    }

    /// The request a handler's value will answer: a copy of the message when it is a request
    /// (it has a `CORRELATION_ID`), taken before the handler consumes the message.
    pub(crate) fn request_of(msg: &MessageExt) -> Option<MessageExt> {
        msg.property(reply_keys::CORRELATION_ID)
            .is_some()
            .then(|| msg.clone())
    }

    fn producer(&self) -> Option<&DefaultMqProducer> {
        self.producer
            .get_or_init(|| {
                let config = ProducerConfig {
                    producer_group: REPLY_PRODUCER_GROUP.into(),
                    send_msg_timeout: self.timeout,
                    ..ProducerConfig::default()
                };
                match DefaultMqProducer::new(self.client.clone(), config) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        tracing::error!(listener = %self.listener, error = %e, "cannot create the reply producer: replies are dropped");
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Sends `body` as the reply to `request`; failures are logged.
    pub(crate) async fn reply(&self, request: Option<MessageExt>, body: ReplyBody) {
        let Some(request) = request else {
            tracing::warn!(listener = %self.listener, "the handler returned a reply but the message is not a request (no CORRELATION_ID): reply dropped");
            return;
        };
        let Some(producer) = self.producer() else {
            return;
        };
        match producer.reply(&request, body).await {
            Ok(r) => {
                tracing::debug!(listener = %self.listener, status = ?r.send_status, "reply sent")
            }
            Err(e) => {
                tracing::error!(listener = %self.listener, request = %request.msg_id(), error = %e, "consumer replies message failed")
            }
        }
    }
}

impl Drop for Replier {
    /// Closes the reply producer's connections with the listener's consumer (dropped when the
    /// application is).
    fn drop(&mut self) {
        if let (Some(Some(producer)), Ok(rt)) =
            (self.producer.take(), tokio::runtime::Handle::try_current())
        {
            rt.spawn(async move { producer.shutdown().await });
        }
    }
}
