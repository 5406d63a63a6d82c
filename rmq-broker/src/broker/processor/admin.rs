//! Admin requests: topics, subscription groups, offsets, stats, connections, config.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;

use rmq_core::protocol::body::{ConsumerConnection, KvTable, SubscriptionGroupConfig, TopicConfig};
use rmq_core::protocol::header::{
    CreateTopicRequestHeader, DeleteTopicRequestHeader, GetConsumeStatsRequestHeader,
    GetConsumerConnectionListRequestHeader,
};
use rmq_core::protocol::message::MessageExt;
use rmq_core::protocol::{RemotingCommand, ResponseCode};

use super::{body_or_reply, header_or_reply, json_response};
use crate::broker::{validate_topic, BrokerInner, NOT_ALLOWED_SEND_TOPICS};

/// UPDATE_AND_CREATE_TOPIC (17).
pub async fn create_topic(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, CreateTopicRequestHeader);
    if let Err(e) = validate_topic(&h.topic) {
        return Some(req.error_to(ResponseCode::SystemError, e));
    }
    if NOT_ALLOWED_SEND_TOPICS.contains(&h.topic.as_str())
        || h.topic == b.config.broker_cluster_name
    {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!("The topic[{}] is conflict with system topic.", h.topic),
        ));
    }
    if h.read_queue_nums <= 0
        || h.write_queue_nums <= 0
        || h.read_queue_nums > 1024
        || h.write_queue_nums > 1024
    {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!(
                "queue nums must be 1..=1024, got read {} write {}",
                h.read_queue_nums, h.write_queue_nums
            ),
        ));
    }
    let cfg = TopicConfig {
        topic_name: h.topic.clone(),
        read_queue_nums: h.read_queue_nums,
        write_queue_nums: h.write_queue_nums,
        perm: h.perm,
        topic_filter_type: h.topic_filter_type.clone(),
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        order: h.order,
        attributes: BTreeMap::new(),
    };
    if let Err(e) = b.topics.update(cfg) {
        return Some(req.error_to(ResponseCode::SystemError, e.to_string()));
    }
    tracing::info!(topic = %h.topic, read = h.read_queue_nums, write = h.write_queue_nums, "topic created or updated");
    // As Java (registerIncrementBrokerData): the name servers know the topic before the
    // answer, so a route lookup right after it finds this broker.
    b.register_all().await;
    Some(req.success_to())
}

/// DELETE_TOPIC_IN_BROKER (215).
pub async fn delete_topic(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, DeleteTopicRequestHeader);
    if NOT_ALLOWED_SEND_TOPICS.contains(&h.topic.as_str()) {
        return Some(req.error_to(
            ResponseCode::SystemError,
            format!(
                "The topic[{}] is a system topic and cannot be deleted.",
                h.topic
            ),
        ));
    }
    match b.topics.delete(&h.topic) {
        Ok(_) => {
            b.store.delete_topic(&h.topic);
            b.metrics.traffic.remove_topic(&h.topic);
            b.offsets.remove_topic(&h.topic);
            b.delete_topic_in_namesrv(&h.topic).await;
            Some(req.success_to())
        }
        Err(e) => Some(req.error_to(ResponseCode::SystemError, e.to_string())),
    }
}

/// GET_ALL_TOPIC_CONFIG (21).
pub fn all_topic_config(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    Some(json_response(req, &b.topics.wrapper()))
}

