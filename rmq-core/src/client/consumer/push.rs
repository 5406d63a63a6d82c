//! `DefaultMqPushConsumer`: heartbeats, rebalance, one long-polling pull loop per assigned
//! queue, a concurrent listener bounded by `consume_thread_max`, offset commits and retries.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::offset_store::broker_of;
use super::{
    ConsumeConcurrentlyStatus, ConsumeOrderlyStatus, ConsumerConfig, MessageListenerConcurrently,
    MessageListenerOrderly, RemoteOffsetStore,
};
use crate::client::{ClientConfig, ClientError, ClientInstance};
use crate::protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, ConsumerIdList, HeartbeatData,
    LockBatchRequestBody, LockBatchResponseBody, MessageModel, MessageQueue, SubscriptionData,
    PERM_READ,
};
use crate::protocol::header::*;
use crate::protocol::message::{keys, MessageExt};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Pause after a failed pull.
const PULL_ERROR_BACKOFF: Duration = Duration::from_secs(3);

struct QueueTask {
    cancel: CancellationToken,
    handle: JoinHandle<()>,
}

enum Listener {
    Concurrently(Arc<dyn MessageListenerConcurrently>),
    Orderly(Arc<dyn MessageListenerOrderly>),
}

struct PushInner {
    config: ConsumerConfig,
    instance: Arc<ClientInstance>,
    subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    listener: Listener,
    /// The last rebalance was incomplete (a topic without a route yet, queues not locked):
    /// rebalance again within a second instead of waiting for the next period.
    retry_soon: std::sync::atomic::AtomicBool,
    offsets: RemoteOffsetStore,
    queues: tokio::sync::Mutex<HashMap<MessageQueue, QueueTask>>,
    permits: Arc<Semaphore>,
    cancel: CancellationToken,
}

/// A push consumer: subscribe, start, and the listener is called for every message.
pub struct DefaultMqPushConsumer {
    inner: Arc<PushInner>,
    service: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for DefaultMqPushConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultMqPushConsumer")
            .field("group", &self.inner.config.consumer_group)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl DefaultMqPushConsumer {
    /// A consumer; call [`subscribe`](Self::subscribe) then [`start`](Self::start).
    pub fn new(
        client: ClientConfig,
        config: ConsumerConfig,
        listener: impl MessageListenerConcurrently,
    ) -> Result<Self, ClientError> {
        Self::with_listener(client, config, Listener::Concurrently(Arc::new(listener)))
    }

    /// An orderly consumer: queues are locked on the broker (LOCK_BATCH_MQ, renewed every
    /// 20 s) and each queue's messages reach the listener one at a time, in order.
    pub fn new_orderly(
        client: ClientConfig,
        config: ConsumerConfig,
        listener: impl MessageListenerOrderly,
    ) -> Result<Self, ClientError> {
        Self::with_listener(client, config, Listener::Orderly(Arc::new(listener)))
    }

    fn with_listener(
        client: ClientConfig,
        config: ConsumerConfig,
        listener: Listener,
    ) -> Result<Self, ClientError> {
        if config.consumer_group.is_empty() {
            return Err(ClientError::Config("consumer_group is empty".into()));
        }
        let permits = Arc::new(Semaphore::new(config.consume_thread_max.max(1)));
        Ok(DefaultMqPushConsumer {
            inner: Arc::new(PushInner {
                offsets: RemoteOffsetStore::new(&config.consumer_group),
                instance: ClientInstance::new(client)?,
                subscriptions: Mutex::new(BTreeMap::new()),
                listener,
                retry_soon: std::sync::atomic::AtomicBool::new(false),
                queues: tokio::sync::Mutex::new(HashMap::new()),
                permits,
                cancel: CancellationToken::new(),
                config,
            }),
            service: Mutex::new(None),
        })
    }

    /// Subscribes to `topic` with a tag expression (`*` or `TagA || TagB`).
    pub fn subscribe(&self, topic: &str, expression: &str) {
        self.inner
            .subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                topic.to_owned(),
                SubscriptionData::from_expression(topic, expression, now_ms()),
            );
    }

