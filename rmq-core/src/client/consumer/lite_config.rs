//! The lite pull consumer's settings ([`LitePullConsumerConfig`]) with RocketMQ's defaults.

use std::time::Duration;

use super::AllocateStrategy;
use crate::protocol::body::{ConsumeFromWhere, MessageModel};

/// Lite pull consumer settings with RocketMQ's defaults (`DefaultLitePullConsumer`).
#[derive(Debug, Clone)]
pub struct LitePullConsumerConfig {
    /// Consumer group (offsets are kept per group).
    pub consumer_group: String,
    /// Clustering (default: the group shares the queues) or broadcasting (subscribe mode).
    pub message_model: MessageModel,
    /// Where a queue without a committed offset starts (last offset).
    pub consume_from_where: ConsumeFromWhere,
    /// With `ConsumeFromTimestamp`: the start time in ms (0: half an hour ago).
    pub consume_timestamp: i64,
    /// How the group's queues are divided among its members (subscribe mode).
    pub allocate_strategy: AllocateStrategy,
    /// Messages per pull, and at most per `poll` (10).
    pub pull_batch_size: i32,
    /// Pulling pauses while the buffer holds more than this many messages (10000).
    pub pull_threshold_for_all: usize,
    /// Pulling on a queue pauses while it caches more than this many messages (1000).
    pub pull_threshold_for_queue: usize,
    /// Pulling on a queue pauses while its cached bodies exceed this many MiB (100).
    pub pull_threshold_size_for_queue: usize,
    /// Pulling on a queue pauses while the offsets it holds span more than this (2000).
    pub consume_max_span: i64,
    /// The poll timeout callers use by default (5 s); `poll` takes its own.
    pub poll_timeout: Duration,
    /// Commit polled offsets to the broker every `auto_commit_interval` (on).
    pub auto_commit: bool,
    /// Auto-commit period (5 s, at least 1 s).
    pub auto_commit_interval: Duration,
    /// How long a pull may be held by the broker (20 s).
    pub broker_suspend_max_time: Duration,
    /// Timeout of a held pull (30 s).
    pub consumer_timeout_when_suspend: Duration,
    /// Rebalance period (20 s).
    pub rebalance_interval: Duration,
    /// Heartbeat period (30 s).
    pub heartbeat_interval: Duration,
    /// Broadcasting offsets directory (default `~/.rocketmq_offsets`).
    pub offset_store_dir: Option<std::path::PathBuf>,
    /// Instance name of the broadcasting offsets file (`DEFAULT`).
    pub instance_name: String,
}

impl Default for LitePullConsumerConfig {
    fn default() -> Self {
        LitePullConsumerConfig {
            consumer_group: "DEFAULT_CONSUMER".into(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: 0,
            allocate_strategy: AllocateStrategy::Averagely,
            pull_batch_size: 10,
            pull_threshold_for_all: 10_000,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100,
            consume_max_span: 2000,
            poll_timeout: Duration::from_secs(5),
            auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            broker_suspend_max_time: Duration::from_secs(20),
            consumer_timeout_when_suspend: Duration::from_secs(30),
            rebalance_interval: Duration::from_secs(20),
            heartbeat_interval: Duration::from_secs(30),
            offset_store_dir: None,
            instance_name: "DEFAULT".into(),
        }
    }
}
