//! Requests waiting for their replies (Java's `RequestFutureHolder`), and the handling of
//! PUSH_REPLY_MESSAGE_TO_CLIENT: a pushed reply completes the request of its
//! `CORRELATION_ID`; a reply nobody waits for any more is dropped with a log line.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::protocol::header::ReplyMessageRequestHeader;
use crate::protocol::message::{
    decode_properties, decompress, reply_keys, MessageExt, COMPRESSED_FLAG,
};
use crate::protocol::{RemotingCommand, ResponseCode};

/// The largest reply body inflated (RocketMQ's 4 MiB limit with room to spare).
const MAX_INFLATED_REPLY: usize = 64 * 1024 * 1024;

/// Pending requests by correlation id.
#[derive(Debug, Default)]
pub struct ReplyTable {
    pending: Mutex<HashMap<String, oneshot::Sender<MessageExt>>>,
}

impl ReplyTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<MessageExt>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a request; the receiver gets its reply.
    pub fn register(&self, correlation_id: &str) -> oneshot::Receiver<MessageExt> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(correlation_id.to_owned(), tx);
        rx
    }

    /// Forgets a request (answered, timed out or failed).
    pub fn remove(&self, correlation_id: &str) {
        self.lock().remove(correlation_id);
    }

    /// Number of requests waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no request is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands a reply to its request; false when no request waits for it.
    pub fn complete(&self, reply: MessageExt) -> bool {
        let Some(id) = reply.property(reply_keys::CORRELATION_ID) else {
            return false;
        };
        let Some(tx) = self.lock().remove(id) else {
            return false;
        };
        tx.send(reply).is_ok()
    }

    /// Serves PUSH_REPLY_MESSAGE_TO_CLIENT (Java's `receiveReplyMessage`): SUCCESS whether or
    /// not a request still waits (an unknown reply is logged and dropped); SYSTEM_ERROR when
    /// the push cannot be decoded.
    pub fn on_push(&self, request: &RemotingCommand) -> RemotingCommand {
        let reply = match reply_from_push(request) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot decode a pushed reply");
                return request.error_to(ResponseCode::SystemError, "process reply message fail");
            }
        };
        let id = reply
            .property(reply_keys::CORRELATION_ID)
            .unwrap_or_default()
            .to_owned();
        if !self.complete(reply) {
            tracing::warn!(
                correlation_id = %id,
                "reply dropped: no request waits for it (timed out or never sent by this client)"
            );
        }
        request.success_to()
    }
}

fn parse_addr(s: &str) -> SocketAddr {
    s.parse()
        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
}

/// The reply message of a push, its body inflated when compressed.
fn reply_from_push(request: &RemotingCommand) -> Result<MessageExt, String> {
    let h: ReplyMessageRequestHeader = request.decode_header().map_err(|e| e.to_string())?;
    let body = if h.sys_flag & COMPRESSED_FLAG != 0 {
        Bytes::from(decompress(&request.body, MAX_INFLATED_REPLY).map_err(|e| e.to_string())?)
    } else {
        request.body.clone()
    };
    let mut properties = decode_properties(h.properties.as_deref().unwrap_or_default());
    properties.insert(
        reply_keys::ARRIVE_TIME.to_owned(),
        crate::clock::now_ms().to_string(),
    );
    Ok(MessageExt {
        topic: h.topic,
        flag: h.flag,
        properties,
        body,
        queue_id: h.queue_id,
        store_size: 0,
        queue_offset: 0,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: parse_addr(&h.born_host),
        store_timestamp: h.store_timestamp,
        store_host: parse_addr(&h.store_host),
        commit_log_offset: 0,
        body_crc: 0,
        reconsume_times: h.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
    })
}
