//! VIEW_MESSAGE_BY_ID (33) and QUERY_MESSAGE (12).

use bytes::BytesMut;
use rmq_core::protocol::header::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use rmq_core::protocol::{RemotingCommand, ResponseCode};

use super::header_or_reply;
use crate::broker::BrokerInner;
use rmq_core::clock::now_ms;

/// The stored message at a commit-log offset.
pub fn view_message_by_id(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, ViewMessageRequestHeader);
    Some(match b.store.look_message_by_offset(h.offset) {
        Some(record) => req.success_to().with_body(record),
        None => req.error_to(
            ResponseCode::SystemError,
            format!("can not find message by the offset, {}", h.offset),
        ),
    })
}

/// Messages of a topic by key (or by UNIQ_KEY).
pub fn query_message(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, QueryMessageRequestHeader);
    let max = usize::try_from(h.max_num).unwrap_or(0).clamp(1, 64);
    let end = if h.end_timestamp <= 0 {
        i64::MAX
    } else {
        h.end_timestamp
    };
    let found = b
        .store
        .query_message(&h.topic, &h.key, max, h.begin_timestamp, end);
    if found.is_empty() {
        return Some(req.error_to(
            ResponseCode::QueryNotFound,
            format!(
                "can not find message, maybe time range not correct, key {}",
                h.key
            ),
        ));
    }
    let mut body = BytesMut::new();
    for r in &found {
        body.extend_from_slice(r);
    }
    Some(
        req.success_to()
            .with_header(&QueryMessageResponseHeader {
                index_last_update_timestamp: now_ms(),
                index_last_update_phyoffset: b.store.commit_log_max_offset(),
            })
            .with_body(body.freeze()),
    )
}
