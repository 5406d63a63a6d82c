//! The `rocketmq.*` keys, named and defaulted as rocketmq-spring names them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `CLUSTERING` or `BROADCASTING`, as written in `application.yml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageModelName {
    /// Queues shared by the group.
    #[default]
    #[serde(rename = "CLUSTERING")]
    Clustering,
    /// Every member gets everything.
    #[serde(rename = "BROADCASTING")]
    Broadcasting,
}

/// `TAG` or `SQL92`, as written in `application.yml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelectorTypeName {
    /// Tag expression.
    #[default]
    #[serde(rename = "TAG")]
    Tag,
    /// SQL92 over user properties.
    #[serde(rename = "SQL92")]
    Sql92,
}

/// Everything under `rocketmq` in `application.yml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct RocketMqProperties {
    /// `host:port;host:port`. Absent: the embedded broker is started.
    pub name_server: Option<String>,
    /// `LOCAL` or `CLOUD`.
    pub access_channel: Option<String>,
    /// The template's producer.
    pub producer: ProducerProperties,
    /// Listener switches and the default pull consumer of `receive`.
    pub consumer: ConsumerProperties,
    /// The pull consumer of `template.receive` (falls back to `rocketmq.consumer`).
    pub pull_consumer: PullConsumerProperties,
}

/// `rocketmq.producer.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ProducerProperties {
    /// Producer group (the template's producer starts only when it is set or defaulted).
    pub group: Option<String>,
    /// Sync send timeout, ms (3000).
    pub send_message_timeout: u64,
    /// Bodies at least this long are compressed (4096).
    pub compress_message_body_threshold: usize,
    /// Largest body, bytes (4 MiB).
    pub max_message_size: usize,
    /// Extra attempts of a failed sync send (2).
    pub retry_times_when_send_failed: u32,
    /// Extra attempts of a failed async send (2).
    pub retry_times_when_send_async_failed: u32,
    /// Retry on another broker when the store was not OK (false).
    pub retry_next_server: bool,
    /// ACL access key.
    pub access_key: Option<String>,
    /// ACL secret key.
    pub secret_key: Option<String>,
    /// Message trace (false).
    pub enable_msg_trace: bool,
    /// Trace topic (`RMQ_SYS_TRACE_TOPIC`).
    pub customized_trace_topic: String,
    /// Namespace prefixed to topics and the group.
    pub namespace: Option<String>,
    /// Instance name (`DEFAULT`).
    pub instance_name: String,
    /// TLS to the brokers (false).
    pub tls_enable: bool,
}

impl Default for ProducerProperties {
    fn default() -> Self {
        ProducerProperties {
            group: None,
            send_message_timeout: 3000,
            compress_message_body_threshold: 4096,
            max_message_size: 4 * 1024 * 1024,
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            retry_next_server: false,
            access_key: None,
            secret_key: None,
            enable_msg_trace: false,
            customized_trace_topic: "RMQ_SYS_TRACE_TOPIC".into(),
            namespace: None,
            instance_name: "DEFAULT".into(),
            tls_enable: false,
        }
    }
}

/// `rocketmq.consumer.*`: rocketmq-spring's pull-consumer keys plus the listener switches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ConsumerProperties {
    /// Group of the pull consumer.
    pub group: Option<String>,
    /// Topic of the pull consumer.
    pub topic: Option<String>,
    /// `CLUSTERING` or `BROADCASTING`.
    pub message_model: MessageModelName,
    /// `TAG` or `SQL92`.
    pub selector_type: SelectorTypeName,
    /// `*` or `TagA || TagB`.
    pub selector_expression: String,
    /// Messages per `receive` (10).
    pub pull_batch_size: i32,
    /// ACL access key (listeners default to it).
    pub access_key: Option<String>,
    /// ACL secret key (listeners default to it).
    pub secret_key: Option<String>,
    /// Message trace (false).
    pub enable_msg_trace: bool,
    /// Trace topic.
    pub customized_trace_topic: Option<String>,
    /// TLS (false).
    pub tls_enable: bool,
    /// Namespace.
    pub namespace: Option<String>,
    /// Instance name (`DEFAULT`).
    pub instance_name: String,
    /// `<consumer group>.<topic>: false` switches a listener off.
    pub listeners: BTreeMap<String, BTreeMap<String, bool>>,
}

impl Default for ConsumerProperties {
    fn default() -> Self {
        ConsumerProperties {
            group: None,
            topic: None,
            message_model: MessageModelName::Clustering,
            selector_type: SelectorTypeName::Tag,
            selector_expression: "*".into(),
            pull_batch_size: 10,
            access_key: None,
            secret_key: None,
            enable_msg_trace: false,
            customized_trace_topic: None,
            tls_enable: false,
            namespace: None,
            instance_name: "DEFAULT".into(),
            listeners: BTreeMap::new(),
        }
    }
}

