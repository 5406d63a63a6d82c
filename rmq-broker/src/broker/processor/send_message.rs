//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320).

use std::sync::Arc;

use bytes::Bytes;
use rand::Rng;
use rmq_core::protocol::body::{PERM_READ, PERM_WRITE};
use rmq_core::protocol::header::{SendMessageRequestHeader, SendMessageResponseHeader};
use rmq_core::protocol::message::{
    decode_batch, find_property, keys, new_uniq_id, push_property, remove_property, set_property,
    transaction_type, TRANSACTION_PREPARED_TYPE, TRANSACTION_ROLLBACK_TYPE,
};
use rmq_core::protocol::{RemotingCommand, ResponseCode};
use rmq_core::remoting::Channel;

use crate::broker::{
    dlq_topic, validate_topic, BrokerInner, NOT_ALLOWED_SEND_TOPICS, RETRY_GROUP_TOPIC_PREFIX,
    SCHEDULE_TOPIC,
};
use crate::metrics::MessageType;
use crate::store::{MessageInner, PutMessageResult, PutMessageStatus};

/// The properties string limit (i16 length field).
const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

/// A refusal: response code and remark.
pub(crate) type Refusal = (ResponseCode, String);

/// Checks shared by single and batch sends; returns the target queue id.
pub(crate) fn check_and_prepare(
    b: &BrokerInner,
    h: &SendMessageRequestHeader,
) -> Result<i32, Refusal> {
    if b.is_shutting_down() {
        return Err((
            ResponseCode::ServiceNotAvailable,
            "broker is shutting down".into(),
        ));
    }
    if b.live.broker_permission() & PERM_WRITE == 0 {
        return Err((
            ResponseCode::NoPermission,
            format!("the broker[{}] sending message is forbidden", b.broker_addr),
        ));
    }
    validate_topic(&h.topic).map_err(|e| (ResponseCode::MessageIllegal, e))?;
    if NOT_ALLOWED_SEND_TOPICS.contains(&h.topic.as_str()) {
        return Err((
            ResponseCode::NoPermission,
            format!("Sending message to topic[{}] is forbidden.", h.topic),
        ));
    }
    let topic_cfg = if h.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        b.topics
            .create_if_absent(&h.topic, 1, PERM_READ | PERM_WRITE)
            .map(|(c, created)| {
                if created {
                    b.trigger_register();
                }
                Some(c)
            })
    } else {
        b.topics
            .create_from_default(&h.topic, &h.default_topic, h.default_topic_queue_nums)
            .map(|r| {
                r.map(|(c, created)| {
                    if created {
                        b.trigger_register();
                    }
                    c
                })
            })
    }
    .map_err(|e| (ResponseCode::SystemError, e.to_string()))?;
    let Some(topic_cfg) = topic_cfg else {
        return Err((
            ResponseCode::TopicNotExist,
            format!(
                "topic[{}] not exist, apply first please! See http://rocketmq.apache.org/docs/faq/",
                h.topic
            ),
        ));
    };
    if topic_cfg.perm & PERM_WRITE == 0 {
        return Err((
            ResponseCode::NoPermission,
            format!("the topic[{}] sending message is forbidden", h.topic),
        ));
    }
    let queues = topic_cfg.write_queue_nums.max(1);
    // As Java: a queue of either count is accepted (queues shrink writes first).
    if h.queue_id >= queues.max(topic_cfg.read_queue_nums) {
        return Err((
            ResponseCode::SystemError,
            format!(
                "request queueId[{}] is illegal, {} Producer: {}",
                h.queue_id, h.topic, h.producer_group
            ),
        ));
    }
    Ok(if h.queue_id < 0 {
        rand::rng().random_range(0..queues)
    } else {
        h.queue_id
    })
}

