//! Compiled SQL92 subscriptions, one per consumer group and topic: compiled when a heartbeat
//! or a pull first shows the expression, and again only when the expression changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmq_core::filter::{FilterError, Selector};

/// Most cached (group, topic) entries; past it the cache starts over.
const MAX_ENTRIES: usize = 4096;

#[derive(Debug)]
struct Entry {
    expression: String,
    sub_version: i64,
    compiled: Result<Arc<Selector>, FilterError>,
}

/// The cache.
#[derive(Debug, Default)]
pub struct SqlFilterCache {
    entries: Mutex<HashMap<(String, String), Entry>>,
}

impl SqlFilterCache {
    /// The compiled `expression` of `group` on `topic` at `sub_version` (the compile error
    /// when it does not compile), compiling it only when new or changed.
    pub fn get(
        &self,
        group: &str,
        topic: &str,
        expression: &str,
        sub_version: i64,
    ) -> Result<Arc<Selector>, FilterError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let key = (group.to_owned(), topic.to_owned());
        if let Some(e) = entries.get_mut(&key) {
            if e.expression == expression {
                e.sub_version = e.sub_version.max(sub_version);
                return e.compiled.clone();
            }
        }
        let compiled = Selector::compile(expression).map(Arc::new);
        if let Err(err) = &compiled {
            tracing::warn!(%group, %topic, %expression, error = %err, "SQL92 subscription does not compile");
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                expression: expression.to_owned(),
                sub_version,
                compiled: compiled.clone(),
            },
        );
        compiled
    }

    /// How many (group, topic) expressions are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_once_per_expression() {
        let c = SqlFilterCache::default();
        let a = c.get("g", "t", "a > 1", 1).unwrap();
        let b = c.get("g", "t", "a > 1", 2).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let d = c.get("g", "t", "a > 2", 3).unwrap();
        assert!(!Arc::ptr_eq(&a, &d));
        assert!(c.get("g", "t2", "a >", 1).is_err());
        assert_eq!(c.len(), 2);
    }
}
