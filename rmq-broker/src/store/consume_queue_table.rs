//! All consume queues, by topic and queue id, under `<storePathRootDir>/consumequeue/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::consume_queue::ConsumeQueue;
use super::error::StoreError;

type Table = HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>;

/// The consume queues.
#[derive(Debug)]
pub struct ConsumeQueueTable {
    dir: PathBuf,
    file_size: u64,
    table: RwLock<Table>,
}

impl ConsumeQueueTable {
    /// Opens every `<topic>/<queueId>/` directory found (not yet recovered).
    ///
    /// # Errors
    /// `Io` on directory or file errors.
    pub fn load(dir: &Path, file_size: u64) -> Result<(Self, Vec<ConsumeQueue>), StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::io("create directory", dir, None, e))?;
        let mut queues = Vec::new();
        let topics = std::fs::read_dir(dir).map_err(|e| StoreError::io("list", dir, None, e))?;
        for t in topics {
            let t = t.map_err(|e| StoreError::io("list", dir, None, e))?;
            let tpath = t.path();
            if !tpath.is_dir() {
                continue;
            }
            let Some(topic) = t.file_name().to_str().map(str::to_owned) else {
                tracing::warn!(path = %tpath.display(), "ignoring consume queue directory with a non UTF-8 name");
                continue;
            };
            let qdirs =
                std::fs::read_dir(&tpath).map_err(|e| StoreError::io("list", &tpath, None, e))?;
            for q in qdirs {
                let q = q.map_err(|e| StoreError::io("list", &tpath, None, e))?;
                match q.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) {
                    Some(qid) if q.path().is_dir() => {
                        queues.push(ConsumeQueue::load(dir, &topic, qid, file_size)?)
                    }
                    _ => {
                        tracing::warn!(path = %q.path().display(), "ignoring unexpected entry in consume queue directory")
                    }
                }
            }
        }
        let table = ConsumeQueueTable {
            dir: dir.to_path_buf(),
            file_size,
            table: RwLock::new(HashMap::new()),
        };
        Ok((table, queues))
    }

    /// Adds recovered queues.
    pub fn insert_all(&self, queues: Vec<ConsumeQueue>) {
        let mut t = self.table.write().unwrap_or_else(|p| p.into_inner());
        for q in queues {
            t.entry(q.topic().to_owned())
                .or_default()
                .insert(q.queue_id(), Arc::new(q));
        }
    }

    pub fn get(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        let t = self.table.read().unwrap_or_else(|p| p.into_inner());
        t.get(topic)?.get(&queue_id).cloned()
    }

    /// The queue, created (without files) if missing.
    ///
    /// # Errors
    /// `Io` when its directory cannot be created.
    pub fn get_or_create(
        &self,
        topic: &str,
        queue_id: i32,
    ) -> Result<Arc<ConsumeQueue>, StoreError> {
        if let Some(q) = self.get(topic, queue_id) {
            return Ok(q);
        }
        let mut t = self.table.write().unwrap_or_else(|p| p.into_inner());
        let per_topic = t.entry(topic.to_owned()).or_default();
        if let Some(q) = per_topic.get(&queue_id) {
            return Ok(q.clone());
        }
        let q = Arc::new(ConsumeQueue::load(
            &self.dir,
            topic,
            queue_id,
            self.file_size,
        )?);
        per_topic.insert(queue_id, q.clone());
        Ok(q)
    }

    /// Queue ids of `topic`, sorted.
    pub fn queue_ids(&self, topic: &str) -> Vec<i32> {
        let t = self.table.read().unwrap_or_else(|p| p.into_inner());
        let mut ids: Vec<i32> = t
            .get(topic)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    /// Every queue.
    pub fn all(&self) -> Vec<Arc<ConsumeQueue>> {
        let t = self.table.read().unwrap_or_else(|p| p.into_inner());
        t.values().flat_map(|m| m.values().cloned()).collect()
    }

    /// Removes the queues of `topic` and deletes their files.
    pub fn delete_topic(&self, topic: &str) {
        let removed = self
            .table
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(topic);
        for q in removed.into_iter().flat_map(|m| m.into_values()) {
            q.destroy();
        }
        let _ = std::fs::remove_dir_all(self.dir.join(topic));
    }
}
