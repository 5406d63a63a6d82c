//! The REGISTER_BROKER body, as JSON or in the compressed form (`compressedRegister=true`).
//!
//! Compressed (Java's `RegisterBrokerBody.encode(true)`), a zlib stream of:
//!
//! ```text
//! i32 len, DataVersion JSON
//! i32 topic count, then per topic: i32 len, TopicConfig.encode()  "name read write perm filterType[ attributesJSON]"
//! i32 len, filter server list JSON
//! (5.x only: i32 count, then per static topic: i32 len, TopicQueueMappingInfo JSON; ignored here)
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::from_fastjson_slice;
use super::lenient::null_default;
use super::topic_config::{DataVersion, TopicConfig, TopicConfigSerializeWrapper};
use crate::protocol::message::decompress;

/// Largest inflated compressed body accepted (a broker with ~100 000 topics stays below).
const MAX_INFLATED: usize = 64 * 1024 * 1024;

/// RegisterBrokerBody: the broker's topics with their version, and its filter servers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterBrokerBody {
    #[serde(default)]
    pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper,
    #[serde(default, deserialize_with = "null_default")]
    pub filter_server_list: Vec<String>,
}

/// A REGISTER_BROKER body that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RegisterBrokerBody ({form}): {reason}")]
pub struct RegisterBodyError {
    form: &'static str,
    reason: String,
}

impl RegisterBrokerBody {
    /// Decodes a body as the request's `compressed` header says. JSON is read leniently
    /// (fastjson's unquoted map keys, e.g. in static-topic mappings).
    pub fn decode(body: &[u8], compressed: bool) -> Result<Self, RegisterBodyError> {
        if compressed {
            decode_compressed(body).map_err(|reason| RegisterBodyError {
                form: "compressed",
                reason,
            })
        } else {
            from_fastjson_slice(body).map_err(|e| RegisterBodyError {
                form: "JSON",
                reason: e.to_string(),
            })
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn i32(&mut self, what: &str) -> Result<i32, String> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<4>()
            .ok_or_else(|| format!("truncated before the {what}"))?;
        self.buf = rest;
        Ok(i32::from_be_bytes(*head))
    }

    fn chunk(&mut self, what: &str) -> Result<&'a [u8], String> {
        let len = self.i32(what)?;
        let len =
            usize::try_from(len).map_err(|_| format!("negative length {len} of the {what}"))?;
        if len > self.buf.len() {
            return Err(format!(
                "the {what} claims {len} bytes, {} remain",
                self.buf.len()
            ));
        }
        let (chunk, rest) = self.buf.split_at(len);
        self.buf = rest;
        Ok(chunk)
    }
}

fn decode_compressed(body: &[u8]) -> Result<RegisterBrokerBody, String> {
    let data = decompress(body, MAX_INFLATED).map_err(|e| e.to_string())?;
    let mut r = Reader { buf: &data };
    let data_version: DataVersion =
        from_fastjson_slice(r.chunk("data version")?).map_err(|e| format!("data version: {e}"))?;
    let count = r.i32("topic count")?;
    let mut topic_config_table = BTreeMap::new();
    for i in 0..count.max(0) {
        let text = std::str::from_utf8(r.chunk("topic config")?)
            .map_err(|_| format!("topic config {i} is not UTF-8"))?;
        let config = decode_topic_config(text)?;
        topic_config_table.insert(config.topic_name.clone(), config);
    }
    let filter_server_list: Vec<String> = match r.chunk("filter server list") {
        Ok(json) if !json.is_empty() => {
            from_fastjson_slice(json).map_err(|e| format!("filter server list: {e}"))?
        }
        _ => Vec::new(),
    };
    // A 5.x broker appends its static-topic mappings; routes do not use them.
    Ok(RegisterBrokerBody {
        topic_config_serialize_wrapper: TopicConfigSerializeWrapper {
            topic_config_table,
            data_version,
        },
        filter_server_list,
    })
}

