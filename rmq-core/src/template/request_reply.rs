//! `send_and_receive`: rocketmq-spring's `sendAndReceive` — a request whose reply comes back
//! decoded (a replying `#[rocketmq_listener]`, or any replier, answers it).

use std::any::Any;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{build, IntoPayload, RocketMqTemplate, TemplateError};
use crate::listener::{decode_json, decode_text, ListenerError};
use crate::protocol::message::MessageExt;

/// The reply decoded as `R` the way rocketmq-spring converts it: `String` is the body as
/// UTF-8, `Vec<u8>` the raw body, any other type the body as JSON.
fn decode_reply<R: DeserializeOwned + 'static>(reply: MessageExt) -> Result<R, TemplateError> {
    let wanted = std::any::TypeId::of::<R>();
    let value: Box<dyn Any> = if wanted == std::any::TypeId::of::<String>() {
        Box::new(decode_text(&reply).map_err(TemplateError::Decode)?)
    } else if wanted == std::any::TypeId::of::<Vec<u8>>() {
        Box::new(reply.body.to_vec())
    } else {
        return decode_json::<R>(&reply).map_err(TemplateError::Decode);
    };
    value.downcast::<R>().map(|v| *v).map_err(|_| {
        TemplateError::Decode(ListenerError::Decode {
            expected: std::any::type_name::<R>(),
            reason: "the reply decoded as another type".into(),
        })
    })
}

impl RocketMqTemplate {
    /// Sends `payload` to `destination` as a request and waits up to `timeout` for the
    /// reply, decoded as `R` (`String`: UTF-8 text, `Vec<u8>`: raw bytes, any other
    /// `Deserialize` type: JSON). No reply in time is
    /// [`ClientError::RequestTimeout`](crate::client::ClientError::RequestTimeout), naming the
    /// topic and the timeout.
    ///
    /// ```no_run
    /// # async fn demo(template: rmq_core::template::RocketMqTemplate) -> Result<(), rmq_core::template::TemplateError> {
    /// # #[derive(serde::Deserialize)] struct Price { cents: i64 }
    /// use std::time::Duration;
    /// use rmq_core::template::Json;
    /// let price: Price = template
    ///     .send_and_receive("quotes", Json(serde_json::json!({"sku": "A-1"})), Duration::from_secs(3))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_and_receive<R: DeserializeOwned + 'static>(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        timeout: Duration,
    ) -> Result<R, TemplateError> {
        let reply = self
            .send_and_receive_message(destination, payload, timeout)
            .await?;
        decode_reply(reply)
    }

    /// [`send_and_receive`](Self::send_and_receive) returning the whole reply message.
    pub async fn send_and_receive_message(
        &self,
        destination: &str,
        payload: impl IntoPayload,
        timeout: Duration,
    ) -> Result<MessageExt, TemplateError> {
        let msg = build(destination, payload)?;
        Ok(self.producer().request(msg, timeout).await?)
    }
}
