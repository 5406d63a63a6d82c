//! Dispatch: after a record is appended (or found during recovery), write its consume-queue
//! entry and its index entries.

use rmq_core::protocol::message::{
    keys, property_pairs, tags_hash_code, transaction_type, RecordView, TRANSACTION_PREPARED_TYPE,
    TRANSACTION_ROLLBACK_TYPE,
};

use super::config::ParsedConfig;
use super::consume_queue::{ConsumeQueue, CqEntry};
use super::error::StoreError;
use super::index::IndexService;

/// The topic whose tagsCode is the delivery time.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// What dispatching needs to know about one record.
#[derive(Debug, Clone, Copy)]
pub struct DispatchRecord<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub queue_offset: i64,
    pub phy: i64,
    pub size: i32,
    pub sys_flag: i32,
    pub store_timestamp: i64,
    pub properties: &'a str,
}

impl<'a> DispatchRecord<'a> {
    pub fn from_view(v: &RecordView<'a>, phy: i64) -> Self {
        DispatchRecord {
            topic: v.topic,
            queue_id: v.queue_id,
            queue_offset: v.queue_offset,
            phy,
            size: v.total_size as i32,
            sys_flag: v.sys_flag,
            store_timestamp: v.store_timestamp,
            properties: v.properties,
        }
    }

    /// Prepared and rolled-back transaction records get no consume-queue entry.
    pub fn goes_to_queue(&self) -> bool {
        goes_to_queue(self.sys_flag)
    }
}

/// The properties dispatch reads, found in one pass (first occurrence wins, as in
/// `find_property`).
#[derive(Debug, Default, Clone, Copy)]
pub struct DispatchProps<'a> {
    pub tags: Option<&'a str>,
    pub keys: Option<&'a str>,
    pub uniq_key: Option<&'a str>,
    pub delay: Option<&'a str>,
}

impl<'a> DispatchProps<'a> {
    pub fn scan(properties: &'a str) -> Self {
        let mut p = DispatchProps::default();
        for (k, v) in property_pairs(properties) {
            let slot = match k {
                keys::TAGS => &mut p.tags,
                keys::KEYS => &mut p.keys,
                keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX => &mut p.uniq_key,
                keys::DELAY_TIME_LEVEL => &mut p.delay,
                _ => continue,
            };
            slot.get_or_insert(v);
        }
        p
    }
}

/// Whether a record with `sys_flag` gets a consume-queue entry.
pub fn goes_to_queue(sys_flag: i32) -> bool {
    let t = transaction_type(sys_flag);
    t != TRANSACTION_PREPARED_TYPE && t != TRANSACTION_ROLLBACK_TYPE
}

/// tagsCode: hash of `TAGS` (0 without), or for `SCHEDULE_TOPIC_XXXX` the delivery time.
pub fn tags_code(
    parsed: &ParsedConfig,
    topic: &str,
    props: &DispatchProps<'_>,
    store_timestamp: i64,
) -> i64 {
    if topic == SCHEDULE_TOPIC {
        let level = props.delay.and_then(|l| l.trim().parse::<i32>().ok());
        return parsed.deliver_timestamp(level, store_timestamp);
    }
    props
        .tags
        .filter(|t| !t.is_empty())
        .map_or(0, tags_hash_code)
}

/// Writes the consume-queue entry (into `cq`, when the record goes to a queue) and the index
/// entries (except for rolled-back records). Returns the tags code.
///
/// # Errors
/// I/O errors from the consume queue or index files.
pub fn dispatch(
    rec: &DispatchRecord<'_>,
    cq: Option<&ConsumeQueue>,
    index: &IndexService,
    parsed: &ParsedConfig,
) -> Result<i64, StoreError> {
    let props = DispatchProps::scan(rec.properties);
    let tags = tags_code(parsed, rec.topic, &props, rec.store_timestamp);
    if let (true, Some(cq)) = (rec.goes_to_queue(), cq) {
        cq.put(
            rec.queue_offset,
            CqEntry {
                phy: rec.phy,
                size: rec.size,
                tags_code: tags,
            },
        )?;
    }
    let has_keys = props.uniq_key.is_some() || props.keys.is_some();
    if has_keys && transaction_type(rec.sys_flag) != TRANSACTION_ROLLBACK_TYPE {
        index.put(
            rec.topic,
            props.uniq_key,
            props.keys,
            rec.phy,
            rec.store_timestamp,
        )?;
    }
    Ok(tags)
}
