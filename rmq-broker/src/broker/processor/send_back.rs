//! CONSUMER_SEND_MSG_BACK (36): a failed message goes to `%RETRY%<group>` with a delay level,
//! or to `%DLQ%<group>` once it has used up its attempts.

use std::sync::Arc;

use bytes::Bytes;
use rand::Rng;
use rmq_core::protocol::body::{PERM_READ, PERM_WRITE};
use rmq_core::protocol::header::ConsumerSendMsgBackRequestHeader;
use rmq_core::protocol::message::{decode_record, find_property, keys, set_property};
use rmq_core::protocol::{RemotingCommand, ResponseCode};

use super::header_or_reply;
use super::send_message::apply_delay_level;
use crate::broker::{dlq_topic, retry_topic, BrokerInner};
use crate::store::{MessageInner, PutMessageStatus};

/// Handles CONSUMER_SEND_MSG_BACK.
pub async fn consumer_send_msg_back(
    b: &Arc<BrokerInner>,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, ConsumerSendMsgBackRequestHeader);
    let Some(group) = b.groups.find_or_create(&h.group) else {
        return Some(req.error_to(
            ResponseCode::SubscriptionGroupNotExist,
            format!("subscription group not exist, {}", h.group),
        ));
    };
    if group.retry_queue_nums <= 0 {
        return Some(req.success_to());
    }
    let Some(record) = b.store.look_message_by_offset(h.offset) else {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!("look message by offset failed, {}", h.offset),
        ));
    };
    let view = match decode_record(&record, false) {
        Ok(v) => v,
        Err(e) => {
            return Some(req.error_to(
                ResponseCode::SystemError,
                format!("stored message unreadable: {e}"),
            ))
        }
    };
    let mut properties = view.properties.to_owned();
    if find_property(&properties, keys::RETRY_TOPIC).is_none() {
        properties = set_property(&properties, keys::RETRY_TOPIC, view.topic);
    }
    let origin_id = find_property(&properties, keys::ORIGIN_MESSAGE_ID)
        .map(str::to_owned)
        .or_else(|| h.origin_msg_id.clone())
        .or_else(|| {
            find_property(&properties, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).map(str::to_owned)
        })
        .unwrap_or_else(|| {
            rmq_core::protocol::message::offset_msg_id(view.store_host, view.physical_offset)
        });
    properties = set_property(&properties, keys::ORIGIN_MESSAGE_ID, &origin_id);
    properties = set_property(&properties, keys::WAIT_STORE_MSG_OK, "false");

    let max = match h.max_reconsume_times {
        Some(m) if m >= 0 => m,
        _ => group.retry_max_times,
    };
    let (topic, queue_id) = if view.reconsume_times >= max || h.delay_level < 0 {
        let dlq = dlq_topic(&h.group);
        match b.topics.create_if_absent(&dlq, 1, PERM_READ | PERM_WRITE) {
            Ok((_, created)) => {
                if created {
                    b.trigger_register();
                }
            }
            Err(e) => return Some(req.error_to(ResponseCode::SystemError, e.to_string())),
        }
        properties =
            rmq_core::protocol::message::remove_property(&properties, keys::DELAY_TIME_LEVEL);
        tracing::info!(group = %h.group, %origin_id, reconsume_times = view.reconsume_times, "message moved to DLQ");
        b.metrics
            .record_dlq(&h.group, h.origin_topic.as_deref().unwrap_or(view.topic));
        (dlq, 0)
    } else {
        let retry = retry_topic(&h.group);
        let cfg = match b.topics.create_if_absent(
            &retry,
            group.retry_queue_nums.max(1),
            PERM_READ | PERM_WRITE,
        ) {
            Ok((cfg, created)) => {
                if created {
                    b.trigger_register();
                }
                cfg
            }
            Err(e) => return Some(req.error_to(ResponseCode::SystemError, e.to_string())),
        };
        let level = if h.delay_level > 0 {
            h.delay_level
        } else {
            3 + view.reconsume_times
        };
        properties = set_property(&properties, keys::DELAY_TIME_LEVEL, &level.to_string());
        let q = rand::rng().random_range(0..cfg.write_queue_nums.max(1));
        (retry, q)
    };
    let mut msg = MessageInner {
        topic,
        queue_id,
        flag: view.flag,
        body: Bytes::copy_from_slice(view.body),
        properties,
        sys_flag: view.sys_flag,
        born_timestamp: view.born_timestamp,
        born_host: view.born_host,
        reconsume_times: view.reconsume_times + 1,
        prepared_transaction_offset: 0,
    };
    apply_delay_level(b, &mut msg);
    let result = b.store.put_message(msg).await;
    Some(match result.status {
        PutMessageStatus::PutOk | PutMessageStatus::FlushDiskTimeout => req.success_to(),
        status => req.error_to(
            ResponseCode::SystemError,
            result
                .remark
                .unwrap_or_else(|| format!("store refused the retry message: {status:?}")),
        ),
    })
}
