//! Subscription groups (`config/subscriptionGroup.json`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::RwLock;

use rmq_core::protocol::body::{DataVersion, SubscriptionGroupConfig};
use serde::{Deserialize, Serialize};

use super::persist;
use crate::config::BrokerConfig;
use crate::error::BrokerError;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wrapper {
    #[serde(default)]
    subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
    #[serde(default)]
    data_version: DataVersion,
}

/// Consumer group settings (retry queues, max reconsume times, enable flags).
#[derive(Debug)]
pub struct SubscriptionGroupManager {
    path: PathBuf,
    auto_create: std::sync::atomic::AtomicBool,
    table: RwLock<BTreeMap<String, SubscriptionGroupConfig>>,
}

impl SubscriptionGroupManager {
    /// Loads the table.
    pub fn load(cfg: &BrokerConfig) -> Result<Self, BrokerError> {
        let path =
            persist::config_dir(&cfg.store.store_path_root_dir).join("subscriptionGroup.json");
        let w: Wrapper = persist::load(&path)?.unwrap_or_default();
        Ok(SubscriptionGroupManager {
            path,
            auto_create: std::sync::atomic::AtomicBool::new(cfg.auto_create_subscription_group),
            table: RwLock::new(w.subscription_group_table),
        })
    }

    /// `autoCreateSubscriptionGroup` now.
    pub fn auto_create(&self) -> bool {
        self.auto_create.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Turns auto-creation on or off (UPDATE_BROKER_CONFIG).
    pub fn set_auto_create(&self, on: bool) {
        self.auto_create
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The group's config, created with defaults when auto-creation is on.
    pub fn find_or_create(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        if let Some(c) = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(group)
        {
            return Some(c.clone());
        }
        if !self.auto_create() {
            return None;
        }
        let cfg = SubscriptionGroupConfig {
            group_name: group.to_owned(),
            ..Default::default()
        };
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(group.to_owned())
            .or_insert_with(|| cfg.clone());
        if let Err(e) = self.persist() {
            tracing::warn!(error = %e, "cannot persist subscription groups");
        }
        Some(cfg)
    }

    /// Creates or replaces a group.
    pub fn update(&self, cfg: SubscriptionGroupConfig) -> Result<(), BrokerError> {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(cfg.group_name.clone(), cfg);
        self.persist()
    }

    /// Removes a group; false when it did not exist.
    pub fn delete(&self, group: &str) -> Result<bool, BrokerError> {
        let removed = self
            .table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(group)
            .is_some();
        if removed {
            self.persist()?;
        }
        Ok(removed)
    }

    /// Every group.
    pub fn all(&self) -> BTreeMap<String, SubscriptionGroupConfig> {
        self.table.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Writes the file.
    pub fn persist(&self) -> Result<(), BrokerError> {
        persist::store(
            &self.path,
            &Wrapper {
                subscription_group_table: self.all(),
                data_version: DataVersion::default(),
            },
        )
    }
}
