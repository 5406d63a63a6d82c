//! Reading a pull from the store and building its answer: what PULL_MESSAGE and
//! LITE_PULL_MESSAGE do at once and what a held pull does when it is woken. Synchronous; the
//! PULL_MESSAGE processor decides whether to hold instead.

use std::sync::Arc;

use bytes::BytesMut;
use rmq_core::filter::Selector;
use rmq_core::protocol::body::{SubscriptionData, PERM_READ};
use rmq_core::protocol::header::{
    PullMessageRequestHeader, PullMessageResponseHeader, PULL_FLAG_SUBSCRIPTION,
};
use rmq_core::protocol::message::{decode_record, find_property, keys};
use rmq_core::protocol::{RemotingCommand, ResponseCode};
use rmq_core::remoting::Channel;

use super::BrokerInner;
use crate::store::GetMessageStatus;

/// Largest pull body (bytes) per request.
const MAX_PULL_BYTES: usize = 256 * 1024;
/// Largest number of messages per request.
const MAX_PULL_MSGS: i32 = 32;

/// A pull read from the store.
#[derive(Debug)]
pub struct PullRead {
    /// The answer to send now, unless the pull is held.
    pub answer: RemotingCommand,
    /// Nothing at the offset yet (PULL_NOT_FOUND): the pull may be held.
    pub not_found: bool,
    /// The subscription the messages were filtered by (what a held pull wakes on).
    pub subscription: SubscriptionData,
    /// Its compiled SQL92 expression (`None` for a TAG subscription).
    pub selector: Option<Arc<Selector>>,
}

/// Decodes a pull's header; the error answer when it cannot be.
pub fn header(req: &RemotingCommand) -> Result<PullMessageRequestHeader, RemotingCommand> {
    req.decode_header::<PullMessageRequestHeader>()
        .map_err(|e| req.error_to(ResponseCode::SystemError, e.to_string()))
}

/// Java's `ExpressionType.isTagType`: no type, or `TAG`.
fn is_tag_type(expression_type: Option<&str>) -> bool {
    expression_type.is_none_or(|t| t.is_empty() || t.eq_ignore_ascii_case("TAG"))
}

/// The subscription a pull filters by: the one in the request when it carries one (or the
/// group is not registered), else the registered one, which must not be older.
fn subscription_for(
    b: &BrokerInner,
    h: &PullMessageRequestHeader,
) -> Result<SubscriptionData, (ResponseCode, String)> {
    if h.sys_flag & PULL_FLAG_SUBSCRIPTION != 0 || b.consumers.group(&h.consumer_group).is_none() {
        return Ok(from_header(h, h.subscription.as_deref().unwrap_or("*")));
    }
    match b.consumers.subscription(&h.consumer_group, &h.topic) {
        Some(sub) => {
            if sub.sub_version < h.sub_version {
                return Err((
                    ResponseCode::SubscriptionNotLatest,
                    format!(
                        "the consumer's subscription not latest, group: {}",
                        h.consumer_group
                    ),
                ));
            }
            Ok(sub)
        }
        None => match h.subscription.as_deref() {
            Some(expr) => Ok(from_header(h, expr)),
            None => Err((
                ResponseCode::SubscriptionNotExist,
                format!(
                    "the consumer's subscription not exist, group: {} topic: {}",
                    h.consumer_group, h.topic
                ),
            )),
        },
    }
}

/// The subscription a pull header carries.
fn from_header(h: &PullMessageRequestHeader, expr: &str) -> SubscriptionData {
    if is_tag_type(h.expression_type.as_deref()) {
        SubscriptionData::from_expression(&h.topic, expr, h.sub_version)
    } else {
        let mut sub = SubscriptionData::sql92(&h.topic, expr, h.sub_version);
        sub.expression_type = h.expression_type.clone().unwrap_or_default();
        sub
    }
}

/// The compiled expression of a non-TAG subscription (`None` for TAG). Refused: a type other
/// than SQL92, an expression that does not compile (SUBSCRIPTION_PARSE_FAILED, the remark
/// naming the offending token and its column), or `enablePropertyFilter=false` (SYSTEM_ERROR,
/// as Java answers).
pub fn selector_for(
    b: &BrokerInner,
    group: &str,
    sub: &SubscriptionData,
) -> Result<Option<Arc<Selector>>, (ResponseCode, String)> {
    if sub.is_tag_type() {
        return Ok(None);
    }
    if !sub.expression_type.eq_ignore_ascii_case("SQL92") {
        return Err((
            ResponseCode::SubscriptionParseFailed,
            format!(
                "the broker does not support consumer to filter message by {}",
                sub.expression_type
            ),
        ));
    }
    let compiled = b
        .sql_filters
        .get(group, &sub.topic, &sub.sub_string, sub.sub_version)
        .map_err(|e| {
            (
                ResponseCode::SubscriptionParseFailed,
                format!(
                    "parse the consumer's subscription[{}] failed: {e}",
                    sub.sub_string
                ),
            )
        })?;
    if !b.config.enable_property_filter {
        return Err((
            ResponseCode::SystemError,
            format!(
                "The broker does not support consumer to filter message by {} \
                 (enablePropertyFilter=false)",
                sub.expression_type
            ),
        ));
    }
    Ok(Some(compiled))
}

