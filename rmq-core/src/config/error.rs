//! Configuration errors: each names the key and where its value came from.

use std::fmt;
use std::path::PathBuf;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A YAML file, with the line of the key when it could be found.
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key.
        line: Option<usize>,
    },
    /// An environment variable (relaxed binding).
    Env(String),
    /// A builder override.
    Override,
    /// Not known.
    Unknown,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, " in {}:{line}", path.display()),
            Origin::File { path, line: None } => write!(f, " in {}", path.display()),
            Origin::Env(name) => write!(f, " in environment variable {name}"),
            Origin::Override => write!(f, " in an Application::builder() override"),
            Origin::Unknown => Ok(()),
        }
    }
}

/// Why the configuration could not be loaded or resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A key under `rocketmq` that rmq does not know.
    #[error("unknown key `{key}`{origin}; keys allowed there: {allowed}")]
    UnknownKey {
        /// The dotted key.
        key: String,
        /// Where it was written.
        origin: Origin,
        /// The valid keys at that level.
        allowed: String,
    },
    /// A value of the wrong type or out of range.
    #[error("invalid value for `{key}`{origin}: {reason}")]
    InvalidValue {
        /// The dotted key.
        key: String,
        /// Where it was written.
        origin: Origin,
        /// What was found and what was expected.
        reason: String,
    },
    /// A file that exists but cannot be read or parsed.
    #[error("cannot load {}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The reader's or parser's message.
        reason: String,
    },
    /// A `${key}` placeholder with no value and no default.
    #[error("unresolved placeholder `${{{name}}}` in {context}")]
    UnresolvedPlaceholder {
        /// The key inside `${..}`.
        name: String,
        /// What held it (e.g. a listener attribute).
        context: String,
    },
    /// A `${` without its closing `}`.
    #[error("malformed placeholder in {context}: {value:?}")]
    MalformedPlaceholder {
        /// The whole value.
        value: String,
        /// What held it.
        context: String,
    },
}
