//! SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325): a replier's answer to a
//! request, pushed to the requester with PUSH_REPLY_MESSAGE_TO_CLIENT (326) on its producer
//! connection (found by the `REPLY_TO_CLIENT` client id) and, with
//! `storeReplyMessageEnable`, stored in the reply topic too (Java's `ReplyMessageProcessor`).
//!
//! A push that cannot be made (no such client connected, the client refused or did not
//! answer) is answered SYSTEM_ERROR with Java's remark and logged.

use std::sync::Arc;
use std::time::Duration;

use rmq_core::clock::now_ms;
use rmq_core::protocol::header::{
    ReplyMessageRequestHeader, SendMessageRequestHeader, SendMessageResponseHeader,
};
use rmq_core::protocol::message::{find_property, push_property, reply_keys};
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::Channel;

use super::send_message::{check_and_prepare, check_body, message_of, Refusal};
use crate::broker::BrokerInner;
use crate::store::PutMessageStatus;

/// How long the requester's client has to acknowledge a pushed reply (Java's `callClient`).
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Handles SEND_REPLY_MESSAGE and SEND_REPLY_MESSAGE_V2.
pub async fn send_reply(
    b: &Arc<BrokerInner>,
    ch: &Channel,
    req: &mut RemotingCommand,
) -> Option<RemotingCommand> {
    let h = match SendMessageRequestHeader::take_any(&mut req.ext_fields) {
        Ok(h) => h,
        Err(e) => return Some(req.error_to(ResponseCode::SystemError, e.to_string())),
    };
    let queue_id = match check_and_prepare(b, &h) {
        Ok(q) => q,
        Err(r) => return refuse(req, r),
    };
    let properties = h.properties.clone().unwrap_or_default();
    if let Err(r) = check_body(b, req.body.len(), &properties) {
        return refuse(req, r);
    }
    let pushed = push_reply(b, ch, &h, queue_id, &properties, req).await;
    let mut header = SendMessageResponseHeader {
        // "0" when the reply is not stored: Java's clients expect a msgId.
        msg_id: "0".into(),
        queue_id,
        queue_offset: 0,
        transaction_id: None,
        batch_uniq_id: None,
        msg_region: Some(b.config.region_id.clone()),
        trace_on: Some(if b.config.trace_on { "true" } else { "false" }.to_owned()),
    };
    if b.config.store_reply_message_enable {
        let msg = message_of(&h, queue_id, req.body.clone(), properties, ch);
        let result = b.store.put_message(msg).await;
        match (result.status, result.messages.first()) {
            (PutMessageStatus::PutOk | PutMessageStatus::FlushDiskTimeout, Some(m)) => {
                header.msg_id = m.offset_msg_id.clone();
                header.queue_offset = m.queue_offset;
                b.stats
                    .put_total
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            (status, _) => {
                tracing::warn!(topic = %h.topic, ?status, remark = ?result.remark, "reply message not stored");
            }
        }
    }
    Some(match pushed {
        Ok(()) => req.success_to().with_header(&header),
        Err(remark) => req.error_to(ResponseCode::SystemError, remark),
    })
}

fn refuse(req: &RemotingCommand, (code, remark): Refusal) -> Option<RemotingCommand> {
    tracing::debug!(code = ?code, %remark, "reply refused");
    Some(req.error_to(code, remark))
}

/// Pushes the reply to its requester; the error is the response remark.
async fn push_reply(
    b: &BrokerInner,
    ch: &Channel,
    h: &SendMessageRequestHeader,
    queue_id: i32,
    properties: &str,
    req: &RemotingCommand,
) -> Result<(), String> {
    let Some(sender_id) = find_property(properties, reply_keys::REPLY_TO_CLIENT) else {
        let remark = format!(
            "reply message properties[{}] is null",
            reply_keys::REPLY_TO_CLIENT
        );
        tracing::warn!(topic = %h.topic, "{remark}: cannot push the reply");
        return Err(remark);
    };
    let Some(requester) = b.producers.find_channel(sender_id) else {
        let remark = format!("push reply message fail, channel of <{sender_id}> not found.");
        tracing::warn!(
            topic = %h.topic,
            correlation_id = find_property(properties, reply_keys::CORRELATION_ID).unwrap_or_default(),
            "reply dropped: {remark}"
        );
        return Err(remark);
    };
    let mut pushed_props = properties.to_owned();
    push_property(
        &mut pushed_props,
        reply_keys::PUSH_REPLY_TIME,
        &now_ms().to_string(),
    );
    let header = ReplyMessageRequestHeader {
        producer_group: h.producer_group.clone(),
        topic: h.topic.clone(),
        default_topic: h.default_topic.clone(),
        default_topic_queue_nums: h.default_topic_queue_nums,
        queue_id,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        flag: h.flag,
        properties: Some(pushed_props),
        reconsume_times: h.reconsume_times,
        unit_mode: h.unit_mode.unwrap_or(false),
        born_host: ch.remote_addr().to_string(),
        store_host: b.store_host.to_string(),
        store_timestamp: now_ms(),
    };
    let push = RemotingCommand::request_with_header(RequestCode::PushReplyMessageToClient, &header)
        .with_body(req.body.clone());
    let fail = || format!("push reply message to {sender_id} fail.");
    match requester.invoke(push, PUSH_TIMEOUT).await {
        Ok(resp) if resp.code == ResponseCode::Success.code() => Ok(()),
        Ok(resp) => {
            tracing::warn!(client = %sender_id, code = resp.code, remark = resp.remark_str(), "push reply message refused by the requester");
            Err(fail())
        }
        Err(e) => {
            tracing::warn!(client = %sender_id, error = %e, "push reply message failed");
            Err(fail())
        }
    }
}
