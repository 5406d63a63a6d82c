//! Consumers: the push consumer (rebalance, per-queue pull loops feeding process queues, a
//! bounded listener pool, offsets, retries) and the lite pull consumer (assign or subscribe,
//! background pulls into a bounded buffer, `poll`).

mod allocate;
mod base;
mod consume;
mod consume_orderly;
mod lifecycle;
mod lite_config;
mod lite_inner;
mod lite_pull;
mod lite_pull_task;
mod lite_service;
mod offset_store;
mod process_queue;
mod pull;
mod pull_loop;
mod push;
mod push_inner;
mod push_service;
mod queue_lock;
mod registry;
mod reset_offset;
mod running_info;
mod send_back;
mod timers;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use allocate::{allocate_averagely, allocate_averagely_by_circle, AllocateStrategy};
pub use lite_config::LitePullConsumerConfig;
pub use lite_pull::DefaultLitePullConsumer;
pub use offset_store::RemoteOffsetStore;
pub use push::DefaultMqPushConsumer;
pub use registry::ConsumerRegistry;

use crate::protocol::body::SubscriptionData;
pub use crate::protocol::body::{
    CmResult, ConsumeFromWhere, ConsumeMessageDirectlyResult, ConsumerRunningInfo, MessageModel,
    ProcessQueueInfo,
};
use crate::protocol::message::MessageExt;

/// What a concurrent listener answers for a batch of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeConcurrentlyStatus {
    /// Consumed: the offset may move past them.
    ConsumeSuccess,
    /// Failed: redeliver later through the retry topic (then the DLQ).
    ReconsumeLater,
}

/// A concurrent message listener.
pub trait MessageListenerConcurrently: Send + Sync + 'static {
    /// Consumes a batch (`consume_message_batch_max_size` messages, 1 by default). A panic
    /// counts as `ReconsumeLater`.
    fn consume_message(
        &self,
        msgs: Vec<MessageExt>,
    ) -> Pin<Box<dyn Future<Output = ConsumeConcurrentlyStatus> + Send + '_>>;
}

/// What an orderly listener answers for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeOrderlyStatus {
    /// Consumed: the next message of the queue follows.
    Success,
    /// Failed: pause the queue for `suspend_current_queue_time_millis`, then retry it.
    SuspendCurrentQueueAMoment,
}

/// An orderly listener: one message at a time per queue, queues locked on the broker.
pub trait MessageListenerOrderly: Send + Sync + 'static {
    /// Consumes one message of a queue. A panic counts as `SuspendCurrentQueueAMoment`.
    fn consume_message(
        &self,
        msg: MessageExt,
    ) -> Pin<Box<dyn Future<Output = ConsumeOrderlyStatus> + Send + '_>>;
}

/// An orderly listener from an async closure.
pub struct OrderlyListenerFn<F>(pub F);

impl<F, Fut> MessageListenerOrderly for OrderlyListenerFn<F>
where
    F: Fn(MessageExt) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ConsumeOrderlyStatus> + Send + 'static,
{
    fn consume_message(
        &self,
        msg: MessageExt,
    ) -> Pin<Box<dyn Future<Output = ConsumeOrderlyStatus> + Send + '_>> {
        Box::pin((self.0)(msg))
    }
}

/// A listener from an async closure.
pub struct ListenerFn<F>(pub F);

impl<F, Fut> MessageListenerConcurrently for ListenerFn<F>
where
    F: Fn(Vec<MessageExt>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ConsumeConcurrentlyStatus> + Send + 'static,
{
    fn consume_message(
        &self,
        msgs: Vec<MessageExt>,
    ) -> Pin<Box<dyn Future<Output = ConsumeConcurrentlyStatus> + Send + '_>> {
        Box::pin((self.0)(msgs))
    }
}

/// How a subscription filters: by tag on the client and broker, or by an SQL92 expression
/// over message properties on the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpressionType {
    /// `*` or `TagA || TagB`.
    #[default]
    Tag,
    /// An SQL92 expression; the broker needs `enablePropertyFilter=true`.
    Sql92,
}

impl ExpressionType {
    /// The wire name: `TAG` or `SQL92`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpressionType::Tag => "TAG",
            ExpressionType::Sql92 => "SQL92",
        }
    }
}

/// A subscription filter (`MessageSelector`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSelector {
    /// Tag or SQL92.
    pub expression_type: ExpressionType,
    /// The expression.
    pub expression: String,
}

impl MessageSelector {
    /// A tag expression: `*` or `TagA || TagB`.
    pub fn by_tag(expression: impl Into<String>) -> Self {
        MessageSelector {
            expression_type: ExpressionType::Tag,
            expression: expression.into(),
        }
    }

    /// An SQL92 expression over message properties, e.g. `a > 5 AND b = 'x'`.
    pub fn sql92(expression: impl Into<String>) -> Self {
        MessageSelector {
            expression_type: ExpressionType::Sql92,
            expression: expression.into(),
        }
    }

