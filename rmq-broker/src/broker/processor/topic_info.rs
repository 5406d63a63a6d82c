//! What admin tools ask about one topic: its per-queue offsets (GET_TOPIC_STATS_INFO, 202),
//! its configuration on this broker (GET_TOPIC_CONFIG, 351) and the groups consuming it
//! (QUERY_TOPIC_CONSUME_BY_WHO, 300). `mqadmin topicStatus`, `consumerProgress -g`,
//! `topicList -c` and the message-track part of `queryMsgById` need them.

use std::fmt::Write;

use rmq_core::protocol::header::TopicRequestHeader;
use rmq_core::protocol::{RemotingCommand, ResponseCode};

use super::{header_or_reply, json_response};
use crate::broker::BrokerInner;

/// GET_TOPIC_STATS_INFO (202): min/max offset and last store time of every queue, keyed by
/// the MessageQueue object as fastjson writes it (`{{"brokerName":..}:{..}}`).
pub fn topic_stats(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, TopicRequestHeader);
    let Some(cfg) = b.topics.get(&h.topic) else {
        return Some(req.error_to(
            ResponseCode::TopicNotExist,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let mut out = String::from("{\"offsetTable\":{");
    for queue_id in 0..cfg.read_queue_nums.max(cfg.write_queue_nums) {
        let min = b.store.min_offset_in_queue(&h.topic, queue_id).max(0);
        let max = b.store.max_offset_in_queue(&h.topic, queue_id).max(0);
        let last = if max > 0 {
            b.store
                .store_time_of(&h.topic, queue_id, max - 1)
                .unwrap_or(0)
        } else {
            0
        };
        if queue_id > 0 {
            out.push(',');
        }
        let key = serde_json::json!({"brokerName": b.config.broker_name, "queueId": queue_id, "topic": h.topic});
        let _ = write!(
            out,
            "{key}:{{\"lastUpdateTimestamp\":{last},\"maxOffset\":{max},\"minOffset\":{min}}}"
        );
    }
    // As Java: the topic's put rate over the last minute.
    let tps = b
        .stats
        .items
        .windows(
            crate::broker::stats_items::TOPIC_PUT_NUMS,
            &h.topic,
            rmq_core::clock::now_ms(),
        )
        .map_or(0.0, |w| w[0].tps);
    let _ = write!(out, "}},\"topicPutTps\":{tps:?}}}");
    Some(req.success_to().with_body(out.into_bytes()))
}

/// GET_TOPIC_CONFIG (351): the topic's configuration, or TOPIC_NOT_EXIST.
pub fn topic_config(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, TopicRequestHeader);
    match b.topics.get(&h.topic) {
        Some(cfg) => Some(json_response(req, &cfg)),
        None => Some(req.error_to(
            ResponseCode::TopicNotExist,
            format!("No topic in this broker. topic: {}", h.topic),
        )),
    }
}

/// QUERY_TOPIC_CONSUME_BY_WHO (300): online groups subscribed to the topic and groups with
/// offsets on it.
pub fn consume_by_who(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, TopicRequestHeader);
    let mut groups = b.consumers.groups_subscribing(&h.topic);
    groups.extend(b.offsets.groups_of_topic(&h.topic));
    groups.sort();
    groups.dedup();
    Some(json_response(
        req,
        &serde_json::json!({ "groupList": groups }),
    ))
}
