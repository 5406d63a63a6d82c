//! Transport errors.

use crate::protocol::ProtocolError;

/// Why a remote call failed.
#[derive(Debug, thiserror::Error)]
pub enum RemotingError {
    /// No response within the call's timeout.
    #[error("request to {addr} timed out after {timeout_ms} ms")]
    Timeout { addr: String, timeout_ms: u64 },
    /// The TCP connection could not be opened.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// The connection closed before the response arrived.
    #[error("connection to {0} closed")]
    ChannelClosed(String),
    /// A frame could not be decoded.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}