    /// The client id of this consumer.
    pub fn client_id(&self) -> &str {
        self.inner.instance.client_id()
    }

    /// Starts heartbeats and rebalancing; returns once the first rebalance ran.
    pub async fn start(&self) -> Result<(), ClientError> {
        let inner = &self.inner;
        if inner.config.message_model == MessageModel::Clustering {
            let retry = format!("%RETRY%{}", inner.config.consumer_group);
            self.subscribe(&retry, "*");
        } else {
            inner.offsets.load_file(&inner.local_offsets_path())?;
        }
        for topic in inner.topics() {
            if let Err(e) = inner.instance.fetch_route(&topic).await {
                tracing::debug!(%topic, error = %e, "no route yet");
            }
        }
        inner.heartbeat().await;
        inner.rebalance().await;
        let service = tokio::spawn(service_loop(inner.clone()));
        *self.service.lock().unwrap_or_else(|e| e.into_inner()) = Some(service);
        Ok(())
    }

    /// Stops pulling, waits for in-flight listener calls (bounded), commits offsets and
    /// unregisters from the brokers.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.cancel.cancel();
        let service = self
            .service
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(s) = service {
            let _ = s.await;
        }
        let tasks: Vec<(MessageQueue, QueueTask)> = inner.queues.lock().await.drain().collect();
        let wait = async {
            for (_, t) in tasks {
                let _ = t.handle.await;
            }
        };
        if tokio::time::timeout(inner.config.await_termination, wait)
            .await
            .is_err()
        {
            tracing::warn!(group = %inner.config.consumer_group, "in-flight messages did not finish in time");
        }
        inner.persist_offsets().await;
        inner.unregister().await;
        inner.instance.remoting().close_all().await;
    }

    /// The queues currently assigned to this consumer.
    pub async fn assigned_queues(&self) -> Vec<MessageQueue> {
        let mut q: Vec<MessageQueue> = self.inner.queues.lock().await.keys().cloned().collect();
        q.sort();
        q
    }
}

async fn service_loop(inner: Arc<PushInner>) {
    let c = &inner.config;
    let mut rebalance = tokio::time::interval(c.rebalance_interval);
    let mut heartbeat = tokio::time::interval(c.heartbeat_interval);
    let mut persist = tokio::time::interval(c.persist_consumer_offset_interval);
    rebalance.tick().await;
    heartbeat.tick().await;
    persist.tick().await;
    let mut relock = tokio::time::interval(Duration::from_secs(1));
    let mut renew = tokio::time::interval(Duration::from_secs(20));
    renew.tick().await;
    loop {
        tokio::select! {
            _ = inner.cancel.cancelled() => return,
            _ = relock.tick() => {
                if inner.retry_soon.load(std::sync::atomic::Ordering::Acquire) {
                    inner.rebalance().await;
                }
            }
            _ = renew.tick(), if inner.is_orderly() => inner.renew_locks().await,
            _ = rebalance.tick() => inner.rebalance().await,
            _ = inner.instance.rebalance_requested() => inner.rebalance().await,
            _ = heartbeat.tick() => inner.heartbeat().await,
            _ = persist.tick() => inner.persist_offsets().await,
        }
    }
}

impl PushInner {
    fn is_orderly(&self) -> bool {
        matches!(self.listener, Listener::Orderly(_))
            && self.config.message_model == MessageModel::Clustering
    }

