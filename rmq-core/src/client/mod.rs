//! The native RocketMQ client: routes, producers and (later) consumers.

mod error;
mod instance;
mod producer;
mod send_result;

pub use error::ClientError;
pub use instance::{ClientConfig, ClientInstance};
pub use producer::{DefaultMqProducer, ProducerConfig};
pub use send_result::{SendResult, SendStatus};
