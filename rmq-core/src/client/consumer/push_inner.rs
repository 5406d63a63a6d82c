//! The push consumer's state ([`PushInner`]): settings, listener, assigned queues and their
//! tasks, the listener permits; and what it answers without spawning anything (running info,
//! CONSUME_MESSAGE_DIRECTLY). The tasks live in `push_service` / `pull_loop`, which import
//! this module (never the other way round).

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use super::base::{base_config, ConsumerBase};
use super::lifecycle::Lifecycle;
use super::process_queue::ProcessQueue;
use super::registry::{BoxFuture, ConsumerInner};
use super::running_info::running_info;
use super::{
    panic_text, ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, ConsumerConfig,
    MessageListenerConcurrently, MessageListenerOrderly,
};
use crate::client::{ClientConfig, ClientError};
use crate::protocol::body::{
    CmResult, ConsumeMessageDirectlyResult, ConsumeType, ConsumerRunningInfo, MessageModel,
    MessageQueue, PROP_CONSUME_ORDERLY, PROP_THREADPOOL_CORE_SIZE,
};
use crate::protocol::message::MessageExt;

/// The tasks of one assigned queue.
pub(super) struct QueueTask {
    pub(super) pq: Arc<ProcessQueue>,
    pub(super) pull: JoinHandle<()>,
    /// Orderly: the task handing the queue's messages to the listener one at a time.
    pub(super) worker: Option<JoinHandle<()>>,
}

/// The application's listener.
pub(super) enum Listener {
    /// Batches, many at a time.
    Concurrently(Arc<dyn MessageListenerConcurrently>),
    /// One message at a time per locked queue.
    Orderly(Arc<dyn MessageListenerOrderly>),
}

/// The push consumer's state, shared by its tasks.
pub(super) struct PushInner {
    pub(super) config: ConsumerConfig,
    pub(super) base: ConsumerBase,
    pub(super) listener: Listener,
    /// The last rebalance was incomplete (a topic without a route yet, queues not locked):
    /// rebalance again within a second instead of waiting for the next period.
    pub(super) retry_soon: AtomicBool,
    pub(super) queues: tokio::sync::Mutex<HashMap<MessageQueue, QueueTask>>,
    /// Listener calls in flight across the consumer.
    pub(super) permits: Arc<Semaphore>,
    /// Listener calls (and orderly workers): shutdown waits for them.
    pub(super) tracker: TaskTracker,
    /// Created, started, shut down; stops every task on shutdown.
    pub(super) life: Lifecycle,
}

impl PushInner {
    /// A stopped consumer of `config.consumer_group` with `listener`.
    pub(super) fn new(
        client: ClientConfig,
        config: ConsumerConfig,
        listener: Listener,
    ) -> Result<Self, ClientError> {
        let base = ConsumerBase::new(client, base_config!(config, ConsumeType::ConsumePassively))?;
        Ok(PushInner {
            permits: Arc::new(Semaphore::new(config.consume_thread_max.max(1))),
            base,
            listener,
            retry_soon: AtomicBool::new(false),
            queues: tokio::sync::Mutex::new(HashMap::new()),
            tracker: TaskTracker::new(),
            life: Lifecycle::default(),
            config,
        })
    }

    /// The assigned queues and their process queues, as they are now.
    pub(super) async fn process_queues(&self) -> Vec<(MessageQueue, Arc<ProcessQueue>)> {
        self.queues
            .lock()
            .await
            .iter()
            .map(|(q, t)| (q.clone(), t.pq.clone()))
            .collect()
    }

    /// Stops a queue this member no longer holds: its process queue is dropped (results of calls
    /// still running are discarded), its offset committed, its broker lock released.
    pub(super) async fn release_queue(&self, mq: &MessageQueue, t: QueueTask) {
        t.pq.set_dropped();
        let _ = t.pull.await;
        if let Some(w) = t.worker {
            if tokio::time::timeout(Duration::from_secs(1), w)
                .await
                .is_err()
            {
                tracing::warn!(queue = %mq, "orderly listener still busy; releasing the queue anyway");
            }
        }
        self.base.release_offset(mq).await;
        if self.is_orderly() {
            self.lock_queues(std::slice::from_ref(mq), true).await;
        }
        tracing::info!(group = %self.config.consumer_group, queue = %mq, "queue released");
    }

