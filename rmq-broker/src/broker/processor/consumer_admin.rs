//! Admin requests about consumer groups that act on the group's clients or settings:
//! DELETE_SUBSCRIPTIONGROUP (207), GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY
//! (309) — both forwarded to one client of the group over its connection, as Java's
//! `AdminBrokerProcessor.callConsumer` — and INVOKE_BROKER_TO_RESET_OFFSET (222), which resets
//! the group's offsets for a point in time and tells its online clients
//! (RESET_CONSUMER_CLIENT_OFFSET, 220).

use std::collections::BTreeMap;
use std::time::Duration;

use rmq_core::protocol::body::{MessageQueue, ResetOffsetBody};
use rmq_core::protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, DeleteSubscriptionGroupRequestHeader,
    GetConsumerRunningInfoRequestHeader, ResetOffsetRequestHeader,
};
use rmq_core::protocol::message::decode_offset_msg_id;
use rmq_core::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rmq_core::remoting::RemotingError;

use super::header_or_reply;
use crate::broker::BrokerInner;

/// How long a forwarded call waits for the client (Java's `callClient`: 10 s).
const CALL_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// DELETE_SUBSCRIPTIONGROUP (207): forgets the group's settings (and, with `cleanOffset`, its
/// offsets). Deleting an unknown group succeeds, as on Java.
pub fn delete_subscription_group(
    b: &BrokerInner,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, DeleteSubscriptionGroupRequestHeader);
    match b.groups.delete(&h.group_name) {
        Ok(true) => tracing::info!(group = %h.group_name, "subscription group deleted"),
        Ok(false) => {
            tracing::warn!(group = %h.group_name, "delete subscription group: no such group")
        }
        Err(e) => return Some(req.error_to(ResponseCode::SystemError, e.to_string())),
    }
    if h.clean_offset.unwrap_or(false) {
        b.offsets.remove_group(&h.group_name);
    }
    Some(req.success_to())
}

/// GET_CONSUMER_RUNNING_INFO (307): forwarded to the client, its answer returned.
pub async fn consumer_running_info(
    b: &BrokerInner,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, GetConsumerRunningInfoRequestHeader);
    Some(
        call_consumer(
            b,
            req,
            RequestCode::GetConsumerRunningInfo,
            &h.consumer_group,
            &h.client_id,
        )
        .await,
    )
}

/// CONSUME_MESSAGE_DIRECTLY (309): the message named by the offset msg id goes in the body
/// (with this broker's name) to the client, whose listener consumes it.
pub async fn consume_message_directly(
    b: &BrokerInner,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, ConsumeMessageDirectlyResultRequestHeader);
    let Some(client_id) = h.client_id.clone() else {
        return Some(req.error_to(ResponseCode::SystemError, "clientId is required"));
    };
    let mut fwd = req.clone();
    fwd.ext_fields
        .insert("brokerName", b.config.broker_name.clone());
    if let Some(cfg) = h.topic.as_deref().and_then(|t| b.topics.get(t)) {
        fwd.ext_fields
            .insert("topicSysFlag", cfg.topic_sys_flag.to_string());
    }
    if let Some(g) = b.groups.all().get(&h.consumer_group) {
        fwd.ext_fields
            .insert("groupSysFlag", g.group_sys_flag.to_string());
    }
    let record = h
        .msg_id
        .as_deref()
        .and_then(decode_offset_msg_id)
        .and_then(|(_, offset)| b.store.look_message_by_offset(offset));
    match record {
        Some(r) => fwd.body = r,
        None => {
            return Some(req.error_to(
                ResponseCode::SystemError,
                format!("no message with id {:?} on this broker", h.msg_id),
            ))
        }
    }
    Some(
        call_consumer(
            b,
            &fwd,
            RequestCode::ConsumeMessageDirectly,
            &h.consumer_group,
            &client_id,
        )
        .await,
    )
}

