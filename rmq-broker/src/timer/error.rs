//! Errors of the timer store.

use std::path::PathBuf;

/// A timer file that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TimerError {
    /// An I/O call on a timer file failed.
    #[error("timer store: cannot {op} {path}: {source}", path = path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl TimerError {
    /// An I/O failure of `op` on `path`.
    pub fn io(op: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        TimerError::Io {
            op,
            path: path.to_owned(),
            source,
        }
    }
}
