//! # rmq — Apache RocketMQ for Rust, the Spring Boot way
//!
//! Annotate a handler, write `application.yml`, call a template:
//!
//! ```no_run
//! use rmq::{rocketmq_listener, Application, Json, SendStatus};
//!
//! #[rocketmq_listener(topic = "boot-test", consumer_group = "boot-test-consumer-group",
//!                     message_model = "CLUSTERING")]
//! async fn on_boot_test(msg: String) -> Result<(), std::io::Error> {
//!     println!("received {msg}");
//!     Ok(())
//! }
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Order { id: u64, amount: i64 }
//!
//! #[rocketmq_listener(topic = "orders", consumer_group = "order-group",
//!                     selector_expression = "created || paid")]
//! async fn on_order(order: Order) {}   // JSON body; `()` acknowledges
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // ./application.yml (+ application-{profile}.yml, ROCKETMQ_* env). Without
//!     // `rocketmq.name-server` the bundled broker starts in-process.
//!     let app = Application::start().await?;
//!     let template = app.template();
//!     let result = template.sync_send("boot-test", "Hello, World!").await?;
//!     assert_eq!(result.send_status, SendStatus::SendOk);
//!     template.sync_send("orders:created", Json(Order { id: 1, amount: 5 })).await?;
//!     app.run_until_shutdown().await?; // Ctrl-C / SIGTERM → graceful stop
//!     Ok(())
//! }
//! ```
//!
//! Underneath: [`client`] (the native producer and consumers, wire-compatible with Apache
//! RocketMQ 4.x/5.x), [`template`] ([`RocketMqTemplate`]), [`config`] (`application.yml`),
//! [`listener`] (the registry `#[rocketmq_listener]` fills), [`protocol`] and [`broker`] (the
//! bundled NameServer + Broker).

mod application;

pub use application::{AppError, Application, ApplicationBuilder, ResolvedListener};
pub use rmq_broker as broker;
pub use rmq_core::client::{SendResult, SendStatus, TransactionSendResult};
pub use rmq_core::config;
pub use rmq_core::listener;
pub use rmq_core::listener::{RocketMqLocalTransactionListener, RocketMqLocalTransactionState};
pub use rmq_core::protocol;
pub use rmq_core::protocol::message::{Message, MessageExt};
pub use rmq_core::template;
pub use rmq_core::template::{Json, RocketMqTemplate, TemplateError};
pub use rmq_macros::{rocketmq_listener, rocketmq_transaction_listener};

/// The native client: producer, push and lite pull consumers, admin calls, messages.
pub mod client {
    pub use rmq_core::client::*;
    pub use rmq_core::protocol::body::{MessageModel, MessageQueue};
    pub use rmq_core::protocol::message::{Message, MessageExt};
}

/// What `#[rocketmq_listener]` expands to refers to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
    pub use rmq_core::listener::{
        decode_bytes, decode_json, decode_message, decode_text, ConsumeMode, HandlerFuture,
        IntoListenerResult, ListenerAttrs, ListenerDefinition, ListenerError, SelectorType,
    };
    pub use rmq_core::listener::{encode_bytes, encode_json, encode_text, IntoReplyResult};
    pub use rmq_core::protocol::body::MessageModel;

    /// Compile-time check that a JSON payload type can be deserialized.
    pub const fn assert_deserialize<T: serde::de::DeserializeOwned>() {}

    /// Compile-time check that a JSON reply type can be serialized.
    pub const fn assert_serialize<T: serde::Serialize>() {}
    pub use rmq_core::listener::{RocketMqLocalTransactionListener, TransactionListenerDefinition};

    /// Compile-time check that a transaction listener type can be built with `Default`.
    pub const fn assert_transaction_listener<T: Default + RocketMqLocalTransactionListener>() {}
}
