//! The typed attribute model of `#[rocketmq_listener]`, with rocketmq-spring's defaults.

use crate::protocol::body::MessageModel;

/// How `selector_expression` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorType {
    /// `"TagA || TagB"` or `"*"`.
    Tag,
    /// An SQL92 expression over user properties (needs `enablePropertyFilter` on the broker).
    Sql92,
}

/// Concurrent or orderly consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeMode {
    /// Messages of a queue are handled in parallel (bounded by `consume_thread_number`).
    Concurrently,
    /// One message at a time per queue, queues locked on the broker.
    Orderly,
}

/// Every attribute of rocketmq-spring's `@RocketMQMessageListener`, in snake case.
///
/// String values may hold `${key}` or `${key:default}` placeholders, resolved against the
/// configuration when the application starts; an empty string means "not set".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerAttrs {
    /// Consumer group (required).
    pub consumer_group: &'static str,
    /// Topic (required).
    pub topic: &'static str,
    /// TAG (default) or SQL92.
    pub selector_type: SelectorType,
    /// Tag expression or SQL92 expression (`"*"`).
    pub selector_expression: &'static str,
    /// CONCURRENTLY (default) or ORDERLY.
    pub consume_mode: ConsumeMode,
    /// CLUSTERING (default) or BROADCASTING.
    pub message_model: MessageModel,
    /// Upper bound of handler calls in flight (20).
    pub consume_thread_number: i32,
    /// Redeliveries before the DLQ; −1 means 16.
    pub max_reconsume_times: i32,
    /// Minutes a message may be handled before it is redelivered (15).
    pub consume_timeout: i64,
    /// Reply timeout of request-reply listeners, ms (3000).
    pub reply_timeout: i32,
    /// ACL access key (`${rocketmq.consumer.access-key:}`).
    pub access_key: &'static str,
    /// ACL secret key (`${rocketmq.consumer.secret-key:}`).
    pub secret_key: &'static str,
    /// Message trace switch (false).
    pub enable_msg_trace: bool,
    /// Trace topic (`${rocketmq.consumer.customized-trace-topic:}`).
    pub customized_trace_topic: &'static str,
    /// Name server of this listener only (`${rocketmq.name-server:}`).
    pub name_server: &'static str,
    /// LOCAL or CLOUD (`${rocketmq.access-channel:}`).
    pub access_channel: &'static str,
    /// `"true"` / `"false"` (`"false"`).
    pub tls_enable: &'static str,
    /// Namespace prefixed to topic and group (`""`).
    pub namespace: &'static str,
    /// Delay level of a redelivery: −1 straight to the DLQ, 0 the broker decides, > 0 that
    /// level (0).
    pub delay_level_when_next_consume: i32,
    /// Pause of an orderly queue after a failure, ms (1000).
    pub suspend_current_queue_time_millis: i32,
    /// How long shutdown waits for handler calls in flight, ms (1000).
    pub await_termination_millis_when_shutdown: i32,
    /// Instance name of the consumer (`"DEFAULT"`).
    pub instance_name: &'static str,
}

impl ListenerAttrs {
    /// The defaults, for a topic and group (what the macro starts from).
    pub const fn new(topic: &'static str, consumer_group: &'static str) -> Self {
        ListenerAttrs {
            consumer_group,
            topic,
            selector_type: SelectorType::Tag,
            selector_expression: "*",
            consume_mode: ConsumeMode::Concurrently,
            message_model: MessageModel::Clustering,
            consume_thread_number: 20,
            max_reconsume_times: -1,
            consume_timeout: 15,
            reply_timeout: 3000,
            access_key: "${rocketmq.consumer.access-key:}",
            secret_key: "${rocketmq.consumer.secret-key:}",
            enable_msg_trace: false,
            customized_trace_topic: "${rocketmq.consumer.customized-trace-topic:}",
            name_server: "${rocketmq.name-server:}",
            access_channel: "${rocketmq.access-channel:}",
            tls_enable: "false",
            namespace: "",
            delay_level_when_next_consume: 0,
            suspend_current_queue_time_millis: 1000,
            await_termination_millis_when_shutdown: 1000,
            instance_name: "DEFAULT",
        }
    }
}
