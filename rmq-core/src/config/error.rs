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
    /// Every error of one load, in the order they were found; one error alone is reported as
    /// itself (see [`ConfigError::from_all`]).
    #[error("{} configuration errors:{}", .0.len(), one_per_line(.0))]
    Several(Vec<ConfigError>),
}

impl ConfigError {
    /// One error for all of `errors`: `None` when there are none, the error itself when there
    /// is one, else [`ConfigError::Several`] (nested lists are flattened).
    pub fn from_all(errors: Vec<ConfigError>) -> Option<ConfigError> {
        let mut flat: Vec<ConfigError> = Vec::with_capacity(errors.len());
        for error in errors {
            match error {
                ConfigError::Several(inner) => flat.extend(inner),
                single => flat.push(single),
            }
        }
        match flat.len() {
            0 => None,
            1 => flat.pop(),
            _ => Some(ConfigError::Several(flat)),
        }
    }

    /// The single errors this one stands for: the list of [`ConfigError::Several`], else itself.
    pub fn errors(&self) -> &[ConfigError] {
        match self {
            ConfigError::Several(all) => all,
            single => std::slice::from_ref(single),
        }
    }
}

fn one_per_line(errors: &[ConfigError]) -> String {
    errors.iter().map(|e| format!("\n  {e}")).collect()
}
