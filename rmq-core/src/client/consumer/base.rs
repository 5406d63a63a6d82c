//! What push and lite pull consumers share: the group and its subscriptions on the wire
//! (namespaced), heartbeats, membership, queue allocation, start offsets and offset storage.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::offset_store::broker_of;
use super::{AllocateStrategy, MessageSelector, RemoteOffsetStore};
use crate::client::{unwrap_namespace, wrap_namespace, ClientConfig, ClientError, ClientInstance};
use crate::protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, ConsumerIdList, HeartbeatData, MessageModel,
    MessageQueue, SubscriptionData, TopicRouteData, PERM_READ,
};
use crate::protocol::header::*;
use crate::protocol::message::{keys, MessageExt};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Settings of [`ConsumerBase`].
pub(super) struct BaseConfig {
    pub(super) group: String,
    pub(super) consume_type: ConsumeType,
    pub(super) message_model: MessageModel,
    pub(super) consume_from_where: ConsumeFromWhere,
    pub(super) consume_timestamp: i64,
    pub(super) allocate_strategy: AllocateStrategy,
    pub(super) offset_store_dir: Option<std::path::PathBuf>,
    pub(super) instance_name: String,
}

/// The [`BaseConfig`] of a consumer's settings (`ConsumerConfig` and
/// `LitePullConsumerConfig` name these fields alike).
macro_rules! base_config {
    ($config:expr, $consume_type:expr) => {
        $crate::client::consumer::base::BaseConfig {
            group: $config.consumer_group.clone(),
            consume_type: $consume_type,
            message_model: $config.message_model,
            consume_from_where: $config.consume_from_where,
            consume_timestamp: $config.consume_timestamp,
            allocate_strategy: $config.allocate_strategy,
            offset_store_dir: $config.offset_store_dir.clone(),
            instance_name: $config.instance_name.clone(),
        }
    };
}
pub(super) use base_config;

/// The group-level state of one consumer.
pub(super) struct ConsumerBase {
    pub(super) instance: Arc<ClientInstance>,
    pub(super) client: ClientConfig,
    /// The group as the user named it.
    pub(super) group: String,
    /// The group on the wire (`namespace%group`).
    pub(super) wire_group: String,
    pub(super) consume_type: ConsumeType,
    pub(super) message_model: MessageModel,
    pub(super) consume_from_where: ConsumeFromWhere,
    pub(super) consume_timestamp: i64,
    pub(super) allocate_strategy: AllocateStrategy,
    /// Subscriptions by wire topic.
    subscriptions: Mutex<BTreeMap<String, SubscriptionData>>,
    pub(super) offsets: RemoteOffsetStore,
    offset_store_dir: Option<std::path::PathBuf>,
    pub(super) instance_name: String,
}

/// The queues this member should hold after a rebalance.
pub(super) struct Allocation {
    pub(super) wanted: Vec<MessageQueue>,
    /// A topic had no route or consumer list yet: rebalance again soon.
    pub(super) incomplete: bool,
    /// Topics whose share could not be computed: their queues stay as they are (Java skips
    /// such a topic instead of dropping its queues).
    pub(super) unknown: Vec<String>,
}

impl Allocation {
    /// Whether a held queue should be released.
    pub(super) fn releases(&self, mq: &MessageQueue) -> bool {
        !self.wanted.contains(mq) && !self.unknown.contains(&mq.topic)
    }
}

impl ConsumerBase {
    /// A consumer of `config.group` on a new client instance.
    pub(super) fn new(client: ClientConfig, config: BaseConfig) -> Result<Self, ClientError> {
        if config.group.trim().is_empty() {
            return Err(ClientError::Config("consumer_group is empty".into()));
        }
        let wire_group = wrap_namespace(&client.namespace, &config.group);
        Ok(ConsumerBase {
            instance: ClientInstance::new(client.clone())?,
            client,
            offsets: RemoteOffsetStore::new(&wire_group),
            group: config.group,
            wire_group,
            consume_type: config.consume_type,
            message_model: config.message_model,
            consume_from_where: config.consume_from_where,
            consume_timestamp: config.consume_timestamp,
            allocate_strategy: config.allocate_strategy,
            subscriptions: Mutex::new(BTreeMap::new()),
            offset_store_dir: config.offset_store_dir,
            instance_name: config.instance_name,
        })
    }

    /// A user's topic or group as it goes on the wire.
    pub(super) fn wrap(&self, name: &str) -> String {
        wrap_namespace(&self.client.namespace, name)
    }

    /// A wire name as users see it.
    pub(super) fn unwrap(&self, name: &str) -> String {
        unwrap_namespace(&self.client.namespace, name)
    }

    /// A queue with its topic as users see it.
    pub(super) fn unwrap_queue(&self, mq: &MessageQueue) -> MessageQueue {
        MessageQueue::new(self.unwrap(&mq.topic), mq.broker_name.clone(), mq.queue_id)
    }

