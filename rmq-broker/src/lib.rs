//! `rmq-broker`: the bundled RocketMQ runtime — a NameServer and a Broker that speak the
//! remoting protocol, with a durable commit-log store.
//!
//! Run it as a binary (`rmq-broker standalone -c broker.conf`) or embed it:
//!
//! ```no_run
//! # async fn demo() -> Result<(), rmq_broker::BrokerError> {
//! let embedded = rmq_broker::EmbeddedBroker::start().await?;
//! // Point clients at embedded.namesrv_addr().
//! embedded.shutdown().await;
//! # Ok(()) }
//! ```

pub mod broker;
pub mod config;
pub mod dashboard;
mod embedded;
mod error;
mod listen;
pub mod metrics;
pub mod namesrv;
pub mod store;
pub mod timer;

pub use broker::Broker;
pub use config::{BrokerConfig, BrokerRole};
pub use embedded::{EmbeddedBroker, EmbeddedConfig};
pub use error::{BrokerError, ConfigError, InvalidValue};
pub use namesrv::NameServer;
