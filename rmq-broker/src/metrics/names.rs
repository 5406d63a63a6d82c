//! Metric names, label keys and label values as the Apache 5.x broker exports them
//! (`BrokerMetricsConstant`, `DefaultStoreMetricsConstant`, `RemotingMetricsConstant`), and
//! rmq's own.
//!
//! Names are the sample names Java's OpenTelemetry Prometheus exporter writes: the unit is
//! appended (`rocketmq_storage_size_bytes`, `rocketmq_rpc_latency_milliseconds`).

use rmq_core::protocol::{RequestCode, ResponseCode};

/// `otel_scope_name` of every Java broker sample.
pub const SCOPE_NAME: &str = "broker-meter";

pub const MESSAGES_IN_TOTAL: &str = "rocketmq_messages_in_total";
pub const MESSAGES_OUT_TOTAL: &str = "rocketmq_messages_out_total";
pub const THROUGHPUT_IN_TOTAL: &str = "rocketmq_throughput_in_total";
pub const THROUGHPUT_OUT_TOTAL: &str = "rocketmq_throughput_out_total";
pub const MESSAGE_SIZE: &str = "rocketmq_message_size";
pub const RPC_LATENCY: &str = "rocketmq_rpc_latency_milliseconds";
pub const TOPIC_CREATE_EXECUTION_TIME: &str = "rocketmq_topic_create_execution_time_milliseconds";
pub const CONSUMER_GROUP_CREATE_EXECUTION_TIME: &str =
    "rocketmq_consumer_group_create_execution_time_milliseconds";
pub const SEND_TO_DLQ_MESSAGES_TOTAL: &str = "rocketmq_send_to_dlq_messages_total";
pub const TIMER_ENQUEUE_LAG: &str = "rocketmq_timer_enqueue_lag";
pub const TIMER_ENQUEUE_LATENCY: &str = "rocketmq_timer_enqueue_latency_milliseconds";
pub const PROCESSOR_WATERMARK: &str = "rocketmq_processor_watermark";
pub const BROKER_PERMISSION: &str = "rocketmq_broker_permission";
pub const TOPIC_NUMBER: &str = "rocketmq_topic_number";
pub const CONSUMER_GROUP_NUMBER: &str = "rocketmq_consumer_group_number";
pub const PRODUCER_CONNECTIONS: &str = "rocketmq_producer_connections";
pub const CONSUMER_CONNECTIONS: &str = "rocketmq_consumer_connections";
pub const CONSUMER_LAG_MESSAGES: &str = "rocketmq_consumer_lag_messages";
pub const CONSUMER_LAG_LATENCY: &str = "rocketmq_consumer_lag_latency_milliseconds";
pub const CONSUMER_INFLIGHT_MESSAGES: &str = "rocketmq_consumer_inflight_messages";
pub const CONSUMER_QUEUEING_LATENCY: &str = "rocketmq_consumer_queueing_latency_milliseconds";
pub const CONSUMER_READY_MESSAGES: &str = "rocketmq_consumer_ready_messages";
pub const STORAGE_SIZE: &str = "rocketmq_storage_size_bytes";
pub const STORAGE_FLUSH_BEHIND: &str = "rocketmq_storage_flush_behind_bytes";
pub const STORAGE_DISPATCH_BEHIND: &str = "rocketmq_storage_dispatch_behind_bytes";
pub const STORAGE_MESSAGE_RESERVE_TIME: &str = "rocketmq_storage_message_reserve_time_milliseconds";

/// rmq's own: commit-log append (and sync-flush wait) latency of each put.
pub const RMQ_STORE_PUT_LATENCY: &str = "rmq_store_put_latency_microseconds";
/// rmq's own: duration of each commit-log flush (fsync) by the flush thread.
pub const RMQ_STORE_FLUSH_LATENCY: &str = "rmq_store_flush_latency_microseconds";
/// rmq's own: pulls held by long polling now.
pub const RMQ_HELD_PULLS: &str = "rmq_held_pulls";
/// rmq's own: open remoting connections of the broker.
pub const RMQ_CONNECTIONS: &str = "rmq_connections";

/// `protocol_type` of every remoting sample.
pub const PROTOCOL_REMOTING: &str = "remoting";

/// `message_type` of an incoming message (Java's `TopicMessageType.getMetricsValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum MessageType {
    Normal = 0,
    Fifo = 1,
    Delay = 2,
    Transaction = 3,
}

impl MessageType {
    /// Every type, in index order.
    pub const ALL: [MessageType; 4] = [
        MessageType::Normal,
        MessageType::Fifo,
        MessageType::Delay,
        MessageType::Transaction,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            MessageType::Normal => "normal",
            MessageType::Fifo => "fifo",
            MessageType::Delay => "delay",
            MessageType::Transaction => "transaction",
        }
    }

    /// The type of a message with these (encoded) properties, as Java decides it:
    /// transaction, else FIFO (sharding key), else delay (level or timer), else normal.
    pub fn of_properties(props: &str) -> MessageType {
        // One byte scan over `key\u{1}value\u{2}` pairs (this runs on every send); only
        // pairs whose key starts like one of the keys below are looked at.
        let b = props.as_bytes();
        let (mut fifo, mut delay) = (false, false);
        let mut i = 0;
        while i < b.len() {
            let end = b[i..]
                .iter()
                .position(|&c| c == 2)
                .map_or(b.len(), |p| i + p);
            let pair = &b[i..end];
            if matches!(pair.first(), Some(b'T' | b'_' | b'D')) {
                if let Some(sep) = pair.iter().position(|&c| c == 1) {
                    let (k, v) = (&pair[..sep], &pair[sep + 1..]);
                    match k {
                        b"TRAN_MSG" if v.eq_ignore_ascii_case(b"true") => {
                            return MessageType::Transaction
                        }
                        b"__SHARDINGKEY" => fifo = true,
                        b"__STARTDELIVERTIME"
                        | b"DELAY"
                        | b"TIMER_DELIVER_MS"
                        | b"TIMER_DELAY_SEC"
                        | b"TIMER_DELAY_MS" => delay = true,
                        _ => {}
                    }
                }
            }
            i = end + 1;
        }
        if fifo {
            MessageType::Fifo
        } else if delay {
            MessageType::Delay
        } else {
            MessageType::Normal
        }
    }
}

