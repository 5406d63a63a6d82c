//! Message admin calls: look a message up by offset msg id (33), by client (uniq) id or key
//! (12), by queue offset (pull), find which groups consumed it (Java's `messageTrackDetail`),
//! and have a consumer consume it directly (309, forwarded by the broker to the client).

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;

use super::consumer::decode_err;
use super::{check, MqAdmin};
use crate::client::ClientError;
use crate::protocol::body::{ConsumeMessageDirectlyResult, ConsumeType, MessageModel};
use crate::protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, PullMessageRequestHeader, PullMessageResponseHeader,
    QueryMessageRequestHeader, ViewMessageRequestHeader, PULL_FLAG_SUBSCRIPTION,
};
use crate::protocol::message::{decode_offset_msg_id, MessageExt};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Java's `MixAll.TOOLS_CONSUMER_GROUP`: the group admin pulls use.
const TOOLS_CONSUMER_GROUP: &str = "TOOLS_CONSUMER";

/// One pull of a queue by an admin.
#[derive(Debug, Clone, Default)]
pub struct PullBatch {
    /// The messages found (none when there were none at the offset).
    pub messages: Vec<MessageExt>,
    /// Where the next pull starts.
    pub next_offset: i64,
    /// The queue's min offset.
    pub min_offset: i64,
    /// The queue's max offset.
    pub max_offset: i64,
}

/// Where a message stands for one consumer group (Java's `TrackType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TrackType {
    /// The group's offset is past the message.
    Consumed,
    /// Past it, but the group's tags do not match the message's.
    ConsumedButFiltered,
    /// A pull (actively consuming) group: its offsets say nothing.
    Pull,
    /// Not consumed yet.
    NotConsumeYet,
    /// The group has no online client.
    NotOnline,
    /// A broadcasting group: offsets are kept by each client.
    ConsumeBroadcasting,
    /// Could not be determined (see the exception text).
    Unknown,
}

impl TrackType {
    /// Java's enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackType::Consumed => "CONSUMED",
            TrackType::ConsumedButFiltered => "CONSUMED_BUT_FILTERED",
            TrackType::Pull => "PULL",
            TrackType::NotConsumeYet => "NOT_CONSUME_YET",
            TrackType::NotOnline => "NOT_ONLINE",
            TrackType::ConsumeBroadcasting => "CONSUME_BROADCASTING",
            TrackType::Unknown => "UNKNOWN",
        }
    }
}

/// One group's view of a message (Java's `MessageTrack`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageTrack {
    /// The group.
    pub consumer_group: String,
    /// Where the message stands for it.
    pub track_type: TrackType,
    /// Why the state is unknown or offline, if it is.
    pub exception_desc: Option<String>,
}

fn broker_code(e: &ClientError) -> Option<i32> {
    match e {
        ClientError::Broker { code, .. } => Some(*code),
        _ => None,
    }
}

impl MqAdmin {
    /// VIEW_MESSAGE_BY_ID with an offset msg id (the store address and commit-log offset it
    /// holds), else — when `topic` is given — the message whose client id (`UNIQ_KEY`) it is.
    pub async fn view_message(
        &self,
        topic: Option<&str>,
        msg_id: &str,
    ) -> Result<MessageExt, ClientError> {
        if let Some((addr, offset)) = decode_offset_msg_id(msg_id) {
            let addr = addr.to_string();
            let req = RemotingCommand::request_with_header(
                RequestCode::ViewMessageById,
                &ViewMessageRequestHeader {
                    offset,
                    topic: topic.map(str::to_owned),
                },
            );
            match self.call(&addr, req).await {
                Ok(resp) if resp.code == ResponseCode::Success.code() => {
                    let mut msgs =
                        MessageExt::decode_all(&resp.body).map_err(|e| decode_err("message", e))?;
                    if !msgs.is_empty() {
                        return Ok(msgs.swap_remove(0));
                    }
                }
                Ok(resp) if topic.is_none() => check(&addr, &resp).map(|_| ())?,
                Err(e) if topic.is_none() => return Err(e),
                _ => {}
            }
        }
        match topic {
            Some(t) => self.query_message_by_unique_key(t, msg_id).await,
            None => Err(ClientError::InvalidMessage(format!(
                "{msg_id} is not an offset msg id; give the topic to look up a client msg id"
            ))),
        }
    }

    /// The message whose `UNIQ_KEY` is `uniq_id` (the earliest stored, if the id repeats), via
    /// the brokers' key index (QUERY_MESSAGE with `_UNIQUE_KEY_QUERY`).
    pub async fn query_message_by_unique_key(
        &self,
        topic: &str,
        uniq_id: &str,
    ) -> Result<MessageExt, ClientError> {
        let found = self
            .query_messages(topic, uniq_id, 32, 0, i64::MAX, true)
            .await?;
        found
            .into_iter()
            .filter(|m| m.msg_id() == uniq_id)
            .min_by_key(|m| m.store_timestamp)
            .ok_or_else(|| ClientError::Broker {
                addr: String::new(),
                code: ResponseCode::QueryNotFound.code(),
                remark: format!("no message with id {uniq_id} in topic {topic}"),
            })
    }