pub(crate) fn check_body(
    b: &BrokerInner,
    body_len: usize,
    properties: &str,
) -> Result<(), Refusal> {
    if body_len > b.config.store.max_message_size {
        return Err((
            ResponseCode::MessageIllegal,
            format!(
                "the message body size {body_len} is over the limit maxMessageSize {}",
                b.config.store.max_message_size
            ),
        ));
    }
    if properties.len() > MAX_PROPERTIES_LEN {
        return Err((
            ResponseCode::MessageIllegal,
            format!(
                "the message properties size {} is over the limit {MAX_PROPERTIES_LEN}",
                properties.len()
            ),
        ));
    }
    Ok(())
}

/// Adds the broker's properties (CLUSTER, a UNIQ_KEY when the client set none).
fn broker_properties(b: &BrokerInner, props: String) -> String {
    let mut out = props;
    if find_property(&out, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).is_none() {
        push_property(
            &mut out,
            keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
            &new_uniq_id(),
        );
    }
    if find_property(&out, keys::CLUSTER).is_none() {
        push_property(&mut out, keys::CLUSTER, &b.config.broker_cluster_name);
    }
    out
}

/// Redirects a retry-topic message that has used up its attempts to the group's DLQ.
fn handle_retry_and_dlq(
    b: &BrokerInner,
    h: &SendMessageRequestHeader,
    msg: &mut MessageInner,
) -> Result<(), Refusal> {
    let Some(group) = h.topic.strip_prefix(RETRY_GROUP_TOPIC_PREFIX) else {
        return Ok(());
    };
    let Some(group_cfg) = b.groups.find_or_create(group) else {
        return Err((
            ResponseCode::SubscriptionGroupNotExist,
            format!("subscription group not exist, {group}"),
        ));
    };
    let max = match h.max_reconsume_times {
        Some(m) if m > 0 => m,
        _ => group_cfg.retry_max_times,
    };
    if msg.reconsume_times > max {
        let dlq = dlq_topic(group);
        let (_, created) = b
            .topics
            .create_if_absent(&dlq, 1, PERM_READ | PERM_WRITE)
            .map_err(|e| (ResponseCode::SystemError, e.to_string()))?;
        if created {
            b.trigger_register();
        }
        tracing::info!(topic = %h.topic, %dlq, reconsume_times = msg.reconsume_times, "message moved to DLQ");
        b.metrics.record_dlq(&h.producer_group, &h.topic);
        msg.topic = dlq;
        msg.queue_id = 0;
        msg.properties = remove_property(&msg.properties, keys::DELAY_TIME_LEVEL);
    }
    Ok(())
}

/// The message a single send (or a reply) stores: `h`'s topic, flags and born time, queue
/// `queue_id`, born at the channel's peer.
pub(crate) fn message_of(
    h: &SendMessageRequestHeader,
    queue_id: i32,
    body: Bytes,
    properties: String,
    ch: &Channel,
) -> MessageInner {
    MessageInner {
        topic: h.topic.clone(),
        queue_id,
        flag: h.flag,
        body,
        properties,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: ch.remote_addr(),
        reconsume_times: h.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
    }
}

/// Parks a message with a DELAY level in SCHEDULE_TOPIC_XXXX (queue = level − 1).
pub(crate) fn apply_delay_level(b: &BrokerInner, msg: &mut MessageInner) {
    let tx = transaction_type(msg.sys_flag);
    if tx == TRANSACTION_PREPARED_TYPE || tx == TRANSACTION_ROLLBACK_TYPE {
        return;
    }
    let Some(level) = find_property(&msg.properties, keys::DELAY_TIME_LEVEL)
        .and_then(|l| l.trim().parse::<i32>().ok())
    else {
        return;
    };
    if level <= 0 {
        return;
    }
    let level = level.min(b.schedule.max_level());
    msg.properties = set_property(&msg.properties, keys::DELAY_TIME_LEVEL, &level.to_string());
    crate::store::real_topic::park_in(msg, SCHEDULE_TOPIC, level - 1);
}