    /// Orderly consumption with broker locks (clustering).
    pub(super) fn is_orderly(&self) -> bool {
        matches!(self.listener, Listener::Orderly(_))
            && self.config.message_model == MessageModel::Clustering
    }

    /// Redeliveries before the DLQ (−1 → 16).
    pub(super) fn max_reconsume_times(&self) -> i32 {
        if self.config.max_reconsume_times < 0 {
            16
        } else {
            self.config.max_reconsume_times
        }
    }

    /// What GET_CONSUMER_RUNNING_INFO answers for this consumer.
    pub(super) async fn build_running_info(&self) -> ConsumerRunningInfo {
        let c = &self.config;
        let settings = vec![
            ("consumeTimestamp", c.consume_timestamp.to_string()),
            ("consumeThreadMin", c.consume_thread_max.to_string()),
            ("consumeThreadMax", c.consume_thread_max.to_string()),
            (
                "consumeMessageBatchMaxSize",
                c.consume_message_batch_max_size.to_string(),
            ),
            ("pullBatchSize", c.pull_batch_size.to_string()),
            (
                "pullThresholdForQueue",
                c.pull_threshold_for_queue.to_string(),
            ),
            (
                "pullThresholdSizeForQueue",
                c.pull_threshold_size_for_queue.to_string(),
            ),
            ("maxReconsumeTimes", c.max_reconsume_times.to_string()),
            (
                "consumeTimeout",
                (c.consume_timeout.as_secs() / 60).to_string(),
            ),
            (
                "suspendCurrentQueueTimeMillis",
                c.suspend_current_queue_time_millis.to_string(),
            ),
            ("pullInterval", "0".into()),
            (PROP_CONSUME_ORDERLY, self.is_orderly().to_string()),
            (PROP_THREADPOOL_CORE_SIZE, c.consume_thread_max.to_string()),
        ];
        let queues = self.process_queues().await;
        running_info(&self.base, self.life.start_ms(), settings, queues)
    }

    async fn consume_directly(&self, msg: MessageExt) -> ConsumeMessageDirectlyResult {
        let msg = self.base.for_listener(msg);
        tracing::info!(group = %self.config.consumer_group, msg_id = %msg.msg_id(), "consume message directly");
        let begin = Instant::now();
        let mut r = ConsumeMessageDirectlyResult::default();
        let outcome = match &self.listener {
            Listener::Concurrently(l) => AssertUnwindSafe(l.consume_message(vec![msg]))
                .catch_unwind()
                .await
                .map(|s| match s {
                    ConsumeConcurrentlyStatus::ConsumeSuccess => CmResult::CrSuccess,
                    ConsumeConcurrentlyStatus::ReconsumeLater => CmResult::CrLater,
                }),
            Listener::Orderly(l) => {
                r.order = true;
                AssertUnwindSafe(l.consume_message(msg))
                    .catch_unwind()
                    .await
                    .map(|s| match s {
                        ConsumeOrderlyStatus::Success => CmResult::CrSuccess,
                        ConsumeOrderlyStatus::SuspendCurrentQueueAMoment => CmResult::CrLater,
                    })
            }
        };
        match outcome {
            Ok(result) => r.consume_result = Some(result),
            Err(p) => {
                r.consume_result = Some(CmResult::CrThrowException);
                r.remark = Some(panic_text(p.as_ref()));
            }
        }
        r.spent_time_mills = begin.elapsed().as_millis() as i64;
        r
    }
}

impl ConsumerInner for PushInner {
    fn running_info(&self) -> BoxFuture<'_, ConsumerRunningInfo> {
        Box::pin(self.build_running_info())
    }

    fn consume_message_directly(
        &self,
        msg: MessageExt,
        _broker_name: Option<String>,
    ) -> BoxFuture<'_, Option<ConsumeMessageDirectlyResult>> {
        Box::pin(async move { Some(self.consume_directly(msg).await) })
    }

    fn reset_offset(
        &self,
        topic: String,
        table: std::collections::BTreeMap<MessageQueue, i64>,
    ) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            self.restart_from_offsets(&topic, table).await;
            true
        })
    }
}