impl ConsumerProperties {
    /// Whether the listener of `group` on `topic` is switched on (default: yes).
    pub fn listener_enabled(&self, group: &str, topic: &str) -> bool {
        self.listeners
            .get(group)
            .and_then(|topics| topics.get(topic))
            .copied()
            .unwrap_or(true)
    }
}

/// `rocketmq.pull-consumer.*`: the consumer behind `template.receive`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct PullConsumerProperties {
    /// Consumer group.
    pub group: Option<String>,
    /// Topic.
    pub topic: Option<String>,
    /// `CLUSTERING` or `BROADCASTING`.
    pub message_model: MessageModelName,
    /// `TAG` or `SQL92`.
    pub selector_type: SelectorTypeName,
    /// `*` or `TagA || TagB`.
    pub selector_expression: String,
    /// Messages per `receive` (10).
    pub pull_batch_size: i32,
    /// ACL access key.
    pub access_key: Option<String>,
    /// ACL secret key.
    pub secret_key: Option<String>,
    /// Message trace (false).
    pub enable_msg_trace: bool,
    /// Trace topic.
    pub customized_trace_topic: Option<String>,
    /// TLS (false).
    pub tls_enable: bool,
    /// Namespace.
    pub namespace: Option<String>,
    /// Instance name (`DEFAULT`).
    pub instance_name: String,
}

impl Default for PullConsumerProperties {
    fn default() -> Self {
        PullConsumerProperties {
            group: None,
            topic: None,
            message_model: MessageModelName::Clustering,
            selector_type: SelectorTypeName::Tag,
            selector_expression: "*".into(),
            pull_batch_size: 10,
            access_key: None,
            secret_key: None,
            enable_msg_trace: false,
            customized_trace_topic: None,
            tls_enable: false,
            namespace: None,
            instance_name: "DEFAULT".into(),
        }
    }
}

impl PullConsumerProperties {
    /// The effective pull consumer settings: these when group and topic are set here,
    /// otherwise `rocketmq.consumer.*` (the layout of rocketmq-spring 2.1 and earlier, kept
    /// so such files keep working).
    pub fn or_consumer(&self, consumer: &ConsumerProperties) -> PullConsumerProperties {
        if self.group.is_some() && self.topic.is_some() {
            return self.clone();
        }
        PullConsumerProperties {
            group: consumer.group.clone(),
            topic: consumer.topic.clone(),
            message_model: consumer.message_model,
            selector_type: consumer.selector_type,
            selector_expression: consumer.selector_expression.clone(),
            pull_batch_size: consumer.pull_batch_size,
            access_key: consumer.access_key.clone(),
            secret_key: consumer.secret_key.clone(),
            enable_msg_trace: consumer.enable_msg_trace,
            customized_trace_topic: consumer.customized_trace_topic.clone(),
            tls_enable: consumer.tls_enable,
            namespace: consumer.namespace.clone(),
            instance_name: consumer.instance_name.clone(),
        }
    }
}

/// Every leaf key under `rocketmq` (dotted, kebab-case): what environment variables bind to.
pub const KNOWN_KEYS: &[&str] = &[
    "rocketmq.name-server",
    "rocketmq.access-channel",
    "rocketmq.producer.group",
    "rocketmq.producer.send-message-timeout",
    "rocketmq.producer.compress-message-body-threshold",
    "rocketmq.producer.max-message-size",
    "rocketmq.producer.retry-times-when-send-failed",
    "rocketmq.producer.retry-times-when-send-async-failed",
    "rocketmq.producer.retry-next-server",
    "rocketmq.producer.access-key",
    "rocketmq.producer.secret-key",
    "rocketmq.producer.enable-msg-trace",
    "rocketmq.producer.customized-trace-topic",
    "rocketmq.producer.namespace",
    "rocketmq.producer.instance-name",
    "rocketmq.producer.tls-enable",
    "rocketmq.consumer.group",
    "rocketmq.consumer.topic",
    "rocketmq.consumer.message-model",
    "rocketmq.consumer.selector-type",
    "rocketmq.consumer.selector-expression",
    "rocketmq.consumer.pull-batch-size",
    "rocketmq.consumer.access-key",
    "rocketmq.consumer.secret-key",
    "rocketmq.consumer.enable-msg-trace",
    "rocketmq.consumer.customized-trace-topic",
    "rocketmq.consumer.tls-enable",
    "rocketmq.consumer.namespace",
    "rocketmq.consumer.instance-name",
    "rocketmq.pull-consumer.group",
    "rocketmq.pull-consumer.topic",
    "rocketmq.pull-consumer.message-model",
    "rocketmq.pull-consumer.selector-type",
    "rocketmq.pull-consumer.selector-expression",
    "rocketmq.pull-consumer.pull-batch-size",
    "rocketmq.pull-consumer.access-key",
    "rocketmq.pull-consumer.secret-key",
    "rocketmq.pull-consumer.enable-msg-trace",
    "rocketmq.pull-consumer.customized-trace-topic",
    "rocketmq.pull-consumer.tls-enable",
    "rocketmq.pull-consumer.namespace",
    "rocketmq.pull-consumer.instance-name",
];