    /// LOCK_BATCH_MQ (or UNLOCK_BATCH_MQ) per broker; returns the queues locked.
    async fn lock_queues(&self, mqs: &[MessageQueue], unlock: bool) -> Vec<MessageQueue> {
        let mut by_broker: BTreeMap<String, Vec<MessageQueue>> = BTreeMap::new();
        for mq in mqs {
            by_broker
                .entry(mq.broker_name.clone())
                .or_default()
                .push(mq.clone());
        }
        let mut locked = Vec::new();
        for (_, set) in by_broker {
            let Ok(addr) = broker_of(&self.instance, &set[0]).await else {
                continue;
            };
            let body = LockBatchRequestBody {
                consumer_group: self.config.consumer_group.clone(),
                client_id: self.instance.client_id().to_owned(),
                only_this_broker: false,
                mq_set: set,
            };
            let Ok(body) = serde_json::to_vec(&body) else {
                continue;
            };
            let code = if unlock {
                RequestCode::UnlockBatchMq
            } else {
                RequestCode::LockBatchMq
            };
            let req = RemotingCommand::request(code).with_body(body);
            match self
                .instance
                .remoting()
                .invoke(&addr, req, self.instance.api_timeout())
                .await
            {
                Ok(r) if r.code == 0 && !unlock => {
                    if let Ok(ok) = serde_json::from_slice::<LockBatchResponseBody>(&r.body) {
                        locked.extend(ok.lock_ok_mq_set);
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(%addr, error = %e, unlock, "queue lock request failed"),
            }
        }
        locked
    }

    /// Renews the locks of running queues; a queue whose lock was lost stops.
    async fn renew_locks(self: &Arc<Self>) {
        let running: Vec<MessageQueue> = self.queues.lock().await.keys().cloned().collect();
        if running.is_empty() {
            return;
        }
        let locked = self.lock_queues(&running, false).await;
        let mut queues = self.queues.lock().await;
        for mq in running.iter().filter(|q| !locked.contains(q)) {
            if let Some(t) = queues.remove(mq) {
                tracing::warn!(queue = %mq, "queue lock lost: stopping it");
                t.cancel.cancel();
                let _ = t.handle.await;
                let _ = self.offsets.persist(&self.instance, mq).await;
            }
        }
    }

    /// The local offsets file of a broadcasting consumer.
    fn local_offsets_path(&self) -> std::path::PathBuf {
        let dir = self.config.offset_store_dir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map_or_else(|| std::path::PathBuf::from("."), std::path::PathBuf::from)
                .join(".rocketmq_offsets")
        });
        dir.join(format!("127.0.0.1@{}", self.config.instance_name))
            .join(&self.config.consumer_group)
            .join("offsets.json")
    }

    async fn persist_offsets(&self) {
        if self.config.message_model == MessageModel::Clustering {
            self.offsets.persist_all(&self.instance).await;
        } else if let Err(e) = self.offsets.save_file(&self.local_offsets_path()) {
            tracing::warn!(error = %e, "cannot save broadcasting offsets");
        }
    }

