//! Topic configs of this broker (`config/topics.json`), system topics and auto-creation.

use rmq_core::clock::now_ms;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, RwLock};

use rmq_core::protocol::body::{
    DataVersion, TopicConfig, TopicConfigSerializeWrapper, PERM_INHERIT, PERM_READ, PERM_WRITE,
};

use super::persist;
use crate::config::BrokerConfig;
use crate::error::BrokerError;

/// The auto-create template topic.
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";
pub use crate::store::SCHEDULE_TOPIC;
/// Transaction half messages.
pub const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Transaction op records.
pub const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Prefix of retry topics.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of dead-letter topics.
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";

/// Topics clients may not send to.
pub const NOT_ALLOWED_SEND_TOPICS: &[&str] = &[
    SCHEDULE_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
    crate::timer::TIMER_TOPIC,
];

/// Why a topic name is refused.
pub fn validate_topic(topic: &str) -> Result<(), String> {
    if topic.trim().is_empty() {
        return Err("The specified topic is blank.".into());
    }
    let max = if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)
        || topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
    {
        255
    } else {
        127
    };
    if topic.len() > max {
        return Err(format!(
            "The specified topic is longer than topic max length {max}."
        ));
    }
    if !topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
    {
        return Err(format!(
            "The specified topic[{topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        ));
    }
    Ok(())
}

/// The retry topic of a group.
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// The dead-letter topic of a group.
pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_GROUP_TOPIC_PREFIX}{group}")
}

#[derive(Debug)]
struct Table {
    topics: BTreeMap<String, TopicConfig>,
    version: DataVersion,
}

/// The topic table, persisted on every change.
#[derive(Debug)]
pub struct TopicConfigManager {
    path: PathBuf,
    table: RwLock<Table>,
    /// Serializes creations so two racing sends create a topic once.
    create_lock: Mutex<()>,
}

impl TopicConfigManager {
    /// Loads `config/topics.json` and adds the system topics.
    pub fn load(cfg: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = persist::config_dir(&cfg.store.store_path_root_dir).join("topics.json");
        let wrapper: TopicConfigSerializeWrapper = persist::load(&path)?.unwrap_or_default();
        let mut topics = wrapper.topic_config_table;
        let mut system = vec![
            TopicConfig::new(SCHEDULE_TOPIC, 18, PERM_READ | PERM_WRITE),
            TopicConfig::new("SELF_TEST_TOPIC", 1, PERM_READ | PERM_WRITE),
            TopicConfig::new("OFFSET_MOVED_EVENT", 1, PERM_READ | PERM_WRITE),
            TopicConfig::new(TRANS_HALF_TOPIC, 1, PERM_READ | PERM_WRITE),
            TopicConfig::new(TRANS_OP_HALF_TOPIC, 1, PERM_READ | PERM_WRITE),
            TopicConfig::new(crate::timer::TIMER_TOPIC, 1, PERM_READ | PERM_WRITE),
            // Request-reply: `<cluster>_REPLY_TOPIC` (replies go to it, as Java creates it).
            TopicConfig::new(
                rmq_core::protocol::message::reply_topic(&cfg.broker_cluster_name),
                1,
                PERM_READ | PERM_WRITE,
            ),
        ];
        if cfg.auto_create_topic_enable {
            system.push(TopicConfig::new(
                AUTO_CREATE_TOPIC_KEY_TOPIC,
                cfg.default_topic_queue_nums,
                PERM_READ | PERM_WRITE | PERM_INHERIT,
            ));
        } else {
            topics.remove(AUTO_CREATE_TOPIC_KEY_TOPIC);
        }
        if cfg.cluster_topic_enable {
            let perm = if cfg.broker_permission & PERM_WRITE != 0 {
                PERM_READ | PERM_WRITE
            } else {
                PERM_READ
            };
            system.push(TopicConfig::new(cfg.broker_cluster_name.clone(), 16, perm));
        }
        if cfg.broker_topic_enable {
            system.push(TopicConfig::new(
                cfg.broker_name.clone(),
                1,
                PERM_READ | PERM_WRITE,
            ));
        }
        for t in system {
            topics.entry(t.topic_name.clone()).or_insert(t);
        }
        let version = DataVersion {
            counter: wrapper.data_version.counter + 1,
            state_version: 0,
            timestamp: now_ms(),
        };
        let m = TopicConfigManager {
            path,
            table: RwLock::new(Table { topics, version }),
            create_lock: Mutex::new(()),
        };
        m.persist()?;
        Ok(m)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }

