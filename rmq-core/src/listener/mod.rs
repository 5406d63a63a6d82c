//! The listener registry: what `#[rocketmq_listener]` records about each handler.
//!
//! The attribute macro (in `rmq-macros`) turns an `async fn` into a [`ListenerDefinition`]
//! submitted through `inventory`; the application runtime reads them all with
//! [`registered`] at start-up and builds one push consumer per enabled listener.

mod attrs;
mod payload;
mod reply;
mod transaction;

use std::future::Future;
use std::pin::Pin;

pub use attrs::{ConsumeMode, ListenerAttrs, SelectorType};
pub use payload::{decode_bytes, decode_json, decode_message, decode_text, IntoListenerResult};
pub use reply::{encode_bytes, encode_json, encode_text, IntoReplyResult, ReplyBody};
pub use transaction::{
    registered_transaction_listeners, RocketMqLocalTransactionListener,
    RocketMqLocalTransactionState, TransactionListenerDefinition, TransactionListenerFactory,
};

use crate::protocol::message::MessageExt;

/// Why a handler call did not acknowledge its message (it is consumed again later).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenerError {
    /// The body could not be turned into the handler's payload type.
    #[error("payload does not decode as {expected}: {reason}")]
    Decode {
        /// The payload type the handler takes.
        expected: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// The handler returned an error (its `Display` text).
    #[error("handler failed: {0}")]
    Handler(String),
}

/// The future one handler call returns: `Ok(None)` acknowledges, `Ok(Some(body))` also
/// replies with `body` (a handler returning a value), `Err` redelivers.
pub type HandlerFuture =
    Pin<Box<dyn Future<Output = Result<Option<ReplyBody>, ListenerError>> + Send + 'static>>;

/// A type-erased handler: decodes the payload, calls the user's `async fn`, maps its result.
pub type HandlerFn = fn(MessageExt) -> HandlerFuture;

/// One `#[rocketmq_listener]` handler, as registered at compile time.
#[derive(Debug)]
pub struct ListenerDefinition {
    /// The handler function's name.
    pub name: &'static str,
    /// `module_path!()` where the handler is defined.
    pub module_path: &'static str,
    /// The attribute's values (strings may still hold `${..}` placeholders).
    pub attrs: ListenerAttrs,
    /// Calls the handler for one message.
    pub handler: HandlerFn,
}

impl ListenerDefinition {
    /// `module::name`, how logs and errors name the handler.
    pub fn qualified_name(&self) -> String {
        format!("{}::{}", self.module_path, self.name)
    }
}

inventory::collect!(ListenerDefinition);

/// Every listener registered in this binary, in a stable order (module path, then name).
pub fn registered() -> Vec<&'static ListenerDefinition> {
    let mut all: Vec<&'static ListenerDefinition> =
        inventory::iter::<ListenerDefinition>.into_iter().collect();
    all.sort_by(|a, b| (a.module_path, a.name).cmp(&(b.module_path, b.name)));
    all
}
