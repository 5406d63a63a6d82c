//! What a consumer answers to GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY
//! (309): `ConsumerRunningInfo`, `ProcessQueueInfo`, `ConsumeMessageDirectlyResult`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::{fastjson_to_json, write_object_keyed_map};
use super::heartbeat::SubscriptionData;
use super::lenient::{bool_any, i64_any, named_enum, null_default};
use super::lock::MessageQueue;

/// `ConsumerRunningInfo.PROP_NAMESERVER_ADDR`.
pub const PROP_NAMESERVER_ADDR: &str = "PROP_NAMESERVER_ADDR";
/// `ConsumerRunningInfo.PROP_THREADPOOL_CORE_SIZE`.
pub const PROP_THREADPOOL_CORE_SIZE: &str = "PROP_THREADPOOL_CORE_SIZE";
/// `ConsumerRunningInfo.PROP_CONSUME_ORDERLY` (the key is `PROP_CONSUMEORDERLY`, as Java).
pub const PROP_CONSUME_ORDERLY: &str = "PROP_CONSUMEORDERLY";
/// `ConsumerRunningInfo.PROP_CONSUME_TYPE`: `CONSUME_PASSIVELY` (push) or `CONSUME_ACTIVELY`.
pub const PROP_CONSUME_TYPE: &str = "PROP_CONSUME_TYPE";
/// `ConsumerRunningInfo.PROP_CLIENT_VERSION`.
pub const PROP_CLIENT_VERSION: &str = "PROP_CLIENT_VERSION";
/// `ConsumerRunningInfo.PROP_CONSUMER_START_TIMESTAMP` (ms).
pub const PROP_CONSUMER_START_TIMESTAMP: &str = "PROP_CONSUMER_START_TIMESTAMP";

/// The state of one assigned queue's process queue (`ProcessQueueInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProcessQueueInfo {
    /// The offset the consumer would commit now.
    #[serde(deserialize_with = "i64_any")]
    pub commit_offset: i64,
    /// Smallest offset cached (pulled, not yet consumed).
    #[serde(deserialize_with = "i64_any")]
    pub cached_msg_min_offset: i64,
    /// Largest offset cached.
    #[serde(deserialize_with = "i64_any")]
    pub cached_msg_max_offset: i64,
    /// Messages cached.
    #[serde(deserialize_with = "i64_any")]
    pub cached_msg_count: i64,
    /// Bodies cached, in MiB (rounded down).
    #[serde(rename = "cachedMsgSizeInMiB", deserialize_with = "i64_any")]
    pub cached_msg_size_in_mib: i64,
    /// Orderly: smallest offset being consumed.
    #[serde(deserialize_with = "i64_any")]
    pub transaction_msg_min_offset: i64,
    /// Orderly: largest offset being consumed.
    #[serde(deserialize_with = "i64_any")]
    pub transaction_msg_max_offset: i64,
    /// Orderly: messages being consumed.
    #[serde(deserialize_with = "i64_any")]
    pub transaction_msg_count: i64,
    /// Orderly: the queue is locked on its broker.
    #[serde(deserialize_with = "bool_any")]
    pub locked: bool,
    /// Orderly: unlock attempts.
    #[serde(deserialize_with = "i64_any")]
    pub try_unlock_times: i64,
    /// Orderly: last lock time (ms).
    #[serde(deserialize_with = "i64_any")]
    pub last_lock_timestamp: i64,
    /// The queue was taken away (Java's spelling).
    #[serde(deserialize_with = "bool_any")]
    pub droped: bool,
    /// Last pull (ms).
    #[serde(deserialize_with = "i64_any")]
    pub last_pull_timestamp: i64,
    /// Last consumption (ms).
    #[serde(deserialize_with = "i64_any")]
    pub last_consume_timestamp: i64,
}

/// GET_CONSUMER_RUNNING_INFO response body (`ConsumerRunningInfo`).
///
/// [`encode`](Self::encode) writes `mqTable` in fastjson's object-keyed form, which Java tools
/// read; [`decode`](Self::decode) reads that form and standard JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsumerRunningInfo {
    /// Consumer settings and `PROP_*` entries.
    pub properties: BTreeMap<String, String>,
    /// The consumer's subscriptions.
    pub subscription_set: Vec<SubscriptionData>,
    /// Process queue state per assigned queue.
    pub mq_table: BTreeMap<MessageQueue, ProcessQueueInfo>,
    /// Thread dump (Java only; `None` here).
    pub jstack: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRunningInfo {
    #[serde(default, deserialize_with = "null_default")]
    properties: BTreeMap<String, serde_json::Value>,
    #[serde(default, deserialize_with = "null_default")]
    subscription_set: Vec<SubscriptionData>,
    #[serde(default, deserialize_with = "null_default")]
    mq_table: BTreeMap<String, ProcessQueueInfo>,
    #[serde(default)]
    jstack: Option<String>,
}

