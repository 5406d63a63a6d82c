//! What the template sends (`IntoPayload`) and what `receive` returns (`FromMessage`).

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Destination, TemplateError};
use crate::listener::{decode_bytes, decode_json, decode_text};
use crate::protocol::message::{Message, MessageExt};

/// A body serialized to (and from) JSON: `template.sync_send("orders", Json(order))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// Anything the template can send: text (`&str`, `String`), bytes (`Vec<u8>`, `&[u8]`,
/// `Bytes`), `Json(value)`, or a whole [`Message`] (its keys, tags and properties kept).
pub trait IntoPayload {
    /// Builds the message for `destination` (its tag wins over the message's own).
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError>;
}

fn with_destination(mut msg: Message, destination: &Destination) -> Message {
    msg.topic = destination.topic.clone();
    match &destination.tag {
        Some(tag) => msg.with_tags(tag.clone()),
        None => msg,
    }
}

impl IntoPayload for &str {
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError> {
        Bytes::copy_from_slice(self.as_bytes()).into_message(destination)
    }
}

impl IntoPayload for String {
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError> {
        Bytes::from(self.into_bytes()).into_message(destination)
    }
}

impl IntoPayload for &String {
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError> {
        self.as_str().into_message(destination)
    }
}

impl IntoPayload for Vec<u8> {
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError> {
        Bytes::from(self).into_message(destination)
    }
}

impl IntoPayload for &[u8] {
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError> {
        Bytes::copy_from_slice(self).into_message(destination)
    }
}

impl IntoPayload for Bytes {
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError> {
        Ok(with_destination(
            Message::new(destination.topic.clone(), self),
            destination,
        ))
    }
}

impl<T: Serialize> IntoPayload for Json<T> {
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError> {
        let body =
            serde_json::to_vec(&self.0).map_err(|e| TemplateError::Payload(e.to_string()))?;
        Bytes::from(body).into_message(destination)
    }
}

impl IntoPayload for Message {
    fn into_message(self, destination: &Destination) -> Result<Message, TemplateError> {
        Ok(with_destination(self, destination))
    }
}

/// What `receive` can decode a message into: `String`, `Vec<u8>`, `MessageExt`, `Json<T>`.
pub trait FromMessage: Sized {
    /// Decodes one received message.
    fn from_message(msg: MessageExt) -> Result<Self, TemplateError>;
}

impl FromMessage for String {
    fn from_message(msg: MessageExt) -> Result<Self, TemplateError> {
        decode_text(&msg).map_err(TemplateError::Decode)
    }
}

impl FromMessage for Vec<u8> {
    fn from_message(msg: MessageExt) -> Result<Self, TemplateError> {
        decode_bytes(&msg).map_err(TemplateError::Decode)
    }
}

impl FromMessage for MessageExt {
    fn from_message(msg: MessageExt) -> Result<Self, TemplateError> {
        Ok(msg)
    }
}

impl<T: DeserializeOwned> FromMessage for Json<T> {
    fn from_message(msg: MessageExt) -> Result<Self, TemplateError> {
        decode_json(&msg).map(Json).map_err(TemplateError::Decode)
    }
}