    fn topics(&self) -> Vec<String> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
            .cloned()
    }

    fn heartbeat_data(&self) -> HeartbeatData {
        HeartbeatData {
            client_id: self.instance.client_id().to_owned(),
            producer_data_set: Vec::new(),
            consumer_data_set: vec![ConsumerData {
                group_name: self.config.consumer_group.clone(),
                consume_type: ConsumeType::ConsumePassively,
                message_model: self.config.message_model,
                consume_from_where: self.config.consume_from_where,
                subscription_data_set: self
                    .subscriptions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .values()
                    .cloned()
                    .collect(),
                unit_mode: false,
            }],
        }
    }

    async fn heartbeat(&self) {
        let Ok(body) = serde_json::to_vec(&self.heartbeat_data()) else {
            return;
        };
        for addr in self.instance.all_master_addrs() {
            let req = RemotingCommand::request(RequestCode::HeartBeat).with_body(body.clone());
            match self
                .instance
                .remoting()
                .invoke(&addr, req, self.instance.api_timeout())
                .await
            {
                Ok(r) if r.code == 0 => {}
                Ok(r) => {
                    tracing::warn!(%addr, code = r.code, remark = r.remark_str(), "heartbeat refused")
                }
                Err(e) => tracing::warn!(%addr, error = %e, "heartbeat failed"),
            }
        }
    }

    async fn unregister(&self) {
        let h = UnregisterClientRequestHeader {
            client_id: self.instance.client_id().to_owned(),
            producer_group: None,
            consumer_group: Some(self.config.consumer_group.clone()),
        };
        for addr in self.instance.all_master_addrs() {
            let req = RemotingCommand::request_with_header(RequestCode::UnregisterClient, &h);
            let _ = self
                .instance
                .remoting()
                .invoke(&addr, req, self.instance.api_timeout())
                .await;
        }
    }

    async fn consumer_ids(&self, addr: &str) -> Result<Vec<String>, ClientError> {
        let req = RemotingCommand::request_with_header(
            RequestCode::GetConsumerListByGroup,
            &GetConsumerListByGroupRequestHeader {
                consumer_group: self.config.consumer_group.clone(),
            },
        );
        let resp = self
            .instance
            .remoting()
            .invoke(addr, req, self.instance.api_timeout())
            .await?;
        if resp.code != 0 {
            return Err(ClientError::Broker {
                addr: addr.to_owned(),
                code: resp.code,
                remark: resp.remark_str().to_owned(),
            });
        }
        let mut list: ConsumerIdList =
            serde_json::from_slice(&resp.body).map_err(|e| ClientError::Decode {
                what: "ConsumerIdList",
                detail: e.to_string(),
            })?;
        list.consumer_id_list.sort();
        Ok(list.consumer_id_list)
    }

    /// Recomputes this member's queues and starts or stops pull loops.
    async fn rebalance(self: &Arc<Self>) {
        if self.cancel.is_cancelled() {
            return;
        }
        let mut wanted = Vec::new();
        let mut heartbeat_needed = false;
        let mut incomplete = false;
        for topic in self.topics() {
            let route = match self.instance.fetch_route(&topic).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(%topic, error = %e, "rebalance: no route");
                    incomplete = true;
                    continue;
                }
            };
            let mut all: Vec<MessageQueue> = route
                .queue_datas
                .iter()
                .filter(|q| q.perm & PERM_READ != 0)
                .flat_map(|q| {
                    let topic = &topic;
                    (0..q.read_queue_nums)
                        .map(move |i| MessageQueue::new(topic.clone(), q.broker_name.clone(), i))
                })
                .collect();
            all.sort();
            if self.config.message_model == MessageModel::Broadcasting {
                wanted.extend(all);
                continue;
            }
            let Some(addr) = route
                .broker_datas
                .iter()
                .find_map(|b| b.master_addr().map(str::to_owned))
            else {
                continue;
            };
            let cids = match self.consumer_ids(&addr).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(%topic, error = %e, "rebalance: no consumer list");
                    heartbeat_needed = true;
                    continue;
                }
            };
            if !cids.iter().any(|c| c == self.instance.client_id()) {
                heartbeat_needed = true;
            }
            wanted.extend(self.config.allocate_strategy.allocate(
                &all,
                &cids,
                self.instance.client_id(),
            ));
        }
        if heartbeat_needed {
            self.heartbeat().await;
        }
        let mut queues = self.queues.lock().await;
        let removed: Vec<MessageQueue> = queues
            .keys()
            .filter(|q| !wanted.contains(q))
            .cloned()
            .collect();
        for mq in removed {
            if let Some(t) = queues.remove(&mq) {
                t.cancel.cancel();
                let _ = t.handle.await;
                if self.config.message_model == MessageModel::Clustering {
                    if let Err(e) = self.offsets.persist(&self.instance, &mq).await {
                        tracing::warn!(queue = %mq, error = %e, "offset commit on removal failed");
                    }
                    self.offsets.remove(&mq);
                }
                if self.is_orderly() {
                    self.lock_queues(std::slice::from_ref(&mq), true).await;
                }
                tracing::info!(group = %self.config.consumer_group, queue = %mq, "queue released");
            }
        }
        let mut new: Vec<MessageQueue> = wanted
            .into_iter()
            .filter(|q| !queues.contains_key(q))
            .collect();
        if self.is_orderly() && !new.is_empty() {
            let locked = self.lock_queues(&new, false).await;
            let before = new.len();
            new.retain(|q| locked.contains(q));
            // Queues another member still holds are locked on a later (1 s) retry.
            incomplete |= new.len() != before;
        }
        for mq in new {
            let offset = match self.start_offset(&mq).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset");
                    continue;
                }
            };
            tracing::info!(group = %self.config.consumer_group, queue = %mq, offset, "queue assigned");
            let cancel = self.cancel.child_token();
            let handle = tokio::spawn(pull_loop(self.clone(), mq.clone(), offset, cancel.clone()));
            queues.insert(mq, QueueTask { cancel, handle });
        }
        self.retry_soon
            .store(incomplete, std::sync::atomic::Ordering::Release);
    }

    async fn queue_offset(
        &self,
        code: RequestCode,
        mq: &MessageQueue,
        timestamp: Option<i64>,
    ) -> Result<i64, ClientError> {
        let addr = broker_of(&self.instance, mq).await?;
        let req = match (code, timestamp) {
            (RequestCode::SearchOffsetByTimestamp, Some(ts)) => {
                RemotingCommand::request_with_header(
                    code,
                    &SearchOffsetRequestHeader {
                        topic: mq.topic.clone(),
                        queue_id: mq.queue_id,
                        timestamp: ts,
                        boundary_type: None,
                    },
                )
            }
            (RequestCode::GetMinOffset, _) => RemotingCommand::request_with_header(
                code,
                &GetMinOffsetRequestHeader {
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                },
            ),
            _ => RemotingCommand::request_with_header(
                RequestCode::GetMaxOffset,
                &GetMaxOffsetRequestHeader {
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                    committed: None,
                },
            ),
        };
        let resp = self
            .instance
            .remoting()
            .invoke(&addr, req, self.instance.api_timeout())
            .await?;
        resp.decode_header::<OffsetResponseHeader>()
            .map(|h| h.offset)
            .map_err(|e| ClientError::Decode {
                what: "offset",
                detail: e.to_string(),
            })
    }

    /// Where a newly assigned queue starts: the committed offset, else per ConsumeFromWhere.
    async fn start_offset(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        if self.config.message_model == MessageModel::Broadcasting {
            if let Some(o) = self.offsets.get(mq) {
                return Ok(o);
            }
        } else {
            if let Some(o) = self
                .offsets
                .fetch(&self.instance, mq)
                .await?
                .filter(|o| *o >= 0)
            {
                self.offsets.update(mq, o);
                return Ok(o);
            }
        }
        let o = match self.config.consume_from_where {
            _ if mq.topic.starts_with("%RETRY%") => 0,
            ConsumeFromWhere::ConsumeFromFirstOffset | ConsumeFromWhere::ConsumeFromMinOffset => {
                self.queue_offset(RequestCode::GetMinOffset, mq, None)
                    .await?
            }
            ConsumeFromWhere::ConsumeFromTimestamp => {
                self.queue_offset(
                    RequestCode::SearchOffsetByTimestamp,
                    mq,
                    Some(self.config.consume_timestamp),
                )
                .await?
            }
            _ => {
                self.queue_offset(RequestCode::GetMaxOffset, mq, None)
                    .await?
            }
        };
        self.offsets.update(mq, o);
        Ok(o)
    }

    fn max_reconsume_times(&self) -> i32 {
        if self.config.max_reconsume_times < 0 {
            16
        } else {
            self.config.max_reconsume_times
        }
    }

    /// Sends a failed message back for redelivery; falls back to re-sending it to the retry
    /// topic when the broker refuses the send-back.
    async fn send_back(&self, msg: &MessageExt, broker_addr: &str) -> Result<(), ClientError> {
        let h = ConsumerSendMsgBackRequestHeader {
            offset: msg.commit_log_offset,
            group: self.config.consumer_group.clone(),
            delay_level: 0,
            origin_msg_id: Some(msg.msg_id()),
            origin_topic: Some(msg.topic.clone()),
            unit_mode: Some(false),
            max_reconsume_times: Some(self.max_reconsume_times()),
        };
        let req = RemotingCommand::request_with_header(RequestCode::ConsumerSendMsgBack, &h);
        let resp = self
            .instance
            .remoting()
            .invoke(broker_addr, req, self.instance.api_timeout())
            .await?;
        if resp.code == ResponseCode::Success.code() {
            return Ok(());
        }
        Err(ClientError::Broker {
            addr: broker_addr.to_owned(),
            code: resp.code,
            remark: resp.remark_str().to_owned(),
        })
    }
}

