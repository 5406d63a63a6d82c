//! Resetting a group's offsets to a point in time: INVOKE_BROKER_TO_RESET_OFFSET (222) on every
//! broker of the topic; each broker computes the per-queue offsets and has the group's online
//! clients restart from them (RESET_CONSUMER_CLIENT_OFFSET, 220). A Java broker refuses an
//! offline group (CONSUMER_NOT_ONLINE); the offsets are then searched and committed one queue
//! at a time, as mqadmin's `ResetOffsetByTimeOldCommand` does.

use std::collections::BTreeMap;

use super::consumer::decode_err;
use super::{check, MqAdmin};
use crate::client::ClientError;
use crate::protocol::body::{MessageQueue, ResetOffsetBody};
use crate::protocol::header::{
    OffsetResponseHeader, ResetOffsetRequestHeader, SearchOffsetRequestHeader,
    UpdateConsumerOffsetRequestHeader,
};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// How a reset was carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetOutcome {
    /// The brokers reset the offsets (and told the online clients): the new offset per queue.
    Reset(BTreeMap<MessageQueue, i64>),
    /// The group was offline on a broker that refuses that: offsets were committed queue by
    /// queue.
    Committed(BTreeMap<MessageQueue, RollbackStats>),
}

/// One queue of an offline reset (Java's `RollbackStats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackStats {
    /// The queue's max offset.
    pub broker_offset: i64,
    /// The group's offset before.
    pub consumer_offset: i64,
    /// The offset found for the time.
    pub timestamp_offset: i64,
    /// The offset the group has now.
    pub rollback_offset: i64,
}

impl MqAdmin {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29) on the broker at `addr`: the offset of the first
    /// message of the queue stored at or after `timestamp_ms` (the max offset when none is).
    pub async fn search_offset(
        &self,
        addr: &str,
        topic: &str,
        queue_id: i32,
        timestamp_ms: i64,
    ) -> Result<i64, ClientError> {
        let req = RemotingCommand::request_with_header(
            RequestCode::SearchOffsetByTimestamp,
            &SearchOffsetRequestHeader {
                topic: topic.to_owned(),
                queue_id,
                timestamp: timestamp_ms,
                boundary_type: None,
            },
        );
        let resp = self.call_ok(addr, req).await?;
        Ok(resp
            .decode_header::<OffsetResponseHeader>()
            .map_err(|e| decode_err("SearchOffsetResponseHeader", e))?
            .offset)
    }

    /// Resets `group` on `topic` to the first message stored at or after `timestamp_ms`
    /// (-1: to the end). Without `force` a queue only moves backwards.
    pub async fn reset_offset_by_time(
        &self,
        topic: &str,
        group: &str,
        timestamp_ms: i64,
        force: bool,
    ) -> Result<ResetOutcome, ClientError> {
        let mut table = BTreeMap::new();
        for addr in self.topic_masters(topic).await? {
            let req = RemotingCommand::request_with_header(
                RequestCode::InvokeBrokerToResetOffset,
                &ResetOffsetRequestHeader {
                    topic: topic.to_owned(),
                    group: group.to_owned(),
                    timestamp: timestamp_ms,
                    is_force: force,
                    queue_id: None,
                    offset: None,
                },
            );
            let resp = self.call(&addr, req).await?;
            if resp.code == ResponseCode::ConsumerNotOnline.code() {
                tracing::info!(%group, %topic, %addr, "group offline: committing the offsets queue by queue");
                return self
                    .reset_offline(topic, group, timestamp_ms, force)
                    .await
                    .map(ResetOutcome::Committed);
            }
            check(&addr, &resp)?;
            if !resp.body.is_empty() {
                let body = ResetOffsetBody::decode(&resp.body)
                    .map_err(|e| decode_err("ResetOffsetBody", e))?;
                table.extend(body.offset_table);
            }
        }
        Ok(ResetOutcome::Reset(table))
    }

    /// The old way: search each queue's offset for the time and commit it (UPDATE_CONSUMER_OFFSET).
    async fn reset_offline(
        &self,
        topic: &str,
        group: &str,
        timestamp_ms: i64,
        force: bool,
    ) -> Result<BTreeMap<MessageQueue, RollbackStats>, ClientError> {
        let stats = self.examine_consume_stats(group, Some(topic)).await?;
        let mut out = BTreeMap::new();
        for (mq, w) in stats.offset_table {
            let Some(addr) = self.instance.master_addr(&mq.broker_name) else {
                continue;
            };
            let target = if timestamp_ms < 0 {
                w.broker_offset
            } else {
                self.search_offset(&addr, &mq.topic, mq.queue_id, timestamp_ms)
                    .await?
            };
            let commit = force || target < w.consumer_offset;
            if commit {
                let req = RemotingCommand::request_with_header(
                    RequestCode::UpdateConsumerOffset,
                    &UpdateConsumerOffsetRequestHeader {
                        consumer_group: group.to_owned(),
                        topic: mq.topic.clone(),
                        queue_id: mq.queue_id,
                        commit_offset: target,
                    },
                );
                self.call_ok(&addr, req).await?;
            }
            out.insert(
                mq,
                RollbackStats {
                    broker_offset: w.broker_offset,
                    consumer_offset: w.consumer_offset,
                    timestamp_offset: target,
                    rollback_offset: if commit { target } else { w.consumer_offset },
                },
            );
        }
        Ok(out)
    }
}
