//! PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361), with long polling.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rmq_core::protocol::body::{SubscriptionData, PERM_READ};
use rmq_core::protocol::header::{
    PullMessageRequestHeader, PullMessageResponseHeader, PULL_FLAG_COMMIT_OFFSET,
    PULL_FLAG_SUBSCRIPTION, PULL_FLAG_SUSPEND,
};
use rmq_core::protocol::message::{decode_record, find_property, keys};
use rmq_core::protocol::{RemotingCommand, ResponseCode};
use rmq_core::remoting::Channel;

use super::header_or_reply;
use crate::broker::{BrokerInner, HeldPull};
use crate::store::GetMessageStatus;

/// Largest pull body (bytes) per request.
const MAX_PULL_BYTES: usize = 256 * 1024;
/// Longest hold of a pull (a peer's larger suspend timeout is capped).
const MAX_SUSPEND_MS: i64 = 60_000;
/// Largest number of messages per request.
const MAX_PULL_MSGS: i32 = 32;

fn subscription_for(
    b: &BrokerInner,
    h: &PullMessageRequestHeader,
) -> Result<SubscriptionData, (ResponseCode, String)> {
    let expression_type = h.expression_type.as_deref().unwrap_or("TAG");
    if !expression_type.eq_ignore_ascii_case("TAG") {
        return Err((
            ResponseCode::SubscriptionParseFailed,
            format!("the broker does not support consumer to filter message by {expression_type}"),
        ));
    }
    if h.sys_flag & PULL_FLAG_SUBSCRIPTION != 0 || b.consumers.group(&h.consumer_group).is_none() {
        let expr = h.subscription.as_deref().unwrap_or("*");
        return Ok(SubscriptionData::from_expression(
            &h.topic,
            expr,
            h.sub_version,
        ));
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
            Some(expr) => Ok(SubscriptionData::from_expression(
                &h.topic,
                expr,
                h.sub_version,
            )),
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

/// Serves one pull; with `allow_suspend`, an empty result may be held (returns `None`).
pub async fn pull(
    b: &Arc<BrokerInner>,
    ch: &Channel,
    req: &RemotingCommand,
    allow_suspend: bool,
) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, PullMessageRequestHeader);
    if b.config.broker_permission & PERM_READ == 0 {
        return Some(req.error_to(
            ResponseCode::NoPermission,
            format!("the broker[{}] pulling message is forbidden", b.broker_addr),
        ));
    }
    let Some(group) = b.groups.find_or_create(&h.consumer_group) else {
        return Some(req.error_to(
            ResponseCode::SubscriptionGroupNotExist,
            format!("subscription group [{}] does not exist", h.consumer_group),
        ));
    };
    if !group.consume_enable {
        return Some(req.error_to(
            ResponseCode::NoPermission,
            format!("subscription group no permission, {}", h.consumer_group),
        ));
    }
    let Some(topic) = b.topics.get(&h.topic) else {
        return Some(req.error_to(
            ResponseCode::TopicNotExist,
            format!("topic[{}] not exist, apply first please!", h.topic),
        ));
    };
    if topic.perm & PERM_READ == 0 {
        return Some(req.error_to(
            ResponseCode::NoPermission,
            format!("the topic[{}] pulling message is forbidden", h.topic),
        ));
    }
    if h.queue_id < 0 || h.queue_id >= topic.read_queue_nums {
        return Some(req.error_to(
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
    let sub = match subscription_for(b, &h) {
        Ok(s) => s,
        Err((code, remark)) => return Some(req.error_to(code, remark)),
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
        // The consume queue filtered by tag hash; now check the exact tag.
        for record in &got.messages {
            let keep = sub.is_all()
                || decode_record(record, false)
                    .map(|v| sub.matches_tag(find_property(v.properties, keys::TAGS)))
                    .unwrap_or(false);
            if keep {
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

    // Commit the consumer's offset piggybacked on the pull.
    if h.sys_flag & PULL_FLAG_COMMIT_OFFSET != 0 && h.commit_offset >= 0 && allow_suspend {
        b.offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }

    if code == ResponseCode::PullNotFound
        && allow_suspend
        && h.sys_flag & PULL_FLAG_SUSPEND != 0
        && !b.is_shutting_down()
    {
        let hold = if b.config.long_polling_enable {
            Duration::from_millis(h.suspend_timeout_millis.clamp(0, MAX_SUSPEND_MS) as u64)
        } else {
            Duration::from_millis(b.config.short_polling_time_mills)
        };
        b.holds.suspend(
            &h.topic,
            h.queue_id,
            HeldPull {
                channel: ch.clone(),
                request: req.clone(),
                queue_offset: h.queue_offset,
                deadline: Instant::now() + hold,
                subscription: sub,
            },
        );
        // A message may have landed between the read and the suspension: check once more.
        if b.store.max_offset_in_queue(&h.topic, h.queue_id) > h.queue_offset {
            let store = b.store.clone();
            for held in b
                .holds
                .take_ready(Instant::now(), |t, q| store.max_offset_in_queue(t, q))
            {
                tokio::spawn(b.answer_held(held));
            }
        }
        return None;
    }

    if code == ResponseCode::Success {
        b.stats.get_total.fetch_add(count as u64, Ordering::Relaxed);
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
    Some(if code == ResponseCode::Success {
        resp.with_body(body.freeze())
    } else {
        resp
    })
}