const SYSTEM_TOPICS: &[&str] = &[
    "TBW102",
    "SCHEDULE_TOPIC_XXXX",
    "BenchmarkTest",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRACE_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
    "CHECKPOINT_TOPIC",
];

/// Java's `TopicValidator.isSystemTopic` (the fixed set and the `rmq_sys_` prefix; Java also
/// adds the cluster and broker names at run time: `cluster`/`broker` are those).
pub fn is_system_topic(topic: &str, cluster: &str, broker: &str) -> bool {
    SYSTEM_TOPICS.contains(&topic)
        || topic.starts_with("rmq_sys_")
        || topic == cluster
        || topic == broker
}

/// Java's `BrokerMetricsManager.isSystemGroup`: the `CID_RMQ_SYS_` prefix, any case.
pub fn is_system_group(group: &str) -> bool {
    group
        .get(..12)
        .is_some_and(|p| p.eq_ignore_ascii_case("CID_RMQ_SYS_"))
}

/// Whether a topic is a retry (`%RETRY%`) or dead-letter (`%DLQ%`) topic.
pub fn is_retry_or_dlq(topic: &str) -> bool {
    topic.starts_with("%RETRY%") || topic.starts_with("%DLQ%")
}

/// `CamelCase` → `snake_case` (`SendMessageV2` → `send_message_v2`), the lower-cased Java
/// constant name.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The `request_code` label: Java's `RemotingHelper.getRequestCodeDesc` (the lower-cased
/// constant name, or the number when unknown).
pub fn request_code_desc(code: i32) -> String {
    RequestCode::from_code(code).map_or_else(|| code.to_string(), |c| snake(c.name()))
}

/// The `response_code` label: Java's `RemotingHelper.getResponseCodeDesc`.
pub fn response_code_desc(code: i32) -> String {
    ResponseCode::from_code(code).map_or_else(|| code.to_string(), |c| snake(c.name()))
}

/// Java's `MQVersion.getVersionDesc(v).toLowerCase()` (the `version` label).
pub fn version_desc(version: i32) -> String {
    rmq_core::protocol::version_desc(version).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_descriptions_follow_java_constant_names() {
        assert_eq!(request_code_desc(310), "send_message_v2");
        assert_eq!(request_code_desc(11), "pull_message");
        assert_eq!(request_code_desc(99_999), "99999");
        assert_eq!(response_code_desc(0), "success");
        assert_eq!(response_code_desc(19), "pull_not_found");
    }

    #[test]
    fn version_labels_are_lower_case_names() {
        assert_eq!(version_desc(412), "v5_0_0_snapshot");
        assert_eq!(version_desc(700), "higher_version");
    }

    #[test]
    fn message_type_keys_are_javas() {
        use rmq_core::protocol::message::keys;
        for (k, t) in [
            (keys::TRANSACTION_PREPARED, MessageType::Transaction),
            (keys::SHARDING_KEY, MessageType::Fifo),
            (keys::DELAY_TIME_LEVEL, MessageType::Delay),
            (keys::TIMER_DELIVER_MS, MessageType::Delay),
            (keys::TIMER_DELAY_SEC, MessageType::Delay),
            (keys::TIMER_DELAY_MS, MessageType::Delay),
        ] {
            assert_eq!(
                MessageType::of_properties(&format!("A\u{1}b\u{2}{k}\u{1}true")),
                t
            );
        }
    }

    #[test]
    fn message_types() {
        assert_eq!(MessageType::of_properties(""), MessageType::Normal);
        assert_eq!(
            MessageType::of_properties("TRAN_MSG\u{1}true\u{2}"),
            MessageType::Transaction
        );
        assert_eq!(
            MessageType::of_properties("__SHARDINGKEY\u{1}k\u{2}"),
            MessageType::Fifo
        );
        assert_eq!(
            MessageType::of_properties("DELAY\u{1}3\u{2}"),
            MessageType::Delay
        );
        assert_eq!(
            MessageType::of_properties(
                "KEYS\u{1}k\u{2}TIMER_DELAY_SEC\u{1}3\u{2}__SHARDINGKEY\u{1}s"
            ),
            MessageType::Fifo
        );
        assert_eq!(
            MessageType::of_properties("TRAN_MSG\u{1}false\u{2}UNIQ_KEY\u{1}x"),
            MessageType::Normal
        );
    }

    #[test]
    fn system_names() {
        assert!(is_system_topic("rmq_sys_wheel_timer", "c", "b"));
        assert!(is_system_topic("TBW102", "c", "b"));
        assert!(!is_system_topic("Orders", "c", "b"));
        assert!(is_system_group("cid_rmq_sys_trans"));
        assert!(!is_system_group("g"));
    }
}