/// Whether a stored record passes a subscription: its SQL92 expression over the record's
/// properties, else its exact tag (the consume queue already filtered by tag hash).
pub fn record_matches(sub: &SubscriptionData, selector: Option<&Selector>, record: &[u8]) -> bool {
    match selector {
        Some(sel) => decode_record(record, false)
            .map(|v| sel.matches_encoded(v.properties))
            .unwrap_or(false),
        None => {
            sub.is_all()
                || decode_record(record, false)
                    .map(|v| sub.matches_tag(find_property(v.properties, keys::TAGS)))
                    .unwrap_or(false)
        }
    }
}

/// Checks a pull against the broker's, the group's and the topic's permissions, reads it
/// from the store and builds its answer. `Err` is an answer refusing the pull.
pub fn read(
    b: &BrokerInner,
    ch: &Channel,
    req: &RemotingCommand,
    h: &PullMessageRequestHeader,
) -> Result<PullRead, RemotingCommand> {
    if b.live.broker_permission() & PERM_READ == 0 {
        return Err(req.error_to(
            ResponseCode::NoPermission,
            format!("the broker[{}] pulling message is forbidden", b.broker_addr),
        ));
    }
    let Some(group) = b.groups.find_or_create(&h.consumer_group) else {
        return Err(req.error_to(
            ResponseCode::SubscriptionGroupNotExist,
            format!("subscription group [{}] does not exist", h.consumer_group),
        ));
    };
    if !group.consume_enable {
        return Err(req.error_to(
            ResponseCode::NoPermission,
            format!("subscription group no permission, {}", h.consumer_group),
        ));
    }
    let Some(topic) = b.topics.get(&h.topic) else {
        return Err(req.error_to(
            ResponseCode::TopicNotExist,
            format!("topic[{}] not exist, apply first please!", h.topic),
        ));
    };
    if topic.perm & PERM_READ == 0 {
        return Err(req.error_to(
            ResponseCode::NoPermission,
            format!("the topic[{}] pulling message is forbidden", h.topic),
        ));
    }
    if h.queue_id < 0 || h.queue_id >= topic.read_queue_nums {
        return Err(req.error_to(
            ResponseCode::SystemError,
            format!(
                "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
                h.queue_id,
                h.topic,
                topic.read_queue_nums,
                ch.remote_addr()
            ),
        ));
    }
    let (sub, selector) = match subscription_for(b, h)
        .and_then(|s| selector_for(b, &h.consumer_group, &s).map(|sel| (s, sel)))
    {
        Ok(s) => s,
        Err((code, remark)) => return Err(req.error_to(code, remark)),
    };

    let max_msgs = h.max_msg_nums.clamp(1, MAX_PULL_MSGS);
    let got = b.store.get_message(
        &h.topic,
        h.queue_id,
        h.queue_offset,
        max_msgs,
        MAX_PULL_BYTES,
        &|code| sub.matches_code(code),
    );
    let mut next_begin_offset = got.next_begin_offset;
    let mut body = BytesMut::new();
    let mut count = 0usize;
    let mut status = got.status;
    if status == GetMessageStatus::Found {
        // The consume queue filtered by tag hash; now check the exact tag or the expression.
        for record in &got.messages {
            if record_matches(&sub, selector.as_deref(), record) {
                body.extend_from_slice(record);
                count += 1;
            }
        }
        if count == 0 {
            status = GetMessageStatus::NoMatchedMessage;
        }
    }
    let (code, remark) = match status {
        GetMessageStatus::Found => (ResponseCode::Success, "FOUND"),
        GetMessageStatus::NoMatchedMessage => {
            (ResponseCode::PullRetryImmediately, "NO_MATCHED_MESSAGE")
        }
        GetMessageStatus::MessageWasRemoving => {
            (ResponseCode::PullRetryImmediately, "MESSAGE_WAS_REMOVING")
        }
        GetMessageStatus::OffsetFoundNull => (ResponseCode::PullNotFound, "OFFSET_FOUND_NULL"),
        GetMessageStatus::OffsetOverflowOne => (ResponseCode::PullNotFound, "OFFSET_OVERFLOW_ONE"),
        GetMessageStatus::NoMessageInQueue | GetMessageStatus::NoMatchedLogicQueue => {
            if h.queue_offset != 0 {
                (ResponseCode::PullOffsetMoved, "NO_MESSAGE_IN_QUEUE")
            } else {
                (ResponseCode::PullNotFound, "NO_MESSAGE_IN_QUEUE")
            }
        }
        GetMessageStatus::OffsetOverflowBadly => {
            (ResponseCode::PullOffsetMoved, "OFFSET_OVERFLOW_BADLY")
        }
        GetMessageStatus::OffsetTooSmall => (ResponseCode::PullOffsetMoved, "OFFSET_TOO_SMALL"),
    };
    if code == ResponseCode::PullOffsetMoved && status == GetMessageStatus::NoMessageInQueue {
        next_begin_offset = 0;
    }

    if code == ResponseCode::Success {
        b.stats
            .items
            .record_get(&h.consumer_group, &h.topic, count as u64, body.len() as u64);
        b.metrics.record_out(
            &h.consumer_group,
            &h.topic,
            h.queue_id,
            count as u64,
            body.len() as u64,
            next_begin_offset,
        );
    }
    let resp = req
        .response_to(code)
        .with_remark(remark)
        .with_header(&PullMessageResponseHeader {
            suggest_which_broker_id: 0,
            next_begin_offset,
            min_offset: got.min_offset,
            max_offset: got.max_offset,
        });
    let answer = if code == ResponseCode::Success {
        resp.with_body(body.freeze())
    } else {
        resp
    };
    Ok(PullRead {
        answer,
        not_found: code == ResponseCode::PullNotFound,
        subscription: sub,
        selector,
    })
}
