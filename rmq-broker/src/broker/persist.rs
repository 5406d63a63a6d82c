//! Atomic JSON files under `storePathRootDir/config/`.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::BrokerError;

/// The config directory of a store root.
pub fn config_dir(root: &Path) -> PathBuf {
    root.join("config")
}

/// Reads a JSON file; `Ok(None)` when it doesn't exist. Falls back to the `.bak` copy when the
/// file is unreadable.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, BrokerError> {
    let read = |p: &Path| -> Result<Option<T>, String> {
        match std::fs::read(p) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(None),
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    };
    match read(path) {
        Ok(v) => Ok(v),
        Err(message) => {
            let bak = path.with_extension("json.bak");
            tracing::warn!(path = %path.display(), %message, "config file unreadable, trying the backup");
            read(&bak).map_err(|_| BrokerError::Metadata {
                path: path.to_owned(),
                message,
            })
        }
    }
}

/// Writes a JSON file atomically (temp file + rename), keeping the previous one as `.bak`.
pub fn store<T: Serialize>(path: &Path, value: &T) -> Result<(), BrokerError> {
    let err = |message: String| BrokerError::Metadata {
        path: path.to_owned(),
        message,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    }
    let json = serde_json::to_vec_pretty(value).map_err(|e| err(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json).map_err(|e| err(e.to_string()))?;
    if path.exists() {
        let _ = std::fs::copy(path, path.with_extension("json.bak"));
    }
    std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
}