/// GET_BROKER_RUNTIME_INFO (28): the keys `mqadmin clusterList` / `brokerStatus` and the
/// dashboard read. Queue sizes and waits are 0: requests are not queued behind thread pools
/// here; the timer keys are 0 as on a Java broker without timer messages.
pub fn runtime_info(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let mut t: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        t.insert(k.to_owned(), v);
    };
    let uptime = b.started.elapsed();
    let now = rmq_core::clock::now_ms();
    let puts = b.stats.put_total.load(Ordering::Relaxed);
    let gets = b.stats.get_total();
    let daily = b.stats.roll_day(now);
    let secs = uptime.as_secs_f64().max(1.0);
    put("brokerVersionDesc", "V4_9_4".into());
    put("brokerVersion", "401".into());
    put(
        "brokerImplementation",
        format!("rmq-broker {}", env!("CARGO_PKG_VERSION")),
    );
    put("msgPutTotalTodayNow", puts.to_string());
    put("msgGetTotalTodayNow", gets.to_string());
    for (key, total) in [
        ("msgPutTotalTodayMorning", daily.put_today_morning),
        ("msgGetTotalTodayMorning", daily.get_today_morning),
        ("msgPutTotalYesterdayMorning", daily.put_yesterday_morning),
        ("msgGetTotalYesterdayMorning", daily.get_yesterday_morning),
    ] {
        put(key, total.to_string());
    }
    // Java: "<10 s> <1 min> <10 min>"; rmq: the average since start in each slot.
    let put_tps = format!("{:.2}", puts as f64 / secs);
    let get_tps = format!("{:.2}", gets as f64 / secs);
    put("putTps", format!("{put_tps} {put_tps} {put_tps}"));
    put("getTotalTps", format!("{get_tps} {get_tps} {get_tps}"));
    put(
        "getTransferredTps",
        format!("{get_tps} {get_tps} {get_tps}"),
    );
    for pool in ["send", "pull", "litePull", "query", "ack"] {
        put(&format!("{pool}ThreadPoolQueueSize"), "0".into());
        put(
            &format!("{pool}ThreadPoolQueueHeadWaitTimeMills"),
            "0".into(),
        );
    }
    put("pageCacheLockTimeMills", "0".into());
    put("EndTransactionQueueSize", "0".into());
    // As Java: messages stored since start (`putMessageTimesTotal`), and 0 = sends accepted
    // from the start (`startAcceptSendRequestTimeStamp`).
    put("putMessageTimesTotal", puts.to_string());
    put("startAcceptSendRequestTimeStamp", "0".into());
    for k in ["timerReadBehind", "timerOffsetBehind", "timerCongestNum"] {
        put(k, "0".into());
    }
    put("timerEnqueueTps", "0.0".into());
    put("timerDequeueTps", "0.0".into());
    let min = b.store.commit_log_min_offset();
    put("commitLogMinOffset", min.to_string());
    put(
        "commitLogMaxOffset",
        b.store.commit_log_max_offset().to_string(),
    );
    let earliest = b
        .store
        .look_message_by_offset(min)
        .and_then(|rec| MessageExt::decode_all(&rec).ok())
        .and_then(|msgs| msgs.first().map(|m| m.store_timestamp));
    // Java sends -1 for an empty store; mqadmin then shows a large age. Empty is skipped.
    put(
        "earliestMessageTimeStamp",
        earliest.map(|t| t.to_string()).unwrap_or_default(),
    );
    put(
        "commitLogDiskRatio",
        format!("{:.4}", b.store.disk_used_ratio()),
    );
    put(
        "bootTimestamp",
        (now - uptime.as_millis() as i64).to_string(),
    );
    put("runtime", format!("[ {} seconds ]", uptime.as_secs()));
    put("brokerActive", "true".into());
    put("pullHeldRequests", b.holds.len().to_string());
    put(
        "producerConnections",
        b.producers.connection_count().to_string(),
    );
    put(
        "consumerGroupsOnline",
        b.consumers.group_names().len().to_string(),
    );
    Some(json_response(req, &KvTable { table: t }))
}

