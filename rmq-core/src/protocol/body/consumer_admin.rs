//! Admin bodies about consumer groups: `ConsumeStats` (208), `ResetOffsetBody` (220/222) and
//! `SubscriptionGroupWrapper` (201). The MessageQueue-keyed maps use fastjson's object-keyed
//! form, which Java tools write and expect.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::{fastjson_to_json, write_object_keyed_map};
use super::lenient::null_default;
use super::{MessageQueue, OffsetWrapper, SubscriptionGroupConfig};

/// Parses the string keys `fastjson_to_json` made of MessageQueue objects.
fn mq_keyed<V>(raw: BTreeMap<String, V>) -> serde_json::Result<BTreeMap<MessageQueue, V>> {
    raw.into_iter()
        .map(|(k, v)| Ok((serde_json::from_str::<MessageQueue>(&k)?, v)))
        .collect()
}

/// GET_CONSUME_STATS response body: per-queue progress of a group and its consume TPS.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsumeStats {
    /// Progress per queue.
    pub offset_table: BTreeMap<MessageQueue, OffsetWrapper>,
    /// Messages consumed per second (the group on this broker).
    pub consume_tps: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConsumeStats {
    #[serde(default, deserialize_with = "null_default")]
    offset_table: BTreeMap<String, OffsetWrapper>,
    #[serde(default)]
    consume_tps: f64,
}

impl ConsumeStats {
    /// Reads fastjson's form (or standard JSON with string keys).
    pub fn decode(body: &[u8]) -> serde_json::Result<Self> {
        let raw: RawConsumeStats =
            serde_json::from_str(&fastjson_to_json(&String::from_utf8_lossy(body)))?;
        Ok(ConsumeStats {
            offset_table: mq_keyed(raw.offset_table)?,
            consume_tps: raw.consume_tps,
        })
    }

    /// Writes fastjson's form.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = format!("{{\"consumeTps\":{:?},\"offsetTable\":", self.consume_tps);
        write_object_keyed_map(&mut s, self.offset_table.iter());
        s.push('}');
        s.into_bytes()
    }

    /// Messages not consumed yet, over all queues.
    pub fn diff_total(&self) -> i64 {
        self.offset_table
            .values()
            .map(|w| w.broker_offset - w.consumer_offset)
            .sum()
    }
}

/// `ResetOffsetBody`: the offset each queue was reset to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetOffsetBody {
    /// New offset per queue.
    pub offset_table: BTreeMap<MessageQueue, i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResetOffsetBody {
    #[serde(default, deserialize_with = "null_default")]
    offset_table: BTreeMap<String, i64>,
}

impl ResetOffsetBody {
    /// Reads fastjson's form (or standard JSON with string keys).
    pub fn decode(body: &[u8]) -> serde_json::Result<Self> {
        let raw: RawResetOffsetBody =
            serde_json::from_str(&fastjson_to_json(&String::from_utf8_lossy(body)))?;
        Ok(ResetOffsetBody {
            offset_table: mq_keyed(raw.offset_table)?,
        })
    }

    /// Writes fastjson's form.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = String::from("{\"offsetTable\":");
        write_object_keyed_map(&mut s, self.offset_table.iter());
        s.push('}');
        s.into_bytes()
    }
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG response body (`SubscriptionGroupWrapper`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionGroupWrapper {
    /// Every group's configuration by name.
    #[serde(default, deserialize_with = "null_default")]
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_stats_and_reset_bodies_round_trip_in_fastjson_form() {
        let mut stats = ConsumeStats {
            consume_tps: 1.5,
            ..Default::default()
        };
        stats.offset_table.insert(
            MessageQueue::new("T", "b", 1),
            OffsetWrapper {
                broker_offset: 9,
                consumer_offset: 4,
                pull_offset: 4,
                last_timestamp: 7,
            },
        );
        let text = String::from_utf8(stats.encode()).unwrap();
        assert!(text.contains("{\"topic\":\"T\",\"brokerName\":\"b\",\"queueId\":1}:{"));
        assert_eq!(ConsumeStats::decode(text.as_bytes()).unwrap(), stats);
        assert_eq!(stats.diff_total(), 5);
        let mut reset = ResetOffsetBody::default();
        reset.offset_table.insert(MessageQueue::new("T", "b", 0), 3);
        assert_eq!(ResetOffsetBody::decode(&reset.encode()).unwrap(), reset);
        assert!(ConsumeStats::decode(b"{\"offsetTable\":{{\"topic\":1}:{}}}").is_err());
    }
}