    /// The subscription sent to brokers for `topic` (already namespaced).
    pub(crate) fn subscription(&self, topic: &str, sub_version: i64) -> SubscriptionData {
        match self.expression_type {
            ExpressionType::Tag => {
                SubscriptionData::from_expression(topic, &self.expression, sub_version)
            }
            ExpressionType::Sql92 => SubscriptionData {
                topic: topic.to_owned(),
                sub_string: self.expression.trim().to_owned(),
                sub_version,
                expression_type: ExpressionType::Sql92.as_str().to_owned(),
                ..Default::default()
            },
        }
    }
}

/// Push consumer settings with RocketMQ's defaults.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Consumer group.
    pub consumer_group: String,
    /// Clustering (default) or broadcasting.
    pub message_model: MessageModel,
    /// Where a group without a committed offset starts (last offset).
    pub consume_from_where: ConsumeFromWhere,
    /// With `ConsumeFromTimestamp`: the start time in ms.
    pub consume_timestamp: i64,
    /// Upper bound of listener calls in flight across the consumer (20).
    pub consume_thread_max: usize,
    /// Messages per listener call (1).
    pub consume_message_batch_max_size: usize,
    /// Messages per pull (32).
    pub pull_batch_size: i32,
    /// Pulling on a queue pauses while it caches more than this many messages (1000).
    pub pull_threshold_for_queue: usize,
    /// Pulling on a queue pauses while its cached bodies exceed this many MiB (100).
    pub pull_threshold_size_for_queue: usize,
    /// Concurrent listeners: pulling on a queue pauses while the offsets it holds span more
    /// than this (a message stuck in the listener holds back the queue; 2000).
    pub consume_concurrently_max_span: i64,
    /// Redeliveries before the DLQ; −1 means 16 for concurrent listeners and "retry forever"
    /// for orderly ones (as Java).
    pub max_reconsume_times: i32,
    /// Delay level of a failed message's redelivery: 0 lets the broker decide (3 +
    /// reconsume times), −1 sends it straight to the DLQ, > 0 is that level.
    pub delay_level_when_next_consume: i32,
    /// A listener call running longer than this has its message sent back (delay level 3)
    /// and dropped from the process queue (15 min).
    pub consume_timeout: Duration,
    /// How often calls are checked against `consume_timeout` (Java: every `consume_timeout`).
    pub consume_timeout_check_interval: Duration,
    /// How the group's queues are divided among its members.
    pub allocate_strategy: AllocateStrategy,
    /// Rebalance period (20 s).
    pub rebalance_interval: Duration,
    /// Heartbeat period (30 s).
    pub heartbeat_interval: Duration,
    /// Offset commit period (5 s).
    pub persist_consumer_offset_interval: Duration,
    /// How long a pull may be held by the broker (15 s).
    pub broker_suspend_max_time: Duration,
    /// How long shutdown waits for in-flight listener calls.
    pub await_termination: Duration,
    /// Broadcasting offsets live in `<dir>/<ip@instance>/<group>/offsets.json`; default
    /// `~/.rocketmq_offsets`.
    pub offset_store_dir: Option<std::path::PathBuf>,
    /// Pause of an orderly queue after `SuspendCurrentQueueAMoment` (1000 ms).
    pub suspend_current_queue_time_millis: u64,
    /// Instance name of the broadcasting offsets file (`DEFAULT`): give each broadcasting
    /// consumer of a machine its own.
    pub instance_name: String,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            consumer_group: "DEFAULT_CONSUMER".into(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: 0,
            consume_thread_max: 20,
            consume_message_batch_max_size: 1,
            pull_batch_size: 32,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100,
            consume_concurrently_max_span: 2000,
            max_reconsume_times: -1,
            delay_level_when_next_consume: 0,
            consume_timeout: Duration::from_secs(15 * 60),
            consume_timeout_check_interval: Duration::from_secs(15 * 60),
            allocate_strategy: AllocateStrategy::Averagely,
            rebalance_interval: Duration::from_secs(20),
            heartbeat_interval: Duration::from_secs(30),
            persist_consumer_offset_interval: Duration::from_secs(5),
            broker_suspend_max_time: Duration::from_secs(15),
            await_termination: Duration::from_secs(15),
            offset_store_dir: None,
            suspend_current_queue_time_millis: 1000,
            instance_name: "DEFAULT".into(),
        }
    }
}

/// The text of a panic payload.
pub(crate) fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "listener panicked".to_owned())
}

/// A message as a pull returns it, for unit tests.
#[cfg(test)]
pub(crate) fn sample_message(topic: &str, body: &str) -> MessageExt {
    let host: std::net::SocketAddr = ([127, 0, 0, 1], 10911).into();
    MessageExt {
        topic: topic.to_owned(),
        flag: 0,
        properties: std::collections::HashMap::new(),
        body: bytes::Bytes::copy_from_slice(body.as_bytes()),
        queue_id: 0,
        store_size: 0,
        queue_offset: 0,
        sys_flag: 0,
        born_timestamp: 0,
        born_host: host,
        store_timestamp: 0,
        store_host: host,
        commit_log_offset: 0,
        body_crc: 0,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}
