//! Where a bad key came from, and the extraction of the `rocketmq` block that reports every
//! bad key of one load together.

use std::path::PathBuf;

use figment::providers::Serialized;
use figment::value::{Dict, Value};
use figment::Figment;

use super::{locate, properties, ConfigError, Origin, Root};

/// How many errors of one load are gathered at most.
const MAX_ERRORS: usize = 64;

/// What is needed to say where a bad key came from.
pub(super) struct Located<'a> {
    /// The files read, in order.
    pub files: &'a [PathBuf],
    /// Environment variables and the keys they bind.
    pub env: &'a [(String, &'static str)],
    /// The builder overrides.
    pub overrides: &'a [(String, serde_json::Value)],
}

impl Located<'_> {
    pub fn origin(&self, path: &[String], metadata: Option<&figment::Metadata>) -> Origin {
        let key = path.join(".");
        if self
            .overrides
            .iter()
            .any(|(k, _)| *k == key || key.starts_with(&format!("{k}.")))
        {
            return Origin::Override;
        }
        if let Some((name, _)) = self.env.iter().find(|(_, k)| *k == key) {
            return Origin::Env(name.clone());
        }
        for file in self.files.iter().rev() {
            if let Ok(text) = std::fs::read_to_string(file) {
                if let Some(line) = locate::line_of_key(&text, path) {
                    return Origin::File {
                        path: file.clone(),
                        line: Some(line),
                    };
                }
            }
        }
        match metadata.and_then(|m| m.source.as_ref()) {
            Some(figment::Source::File(path)) => Origin::File {
                path: path.clone(),
                line: None,
            },
            _ => Origin::Unknown,
        }
    }

    /// Extracts the `rocketmq` block with every error in it: each bad key is set aside (its
    /// default stands in) and the rest extracted again, until nothing is wrong. A file that
    /// cannot be read or parsed stops the load at once.
    pub fn extract(&self, figment: &Figment) -> Result<(Root, Vec<ConfigError>), ConfigError> {
        let mut failure = match figment.extract::<Root>() {
            Ok(root) => return Ok((root, Vec::new())),
            Err(e) => e,
        };
        let Ok(rocketmq) = figment.find_value("rocketmq") else {
            return Err(self.first_error(failure));
        };
        let mut data = Dict::new();
        data.insert("rocketmq".to_owned(), rocketmq);
        let mut errors = Vec::new();
        while errors.len() < MAX_ERRORS {
            let mut set_aside = false;
            for mut e in failure {
                if e.path.is_empty() {
                    return Err(self.error(e));
                }
                let path = key_path(&e);
                // A retry's errors point at its stand-in provider: take the key's own.
                if let Some(metadata) = figment.find_metadata(&path.join(".")) {
                    e.metadata = Some(metadata.clone());
                }
                errors.push(self.error(e));
                set_aside |= remove_key(&mut data, &path);
            }
            if !set_aside {
                break;
            }
            match Figment::from(Serialized::defaults(&data)).extract::<Root>() {
                Ok(root) => {
                    errors.sort_by_key(|e| self.position(e));
                    return Ok((root, errors));
                }
                Err(e) => failure = e,
            }
        }
        errors.sort_by_key(|e| self.position(e));
        Err(ConfigError::from_all(errors).unwrap_or_else(|| self.unknown_error()))
    }

    /// Where an error was written, for listing errors in the order of the files and lines.
    fn position(&self, error: &ConfigError) -> (usize, usize) {
        match error {
            ConfigError::UnknownKey {
                origin: Origin::File { path, line },
                ..
            }
            | ConfigError::InvalidValue {
                origin: Origin::File { path, line },
                ..
            } => (
                self.files
                    .iter()
                    .position(|file| file == path)
                    .unwrap_or(self.files.len()),
                line.unwrap_or(0),
            ),
            _ => (usize::MAX, 0),
        }
    }

    fn first_error(&self, err: figment::Error) -> ConfigError {
        match err.into_iter().next() {
            Some(e) => self.error(e),
            None => self.unknown_error(),
        }
    }

    fn unknown_error(&self) -> ConfigError {
        ConfigError::InvalidValue {
            key: "rocketmq".into(),
            origin: Origin::Unknown,
            reason: "unknown error".into(),
        }
    }

    /// One error of figment's chain, naming its key and where it was written.
    fn error(&self, e: figment::Error) -> ConfigError {
        if e.path.is_empty() {
            let path = match e.metadata.as_ref().and_then(|m| m.source.as_ref()) {
                Some(figment::Source::File(path)) => path.clone(),
                _ => PathBuf::from("configuration"),
            };
            return ConfigError::File {
                path,
                reason: e.kind.to_string(),
            };
        }
        let path = key_path(&e);
        let origin = self.origin(&path, e.metadata.as_ref());
        match &e.kind {
            figment::error::Kind::UnknownField(_, expected) => ConfigError::UnknownKey {
                key: path.join("."),
                origin,
                allowed: properties::allowed_keys(&parent_key(&path), expected),
            },
            kind => ConfigError::InvalidValue {
                key: path.join("."),
                origin,
                reason: kind.to_string(),
            },
        }
    }
}

/// The key an error is about: its path, with the name of an unknown field added.
fn key_path(e: &figment::Error) -> Vec<String> {
    let mut path = e.path.clone();
    if let figment::error::Kind::UnknownField(name, _) = &e.kind {
        if path.last() != Some(name) {
            path.push(name.clone());
        }
    }
    path
}

/// The dotted key of the section holding `path`.
fn parent_key(path: &[String]) -> String {
    path.split_last()
        .map(|(_, parent)| parent.join("."))
        .unwrap_or_default()
}

/// Removes the value at `path` from `dict`; whether there was one.
fn remove_key(dict: &mut Dict, path: &[String]) -> bool {
    match path {
        [] => false,
        [key] => dict.remove(key).is_some(),
        [key, rest @ ..] => match dict.get_mut(key) {
            Some(Value::Dict(_, inner)) => remove_key(inner, rest),
            _ => false,
        },
    }
}
