//! `MqAdmin`: the admin calls tests and tools need — cluster info, topic creation, and consume
//! stats (broker offset, consumer offset and lag per queue).

mod broker;
mod consumer;
mod message;
mod producer;
mod reset;
mod subscription;
mod topic;

pub use broker::BrokerAddr;
pub use message::{MessageTrack, PullBatch, TrackType};
pub use reset::{ResetOutcome, RollbackStats};

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{ClientConfig, ClientError, ClientInstance};
use crate::protocol::body::{from_fastjson_slice, ClusterInfo, MessageQueue, OffsetWrapper};
use crate::protocol::header::{CreateTopicRequestHeader, GetConsumeStatsRequestHeader};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Progress of a group on one queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    /// The queue's max offset (next to be written).
    pub broker_offset: i64,
    /// The group's committed offset.
    pub consumer_offset: i64,
    /// Store time of the last consumed message (ms), 0 if none.
    pub last_timestamp: i64,
}

impl QueueStats {
    /// Messages not yet consumed.
    pub fn lag(&self) -> i64 {
        (self.broker_offset - self.consumer_offset).max(0)
    }
}

/// Admin calls against the name servers and brokers.
#[derive(Debug, Clone)]
pub struct MqAdmin {
    instance: Arc<ClientInstance>,
}

fn check(addr: &str, resp: &RemotingCommand) -> Result<(), ClientError> {
    if resp.code == ResponseCode::Success.code() {
        Ok(())
    } else {
        Err(ClientError::Broker {
            addr: addr.to_owned(),
            code: resp.code,
            remark: resp.remark_str().to_owned(),
        })
    }
}

impl MqAdmin {
    /// An admin client.
    pub fn new(client: ClientConfig) -> Result<Self, ClientError> {
        Ok(MqAdmin {
            instance: ClientInstance::new(client)?,
        })
    }

    /// Closes the admin's connections.
    pub async fn close(&self) {
        self.instance.remoting().close_all().await;
    }

    /// GET_BROKER_CLUSTER_INFO from the first name server that answers.
    pub async fn cluster_info(&self) -> Result<ClusterInfo, ClientError> {
        let (addr, resp) = self
            .instance
            .invoke_namesrv(|| RemotingCommand::request(RequestCode::GetBrokerClusterInfo))
            .await?;
        check(&addr, &resp)?;
        from_fastjson_slice(&resp.body).map_err(|e| ClientError::Decode {
            what: "ClusterInfo",
            detail: e.to_string(),
        })
    }

    /// Creates (or updates) a topic with `queues` read and write queues on every master.
    pub async fn create_topic(&self, topic: &str, queues: i32) -> Result<(), ClientError> {
        let info = self.cluster_info().await?;
        let h = CreateTopicRequestHeader {
            topic: topic.to_owned(),
            default_topic: "TBW102".into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: None,
            order: false,
        };
        let masters: Vec<String> = info
            .broker_addr_table
            .values()
            .filter_map(|b| b.master_addr().map(str::to_owned))
            .collect();
        if masters.is_empty() {
            return Err(ClientError::NoRoute {
                topic: topic.to_owned(),
                reason: "no broker registered".into(),
            });
        }
        for addr in masters {
            let req = RemotingCommand::request_with_header(RequestCode::UpdateAndCreateTopic, &h);
            self.call_ok(&addr, req).await?;
        }
        Ok(())
    }

    /// GET_CONSUME_STATS of a group on a topic, from every broker of the topic.
    pub async fn consume_stats(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<BTreeMap<MessageQueue, QueueStats>, ClientError> {
        let route = self.instance.fetch_route(topic).await?;
        let mut out = BTreeMap::new();
        for b in &route.broker_datas {
            let Some(addr) = b.master_addr() else {
                continue;
            };
            let req = RemotingCommand::request_with_header(
                RequestCode::GetConsumeStats,
                &GetConsumeStatsRequestHeader {
                    consumer_group: group.to_owned(),
                    topic: Some(topic.to_owned()),
                },
            );
            let resp = self.call_ok(addr, req).await?;
            for (mq, w) in parse_offset_table(&resp.body)? {
                out.insert(
                    mq,
                    QueueStats {
                        broker_offset: w.broker_offset,
                        consumer_offset: w.consumer_offset,
                        last_timestamp: w.last_timestamp,
                    },
                );
            }
        }
        Ok(out)
    }
}

/// Parses fastjson's object-keyed `offsetTable` (`{{mq}:{wrapper},...}`), which is not JSON.
pub fn parse_offset_table(body: &[u8]) -> Result<Vec<(MessageQueue, OffsetWrapper)>, ClientError> {
    let err = |detail: &str| ClientError::Decode {
        what: "ConsumeStats",
        detail: detail.to_owned(),
    };
    let text = std::str::from_utf8(body).map_err(|_| err("not UTF-8"))?;
    let start = text
        .find("\"offsetTable\"")
        .ok_or_else(|| err("no offsetTable"))?;
    let rest = &text[start..];
    let open = rest
        .find('{')
        .ok_or_else(|| err("offsetTable is not an object"))?;
    let mut s = &rest[open + 1..];
    // The next balanced `{...}` object (MessageQueue and OffsetWrapper hold no nested braces).
    let take_object = |s: &str| -> Option<(usize, usize)> {
        let a = s.find('{')?;
        let b = a + s[a..].find('}')?;
        Some((a, b + 1))
    };
    let mut out = Vec::new();
    loop {
        let t = s.trim_start();
        if t.starts_with('}') || t.is_empty() {
            break;
        }
        let (a, b) = take_object(s).ok_or_else(|| err("truncated key"))?;
        let mq: MessageQueue = serde_json::from_str(&s[a..b]).map_err(|e| err(&e.to_string()))?;
        s = &s[b..];
        let colon = s.find(':').ok_or_else(|| err("missing ':'"))?;
        s = &s[colon + 1..];
        let (a, b) = take_object(s).ok_or_else(|| err("truncated value"))?;
        let w: OffsetWrapper = serde_json::from_str(&s[a..b]).map_err(|e| err(&e.to_string()))?;
        s = &s[b..];
        out.push((mq, w));
        let t = s.trim_start();
        s = t.strip_prefix(',').unwrap_or(t);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fastjson_object_keys() {
        let body = br#"{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"brokerOffset":9,"consumerOffset":4,"lastTimestamp":7,"pullOffset":4},{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":0,"consumerOffset":0,"lastTimestamp":0,"pullOffset":0}}}"#;
        let t = parse_offset_table(body).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].0.queue_id, 1);
        assert_eq!(t[0].1.broker_offset - t[0].1.consumer_offset, 5);
        assert!(parse_offset_table(br#"{"offsetTable":{}}"#)
            .unwrap()
            .is_empty());
        assert!(parse_offset_table(b"{}").is_err());
    }
}
