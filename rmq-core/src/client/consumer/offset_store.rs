//! Consumer offsets kept in memory and committed to the brokers (clustering).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::client::{ClientError, ClientInstance};
use crate::protocol::body::MessageQueue;
use crate::protocol::header::{
    OffsetResponseHeader, QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

#[derive(serde::Serialize, serde::Deserialize)]
struct LocalOffset {
    #[serde(flatten)]
    queue: MessageQueue,
    offset: i64,
}

/// Offsets per queue, committed to each queue's broker (clustering) or to a local file
/// (broadcasting).
#[derive(Debug, Default)]
pub struct RemoteOffsetStore {
    group: String,
    offsets: Mutex<HashMap<MessageQueue, i64>>,
}

impl RemoteOffsetStore {
    /// A store for `group`.
    pub fn new(group: &str) -> Self {
        RemoteOffsetStore {
            group: group.to_owned(),
            offsets: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MessageQueue, i64>> {
        self.offsets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a consumed offset (only forward).
    pub fn update(&self, mq: &MessageQueue, offset: i64) {
        let mut m = self.lock();
        let e = m.entry(mq.clone()).or_insert(offset);
        if offset > *e {
            *e = offset;
        }
    }

    /// Sets an offset, also backwards (a start offset, a seek, an offset the broker moved).
    pub fn set(&self, mq: &MessageQueue, offset: i64) {
        self.lock().insert(mq.clone(), offset);
    }

    /// The local offset, if any.
    pub fn get(&self, mq: &MessageQueue) -> Option<i64> {
        self.lock().get(mq).copied()
    }

    /// Forgets a queue (after it was committed on removal).
    pub fn remove(&self, mq: &MessageQueue) {
        self.lock().remove(mq);
    }

    /// Loads offsets from a local file (broadcasting); a missing file is empty.
    pub fn load_file(&self, path: &std::path::Path) -> Result<(), ClientError> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(ClientError::Config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let entries: Vec<LocalOffset> =
            serde_json::from_slice(&text).map_err(|e| ClientError::Decode {
                what: "local offsets file",
                detail: format!("{}: {e}", path.display()),
            })?;
        let mut m = self.lock();
        for e in entries {
            m.insert(e.queue, e.offset);
        }
        Ok(())
    }

    /// Writes every offset to a local file atomically (broadcasting).
    pub fn save_file(&self, path: &std::path::Path) -> Result<(), ClientError> {
        let mut entries: Vec<LocalOffset> = self
            .lock()
            .iter()
            .map(|(q, o)| LocalOffset {
                queue: q.clone(),
                offset: *o,
            })
            .collect();
        entries.sort_by(|a, b| a.queue.cmp(&b.queue));
        let io = |e: std::io::Error| {
            ClientError::Config(format!("cannot write {}: {e}", path.display()))
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(&entries).map_err(|e| ClientError::Decode {
            what: "local offsets",
            detail: e.to_string(),
        })?;
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// The broker's committed offset; `Ok(None)` when the group has none.
    pub async fn fetch(
        &self,
        instance: &ClientInstance,
        mq: &MessageQueue,
    ) -> Result<Option<i64>, ClientError> {
        let addr = broker_of(instance, mq).await?;
        let req = RemotingCommand::request_with_header(
            RequestCode::QueryConsumerOffset,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: self.group.clone(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                set_zero_if_not_found: None,
            },
        );
        let resp = instance
            .remoting()
            .invoke(&addr, req, instance.api_timeout())
            .await?;
        match ResponseCode::from_code(resp.code) {
            Some(ResponseCode::Success) => Ok(resp
                .decode_header::<OffsetResponseHeader>()
                .ok()
                .map(|h| h.offset)),
            Some(ResponseCode::QueryNotFound) => Ok(None),
            _ => Err(ClientError::Broker {
                addr,
                code: resp.code,
                remark: resp.remark_str().to_owned(),
            }),
        }
    }

    /// Commits one queue's offset.
    pub async fn persist(
        &self,
        instance: &ClientInstance,
        mq: &MessageQueue,
    ) -> Result<(), ClientError> {
        let Some(offset) = self.get(mq) else {
            return Ok(());
        };
        let addr = broker_of(instance, mq).await?;
        let req = RemotingCommand::request_with_header(
            RequestCode::UpdateConsumerOffset,
            &UpdateConsumerOffsetRequestHeader {
                consumer_group: self.group.clone(),
                topic: mq.topic.clone(),
                queue_id: mq.queue_id,
                commit_offset: offset,
            },
        );
        instance
            .remoting()
            .invoke(&addr, req, instance.api_timeout())
            .await?;
        Ok(())
    }

    /// Commits every queue's offset; errors are logged.
    pub async fn persist_all(&self, instance: &ClientInstance) {
        let queues: Vec<MessageQueue> = self.lock().keys().cloned().collect();
        for mq in queues {
            if let Err(e) = self.persist(instance, &mq).await {
                tracing::warn!(queue = %mq, error = %e, "offset commit failed");
            }
        }
    }
}

/// The master address of a queue's broker, refreshing the route when unknown.
pub(crate) async fn broker_of(
    instance: &ClientInstance,
    mq: &MessageQueue,
) -> Result<String, ClientError> {
    if let Some(a) = instance.master_addr(&mq.broker_name) {
        return Ok(a);
    }
    instance.fetch_route(&mq.topic).await?;
    instance
        .master_addr(&mq.broker_name)
        .ok_or_else(|| ClientError::NoRoute {
            topic: mq.topic.clone(),
            reason: format!("no master for broker {}", mq.broker_name),
        })
}
