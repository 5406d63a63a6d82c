//! LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42) for orderly consumers.

use rmq_core::protocol::body::{LockBatchRequestBody, LockBatchResponseBody};
use rmq_core::protocol::RemotingCommand;

use super::{body_or_reply, json_response};
use crate::broker::BrokerInner;

/// Locks what it can for the client; answers the locked set.
pub fn lock_batch(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let body = body_or_reply!(req, LockBatchRequestBody);
    let locked = b
        .locks
        .try_lock_batch(&body.consumer_group, &body.mq_set, &body.client_id);
    Some(json_response(
        req,
        &LockBatchResponseBody {
            lock_ok_mq_set: locked,
        },
    ))
}

/// Releases the client's locks.
pub fn unlock_batch(b: &BrokerInner, req: &RemotingCommand) -> Option<RemotingCommand> {
    let body = body_or_reply!(req, LockBatchRequestBody);
    b.locks
        .unlock_batch(&body.consumer_group, &body.mq_set, &body.client_id);
    Some(req.success_to())
}
