//! Errors of the broker crate.

use std::path::PathBuf;

/// A `broker.conf` that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A key holds a value of the wrong shape.
    #[error("invalid value {value:?} for key `{key}` at {path}:{line}: expected {expected}", path = path.display())]
    InvalidValue {
        key: String,
        value: String,
        path: PathBuf,
        line: usize,
        expected: String,
    },
}

/// Why a NameServer or Broker could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// Configuration problem.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A metadata file (config/*.json) is unreadable or unwritable.
    #[error("metadata file {path}: {message}")]
    Metadata { path: PathBuf, message: String },
    /// The temporary store directory could not be created.
    #[error("cannot create a temporary store directory: {0}")]
    TempDir(#[source] std::io::Error),
}
