//! The lite pull consumer's state ([`LiteInner`]): mode, held queues with their offsets, the
//! poll buffer; and what works on it without spawning anything (releasing a queue, commits,
//! running info). The tasks live in `lite_service` / `lite_pull_task`, which import this
//! module (never the other way round).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::base::{base_config, ConsumerBase};
use super::lifecycle::Lifecycle;
use super::lite_config::LitePullConsumerConfig;
use super::process_queue::ProcessQueue;
use super::registry::{BoxFuture, ConsumerInner};
use super::running_info::running_info;
use crate::client::{ClientConfig, ClientError};
use crate::protocol::body::{
    ConsumeMessageDirectlyResult, ConsumeType, ConsumerRunningInfo, MessageQueue,
    PROP_CONSUME_ORDERLY, PROP_THREADPOOL_CORE_SIZE,
};
use crate::protocol::message::MessageExt;

/// How the consumer got its queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Neither yet.
    Unset,
    /// `subscribe`: the group rebalances the topics' queues.
    Subscribe,
    /// `assign`: the application picks the queues.
    Assign,
}

/// Offsets of one assigned queue.
pub(super) struct QueueState {
    /// The next offset to pull.
    pub(super) pull_offset: AtomicI64,
    /// The offset after what was polled (−1: nothing polled yet).
    pub(super) consume_offset: AtomicI64,
}

/// A held queue: its process queue, offsets and pull task.
pub(super) struct LiteQueue {
    pub(super) pq: Arc<ProcessQueue>,
    pub(super) state: Arc<QueueState>,
    pub(super) task: JoinHandle<()>,
}

/// Messages of one pull, waiting for `poll`.
pub(super) struct ConsumeRequest {
    pub(super) msgs: Vec<MessageExt>,
    pub(super) pq: Arc<ProcessQueue>,
    pub(super) state: Arc<QueueState>,
}

/// The lite pull consumer's state, shared by its tasks.
pub(super) struct LiteInner {
    pub(super) config: LitePullConsumerConfig,
    pub(super) base: ConsumerBase,
    pub(super) mode: Mutex<Mode>,
    /// Assigned queues (wire names).
    pub(super) queues: tokio::sync::Mutex<BTreeMap<MessageQueue, LiteQueue>>,
    pub(super) cache: Mutex<VecDeque<ConsumeRequest>>,
    pub(super) cache_notify: Notify,
    /// The last rebalance was incomplete (or the subscription changed): again within 1 s.
    pub(super) retry_soon: AtomicBool,
    /// The background work runs (started by `start` or `assign`).
    pub(super) running: AtomicBool,
    /// Created, started, shut down; stops every task on shutdown.
    pub(super) life: Lifecycle,
}

impl LiteInner {
    /// A stopped consumer with `config`.
    pub(super) fn new(
        client: ClientConfig,
        config: LitePullConsumerConfig,
    ) -> Result<Self, ClientError> {
        let base = ConsumerBase::new(client, base_config!(config, ConsumeType::ConsumeActively))?;
        Ok(LiteInner {
            base,
            mode: Mutex::new(Mode::Unset),
            queues: tokio::sync::Mutex::new(BTreeMap::new()),
            cache: Mutex::new(VecDeque::new()),
            cache_notify: Notify::new(),
            retry_soon: AtomicBool::new(false),
            running: AtomicBool::new(false),
            life: Lifecycle::default(),
            config,
        })
    }

    /// Subscribe or assign mode.
    pub(super) fn mode(&self) -> Mode {
        *self.mode.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The oldest buffered pull of a queue still held.
    pub(super) fn pop_request(&self) -> Option<ConsumeRequest> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(r) = cache.pop_front() {
            if !r.pq.is_dropped() {
                return Some(r);
            }
        }
        None
    }

    /// Pulls waiting for `poll`.
    pub(super) fn buffered(&self) -> usize {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Stops holding a queue; with auto-commit its polled offset is committed first.
    pub(super) async fn release_queue(&self, mq: &MessageQueue, q: LiteQueue) {
        q.pq.set_dropped();
        q.task.abort();
        if self.config.auto_commit {
            let o = q.state.consume_offset.load(Ordering::Acquire);
            if o >= 0 {
                self.base.offsets.set(mq, o);
            }
        }
        self.base.release_offset(mq).await;
        tracing::info!(group = %self.config.consumer_group, queue = %mq, "lite pull queue released");
    }

    /// Copies polled offsets to the offset store and commits them.
    pub(super) async fn commit_all(&self) {
        for (mq, q) in self.queues.lock().await.iter() {
            let o = q.state.consume_offset.load(Ordering::Acquire);
            if o >= 0 && !q.pq.is_dropped() {
                self.base.offsets.set(mq, o);
            }
        }
        self.base.persist_offsets().await;
    }

    /// What GET_CONSUMER_RUNNING_INFO answers for this consumer.
    pub(super) async fn build_running_info(&self) -> ConsumerRunningInfo {
        let c = &self.config;
        let settings = vec![
            ("pullBatchSize", c.pull_batch_size.to_string()),
            ("pullThresholdForAll", c.pull_threshold_for_all.to_string()),
            (
                "pullThresholdForQueue",
                c.pull_threshold_for_queue.to_string(),
            ),
            (
                "pullThresholdSizeForQueue",
                c.pull_threshold_size_for_queue.to_string(),
            ),
            ("pollTimeoutMillis", c.poll_timeout.as_millis().to_string()),
            ("autoCommit", c.auto_commit.to_string()),
            (
                "autoCommitIntervalMillis",
                c.auto_commit_interval.as_millis().to_string(),
            ),
            (PROP_CONSUME_ORDERLY, "false".to_owned()),
            (PROP_THREADPOOL_CORE_SIZE, "-1".to_owned()),
        ];
        let queues = self
            .queues
            .lock()
            .await
            .iter()
            .map(|(q, l)| (q.clone(), l.pq.clone()))
            .collect();
        running_info(&self.base, self.life.start_ms(), settings, queues)
    }
}

impl ConsumerInner for LiteInner {
    fn running_info(&self) -> BoxFuture<'_, ConsumerRunningInfo> {
        Box::pin(self.build_running_info())
    }

    /// A pull consumer has no listener (Java answers SYSTEM_ERROR too).
    fn consume_message_directly(
        &self,
        _msg: MessageExt,
        _broker_name: Option<String>,
    ) -> BoxFuture<'_, Option<ConsumeMessageDirectlyResult>> {
        Box::pin(async { None })
    }
}