    /// QUERY_MESSAGE by key on every broker of the topic: messages stored in
    /// `[begin_ms, end_ms]` whose KEYS hold `key`, at most `max` per broker.
    pub async fn query_message_by_key(
        &self,
        topic: &str,
        key: &str,
        max: i32,
        begin_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<MessageExt>, ClientError> {
        let found = self
            .query_messages(topic, key, max, begin_ms, end_ms, false)
            .await?;
        Ok(found
            .into_iter()
            .filter(|m| m.keys().is_some_and(|k| k.split(' ').any(|one| one == key)))
            .collect())
    }

    async fn query_messages(
        &self,
        topic: &str,
        key: &str,
        max: i32,
        begin_ms: i64,
        end_ms: i64,
        unique: bool,
    ) -> Result<Vec<MessageExt>, ClientError> {
        let mut out = Vec::new();
        for addr in self.topic_masters(topic).await? {
            let req = RemotingCommand::request_with_header(
                RequestCode::QueryMessage,
                &QueryMessageRequestHeader {
                    topic: topic.to_owned(),
                    key: key.to_owned(),
                    max_num: max,
                    begin_timestamp: begin_ms,
                    end_timestamp: end_ms,
                    unique_key_query: unique.then_some(true),
                },
            );
            let resp = self.call_with(&addr, req, Duration::from_secs(15)).await?;
            if resp.code == ResponseCode::QueryNotFound.code() {
                continue;
            }
            check(&addr, &resp)?;
            out.extend(MessageExt::decode_all(&resp.body).map_err(|e| decode_err("message", e))?);
        }
        out.sort_by_key(|m| (m.store_timestamp, m.commit_log_offset));
        Ok(out)
    }

    /// The message at `offset` of queue `queue_id` of `topic` on broker `broker_name` (a pull of
    /// one message), `None` when there is none there.
    pub async fn query_message_by_offset(
        &self,
        topic: &str,
        broker_name: &str,
        queue_id: i32,
        offset: i64,
    ) -> Result<Option<MessageExt>, ClientError> {
        let batch = self
            .pull_from(topic, broker_name, queue_id, offset, 1)
            .await?;
        Ok(batch
            .messages
            .into_iter()
            .find(|m| m.queue_offset == offset))
    }

    /// Pulls up to `max` messages of one queue from `offset` (group `TOOLS_CONSUMER`, nothing
    /// committed). Found nothing, or an offset out of range, is an empty batch whose
    /// `next_offset` says where to go on.
    pub async fn pull_from(
        &self,
        topic: &str,
        broker_name: &str,
        queue_id: i32,
        offset: i64,
        max: i32,
    ) -> Result<PullBatch, ClientError> {
        let addr = self.broker_master(topic, broker_name).await?;
        self.pull_at(&addr, topic, queue_id, offset, max).await
    }

    /// The master address of `broker_name` in `topic`'s route (an error when the route has
    /// no such broker), for repeated [`pull_at`](Self::pull_at) calls.
    pub async fn broker_master(
        &self,
        topic: &str,
        broker_name: &str,
    ) -> Result<String, ClientError> {
        let route = self.instance.fetch_route(topic).await?;
        route
            .broker_datas
            .iter()
            .find(|b| b.broker_name == broker_name)
            .and_then(|b| b.master_addr().map(str::to_owned))
            .ok_or_else(|| ClientError::NoRoute {
                topic: topic.to_owned(),
                reason: format!("broker {broker_name} is not in the topic's route"),
            })
    }

    /// [`pull_from`](Self::pull_from) the broker at `addr` (no route lookup).
    pub async fn pull_at(
        &self,
        addr: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max: i32,
    ) -> Result<PullBatch, ClientError> {
        let req = RemotingCommand::request_with_header(
            RequestCode::PullMessage,
            &PullMessageRequestHeader {
                consumer_group: TOOLS_CONSUMER_GROUP.into(),
                topic: topic.to_owned(),
                queue_id,
                queue_offset: offset,
                max_msg_nums: max,
                // The subscription travels with the pull: no registered consumer needed.
                sys_flag: PULL_FLAG_SUBSCRIPTION,
                commit_offset: 0,
                suspend_timeout_millis: 0,
                subscription: Some("*".into()),
                sub_version: 0,
                expression_type: Some("TAG".into()),
                max_msg_bytes: None,
            },
        );
        let resp = self.call(addr, req).await?;
        let found = resp.code == ResponseCode::Success.code();
        if !found
            && !matches!(
                ResponseCode::from_code(resp.code),
                Some(
                    ResponseCode::PullNotFound
                        | ResponseCode::PullOffsetMoved
                        | ResponseCode::PullRetryImmediately
                )
            )
        {
            check(addr, &resp)?;
        }
        let h = resp
            .decode_header::<PullMessageResponseHeader>()
            .map_err(|e| decode_err("PullMessageResponseHeader", e))?;
        let messages = if found {
            MessageExt::decode_all(&resp.body).map_err(|e| decode_err("message", e))?
        } else {
            Vec::new()
        };
        Ok(PullBatch {
            messages,
            next_offset: h.next_begin_offset,
            min_offset: h.min_offset,
            max_offset: h.max_offset,
        })
    }

    /// Java's `messageTrackDetail`: for every group consuming the message's topic, whether it
    /// consumed the message.
    pub async fn message_track(&self, msg: &MessageExt) -> Result<Vec<MessageTrack>, ClientError> {
        let topic = msg
            .property("TOPIC_REAL")
            .map(str::to_owned)
            .unwrap_or_else(|| msg.topic.clone());
        let mut out = Vec::new();
        // The brokers holding the message's store address, looked up once for every group.
        let mut store_brokers = None;
        for group in self.topic_consumed_by(&topic).await? {
            let mut mt = MessageTrack {
                consumer_group: group.clone(),
                track_type: TrackType::Unknown,
                exception_desc: None,
            };
            let cc = match self.consumer_connection(&group).await {
                Ok(cc) => cc,
                Err(e) => {
                    if broker_code(&e) == Some(ResponseCode::ConsumerNotOnline.code()) {
                        mt.track_type = TrackType::NotOnline;
                    }
                    mt.exception_desc = Some(match &e {
                        ClientError::Broker { code, remark, .. } => {
                            format!("CODE:{code} DESC:{remark}")
                        }
                        other => other.to_string(),
                    });
                    out.push(mt);
                    continue;
                }
            };
            mt.track_type = match (cc.consume_type, cc.message_model) {
                (ConsumeType::ConsumeActively, _) => TrackType::Pull,
                (_, MessageModel::Broadcasting) => TrackType::ConsumeBroadcasting,
                _ => match self.consumed(msg, &topic, &group, &mut store_brokers).await {
                    Ok(true) => {
                        let filtered = cc.subscription_table.get(&topic).is_some_and(|s| {
                            let tags: BTreeSet<&str> =
                                s.tags_set.iter().map(String::as_str).collect();
                            !(tags.is_empty()
                                || tags.contains("*")
                                || msg.tags().is_some_and(|t| tags.contains(t)))
                        });
                        if filtered {
                            TrackType::ConsumedButFiltered
                        } else {
                            TrackType::Consumed
                        }
                    }
                    Ok(false) => TrackType::NotConsumeYet,
                    Err(e) => {
                        mt.exception_desc = Some(e.to_string());
                        TrackType::Unknown
                    }
                },
            };
            out.push(mt);
        }
        Ok(out)
    }

    /// Whether `group`'s committed offset on the message's queue is past the message.
    /// `store_brokers` caches the names of the brokers with the message's store address
    /// (filled from the cluster info on first use).
    async fn consumed(
        &self,
        msg: &MessageExt,
        topic: &str,
        group: &str,
        store_brokers: &mut Option<BTreeSet<String>>,
    ) -> Result<bool, ClientError> {
        let stats = self.examine_consume_stats(group, Some(topic)).await?;
        let on_store = match store_brokers {
            Some(names) => names,
            None => {
                let info = self.cluster_info().await?;
                let store = msg.store_host.to_string();
                store_brokers.insert(
                    info.broker_addr_table
                        .into_iter()
                        .filter(|(_, b)| b.broker_addrs.values().any(|a| *a == store))
                        .map(|(name, _)| name)
                        .collect(),
                )
            }
        };
        Ok(stats.offset_table.iter().any(|(mq, w)| {
            mq.queue_id == msg.queue_id
                && on_store.contains(&mq.broker_name)
                && w.consumer_offset > msg.queue_offset
        }))
    }

    /// CONSUME_MESSAGE_DIRECTLY: the broker that stores the message (found from its offset msg
    /// id, or its client id via `topic`'s key index) hands it to client `client_id` of `group`,
    /// whose listener consumes it. Also how a dead-letter message is resent to its group.
    pub async fn consume_message_directly(
        &self,
        group: &str,
        client_id: &str,
        topic: &str,
        msg_id: &str,
    ) -> Result<ConsumeMessageDirectlyResult, ClientError> {
        let msg = self.view_message(Some(topic), msg_id).await?;
        let addr = msg.store_host.to_string();
        let req = RemotingCommand::request_with_header(
            RequestCode::ConsumeMessageDirectly,
            &ConsumeMessageDirectlyResultRequestHeader {
                consumer_group: group.to_owned(),
                client_id: Some(client_id.to_owned()),
                msg_id: Some(msg.offset_msg_id()),
                broker_name: None,
                topic: Some(topic.to_owned()),
                topic_sys_flag: None,
                group_sys_flag: None,
            },
        );
        let resp = self.call_with(&addr, req, Duration::from_secs(10)).await?;
        check(&addr, &resp)?;
        serde_json::from_slice(&resp.body)
            .map_err(|e| decode_err("ConsumeMessageDirectlyResult", e))
    }
}