/// Sends `req`'s header and body to client `client_id` of `group` and answers the admin with
/// the client's response.
async fn call_consumer(
    b: &BrokerInner,
    req: &RemotingCommand,
    code: RequestCode,
    group: &str,
    client_id: &str,
) -> RemotingCommand {
    let channel = b.consumers.group(group).and_then(|g| {
        g.channels
            .into_values()
            .find(|c| c.client_id == client_id)
            .map(|c| c.channel)
    });
    let Some(channel) = channel else {
        return req.error_to(
            ResponseCode::SystemError,
            format!("The Consumer <{group}> <{client_id}> not online"),
        );
    };
    let mut call = RemotingCommand::request(code);
    call.ext_fields = req.ext_fields.clone();
    call.body = req.body.clone();
    match channel.invoke(call, CALL_CLIENT_TIMEOUT).await {
        Ok(resp) => {
            let mut out = req.response_to(resp.code);
            out.remark = resp.remark;
            out.ext_fields = resp.ext_fields;
            out.body = resp.body;
            out
        }
        Err(RemotingError::Timeout { .. }) => req.error_to(
            ResponseCode::ConsumeMsgTimeout,
            format!("consumer <{group}> <{client_id}> Timeout"),
        ),
        Err(e) => req.error_to(
            ResponseCode::SystemError,
            format!("invoke consumer <{group}> <{client_id}> Exception: {e}"),
        ),
    }
}

/// INVOKE_BROKER_TO_RESET_OFFSET (222): for each write queue, the offset of the first message
/// stored at or after `timestamp` (-1: the max offset); without `isForce` a queue only moves
/// back. The offsets are committed here, then sent (oneway, 220) to every online client of the
/// group, which restarts its queues from them. Unlike a Java broker, an offline group is not
/// refused (CONSUMER_NOT_ONLINE): its offsets are committed and the table returned.
pub async fn reset_offset(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, ResetOffsetRequestHeader);
    let Some(cfg) = b.topics.get(&h.topic) else {
        return Some(req.error_to(
            ResponseCode::TopicNotExist,
            format!(
                "[reset-offset] reset offset failed, no topic in this broker. topic={}",
                h.topic
            ),
        ));
    };
    let online = b
        .consumers
        .group(&h.group)
        .is_some_and(|g| !g.channels.is_empty());
    if !online && !b.offsets.topics_of_group(&h.group).contains(&h.topic) {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!("THe consumer group <{}> not exist", h.group),
        ));
    }
    let mut table = BTreeMap::new();
    for queue_id in 0..cfg.write_queue_nums {
        if h.queue_id.is_some_and(|q| q >= 0 && q != queue_id) {
            continue;
        }
        let current = b.offsets.query(&h.group, &h.topic, queue_id).unwrap_or(0);
        let target = match (h.queue_id, h.offset) {
            (Some(q), Some(o)) if q >= 0 => o,
            _ if h.timestamp == -1 => b.store.max_offset_in_queue(&h.topic, queue_id),
            _ => b
                .store
                .offset_in_queue_by_time(&h.topic, queue_id, h.timestamp),
        }
        .max(0);
        let offset = if h.is_force || target < current {
            target
        } else {
            current
        };
        b.offsets.commit(&h.group, &h.topic, queue_id, offset);
        table.insert(
            MessageQueue::new(&h.topic, &b.config.broker_name, queue_id),
            offset,
        );
    }
    let body = ResetOffsetBody {
        offset_table: table,
    }
    .encode();
    let notify = ResetOffsetRequestHeader {
        topic: h.topic.clone(),
        group: h.group.clone(),
        timestamp: h.timestamp,
        is_force: h.is_force,
        queue_id: None,
        offset: None,
    };
    for ch in b.consumers.channels(&h.group) {
        // One request (and opaque) per client.
        let one =
            RemotingCommand::request_with_header(RequestCode::ResetConsumerClientOffset, &notify)
                .with_body(body.clone());
        if let Err(e) = ch.invoke_oneway(one).await {
            tracing::warn!(group = %h.group, client = %ch.remote_addr(), error = %e, "[reset-offset] cannot notify the client");
        }
    }
    tracing::info!(group = %h.group, topic = %h.topic, timestamp = h.timestamp, force = h.is_force, online, "[reset-offset] offsets reset");
    Some(req.success_to().with_body(body))
}
