//! PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361): read at once, or held (long polling)
//! while the queue has nothing at the offset yet.

use std::sync::Arc;

use rmq_core::protocol::header::{PULL_FLAG_COMMIT_OFFSET, PULL_FLAG_SUSPEND};
use rmq_core::protocol::RemotingCommand;
use rmq_core::remoting::Channel;

use crate::broker::{long_polling, pull_answer, BrokerInner};

/// Serves one pull: the answer, or `None` when the pull is held (answered later by long
/// polling).
pub fn pull(b: &Arc<BrokerInner>, ch: &Channel, req: &RemotingCommand) -> Option<RemotingCommand> {
    let h = match pull_answer::header(req) {
        Ok(h) => h,
        Err(answer) => return Some(answer),
    };
    let read = match pull_answer::read(b, ch, req, &h) {
        Ok(read) => read,
        Err(answer) => return Some(answer),
    };
    // Commit the consumer's offset piggybacked on the pull.
    if h.sys_flag & PULL_FLAG_COMMIT_OFFSET != 0 && h.commit_offset >= 0 {
        b.offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }
    if read.not_found && h.sys_flag & PULL_FLAG_SUSPEND != 0 && !b.is_shutting_down() {
        long_polling::hold(b, ch, req, &h, read.subscription, read.selector);
        return None;
    }
    Some(read.answer)
}