fn store_failure(status: PutMessageStatus, remark: Option<String>) -> Option<Refusal> {
    let code = match status {
        PutMessageStatus::PutOk => return None,
        PutMessageStatus::FlushDiskTimeout => return None,
        PutMessageStatus::ServiceNotAvailable => ResponseCode::ServiceNotAvailable,
        PutMessageStatus::MessageIllegal | PutMessageStatus::PropertiesSizeExceeded => {
            ResponseCode::MessageIllegal
        }
        PutMessageStatus::UnknownError => ResponseCode::SystemError,
    };
    Some((
        code,
        remark.unwrap_or_else(|| format!("store refused the message: {status:?}")),
    ))
}

fn send_response(
    b: &BrokerInner,
    req: &RemotingCommand,
    result: PutMessageResult,
    uniq_id: Option<String>,
    queue_id: i32,
    counted: (&str, MessageType),
) -> RemotingCommand {
    if let Some((code, remark)) = store_failure(result.status, result.remark) {
        return req.error_to(code, remark);
    }
    b.metrics.record_in(
        counted.0,
        counted.1,
        result.messages.iter().map(|m| m.size.max(0) as u64),
    );
    let code = if result.status == PutMessageStatus::FlushDiskTimeout {
        ResponseCode::FlushDiskTimeout
    } else {
        ResponseCode::Success
    };
    b.stats.put_total.fetch_add(
        result.messages.len() as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    let queue_offset = result.messages.first().map_or(0, |m| m.queue_offset);
    let mut messages = result.messages.into_iter();
    let msg_id = match (messages.next(), messages.len()) {
        (Some(only), 0) => only.offset_msg_id,
        (Some(first), _) => {
            let mut ids = first.offset_msg_id;
            for m in messages {
                ids.push(',');
                ids.push_str(&m.offset_msg_id);
            }
            ids
        }
        (None, _) => String::new(),
    };
    req.response_to(code)
        .with_header(&SendMessageResponseHeader {
            msg_id,
            queue_id,
            queue_offset,
            transaction_id: uniq_id,
            batch_uniq_id: None,
            msg_region: Some(b.config.region_id.clone()),
            trace_on: Some(if b.config.trace_on { "true" } else { "false" }.to_owned()),
        })
}

fn refuse(req: &RemotingCommand, (code, remark): Refusal) -> Option<RemotingCommand> {
    tracing::debug!(code = ?code, %remark, "send refused");
    Some(req.error_to(code, remark))
}

/// The send header under either key set, its strings moved out of the request.
fn read_header(req: &mut RemotingCommand) -> Result<SendMessageRequestHeader, Refusal> {
    SendMessageRequestHeader::take_any(&mut req.ext_fields)
        .map_err(|e| (ResponseCode::SystemError, e.to_string()))
}

/// Handles SEND_MESSAGE and SEND_MESSAGE_V2.
pub async fn send(
    b: &Arc<BrokerInner>,
    ch: &Channel,
    req: &mut RemotingCommand,
) -> Option<RemotingCommand> {
    let mut h = match read_header(req) {
        Ok(h) => h,
        Err(r) => return refuse(req, r),
    };
    if h.batch == Some(true) {
        return batch_with_header(b, ch, req, h).await;
    }
    let queue_id = match check_and_prepare(b, &h) {
        Ok(q) => q,
        Err(r) => return refuse(req, r),
    };
    let props = h.properties.take().unwrap_or_default();
    if let Err(r) = check_body(b, req.body.len(), &props) {
        return refuse(req, r);
    }
    // One scan of the properties gives the metrics' message type and whether this is a
    // half (prepared transaction) message: `TRAN_MSG` = true, any case.
    let message_type = MessageType::of_properties(&props);
    let half = message_type == MessageType::Transaction;
    let properties = broker_properties(b, props);
    let uniq_id =
        find_property(&properties, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).map(str::to_owned);
    let mut msg = message_of(&h, queue_id, req.body.clone(), properties, ch);
    if let Err(r) = handle_retry_and_dlq(b, &h, &mut msg) {
        return refuse(req, r);
    }
    let final_queue = msg.queue_id;
    let final_topic_is_real = msg.topic == h.topic;
    // A half message is parked in the half topic as it is: its delay level or timer applies
    // when END_TRANSACTION commits it (as Java's HookUtils does for prepared messages).
    let mut parked = false;
    if half {
        crate::broker::transaction::to_half(&mut msg);
    } else {
        // 5.x timer messages: parked in rmq_sys_wheel_timer (crate::timer).
        parked =
            match crate::timer::message::park(&b.config.timer, &mut msg, rmq_core::clock::now_ms())
            {
                Ok(p) => p,
                Err(r) => return refuse(req, r),
            };
        apply_delay_level(b, &mut msg);
    }
    let result = b.store.put_message(msg).await;
    count_put(b, &h.topic, &result);
    if parked {
        b.timer.wake();
    }
    let shown_queue = if final_topic_is_real {
        final_queue
    } else {
        queue_id
    };
    Some(send_response(
        b,
        req,
        result,
        uniq_id,
        shown_queue,
        (&h.topic, message_type),
    ))
}

/// Handles SEND_BATCH_MESSAGE: the body holds several messages for one topic and queue.
pub async fn send_batch(
    b: &Arc<BrokerInner>,
    ch: &Channel,
    req: &mut RemotingCommand,
) -> Option<RemotingCommand> {
    match read_header(req) {
        Ok(h) => batch_with_header(b, ch, req, h).await,
        Err(r) => refuse(req, r),
    }
}

async fn batch_with_header(
    b: &Arc<BrokerInner>,
    ch: &Channel,
    req: &RemotingCommand,
    h: SendMessageRequestHeader,
) -> Option<RemotingCommand> {
    if h.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        return refuse(
            req,
            (
                ResponseCode::MessageIllegal,
                "batch messages cannot be sent to a retry topic".into(),
            ),
        );
    }
    let queue_id = match check_and_prepare(b, &h) {
        Ok(q) => q,
        Err(r) => return refuse(req, r),
    };
    if req.body.len() > b.config.store.max_message_size {
        return refuse(
            req,
            (
                ResponseCode::MessageIllegal,
                format!(
                    "the batch body size {} is over the limit maxMessageSize {}",
                    req.body.len(),
                    b.config.store.max_message_size
                ),
            ),
        );
    }
    let entries = match decode_batch(&req.body) {
        Ok(e) if !e.is_empty() => e,
        Ok(_) => return refuse(req, (ResponseCode::MessageIllegal, "empty batch".into())),
        Err(e) => {
            return refuse(
                req,
                (
                    ResponseCode::MessageIllegal,
                    format!("invalid batch body: {e}"),
                ),
            )
        }
    };
    let born_host = ch.remote_addr();
    let mut msgs = Vec::with_capacity(entries.len());
    for entry in entries {
        if let Err(r) = check_body(b, entry.body.len(), &entry.properties) {
            return refuse(req, r);
        }
        if find_property(&entry.properties, keys::DELAY_TIME_LEVEL).is_some_and(|l| l.trim() != "0")
        {
            return refuse(
                req,
                (
                    ResponseCode::MessageIllegal,
                    "batch messages do not support delay levels".into(),
                ),
            );
        }
        msgs.push(MessageInner {
            topic: h.topic.clone(),
            queue_id,
            flag: entry.flag,
            body: entry.body,
            properties: broker_properties(b, entry.properties),
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            born_host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        });
    }
    let result = b.store.put_messages(msgs).await;
    count_put(b, &h.topic, &result);
    let wrapper_id = h
        .properties
        .as_deref()
        .and_then(|p| find_property(p, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX))
        .map(str::to_owned);
    let message_type = h
        .properties
        .as_deref()
        .map_or(MessageType::Normal, MessageType::of_properties);
    Some(send_response(
        b,
        req,
        result,
        wrapper_id,
        queue_id,
        (&h.topic, message_type),
    ))
}

/// Counts a stored put in the windowed stats (VIEW_BROKER_STATS_DATA).
fn count_put(b: &BrokerInner, topic: &str, result: &PutMessageResult) {
    if result.messages.is_empty() {
        return;
    }
    let bytes: u64 = result.messages.iter().map(|m| m.size.max(0) as u64).sum();
    b.stats
        .items
        .record_put(topic, result.messages.len() as u64, bytes);
}