    /// A user's queue as it goes on the wire.
    pub(super) fn wrap_queue(&self, mq: &MessageQueue) -> MessageQueue {
        MessageQueue::new(self.wrap(&mq.topic), mq.broker_name.clone(), mq.queue_id)
    }

    /// `%RETRY%<wire group>`.
    pub(super) fn retry_topic(&self) -> String {
        format!("%RETRY%{}", self.wire_group)
    }

    /// Subscribes to a user topic (already-wrapped names such as the retry topic pass through).
    pub(super) fn subscribe(&self, topic: &str, selector: &MessageSelector) {
        let wire = self.wrap(topic);
        let sub = selector.subscription(&wire, crate::clock::now_ms());
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(wire, sub);
    }

    /// The subscribed wire topics.
    pub(super) fn topics(&self) -> Vec<String> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// The subscription of a wire topic.
    pub(super) fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
            .cloned()
    }

    /// Every subscription.
    pub(super) fn subscription_set(&self) -> Vec<SubscriptionData> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// What the listener sees: a message of this group's retry topic under its original
    /// topic, and every topic without the namespace (Java's `resetRetryAndNamespace`).
    pub(super) fn for_listener(&self, mut m: MessageExt) -> MessageExt {
        if m.topic == self.retry_topic() {
            if let Some(t) = m.property(keys::RETRY_TOPIC).map(str::to_owned) {
                m.topic = t;
            }
        }
        if !self.client.namespace.is_empty() {
            m.topic = self.unwrap(&m.topic);
        }
        m
    }

    /// The local offsets file of a broadcasting consumer.
    pub(super) fn local_offsets_path(&self) -> std::path::PathBuf {
        let dir = self.offset_store_dir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map_or_else(|| std::path::PathBuf::from("."), std::path::PathBuf::from)
                .join(".rocketmq_offsets")
        });
        dir.join(format!("127.0.0.1@{}", self.instance_name))
            .join(&self.wire_group)
            .join("offsets.json")
    }

    /// Loads a broadcasting consumer's offsets file.
    pub(super) fn load_offsets(&self) -> Result<(), ClientError> {
        if self.message_model == MessageModel::Broadcasting {
            self.offsets.load_file(&self.local_offsets_path())?;
        }
        Ok(())
    }

    /// Commits every offset (to the brokers, or the local file when broadcasting).
    pub(super) async fn persist_offsets(&self) {
        if self.message_model == MessageModel::Clustering {
            self.offsets.persist_all(&self.instance).await;
        } else if let Err(e) = self.offsets.save_file(&self.local_offsets_path()) {
            tracing::warn!(error = %e, "cannot save broadcasting offsets");
        }
    }

    /// Commits one queue's offset now (Java's `OffsetStore.persist(mq)`): to its broker, or
    /// the local file when broadcasting; errors are logged.
    pub(super) async fn persist_offset(&self, mq: &MessageQueue) {
        if self.message_model == MessageModel::Clustering {
            if let Err(e) = self.offsets.persist(&self.instance, mq).await {
                tracing::warn!(queue = %mq, error = %e, "offset commit failed");
            }
        } else {
            self.persist_offsets().await;
        }
    }

    /// Commits one queue's offset and forgets it (the queue was taken away).
    pub(super) async fn release_offset(&self, mq: &MessageQueue) {
        if self.message_model == MessageModel::Clustering {
            if let Err(e) = self.offsets.persist(&self.instance, mq).await {
                tracing::warn!(queue = %mq, error = %e, "offset commit on removal failed");
            }
            self.offsets.remove(mq);
        }
    }

    /// The HEART_BEAT body.
    pub(super) fn heartbeat_data(&self) -> HeartbeatData {
        HeartbeatData {
            client_id: self.instance.client_id().to_owned(),
            producer_data_set: Vec::new(),
            consumer_data_set: vec![ConsumerData {
                group_name: self.wire_group.clone(),
                consume_type: self.consume_type,
                message_model: self.message_model,
                consume_from_where: self.consume_from_where,
                subscription_data_set: self.subscription_set(),
                unit_mode: false,
            }],
        }
    }

    /// Sends a heartbeat to every master of the cached routes.
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

    /// UNREGISTER_CLIENT on every master.
    pub(super) async fn unregister(&self) {
        let h = UnregisterClientRequestHeader {
            client_id: self.instance.client_id().to_owned(),
            producer_group: None,
            consumer_group: Some(self.wire_group.clone()),
        };
        for addr in self.instance.all_master_addrs() {
            let req = RemotingCommand::request_with_header(RequestCode::UnregisterClient, &h);
            if let Err(e) = self
                .instance
                .remoting()
                .invoke(&addr, req, self.instance.api_timeout())
                .await
            {
                tracing::debug!(%addr, error = %e, "unregister failed");
            }
        }
    }

    /// The group's members known to a broker, sorted.
    pub(super) async fn consumer_ids(&self, addr: &str) -> Result<Vec<String>, ClientError> {
        let req = RemotingCommand::request_with_header(
            RequestCode::GetConsumerListByGroup,
            &GetConsumerListByGroupRequestHeader {
                consumer_group: self.wire_group.clone(),
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

    /// The queues this member should hold: every readable queue (broadcasting) or its share
    /// of them (clustering). Heartbeats first when a broker does not list it yet.
    pub(super) async fn allocation(&self) -> Allocation {
        let mut wanted = Vec::new();
        let mut unknown = Vec::new();
        let mut heartbeat_needed = false;
        let mut incomplete = false;
        for topic in self.topics() {
            let route = match self.instance.fetch_route(&topic).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(%topic, error = %e, "rebalance: no route");
                    incomplete = true;
                    unknown.push(topic);
                    continue;
                }
            };
            let all = readable_queues(&topic, &route);
            if self.message_model == MessageModel::Broadcasting {
                wanted.extend(all);
                continue;
            }
            let Some(addr) = route
                .broker_datas
                .iter()
                .find_map(|b| b.master_addr().map(str::to_owned))
            else {
                incomplete = true;
                unknown.push(topic);
                continue;
            };
            let cids = match self.consumer_ids(&addr).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(%topic, error = %e, "rebalance: no consumer list");
                    heartbeat_needed = true;
                    incomplete = true;
                    unknown.push(topic);
                    continue;
                }
            };
            if !cids.iter().any(|c| c == self.instance.client_id()) {
                heartbeat_needed = true;
            }
            wanted.extend(
                self.allocate_strategy
                    .allocate(&all, &cids, self.instance.client_id()),
            );
        }
        if heartbeat_needed {
            self.heartbeat().await;
        }
        Allocation {
            wanted,
            incomplete,
            unknown,
        }
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
        if resp.code != ResponseCode::Success.code() {
            return Err(ClientError::Broker {
                addr,
                code: resp.code,
                remark: resp.remark_str().to_owned(),
            });
        }
        resp.decode_header::<OffsetResponseHeader>()
            .map(|h| h.offset)
            .map_err(|e| ClientError::Decode {
                what: "offset",
                detail: e.to_string(),
            })
    }

    /// The smallest and largest offsets of a (wire) queue.
    pub(super) async fn min_max_offset(
        &self,
        mq: &MessageQueue,
    ) -> Result<(i64, i64), ClientError> {
        Ok((
            self.queue_offset(RequestCode::GetMinOffset, mq, None)
                .await?,
            self.queue_offset(RequestCode::GetMaxOffset, mq, None)
                .await?,
        ))
    }

    /// Where a newly assigned queue starts: the committed offset, else per ConsumeFromWhere
    /// (a retry topic from 0). The result is recorded as the queue's offset.
    pub(super) async fn start_offset(&self, mq: &MessageQueue) -> Result<i64, ClientError> {
        if self.message_model == MessageModel::Broadcasting {
            if let Some(o) = self.offsets.get(mq) {
                return Ok(o);
            }
        } else if let Some(o) = self
            .offsets
            .fetch(&self.instance, mq)
            .await?
            .filter(|o| *o >= 0)
        {
            self.offsets.set(mq, o);
            return Ok(o);
        }
        let o = match self.consume_from_where {
            _ if mq.topic.starts_with("%RETRY%") => 0,
            ConsumeFromWhere::ConsumeFromFirstOffset | ConsumeFromWhere::ConsumeFromMinOffset => {
                self.queue_offset(RequestCode::GetMinOffset, mq, None)
                    .await?
            }
            ConsumeFromWhere::ConsumeFromTimestamp => {
                let ts = if self.consume_timestamp > 0 {
                    self.consume_timestamp
                } else {
                    // Java's default: half an hour ago.
                    crate::clock::now_ms() - 30 * 60 * 1000
                };
                self.queue_offset(RequestCode::SearchOffsetByTimestamp, mq, Some(ts))
                    .await?
            }
            _ => {
                self.queue_offset(RequestCode::GetMaxOffset, mq, None)
                    .await?
            }
        };
        self.offsets.set(mq, o);
        Ok(o)
    }
}

/// The readable queues of a route, sorted.
pub(super) fn readable_queues(topic: &str, route: &TopicRouteData) -> Vec<MessageQueue> {
    let mut all: Vec<MessageQueue> = route
        .queue_datas
        .iter()
        .filter(|q| q.perm & PERM_READ != 0)
        .flat_map(|q| {
            (0..q.read_queue_nums).map(move |i| MessageQueue::new(topic, q.broker_name.clone(), i))
        })
        .collect();
    all.sort();
    all
}
