//! What the broker hands to the store and what it gets back.

use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;

/// A message to store, already rewritten by the broker (delay → `SCHEDULE_TOPIC_XXXX`,
/// half messages, retry topics, properties such as `UNIQ_KEY` and `CLUSTER` added).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageInner {
    pub topic: String,
    pub queue_id: i32,
    pub flag: i32,
    pub body: Bytes,
    /// The encoded properties string (`name 0x01 value 0x02` …).
    pub properties: String,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
}

impl MessageInner {
    /// A plain message for `topic`/`queue_id` with no properties, born now on `127.0.0.1:0`.
    pub fn new(topic: impl Into<String>, queue_id: i32, body: impl Into<Bytes>) -> Self {
        MessageInner {
            topic: topic.into(),
            queue_id,
            flag: 0,
            body: body.into(),
            properties: String::new(),
            sys_flag: 0,
            born_timestamp: rmq_core::clock::now_ms(),
            born_host: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        }
    }
}

/// Outcome of `put_message` (RocketMQ's `PutMessageStatus`, the ones this store produces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMessageStatus {
    /// Stored (and durable, under SYNC_FLUSH).
    PutOk,
    /// Stored, but the disk did not confirm within `sync_flush_timeout_ms`.
    FlushDiskTimeout,
    /// The store is shut down.
    ServiceNotAvailable,
    /// Bad topic, mixed batch, body over `max_message_size`, or a record larger than a segment.
    MessageIllegal,
    /// Properties longer than 32767 bytes.
    PropertiesSizeExceeded,
    /// An I/O error while appending (see the remark).
    UnknownError,
}

/// Where one message was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendedMessage {
    /// Commit-log offset of the record.
    pub physical_offset: i64,
    /// Record size (TOTALSIZE).
    pub size: i32,
    /// Consume-queue offset (0 for prepared/rollback transaction records).
    pub queue_offset: i64,
    pub store_timestamp: i64,
    /// The broker's offset msgId (store host + physical offset).
    pub offset_msg_id: String,
}

/// Result of `put_message`/`put_messages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutMessageResult {
    pub status: PutMessageStatus,
    /// One entry per stored message, in order; empty when nothing was stored.
    pub messages: Vec<AppendedMessage>,
    /// Why, when the status is not `PutOk`.
    pub remark: Option<String>,
}

impl PutMessageResult {
    pub(crate) fn failed(status: PutMessageStatus, remark: impl Into<String>) -> Self {
        PutMessageResult {
            status,
            messages: Vec::new(),
            remark: Some(remark.into()),
        }
    }

    /// True when the messages were stored (`PutOk` or `FlushDiskTimeout`).
    pub fn is_stored(&self) -> bool {
        matches!(
            self.status,
            PutMessageStatus::PutOk | PutMessageStatus::FlushDiskTimeout
        )
    }
}

/// Outcome of `get_message` (RocketMQ's `GetMessageStatus`). See remoting-protocol.md §5.9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetMessageStatus {
    Found,
    /// Every scanned entry was filtered out.
    NoMatchedMessage,
    /// The scanned entries point at commit-log data that retention deleted.
    MessageWasRemoving,
    /// The scanned entries point at records that cannot be read.
    OffsetFoundNull,
    /// offset > max offset.
    OffsetOverflowBadly,
    /// offset == max offset (caught up).
    OffsetOverflowOne,
    /// offset < min offset.
    OffsetTooSmall,
    /// No consume queue for this topic/queue.
    NoMatchedLogicQueue,
    /// The queue exists but has no messages (max offset 0).
    NoMessageInQueue,
}

/// Result of `get_message`.
#[derive(Debug, Clone, PartialEq)]
pub struct GetMessageResult {
    pub status: GetMessageStatus,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
    /// Whole stored records, in queue order.
    pub messages: Vec<bytes::Bytes>,
    /// Queue offset of each returned record.
    pub queue_offsets: Vec<i64>,
}

impl GetMessageResult {
    /// Total bytes of the returned records.
    pub fn total_size(&self) -> usize {
        self.messages.iter().map(Bytes::len).sum()
    }
}

/// Told about every message dispatched to a consume queue, after the append lock is released
/// (the broker wakes long-polling pulls with it).
pub trait MessageArrivingListener: Send + Sync {
    fn arriving(&self, topic: &str, queue_id: i32, queue_offset: i64, tags_code: i64);
}
