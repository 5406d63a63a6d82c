//! Consumers: the push consumer with its rebalance, pull loops, offsets and retries.

mod allocate;
mod lite_pull;
mod offset_store;
mod pull_loop;
mod push;
mod queue_lock;
mod start_offset;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use allocate::{allocate_averagely, allocate_averagely_by_circle, AllocateStrategy};
pub use lite_pull::DefaultLitePullConsumer;
pub use offset_store::RemoteOffsetStore;
pub use push::DefaultMqPushConsumer;

pub use crate::protocol::body::{ConsumeFromWhere, MessageModel};
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
    /// Consumes a batch (`consume_message_batch_max_size` messages, 1 by default).
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
    /// Consumes one message of a queue.
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
    /// Upper bound of listener calls in flight (20).
    pub consume_thread_max: usize,
    /// Messages per listener call (1).
    pub consume_message_batch_max_size: usize,
    /// Messages per pull (32).
    pub pull_batch_size: i32,
    /// Redeliveries before the DLQ; −1 means 16.
    pub max_reconsume_times: i32,
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
            max_reconsume_times: -1,
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
