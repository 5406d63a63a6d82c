//! Messages: what producers send ([`Message`]), what consumers receive ([`MessageExt`]), and
//! their byte layouts.

mod batch;
mod compress;
mod msg_id;
mod properties;
mod reply;
mod stored;
mod sys_flag;

use std::collections::HashMap;
use std::net::SocketAddr;

use bytes::Bytes;

pub use batch::{batch_entry_size, decode_batch, encode_batch_entry, BatchEntry};
pub use compress::{compress, decompress};
pub use msg_id::{decode_offset_msg_id, new_uniq_id, offset_msg_id};
pub use properties::{
    decode_properties, encode_properties, find_property, keys, property_pairs, push_property,
    remove_property, set_property, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR,
};
pub use reply::{
    create_reply_message, is_reply, reply_keys, reply_topic, ReplyError, REPLY_MESSAGE_FLAG,
    REPLY_TOPIC_POSTFIX,
};
pub use stored::{
    body_crc, decode_record, encode_record, peek_size_and_magic, record_size, RecordFields,
    RecordView, BLANK_MAGIC_CODE, BORN_TIMESTAMP_POSITION, MAX_V1_TOPIC_LEN, MESSAGE_MAGIC_CODE_V1,
    MESSAGE_MAGIC_CODE_V2, PHYSICAL_OFFSET_POSITION, QUEUE_OFFSET_POSITION, SYS_FLAG_POSITION,
};
pub use sys_flag::*;

use crate::protocol::MessageDecodeError;

/// A message to send: topic, body, flag and properties (tags, keys, delay level, user props).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub topic: String,
    pub flag: i32,
    pub properties: HashMap<String, String>,
    pub body: Bytes,
}

impl Message {
    /// A message for `topic` with `body`.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Message {
            topic: topic.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    /// Sets the tag.
    pub fn with_tags(self, tags: impl Into<String>) -> Self {
        self.with_property(keys::TAGS, tags)
    }

    /// Sets the keys (space separated; indexed by the broker for lookups).
    pub fn with_keys(self, keys_: impl Into<String>) -> Self {
        self.with_property(keys::KEYS, keys_)
    }

    /// Sets the delay level (1..=18 with the default `messageDelayLevel`).
    pub fn with_delay_time_level(self, level: i32) -> Self {
        self.with_property(keys::DELAY_TIME_LEVEL, level.to_string())
    }

    /// Sets a user property.
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The tag, if set.
    pub fn tags(&self) -> Option<&str> {
        self.properties.get(keys::TAGS).map(String::as_str)
    }

    /// The keys, space separated, if set.
    pub fn keys(&self) -> Option<&str> {
        self.properties.get(keys::KEYS).map(String::as_str)
    }

    /// The delay level, if set.
    pub fn delay_time_level(&self) -> Option<i32> {
        self.properties
            .get(keys::DELAY_TIME_LEVEL)
            .and_then(|l| l.parse().ok())
    }
}

/// A message as stored by the broker and delivered to consumers.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageExt {
    pub topic: String,
    pub flag: i32,
    pub properties: HashMap<String, String>,
    /// The body, decompressed when the record was compressed.
    pub body: Bytes,
    pub queue_id: i32,
    pub store_size: i32,
    pub queue_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub commit_log_offset: i64,
    pub body_crc: u32,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
}

/// The largest body a consumer inflates: RocketMQ's 4 MiB message limit with room to spare.
const MAX_INFLATED_BODY: usize = 64 * 1024 * 1024;

impl MessageExt {
    /// Builds an owned message from a decoded record, inflating a compressed body.
    pub fn from_view(v: &RecordView<'_>) -> Result<Self, MessageDecodeError> {
        let body = if v.sys_flag & COMPRESSED_FLAG != 0 {
            Bytes::from(decompress(v.body, MAX_INFLATED_BODY)?)
        } else {
            Bytes::copy_from_slice(v.body)
        };
        Ok(MessageExt {
            topic: v.topic.to_owned(),
            flag: v.flag,
            properties: decode_properties(v.properties),
            body,
            queue_id: v.queue_id,
            store_size: v.total_size as i32,
            queue_offset: v.queue_offset,
            sys_flag: v.sys_flag,
            born_timestamp: v.born_timestamp,
            born_host: v.born_host,
            store_timestamp: v.store_timestamp,
            store_host: v.store_host,
            commit_log_offset: v.physical_offset,
            body_crc: v.body_crc,
            reconsume_times: v.reconsume_times,
            prepared_transaction_offset: v.prepared_transaction_offset,
        })
    }

    /// Decodes every record of a pull body.
    pub fn decode_all(mut buf: &[u8]) -> Result<Vec<MessageExt>, MessageDecodeError> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            let view = decode_record(buf, false)?;
            out.push(MessageExt::from_view(&view)?);
            buf = &buf[view.total_size..];
        }
        Ok(out)
    }

    /// The id users see: `UNIQ_KEY` when present, else the offset msgId.
    pub fn msg_id(&self) -> String {
        self.properties
            .get(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .cloned()
            .unwrap_or_else(|| self.offset_msg_id())
    }

    /// The broker's offset msgId.
    pub fn offset_msg_id(&self) -> String {
        offset_msg_id(self.store_host, self.commit_log_offset)
    }

    /// The tag, if set.
    pub fn tags(&self) -> Option<&str> {
        self.properties.get(keys::TAGS).map(String::as_str)
    }

    /// The keys, space separated, if set.
    pub fn keys(&self) -> Option<&str> {
        self.properties.get(keys::KEYS).map(String::as_str)
    }

    /// A property by name.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }
}

#[cfg(test)]
mod tests;
