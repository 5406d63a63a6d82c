//! Application start-up and shutdown errors.

use rmq_core::client::ClientError;
use rmq_core::config::ConfigError;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// `application.yml`, a profile file, the environment or a placeholder is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The embedded broker did not start.
    #[error("the embedded broker did not start: {0}")]
    Embedded(#[from] rmq_broker::BrokerError),
    /// A configured name server did not answer.
    #[error("name server {addr} is unreachable: {reason}")]
    NameServerUnreachable {
        /// `rocketmq.name-server`, or a listener's `name_server`.
        addr: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// A listener's attributes are inconsistent.
    #[error("listener `{listener}`: {reason}")]
    Listener {
        /// `module::function`.
        listener: String,
        /// What is wrong.
        reason: String,
    },
    /// Two listeners share a consumer group.
    #[error("listeners `{first}` and `{second}` share consumer group `{group}`{detail}; give each listener its own group")]
    GroupConflict {
        /// The group.
        group: String,
        /// One listener.
        first: String,
        /// The other.
        second: String,
        /// How their subscriptions differ.
        detail: String,
    },
    /// A client could not be created or started.
    #[error("{what}: {source}")]
    Client {
        /// Which client.
        what: String,
        /// The client error.
        source: ClientError,
    },
    /// A setting rmq does not support yet.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The web dashboard (`rocketmq.dashboard.*`) did not start.
    #[error(transparent)]
    Dashboard(#[from] rmq_broker::dashboard::DashboardError),
    /// Waiting for the shutdown signal failed.
    #[error("cannot wait for the shutdown signal: {0}")]
    Signal(std::io::Error),
}