    /// One topic's config.
    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.read().topics.get(topic).cloned()
    }

    /// The table with its version, as registered with name servers.
    pub fn wrapper(&self) -> TopicConfigSerializeWrapper {
        let t = self.read();
        TopicConfigSerializeWrapper {
            topic_config_table: t.topics.clone(),
            data_version: t.version.clone(),
        }
    }

    /// Every topic name.
    pub fn names(&self) -> Vec<String> {
        self.read().topics.keys().cloned().collect()
    }

    /// Creates or replaces a topic; persists.
    pub fn update(&self, cfg: TopicConfig) -> Result<(), BrokerError> {
        {
            let mut t = self.write();
            t.topics.insert(cfg.topic_name.clone(), cfg);
            t.version.counter += 1;
            t.version.timestamp = now_ms();
        }
        self.persist()
    }

    /// Bumps the table's data version without a change of topics, so the name servers take
    /// the next registration in full (a new `brokerPermission` changes every topic's perm).
    pub fn bump_version(&self) {
        let mut t = self.write();
        t.version.counter += 1;
        t.version.timestamp = now_ms();
    }

    /// Deletes a topic; persists. Returns whether it existed.
    pub fn delete(&self, topic: &str) -> Result<bool, BrokerError> {
        let existed = {
            let mut t = self.write();
            let existed = t.topics.remove(topic).is_some();
            if existed {
                t.version.counter += 1;
                t.version.timestamp = now_ms();
            }
            existed
        };
        if existed {
            self.persist()?;
        }
        Ok(existed)
    }

    /// The topic, auto-created from `default_topic` when that template allows it (INHERIT perm).
    /// Returns the config and whether it was just created.
    pub fn create_from_default(
        &self,
        topic: &str,
        default_topic: &str,
        requested_queues: i32,
    ) -> Result<Option<(TopicConfig, bool)>, BrokerError> {
        if let Some(c) = self.get(topic) {
            return Ok(Some((c, false)));
        }
        let _guard = self.create_lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = self.get(topic) {
            return Ok(Some((c, false)));
        }
        let Some(template) = self.get(default_topic) else {
            return Ok(None);
        };
        if template.perm & PERM_INHERIT == 0 {
            return Ok(None);
        }
        let queues = requested_queues.clamp(1, template.write_queue_nums.max(1));
        let cfg = TopicConfig::new(topic, queues, template.perm & !PERM_INHERIT);
        self.update(cfg.clone())?;
        tracing::info!(topic, queues, "topic auto-created from {default_topic}");
        Ok(Some((cfg, true)))
    }

    /// The topic, created with `queues` and `perm` if missing (retry and DLQ topics).
    pub fn create_if_absent(
        &self,
        topic: &str,
        queues: i32,
        perm: i32,
    ) -> Result<(TopicConfig, bool), BrokerError> {
        if let Some(c) = self.get(topic) {
            return Ok((c, false));
        }
        let _guard = self.create_lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = self.get(topic) {
            return Ok((c, false));
        }
        let cfg = TopicConfig::new(topic, queues, perm);
        self.update(cfg.clone())?;
        Ok((cfg, true))
    }

    /// Writes `config/topics.json`.
    pub fn persist(&self) -> Result<(), BrokerError> {
        persist::store(&self.path, &self.wrapper())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        assert!(validate_topic("boot-test_1|%").is_ok());
        assert!(validate_topic("").is_err());
        assert!(validate_topic("a b")
            .unwrap_err()
            .contains("illegal characters"));
        assert!(validate_topic(&"x".repeat(128))
            .unwrap_err()
            .contains("127"));
        assert!(validate_topic(&format!("%RETRY%{}", "x".repeat(200))).is_ok());
    }
}
