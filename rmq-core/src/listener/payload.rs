//! Turning a delivered message into a handler's payload, and a handler's return value into an
//! acknowledgement.

use std::fmt::Display;

use serde::de::DeserializeOwned;

use super::ListenerError;
use crate::protocol::message::MessageExt;

/// The body as UTF-8 text.
pub fn decode_text(msg: &MessageExt) -> Result<String, ListenerError> {
    String::from_utf8(msg.body.to_vec()).map_err(|e| ListenerError::Decode {
        expected: "String",
        reason: e.to_string(),
    })
}

/// The raw body.
pub fn decode_bytes(msg: &MessageExt) -> Result<Vec<u8>, ListenerError> {
    Ok(msg.body.to_vec())
}

/// The whole message.
pub fn decode_message(msg: &MessageExt) -> Result<MessageExt, ListenerError> {
    Ok(msg.clone())
}

/// The body as JSON of `T`.
pub fn decode_json<T: DeserializeOwned>(msg: &MessageExt) -> Result<T, ListenerError> {
    serde_json::from_slice(&msg.body).map_err(|e| ListenerError::Decode {
        expected: std::any::type_name::<T>(),
        reason: e.to_string(),
    })
}

/// What a handler may return: `()` acknowledges, `Ok(())` acknowledges, `Err(e)` asks for a
/// redelivery (logged with `e`'s `Display`).
#[diagnostic::on_unimplemented(
    message = "a #[rocketmq_listener] handler must return `()` or `Result<(), E>` with `E: Display`, not `{Self}`",
    label = "unsupported return type"
)]
pub trait IntoListenerResult {
    /// Maps the handler's return value.
    fn into_listener_result(self) -> Result<(), ListenerError>;
}

impl IntoListenerResult for () {
    fn into_listener_result(self) -> Result<(), ListenerError> {
        Ok(())
    }
}

impl<E: Display> IntoListenerResult for Result<(), E> {
    fn into_listener_result(self) -> Result<(), ListenerError> {
        self.map_err(|e| ListenerError::Handler(e.to_string()))
    }
}
