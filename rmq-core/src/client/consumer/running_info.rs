//! GET_CONSUMER_RUNNING_INFO's answer, built alike for both consumers: subscriptions, the
//! properties Java's client puts in every answer, the consumer's own settings, and each held
//! queue's process queue with its offset.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::base::ConsumerBase;
use super::process_queue::ProcessQueue;
use super::AllocateStrategy;
use crate::protocol::body::{
    ConsumerRunningInfo, MessageQueue, PROP_CLIENT_VERSION, PROP_CONSUMER_START_TIMESTAMP,
    PROP_CONSUME_TYPE, PROP_NAMESERVER_ADDR,
};

/// The GET_CONSUMER_RUNNING_INFO answer of a consumer: the subscriptions, the common
/// properties, the consumer's own `settings`, and each held queue's process queue with
/// the queue's offset.
pub(super) fn running_info(
    base: &ConsumerBase,
    started_ms: i64,
    settings: Vec<(&str, String)>,
    queues: Vec<(MessageQueue, Arc<ProcessQueue>)>,
) -> ConsumerRunningInfo {
    let mut info = ConsumerRunningInfo {
        subscription_set: base.subscription_set(),
        ..Default::default()
    };
    common_properties(base, &mut info.properties, started_ms);
    info.properties
        .extend(settings.into_iter().map(|(k, v)| (k.to_owned(), v)));
    for (mq, pq) in queues {
        let mut pqi = pq.info();
        pqi.commit_offset = base.offsets.get(&mq).unwrap_or(-1);
        info.mq_table.insert(mq, pqi);
    }
    info
}

/// The settings every `ConsumerRunningInfo` carries, plus the `PROP_*` entries Java's
/// client instance adds (name servers, consume type, client version, start time).
fn common_properties(base: &ConsumerBase, p: &mut BTreeMap<String, String>, started_ms: i64) {
    let mut put = |k: &str, v: String| {
        p.insert(k.to_owned(), v);
    };
    put("consumerGroup", base.group.clone());
    put("messageModel", base.message_model.as_str().to_owned());
    put(
        "consumeFromWhere",
        base.consume_from_where.as_str().to_owned(),
    );
    put("namesrvAddr", base.client.name_server_addr.clone());
    put("instanceName", base.instance_name.clone());
    put("namespace", base.client.namespace.clone());
    put("unitMode", "false".into());
    put(
        "allocateMessageQueueStrategy",
        match base.allocate_strategy {
            AllocateStrategy::Averagely => "AVG",
            AllocateStrategy::AveragelyByCircle => "AVG_BY_CIRCLE",
        }
        .to_owned(),
    );
    let namesrv: String = base
        .client
        .name_server_addr
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| format!("{a};"))
        .collect();
    put(PROP_NAMESERVER_ADDR, namesrv);
    put(PROP_CONSUME_TYPE, base.consume_type.as_str().to_owned());
    put(PROP_CLIENT_VERSION, "V4_9_4".into());
    put(PROP_CONSUMER_START_TIMESTAMP, started_ms.to_string());
}
