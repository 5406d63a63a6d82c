//! What a connection does with the requests it receives.

use std::future::Future;

use super::Channel;
use crate::protocol::{RemotingCommand, ResponseCode};

/// Handles requests that arrive on a connection.
pub trait RequestHandler: Send + Sync + 'static {
    /// Processes one request. Return `None` to send nothing (oneway, or answered later).
    ///
    /// The future is first polled on the connection's reader: when it completes then, the
    /// next request is read only afterwards, so it must not block the thread; when it waits
    /// (on a flush, a lock, a timer), it continues on a task of its own.
    fn handle(
        &self,
        channel: Channel,
        request: RemotingCommand,
    ) -> impl Future<Output = Option<RemotingCommand>> + Send;

    /// Called once when the connection closes.
    fn on_close(&self, _channel: &Channel) {}
}

/// Answers every request with REQUEST_CODE_NOT_SUPPORTED.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnsupportedHandler;

impl RequestHandler for UnsupportedHandler {
    async fn handle(&self, _channel: Channel, request: RemotingCommand) -> Option<RemotingCommand> {
        let code = request.code;
        Some(request.error_to(
            ResponseCode::RequestCodeNotSupported,
            format!(" request type {code} not supported"),
        ))
    }
}
