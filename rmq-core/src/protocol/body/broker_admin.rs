//! Admin bodies about brokers and topics: topic stats (202), producer connections (204), broker
//! stats (315) and the properties text of broker config (25/26).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::fastjson_to_json;
use super::lenient::null_default;
use super::lock::MessageQueue;
use super::misc::Connection;

/// Min/max offset and last store time of one queue (`TopicOffset`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicOffset {
    /// The first offset still stored.
    #[serde(default)]
    pub min_offset: i64,
    /// The next offset to be written.
    #[serde(default)]
    pub max_offset: i64,
    /// Store time (ms) of the last message, 0 if none.
    #[serde(default)]
    pub last_update_timestamp: i64,
}

/// GET_TOPIC_STATS_INFO's body (`TopicStatsTable`): per queue offsets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicStatsTable {
    /// Offsets by queue.
    pub offset_table: BTreeMap<MessageQueue, TopicOffset>,
    /// Messages put per second (the broker's last minute; summed over brokers).
    pub topic_put_tps: f64,
}

impl TopicStatsTable {
    /// Decodes the fastjson body, whose `offsetTable` is keyed by MessageQueue objects.
    pub fn decode(body: &[u8]) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            #[serde(default, deserialize_with = "null_default")]
            offset_table: BTreeMap<String, TopicOffset>,
            #[serde(default)]
            topic_put_tps: f64,
        }
        let text = String::from_utf8_lossy(body);
        let raw: Raw = serde_json::from_str(&fastjson_to_json(&text))?;
        let mut offset_table = BTreeMap::new();
        for (key, offset) in raw.offset_table {
            let mq: MessageQueue = serde_json::from_str(&key)?;
            offset_table.insert(mq, offset);
        }
        Ok(TopicStatsTable {
            offset_table,
            topic_put_tps: raw.topic_put_tps,
        })
    }
}

/// GET_PRODUCER_CONNECTION_LIST's body (`ProducerConnection`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProducerConnection {
    /// The group's connections.
    #[serde(default, deserialize_with = "null_default")]
    pub connection_set: Vec<Connection>,
}

/// Sum, per-second rate and average time of one stats window (`BrokerStatsItem`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerStatsItem {
    /// Total of the window.
    #[serde(default)]
    pub sum: i64,
    /// Per second over the window.
    #[serde(default)]
    pub tps: f64,
    /// Average value per event (size or time).
    #[serde(default)]
    pub avgpt: f64,
}

/// VIEW_BROKER_STATS_DATA's body (`BrokerStatsData`): the last minute, hour and day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerStatsData {
    /// The last minute.
    #[serde(default)]
    pub stats_minute: BrokerStatsItem,
    /// The last hour.
    #[serde(default)]
    pub stats_hour: BrokerStatsItem,
    /// The last day.
    #[serde(default)]
    pub stats_day: BrokerStatsItem,
}

/// Parses Java properties text (`key=value` or `key:value` lines, `#`/`!` comments) as
/// GET_BROKER_CONFIG returns and UPDATE_BROKER_CONFIG takes it.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (k, v) = match line.find(['=', ':']) {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, ""),
        };
        out.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    out
}

/// Writes `key=value` lines, one per entry.
pub fn format_properties<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_stats_table_reads_object_keys() {
        let body = br#"{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"lastUpdateTimestamp":5,"maxOffset":9,"minOffset":2}},"topicPutTps":0.0}"#;
        let t = TopicStatsTable::decode(body).unwrap();
        let (mq, off) = t.offset_table.iter().next().unwrap();
        assert_eq!((mq.queue_id, off.min_offset, off.max_offset), (1, 2, 9));
        assert!(TopicStatsTable::decode(b"not json").is_err());
    }

    #[test]
    fn properties_round_trip() {
        let p = parse_properties("# c\nbrokerName = b1\nflushDiskType=ASYNC_FLUSH\nx:y=z\n\n");
        assert_eq!(p["brokerName"], "b1");
        assert_eq!(p["x"], "y=z");
        assert_eq!(parse_properties(&format_properties(&p)), p);
    }
}