impl ConsumerRunningInfo {
    /// The body as Java's fastjson writes it (fields in alphabetical order, MessageQueue keys
    /// as objects).
    pub fn encode(&self) -> Vec<u8> {
        let mut s = String::with_capacity(256 + self.mq_table.len() * 256);
        s.push('{');
        if let Some(j) = &self.jstack {
            s.push_str("\"jstack\":");
            s.push_str(&serde_json::to_string(j).unwrap_or_else(|_| "null".into()));
            s.push(',');
        }
        s.push_str("\"mqTable\":");
        write_object_keyed_map(&mut s, self.mq_table.iter());
        s.push_str(",\"properties\":");
        s.push_str(&serde_json::to_string(&self.properties).unwrap_or_else(|_| "{}".into()));
        s.push_str(",\"subscriptionSet\":");
        s.push_str(&serde_json::to_string(&self.subscription_set).unwrap_or_else(|_| "[]".into()));
        s.push('}');
        s.into_bytes()
    }

    /// Reads a body in fastjson's form or standard JSON.
    pub fn decode(body: &[u8]) -> Result<Self, serde_json::Error> {
        let text = String::from_utf8_lossy(body);
        let raw: RawRunningInfo = serde_json::from_str(&fastjson_to_json(&text))?;
        let mut mq_table = BTreeMap::new();
        for (k, v) in raw.mq_table {
            mq_table.insert(serde_json::from_str::<MessageQueue>(&k)?, v);
        }
        Ok(ConsumerRunningInfo {
            properties: raw
                .properties
                .into_iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => (k, s),
                    other => (k, other.to_string()),
                })
                .collect(),
            subscription_set: raw.subscription_set,
            mq_table,
            jstack: raw.jstack,
        })
    }
}

named_enum! {
    /// How a CONSUME_MESSAGE_DIRECTLY call ended (`CMResult`).
    pub enum CmResult {
        #[default]
        CrSuccess = (0, "CR_SUCCESS"),
        CrLater = (1, "CR_LATER"),
        CrRollback = (2, "CR_ROLLBACK"),
        CrCommit = (3, "CR_COMMIT"),
        CrThrowException = (4, "CR_THROW_EXCEPTION"),
        CrReturnNull = (5, "CR_RETURN_NULL"),
    } default CrSuccess
}

/// CONSUME_MESSAGE_DIRECTLY response body (`ConsumeMessageDirectlyResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumeMessageDirectlyResult {
    /// Consumed by an orderly listener.
    #[serde(default, deserialize_with = "bool_any")]
    pub order: bool,
    /// Always true for push consumers.
    #[serde(default, deserialize_with = "bool_any")]
    pub auto_commit: bool,
    /// The outcome.
    #[serde(default)]
    pub consume_result: Option<CmResult>,
    /// Why it failed (a panic message), if it did.
    #[serde(default)]
    pub remark: Option<String>,
    /// Listener time in ms.
    #[serde(default, deserialize_with = "i64_any")]
    pub spent_time_mills: i64,
}

impl Default for ConsumeMessageDirectlyResult {
    fn default() -> Self {
        ConsumeMessageDirectlyResult {
            order: false,
            auto_commit: true,
            consume_result: None,
            remark: None,
            spent_time_mills: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_info_round_trips_in_fastjson_form() {
        let mut info = ConsumerRunningInfo::default();
        info.properties
            .insert(PROP_CONSUME_TYPE.into(), "CONSUME_PASSIVELY".into());
        info.subscription_set
            .push(SubscriptionData::from_expression("T", "a || b", 7));
        info.mq_table.insert(
            MessageQueue::new("T", "broker-a", 1),
            ProcessQueueInfo {
                commit_offset: 5,
                cached_msg_count: 2,
                ..Default::default()
            },
        );
        let body = info.encode();
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(
            text.contains(r#""mqTable":{{"topic":"T","brokerName":"broker-a","queueId":1}:{"#),
            "{text}"
        );
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
        assert_eq!(ConsumerRunningInfo::decode(&body).unwrap(), info);
        // Java's own output (numbers as values, extra fields) is read too.
        let java = br#"{"mqPopTable":{},"mqTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"cachedMsgCount":3,"cachedMsgSizeInMiB":0,"droped":false,"commitOffset":9}},"properties":{"PROP_CONSUMER_START_TIMESTAMP":"1","consumeThreadMax":20},"statusTable":{},"subscriptionSet":[]}"#;
        let d = ConsumerRunningInfo::decode(java).unwrap();
        assert_eq!(
            d.mq_table[&MessageQueue::new("T", "b", 0)].cached_msg_count,
            3
        );
        assert_eq!(d.properties["consumeThreadMax"], "20");
    }

    #[test]
    fn direct_result_field_names() {
        let r = ConsumeMessageDirectlyResult {
            consume_result: Some(CmResult::CrLater),
            spent_time_mills: 4,
            ..Default::default()
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["consumeResult"], "CR_LATER");
        assert_eq!(v["autoCommit"], true);
        assert_eq!(v["spentTimeMills"], 4);
        assert_eq!(v["order"], false);
    }
}
