//! The sweeper of a connection: fails the callbacks whose deadline has passed.

use std::time::Instant;

use super::Channel;
use crate::remoting::pending::SWEEP_INTERVAL;

/// While callbacks are pending, expires the overdue ones every [`SWEEP_INTERVAL`]; sleeps
/// while none are; ends when the channel closes.
pub(super) async fn run(channel: Channel) {
    let addr = channel.remote_addr().to_string();
    let pending = &channel.inner.pending;
    loop {
        tokio::select! {
            _ = pending.callbacks_pending() => {}
            _ = channel.closed() => break,
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_INTERVAL) => {}
            _ = channel.closed() => break,
        }
        pending.expire(Instant::now(), &addr);
    }
}
