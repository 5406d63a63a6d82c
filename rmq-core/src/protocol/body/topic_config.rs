//! TopicConfig, DataVersion and the REGISTER_BROKER body.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lenient::null_default;

/// Permission bit: priority.
pub const PERM_PRIORITY: i32 = 0x8;
/// Permission bit: readable.
pub const PERM_READ: i32 = 0x4;
/// Permission bit: writable.
pub const PERM_WRITE: i32 = 0x2;
/// Permission bit: topics may be auto-created from this one.
pub const PERM_INHERIT: i32 = 0x1;

/// The configuration of one topic on a broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicConfig {
    pub topic_name: String,
    pub read_queue_nums: i32,
    pub write_queue_nums: i32,
    pub perm: i32,
    #[serde(default = "single_tag")]
    pub topic_filter_type: String,
    #[serde(default)]
    pub topic_sys_flag: i32,
    #[serde(default)]
    pub order: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub attributes: BTreeMap<String, String>,
}

fn single_tag() -> String {
    "SINGLE_TAG".to_owned()
}

impl TopicConfig {
    /// A topic with `queues` read and write queues and read-write permission.
    pub fn new(name: impl Into<String>, queues: i32, perm: i32) -> Self {
        TopicConfig {
            topic_name: name.into(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm,
            topic_filter_type: single_tag(),
            topic_sys_flag: 0,
            order: false,
            attributes: BTreeMap::new(),
        }
    }
}

/// A version stamp of a table, bumped on every change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataVersion {
    pub counter: i64,
    #[serde(default)]
    pub state_version: i64,
    pub timestamp: i64,
}

/// TopicConfigSerializeWrapper: every topic of a broker with the table's version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicConfigSerializeWrapper {
    #[serde(default, deserialize_with = "null_default")]
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    #[serde(default)]
    pub data_version: DataVersion,
}
