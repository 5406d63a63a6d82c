//! Offsets: QUERY/UPDATE_CONSUMER_OFFSET, GET_MAX/MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP,
//! GET_EARLIEST_MSG_STORETIME.

use rmq_core::protocol::header::*;
use rmq_core::protocol::{RemotingCommand, ResponseCode};

use super::header_or_reply;
use crate::broker::BrokerInner;

fn offset(req: &RemotingCommand, offset: i64) -> Option<RemotingCommand> {
    Some(
        req.success_to()
            .with_header(&OffsetResponseHeader { offset }),
    )
}

/// QUERY_CONSUMER_OFFSET (14).
pub fn query_consumer_offset(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, QueryConsumerOffsetRequestHeader);
    if let Some(o) = b.offsets.query(&h.consumer_group, &h.topic, h.queue_id) {
        return offset(req, o);
    }
    // A brand-new group on a young queue starts at 0 (Java 4.9: the first message is not yet
    // swapped out). This also covers an empty queue, so a consumer that starts just before the
    // first send cannot skip it between QUERY_NOT_FOUND and GET_MAX_OFFSET.
    let min = b.store.min_offset_in_queue(&h.topic, h.queue_id);
    if min <= 0 && h.set_zero_if_not_found != Some(false) {
        return offset(req, 0);
    }
    Some(req.error_to(
        ResponseCode::QueryNotFound,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    ))
}

/// UPDATE_CONSUMER_OFFSET (15), also sent oneway.
pub fn update_consumer_offset(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, UpdateConsumerOffsetRequestHeader);
    if h.commit_offset >= 0 {
        b.offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }
    Some(req.success_to())
}

/// GET_MAX_OFFSET (30).
pub fn get_max_offset(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, GetMaxOffsetRequestHeader);
    offset(req, b.store.max_offset_in_queue(&h.topic, h.queue_id))
}

/// GET_MIN_OFFSET (31).
pub fn get_min_offset(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, GetMinOffsetRequestHeader);
    offset(req, b.store.min_offset_in_queue(&h.topic, h.queue_id))
}

/// SEARCH_OFFSET_BY_TIMESTAMP (29).
pub fn search_offset(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, SearchOffsetRequestHeader);
    offset(
        req,
        b.store
            .offset_in_queue_by_time(&h.topic, h.queue_id, h.timestamp),
    )
}

/// GET_EARLIEST_MSG_STORETIME (32).
pub fn earliest_store_time(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = header_or_reply!(req, GetEarliestMsgStoretimeRequestHeader);
    let timestamp = b
        .store
        .earliest_message_time(&h.topic, h.queue_id)
        .unwrap_or(-1);
    Some(
        req.success_to()
            .with_header(&TimestampResponseHeader { timestamp }),
    )
}