fn pull_request(
    inner: &PushInner,
    mq: &MessageQueue,
    offset: i64,
    sub: &SubscriptionData,
) -> RemotingCommand {
    let clustering = inner.config.message_model == MessageModel::Clustering;
    let commit = inner.offsets.get(mq).filter(|_| clustering);
    let mut sys_flag = PULL_FLAG_SUSPEND | PULL_FLAG_SUBSCRIPTION;
    if commit.is_some() {
        sys_flag |= PULL_FLAG_COMMIT_OFFSET;
    }
    RemotingCommand::request_with_header(
        RequestCode::PullMessage,
        &PullMessageRequestHeader {
            consumer_group: inner.config.consumer_group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            queue_offset: offset,
            max_msg_nums: inner.config.pull_batch_size,
            sys_flag,
            commit_offset: commit.unwrap_or(0),
            suspend_timeout_millis: inner.config.broker_suspend_max_time.as_millis() as i64,
            subscription: Some(sub.sub_string.clone()),
            sub_version: sub.sub_version,
            expression_type: Some("TAG".into()),
            max_msg_bytes: None,
        },
    )
}

async fn pull_loop(
    inner: Arc<PushInner>,
    mq: MessageQueue,
    mut offset: i64,
    cancel: CancellationToken,
) {
    let timeout = inner.config.broker_suspend_max_time + Duration::from_secs(15);
    while !cancel.is_cancelled() {
        let Some(sub) = inner.subscription(&mq.topic) else {
            return;
        };
        let addr = match broker_of(&inner.instance, &mq).await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(queue = %mq, error = %e, "no broker for queue");
                backoff(&cancel).await;
                continue;
            }
        };
        let req = pull_request(&inner, &mq, offset, &sub);
        let resp = tokio::select! {
            _ = cancel.cancelled() => return,
            r = inner.instance.remoting().invoke(&addr, req, timeout) => r,
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(queue = %mq, error = %e, "pull failed");
                backoff(&cancel).await;
                continue;
            }
        };
        let header = resp.decode_header::<PullMessageResponseHeader>().ok();
        let next = header.as_ref().map(|h| h.next_begin_offset);
        match ResponseCode::from_code(resp.code) {
            Some(ResponseCode::Success) => {
                let msgs = match MessageExt::decode_all(&resp.body) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(queue = %mq, error = %e, "undecodable pull body");
                        backoff(&cancel).await;
                        continue;
                    }
                };
                let msgs: Vec<MessageExt> = msgs
                    .into_iter()
                    .filter(|m| sub.matches_tag(m.tags()))
                    .map(restore_retry_topic)
                    .collect();
                match &inner.listener {
                    Listener::Concurrently(l) => consume(&inner, l, &addr, msgs).await,
                    Listener::Orderly(l) => {
                        if !consume_orderly(&inner, l, &mq, msgs, &cancel).await {
                            return;
                        }
                    }
                }
                if let Some(n) = next {
                    offset = n;
                    inner.offsets.update(&mq, n);
                }
            }
            Some(ResponseCode::PullNotFound) | Some(ResponseCode::PullRetryImmediately) => {
                if let Some(n) = next {
                    offset = n;
                }
            }
            Some(ResponseCode::PullOffsetMoved) => {
                if let Some(n) = next {
                    tracing::warn!(queue = %mq, from = offset, to = n, "pull offset moved");
                    offset = n;
                    inner.offsets.update(&mq, n);
                }
            }
            _ => {
                tracing::debug!(queue = %mq, code = resp.code, remark = resp.remark_str(), "pull refused");
                backoff(&cancel).await;
            }
        }
    }
}

