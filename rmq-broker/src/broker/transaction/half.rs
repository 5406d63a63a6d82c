//! Rewriting messages between their real topic, the half topic and the op topic.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use rmq_core::protocol::message::{
    encode_record, find_property, keys, new_uniq_id, push_property, remove_property, set_property,
    RecordFields, RecordView, TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE,
    TRANSACTION_ROLLBACK_TYPE,
};

use super::REMOVE_TAG;
use crate::broker::{TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC};
use crate::store::real_topic::{park_in, real_destination, without_real};
use crate::store::{AppendedMessage, MessageInner};

/// Sets the transaction bits of a sysFlag.
fn with_transaction_type(sys_flag: i32, t: i32) -> i32 {
    (sys_flag & !TRANSACTION_ROLLBACK_TYPE) | t
}

/// Parks a prepared message in the half topic (Java's `parseHalfMessageInner`): the real
/// topic and queue go into `REAL_TOPIC`/`REAL_QID`, the `UNIQ_KEY` into `__transactionId__`,
/// and the sysFlag loses its transaction type so the half queue indexes the record.
pub fn to_half(msg: &mut MessageInner) {
    let mut props = std::mem::take(&mut msg.properties);
    if let Some(uniq) =
        find_property(&props, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).filter(|u| !u.is_empty())
    {
        let uniq = uniq.to_owned();
        props = set_property(&props, keys::TRANSACTION_ID, &uniq);
    }
    msg.properties = props;
    msg.sys_flag = with_transaction_type(msg.sys_flag, TRANSACTION_NOT_TYPE);
    park_in(msg, TRANS_HALF_TOPIC, 0);
}

/// The real message of a committed half record (Java's `endMessageTransaction`): back to its
/// topic and queue, sysFlag COMMIT, `preparedTransactionOffset` = the half record's offset.
pub fn from_half(view: &RecordView<'_>) -> Result<MessageInner, String> {
    let (topic, queue_id) = real_destination(view.properties);
    let topic = topic
        .filter(|t| !t.is_empty())
        .ok_or("the half message has no REAL_TOPIC")?;
    let queue_id = queue_id.ok_or("the half message has no valid REAL_QID")?;
    let mut props = remove_property(&without_real(view.properties), keys::TRANSACTION_PREPARED);
    props = set_property(&props, keys::WAIT_STORE_MSG_OK, "false");
    Ok(MessageInner {
        topic: topic.to_owned(),
        queue_id,
        flag: view.flag,
        body: Bytes::copy_from_slice(view.body),
        properties: props,
        sys_flag: with_transaction_type(view.sys_flag, TRANSACTION_COMMIT_TYPE),
        born_timestamp: view.born_timestamp,
        born_host: view.born_host,
        reconsume_times: view.reconsume_times,
        prepared_transaction_offset: view.physical_offset,
    })
}

/// A half record written again for a check (Java's `renewHalfMessageInner`), with
/// `TRANSACTION_CHECK_TIMES` = `check_times` and `TRAN_PREPARED_QUEUE_OFFSET` = the queue
/// offset the transaction was first stored at.
pub fn renew(view: &RecordView<'_>, check_times: i32, origin_offset: i64) -> MessageInner {
    let mut props = set_property(
        view.properties,
        keys::TRANSACTION_CHECK_TIMES,
        &check_times.to_string(),
    );
    props = set_property(
        &props,
        keys::TRANSACTION_PREPARED_QUEUE_OFFSET,
        &origin_offset.to_string(),
    );
    props = set_property(&props, keys::WAIT_STORE_MSG_OK, "false");
    MessageInner {
        topic: view.topic.to_owned(),
        queue_id: view.queue_id,
        flag: view.flag,
        body: Bytes::copy_from_slice(view.body),
        properties: props,
        sys_flag: view.sys_flag,
        born_timestamp: view.born_timestamp,
        born_host: view.born_host,
        reconsume_times: view.reconsume_times,
        prepared_transaction_offset: view.prepared_transaction_offset,
    }
}