/// GET_CONSUME_STATS (208): per queue broker offset, consumer offset and last store time.
///
/// The body uses fastjson's object-keyed map form, which Java tools expect.
pub fn consume_stats(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, GetConsumeStatsRequestHeader);
    let mut topics: Vec<String> = match h.topic.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => vec![t.to_owned()],
        None => {
            let mut t = b.offsets.topics_of_group(&h.consumer_group);
            if let Some(g) = b.consumers.group(&h.consumer_group) {
                t.extend(g.subscriptions.keys().cloned());
            }
            t
        }
    };
    // As Java: without a topic, an online group's topics it no longer subscribes to are left
    // out (its retry topic, which it subscribes to, stays).
    if h.topic.as_deref().is_none_or(str::is_empty) {
        if let Some(g) = b.consumers.group(&h.consumer_group) {
            if !g.subscriptions.is_empty() {
                topics.retain(|t| g.subscriptions.contains_key(t));
            }
        }
    }
    topics.sort();
    topics.dedup();
    let now = rmq_core::clock::now_ms();
    let tps: f64 = topics
        .iter()
        .map(|t| b.stats.group_get_tps(&h.consumer_group, t, now))
        .sum();
    let mut out = format!("{{\"consumeTps\":{tps:?},\"offsetTable\":{{");
    let mut first = true;
    for topic in &topics {
        let Some(cfg) = b.topics.get(topic) else {
            continue;
        };
        for queue_id in 0..cfg.read_queue_nums {
            let broker_offset = b.store.max_offset_in_queue(topic, queue_id);
            let consumer_offset = b
                .offsets
                .query(&h.consumer_group, topic, queue_id)
                .unwrap_or(0)
                .max(0);
            let last_timestamp = if consumer_offset > 0 {
                b.store
                    .store_time_of(topic, queue_id, consumer_offset - 1)
                    .unwrap_or(0)
            } else {
                0
            };
            if !first {
                out.push(',');
            }
            first = false;
            let key = serde_json::json!({"brokerName": b.config.broker_name, "queueId": queue_id, "topic": topic});
            let _ = write!(
                out,
                "{key}:{{\"brokerOffset\":{broker_offset},\"consumerOffset\":{consumer_offset},\"lastTimestamp\":{last_timestamp},\"pullOffset\":{consumer_offset}}}"
            );
        }
    }
    out.push_str("}}");
    Some(req.success_to().with_body(out.into_bytes()))
}

/// GET_CONSUMER_CONNECTION_LIST (203).
pub fn consumer_connections(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, GetConsumerConnectionListRequestHeader);
    let Some(group) = b.consumers.group(&h.consumer_group) else {
        return Some(req.error_to(
            ResponseCode::ConsumerNotOnline,
            format!("the consumer group[{}] not online", h.consumer_group),
        ));
    };
    let body = ConsumerConnection {
        connection_set: b.consumers.connections(&h.consumer_group),
        subscription_table: group.subscriptions.into_iter().collect(),
        consume_type: group.consume_type,
        message_model: group.message_model,
        consume_from_where: group.consume_from_where,
    };
    Some(json_response(req, &body))
}

/// GET_ALL_CONSUMER_OFFSET (43).
pub fn all_consumer_offsets(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let mut table = BTreeMap::new();
    for group in b.groups.all().keys() {
        for topic in b.offsets.topics_of_group(group) {
            table.insert(format!("{topic}@{group}"), b.offsets.offsets(group, &topic));
        }
    }
    Some(json_response(
        req,
        &serde_json::json!({ "offsetTable": table }),
    ))
}

/// GET_ALL_DELAY_OFFSET (45).
pub fn all_delay_offsets(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    Some(json_response(
        req,
        &serde_json::json!({ "offsetTable": b.schedule.offsets() }),
    ))
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
pub fn all_subscription_groups(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    Some(json_response(
        req,
        &serde_json::json!({ "subscriptionGroupTable": b.groups.all(), "dataVersion": {"counter": 0, "timestamp": 0} }),
    ))
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200).
pub fn update_subscription_group(
    b: &BrokerInner,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let cfg = body_or_reply!(req, SubscriptionGroupConfig);
    if cfg.group_name.is_empty() {
        return Some(req.error_to(ResponseCode::SystemError, "groupName is empty"));
    }
    match b.groups.update(cfg) {
        Ok(()) => Some(req.success_to()),
        Err(e) => Some(req.error_to(ResponseCode::SystemError, e.to_string())),
    }
}