async fn backoff(cancel: &CancellationToken) {
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = tokio::time::sleep(PULL_ERROR_BACKOFF) => {}
    }
}

/// A message from `%RETRY%<group>` is shown with its original topic.
fn restore_retry_topic(mut m: MessageExt) -> MessageExt {
    if m.topic.starts_with("%RETRY%") {
        if let Some(t) = m.property(keys::RETRY_TOPIC).map(str::to_owned) {
            m.topic = t;
        }
    }
    m
}

/// Runs the listener over `msgs` in batches, at most `consume_thread_max` at once, and sends
/// failed messages back (clustering). Returns when every batch is done.
async fn consume(
    inner: &Arc<PushInner>,
    listener: &Arc<dyn MessageListenerConcurrently>,
    broker_addr: &str,
    msgs: Vec<MessageExt>,
) {
    let batch = inner.config.consume_message_batch_max_size.max(1);
    let mut running = Vec::new();
    let mut msgs = msgs.into_iter().peekable();
    while msgs.peek().is_some() {
        let chunk: Vec<MessageExt> = msgs.by_ref().take(batch).collect();
        let Ok(permit) = inner.permits.clone().acquire_owned().await else {
            return;
        };
        let inner = inner.clone();
        let listener = listener.clone();
        let addr = broker_addr.to_owned();
        running.push(tokio::spawn(async move {
            let _permit = permit;
            let status = listener.consume_message(chunk.clone()).await;
            if status == ConsumeConcurrentlyStatus::ConsumeSuccess
                || inner.config.message_model == MessageModel::Broadcasting
            {
                return;
            }
            for m in &chunk {
                if let Err(e) = inner.send_back(m, &addr).await {
                    tracing::warn!(msg_id = %m.msg_id(), error = %e, "send back failed; consuming again locally");
                    // Keep the message: hand it to the listener once more before moving on.
                    let _ = listener.consume_message(vec![m.clone()]).await;
                }
            }
        }));
    }
    for r in running {
        let _ = r.await;
    }
}

/// Hands a queue's messages to the orderly listener one at a time; a suspended message is
/// retried after `suspend_current_queue_time_millis`. False when cancelled mid-way (the
/// offset stays before the unconsumed message).
async fn consume_orderly(
    inner: &Arc<PushInner>,
    listener: &Arc<dyn MessageListenerOrderly>,
    mq: &MessageQueue,
    msgs: Vec<MessageExt>,
    cancel: &CancellationToken,
) -> bool {
    let pause = Duration::from_millis(inner.config.suspend_current_queue_time_millis);
    for m in msgs {
        let next = m.queue_offset + 1;
        loop {
            let Ok(_permit) = inner.permits.acquire().await else {
                return false;
            };
            if listener.consume_message(m.clone()).await == ConsumeOrderlyStatus::Success {
                break;
            }
            drop(_permit);
            tokio::select! {
                _ = cancel.cancelled() => return false,
                _ = tokio::time::sleep(pause) => {}
            }
        }
        inner.offsets.update(mq, next);
    }
    true
}
