//! What a replying handler returns (rocketmq-spring's `RocketMQReplyListener<T, R>`): the
//! value becomes the reply's body — `String` as UTF-8, `Vec<u8>` as is, any other type as
//! JSON — and a `Result`'s `Err` redelivers the request instead.

use std::fmt::Display;

use bytes::Bytes;
use serde::Serialize;

use super::ListenerError;

/// A reply body: what a replying handler's value is encoded to.
pub type ReplyBody = Bytes;

/// A replying handler's return value: `Result<R, E>` (`Err` redelivers, logged with `E`'s
/// `Display`) or `R` itself.
#[diagnostic::on_unimplemented(
    message = "a replying #[rocketmq_listener] handler must return its reply `R` or `Result<R, E>` with `E: Display`, not `{Self}`",
    label = "unsupported return type"
)]
pub trait IntoReplyResult<R> {
    /// The reply value, or why the request is redelivered.
    fn into_reply_result(self) -> Result<R, ListenerError>;
}

impl<R, E: Display> IntoReplyResult<R> for Result<R, E> {
    fn into_reply_result(self) -> Result<R, ListenerError> {
        self.map_err(|e| ListenerError::Handler(e.to_string()))
    }
}

/// A `String` reply: its UTF-8 bytes.
pub fn encode_text(value: String) -> Result<ReplyBody, ListenerError> {
    Ok(Bytes::from(value.into_bytes()))
}

/// A `Vec<u8>` reply: as is.
pub fn encode_bytes(value: Vec<u8>) -> Result<ReplyBody, ListenerError> {
    Ok(Bytes::from(value))
}

/// Any other reply: JSON.
pub fn encode_json<R: Serialize>(value: &R) -> Result<ReplyBody, ListenerError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| {
        ListenerError::Handler(format!(
            "the reply does not serialize as JSON ({}): {e}",
            std::any::type_name::<R>()
        ))
    })
}
