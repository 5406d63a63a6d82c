//! The NameServer's KV config: `namespace → key → value` (e.g. `ORDER_TOPIC_CONFIG`).

use std::collections::BTreeMap;
use std::sync::RwLock;

/// KV pairs grouped by namespace.
#[derive(Debug, Default)]
pub struct KvConfigManager {
    table: RwLock<BTreeMap<String, BTreeMap<String, String>>>,
}

impl KvConfigManager {
    /// Sets a value.
    pub fn put(&self, namespace: &str, key: &str, value: &str) {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(namespace.to_owned())
            .or_default()
            .insert(key.to_owned(), value.to_owned());
    }

    /// Reads a value.
    pub fn get(&self, namespace: &str, key: &str) -> Option<String> {
        self.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(namespace)
            .and_then(|m| m.get(key).cloned())
    }

    /// Deletes a value.
    pub fn delete(&self, namespace: &str, key: &str) {
        let mut t = self.table.write().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = t.get_mut(namespace) {
            m.remove(key);
            if m.is_empty() {
                t.remove(namespace);
            }
        }
    }

    /// Every pair of a namespace.
    pub fn list(&self, namespace: &str) -> Option<BTreeMap<String, String>> {
        self.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(namespace)
            .cloned()
    }
}
