//! `SendResult` and `SendStatus`.

use crate::protocol::body::MessageQueue;

/// How the broker stored a sent message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Stored (and flushed/replicated as configured).
    SendOk,
    /// Stored, but SYNC_FLUSH timed out.
    FlushDiskTimeout,
    /// Stored, but replication to the slave timed out.
    FlushSlaveTimeout,
    /// Stored, but no slave is available.
    SlaveNotAvailable,
}

/// The outcome of a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// Stored status.
    pub send_status: SendStatus,
    /// The client message id (`UNIQ_KEY`).
    pub msg_id: String,
    /// The broker's offset msgId.
    pub offset_msg_id: String,
    /// The queue written.
    pub message_queue: MessageQueue,
    /// The consume-queue offset written (first message of a batch).
    pub queue_offset: i64,
    /// Region of the broker.
    pub region_id: Option<String>,
}