/// The op record marking the half record at `half_offset` done: tag `d`, body the offset.
pub fn op_message(half_offset: i64, store_host: SocketAddr) -> MessageInner {
    let mut props = String::with_capacity(64);
    push_property(&mut props, keys::TAGS, REMOVE_TAG);
    push_property(&mut props, keys::WAIT_STORE_MSG_OK, "false");
    push_property(
        &mut props,
        keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        &new_uniq_id(),
    );
    MessageInner {
        topic: TRANS_OP_HALF_TOPIC.to_owned(),
        queue_id: 0,
        flag: 0,
        body: Bytes::from(half_offset.to_string()),
        properties: props,
        sys_flag: 0,
        born_timestamp: rmq_core::clock::now_ms(),
        born_host: store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

/// The body of CHECK_TRANSACTION_STATE: the re-put half record as stored (its queue and
/// commit-log offsets), shown under its real topic and queue (Java's `sendCheckMessage`).
pub fn check_request_body(
    msg: &MessageInner,
    stored: &AppendedMessage,
    store_host: SocketAddr,
) -> Bytes {
    let (topic, queue_id) = real_destination(&msg.properties);
    let topic = topic.unwrap_or(&msg.topic);
    let queue_id = queue_id.unwrap_or(msg.queue_id);
    let fields = RecordFields {
        topic,
        queue_id,
        flag: msg.flag,
        queue_offset: stored.queue_offset,
        physical_offset: stored.physical_offset,
        sys_flag: msg.sys_flag,
        born_timestamp: msg.born_timestamp,
        born_host: msg.born_host,
        store_timestamp: stored.store_timestamp,
        store_host,
        reconsume_times: msg.reconsume_times,
        prepared_transaction_offset: msg.prepared_transaction_offset,
        body: &msg.body,
        properties: &msg.properties,
        body_crc: None,
    };
    let mut buf = BytesMut::new();
    encode_record(&fields, &mut buf);
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_core::protocol::message::{decode_record, TRANSACTION_PREPARED_TYPE};

    #[test]
    fn a_half_message_keeps_its_real_topic_and_loses_its_prepared_flag() {
        let mut m = MessageInner::new("Orders", 3, "b");
        m.properties = String::new();
        push_property(&mut m.properties, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, "U1");
        push_property(&mut m.properties, keys::TRANSACTION_PREPARED, "true");
        m.sys_flag = TRANSACTION_PREPARED_TYPE;
        to_half(&mut m);
        assert_eq!(m.topic, TRANS_HALF_TOPIC);
        assert_eq!(m.queue_id, 0);
        assert_eq!(m.sys_flag, TRANSACTION_NOT_TYPE);
        assert_eq!(
            find_property(&m.properties, keys::REAL_TOPIC),
            Some("Orders")
        );
        assert_eq!(find_property(&m.properties, keys::REAL_QUEUE_ID), Some("3"));
        assert_eq!(
            find_property(&m.properties, keys::TRANSACTION_ID),
            Some("U1")
        );
    }

    #[test]
    fn committing_restores_topic_and_queue_and_sets_commit_type() {
        let mut m = MessageInner::new("Orders", 3, "body");
        push_property(&mut m.properties, keys::TRANSACTION_PREPARED, "true");
        push_property(&mut m.properties, keys::PRODUCER_GROUP, "g");
        to_half(&mut m);
        let host: SocketAddr = "127.0.0.1:10911".parse().unwrap();
        let stored = AppendedMessage {
            physical_offset: 4096,
            size: 0,
            queue_offset: 7,
            store_timestamp: 1,
            offset_msg_id: String::new(),
        };
        let body = check_request_body(&m, &stored, host);
        let view = decode_record(&body, false).unwrap();
        assert_eq!(view.topic, "Orders");
        assert_eq!(view.queue_offset, 7);
        assert_eq!(view.physical_offset, 4096);
        let real = from_half(&view).unwrap();
        assert_eq!((real.topic.as_str(), real.queue_id), ("Orders", 3));
        assert_eq!(
            real.sys_flag & TRANSACTION_ROLLBACK_TYPE,
            TRANSACTION_COMMIT_TYPE
        );
        assert_eq!(real.prepared_transaction_offset, 4096);
        assert_eq!(find_property(&real.properties, keys::REAL_TOPIC), None);
        assert_eq!(
            find_property(&real.properties, keys::TRANSACTION_PREPARED),
            None
        );
        assert_eq!(
            find_property(&real.properties, keys::PRODUCER_GROUP),
            Some("g")
        );
    }
}
