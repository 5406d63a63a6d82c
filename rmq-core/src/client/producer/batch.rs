//! Batch sends: SEND_BATCH_MESSAGE requests split at `max_message_size`.

use std::time::Instant;

use bytes::Bytes;

use super::{message_properties, DefaultMqProducer, Prepared};
use crate::client::publish::TopicPublishInfo;
use crate::client::{ClientError, SendResult};
use crate::protocol::message::{
    batch_entry_size, encode_batch_entry, keys, new_uniq_id, push_property, Message,
};

impl DefaultMqProducer {
    /// Sends messages of one topic as batches (SEND_BATCH_MESSAGE), split so that each
    /// request stays under `max_message_size`; each request is retried like [`send`](Self::send).
    /// Returns one result per request; its `msg_id` joins the messages' ids with `,`.
    pub async fn send_batch(&self, msgs: &[Message]) -> Result<Vec<SendResult>, ClientError> {
        let started = Instant::now();
        let Some(first) = msgs.first() else {
            return Err(ClientError::InvalidMessage("the batch is empty".into()));
        };
        let topic = self.wire_topic(&first.topic);
        for m in msgs {
            self.validate(m, &topic)?;
            if m.topic != first.topic {
                return Err(ClientError::InvalidMessage(format!(
                    "a batch holds one topic; got {} and {}",
                    first.topic, m.topic
                )));
            }
            if m.delay_time_level().is_some_and(|l| l > 0) {
                return Err(ClientError::InvalidMessage(
                    "batch messages do not support delay levels".into(),
                ));
            }
        }
        let max = self.inner.config.max_message_size;
        let info = self.publish_info(&topic, started).await?;
        let mut results = Vec::new();
        let mut body = bytes::BytesMut::new();
        let mut ids = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            let uniq = m
                .properties
                .get(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
                .cloned()
                .unwrap_or_else(new_uniq_id);
            let props = message_properties(m, &uniq);
            let size = batch_entry_size(m.body.len(), props.len());
            if size > max {
                return Err(ClientError::InvalidMessage(format!(
                    "a batch entry of {size} bytes is over the limit maxMessageSize {max}"
                )));
            }
            if !body.is_empty() && body.len() + size > max {
                let p = batch_request(&topic, body.split().freeze(), &ids);
                results.push(self.send_batch_part(&p, &info).await?);
                ids.clear();
            }
            encode_batch_entry(m.flag, &m.body, &props, &mut body);
            ids.push(uniq);
            if i + 1 == msgs.len() {
                let p = batch_request(&topic, body.split().freeze(), &ids);
                results.push(self.send_batch_part(&p, &info).await?);
            }
        }
        Ok(results)
    }

    async fn send_batch_part(
        &self,
        p: &Prepared,
        info: &TopicPublishInfo,
    ) -> Result<SendResult, ClientError> {
        let retries = self.inner.config.retry_times_when_send_failed;
        self.send_default(p, info, retries, Instant::now()).await
    }
}

/// A batch request: the entries in `body`, a wrapper UNIQ_KEY and WAIT as properties.
fn batch_request(topic: &str, body: Bytes, ids: &[String]) -> Prepared {
    let mut properties = String::new();
    push_property(
        &mut properties,
        keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        &new_uniq_id(),
    );
    push_property(&mut properties, keys::WAIT_STORE_MSG_OK, "true");
    Prepared {
        topic: topic.to_owned(),
        body,
        sys_flag: 0,
        flag: 0,
        properties,
        batch: true,
        reply: false,
        msg_id: ids.join(","),
    }
}
