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
    /// Keys hold values of the wrong shape: every one of them, in file order.
    #[error("{}", InvalidList(.0))]
    Invalid(Vec<InvalidValue>),
}

/// One `key = value` line of a `broker.conf` whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value:?} for key `{key}` at {path}:{line}: expected {expected}", path = path.display())]
pub struct InvalidValue {
    /// The key as written.
    pub key: String,
    /// The value as written.
    pub value: String,
    /// The file.
    pub path: PathBuf,
    /// The 1-based line the key starts on.
    pub line: usize,
    /// What the key accepts.
    pub expected: String,
}

/// Displays one invalid value as itself, several as a count and one per line.
struct InvalidList<'a>(&'a [InvalidValue]);

impl std::fmt::Display for InvalidList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            [one] => one.fmt(f),
            all => {
                write!(f, "{} invalid values:", all.len())?;
                all.iter().try_for_each(|v| write!(f, "\n  {v}"))
            }
        }
    }
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
    /// The timer store could not be opened.
    #[error(transparent)]
    Timer(#[from] crate::timer::TimerError),
    /// A metadata file (config/*.json) is unreadable or unwritable.
    #[error("metadata file {path}: {message}")]
    Metadata { path: PathBuf, message: String },
    /// The temporary store directory could not be created.
    #[error("cannot create a temporary store directory: {0}")]
    TempDir(#[source] std::io::Error),
}
