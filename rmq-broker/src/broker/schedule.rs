//! Delay levels: messages parked in `SCHEDULE_TOPIC_XXXX` queue `level − 1` are re-put to their
//! real topic when due. Progress per level is kept in `config/delayOffset.json`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rmq_core::protocol::message::{
    decode_record, find_property, keys, remove_property, set_property,
};
use serde::{Deserialize, Serialize};

use super::persist;
use super::topic_config::SCHEDULE_TOPIC;
use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::store::{parse_delay_levels, MessageInner, MessageStore, PutMessageStatus};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wrapper {
    #[serde(default)]
    offset_table: BTreeMap<i32, i64>,
}

/// Delivers due delayed messages.
#[derive(Debug)]
pub struct ScheduleMessageService {
    levels: Vec<Duration>,
    path: PathBuf,
    offsets: Mutex<BTreeMap<i32, i64>>,
}

impl ScheduleMessageService {
    /// Loads the level table and the progress file.
    pub fn load(cfg: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = persist::config_dir(&cfg.store.store_path_root_dir).join("delayOffset.json");
        let w: Wrapper = persist::load(&path)?.unwrap_or_default();
        let levels = parse_delay_levels(&cfg.store.message_delay_level)
            .map_err(|e| e.in_value(&cfg.store.message_delay_level))?
            .into_iter()
            .map(|ms| Duration::from_millis(ms.unsigned_abs()))
            .collect();
        Ok(ScheduleMessageService {
            levels,
            path,
            offsets: Mutex::new(w.offset_table),
        })
    }

    /// The highest level.
    pub fn max_level(&self) -> i32 {
        self.levels.len() as i32
    }

    /// The delay of a level (clamped to the table).
    pub fn delay_of(&self, level: i32) -> Duration {
        let i = (level.clamp(1, self.max_level().max(1)) - 1) as usize;
        self.levels.get(i).copied().unwrap_or_default()
    }

    /// Per-level progress, as GET_ALL_DELAY_OFFSET reports it.
    pub fn offsets(&self) -> BTreeMap<i32, i64> {
        self.offsets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Writes the progress file.
    pub fn persist(&self) -> Result<(), BrokerError> {
        persist::store(
            &self.path,
            &Wrapper {
                offset_table: self.offsets(),
            },
        )
    }

    /// Delivers every due message of every level; returns how many were delivered.
    pub async fn deliver_due(&self, store: &MessageStore, now_ms: i64) -> usize {
        let mut delivered = 0;
        for level in 1..=self.max_level() {
            delivered += self.deliver_level(store, level, now_ms).await;
        }
        delivered
    }

    async fn deliver_level(&self, store: &MessageStore, level: i32, now_ms: i64) -> usize {
        let queue_id = level - 1;
        let mut offset = self.offsets().get(&level).copied().unwrap_or(0);
        let max = store.max_offset_in_queue(SCHEDULE_TOPIC, queue_id);
        let min = store.min_offset_in_queue(SCHEDULE_TOPIC, queue_id);
        offset = offset.max(min);
        let mut delivered = 0;
        while offset < max {
            let got = store.get_message(
                SCHEDULE_TOPIC,
                queue_id,
                offset,
                32,
                4 * 1024 * 1024,
                &|_| true,
            );
            if got.messages.is_empty() {
                offset = got.next_begin_offset.max(offset + 1).min(max);
                break;
            }
            let mut stop = false;
            for (record, queue_offset) in got.messages.iter().zip(&got.queue_offsets) {
                let view = match decode_record(record, false) {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(level, queue_offset, error = %e, "skipping undecodable delayed message");
                        offset = queue_offset + 1;
                        continue;
                    }
                };
                let due = view.store_timestamp + self.delay_of(level).as_millis() as i64;
                if due > now_ms {
                    stop = true;
                    break;
                }
                let (Some(real_topic), Some(real_qid)) = (
                    find_property(view.properties, keys::REAL_TOPIC),
                    find_property(view.properties, keys::REAL_QUEUE_ID)
                        .and_then(|q| q.parse::<i32>().ok()),
                ) else {
                    tracing::warn!(
                        level,
                        queue_offset,
                        "delayed message without REAL_TOPIC/REAL_QID dropped"
                    );
                    offset = queue_offset + 1;
                    continue;
                };
                let msg = MessageInner {
                    topic: real_topic.to_owned(),
                    queue_id: real_qid,
                    flag: view.flag,
                    body: bytes::Bytes::copy_from_slice(view.body),
                    properties: set_property(
                        &remove_property(view.properties, keys::DELAY_TIME_LEVEL),
                        keys::WAIT_STORE_MSG_OK,
                        "false",
                    ),
                    sys_flag: view.sys_flag,
                    born_timestamp: view.born_timestamp,
                    born_host: view.born_host,
                    reconsume_times: view.reconsume_times,
                    prepared_transaction_offset: view.prepared_transaction_offset,
                };
                let result = store.put_message(msg).await;
                if !matches!(
                    result.status,
                    PutMessageStatus::PutOk | PutMessageStatus::FlushDiskTimeout
                ) {
                    tracing::warn!(level, queue_offset, status = ?result.status, "re-putting a delayed message failed; will retry");
                    stop = true;
                    break;
                }
                delivered += 1;
                offset = queue_offset + 1;
            }
            self.offsets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(level, offset);
            if stop {
                break;
            }
        }
        if delivered == 0 {
            let mut o = self.offsets.lock().unwrap_or_else(|e| e.into_inner());
            let cur = o.entry(level).or_insert(offset);
            *cur = (*cur).max(offset);
        }
        delivered
    }
}
