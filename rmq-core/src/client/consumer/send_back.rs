//! Sending a failed message back for redelivery: CONSUMER_SEND_MSG_BACK, and when the broker
//! refuses it or does not answer, a plain send to `%RETRY%<group>` (Java's
//! `DefaultMQPushConsumerImpl.sendMessageBack` / `sendMessageBackAsNormalMessage`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;

use super::offset_store::broker_of;
use super::push_inner::PushInner;
use crate::client::ClientError;
use crate::clock::now_ms;
use crate::protocol::body::{MessageQueue, PERM_WRITE};
use crate::protocol::header::{
    ConsumerSendMsgBackRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
};
use crate::protocol::message::{
    compress, encode_properties, keys, new_uniq_id, MessageExt, COMPRESSED_FLAG,
};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Timeout of CONSUMER_SEND_MSG_BACK (Java: 5000 ms).
const SEND_BACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Timeout of the fallback send (the producer's default).
const SEND_TIMEOUT: Duration = Duration::from_secs(3);
/// The group Java's client instance sends internal messages with.
const CLIENT_INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";
/// Bodies at least this long are compressed (the producer's default).
const COMPRESS_OVER: usize = 4096;

/// The original (wire) topic of a pulled message: a retry message's `RETRY_TOPIC`.
pub(super) fn origin_topic(m: &MessageExt) -> String {
    if m.topic.starts_with("%RETRY%") {
        if let Some(t) = m.property(keys::RETRY_TOPIC) {
            return t.to_owned();
        }
    }
    m.topic.clone()
}

/// The SEND_MESSAGE_V2 request that resends a failed message to `retry_topic`, built as the
/// Java client does: every property kept (UNIQ_KEY, keys, tags, user properties),
/// `ORIGIN_MESSAGE_ID` (kept, else the message id), `RETRY_TOPIC` = the original topic,
/// `DELAY` = 3 + reconsume times, no `TRAN_MSG`; reconsume times + 1 and the maximum travel in
/// the header (`reconsumeTimes`, `maxReconsumeTimes`), where the Java producer moves Java's
/// `RECONSUME_TIME` / `MAX_RECONSUME_TIMES` properties.
pub(crate) fn retry_message_request(
    retry_topic: &str,
    msg: &MessageExt,
    max_reconsume_times: i32,
    queue_id: i32,
) -> RemotingCommand {
    let mut props: BTreeMap<String, String> = msg
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let origin_id = props
        .get(keys::ORIGIN_MESSAGE_ID)
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| msg.msg_id());
    props.insert(keys::ORIGIN_MESSAGE_ID.into(), origin_id);
    props.insert(keys::RETRY_TOPIC.into(), origin_topic(msg));
    props.remove(keys::TRANSACTION_PREPARED);
    props.remove(keys::RECONSUME_TIME);
    props.remove(keys::MAX_RECONSUME_TIMES);
    props.insert(
        keys::DELAY_TIME_LEVEL.into(),
        (3 + msg.reconsume_times).to_string(),
    );
    props
        .entry(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX.into())
        .or_insert_with(new_uniq_id);
    let properties = encode_properties(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (body, sys_flag) = if msg.body.len() >= COMPRESS_OVER {
        (Bytes::from(compress(&msg.body, 5)), COMPRESSED_FLAG)
    } else {
        (msg.body.clone(), 0)
    };
    let h = SendMessageRequestHeaderV2::from(SendMessageRequestHeader {
        producer_group: CLIENT_INNER_PRODUCER_GROUP.into(),
        topic: retry_topic.to_owned(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag,
        born_timestamp: now_ms(),
        flag: msg.flag,
        properties: Some(properties),
        reconsume_times: Some(msg.reconsume_times + 1),
        unit_mode: Some(false),
        max_reconsume_times: Some(max_reconsume_times),
        batch: Some(false),
        broker_name: None,
    });
    RemotingCommand::request_with_header(RequestCode::SendMessageV2, &h).with_body(body)
}

impl PushInner {
    /// Sends a failed message back with `delay_level` (0: the broker decides, −1: DLQ),
    /// falling back to a plain send to the retry topic.
    pub(super) async fn send_message_back(
        &self,
        msg: &MessageExt,
        mq: &MessageQueue,
        delay_level: i32,
    ) -> Result<(), ClientError> {
        let Err(e) = self.consumer_send_msg_back(msg, mq, delay_level).await else {
            return Ok(());
        };
        tracing::warn!(
            group = %self.config.consumer_group, msg_id = %msg.msg_id(), error = %e,
            "CONSUMER_SEND_MSG_BACK failed; resending the message to the retry topic"
        );
        self.send_to_retry_topic(msg, mq, self.max_reconsume_times())
            .await
    }

    async fn consumer_send_msg_back(
        &self,
        msg: &MessageExt,
        mq: &MessageQueue,
        delay_level: i32,
    ) -> Result<(), ClientError> {
        let addr = broker_of(&self.base.instance, mq).await?;
        let h = ConsumerSendMsgBackRequestHeader {
            offset: msg.commit_log_offset,
            group: self.base.wire_group.clone(),
            delay_level,
            origin_msg_id: Some(msg.msg_id()),
            origin_topic: Some(origin_topic(msg)),
            unit_mode: Some(false),
            max_reconsume_times: Some(self.max_reconsume_times()),
        };
        let req = RemotingCommand::request_with_header(RequestCode::ConsumerSendMsgBack, &h);
        let resp = self
            .base
            .instance
            .remoting()
            .invoke(&addr, req, SEND_BACK_TIMEOUT)
            .await?;
        if resp.code == ResponseCode::Success.code() {
            return Ok(());
        }
        Err(ClientError::Broker {
            addr,
            code: resp.code,
            remark: resp.remark_str().to_owned(),
        })
    }

    /// A plain send of `msg` to `%RETRY%<group>` (reconsume times + 1 and
    /// `max_reconsume_times` in the header: the broker moves it to the DLQ past the maximum).
    pub(super) async fn send_to_retry_topic(
        &self,
        msg: &MessageExt,
        mq: &MessageQueue,
        max_reconsume_times: i32,
    ) -> Result<(), ClientError> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let topic = self.base.retry_topic();
        let instance = &self.base.instance;
        let mut target = None;
        if let Ok(route) = instance.route(&topic).await {
            let queues: Vec<(String, i32)> = route
                .queue_datas
                .iter()
                .filter(|q| q.perm & PERM_WRITE != 0)
                .flat_map(|q| (0..q.write_queue_nums).map(move |i| (q.broker_name.clone(), i)))
                .collect();
            if !queues.is_empty() {
                let (broker, qid) = &queues[NEXT.fetch_add(1, Ordering::Relaxed) % queues.len()];
                target = instance.master_addr(broker).map(|a| (a, *qid));
            }
        }
        let (addr, queue_id) = match target {
            Some(t) => t,
            None => (broker_of(instance, mq).await?, 0),
        };
        let req = retry_message_request(&topic, msg, max_reconsume_times, queue_id);
        let resp = instance.remoting().invoke(&addr, req, SEND_TIMEOUT).await?;
        match ResponseCode::from_code(resp.code) {
            Some(
                ResponseCode::Success
                | ResponseCode::FlushDiskTimeout
                | ResponseCode::FlushSlaveTimeout
                | ResponseCode::SlaveNotAvailable,
            ) => {
                tracing::info!(msg_id = %msg.msg_id(), %topic, "message resent to the retry topic");
                Ok(())
            }
            _ => Err(ClientError::Broker {
                addr,
                code: resp.code,
                remark: resp.remark_str().to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::CommandHeader;
    use crate::protocol::message::decode_properties;

    #[test]
    fn retry_message_matches_java_send_message_back_as_normal_message() {
        let mut m = super::super::sample_message("%RETRY%g", "payload");
        m.reconsume_times = 2;
        m.flag = 7;
        for (k, v) in [
            (keys::RETRY_TOPIC, "orders"),
            (keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, "UNIQ1"),
            (keys::TAGS, "TagA"),
            (keys::KEYS, "k1 k2"),
            (keys::TRANSACTION_PREPARED, "true"),
            (keys::RECONSUME_TIME, "2"),
            ("user", "v"),
        ] {
            m.properties.insert(k.into(), v.into());
        }
        let req = retry_message_request("%RETRY%g", &m, 16, 1);
        assert_eq!(req.code, RequestCode::SendMessageV2.code());
        let h: SendMessageRequestHeader = SendMessageRequestHeaderV2::read_from(&req.ext_fields)
            .unwrap()
            .into();
        assert_eq!(h.topic, "%RETRY%g");
        assert_eq!(h.queue_id, 1);
        assert_eq!(h.flag, 7);
        assert_eq!(h.reconsume_times, Some(3));
        assert_eq!(h.max_reconsume_times, Some(16));
        assert_eq!(h.producer_group, "CLIENT_INNER_PRODUCER");
        let p = decode_properties(h.properties.as_deref().unwrap());
        assert_eq!(p[keys::RETRY_TOPIC], "orders");
        assert_eq!(p[keys::ORIGIN_MESSAGE_ID], "UNIQ1", "the message id");
        assert_eq!(p[keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX], "UNIQ1", "kept");
        assert_eq!(p[keys::DELAY_TIME_LEVEL], "5", "3 + reconsume times");
        assert_eq!(p[keys::TAGS], "TagA");
        assert_eq!(p[keys::KEYS], "k1 k2");
        assert_eq!(p["user"], "v");
        assert!(!p.contains_key(keys::TRANSACTION_PREPARED));
        assert!(!p.contains_key(keys::RECONSUME_TIME), "moved to the header");
        assert_eq!(&req.body[..], b"payload");

        // A first failure of a plain message: origin id from the offset id, topic as is.
        let mut plain = super::super::sample_message("orders", &"x".repeat(5000));
        plain
            .properties
            .insert(keys::ORIGIN_MESSAGE_ID.into(), "ORIG".into());
        let req = retry_message_request("%RETRY%g", &plain, 3, 0);
        let h: SendMessageRequestHeader = SendMessageRequestHeaderV2::read_from(&req.ext_fields)
            .unwrap()
            .into();
        let p = decode_properties(h.properties.as_deref().unwrap());
        assert_eq!(p[keys::RETRY_TOPIC], "orders");
        assert_eq!(
            p[keys::ORIGIN_MESSAGE_ID],
            "ORIG",
            "an existing origin id stays"
        );
        assert_eq!(p[keys::DELAY_TIME_LEVEL], "3");
        assert!(p.contains_key(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX));
        assert_eq!(h.reconsume_times, Some(1));
        assert_eq!(h.sys_flag & COMPRESSED_FLAG, COMPRESSED_FLAG);
        assert!(req.body.len() < 5000);
    }
}