/// `TopicConfig.encode()`: `name read write perm filterType` and, from 5.0, ` attributesJSON`
/// (sysFlag and order are not in it).
fn decode_topic_config(text: &str) -> Result<TopicConfig, String> {
    let parts: Vec<&str> = text.splitn(6, ' ').collect();
    if parts.len() < 5 {
        return Err(format!("topic config {text:?} has fewer than 5 fields"));
    }
    let int = |i: usize, what: &str| -> Result<i32, String> {
        parts[i].parse().map_err(|_| {
            format!(
                "topic config {text:?}: {what} {:?} is not a number",
                parts[i]
            )
        })
    };
    let mut config = TopicConfig::new(parts[0], 0, int(3, "perm")?);
    config.read_queue_nums = int(1, "readQueueNums")?;
    config.write_queue_nums = int(2, "writeQueueNums")?;
    config.topic_filter_type = parts[4].to_owned();
    // Java ignores attributes that do not parse.
    if let Some(attrs) = parts.get(5).filter(|a| !a.trim().is_empty()) {
        config.attributes = from_fastjson_slice(attrs.as_bytes()).unwrap_or_default();
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::message::compress;

    fn chunk(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        out.extend_from_slice(bytes);
    }

    fn compressed(topics: &[&str], mappings: bool) -> Vec<u8> {
        let mut raw = Vec::new();
        chunk(&mut raw, br#"{"counter":7,"timestamp":1718000000000}"#);
        raw.extend_from_slice(&(topics.len() as i32).to_be_bytes());
        for t in topics {
            chunk(&mut raw, t.as_bytes());
        }
        chunk(&mut raw, b"[]");
        if mappings {
            raw.extend_from_slice(&0i32.to_be_bytes());
        }
        compress(&raw, 9)
    }

    #[test]
    fn compressed_4x_and_5x_bodies_decode() {
        // 4.x: five fields; 5.x: attributes appended, and a mapping section after the list.
        for (topics, mappings) in [
            (
                ["TBW102 8 8 7 SINGLE_TAG", "orders 4 4 6 SINGLE_TAG"],
                false,
            ),
            (
                [
                    "TBW102 8 8 7 SINGLE_TAG {}",
                    "orders 4 4 6 SINGLE_TAG {\"+k\":\"v\"}",
                ],
                true,
            ),
        ] {
            let body = RegisterBrokerBody::decode(&compressed(&topics, mappings), true).unwrap();
            let w = &body.topic_config_serialize_wrapper;
            assert_eq!(w.data_version.counter, 7);
            assert_eq!(w.topic_config_table.len(), 2);
            let orders = &w.topic_config_table["orders"];
            assert_eq!(
                (orders.read_queue_nums, orders.write_queue_nums, orders.perm),
                (4, 4, 6)
            );
            assert_eq!(orders.topic_filter_type, "SINGLE_TAG");
            assert_eq!(w.topic_config_table["TBW102"].perm, 7);
        }
    }

    #[test]
    fn bad_compressed_bodies_are_errors() {
        assert!(RegisterBrokerBody::decode(b"not zlib", true).is_err());
        let e =
            RegisterBrokerBody::decode(&compressed(&["orders four 4 6 SINGLE_TAG"], false), true)
                .unwrap_err();
        assert!(e.to_string().contains("readQueueNums"), "{e}");
        let e = RegisterBrokerBody::decode(&compressed(&["orders 4"], false), true).unwrap_err();
        assert!(e.to_string().contains("fewer than 5"), "{e}");
        let mut truncated = Vec::new();
        truncated.extend_from_slice(&100i32.to_be_bytes());
        let e = RegisterBrokerBody::decode(&compress(&truncated, 5), true).unwrap_err();
        assert!(e.to_string().contains("claims 100 bytes"), "{e}");
    }

    #[test]
    fn json_bodies_with_fastjson_keys_decode() {
        // A 5.x broker with a static topic writes integer-keyed maps unquoted.
        let body = br#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":2,"stateVersion":0,"timestamp":1},"topicConfigTable":{"T":{"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4}},"topicQueueMappingInfoMap":{"T":{"bname":"b","currIdMap":{0:0},"dirty":false,"epoch":0,"scope":"__global__","topic":"T","totalQueues":1}}}}"#;
        let b = RegisterBrokerBody::decode(body, false).unwrap();
        assert_eq!(
            b.topic_config_serialize_wrapper.topic_config_table["T"].read_queue_nums,
            4
        );
    }
}
