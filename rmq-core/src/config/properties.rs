//! The `rocketmq.*` keys, named and defaulted as rocketmq-spring names them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

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
    /// The web dashboard (`rocketmq.dashboard.*`).
    pub dashboard: DashboardProperties,
}

/// `rocketmq.dashboard.*`: the web dashboard served by `Application`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct DashboardProperties {
    /// Serve the dashboard (false).
    pub enabled: bool,
    /// Listen port (8080, RocketMQ Dashboard's; 0 = ephemeral).
    pub port: u16,
    /// Listen address (`0.0.0.0`).
    pub address: String,
    /// Login user for state-changing calls (unset: no login).
    pub username: Option<String>,
    /// Login password (required with `username`).
    pub password: Option<String>,
    /// Refuse every state-changing call with 403 (false).
    pub read_only: bool,
}

impl Default for DashboardProperties {
    fn default() -> Self {
        DashboardProperties {
            enabled: false,
            port: 8080,
            address: "0.0.0.0".into(),
            username: None,
            password: None,
            read_only: false,
        }
    }
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

/// rocketmq-spring's pull-consumer keys, the same under `rocketmq.consumer` and
/// `rocketmq.pull-consumer`; `L` is what the layout takes under `listeners`
/// ([`ListenerSwitches`] for `rocketmq.consumer`, nothing for `rocketmq.pull-consumer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "kebab-case",
    deny_unknown_fields,
    default,
    bound(
        serialize = "L: Serialize + ListenersField",
        deserialize = "L: Deserialize<'de> + Default"
    )
)]
pub struct ConsumerKeys<L> {
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
    /// ACL access key (under `rocketmq.consumer`, listeners default to it).
    pub access_key: Option<String>,
    /// ACL secret key (under `rocketmq.consumer`, listeners default to it).
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
    /// The listener switches (`rocketmq.consumer` only).
    #[serde(skip_serializing_if = "ListenersField::is_absent")]
    pub listeners: L,
}

impl<L: Default> Default for ConsumerKeys<L> {
    fn default() -> Self {
        ConsumerKeys {
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
            listeners: L::default(),
        }
    }
}

/// `<consumer group>.<topic>: false` switches a listener off.
pub type ListenerSwitches = BTreeMap<String, BTreeMap<String, bool>>;

/// The `listeners` of a layout that has none: the key is rejected as unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NoListeners;

impl<'de> Deserialize<'de> for NoListeners {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::unknown_field(LISTENERS, &[]))
    }
}

/// The key of the listener switches.
const LISTENERS: &str = "listeners";

/// What a consumer layout takes under `listeners`: [`ListenerSwitches`] or [`NoListeners`].
pub trait ListenersField {
    /// Whether the key is left out when serialized (the layout has no such key).
    fn is_absent(&self) -> bool;
}

impl ListenersField for ListenerSwitches {
    fn is_absent(&self) -> bool {
        false
    }
}

impl ListenersField for NoListeners {
    fn is_absent(&self) -> bool {
        true
    }
}

/// `rocketmq.consumer.*`: rocketmq-spring's pull-consumer keys plus the listener switches.
pub type ConsumerProperties = ConsumerKeys<ListenerSwitches>;

/// `rocketmq.pull-consumer.*`: the consumer behind `template.receive`.
pub type PullConsumerProperties = ConsumerKeys<NoListeners>;

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

impl PullConsumerProperties {
    /// The effective pull consumer settings: these when group and topic are set here,
    /// otherwise `rocketmq.consumer.*` (the layout of rocketmq-spring 2.1 and earlier, kept
    /// so such files keep working).
    pub fn or_consumer(&self, consumer: &ConsumerProperties) -> PullConsumerProperties {
        if self.group.is_some() && self.topic.is_some() {
            return self.clone();
        }
        ConsumerKeys {
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
            listeners: NoListeners,
        }
    }
}

/// Every leaf key under `rocketmq` (dotted, kebab-case): what environment variables bind to.
/// Read off the serialized defaults, so each key is written once, in its struct.
pub static KNOWN_KEYS: LazyLock<Vec<String>> = LazyLock::new(|| {
    fn leaves(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
        if let serde_json::Value::Object(map) = value {
            for (key, value) in map {
                let key = format!("{prefix}.{key}");
                match value {
                    serde_json::Value::Object(_) => leaves(&key, value, out),
                    _ => out.push(key),
                }
            }
        }
    }
    let mut keys = Vec::new();
    let defaults = serde_json::to_value(RocketMqProperties::default()).unwrap_or_default();
    leaves("rocketmq", &defaults, &mut keys);
    keys
});

/// The keys allowed directly under `section` (dotted), given those its struct `expected`.
/// Under `rocketmq.pull-consumer`, whose struct has a `listeners` field only to reject it, they
/// are the known keys instead.
pub(crate) fn allowed_keys(section: &str, expected: &[&str]) -> String {
    if section != PULL_CONSUMER_SECTION {
        return expected.join(", ");
    }
    let prefix = format!("{section}.");
    KNOWN_KEYS
        .iter()
        .filter_map(|key| key.strip_prefix(&prefix))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The section of [`PullConsumerProperties`].
const PULL_CONSUMER_SECTION: &str = "rocketmq.pull-consumer";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_list_both_consumer_layouts() {
        assert_eq!(KNOWN_KEYS.len(), 48, "{:?}", *KNOWN_KEYS);
        for section in ["consumer", "pull-consumer"] {
            let keys: Vec<&str> = KNOWN_KEYS
                .iter()
                .filter_map(|k| k.strip_prefix(&format!("rocketmq.{section}.")))
                .collect();
            assert_eq!(keys.len(), 13, "{section}: {keys:?}");
            assert!(keys.contains(&"pull-batch-size"), "{keys:?}");
            assert!(!keys.contains(&LISTENERS), "{keys:?}");
            assert_eq!(
                allowed_keys(&format!("rocketmq.{section}"), &["group", "topic"]),
                if section == "consumer" {
                    "group, topic".to_owned()
                } else {
                    keys.join(", ")
                }
            );
        }
        assert!(KNOWN_KEYS.iter().any(|k| k == "rocketmq.name-server"));
        assert!(KNOWN_KEYS
            .iter()
            .any(|k| k == "rocketmq.producer.retry-times-when-send-async-failed"));
    }

    #[test]
    fn both_layouts_share_their_defaults() {
        let consumer = ConsumerProperties::default();
        let pull = PullConsumerProperties::default();
        assert_eq!(pull.or_consumer(&consumer), pull);
        assert_eq!(pull.pull_batch_size, 10);
        assert_eq!(pull.selector_expression, "*");
        assert_eq!(pull.instance_name, "DEFAULT");
        assert!(consumer.listeners.is_empty());
    }
}
