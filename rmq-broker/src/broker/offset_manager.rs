//! Committed consumer offsets (`config/consumerOffset.json`), keyed `topic@group`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::RwLock;

use serde::{Deserialize, Serialize};

use super::persist;
use crate::config::BrokerConfig;
use crate::error::BrokerError;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wrapper {
    #[serde(default)]
    offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
}

/// Offsets per `topic@group` and queue.
#[derive(Debug)]
pub struct ConsumerOffsetManager {
    path: PathBuf,
    table: RwLock<HashMap<String, BTreeMap<i32, i64>>>,
}

fn key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

impl ConsumerOffsetManager {
    /// Loads the table.
    pub fn load(cfg: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = persist::config_dir(&cfg.store.store_path_root_dir).join("consumerOffset.json");
        let w: Wrapper = persist::load(&path)?.unwrap_or_default();
        Ok(ConsumerOffsetManager {
            path,
            table: RwLock::new(w.offset_table.into_iter().collect()),
        })
    }

    /// Commits an offset.
    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key(topic, group))
            .or_default()
            .insert(queue_id, offset);
    }

    /// The committed offset, if any.
    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key(topic, group))
            .and_then(|m| m.get(&queue_id).copied())
    }

    /// Every queue offset of a group on a topic.
    pub fn offsets(&self, group: &str, topic: &str) -> BTreeMap<i32, i64> {
        self.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key(topic, group))
            .cloned()
            .unwrap_or_default()
    }

    /// Topics a group has offsets for.
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        let suffix = format!("@{group}");
        self.key_parts(|k| k.strip_suffix(&suffix))
    }

    /// Groups with offsets on `topic`.
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        let prefix = format!("{topic}@");
        self.key_parts(|k| k.strip_prefix(&prefix))
    }

    /// What `part` keeps of each `topic@group` key it matches.
    fn key_parts(&self, part: impl Fn(&str) -> Option<&str>) -> Vec<String> {
        self.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .filter_map(|k| part(k).map(str::to_owned))
            .collect()
    }

    /// Forgets a group's offsets on every topic.
    pub fn remove_group(&self, group: &str) {
        let suffix = format!("@{group}");
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| !k.ends_with(&suffix));
    }

    /// Forgets a topic's offsets.
    pub fn remove_topic(&self, topic: &str) {
        let prefix = format!("{topic}@");
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| !k.starts_with(&prefix));
    }

    /// Writes the file.
    pub fn persist(&self) -> Result<(), BrokerError> {
        let table: BTreeMap<String, BTreeMap<i32, i64>> = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        persist::store(
            &self.path,
            &Wrapper {
                offset_table: table,
            },
        )
    }
}
