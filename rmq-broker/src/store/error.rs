//! The store's error type. Every I/O or corruption error names the file and, where one
//! applies, the byte offset.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong in the message store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O call failed on a store file.
    #[error("{op} {path}{at}: {source}", path = .path.display(), at = At(*.offset))]
    Io {
        op: &'static str,
        path: PathBuf,
        offset: Option<u64>,
        #[source]
        source: std::io::Error,
    },
    /// A file holds data that cannot be what the store wrote.
    #[error("{path}{at}: {reason}", path = .path.display(), at = At(Some(*.offset)))]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    /// A configuration value is invalid.
    #[error("invalid `{key}` = {value:?}: {reason}")]
    Config {
        key: &'static str,
        value: String,
        reason: String,
    },
    /// Another store holds the lock on this directory.
    #[error("store directory {path} is in use by another store (lock file held)", path = .path.display())]
    Locked { path: PathBuf },
    /// A record does not fit into one commit-log segment.
    #[error("record of {size} bytes does not fit a commit-log segment of {limit} bytes")]
    RecordTooLarge { size: usize, limit: u64 },
    /// The store has been shut down.
    #[error("the message store is shut down")]
    ShutDown,
}

/// Why a `messageDelayLevel` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelayLevelError {
    /// No level at all.
    #[error("at least one delay level is required")]
    Empty,
    /// One level is not a whole number followed by `s`, `m`, `h` or `d`.
    #[error("`{token}`: {reason}")]
    Token {
        /// The offending level as written.
        token: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl DelayLevelError {
    /// The store error naming `messageDelayLevel` and the `value` it came from.
    pub fn in_value(self, value: &str) -> StoreError {
        StoreError::Config {
            key: "messageDelayLevel",
            value: value.to_owned(),
            reason: self.to_string(),
        }
    }
}

impl StoreError {
    /// An I/O error on `path`, optionally at a byte offset.
    pub(crate) fn io(
        op: &'static str,
        path: &Path,
        offset: Option<u64>,
        source: std::io::Error,
    ) -> Self {
        StoreError::Io {
            op,
            path: path.to_path_buf(),
            offset,
            source,
        }
    }

    /// Corrupt data in `path` at `offset`.
    pub(crate) fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> Self {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: reason.into(),
        }
    }
}

/// Formats ` at offset N` when there is an offset.
struct At(Option<u64>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(o) => write!(f, " at offset {o}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_path_and_offset() {
        let e = StoreError::io(
            "read",
            Path::new("/s/commitlog/00000000000000000000"),
            Some(42),
            std::io::Error::other("boom"),
        );
        assert_eq!(
            e.to_string(),
            "read /s/commitlog/00000000000000000000 at offset 42: boom"
        );
        let e = StoreError::corrupt(Path::new("/s/x"), 7, "bad magic");
        assert_eq!(e.to_string(), "/s/x at offset 7: bad magic");
    }
}
