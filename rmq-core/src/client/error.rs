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
    /// A request was sent but its reply did not come within the timeout.
    #[error("request to topic {topic} was sent, but no reply came within the timeout of {timeout_ms} ms")]
    RequestTimeout { topic: String, timeout_ms: u64 },
    /// A request could not be sent (the send error is the source).
    #[error("cannot send the request to topic {topic}: {source}")]
    RequestSend {
        topic: String,
        #[source]
        source: Box<ClientError>,
    },
    /// A reply cannot be built for the message.
    #[error(transparent)]
    Reply(#[from] crate::protocol::message::ReplyError),
}
