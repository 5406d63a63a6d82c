//! `DefaultMqPushConsumer`: heartbeats, rebalance, one long-polling pull loop per assigned
//! queue, a concurrent listener bounded by `consume_thread_max`, offset commits and retries.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::pull_loop::pull_loop;
use super::{
    ConsumerConfig, MessageListenerConcurrently, MessageListenerOrderly, RemoteOffsetStore,
};
use crate::client::{ClientConfig, ClientError, ClientInstance};
use crate::protocol::body::{
    ConsumeType, ConsumerData, ConsumerIdList, HeartbeatData, MessageModel, MessageQueue,
    SubscriptionData, PERM_READ,
};
use crate::protocol::header::*;
use crate::protocol::message::MessageExt;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

pub(super) struct QueueTask {
    pub(super) cancel: CancellationToken,
    pub(super) handle: JoinHandle<()>,
}

pub(super) enum Listener {
    Concurrently(Arc<dyn MessageListenerConcurrently>),
    Orderly(Arc<dyn MessageListenerOrderly>),
}

pub(super) struct PushInner {
    pub(super) config: ConsumerConfig,
    pub(super) instance: Arc<ClientInstance>,
    pub(super) subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    pub(super) listener: Listener,
    /// The last rebalance was incomplete (a topic without a route yet, queues not locked):
    /// rebalance again within a second instead of waiting for the next period.
    pub(super) retry_soon: std::sync::atomic::AtomicBool,
    pub(super) offsets: RemoteOffsetStore,
    pub(super) queues: tokio::sync::Mutex<HashMap<MessageQueue, QueueTask>>,
    pub(super) permits: Arc<Semaphore>,
    pub(super) cancel: CancellationToken,
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
    pub(super) fn is_orderly(&self) -> bool {
        matches!(self.listener, Listener::Orderly(_))
            && self.config.message_model == MessageModel::Clustering
    }

    /// The local offsets file of a broadcasting consumer.
    pub(super) fn local_offsets_path(&self) -> std::path::PathBuf {
        let dir = self.config.offset_store_dir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map_or_else(|| std::path::PathBuf::from("."), std::path::PathBuf::from)
                .join(".rocketmq_offsets")
        });
        dir.join(format!("127.0.0.1@{}", self.config.instance_name))
            .join(&self.config.consumer_group)
            .join("offsets.json")
    }

    pub(super) async fn persist_offsets(&self) {
        if self.config.message_model == MessageModel::Clustering {
            self.offsets.persist_all(&self.instance).await;
        } else if let Err(e) = self.offsets.save_file(&self.local_offsets_path()) {
            tracing::warn!(error = %e, "cannot save broadcasting offsets");
        }
    }

    pub(super) fn topics(&self) -> Vec<String> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    pub(super) fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
            .cloned()
    }

    pub(super) fn heartbeat_data(&self) -> HeartbeatData {
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

    pub(super) async fn heartbeat(&self) {
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

    pub(super) async fn unregister(&self) {
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

    pub(super) async fn consumer_ids(&self, addr: &str) -> Result<Vec<String>, ClientError> {
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
    pub(super) async fn rebalance(self: &Arc<Self>) {
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

    pub(super) fn max_reconsume_times(&self) -> i32 {
        if self.config.max_reconsume_times < 0 {
            16
        } else {
            self.config.max_reconsume_times
        }
    }

    /// Sends a failed message back for redelivery; falls back to re-sending it to the retry
    /// topic when the broker refuses the send-back.
    pub(super) async fn send_back(
        &self,
        msg: &MessageExt,
        broker_addr: &str,
    ) -> Result<(), ClientError> {
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
