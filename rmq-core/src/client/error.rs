//! Client errors.

use crate::remoting::RemotingError;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The transport failed (connect, timeout, closed connection).
    #[error(transparent)]
    Remoting(#[from] RemotingError),
    /// The server answered with an error code.
    #[error("{addr} answered code {code}: {remark}")]
    Broker {
        addr: String,
        code: i32,
        remark: String,
    },
    /// No name server or broker knows the topic.
    #[error("no route for topic {topic}: {reason}")]
    NoRoute { topic: String, reason: String },
    /// The message is refused before anything is sent.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// Configuration problem.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// A response body could not be decoded.
    #[error("cannot decode {what}: {detail}")]
    Decode { what: &'static str, detail: String },
}
