//! # rmq — Apache RocketMQ for Rust, the Spring Boot way
//!
//! The facade over the workspace: the protocol and native client of `rmq-core`, and the
//! bundled broker of `rmq-broker`. The Spring-style layer (`#[rocketmq_listener]`,
//! `RocketMqTemplate`, `Application`) builds on these.
//!
//! ```no_run
//! use rmq::client::{ClientConfig, DefaultMqProducer, Message, ProducerConfig};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // An embedded NameServer + Broker on 127.0.0.1 (ephemeral ports, temporary store).
//! let broker = rmq::broker::EmbeddedBroker::start().await?;
//! let producer = DefaultMqProducer::new(
//!     ClientConfig { name_server_addr: broker.namesrv_addr().to_string(), ..Default::default() },
//!     ProducerConfig { producer_group: "boot-test-producer".into(), ..Default::default() },
//! )?;
//! let result = producer.send(&Message::new("boot-test", "hello").with_tags("TagA")).await?;
//! println!("{:?} {}", result.send_status, result.msg_id);
//! broker.shutdown().await;
//! # Ok(()) }
//! ```

mod application;

pub use application::{AppError, Application, ApplicationBuilder, ResolvedListener};
pub use rmq_broker as broker;
pub use rmq_core::client::{SendResult, SendStatus};
pub use rmq_core::config;
pub use rmq_core::template::{Json, RocketMqTemplate, TemplateError};
pub use rmq_core::listener;
pub use rmq_core::protocol;
pub use rmq_core::protocol::message::{Message, MessageExt};
pub use rmq_macros::rocketmq_listener;

/// The native client: producers (consumers follow), messages and results.
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
    pub use rmq_core::protocol::body::MessageModel;

    /// Compile-time check that a JSON payload type can be deserialized.
    pub const fn assert_deserialize<T: serde::de::DeserializeOwned>() {}
}
